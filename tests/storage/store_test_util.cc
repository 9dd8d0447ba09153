#include "tests/storage/store_test_util.h"

#include <algorithm>
#include <map>
#include <set>

namespace lateral::testing {

::testing::AssertionResult CheckStoreInvariants(const StoreSnapshot& snapshot, int num_centroids) {
  std::map<uint32_t, std::string> documents;  // id -> external id
  absl::Status s = snapshot.ForEachDocument([&](uint32_t doc_id, const DocumentRecord& record) {
    documents[doc_id] = record.external_id;
    return absl::OkStatus();
  });
  if (!s.ok()) return ::testing::AssertionFailure() << "ForEachDocument: " << s;
  if (snapshot.NumDocuments() != static_cast<int64_t>(documents.size())) {
    return ::testing::AssertionFailure()
           << "NumDocuments() " << snapshot.NumDocuments() << " but " << documents.size() << " documents";
  }
  std::map<uint32_t, std::set<uint32_t>> centroids_of;  // doc id -> distinct centroids
  s = snapshot.ForEachCodes([&](uint32_t doc_id, const DocumentCodes& codes) {
    if (!documents.count(doc_id))
      return absl::InternalError(absl::StrCat("codes of doc ", doc_id, " without document"));
    centroids_of[doc_id] = std::set<uint32_t>(codes.centroid_ids.begin(), codes.centroid_ids.end());
    return absl::OkStatus();
  });
  if (!s.ok()) return ::testing::AssertionFailure() << "ForEachCodes: " << s;
  for (const auto& [doc_id, external_id] : documents) {
    if (!centroids_of.count(doc_id))
      return ::testing::AssertionFailure() << "doc " << doc_id << " has no codes";
    auto mapped = snapshot.LookupExternalId(external_id);
    if (!mapped.ok()) return ::testing::AssertionFailure() << mapped.status();
    if (*mapped != doc_id) {
      return ::testing::AssertionFailure()
             << "external id \"" << external_id << "\" of doc " << doc_id << " maps to "
             << (mapped->has_value() ? std::to_string(**mapped) : "nothing");
    }
  }
  std::map<uint32_t, std::set<uint32_t>> posted;  // doc id -> centroids with a posting
  for (int c = 0; c < num_centroids; ++c) {
    auto postings = snapshot.GetPostings(c);
    if (!postings.ok()) return ::testing::AssertionFailure() << postings.status();
    if (!std::is_sorted(postings->begin(), postings->end())) {
      return ::testing::AssertionFailure() << "postings of centroid " << c << " not ascending";
    }
    for (uint32_t doc_id : *postings) {
      auto it = centroids_of.find(doc_id);
      if (it == centroids_of.end()) {
        return ::testing::AssertionFailure()
               << "posting (" << c << ", " << doc_id << ") of a missing document";
      }
      if (!it->second.count(c)) {
        return ::testing::AssertionFailure()
               << "posting (" << c << ", " << doc_id << ") but the document has no token in centroid " << c;
      }
      posted[doc_id].insert(c);
    }
  }
  for (const auto& [doc_id, centroids] : centroids_of) {
    if (posted[doc_id] != centroids) {
      return ::testing::AssertionFailure()
             << "doc " << doc_id << " has " << centroids.size() << " distinct centroids but "
             << posted[doc_id].size() << " postings";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace lateral::testing
