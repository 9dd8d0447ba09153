#include "cli/collection/terminal.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lateral::cli {
namespace {

constexpr char kHighlightOn[] = "\x1b[1;33m";
constexpr char kHighlightOff[] = "\x1b[0m";

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

bool IsTerminal(int fd) { return ::isatty(fd) == 1; }

bool UseColor(const std::string& setting, int fd) {
  if (setting == "always") return true;
  if (setting == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return IsTerminal(fd);
}

std::string HighlightedSnippet(const std::string& text, std::vector<std::pair<size_t, size_t>> matches,
                               size_t max_chars, bool color) {
  std::sort(matches.begin(), matches.end());
  // Start about a fifth of the window before the first match, on a code point.
  size_t start = 0;
  if (!matches.empty()) {
    size_t lead = max_chars / 5;
    size_t back = 0;
    start = matches.front().first;
    while (start > 0 && back < lead) {
      --start;
      if (!IsContinuationByte(static_cast<unsigned char>(text[start]))) ++back;
    }
    while (start > 0 && IsContinuationByte(static_cast<unsigned char>(text[start]))) --start;
  }
  std::string out;
  if (start > 0) out += "…";
  size_t chars = 0;
  size_t m = 0;
  bool in_match = false;
  bool last_space = true;
  size_t i = start;
  for (; i < text.size() && chars < max_chars; ++i) {
    while (m < matches.size() && matches[m].second <= i) {
      if (in_match) {
        if (color) out += kHighlightOff;
        in_match = false;
      }
      ++m;
    }
    if (m < matches.size() && matches[m].first == i && !in_match) {
      if (color) out += kHighlightOn;
      in_match = true;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      if (!last_space) {
        out.push_back(' ');
        ++chars;
      }
      last_space = true;
      continue;
    }
    last_space = false;
    out.push_back(static_cast<char>(c));
    if (!IsContinuationByte(c)) ++chars;
  }
  // Finish the code point the loop stopped in.
  while (i < text.size() && IsContinuationByte(static_cast<unsigned char>(text[i]))) out.push_back(text[i++]);
  if (in_match && color) out += kHighlightOff;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (i < text.size()) out += "…";
  return out;
}

IngestProgressPrinter::IngestProgressPrinter(bool quiet) : quiet_(quiet), tty_(IsTerminal(STDERR_FILENO)) {}

void IngestProgressPrinter::Update(const ingest::IngestProgress& p) {
  if (quiet_) return;
  const bool final_line = p.phase == "done";
  // Logs get a line every 10 s of a long run (the command prints a summary
  // at the end); a terminal gets the line redrawn up to 10 times a second.
  if (!tty_ && (final_line || p.seconds - std::max(last_print_, 0.0) < 10)) return;
  if (tty_ && !final_line && last_print_ >= 0 && p.seconds - last_print_ < 0.1) return;
  last_print_ = p.seconds;
  double rate = p.seconds > 0 ? p.tokens / p.seconds : 0;
  std::string eta;
  if (p.bytes_done > 0 && p.bytes_total > p.bytes_done && p.seconds > 1) {
    eta = absl::StrCat(" ETA ", FormatDuration(p.seconds * (p.bytes_total - p.bytes_done) / p.bytes_done));
  }
  std::string line = absl::StrFormat("%s: %d/%d files, %d passages, %s tokens/s%s", p.phase, p.files_done,
                                     p.files_total, p.passages, absl::StrFormat("%.0f", rate), eta);
  if (p.encoded_tokens > 0) line += absl::StrFormat(" (%d vectors)", p.encoded_tokens);
  if (tty_) {
    int width = 0;
    if (p.files_total > 0) width = static_cast<int>(24.0 * p.files_done / p.files_total);
    std::string bar = "[" + std::string(width, '#') + std::string(24 - width, ' ') + "] ";
    std::fprintf(stderr, "\r\x1b[2K%s%s", bar.c_str(), line.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

void IngestProgressPrinter::Finish() {
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

std::string FormatDuration(double seconds) {
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

}  // namespace lateral::cli
