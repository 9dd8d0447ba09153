#include "cli/collection/collection_search.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "index/mapped_index.h"
#include "query/lexical/bm25_searcher.h"
#include "query/lexical/fusion.h"
#include "query/maxsim.h"

namespace lateral::cli {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// BM25 reads posting lists straight from the store snapshot.
class SnapshotPostings : public LexicalPostingSource {
 public:
  explicit SnapshotPostings(const StoreSnapshot& snapshot) : snapshot_(snapshot) {}
  absl::StatusOr<std::vector<LexicalPosting>> Postings(const std::string& term) const override {
    return snapshot_.GetLexicalPostings(term);
  }
  absl::StatusOr<LexicalStats> Stats() const override { return snapshot_.GetLexicalStats(); }

 private:
  const StoreSnapshot& snapshot_;
};


}  // namespace

std::string MetadataString(const DocumentRecord& record, std::string_view name) {
  auto it = record.metadata.find(std::string(name));
  if (it == record.metadata.end()) return "";
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  return "";
}

std::optional<int64_t> MetadataInteger(const DocumentRecord& record, std::string_view name) {
  auto it = record.metadata.find(std::string(name));
  if (it == record.metadata.end()) return std::nullopt;
  if (const auto* d = std::get_if<double>(&it->second)) return static_cast<int64_t>(*d);
  return std::nullopt;
}

absl::StatusOr<SearchMode> ResolveSearchMode(const std::string& setting, bool has_encoder) {
  const std::string mode = setting.empty() ? (has_encoder ? "hybrid" : "bm25") : setting;
  if (mode != "bm25" && !has_encoder) {
    return absl::FailedPreconditionError(absl::StrCat(
        "mode ", mode, " needs a ColBERT model, and this collection has none (BM25 only); add one with "
        "`lateral reindex --model ORG/NAME`"));
  }
  if (mode == "bm25") return SearchMode::kBm25;
  if (mode == "colbert") return SearchMode::kColbert;
  if (mode == "rerank") return SearchMode::kRerank;
  if (mode == "hybrid") return SearchMode::kHybrid;
  return absl::InvalidArgumentError(absl::StrCat("unknown search mode \"", mode,
                                                 "\"; expected bm25, colbert, hybrid or rerank"));
}

std::string_view SearchModeName(SearchMode mode) {
  switch (mode) {
    case SearchMode::kBm25: return "bm25";
    case SearchMode::kColbert: return "colbert";
    case SearchMode::kHybrid: return "hybrid";
    case SearchMode::kRerank: return "rerank";
  }
  return "?";
}

absl::StatusOr<DocumentRecord> CollectionSearcher::Record(uint32_t doc_id) {
  LATERAL_ASSIGN_OR_RETURN(std::optional<DocumentRecord> record, snapshot_->GetDocument(doc_id));
  if (!record.has_value()) {
    return absl::DataLossError(absl::StrCat(collection_.paths().store_dir, ": passage ", doc_id,
                                            " is indexed but has no record"));
  }
  return std::move(*record);
}

absl::StatusOr<bool> CollectionSearcher::Passes(const SearchRequest& request, const DocumentRecord& record) const {
  if (request.where.has_value()) {
    LATERAL_ASSIGN_OR_RETURN(bool ok, MatchesMetadata(*request.where, record.metadata));
    if (!ok) return false;
  }
  if (!request.path_globs.empty()) {
    std::string path = MetadataString(record, "path");
    // Globs are written relative to the collection folder, like .gitignore.
    const std::string& root = collection_.paths().root;
    std::string relative = path.rfind(root + "/", 0) == 0 ? path.substr(root.size() + 1) : path;
    bool any = false;
    for (const ingest::GlobPattern& glob : request.path_globs) any |= glob.Matches(relative);
    if (!any) return false;
  }
  return true;
}

absl::Status CollectionSearcher::LoadDense(std::vector<std::pair<std::string, double>>* timings) {
  if (plaid_ != nullptr) return absl::OkStatus();
  Clock::time_point t = Clock::now();
  LATERAL_RETURN_IF_ERROR(collection_.Encoder().status());
  if (timings != nullptr) timings->push_back({"load model", MsSince(t)});
  t = Clock::now();
  const std::string mapped_path = MappedIndexPath(collection_.paths().store_dir);
  absl::StatusOr<std::unique_ptr<SearchableIndex>> mapped =
      use_mapped_index_ ? OpenMappedIndex(mapped_path, snapshot_->SequenceNumber())
                        : absl::StatusOr<std::unique_ptr<SearchableIndex>>(absl::CancelledError("not used"));
  if (mapped.ok()) {
    index_ = std::move(*mapped);
    plaid_ = std::make_unique<PlaidSearcher>(index_);
    if (timings != nullptr) timings->push_back({"map index", MsSince(t)});
    return absl::OkStatus();
  }
  // Missing, stale (a write after the last `lateral add`) or damaged: load
  // from the store, and write the file for the next search (best effort: a
  // read-only file system or a concurrent writer only costs the next search
  // the same load).
  IndexLoadOptions options;
  options.metadata = true;
  options.residuals_in_memory = true;
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<SearchableIndex> index, SearchableIndex::Load(*snapshot_, options));
  index_ = std::move(index);
  plaid_ = std::make_unique<PlaidSearcher>(index_);
  if (timings != nullptr) timings->push_back({"load index", MsSince(t)});
  t = Clock::now();
  if (use_mapped_index_ && WriteMappedIndex(*index_, snapshot_->SequenceNumber(), mapped_path).ok() &&
      timings != nullptr) {
    timings->push_back({"write mapped index", MsSince(t)});
  }
  return absl::OkStatus();
}

std::string MappedIndexPath(const std::string& store_dir) {
  return (std::filesystem::path(store_dir) / "lateral-search.index").string();
}

absl::Status RefreshMappedIndex(CollectionStore& store, const std::string& store_dir) {
  std::shared_ptr<const StoreSnapshot> snapshot = store.Snapshot();
  const std::string path = MappedIndexPath(store_dir);
  if (OpenMappedIndex(path, snapshot->SequenceNumber()).ok()) return absl::OkStatus();
  IndexLoadOptions options;
  options.metadata = false;
  options.residuals_in_memory = false;
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<SearchableIndex> index, SearchableIndex::Load(snapshot, options));
  return WriteMappedIndex(*index, snapshot->SequenceNumber(), path);
}

absl::StatusOr<std::vector<CollectionSearcher::Ranked>> CollectionSearcher::Bm25(const SearchRequest& request,
                                                                                 size_t want,
                                                                                 SearchResponse& response) {
  Clock::time_point t = Clock::now();
  std::vector<AnalyzedToken> tokens = collection_.analyzer().Analyze(request.query, request.lang);
  std::vector<std::string> terms;
  for (AnalyzedToken& token : tokens) terms.push_back(std::move(token.term));
  SnapshotPostings source(*snapshot_);
  absl::flat_hash_set<std::string> seen;
  for (const std::string& term : request.term_stats ? terms : std::vector<std::string>()) {
    if (!seen.insert(term).second) continue;
    LATERAL_ASSIGN_OR_RETURN(std::vector<LexicalPosting> postings, source.Postings(term));
    response.query_terms.push_back({term, static_cast<int64_t>(postings.size())});
  }
  std::vector<Ranked> kept;
  if (terms.empty()) return kept;
  const bool filtered = request.where.has_value() || !request.path_globs.empty();
  size_t fetch = filtered ? std::max<size_t>(want * 4, 64) : want;
  while (true) {
    Bm25Options options;
    options.k = fetch;
    LATERAL_ASSIGN_OR_RETURN(std::vector<LexicalHit> hits, SearchBm25(source, terms, options));
    kept.clear();
    for (const LexicalHit& hit : hits) {
      if (filtered) {
        LATERAL_ASSIGN_OR_RETURN(DocumentRecord record, Record(hit.doc_id));
        LATERAL_ASSIGN_OR_RETURN(bool ok, Passes(request, record));
        if (!ok) continue;
      }
      kept.push_back({hit.doc_id, hit.score});
      if (kept.size() == want) break;
    }
    // Too few passed the filter while more matches exist: look deeper.
    if (kept.size() == want || hits.size() < fetch) break;
    fetch *= 8;
  }
  response.timings_ms.push_back({"bm25", MsSince(t)});
  return kept;
}

absl::StatusOr<std::vector<CollectionSearcher::Ranked>> CollectionSearcher::Colbert(
    const SearchRequest& request, size_t want, const std::vector<uint32_t>* only_docs, SearchResponse& response) {
  LATERAL_RETURN_IF_ERROR(LoadDense(&response.timings_ms));
  Clock::time_point t = Clock::now();
  LATERAL_ASSIGN_OR_RETURN(const ColbertEncoder* encoder, collection_.Encoder());
  LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> encoded,
                           encoder->EncodeQueries(std::vector<std::string>{request.query}));
  response.timings_ms.push_back({"encode query", MsSince(t)});
  t = Clock::now();
  TokenMatrix query{encoded[0].vectors.data(), encoded[0].num_vectors, encoded[0].dim};
  std::vector<Ranked> kept;
  std::vector<uint8_t> allowed;
  SearchOptions options;
  // A mapped index has no metadata columns: --where then filters the hits'
  // records, as --path does.
  const bool index_filters = request.where.has_value() && index_->metadata().num_slots() > 0;
  options.filter = index_filters ? &*request.where : nullptr;
  const bool post_filter = !request.path_globs.empty() || (request.where.has_value() && !index_filters);
  if (only_docs != nullptr) {
    allowed.assign(index_->num_documents(), 0);
    for (uint32_t doc : *only_docs) {
      int64_t slot = index_->SlotOf(doc);
      if (slot >= 0) allowed[slot] = 1;
    }
    options.allowed_slots = &allowed;
  }
  size_t fetch = post_filter ? std::max<size_t>(want * 4, 64) : want;
  while (true) {
    options.k = static_cast<int>(fetch);
    SearchProfile profile;
    absl::StatusOr<std::vector<SearchHit>> hits = (request.exhaustive || only_docs != nullptr)
                                                      ? plaid_->Exhaustive(query, options)
                                                      : plaid_->Search(query, options, &profile);
    if (!hits.ok()) return hits.status();
    if (!request.exhaustive && only_docs == nullptr) response.colbert_profile = profile;
    kept.clear();
    for (const SearchHit& hit : *hits) {
      if (post_filter) {
        LATERAL_ASSIGN_OR_RETURN(DocumentRecord record, Record(hit.doc_id));
        LATERAL_ASSIGN_OR_RETURN(bool ok, Passes(request, record));
        if (!ok) continue;
      }
      kept.push_back({hit.doc_id, hit.score});
      if (kept.size() == want) break;
    }
    if (kept.size() == want || hits->size() < fetch || fetch >= static_cast<size_t>(index_->num_documents())) break;
    fetch *= 8;
  }
  response.timings_ms.push_back({only_docs != nullptr ? "maxsim rerank" : "colbert search", MsSince(t)});
  return kept;
}

absl::StatusOr<SearchResponse> CollectionSearcher::Search(const SearchRequest& request) {
  if (request.k <= 0) return absl::InvalidArgumentError("k must be positive");
  Clock::time_point start = Clock::now();
  SearchResponse response;
  snapshot_ = collection_.store().Snapshot();
  if (index_ != nullptr) {
    // The dense index was loaded from an earlier snapshot; a read-only store
    // does not change under it, so keep using both.
  }
  const size_t k = static_cast<size_t>(request.k);
  const size_t candidates = request.candidates > 0 ? request.candidates : std::max<size_t>(100, 4 * k);
  std::vector<Ranked> bm25, colbert, final_list;
  switch (request.mode) {
    case SearchMode::kBm25: {
      LATERAL_ASSIGN_OR_RETURN(bm25, Bm25(request, k, response));
      final_list = bm25;
      break;
    }
    case SearchMode::kColbert: {
      LATERAL_ASSIGN_OR_RETURN(colbert, Colbert(request, k, nullptr, response));
      final_list = colbert;
      break;
    }
    case SearchMode::kRerank: {
      LATERAL_ASSIGN_OR_RETURN(bm25, Bm25(request, candidates, response));
      std::vector<uint32_t> docs;
      for (const Ranked& r : bm25) docs.push_back(r.doc_id);
      if (!docs.empty()) {
        LATERAL_ASSIGN_OR_RETURN(colbert, Colbert(request, k, &docs, response));
      }
      final_list = colbert;
      break;
    }
    case SearchMode::kHybrid: {
      LATERAL_ASSIGN_OR_RETURN(bm25, Bm25(request, candidates, response));
      LATERAL_ASSIGN_OR_RETURN(colbert, Colbert(request, candidates, nullptr, response));
      Clock::time_point t = Clock::now();
      std::vector<std::vector<RankedHit>> lists(2);
      for (const Ranked& r : colbert) lists[0].push_back({r.doc_id, r.score});
      for (const Ranked& r : bm25) lists[1].push_back({r.doc_id, r.score});
      std::vector<RankedHit> fused =
          request.weighted_fusion
              ? FuseWeighted(lists, {request.colbert_weight, 1 - request.colbert_weight}, k)
              : FuseReciprocalRank(lists, 60, k);
      for (const RankedHit& h : fused) final_list.push_back({h.doc_id, h.score});
      response.timings_ms.push_back({"fusion", MsSince(t)});
      break;
    }
  }
  if (final_list.size() > k) final_list.resize(k);
  Clock::time_point t = Clock::now();
  absl::flat_hash_map<uint32_t, std::pair<float, int>> bm25_of, colbert_of;
  for (size_t i = 0; i < bm25.size(); ++i) bm25_of[bm25[i].doc_id] = {bm25[i].score, static_cast<int>(i + 1)};
  for (size_t i = 0; i < colbert.size(); ++i) colbert_of[colbert[i].doc_id] = {colbert[i].score, static_cast<int>(i + 1)};
  for (const Ranked& r : final_list) {
    ResultHit hit;
    hit.doc_id = r.doc_id;
    hit.score = r.score;
    if (auto it = bm25_of.find(r.doc_id); it != bm25_of.end()) {
      hit.bm25 = it->second.first;
      hit.bm25_rank = it->second.second;
    }
    if (auto it = colbert_of.find(r.doc_id); it != colbert_of.end()) {
      hit.colbert = it->second.first;
      hit.colbert_rank = it->second.second;
    }
    LATERAL_ASSIGN_OR_RETURN(hit.record, Record(r.doc_id));
    response.hits.push_back(std::move(hit));
  }
  response.timings_ms.push_back({"fetch passages", MsSince(t)});
  response.timings_ms.push_back({"total", MsSince(start)});
  return response;
}

}  // namespace lateral::cli
