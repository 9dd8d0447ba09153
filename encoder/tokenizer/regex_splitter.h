// A Splitter backed by ICU's regular expressions (internal to
// encoder/tokenizer/).
//
// tokenizers runs Split patterns on Oniguruma; ICU's engine has the same
// backtracking, leftmost-first semantics and the same Unicode classes for
// \s (White_Space), \p{L} and \p{N}, so it serves as the general path for any
// pattern and as the oracle the hand-written Llama3Splitter is tested against.
// Matching runs directly on the UTF-8 bytes (a UTF-8 UText), so offsets need
// no conversion.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "encoder/tokenizer/splitter.h"

namespace lateral::tok {

// Fails with InvalidArgument (ICU's error name and the position in the
// pattern) when ICU cannot compile `pattern`.
absl::StatusOr<std::unique_ptr<Splitter>> NewIcuRegexSplitter(std::string_view pattern);

}  // namespace lateral::tok
