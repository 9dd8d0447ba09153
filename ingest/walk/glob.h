// GlobPattern: one gitignore-style glob, compiled once and matched against relative paths.
//
// Used by IgnoreRules (one pattern per ignore-file line) and by the file walker's --include /
// --exclude globs. Syntax, as `man gitignore` describes it:
//   *        any run of characters except '/'          ?      one character except '/'
//   [a-z]    a byte in the set; [!x] / [^x] negate it; ']' first is literal; [[:alpha:]] etc.
//   **/x     x at any depth ("**/" matches zero or more whole directories)
//   a/**/b   a/b, a/x/b, a/x/y/b                        a/**   everything inside a
//   \c       the character c itself (so "\*", "\[", "\#", "\!", "\ " are literal)
// Any other "**" (e.g. "a**b") is an ordinary '*'. A trailing '/' restricts the pattern to
// directories. A pattern with no other '/' matches the last path component at any depth; a
// pattern with a leading or middle '/' is anchored: it must match the whole relative path (a
// leading '/' is dropped first).
//
// Matching is byte-wise (a '?' matches one byte of a multi-byte UTF-8 character) and runs as a
// set-of-states simulation: O(path length x pattern length) in the worst case, never the
// exponential backtracking of naive matchers. Patterns that are a plain name or "*.ext" take a
// direct comparison. Parse refuses malformed patterns (unclosed '[', trailing lone '\', empty)
// with InvalidArgument naming the pattern. A GlobPattern is immutable and thread-compatible.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral::ingest {

class GlobPattern {
 public:
  static absl::StatusOr<GlobPattern> Parse(std::string_view pattern);

  // `relative_path` uses '/' separators, no leading '/', no trailing '/'.
  // A directory-only pattern ("build/") matches only when `is_directory` is true.
  bool Matches(std::string_view relative_path, bool is_directory = false) const;

  const std::string& text() const { return text_; }  // the pattern as given to Parse
  bool directory_only() const { return directory_only_; }
  bool anchored() const { return anchored_; }  // matches the whole path, not the basename

 private:
  enum class Kind : uint8_t {
    kChar,     // one literal byte
    kAny,      // '?': one byte except '/'
    kClass,    // [...]: one byte in classes_[index], never '/'
    kStar,     // '*': zero or more bytes except '/'
    kStarAll,  // '**' at the end or in "**/": zero or more bytes, '/' included
    kSkip,     // no input consumed: continue at i+1 or at `target` (the "zero directories" path)
  };
  struct Token {
    Kind kind;
    unsigned char byte = 0;
    uint32_t index = 0;  // class index for kClass, jump target for kSkip
  };
  enum class Fast : uint8_t { kNone, kLiteral, kSuffix, kEverything };

  bool MatchTokens(std::string_view s) const;

  std::string text_;
  bool directory_only_ = false;
  bool anchored_ = false;
  Fast fast_ = Fast::kNone;
  std::string literal_;  // kLiteral: whole subject; kSuffix: required suffix
  std::vector<Token> tokens_;
  std::vector<std::bitset<256>> classes_;
  // closure_[state * words_ + w]: states reachable from `state` without consuming input.
  std::vector<uint64_t> closure_;
  size_t words_ = 0;
};

}  // namespace lateral::ingest
