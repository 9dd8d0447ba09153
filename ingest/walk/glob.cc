#include "ingest/walk/glob.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lateral::ingest {
namespace {

absl::Status Malformed(std::string_view pattern, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("glob pattern \"", std::string(pattern), "\": ", std::string(why)));
}

// Adds the bytes of POSIX class `name` ("alpha", ...) to `set`; false if the name is unknown.
bool AddNamedClass(std::string_view name, std::bitset<256>* set) {
  for (int c = 0; c < 128; ++c) {
    bool in;
    if (name == "alpha") in = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    else if (name == "digit") in = c >= '0' && c <= '9';
    else if (name == "alnum") in = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    else if (name == "upper") in = c >= 'A' && c <= 'Z';
    else if (name == "lower") in = c >= 'a' && c <= 'z';
    else if (name == "xdigit") in = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    else if (name == "space") in = c == ' ' || (c >= '\t' && c <= '\r');
    else if (name == "blank") in = c == ' ' || c == '\t';
    else if (name == "cntrl") in = c < 32 || c == 127;
    else if (name == "print") in = c >= 32 && c < 127;
    else if (name == "graph") in = c > 32 && c < 127;
    else if (name == "punct") in = c > 32 && c < 127 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    else return false;
    if (in) set->set(c);
  }
  return true;
}

}  // namespace

absl::StatusOr<GlobPattern> GlobPattern::Parse(std::string_view pattern) {
  GlobPattern g;
  g.text_ = std::string(pattern);
  std::string_view body = pattern;
  if (body.empty()) return Malformed(pattern, "empty pattern");
  while (!body.empty() && body.back() == '/' &&
         !(body.size() >= 2 && body[body.size() - 2] == '\\')) {
    g.directory_only_ = true;
    body.remove_suffix(1);
  }
  if (!body.empty() && body.front() == '/') {
    g.anchored_ = true;
    body.remove_prefix(1);
  } else if (body.find('/') != std::string_view::npos) {
    g.anchored_ = true;
  }
  if (body.empty()) return Malformed(pattern, "matches nothing (only '/')");

  const size_t n = body.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    if (c == '\\') {
      if (i + 1 == n) return Malformed(pattern, "ends with an escaping backslash");
      g.tokens_.push_back({Kind::kChar, static_cast<unsigned char>(body[i + 1])});
      i += 2;
    } else if (c == '*') {
      size_t j = i;
      while (j < n && body[j] == '*') ++j;
      const bool at_component_start = i == 0 || body[i - 1] == '/';
      if (j - i >= 2 && at_component_start && (j == n || body[j] == '/')) {
        if (j == n) {
          g.tokens_.push_back({Kind::kStarAll});
        } else {  // "**/": zero directories (skip) or any run ending in '/'
          const size_t skip = g.tokens_.size();
          g.tokens_.push_back({Kind::kSkip});
          g.tokens_.push_back({Kind::kStarAll});
          g.tokens_.push_back({Kind::kChar, '/'});
          g.tokens_[skip].index = static_cast<uint32_t>(g.tokens_.size());
          ++j;  // the '/'
        }
      } else if (g.tokens_.empty() || g.tokens_.back().kind != Kind::kStar) {
        g.tokens_.push_back({Kind::kStar});
      }
      i = j;
    } else if (c == '?') {
      g.tokens_.push_back({Kind::kAny});
      ++i;
    } else if (c == '[') {
      std::bitset<256> set;
      size_t j = i + 1;
      bool negate = false;
      if (j < n && (body[j] == '!' || body[j] == '^')) {
        negate = true;
        ++j;
      }
      bool first = true;
      bool closed = false;
      while (j < n) {
        unsigned char lo = static_cast<unsigned char>(body[j]);
        if (lo == ']' && !first) {
          closed = true;
          ++j;
          break;
        }
        first = false;
        if (lo == '[' && j + 1 < n && body[j + 1] == ':') {
          const size_t end = body.find(":]", j + 2);
          if (end != std::string_view::npos) {
            const std::string_view name = body.substr(j + 2, end - j - 2);
            if (!AddNamedClass(name, &set)) {
              return Malformed(pattern, absl::StrCat("unknown character class [:",
                                                     std::string(name), ":]"));
            }
            j = end + 2;
            continue;
          }
        }
        if (lo == '\\') {
          if (j + 1 >= n) break;  // reported as unclosed below
          lo = static_cast<unsigned char>(body[j + 1]);
          j += 2;
        } else {
          ++j;
        }
        if (j + 1 < n && body[j] == '-' && body[j + 1] != ']') {
          unsigned char hi = static_cast<unsigned char>(body[j + 1]);
          j += 2;
          if (hi == '\\') {
            if (j >= n) break;
            hi = static_cast<unsigned char>(body[j]);
            ++j;
          }
          for (int b = lo; b <= hi; ++b) set.set(b);  // lo > hi: empty range, as in git
        } else {
          set.set(lo);
        }
      }
      if (!closed) {
        return Malformed(pattern, absl::StrCat("unclosed '[' at offset ",
                                               (body.data() - pattern.data()) + i));
      }
      if (negate) set.flip();
      set.reset('/');
      g.tokens_.push_back({Kind::kClass, 0, static_cast<uint32_t>(g.classes_.size())});
      g.classes_.push_back(set);
      i = j;
    } else {
      g.tokens_.push_back({Kind::kChar, c});
      ++i;
    }
  }

  // Fast paths for the shapes most ignore files are made of.
  bool all_literal = true;
  for (size_t t = 0; t < g.tokens_.size(); ++t) {
    if (g.tokens_[t].kind != Kind::kChar && !(t == 0 && g.tokens_[t].kind == Kind::kStar)) {
      all_literal = false;
    }
  }
  if (g.tokens_.size() == 1 && g.tokens_[0].kind == Kind::kStarAll) {
    g.fast_ = Fast::kEverything;
  } else if (all_literal && !g.tokens_.empty()) {
    const bool suffix = g.tokens_[0].kind == Kind::kStar;
    for (size_t t = suffix ? 1 : 0; t < g.tokens_.size(); ++t) g.literal_ += g.tokens_[t].byte;
    g.fast_ = suffix ? Fast::kSuffix : Fast::kLiteral;
  }

  // Epsilon closures, back to front: every jump goes forward.
  const size_t states = g.tokens_.size() + 1;
  g.words_ = (states + 63) / 64;
  g.closure_.assign(states * g.words_, 0);
  for (size_t s = states; s-- > 0;) {
    uint64_t* row = &g.closure_[s * g.words_];
    row[s / 64] |= uint64_t{1} << (s % 64);
    if (s == states - 1) continue;
    const Kind k = g.tokens_[s].kind;
    auto merge = [&](size_t from) {
      const uint64_t* other = &g.closure_[from * g.words_];
      for (size_t w = 0; w < g.words_; ++w) row[w] |= other[w];
    };
    if (k == Kind::kStar || k == Kind::kStarAll || k == Kind::kSkip) merge(s + 1);
    if (k == Kind::kSkip) merge(g.tokens_[s].index);
  }
  return g;
}

bool GlobPattern::Matches(std::string_view relative_path, bool is_directory) const {
  if (directory_only_ && !is_directory) return false;
  std::string_view subject = relative_path;
  if (!anchored_) {
    const size_t slash = subject.rfind('/');
    if (slash != std::string_view::npos) subject.remove_prefix(slash + 1);
  }
  switch (fast_) {
    case Fast::kEverything:
      return true;
    case Fast::kLiteral:
      return subject == literal_;
    case Fast::kSuffix:
      return subject.size() >= literal_.size() &&
             subject.substr(subject.size() - literal_.size()) == literal_ &&
             subject.substr(0, subject.size() - literal_.size()).find('/') ==
                 std::string_view::npos;
    case Fast::kNone:
      break;
  }
  return MatchTokens(subject);
}

bool GlobPattern::MatchTokens(std::string_view s) const {
  const size_t m = tokens_.size();
  // Advances the state set over one byte; returns false once no state is left.
  auto step = [&](const uint64_t* cur, uint64_t* next, unsigned char c) {
    bool any = false;
    for (size_t w = 0; w < words_; ++w) {
      uint64_t bits = cur[w];
      while (bits != 0) {
        const size_t st = w * 64 + static_cast<size_t>(__builtin_ctzll(bits));
        bits &= bits - 1;
        if (st >= m) continue;
        const Token& t = tokens_[st];
        size_t to = SIZE_MAX;
        switch (t.kind) {
          case Kind::kChar: if (c == t.byte) to = st + 1; break;
          case Kind::kAny: if (c != '/') to = st + 1; break;
          case Kind::kClass: if (classes_[t.index][c]) to = st + 1; break;
          case Kind::kStar: if (c != '/') to = st; break;
          case Kind::kStarAll: to = st; break;
          case Kind::kSkip: break;
        }
        if (to == SIZE_MAX) continue;
        const uint64_t* row = &closure_[to * words_];
        for (size_t v = 0; v < words_; ++v) next[v] |= row[v];
        any = true;
      }
    }
    return any;
  };
  auto accepts = [&](const uint64_t* cur) { return (cur[m / 64] >> (m % 64)) & 1; };

  if (words_ == 1) {
    uint64_t cur = closure_[0];
    for (char ch : s) {
      uint64_t next = 0;
      if (!step(&cur, &next, static_cast<unsigned char>(ch))) return false;
      cur = next;
    }
    return accepts(&cur);
  }
  std::vector<uint64_t> cur(closure_.begin(), closure_.begin() + words_);
  std::vector<uint64_t> next(words_);
  for (char ch : s) {
    std::fill(next.begin(), next.end(), 0);
    if (!step(cur.data(), next.data(), static_cast<unsigned char>(ch))) return false;
    cur.swap(next);
  }
  return accepts(cur.data());
}

}  // namespace lateral::ingest
