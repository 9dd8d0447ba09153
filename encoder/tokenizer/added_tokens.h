// Added tokens: strings matched in the text before pre-tokenization (internal
// to encoder/tokenizer/).
//
// A tokenizer.json lists its special tokens (<|im_start|>, BOS, ...) and other
// added tokens ("[Q] ") under "added_tokens". tokenizers finds them with a
// leftmost-longest Aho-Corasick search, in two passes: tokens with
// `normalized: false` are searched in the raw text, tokens with
// `normalized: true` in each remaining piece after normalization. Each pass is
// one AddedTokenMatcher; HfTokenizer owns both and calls Split per pass. The
// text between matches goes on to the normalizer and pre-tokenizer.
//
// Split reproduces tokenizers' AddedVocabulary::find_matches, flags included:
// `single_word` drops a match that touches a word character (Unicode \w) on
// either side, `lstrip`/`rstrip` widen the match over neighbouring white
// space. Matches are found first and the flags applied afterwards, as there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lateral::tok {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// A piece of the text handed to Split: a matched token or plain text. Pieces
// are in text order; with rstrip they may overlap the next match, exactly as in
// tokenizers (each piece is cut from the text independently).
struct TextSegment {
  size_t begin;
  size_t end;
  int32_t token_id;  // -1 for plain text
};

class AddedTokenMatcher {
 public:
  struct Pattern {
    std::string text;  // what is searched for: the content, or its normalized form
    AddedToken token;
  };

  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<Pattern> patterns);

  bool empty() const { return patterns_.empty(); }

  // Appends the segments of `text` (empty segments omitted).
  void Split(std::string_view text, std::vector<TextSegment>* out) const;

 private:
  // The longest pattern starting at text[pos], or -1.
  int LongestMatchAt(std::string_view text, size_t pos) const;

  std::vector<Pattern> patterns_;  // sorted by text, no duplicates, no empty texts
  bool first_byte_[256] = {};
};

}  // namespace lateral::tok
