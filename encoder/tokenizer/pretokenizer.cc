#include "encoder/tokenizer/pretokenizer.h"

#include <algorithm>

#include "encoder/tokenizer/byte_level.h"

namespace lateral::tok {

void PreTokenizer::AddSplit(std::unique_ptr<Splitter> splitter, SplitBehavior behavior,
                            bool invert) {
  Step step{Step::kSplit, std::move(splitter)};
  step.behavior = behavior;
  step.invert = invert;
  steps_.push_back(std::move(step));
}

void PreTokenizer::AddByteLevel(bool add_prefix_space, std::unique_ptr<Splitter> regex) {
  Step step{Step::kByteLevel, std::move(regex)};
  step.add_prefix_space = add_prefix_space;
  steps_.push_back(std::move(step));
}

absl::Status PreTokenizer::SplitPiece(const Step& step, std::string_view piece,
                                      std::vector<MatchRange>* scratch,
                                      std::vector<std::string_view>* out) {
  scratch->clear();
  absl::Status status = step.splitter->FindMatches(piece, scratch);
  if (!status.ok()) return status;

  // The piece as alternating (range, is_match) parts, as tokenizers'
  // Pattern::find_matches returns it (empty matches included).
  struct Part {
    size_t begin, end;
    bool flag;  // is_match, then "remove" after the behaviour is applied
  };
  thread_local std::vector<Part> parts;
  thread_local std::vector<Part> merged;
  parts.clear();
  size_t prev = 0;
  for (const MatchRange& m : *scratch) {
    if (prev != m.begin) parts.push_back(Part{prev, m.begin, step.invert});
    parts.push_back(Part{m.begin, m.end, !step.invert});
    prev = m.end;
  }
  if (prev != piece.size()) parts.push_back(Part{prev, piece.size(), step.invert});

  merged.clear();
  switch (step.behavior) {
    case SplitBehavior::kIsolated:
      for (const Part& p : parts) merged.push_back(Part{p.begin, p.end, false});
      break;
    case SplitBehavior::kRemoved:
      merged = parts;  // matches are removed
      break;
    case SplitBehavior::kContiguous: {
      bool previous_match = false;
      for (const Part& p : parts) {
        if (p.flag == previous_match && !merged.empty()) {
          merged.back().end = p.end;
        } else {
          merged.push_back(Part{p.begin, p.end, false});
        }
        previous_match = p.flag;
      }
      break;
    }
    case SplitBehavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Part& p : parts) {
        if (p.flag && !previous_match && !merged.empty()) {
          merged.back().end = p.end;
        } else {
          merged.push_back(Part{p.begin, p.end, false});
        }
        previous_match = p.flag;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      // Walk backwards, merging each match into the part after it.
      bool previous_match = false;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->flag && !previous_match && !merged.empty()) {
          merged.back().begin = it->begin;
        } else {
          merged.push_back(Part{it->begin, it->end, false});
        }
        previous_match = it->flag;
      }
      std::reverse(merged.begin(), merged.end());
      break;
    }
  }
  for (const Part& p : merged) {
    if (!p.flag && p.end > p.begin) out->push_back(piece.substr(p.begin, p.end - p.begin));
  }
  return absl::OkStatus();
}

absl::Status PreTokenizer::Run(std::string_view text, PieceArena* arena,
                               std::vector<std::string_view>* pieces) const {
  pieces->clear();
  if (text.empty()) return absl::OkStatus();
  pieces->push_back(text);
  std::vector<std::string_view> next;
  std::vector<MatchRange> scratch;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    next.clear();
    for (std::string_view piece : *pieces) {
      if (step.kind == Step::kSplit) {
        absl::Status status = SplitPiece(step, piece, &scratch, &next);
        if (!status.ok()) return status;
        continue;
      }
      // ByteLevel.
      if (step.add_prefix_space && piece[0] != ' ') {
        std::string prefixed(" ");
        prefixed.append(piece);
        piece = arena->Keep(std::move(prefixed));
      }
      const size_t first_out = next.size();
      if (step.splitter != nullptr) {  // use_regex: the GPT-2 regex, Isolated
        absl::Status status = SplitPiece(step, piece, &scratch, &next);
        if (!status.ok()) return status;
      } else {
        next.push_back(piece);
      }
      const bool last_step = s + 1 == steps_.size();
      if (!last_step) {
        for (size_t k = first_out; k < next.size(); ++k) {
          next[k] = arena->Keep(ByteLevelEncode(next[k]));
        }
      }
    }
    pieces->swap(next);
  }
  return absl::OkStatus();
}

}  // namespace lateral::tok
