// Training a SentencePiece model from a test (std-only header: the
// SentencePiece headers cannot share a translation unit with Abseil's, see
// encoder/tokenizer/sentencepiece_adapter.h).
#pragma once

#include <string>

namespace lateral::testing {

// Runs SentencePieceTrainer with command-line style `args`; false and *error
// on failure.
bool TrainSentencePiece(const std::string& args, std::string* error);

}  // namespace lateral::testing
