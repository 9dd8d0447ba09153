#include "ingest/formats/markdown_inline.h"

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"

namespace lateral::ingest::formats_internal {
namespace {

constexpr uint8_t kDrop = 1;     // not written out
constexpr uint8_t kLiteral = 2;  // written as is; not markup (code, URLs, escaped characters)

bool IsPunct(char c) { return absl::ascii_ispunct(static_cast<unsigned char>(c)); }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Finds `needle` at or after `from`, caching the last answer: callers ask with increasing
// `from`, so all searches together scan the line about once.
class ForwardFinder {
 public:
  ForwardFinder(std::string_view text, std::string_view needle) : text_(text), needle_(needle) {}
  size_t Find(size_t from) {
    if (found_ == std::string_view::npos && searched_) return found_;
    if (!searched_ || found_ < from) {
      found_ = text_.find(needle_, from);
      searched_ = true;
    }
    return found_;
  }

 private:
  std::string_view text_, needle_;
  size_t found_ = 0;
  bool searched_ = false;
};

// Code spans: a run of N backticks up to the next run of exactly N. Backslash escapes outside
// code spans make the next punctuation character literal.
void MarkCodeAndEscapes(std::string_view s, std::vector<uint8_t>& flags) {
  struct Run {
    size_t pos, len;
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '`') {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && s[i] == '`') ++i;
    runs.push_back({start, i - start});
  }
  std::vector<size_t> next_same(runs.size(), SIZE_MAX);
  absl::flat_hash_map<size_t, size_t> later;  // run length -> index of the next such run
  for (size_t r = runs.size(); r-- > 0;) {
    auto it = later.find(runs[r].len);
    if (it != later.end()) next_same[r] = it->second;
    later[runs[r].len] = r;
  }
  size_t r = 0;
  for (size_t i = 0; i < s.size();) {
    while (r < runs.size() && runs[r].pos < i) ++r;
    if (s[i] == '\\' && i + 1 < s.size() && IsPunct(s[i + 1])) {
      flags[i] = kDrop;
      if (s[i + 1] == '`' && r < runs.size() && runs[r].pos == i + 1) {
        for (size_t k = 0; k < runs[r].len; ++k) flags[i + 1 + k] = kLiteral;
        i += 1 + runs[r].len;
      } else {
        flags[i + 1] = kLiteral;
        i += 2;
      }
      continue;
    }
    if (r < runs.size() && runs[r].pos == i) {
      const Run& open = runs[r];
      if (next_same[r] == SIZE_MAX) {
        for (size_t k = 0; k < open.len; ++k) flags[i + k] = kLiteral;
        i += open.len;
        continue;
      }
      const Run& close = runs[next_same[r]];
      for (size_t k = 0; k < open.len; ++k) flags[open.pos + k] = kDrop;
      for (size_t k = open.pos + open.len; k < close.pos; ++k) flags[k] = kLiteral;
      for (size_t k = 0; k < close.len; ++k) flags[close.pos + k] = kDrop;
      i = close.pos + close.len;
      continue;
    }
    ++i;
  }
}

bool IsSchemeStart(std::string_view s, size_t i, size_t end) {
  // scheme ":" with 2..32 scheme characters, then no spaces up to `end`
  size_t k = i;
  if (k >= end || !absl::ascii_isalpha(static_cast<unsigned char>(s[k]))) return false;
  while (k < end && (absl::ascii_isalnum(static_cast<unsigned char>(s[k])) || s[k] == '+' ||
                     s[k] == '.' || s[k] == '-')) {
    ++k;
  }
  if (k - i < 2 || k - i > 32 || k >= end || s[k] != ':') return false;
  for (size_t j = k; j < end; ++j) {
    if (IsSpace(s[j]) || s[j] == '<') return false;
  }
  return true;
}

bool IsEmailAutolink(std::string_view s, size_t i, size_t end) {
  bool at = false;
  for (size_t j = i; j < end; ++j) {
    char c = s[j];
    if (c == '@') {
      if (at || j == i) return false;
      at = true;
    } else if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                 c == '_' || c == '+')) {
      return false;
    }
  }
  return at;
}

bool IsTagBody(std::string_view s, size_t i, size_t end) {
  // [/]name[ attributes...] with name = letter (letter|digit|-)*; '!' and '?' for
  // declarations and processing instructions.
  if (i < end && (s[i] == '/' || s[i] == '!' || s[i] == '?')) ++i;
  if (i >= end || !absl::ascii_isalpha(static_cast<unsigned char>(s[i]))) return false;
  while (i < end && (absl::ascii_isalnum(static_cast<unsigned char>(s[i])) || s[i] == '-')) ++i;
  return i == end || IsSpace(s[i]) || s[i] == '/' || s[i] == '"' || s[i] == '\'';
}

void MarkHtml(std::string_view s, std::vector<uint8_t>& flags,
              const std::vector<uint32_t>& literal_before) {
  ForwardFinder comment_end(s, "-->");
  ForwardFinder tag_end(s, ">");
  auto has_literal = [&](size_t from, size_t to) {
    return literal_before[to] != literal_before[from];
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '<' || flags[i] != 0) continue;
    if (s.substr(i, 4) == "<!--") {
      size_t end = comment_end.Find(i + 4);
      if (end == std::string_view::npos || has_literal(i, end)) continue;
      for (size_t k = i; k < end + 3; ++k) flags[k] = kDrop;
      i = end + 2;
      continue;
    }
    size_t end = tag_end.Find(i + 1);
    if (end == std::string_view::npos || has_literal(i, end)) continue;
    if (IsSchemeStart(s, i + 1, end) || IsEmailAutolink(s, i + 1, end)) {
      flags[i] = kDrop;
      for (size_t k = i + 1; k < end; ++k) flags[k] = kLiteral;
      flags[end] = kDrop;
      i = end;
    } else if (IsTagBody(s, i + 1, end)) {
      for (size_t k = i; k <= end; ++k) flags[k] = kDrop;
      i = end;
    }
  }
}

// Inline links [text](url), images ![alt](url), reference links [text][ref]: the text stays.
void MarkLinks(std::string_view s, std::vector<uint8_t>& flags) {
  const size_t n = s.size();
  // 32-bit positions: lines are far below 4 GiB (inputs are limited to 2 GiB), and a 100 MB
  // line then costs 400 MB here rather than 800 MB.
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> match(n, kNone);
  std::vector<uint32_t> brackets, parens;
  for (size_t i = 0; i < n; ++i) {
    if (flags[i] != 0) continue;
    switch (s[i]) {
      case '[': brackets.push_back(static_cast<uint32_t>(i)); break;
      case ']':
        if (!brackets.empty()) {
          match[brackets.back()] = static_cast<uint32_t>(i);
          brackets.pop_back();
        }
        break;
      case '(': parens.push_back(static_cast<uint32_t>(i)); break;
      case ')':
        if (!parens.empty()) {
          match[parens.back()] = static_cast<uint32_t>(i);
          parens.pop_back();
        }
        break;
      default: break;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (s[i] != '[' || flags[i] != 0 || match[i] == kNone) continue;
    size_t close = match[i];
    size_t after = close + 1;
    if (after >= n || flags[after] != 0 || match[after] == kNone) continue;
    if (s[after] != '(' && s[after] != '[') continue;
    size_t end = match[after];
    flags[i] = kDrop;
    if (s[after] == '(' && i > 0 && s[i - 1] == '!' && flags[i - 1] == 0) flags[i - 1] = kDrop;
    for (size_t k = close; k <= end; ++k) flags[k] = kDrop;
  }
}

// Emphasis (* and _) and strikethrough (~) delimiter runs, paired per character with a stack
// each; unpaired runs stay as text.
void MarkEmphasis(std::string_view s, std::vector<uint8_t>& flags) {
  const size_t n = s.size();
  struct Opener {
    size_t pos, len;
  };
  std::vector<Opener> stacks[3];
  auto stack_of = [](char c) { return c == '*' ? 0 : c == '_' ? 1 : 2; };
  for (size_t i = 0; i < n;) {
    char c = s[i];
    if ((c != '*' && c != '_' && c != '~') || flags[i] != 0) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < n && s[i] == c && flags[i] == 0) ++i;
    size_t len = i - start;
    char prev = start == 0 ? ' ' : s[start - 1];
    char next = i >= n ? ' ' : s[i];
    bool prev_space = IsSpace(prev), next_space = IsSpace(next);
    bool left = !next_space && (!IsPunct(next) || prev_space || IsPunct(prev));
    bool right = !prev_space && (!IsPunct(prev) || next_space || IsPunct(next));
    bool can_open = left, can_close = right;
    if (c == '_') {
      can_open = left && (!right || IsPunct(prev));
      can_close = right && (!left || IsPunct(next));
    }
    if (c == '~' && len > 2) continue;
    std::vector<Opener>& stack = stacks[stack_of(c)];
    if (can_close && !stack.empty()) {
      Opener open = stack.back();
      stack.pop_back();
      for (size_t k = 0; k < open.len; ++k) flags[open.pos + k] = kDrop;
      for (size_t k = start; k < i; ++k) flags[k] = kDrop;
    } else if (can_open) {
      stack.push_back({start, len});
    }
  }
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A character reference at s[i] == '&': its length (through ';') and the text it stands for, or
// 0 when it is not one.
size_t DecodeEntity(std::string_view s, size_t i, std::string& out) {
  constexpr size_t kMaxLength = 12;
  size_t semi = s.substr(i, kMaxLength).find(';');
  if (semi == std::string_view::npos || semi < 2) return 0;
  std::string_view name = s.substr(i + 1, semi - 1);
  if (name[0] == '#') {
    uint32_t cp = 0;
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 7) return 0;
    for (char d : digits) {
      int v;
      if (d >= '0' && d <= '9') {
        v = d - '0';
      } else if (hex && absl::ascii_isxdigit(static_cast<unsigned char>(d))) {
        v = absl::ascii_tolower(static_cast<unsigned char>(d)) - 'a' + 10;
      } else {
        return 0;
      }
      cp = cp * (hex ? 16 : 10) + v;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    AppendUtf8(cp, out);
    return semi + 1;
  }
  static constexpr struct {
    const char* name;
    uint32_t cp;
  } kNamed[] = {{"amp", '&'},     {"lt", '<'},        {"gt", '>'},       {"quot", '"'},
                {"apos", '\''},   {"nbsp", 0xA0},     {"copy", 0xA9},    {"reg", 0xAE},
                {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026}, {"laquo", 0xAB},
                {"raquo", 0xBB},  {"lsquo", 0x2018},  {"rsquo", 0x2019}, {"ldquo", 0x201C},
                {"rdquo", 0x201D}, {"euro", 0x20AC},  {"trade", 0x2122}};
  for (const auto& entity : kNamed) {
    if (name == entity.name) {
      AppendUtf8(entity.cp, out);
      return semi + 1;
    }
  }
  return 0;
}

}  // namespace

std::string CleanMarkdownInline(std::string_view line) {
  const size_t n = line.size();
  std::vector<uint8_t> flags(n, 0);
  MarkCodeAndEscapes(line, flags);
  std::vector<uint32_t> literal_before(n + 1, 0);
  for (size_t i = 0; i < n; ++i) literal_before[i + 1] = literal_before[i] + (flags[i] == kLiteral);
  MarkHtml(line, flags, literal_before);
  MarkLinks(line, flags);
  MarkEmphasis(line, flags);
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (flags[i] == kDrop) continue;
    if (flags[i] == 0 && line[i] == '&') {
      size_t used = DecodeEntity(line, i, out);
      if (used > 0) {
        i += used - 1;
        continue;
      }
    }
    out.push_back(line[i]);
  }
  while (!out.empty() && IsSpace(out.back())) out.pop_back();
  return out;
}

}  // namespace lateral::ingest::formats_internal
