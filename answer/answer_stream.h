// Generated tokens -> the text a reader sees, as they come: the tokenizer's
// StreamingDecoder (a character split over byte-level tokens is held until
// complete; special tokens such as <|im_end|> are not shown), then the user's
// stop strings (StopStringMatcher holds back text that may start one; a stop
// string and everything after it are never shown).
//
// Used by `lateral ask` and `lateral chat` around GenerationSession::Generate:
// Push each token from on_token, print what it returns, stop generating once
// stopped(); Finish at the end. Borrows the tokenizer; single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "encoder/generation/stop_strings.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral::answer {

class AnswerStream {
 public:
  AnswerStream(const Tokenizer& tokenizer, std::vector<std::string> stop_strings);

  // The text that became safe to show with this token ("" after a stop).
  std::string Push(int32_t token);
  // What is still held back (none after a stop string matched).
  std::string Finish();
  // A stop string matched: generation should end.
  bool stopped() const { return matcher_.stopped(); }
  // Everything returned so far: the answer as shown.
  const std::string& text() const { return text_; }

 private:
  std::unique_ptr<StreamingDecoder> decoder_;
  StopStringMatcher matcher_;
  std::string text_;
  bool finished_ = false;
};

}  // namespace lateral::answer
