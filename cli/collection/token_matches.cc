#include "cli/collection/token_matches.h"

#include <algorithm>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace {

// ColbertEncoder::Prepare puts its marker right after the first token (BOS).
constexpr size_t kMarkerPosition = 1;

// The text the tokenizer's decoder emits for each position (empty for the
// marker and special tokens), and their concatenation.
struct DecodedTokens {
  std::vector<std::string> pieces;
  std::vector<size_t> offsets;  // of each piece in `text`
  std::string text;
};

DecodedTokens DecodeEach(const Tokenizer& tokenizer, absl::Span<const int32_t> ids) {
  DecodedTokens out;
  std::unique_ptr<StreamingDecoder> decoder = tokenizer.NewStreamingDecoder(/*skip_special_tokens=*/true);
  for (size_t t = 0; t < ids.size(); ++t) {
    std::string piece = t == kMarkerPosition ? "" : decoder->Push(ids[t]);
    if (t + 1 == ids.size()) piece += decoder->Finish();
    out.offsets.push_back(out.text.size());
    out.text += piece;
    out.pieces.push_back(std::move(piece));
  }
  return out;
}

float Dot(const float* a, const float* b, int64_t dim) {
  float sum = 0;
  for (int64_t i = 0; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

absl::StatusOr<std::vector<PassageMatches>> MatchQueryTokens(const ColbertEncoder& encoder, const std::string& query,
                                                             absl::Span<const std::string> passages) {
  const Tokenizer& tokenizer = encoder.tokenizer();

  LATERAL_ASSIGN_OR_RETURN(ColbertInput query_input, encoder.PrepareQuery(query));
  LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> query_vectors, encoder.EncodeQueries({query}));
  const TokenEmbeddings& q = query_vectors[0];
  std::vector<int64_t> query_vector_of(query_input.ids.size(), -1);
  int64_t kept = 0;
  for (size_t t = 0; t < query_input.ids.size(); ++t) {
    if (encoder.KeepsVector(query_input, t, /*is_query=*/true)) query_vector_of[t] = kept++;
  }
  if (kept != q.num_vectors || q.input_ids != query_input.ids) {
    return absl::InternalError(absl::StrCat("the query's ", q.num_vectors, " vectors do not map to its ",
                                            query_input.ids.size(), " tokens as expected"));
  }
  const DecodedTokens query_tokens = DecodeEach(tokenizer, query_input.ids);

  std::vector<std::string> texts(passages.begin(), passages.end());
  LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> documents, encoder.EncodeDocuments(texts));
  std::vector<PassageMatches> out(passages.size());
  const int64_t dim = q.dim;
  for (size_t p = 0; p < passages.size(); ++p) {
    const TokenEmbeddings& d = documents[p];
    LATERAL_ASSIGN_OR_RETURN(ColbertInput document_input, encoder.PrepareDocument(passages[p]));
    if (document_input.ids != d.input_ids) {
      return absl::InternalError(absl::StrCat("passage ", p, ": its tokens differ from those it was encoded with"));
    }
    std::vector<size_t> position_of_vector;
    for (size_t t = 0; t < d.input_ids.size(); ++t) {
      if (encoder.KeepsVector(document_input, t, /*is_query=*/false)) position_of_vector.push_back(t);
    }
    if (static_cast<int64_t>(position_of_vector.size()) != d.num_vectors) {
      return absl::InternalError(absl::StrCat("passage ", p, ": ", d.num_vectors, " vectors do not map to its ",
                                              d.input_ids.size(), " tokens as expected"));
    }
    const DecodedTokens passage_tokens = DecodeEach(tokenizer, d.input_ids);
    // The decoded tokens are the passage's text (or its start, when the
    // passage was truncated to the document length) unless the tokenizer
    // normalises; then spans are not shown.
    const bool aligned = passages[p].compare(0, passage_tokens.text.size(), passage_tokens.text) == 0;

    auto best_of = [&](const float* qv) {
      int64_t best = -1;
      float best_sim = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < d.num_vectors; ++j) {
        const float sim = Dot(qv, d.vectors.data() + j * dim, dim);
        if (sim > best_sim) best_sim = sim, best = j;
      }
      return std::make_pair(best, best_sim);
    };
    PassageMatches& matches = out[p];
    for (int64_t v = 0; v < q.num_vectors; ++v) {
      if (d.num_vectors > 0) matches.exact_score += best_of(q.vectors.data() + v * dim).second;
    }
    for (size_t t = 0; t < query_input.ids.size(); ++t) {
      const bool real = t != kMarkerPosition && query_input.attention_mask[t] && !tokenizer.IsSpecial(query_input.ids[t]);
      if (!real || query_vector_of[t] < 0 || d.num_vectors == 0) continue;
      auto [j, sim] = best_of(q.vectors.data() + query_vector_of[t] * dim);
      const size_t position = position_of_vector[j];
      TokenMatch match;
      match.query_token = query_tokens.pieces[t];
      match.passage_token = passage_tokens.pieces[position];
      match.similarity = sim;
      if (match.passage_token.empty() && (position == kMarkerPosition || tokenizer.IsSpecial(d.input_ids[position]))) {
        // BOS or the document marker: no text of the passage, shown by name.
        match.passage_token = tokenizer.IdToToken(d.input_ids[position]).value_or("");
      } else if (aligned && !match.passage_token.empty()) {
        match.located = true;
        match.byte_begin = passage_tokens.offsets[position];
        match.byte_end = match.byte_begin + passage_tokens.pieces[position].size();
      }
      matches.tokens.push_back(std::move(match));
    }
  }
  return out;
}

}  // namespace lateral::cli
