// No Abseil header may be included here (see sentencepiece_training.h).
#include "tests/tokenizer/sentencepiece_training.h"

#include <sentencepiece_trainer.h>

namespace lateral::testing {

bool TrainSentencePiece(const std::string& args, std::string* error) {
  const sentencepiece::util::Status status = sentencepiece::SentencePieceTrainer::Train(args);
  if (!status.ok()) *error = status.ToString();
  return status.ok();
}

}  // namespace lateral::testing
