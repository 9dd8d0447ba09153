// Index build and search benchmark on synthetic ColBERT-shaped embeddings.
//
//   index_bench build  --store DIR --docs N [--topics T] [--nbits B] [--seed S]
//   index_bench search --store DIR [--docs N --topics T --seed S: the corpus the store was built from]
//                      [--queries Q] [--truth-queries Q] [--k 10,100,1000] [--threads 1]
//                      [--ncells a,b --threshold x,y --ndocs m,n: a sweep instead of the defaults]
//                      [--qps-threads 2] [--no-metadata] [--residuals-on-disk] [--filter EXPR: e.g. "shard = 7", 1% of documents]
//
// build streams the corpus through BuildIndex into a RocksDB store and prints
// throughput, wall time, peak RSS and bytes per token on disk (after a
// compaction). search loads the index, draws queries near known documents,
// measures single-thread latency per query (p50/p99/mean and per stage),
// recall@k against exhaustive MaxSim on the first --truth-queries queries,
// and batched queries per second with --qps-threads threads. Output is
// Markdown table rows, for benchmarks/RESULTS.md.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "benchmarks/synthetic/synthetic_corpus.h"
#include "index/index_builder.h"
#include "index/searchable_index.h"
#include "query/plaid_searcher.h"
#include "storage/collection_store.h"
#include "tbb/global_control.h"
#include "tbb/task_arena.h"

namespace lateral {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double PeakRssGiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1048576.0;
}

double CurrentRssGiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1048576.0;
  }
  return 0;
}

std::map<std::string, std::string> ParseFlags(int argc, char** argv, int first) {
  std::map<std::string, std::string> flags;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      std::fprintf(stderr, "unexpected argument %s\n", a.c_str());
      std::exit(2);
    }
    a = a.substr(2);
    if (a == "no-metadata" || a == "residuals-on-disk") {
      flags[a] = "1";
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "flag --%s needs a value\n", a.c_str());
      std::exit(2);
    }
    flags[a] = argv[++i];
  }
  return flags;
}

std::string Flag(const std::map<std::string, std::string>& f, const std::string& name, const std::string& fallback) {
  auto it = f.find(name);
  return it == f.end() ? fallback : it->second;
}

std::vector<double> List(const std::string& text) {
  std::vector<double> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    double v;
    if (!absl::SimpleAtod(part, &v)) {
      std::fprintf(stderr, "bad number in list: %s\n", text.c_str());
      std::exit(2);
    }
    out.push_back(v);
  }
  return out;
}

testing::SyntheticCorpusOptions CorpusOptions(const std::map<std::string, std::string>& f) {
  testing::SyntheticCorpusOptions o;
  o.topics = std::stoi(Flag(f, "topics", "4096"));
  o.seed = std::stoull(Flag(f, "seed", "42"));
  o.dim = std::stoi(Flag(f, "dim", "128"));
  return o;
}

std::string ManifestIdentity(const testing::SyntheticCorpusOptions& o) {
  return "synthetic:dim" + std::to_string(o.dim) + ":topics" + std::to_string(o.topics) + ":seed" +
         std::to_string(o.seed);
}

int Build(const std::map<std::string, std::string>& f) {
  const std::string path = Flag(f, "store", "");
  const int64_t docs = std::stoll(Flag(f, "docs", "100000"));
  const testing::SyntheticCorpusOptions corpus_options = CorpusOptions(f);
  testing::SyntheticCorpus corpus(corpus_options);
  Manifest manifest{1, ManifestIdentity(corpus_options), corpus_options.dim, std::stoi(Flag(f, "nbits", "2"))};
  auto store = CollectionStore::Open(path, manifest);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  testing::SyntheticDocumentSource source(corpus, docs);
  BuildOptions options;
  options.codec.nbits = manifest.nbits;
  double last = -10;
  options.progress = [&](const BuildProgress& p) {
    if (p.seconds - last < 10 && p.done != p.total) return;
    last = p.seconds;
    std::fprintf(stderr, "[%7.1fs] %-9s %lld/%lld docs, %lld tokens, RSS %.2f GiB\n", p.seconds, p.phase,
                 static_cast<long long>(p.done), static_cast<long long>(p.total), static_cast<long long>(p.tokens),
                 CurrentRssGiB());
  };
  auto stats = BuildIndex(**store, source, options);
  if (!stats.ok()) {
    std::fprintf(stderr, "build failed: %s\n", stats.status().ToString().c_str());
    return 1;
  }
  const auto t = Clock::now();
  if (auto s = (*store)->Compact(); !s.ok()) {
    std::fprintf(stderr, "compact failed: %s\n", s.ToString().c_str());
    return 1;
  }
  const double compact_seconds = Seconds(t);
  auto disk = (*store)->DiskBytes();
  const double bytes_per_token = disk.ok() ? static_cast<double>(*disk) / stats->tokens : 0;
  std::printf("| docs | tokens | centroids | sample docs / tokens | sample s | k-means s | encode+write s | "
              "of which generating s | compress+write tokens/s | compact s | total s | peak RSS GiB | disk MiB | bytes/token |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::printf("| %lld | %lld | %lld | %lld / %lld | %.1f | %.1f | %.1f | %.1f | %.0f | %.1f | %.1f | %.2f | %.1f | %.2f |\n",
              static_cast<long long>(stats->documents), static_cast<long long>(stats->tokens),
              static_cast<long long>(stats->centroids), static_cast<long long>(stats->sample_documents),
              static_cast<long long>(stats->sample_tokens), stats->sample_seconds, stats->train_seconds,
              stats->encode_seconds, stats->source_seconds, stats->tokens_per_second(), compact_seconds,
              stats->total_seconds + compact_seconds, PeakRssGiB(), disk.ok() ? *disk / 1048576.0 : -1.0,
              bytes_per_token);
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

int Search(const std::map<std::string, std::string>& f) {
  const std::string path = Flag(f, "store", "");
  const testing::SyntheticCorpusOptions corpus_options = CorpusOptions(f);
  testing::SyntheticCorpus corpus(corpus_options);
  const int queries = std::stoi(Flag(f, "queries", "200"));
  const int truth_queries = std::stoi(Flag(f, "truth-queries", "50"));
  const int qps_threads = std::stoi(Flag(f, "qps-threads", "2"));
  auto store = CollectionStore::Open(path, std::nullopt);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  auto t = Clock::now();
  std::shared_ptr<const StoreSnapshot> snapshot = (*store)->Snapshot();
  IndexLoadOptions load_options;
  load_options.metadata = !f.count("no-metadata");
  load_options.residuals_in_memory = !f.count("residuals-on-disk");
  auto loaded = SearchableIndex::Load(snapshot, load_options);
  if (!loaded.ok()) {
    std::fprintf(stderr, "load failed: %s\n", loaded.status().ToString().c_str());
    return 1;
  }
  std::shared_ptr<const SearchableIndex> index = std::move(*loaded);
  PlaidSearcher searcher(index);
  const double load_seconds = Seconds(t);
  const int64_t n = index->num_documents();
  std::printf("loaded %lld docs, %lld tokens, %d centroids in %.1f s; index structures %.2f GiB, RSS %.2f GiB\n\n",
              static_cast<long long>(n), static_cast<long long>(index->num_tokens()),
              index->codec().num_centroids(), load_seconds, index->MemoryBytes() / 1073741824.0, CurrentRssGiB());

  // Queries near documents spread over the collection (external id doc-i is slot i).
  std::vector<std::vector<float>> storage;
  std::vector<TokenMatrix> matrices;
  for (int q = 0; q < queries; ++q) {
    storage.push_back(corpus.QueryNear((static_cast<int64_t>(q) * 7919 + 13) % n, 1000 + q));
  }
  for (const auto& v : storage) matrices.push_back({v.data(), corpus_options.query_tokens, corpus_options.dim});

  std::optional<MetadataFilter> filter;
  if (f.count("filter")) {
    auto parsed = ParseMetadataFilter(f.at("filter"));
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s\n", parsed.status().ToString().c_str());
      return 2;
    }
    filter = *parsed;
  }
  std::vector<SearchOptions> settings;
  for (double k : List(Flag(f, "k", "10,100,1000"))) {
    std::vector<double> ncells = List(Flag(f, "ncells", "0")), thresholds = List(Flag(f, "threshold", "-1")),
                        ndocs = List(Flag(f, "ndocs", "0"));
    for (double c : ncells) {
      for (double th : thresholds) {
        for (double d : ndocs) {
          SearchOptions o;
          o.k = static_cast<int>(k);
          o.ncells = static_cast<int>(c);
          o.centroid_score_threshold = static_cast<float>(th);
          o.ndocs = static_cast<int>(d);
          if (filter) o.filter = &*filter;
          settings.push_back(o);
        }
      }
    }
  }
  // Ground truth: exhaustive top-(largest k) once per query (all cores);
  // the top-k for smaller k is its prefix.
  int max_k = 1;
  for (const SearchOptions& o : settings) max_k = std::max(max_k, o.k);
  std::vector<std::vector<SearchHit>> truth_all;
  t = Clock::now();
  for (int q = 0; q < std::min(truth_queries, queries); ++q) {
    SearchOptions o;
    o.k = max_k;
    if (filter) o.filter = &*filter;
    auto hits = searcher.Exhaustive(matrices[q], o);
    if (!hits.ok()) {
      std::fprintf(stderr, "exhaustive failed: %s\n", hits.status().ToString().c_str());
      return 1;
    }
    truth_all.push_back(*hits);
  }
  std::fprintf(stderr, "exhaustive truth: %.2f s per query\n", Seconds(t) / std::max(1, std::min(truth_queries, queries)));
  std::map<int, std::vector<std::vector<SearchHit>>> truth;
  for (const SearchOptions& o : settings) {
    auto& per_query = truth[o.k];
    if (!per_query.empty()) continue;
    for (const auto& hits : truth_all) {
      per_query.emplace_back(hits.begin(), hits.begin() + std::min<size_t>(hits.size(), o.k));
    }
  }

  if (filter) std::printf("filter: %s\n\n", f.at("filter").c_str());
  std::printf("| k | ncells | threshold | ndocs | recall@k | p50 ms | p99 ms | mean ms | scores | cands | "
              "pruned | full | exact | kept centroids | candidates | exact docs | QPS (%d threads) |\n", qps_threads);
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const SearchOptions& requested : settings) {
    const SearchOptions o = ResolveSearchOptions(requested);
    std::vector<double> latency;
    SearchProfile sum;
    double recall = 0;
    int64_t candidates = 0, exact = 0, kept = 0;
    {
      tbb::task_arena single(1);
      single.execute([&] {
        for (int q = 0; q < queries; ++q) {
          SearchProfile p;
          auto hits = searcher.Search(matrices[q], o, &p);
          if (!hits.ok()) {
            std::fprintf(stderr, "search failed: %s\n", hits.status().ToString().c_str());
            std::exit(1);
          }
          latency.push_back(p.total_ms);
          sum.centroid_scores_ms += p.centroid_scores_ms;
          sum.candidates_ms += p.candidates_ms;
          sum.pruned_interaction_ms += p.pruned_interaction_ms;
          sum.full_interaction_ms += p.full_interaction_ms;
          sum.exact_ms += p.exact_ms;
          candidates += p.candidates;
          kept += p.kept_centroids;
          exact += p.exact_scored;
          if (q < static_cast<int>(truth[o.k].size())) {
            std::set<uint32_t> want;
            for (const SearchHit& h : truth[o.k][q]) want.insert(h.doc_id);
            int found = 0;
            for (const SearchHit& h : *hits) found += want.count(h.doc_id);
            recall += want.empty() ? 1.0 : static_cast<double>(found) / want.size();
          }
        }
      });
    }
    double qps = 0;
    {
      tbb::task_arena arena(qps_threads);
      arena.execute([&] {
        const auto start = Clock::now();
        auto results = searcher.SearchBatch(matrices, o);
        qps = queries / Seconds(start);
      });
    }
    double mean = 0;
    for (double v : latency) mean += v;
    mean /= queries;
    const int tq = static_cast<int>(truth[o.k].size());
    std::printf("| %d | %d | %.2f | %d | %.4f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %lld | %lld | %lld | %.0f |\n",
                o.k, o.ncells, o.centroid_score_threshold, o.ndocs, tq ? recall / tq : -1.0,
                Percentile(latency, 0.5), Percentile(latency, 0.99), mean, sum.centroid_scores_ms / queries,
                sum.candidates_ms / queries, sum.pruned_interaction_ms / queries, sum.full_interaction_ms / queries,
                sum.exact_ms / queries, static_cast<long long>(kept / queries),
                static_cast<long long>(candidates / queries),
                static_cast<long long>(exact / queries), qps);
    std::fflush(stdout);
  }
  std::printf("\npeak RSS %.2f GiB\n", PeakRssGiB());
  return 0;
}

}  // namespace
}  // namespace lateral

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: index_bench build|search --store DIR [flags]\n");
    return 2;
  }
  const std::string command = argv[1];
  const auto flags = lateral::ParseFlags(argc, argv, 2);
  if (lateral::Flag(flags, "store", "").empty()) {
    std::fprintf(stderr, "--store DIR is required\n");
    return 2;
  }
  if (command == "build") return lateral::Build(flags);
  if (command == "search") return lateral::Search(flags);
  std::fprintf(stderr, "unknown command %s (build or search)\n", command.c_str());
  return 2;
}
