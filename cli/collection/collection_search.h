// Search over a collection: BM25, ColBERT (PLAID), their fusion, or BM25
// candidates re-ranked by exact MaxSim; filters; per-stage timings.
//
// CollectionSearcher borrows an open Collection and loads the dense side
// (encoder, in-memory index) only when a mode needs it, so a BM25 search
// touches nothing but the posting lists of the query's terms and the records
// of the hits. One searcher serves many queries; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/collection/collection.h"
#include "index/metadata_filter.h"
#include "index/searchable_index.h"
#include "ingest/walk/glob.h"
#include "query/plaid_searcher.h"

namespace lateral::cli {

enum class SearchMode { kBm25, kColbert, kHybrid, kRerank };

struct SearchRequest {
  std::string query;
  SearchMode mode = SearchMode::kBm25;
  int k = 10;
  bool weighted_fusion = false;  // else reciprocal-rank fusion
  double colbert_weight = 0.5;   // weighted fusion only
  std::string lang;              // analyser language for the query ("" = from its script)
  std::optional<MetadataFilter> where;
  std::vector<ingest::GlobPattern> path_globs;  // any must match the source path
  int candidates = 0;            // per retriever for hybrid / rerank; 0 = max(100, 4k)
  bool exhaustive = false;       // ColBERT: exact MaxSim over every passage (the oracle)
  bool term_stats = false;       // fill SearchResponse::query_terms (--explain; one extra read per term)
};

struct ResultHit {
  uint32_t doc_id = 0;
  float score = 0;                // of the mode: BM25, MaxSim, or the fused score
  std::optional<float> bm25, colbert;
  int bm25_rank = 0, colbert_rank = 0;  // 1-based within each retriever; 0 = not retrieved by it
  DocumentRecord record;
};

struct QueryTermStat {
  std::string term;
  int64_t document_frequency = 0;
};

struct SearchResponse {
  std::vector<ResultHit> hits;
  std::vector<std::pair<std::string, double>> timings_ms;  // stage name -> wall time
  std::vector<QueryTermStat> query_terms;                  // analysed query terms (BM25 modes, term_stats)
  std::optional<SearchProfile> colbert_profile;
};

class CollectionSearcher {
 public:
  explicit CollectionSearcher(Collection& collection) : collection_(collection) {}

  absl::StatusOr<SearchResponse> Search(const SearchRequest& request);

  // Loads the encoder and the index now (otherwise the first ColBERT search
  // does), reporting the time on `timings` when given.
  absl::Status LoadDense(std::vector<std::pair<std::string, double>>* timings = nullptr);

  // Off: LoadDense builds the index from the store even when a current
  // mapped index exists, and writes none (eval's scratch collections,
  // `search --no-mapped-index`). Call before the first search.
  void set_use_mapped_index(bool use) { use_mapped_index_ = use; }

 private:
  struct Ranked {
    uint32_t doc_id;
    float score;
  };
  absl::StatusOr<std::vector<Ranked>> Bm25(const SearchRequest& request, size_t want, SearchResponse& response);
  absl::StatusOr<std::vector<Ranked>> Colbert(const SearchRequest& request, size_t want,
                                              const std::vector<uint32_t>* only_docs, SearchResponse& response);
  // Post-filter on what the record says (metadata --where, path globs).
  absl::StatusOr<bool> Passes(const SearchRequest& request, const DocumentRecord& record) const;
  absl::StatusOr<DocumentRecord> Record(uint32_t doc_id);

  Collection& collection_;
  std::shared_ptr<const StoreSnapshot> snapshot_;
  std::shared_ptr<SearchableIndex> index_;
  std::unique_ptr<PlaidSearcher> plaid_;
  bool use_mapped_index_ = true;
};

// The memory-mapped search index of a ColBERT collection
// (index/mapped_index.h): a file derived from the store, kept inside the store
// directory so that it moves with the store when `lateral reindex` swaps
// stores, and valid only for the store state (sequence number) it records.
// `lateral search` maps it instead of loading the index from the store (tens
// of milliseconds instead of seconds at 100k passages).
std::string MappedIndexPath(const std::string& store_dir);
// Writes the mapped index of `store` unless a current one is there. Writers
// call it after changing a ColBERT collection; a search that finds the file
// stale writes it too. Reads the codes from the store one document at a time.
absl::Status RefreshMappedIndex(CollectionStore& store, const std::string& store_dir);

// "bm25" | "colbert" | "hybrid" | "rerank"
std::string_view SearchModeName(SearchMode mode);

// The mode a setting names; "" is hybrid with a ColBERT model and bm25
// without. FailedPrecondition when a ColBERT mode is asked of a collection
// that has no model.
absl::StatusOr<SearchMode> ResolveSearchMode(const std::string& setting, bool has_encoder);

// A passage's metadata field as a string ("" when absent or a number), or as
// an integer (nullopt when absent or a string).
std::string MetadataString(const DocumentRecord& record, std::string_view name);
std::optional<int64_t> MetadataInteger(const DocumentRecord& record, std::string_view name);

}  // namespace lateral::cli
