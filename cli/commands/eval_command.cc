// lateral eval: the project's quality instrument. Runs a BEIR-layout dataset
// through the real ingest and search paths and reports nDCG@10, Recall@10/100
// and MRR@10, overall, per query language, and split into same-language and
// cross-language relevance, with latency percentiles.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/collection/collection.h"
#include "cli/collection/collection_search.h"
#include "cli/collection/ingest_setup.h"
#include "cli/collection/terminal.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "ingest/beir/beir_dataset.h"
#include "ingest/beir/beir_eval.h"

namespace lateral::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Removes the scratch collection unless the user asked to keep it.
class ScratchDir {
 public:
  ScratchDir() = default;
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  absl::Status Create() {
    std::string pattern = (fs::temp_directory_path() / "lateral-eval-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError("cannot create a scratch directory");
    path_ = pattern;
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every n-th query, so that a sample of a file sorted by language still
// spans its languages.
std::vector<ingest::BeirQuery> Sample(std::vector<ingest::BeirQuery> queries, int64_t max) {
  if (max <= 0 || static_cast<int64_t>(queries.size()) <= max) return queries;
  std::vector<ingest::BeirQuery> sample;
  const double stride = static_cast<double>(queries.size()) / max;
  for (int64_t i = 0; i < max; ++i) sample.push_back(queries[static_cast<size_t>(i * stride)]);
  return sample;
}

absl::Status RunEval(const ParsedFlags& flags) {
  if (flags.positional().size() != 1) return UsageError("eval takes one dataset folder (BEIR layout)");
  const std::string dataset_dir = flags.positional()[0];
  absl::StatusOr<std::optional<int64_t>> max_queries = flags.GetInt("max-queries");
  if (!max_queries.ok()) return UsageError(std::string(max_queries.status().message()));
  const bool json = flags.Has("json");

  Clock::time_point t = Clock::now();
  LATERAL_ASSIGN_OR_RETURN(ingest::BeirDataset dataset, ingest::ReadBeirDataset(dataset_dir, ingest::BeirReadOptions()));
  dataset.queries = Sample(std::move(dataset.queries), max_queries->value_or(5000));
  for (const std::string& w : dataset.warnings) std::cerr << "warning: " << w << "\n";
  const double load_s = std::chrono::duration<double>(Clock::now() - t).count();

  // A scratch collection (or --keep DIR), filled through the real ingest path.
  ScratchDir scratch;
  std::string root;
  if (std::optional<std::string> keep = flags.Get("keep")) {
    root = *keep;
    std::error_code ec;
    fs::create_directories(root, ec);
    if (fs::exists(CollectionPathsAt(root).state_dir, ec)) {
      return absl::AlreadyExistsError(absl::StrCat(root, " already holds a collection; --keep wants a new folder"));
    }
  } else {
    LATERAL_RETURN_IF_ERROR(scratch.Create());
    root = scratch.path();
  }
  CollectionPaths paths = CollectionPathsAt(fs::absolute(root).string());
  LATERAL_ASSIGN_OR_RETURN(Settings settings, LoadSettings(std::nullopt, flags));
  settings.colbert_model = flags.Get("model").value_or("");  // eval never picks a model up from config
  std::error_code ec;
  fs::create_directories(paths.state_dir, ec);
  LATERAL_RETURN_IF_ERROR(InitializeStore(paths.store_dir, settings, 2).status());
  const std::string corpus_path = (fs::path(paths.state_dir) / "corpus.jsonl").string();
  {
    std::ofstream corpus(corpus_path);
    for (const ingest::BeirDocument& d : dataset.corpus) {
      Json line = {{"id", d.id}, {"title", d.title},
                   {"text", d.title.empty() ? d.text : absl::StrCat(d.title, "\n\n", d.text)}};
      if (!d.lang.empty()) line["lang"] = d.lang;
      corpus << line.dump() << "\n";
    }
    if (!corpus) return absl::InternalError(absl::StrCat(corpus_path, ": cannot write"));
  }
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> collection, Collection::Open(paths, false, flags));
  ExtractionChoice choice;
  choice.forced_format = ingest::Format::kJsonl;
  choice.extract.fields.metadata_fields = {"lang"};
  LATERAL_ASSIGN_OR_RETURN(ingest::IngestOptions options, MakeIngestOptions(*collection, choice));
  IngestProgressPrinter printer(json);
  options.progress = [&](const ingest::IngestProgress& p) { printer.Update(p); };
  absl::StatusOr<ingest::IngestReport> ingested = ingest::Ingest(collection->store(), {corpus_path}, options);
  printer.Finish();
  if (!ingested.ok()) return ingested.status();
  if (!ingested->failed.empty()) return absl::DataLossError(absl::StrCat("corpus: ", ingested->failed[0].message));

  // Searches: each passage counts for its document, at its best rank.
  LATERAL_ASSIGN_OR_RETURN(SearchRequest request, [&]() -> absl::StatusOr<SearchRequest> {
    SearchRequest r;
    absl::StatusOr<SearchMode> mode = ResolveSearchMode(collection->settings().mode, collection->has_encoder());
    if (!mode.ok()) return UsageError(absl::StrCat("--", mode.status().message(), " (pass --model)"));
    r.mode = *mode;
    r.weighted_fusion = collection->settings().fusion == "weighted";
    r.colbert_weight = collection->settings().colbert_weight;
    return r;
  }());
  absl::StatusOr<std::optional<int64_t>> depth = flags.GetInt("depth");
  if (!depth.ok()) return UsageError(std::string(depth.status().message()));
  const int k = static_cast<int>(depth->value_or(100));
  CollectionSearcher searcher(*collection);
  searcher.set_use_mapped_index(false);  // a scratch collection, searched by this process only
  if (request.mode != SearchMode::kBm25) LATERAL_RETURN_IF_ERROR(searcher.LoadDense());
  std::vector<eval::RankedList> results;
  results.reserve(dataset.queries.size());
  for (const ingest::BeirQuery& q : dataset.queries) {
    request.query = q.text;
    request.lang = flags.Has("no-query-lang") ? "" : q.lang;
    // Passages per document vary; fetch extra so that k distinct documents remain.
    request.k = 2 * k;
    Clock::time_point start = Clock::now();
    LATERAL_ASSIGN_OR_RETURN(SearchResponse response, searcher.Search(request));
    eval::RankedList list;
    list.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    list.query_id = q.id;
    absl::flat_hash_set<std::string> seen;
    for (const ResultHit& hit : response.hits) {
      auto it = hit.record.metadata.find("doc");
      if (it == hit.record.metadata.end()) continue;
      const std::string& doc = std::get<std::string>(it->second);
      if (seen.insert(doc).second) list.doc_ids.push_back(doc);
      if (static_cast<int>(list.doc_ids.size()) == k) break;
    }
    results.push_back(std::move(list));
  }
  LATERAL_ASSIGN_OR_RETURN(eval::EvalReport report, ingest::EvaluateBeir(dataset, results));
  if (json) {
    Json out = eval::ReportToJson(report, flags.Has("per-query"));
    out["dataset"] = dataset_dir;
    out["mode"] = SearchModeName(request.mode);
    out["documents"] = dataset.corpus.size();
    out["passages"] = ingested->passages_written;
    out["ingest_seconds"] = ingested->seconds;
    out["load_seconds"] = load_s;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << absl::StrFormat("%s: %d documents (%d passages, ingested in %s), %d queries, mode %s\n",
                                 dataset_dir, dataset.corpus.size(), ingested->passages_written,
                                 FormatDuration(ingested->seconds), dataset.queries.size(),
                                 SearchModeName(request.mode))
              << eval::FormatReport(report);
  }
  return absl::OkStatus();
}

}  // namespace

Command EvalCommand() {
  return Command{
      "eval",
      "measure retrieval quality on a BEIR-layout dataset (nDCG@10, recall, MRR, latency)",
      "usage: lateral eval DIR [--model SPEC] [--mode MODE] [--max-queries N] [--json]\n\n"
      "DIR holds corpus.jsonl, queries.jsonl and qrels.tsv (or qrels/test.tsv), gzipped or not. The corpus\n"
      "is ingested into a scratch collection (kept with --keep DIR) through the same path as `lateral add`,\n"
      "then every query is searched as `lateral search` would (each query's lang field picks its stemmer).\n"
      "Reported: nDCG@10, Recall@10, Recall@100 and MRR@10 overall, per query language, and split into\n"
      "same-language and cross-language relevance; latency p50/p90/p99 per query.\n\n"
      "examples:\n"
      "  lateral eval corpora/xquad-r --max-queries 2000\n"
      "  lateral eval corpora/tldr --model LiquidAI/LFM2-ColBERT-350M --mode hybrid --json\n",
      {{"model", true, "ColBERT model (directory or hub id); without one, BM25 only", "SPEC"},
       PrecisionFlag(),
       {"mode", true, "bm25, colbert, hybrid or rerank (default: hybrid with a model, else bm25)", "MODE"},
       {"fusion", true, "hybrid fusion: rrf (default) or weighted", "NAME"},
       {"colbert-weight", true, "weighted fusion: ColBERT's weight (default 0.5)", "W"},
       {"max-queries", true, "evaluate this many queries, spread over the file (default 5000; 0 = all)", "N"},
       {"depth", true, "documents retrieved per query (default 100, for Recall@100)", "N"},
       {"chunk-tokens", true, "passage length in tokens", "N"},
       {"no-stemming", false, "index and search words as written"},
       {"no-query-lang", false, "ignore the queries' lang field (stem by script only)"},
       {"keep", true, "build the collection in DIR and keep it", "DIR"},
       {"per-query", false, "with --json: include every query's metrics"},
       {"json", false, "print the report as JSON"}},
      RunEval};
}

}  // namespace lateral::cli
