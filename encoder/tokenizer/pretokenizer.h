// The pre-tokenizer of a tokenizer.json: cuts text into the pieces the model
// tokenizes one by one (internal to encoder/tokenizer/).
//
// Supported steps (a "Sequence" is flattened into its steps):
//   - Split: a pattern (regex or literal string, see splitter.h) and a
//     behaviour (Removed, Isolated, MergedWithPrevious, MergedWithNext,
//     Contiguous), optionally inverted, with tokenizers' semantics.
//   - ByteLevel: optional prefix space on every piece, optional GPT-2 regex
//     split, then the byte-to-alphabet mapping of byte_level.h.
// When ByteLevel is the last step its mapping is not applied here: the pieces
// stay raw bytes and the BPE model, built with byte_level_input, looks them up
// in a translated vocabulary. That saves building a mapped string per piece.
//
// Built once by tokenizer_json.cc, then only read: Run is const and thread-safe.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "encoder/tokenizer/splitter.h"

namespace lateral::tok {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Storage for pieces that are not slices of the input (prefixed or mapped
// text). Views into it stay valid until the arena is destroyed.
class PieceArena {
 public:
  std::string_view Keep(std::string text) {
    strings_.push_back(std::move(text));
    return strings_.back();
  }

 private:
  std::deque<std::string> strings_;
};

class PreTokenizer {
 public:
  void AddSplit(std::unique_ptr<Splitter> splitter, SplitBehavior behavior, bool invert);
  // `regex` is the GPT-2 splitter when use_regex is on, else null.
  void AddByteLevel(bool add_prefix_space, std::unique_ptr<Splitter> regex);

  // True when the last step is ByteLevel: Run then leaves pieces as raw bytes.
  bool defers_byte_level_mapping() const {
    return !steps_.empty() && steps_.back().kind == Step::kByteLevel;
  }
  bool empty() const { return steps_.empty(); }

  // Replaces *pieces with the non-empty pieces of `text`, in order. Pieces
  // point into `text` or into `arena`.
  absl::Status Run(std::string_view text, PieceArena* arena,
                   std::vector<std::string_view>* pieces) const;

 private:
  struct Step {
    enum Kind { kSplit, kByteLevel } kind;
    std::unique_ptr<Splitter> splitter;  // Split's pattern, or ByteLevel's regex (may be null)
    SplitBehavior behavior = SplitBehavior::kIsolated;
    bool invert = false;
    bool add_prefix_space = false;
  };

  static absl::Status SplitPiece(const Step& step, std::string_view piece,
                                 std::vector<MatchRange>* scratch,
                                 std::vector<std::string_view>* out);

  std::vector<Step> steps_;
};

}  // namespace lateral::tok
