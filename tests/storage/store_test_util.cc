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
  return CheckLexicalInvariants(snapshot);
}

std::map<std::string, std::vector<LexicalPosting>> ExpectedPostings(
    const std::map<uint32_t, LexicalTerms>& terms_of) {
  std::map<std::string, std::vector<LexicalPosting>> postings;
  for (const auto& [doc_id, terms] : terms_of) {  // ascending ids
    for (const auto& [term, tf] : terms.term_frequencies) postings[term].push_back({doc_id, tf, terms.length});
  }
  return postings;
}

::testing::AssertionResult CheckLexicalInvariants(const StoreSnapshot& snapshot) {
  std::map<uint32_t, LexicalTerms> terms_of;
  LexicalStats expected_stats;
  absl::Status s = snapshot.ForEachDocument([&](uint32_t doc_id, const DocumentRecord&) -> absl::Status {
    auto terms = snapshot.GetLexicalTerms(doc_id);
    if (!terms.ok()) return terms.status();
    if (!terms->has_value()) return absl::OkStatus();
    const LexicalTerms& t = **terms;
    if (t.term_frequencies.empty()) return absl::InternalError(absl::StrCat("doc ", doc_id, ": empty terms record"));
    uint64_t sum = 0;
    for (const auto& [term, tf] : t.term_frequencies) sum += tf;
    if (sum != t.length) return absl::InternalError(absl::StrCat("doc ", doc_id, ": length != sum of tf"));
    terms_of[doc_id] = t;
    ++expected_stats.num_documents;
    expected_stats.total_length += t.length;
    return absl::OkStatus();
  });
  if (!s.ok()) return ::testing::AssertionFailure() << "lexical terms: " << s;
  const auto expected = ExpectedPostings(terms_of);
  std::set<std::string> terms;
  for (int i = 0; i < kTestVocabulary; ++i) terms.insert(TestTerm(i));
  for (const auto& [term, postings] : expected) terms.insert(term);
  for (const std::string& term : terms) {
    auto postings = snapshot.GetLexicalPostings(term);
    if (!postings.ok()) return ::testing::AssertionFailure() << postings.status();
    auto it = expected.find(term);
    const std::vector<LexicalPosting> want = it == expected.end() ? std::vector<LexicalPosting>() : it->second;
    if (postings->size() != want.size()) {
      return ::testing::AssertionFailure() << "term \"" << term << "\": " << postings->size()
                                           << " postings, expected " << want.size();
    }
    for (size_t i = 0; i < want.size(); ++i) {
      const LexicalPosting& a = (*postings)[i];
      const LexicalPosting& b = want[i];
      if (a.doc_id != b.doc_id || a.term_frequency != b.term_frequency || a.doc_length != b.doc_length) {
        return ::testing::AssertionFailure()
               << "term \"" << term << "\" posting " << i << ": (" << a.doc_id << ", " << a.term_frequency << ", "
               << a.doc_length << "), expected (" << b.doc_id << ", " << b.term_frequency << ", " << b.doc_length
               << ")";
      }
    }
  }
  auto stats = snapshot.GetLexicalStats();
  if (!stats.ok()) return ::testing::AssertionFailure() << stats.status();
  if (stats->num_documents != expected_stats.num_documents || stats->total_length != expected_stats.total_length) {
    return ::testing::AssertionFailure() << "lexical stats (" << stats->num_documents << ", " << stats->total_length
                                         << "), documents say (" << expected_stats.num_documents << ", "
                                         << expected_stats.total_length << ")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace lateral::testing
