// StopStringMatcher: cuts streamed text at the first user stop string.
//
// Generated text arrives in pieces (one decoded token at a time), and a stop
// string may straddle pieces. Push() returns only text that can no longer
// become part of a stop string: from the earliest position where a stop
// string may still complete, text is held back until later text decides it
// (even behind a complete match of a shorter stop string that starts later).
// Once a stop string matched, stopped() is true and nothing from the stop
// string on is ever returned. The concatenation of everything Push and Finish
// return is exactly the prefix of the whole text before the earliest
// occurrence of any stop string, or the whole text when none occurs.
//
// Byte-based (UTF-8 in, UTF-8 out when pieces are whole characters). Empty
// stop strings are ignored. Owned by the caller; not thread-safe. Used by
// `lateral ask` / `lateral chat`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lateral {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  // Feeds newly decoded text; returns the text that is now safe to show.
  std::string Push(std::string_view text);
  // The end of the stream: the held-back text up to the first stop string in
  // it, if any ("" after an earlier match).
  std::string Finish();
  bool stopped() const { return stopped_; }
  // The stop string that matched (empty before a match).
  const std::string& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // held back: might start a stop string
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace lateral
