// Value types of the lexical (BM25) side of a collection, shared by the store
// that keeps them (storage/), the analyser that produces them (index/lexical/)
// and the searcher that reads them (query/lexical/).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lateral {

// What a document contributes to the lexical index: each distinct analysed
// term with its frequency in the document, and the document's length in
// analysed terms (the sum of the frequencies).
struct LexicalTerms {
  std::vector<std::pair<std::string, uint32_t>> term_frequencies;  // distinct terms, any order
  uint32_t length = 0;
};

// One document in a term's posting list. The document length travels with
// the posting so that BM25 needs no second lookup per candidate.
struct LexicalPosting {
  uint32_t doc_id = 0;
  uint32_t term_frequency = 0;
  uint32_t doc_length = 0;
};

// Collection-wide statistics for BM25: live documents that have lexical
// terms, and the sum of their lengths.
struct LexicalStats {
  int64_t num_documents = 0;
  int64_t total_length = 0;
};

}  // namespace lateral
