// Terminal output for the collection commands: colour decisions, highlighted
// snippets, and the ingest progress display.
//
// Everything here writes to the streams it is given; nothing reads input.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ingest/pipeline/ingester.h"

namespace lateral::cli {

// Whether to colour output to `fd`: "always", "never", or "auto" (a terminal,
// and NO_COLOR unset, and TERM not "dumb").
bool UseColor(const std::string& setting, int fd);
bool IsTerminal(int fd);

// A snippet of at most about `max_chars` code points of `text`, chosen to
// start shortly before the first of `matches` (byte spans into `text`),
// on one line (whitespace runs collapsed), with the matches wrapped in
// ANSI bold-yellow when `color`, or left plain. Cuts are marked with "…".
std::string HighlightedSnippet(const std::string& text, std::vector<std::pair<size_t, size_t>> matches,
                               size_t max_chars, bool color);

// Redraws one status line on a terminal (files, passages, tokens/s, ETA), or
// prints a plain line about every 10 s otherwise.
class IngestProgressPrinter {
 public:
  explicit IngestProgressPrinter(bool quiet);
  void Update(const ingest::IngestProgress& progress);
  void Finish();  // ends the line; call whatever the outcome

 private:
  bool quiet_;
  bool tty_;
  bool drawn_ = false;
  double last_print_ = -1;
};

// "2m05s", "1h02m", "45s".
std::string FormatDuration(double seconds);

}  // namespace lateral::cli
