// Which passage token each query token matched, for `lateral search --explain`
// in the ColBERT modes.
//
// The store keeps a passage's codes grouped by centroid, not in token order,
// so the matches cannot be read back from the index: MatchQueryTokens
// re-encodes the hits' texts (one batched forward pass) and takes, for every
// real query token, the passage token with the largest dot product. That costs
// about what encoding the k passages costs, which is why only --explain asks
// for it. Spans are byte offsets into the passage text, found by decoding the
// passage's tokens one by one; a token whose bytes the decoder emits with the
// next one (a UTF-8 character split over tokens) gets an empty span.
//
// Called by the search command; needs only the encoder. Thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "encoder/colbert/colbert_encoder.h"

namespace lateral::cli {

struct TokenMatch {
  std::string query_token;    // the query token's text
  std::string passage_token;  // the best-matching passage token's text (BOS, marker: their names)
  float similarity = 0;       // dot product of the two unit vectors
  bool located = false;       // byte_begin / byte_end are valid (a token with text in the passage)
  size_t byte_begin = 0, byte_end = 0;  // in the passage text
};

struct PassageMatches {
  std::vector<TokenMatch> tokens;  // one per real query token, in query order
  // MaxSim of the uncompressed vectors, expansion tokens included: what the
  // index's score approximates.
  float exact_score = 0;
};

// Matches for each of `passages`. Fails only when encoding fails or the
// encoder's token layout disagrees with its vectors (an Internal error
// naming the mismatch).
absl::StatusOr<std::vector<PassageMatches>> MatchQueryTokens(const ColbertEncoder& encoder, const std::string& query,
                                                             absl::Span<const std::string> passages);

}  // namespace lateral::cli
