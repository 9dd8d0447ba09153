#include "answer/answer_stream.h"

namespace lateral::answer {

AnswerStream::AnswerStream(const Tokenizer& tokenizer, std::vector<std::string> stop_strings)
    : decoder_(tokenizer.NewStreamingDecoder(/*skip_special_tokens=*/true)), matcher_(std::move(stop_strings)) {}

std::string AnswerStream::Push(int32_t token) {
  if (finished_ || matcher_.stopped()) return "";
  std::string out = matcher_.Push(decoder_->Push(token));
  text_ += out;
  return out;
}

std::string AnswerStream::Finish() {
  if (finished_) return "";
  finished_ = true;
  std::string out;
  if (!matcher_.stopped()) out = matcher_.Push(decoder_->Finish());
  if (!matcher_.stopped()) out += matcher_.Finish();
  text_ += out;
  return out;
}

}  // namespace lateral::answer
