// Index and search quality with vectors from a real encoder: a ColBERT model
// directory (the fixture model tests/data/colbert-tiny by default) encodes
// documents and queries of a BEIR-layout corpus; the benchmark builds an
// index and compares default search with exhaustive MaxSim.
//
//   model_index_bench --model DIR --corpus corpus.jsonl --queries queries.jsonl --store DIR
//                     [--docs N] [--query-count Q] [--nbits B]
//
// (corpus and queries uncompressed JSON Lines with "_id" and "text"; see
// benchmarks/index/run_index_benchmarks.sh for how the shared corpora are fed.)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/json.h"
#include "encoder/colbert/colbert_encoder.h"
#include "index/index_builder.h"
#include "index/searchable_index.h"
#include "query/plaid_searcher.h"
#include "storage/collection_store.h"
#include "tbb/task_arena.h"

namespace lateral {
namespace {

using Clock = std::chrono::steady_clock;

struct Text {
  std::string id, text;
};

std::vector<Text> ReadJsonl(const std::string& path, int64_t limit) {
  std::vector<Text> out;
  std::ifstream in(path);
  std::string line;
  int64_t number = 0;
  while (static_cast<int64_t>(out.size()) < limit && std::getline(in, line)) {
    ++number;
    auto json = ParseJson(line, path + ":" + std::to_string(number));
    if (!json.ok()) continue;
    JsonObjectReader reader(*json, path);
    auto id = reader.GetString("_id");
    auto text = reader.GetString("text");
    if (id.ok() && text.ok() && !text->empty()) out.push_back({*id, *text});
  }
  return out;
}

class EncodedSource : public DocumentSource {
 public:
  EncodedSource(const ColbertEncoder& encoder, const std::vector<Text>& docs) : encoder_(encoder), docs_(docs) {}
  int64_t size() const override { return static_cast<int64_t>(docs_.size()); }
  absl::Status Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) override {
    std::vector<std::string> texts;
    for (int64_t i = begin; i < end; ++i) texts.push_back(docs_[i].text);
    auto encoded = encoder_.EncodeDocuments(texts);
    if (!encoded.ok()) return encoded.status();
    out.resize(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      out[i].record.external_id = docs_[begin + i].id;
      out[i].vectors = std::move((*encoded)[i].vectors);
    }
    return absl::OkStatus();
  }

 private:
  const ColbertEncoder& encoder_;
  const std::vector<Text>& docs_;
};

int Run(std::map<std::string, std::string> f) {
  auto encoder = ColbertEncoder::Load(f["model"]);
  if (!encoder.ok()) {
    std::fprintf(stderr, "%s\n", encoder.status().ToString().c_str());
    return 1;
  }
  const std::vector<Text> docs = ReadJsonl(f["corpus"], std::stoll(f.count("docs") ? f["docs"] : "3000"));
  const std::vector<Text> queries = ReadJsonl(f["queries"], std::stoll(f.count("query-count") ? f["query-count"] : "200"));
  auto probe = (*encoder)->EncodeQueries(std::vector<std::string>{"probe"});
  if (!probe.ok()) return 1;
  const int dim = static_cast<int>((*probe)[0].dim);
  Manifest manifest{1, (*encoder)->Identity(), dim, std::stoi(f.count("nbits") ? f["nbits"] : "2")};
  auto store = CollectionStore::Open(f["store"], manifest);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  EncodedSource source(**encoder, docs);
  BuildOptions options;
  options.codec.nbits = manifest.nbits;
  auto stats = BuildIndex(**store, source, options);
  if (!stats.ok()) {
    std::fprintf(stderr, "%s\n", stats.status().ToString().c_str());
    return 1;
  }
  auto snapshot = (*store)->Snapshot();
  auto loaded = SearchableIndex::Load(*snapshot);
  if (!loaded.ok()) return 1;
  std::shared_ptr<const SearchableIndex> index = std::move(*loaded);
  PlaidSearcher searcher(index);
  std::vector<std::string> texts;
  for (const Text& q : queries) texts.push_back(q.text);
  auto encoded = (*encoder)->EncodeQueries(texts);
  if (!encoded.ok()) return 1;
  std::printf("| model | docs | tokens | centroids | dim | k | recall@k vs exhaustive | p50 ms |\n|---|---|---|---|---|---|---|---|\n");
  for (int k : {10, 100}) {
    double recall = 0, kept = 0, candidates = 0, gap = 0;
    std::vector<double> latency;
    tbb::task_arena single(1);
    single.execute([&] {
      for (const TokenEmbeddings& q : *encoded) {
        TokenMatrix m{q.vectors.data(), q.num_vectors, q.dim};
        SearchOptions o;
        o.k = k;
        if (f.count("ncells")) o.ncells = std::stoi(f["ncells"]);
        if (f.count("threshold")) o.centroid_score_threshold = std::stof(f["threshold"]);
        if (f.count("ndocs")) o.ndocs = std::stoi(f["ndocs"]);
        SearchProfile p;
        auto fast = searcher.Search(m, o, &p);
        auto truth = searcher.Exhaustive(m, o);
        if (!fast.ok() || !truth.ok()) std::exit(1);
        latency.push_back(p.total_ms);
        kept += p.kept_centroids;
        candidates += p.candidates;
        gap += (*truth)[0].score - truth->back().score;
        std::set<uint32_t> want;
        for (const SearchHit& h : *truth) want.insert(h.doc_id);
        int found = 0;
        for (const SearchHit& h : *fast) found += want.count(h.doc_id);
        recall += want.empty() ? 1.0 : static_cast<double>(found) / want.size();
      }
    });
    std::sort(latency.begin(), latency.end());
    const double nqueries = static_cast<double>(encoded->size());
    std::fprintf(stderr, "k=%d: kept centroids %.0f, candidates %.0f, score(1) - score(k) %.4f\n", k,
                 kept / nqueries, candidates / nqueries, gap / nqueries);
    std::printf("| %s | %lld | %lld | %lld | %d | %d | %.4f | %.2f |\n", f["model"].c_str(),
                static_cast<long long>(stats->documents), static_cast<long long>(stats->tokens),
                static_cast<long long>(stats->centroids), dim, k, recall / encoded->size(),
                latency[latency.size() / 2]);
  }
  return 0;
}

}  // namespace
}  // namespace lateral

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0) {
      std::fprintf(stderr, "unexpected argument %s\n", argv[i]);
      return 2;
    }
    flags[name.substr(2)] = argv[i + 1];
  }
  for (const char* required : {"model", "corpus", "queries", "store"}) {
    if (!flags.count(required)) {
      std::fprintf(stderr, "--%s is required\n", required);
      return 2;
    }
  }
  return lateral::Run(flags);
}
