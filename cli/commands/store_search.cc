// lateral search --store: top-k documents of a raw store built with `lateral index` (PLAID only).
// Collections made with `lateral init` are searched by cli/commands/search_command.cc.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/commands/collection_io.h"
#include "cli/commands/common_flags.h"
#include "cli/commands/store_search.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "index/metadata_filter.h"
#include "index/searchable_index.h"
#include "query/plaid_searcher.h"

namespace lateral::cli {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Queries read from stdin are encoded and searched this many at a time, so
// answers stream out while memory stays bounded whatever the input length.
constexpr size_t kQueryChunk = 64;
constexpr size_t kSnippetChars = 100;

absl::StatusOr<int> PositiveIntFlag(const ParsedFlags& flags, const std::string& name, int fallback) {
  absl::StatusOr<std::optional<int64_t>> value = flags.GetInt(name);
  if (!value.ok()) return UsageError(std::string(value.status().message()));
  if (!value->has_value()) return fallback;
  if (**value <= 0 || **value > (int64_t{1} << 30)) {
    return UsageError(absl::StrCat("--", name, " must be a positive integer, not ", **value));
  }
  return static_cast<int>(**value);
}

absl::StatusOr<SearchOptions> SearchOptionsFromFlags(const ParsedFlags& flags) {
  SearchOptions options;
  LATERAL_ASSIGN_OR_RETURN(options.k, PositiveIntFlag(flags, "k", 10));
  // 0 / negative leave the knobs to ResolveSearchOptions, which picks them from k.
  LATERAL_ASSIGN_OR_RETURN(options.ncells, PositiveIntFlag(flags, "ncells", 0));
  LATERAL_ASSIGN_OR_RETURN(options.ndocs, PositiveIntFlag(flags, "ndocs", 0));
  absl::StatusOr<std::optional<double>> threshold = flags.GetDouble("threshold");
  if (!threshold.ok()) return UsageError(std::string(threshold.status().message()));
  if (threshold->has_value()) options.centroid_score_threshold = static_cast<float>(**threshold);
  return options;
}

absl::StatusOr<std::vector<std::string>> ReadQueries(const std::string& query) {
  if (query != "-") return std::vector<std::string>{query};
  std::vector<std::string> queries;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    queries.push_back(line);
  }
  if (std::cin.bad()) return absl::DataLossError("stdin: read error");
  if (queries.empty()) return absl::InvalidArgumentError("stdin: no queries (one per line)");
  return queries;
}

// Writes one query's hits to stdout, as text lines or one JSON array.
absl::Status PrintHits(const StoreSnapshot& snapshot, const std::vector<SearchHit>& hits, bool json) {
  Json out = Json::array();
  for (size_t rank = 0; rank < hits.size(); ++rank) {
    LATERAL_ASSIGN_OR_RETURN(std::optional<DocumentRecord> record, snapshot.GetDocument(hits[rank].doc_id));
    if (!record.has_value()) {
      return absl::DataLossError(absl::StrCat("document ", hits[rank].doc_id, " is in the index but not in the store"));
    }
    if (json) {
      out.push_back({{"rank", rank + 1},
                     {"id", record->external_id},
                     {"score", hits[rank].score},
                     {"text", record->text},
                     {"metadata", MetadataToJson(record->metadata)}});
    } else {
      std::cout << absl::StrFormat("%3d  %9.4f  %s  %s\n", rank + 1, hits[rank].score, record->external_id,
                                   Snippet(record->text, kSnippetChars));
    }
  }
  if (json) std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  return absl::OkStatus();
}

std::string Ms(double ms) { return absl::StrFormat("%10.3f ms", ms); }

void PrintStage(const char* name, const std::string& value) {
  std::cerr << absl::StrFormat("  %-22s%s\n", name, value);
}

// One query's stage times and counts on stderr. `exhaustive_ms` is set when
// Exhaustive ran instead of the PLAID stages.
void PrintQueryProfile(const SearchProfile& p, std::optional<double> exhaustive_ms, double encode_ms,
                       int64_t num_documents, const SearchOptions& resolved) {
  PrintStage("query encoding", Ms(encode_ms));
  if (exhaustive_ms.has_value()) {
    const std::string skipped = "         -    (exhaustive)";
    for (const char* stage : {"filter", "centroid scores", "candidate generation", "pruned interaction",
                              "full interaction"}) {
      PrintStage(stage, skipped);
    }
    PrintStage("exact MaxSim", Ms(*exhaustive_ms));
    PrintStage("search total", Ms(*exhaustive_ms));
    std::cerr << absl::StrFormat("  exhaustive: every %sdocument of %d exact-scored\n",
                                 resolved.filter != nullptr ? "allowed " : "", num_documents);
    return;
  }
  PrintStage("filter", Ms(p.filter_ms));
  PrintStage("centroid scores", Ms(p.centroid_scores_ms));
  PrintStage("candidate generation", Ms(p.candidates_ms));
  PrintStage("pruned interaction", Ms(p.pruned_interaction_ms));
  PrintStage("full interaction", Ms(p.full_interaction_ms));
  PrintStage("exact MaxSim", Ms(p.exact_ms));
  PrintStage("search total", Ms(p.total_ms));
  std::cerr << absl::StrFormat(
      "  counts: cells probed %d, kept centroids %d, candidates %d, after pruning %d, exact-scored %d, "
      "allowed by filter %s of %d\n",
      p.cells_probed, p.kept_centroids, p.candidates, p.after_pruning, p.exact_scored,
      p.allowed < 0 ? std::string("all") : absl::StrCat(p.allowed), num_documents);
  std::cerr << absl::StrFormat("  knobs: k %d, ncells %d, threshold %.3g, ndocs %d\n", resolved.k, resolved.ncells,
                               resolved.centroid_score_threshold, resolved.ndocs);
}

}  // namespace

absl::Status RunStoreSearch(const ParsedFlags& flags) {
  const auto start = Clock::now();
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(std::string store_path, RequiredFlag(flags, "store"));
  LATERAL_ASSIGN_OR_RETURN(std::string query_flag, RequiredFlag(flags, "query"));
  if (!flags.positional().empty()) {
    return UsageError(absl::StrCat("unexpected argument \"", flags.positional()[0],
                                   "\" (quote a query of several words: --query \"...\")"));
  }
  LATERAL_ASSIGN_OR_RETURN(SearchOptions options, SearchOptionsFromFlags(flags));
  std::optional<MetadataFilter> filter;
  if (std::optional<std::string> text = flags.Get("filter"); text.has_value()) {
    absl::StatusOr<MetadataFilter> parsed = ParseMetadataFilter(*text);
    if (!parsed.ok()) return UsageError(absl::StrCat("--filter: ", parsed.status().message()));
    filter = std::move(*parsed);
    options.filter = &*filter;
  }
  const bool json = flags.Has("json"), profile = flags.Has("profile"), exhaustive = flags.Has("exhaustive");
  LATERAL_ASSIGN_OR_RETURN(std::vector<std::string> queries, ReadQueries(query_flag));
  const bool many = query_flag == "-";

  auto t = Clock::now();
  LATERAL_ASSIGN_OR_RETURN(std::optional<Precision> precision, PrecisionFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<ColbertEncoder> encoder, LoadColbert(model_dir, precision));
  const double model_ms = MsSince(t);
  t = Clock::now();
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, OpenExistingStore(store_path));
  LATERAL_RETURN_IF_ERROR(CheckStoreEncoder(*store, store_path, *encoder, model_dir));
  std::unique_ptr<StoreSnapshot> snapshot = store->Snapshot();
  SearchableIndex::LoadOptions load;
  load.metadata = filter.has_value();  // the columns cost a pass over every record
  LATERAL_ASSIGN_OR_RETURN(std::shared_ptr<const SearchableIndex> index, SearchableIndex::Load(*snapshot, load));
  const PlaidSearcher searcher(index);
  const double index_ms = MsSince(t);
  const SearchOptions resolved = ResolveSearchOptions(options);
  if (profile) {
    std::cerr << "profile\n";
    PrintStage("model load", Ms(model_ms));
    PrintStage("index load", Ms(index_ms));
    std::cerr << absl::StrFormat("  index: %d documents, %d tokens, %d centroids, %s in memory\n",
                                 index->num_documents(), index->num_tokens(), index->codec().num_centroids(),
                                 HumanBytes(index->MemoryBytes()));
  }

  for (size_t begin = 0; begin < queries.size(); begin += kQueryChunk) {
    const size_t end = std::min(queries.size(), begin + kQueryChunk);
    const std::vector<std::string> chunk(queries.begin() + begin, queries.begin() + end);
    t = Clock::now();
    LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> encoded, encoder->EncodeQueries(chunk));
    // One call encodes the whole chunk; each query is charged its share.
    const double encode_ms = MsSince(t) / chunk.size();
    std::vector<TokenMatrix> matrices;
    for (const TokenEmbeddings& e : encoded) matrices.push_back({e.vectors.data(), e.num_vectors, e.dim});

    std::vector<absl::StatusOr<std::vector<SearchHit>>> results;
    std::vector<SearchProfile> profiles(chunk.size());
    std::vector<double> exhaustive_ms;
    if (exhaustive) {
      for (const TokenMatrix& m : matrices) {
        t = Clock::now();
        results.push_back(searcher.Exhaustive(m, options));
        exhaustive_ms.push_back(MsSince(t));
      }
    } else if (matrices.size() == 1) {
      results.push_back(searcher.Search(matrices[0], options, &profiles[0]));
    } else {
      results = searcher.SearchBatch(matrices, options, &profiles);
    }

    for (size_t i = 0; i < chunk.size(); ++i) {
      if (!results[i].ok()) {
        if (!many) return results[i].status();
        return absl::Status(results[i].status().code(),
                            absl::StrCat("query ", begin + i + 1, ": ", results[i].status().message()));
      }
      if (many && !json) std::cout << absl::StrFormat("query %d: %s\n", begin + i + 1, Snippet(chunk[i], 200));
      LATERAL_RETURN_IF_ERROR(PrintHits(*snapshot, *results[i], json));
      if (many && !json) std::cout << "\n";
      if (profile) {
        if (many) std::cerr << absl::StrFormat("profile, query %d\n", begin + i + 1);
        PrintQueryProfile(profiles[i],
                          exhaustive ? std::optional<double>(exhaustive_ms[i]) : std::nullopt, encode_ms,
                          index->num_documents(), resolved);
      }
    }
    std::cout.flush();
  }
  if (profile) {
    PrintStage("total", absl::StrCat(Ms(MsSince(start)),
                                     many ? absl::StrCat(" for ", queries.size(), " queries") : std::string()));
  }
  return absl::OkStatus();
}

}  // namespace lateral::cli
