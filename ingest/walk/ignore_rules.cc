#include "ingest/walk/ignore_rules.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace lateral::ingest {

void IgnoreFile::AddRules(std::string_view contents, std::string_view source_name,
                          std::vector<std::string>* problems) {
  if (contents.substr(0, 3) == "\xEF\xBB\xBF") contents.remove_prefix(3);
  size_t line_number = 0;
  while (!contents.empty()) {
    ++line_number;
    const size_t eol = contents.find('\n');
    std::string_view line = contents.substr(0, eol);
    contents.remove_prefix(eol == std::string_view::npos ? contents.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Trailing spaces go unless escaped: "a\ " keeps "a\ " (the glob reads "\ " as ' ').
    while (!line.empty() && line.back() == ' ') {
      size_t backslashes = 0;
      for (size_t k = line.size() - 1; k > 0 && line[k - 1] == '\\'; --k) ++backslashes;
      if (backslashes % 2 == 1) break;
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') continue;
    bool negated = false;
    if (line.front() == '!') {
      negated = true;
      line.remove_prefix(1);
    }
    absl::StatusOr<GlobPattern> pattern = GlobPattern::Parse(line);
    if (!pattern.ok()) {
      if (problems != nullptr) {
        problems->push_back(absl::StrCat(std::string(source_name), ":", line_number, ": ",
                                         std::string(pattern.status().message())));
      }
      continue;
    }
    rules_.push_back({*std::move(pattern), negated});
  }
}

IgnoreFile::Verdict IgnoreFile::Match(std::string_view path, bool is_directory) const {
  for (size_t i = rules_.size(); i-- > 0;) {
    if (rules_[i].pattern.Matches(path, is_directory)) {
      return rules_[i].negated ? Verdict::kKeep : Verdict::kIgnore;
    }
  }
  return Verdict::kNone;
}

void IgnoreStack::Push(size_t prefix_length, IgnoreFile rules) {
  frames_.push_back({prefix_length, std::move(rules)});
}

void IgnoreStack::Pop() { frames_.pop_back(); }

bool IgnoreStack::IsIgnored(std::string_view base_relative_path, bool is_directory) const {
  for (size_t i = frames_.size(); i-- > 0;) {
    const Frame& f = frames_[i];
    if (f.prefix_length >= base_relative_path.size()) continue;  // not below this directory
    const IgnoreFile::Verdict v =
        f.rules.Match(base_relative_path.substr(f.prefix_length), is_directory);
    if (v != IgnoreFile::Verdict::kNone) return v == IgnoreFile::Verdict::kIgnore;
  }
  return false;
}

}  // namespace lateral::ingest
