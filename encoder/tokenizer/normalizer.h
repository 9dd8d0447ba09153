// Normalizers of a tokenizer.json (internal to encoder/tokenizer/).
//
// LFM2 has none (normalizer: null); these cover the cheap, common ones so that
// other checkpoints load: the four Unicode normalization forms and Lowercase
// through ICU, Prepend, Replace with a literal pattern, and Sequence.
// tokenizer_json.cc builds them; HfTokenizer applies one to each piece of text
// left between raw-text added tokens. Normalize is const and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lateral::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Replaces *out with the normalized form of `in` (valid UTF-8).
  virtual absl::Status Normalize(std::string_view in, std::string* out) const = 0;
};

enum class UnicodeForm { kNfc, kNfd, kNfkc, kNfkd };

absl::StatusOr<std::unique_ptr<Normalizer>> NewUnicodeNormalizer(UnicodeForm form);
// Full Unicode lowercasing (root locale), as Rust's str::to_lowercase.
std::unique_ptr<Normalizer> NewLowercaseNormalizer();
// Prepends `prefix` to non-empty text.
std::unique_ptr<Normalizer> NewPrependNormalizer(std::string prefix);
// Replaces every non-overlapping occurrence of `pattern` (non-empty), left to right.
std::unique_ptr<Normalizer> NewReplaceNormalizer(std::string pattern, std::string content);
std::unique_ptr<Normalizer> NewSequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps);

}  // namespace lateral::tok
