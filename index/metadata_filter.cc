#include "index/metadata_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

// Filter grammar (whitespace is free between tokens; keywords are
// case-insensitive):
//
//   filter  := clause ( "AND" clause )*
//   clause  := field "=" value
//            | field "IN" "(" value ( "," value )* ")"
//            | field ( "<" | "<=" | ">" | ">=" ) number
//   field   := [A-Za-z_] [A-Za-z0-9_.-]*
//   value   := quoted | bare
//   quoted  := '"' ( any byte but '"' and '\' | '\"' | '\\' )* '"'
//   bare    := ( [A-Za-z0-9_.:/@+-] | any byte >= 0x80 )+
//
// A bare word that is a finite decimal number (digits, sign, '.', exponent;
// absl::SimpleAtod) is a number, any other bare word a string; a quoted value
// is always a string. A bare AND is the keyword, never a value (quote it to
// compare with the word). There is no OR, no negation and no BETWEEN, which
// keeps AND unambiguous; two range clauses on one field give an interval.

namespace lateral {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Clause text beyond this is elided in error messages: a runaway clause (or a
// fuzzer's) should not produce a megabyte-long status.
constexpr size_t kMaxQuotedBytes = 80;
// IN lists of numbers up to this size are matched by comparing with each.
constexpr size_t kLinearNumbers = 16;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsFieldStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsFieldChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}
bool IsBareChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u >= 0x80 || absl::ascii_isalnum(u) || c == '_' || c == '-' || c == '.' || c == ':' || c == '/' ||
         c == '@' || c == '+';
}
bool IsOperatorChar(char c) { return c == '=' || c == '<' || c == '>' || c == '!' || c == '~'; }

// `s` in double quotes with the filter language's own escapes, so a message
// quotes text the way the user would write it. Control bytes become \xNN;
// UTF-8 passes through. Long text is cut (at a character boundary) and marked.
std::string Quote(absl::string_view s) {
  bool elided = false;
  if (s.size() > kMaxQuotedBytes) {
    size_t cut = kMaxQuotedBytes - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut);
    elided = true;
  }
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", u));
    } else {
      out.push_back(c);
    }
  }
  if (elided) out += "...";
  out.push_back('"');
  return out;
}

// True when `word` is a number in plain decimal notation. SimpleAtod alone
// would also take hex ("0x1f" looks like an id, not 31), "inf" and "nan".
bool ParseDecimal(absl::string_view word, double* out) {
  for (char c : word) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' && c != 'e' &&
        c != 'E') {
      return false;
    }
  }
  return absl::SimpleAtod(word, out) && std::isfinite(*out);
}

struct Literal {
  bool quoted = false;
  bool is_number = false;
  double number = 0;
  std::string text;  // content: unescaped for quoted values, as written for bare ones
};

class FilterParser {
 public:
  explicit FilterParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<MetadataFilter> Parse() {
    SkipSpace();
    if (AtEnd()) return absl::InvalidArgumentError("empty filter");
    MetadataFilter filter;
    while (true) {
      ++clause_number_;
      SkipSpace();
      clause_begin_ = pos_;
      FilterClause clause;
      LATERAL_RETURN_IF_ERROR(ParseClause(clause));
      filter.clauses.push_back(std::move(clause));
      SkipSpace();
      if (AtEnd()) break;
      if (!AtKeyword("AND")) {
        return Error(absl::StrCat("unexpected ", Found(), " after the clause; clauses are joined with AND"));
      }
      pos_ += 3;
    }
    return filter;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
  }
  // The keyword at pos_, as a whole word: "IN(" is IN, "INDEX" is not.
  bool AtKeyword(absl::string_view keyword) const {
    if (text_.size() - pos_ < keyword.size()) return false;
    if (!absl::EqualsIgnoreCase(text_.substr(pos_, keyword.size()), keyword)) return false;
    const size_t after = pos_ + keyword.size();
    return after == text_.size() || !IsBareChar(text_[after]);
  }

  // Where the current clause ends in the text, for quoting it in errors: at
  // the next AND that is not inside quotes and not the clause's first word (a
  // field may be named "and"), or at the end.
  size_t ClauseEnd() const {
    size_t i = clause_begin_;
    bool first_word = true;
    while (i < text_.size()) {
      const char c = text_[i];
      if (c == '"') {
        for (++i; i < text_.size() && text_[i] != '"'; ++i) {
          if (text_[i] == '\\') ++i;
        }
        ++i;
        first_word = false;
      } else if (IsBareChar(c)) {
        size_t end = i;
        while (end < text_.size() && IsBareChar(text_[end])) ++end;
        if (!first_word && absl::EqualsIgnoreCase(text_.substr(i, end - i), "AND")) return i;
        first_word = false;
        i = end;
      } else {
        if (!IsSpace(c)) first_word = false;
        ++i;
      }
    }
    return text_.size();
  }

  absl::Status Error(absl::string_view problem) const {
    size_t end = std::min(ClauseEnd(), text_.size());
    while (end > clause_begin_ && IsSpace(text_[end - 1])) --end;
    const absl::string_view clause = text_.substr(clause_begin_, end - clause_begin_);
    return absl::InvalidArgumentError(
        absl::StrCat("filter clause ", clause_number_, " (", Quote(clause), "): ", problem));
  }

  // The token at pos_, quoted, for "found ..." in messages.
  std::string Found() const {
    if (AtEnd()) return "the end of the filter";
    size_t end = pos_ + 1;
    if (IsBareChar(Peek())) {
      while (end < text_.size() && IsBareChar(text_[end])) ++end;
    } else if (IsOperatorChar(Peek())) {
      while (end < text_.size() && IsOperatorChar(text_[end])) ++end;
    }
    return Quote(text_.substr(pos_, end - pos_));
  }

  absl::Status ParseClause(FilterClause& clause) {
    if (AtEnd()) return Error("expected a clause after AND");
    if (!IsFieldStart(Peek())) {
      return Error(absl::StrCat("expected a field name (a letter or _, then letters, digits, _ . -), found ", Found()));
    }
    const size_t field_begin = pos_;
    while (!AtEnd() && IsFieldChar(Peek())) ++pos_;
    clause.field = std::string(text_.substr(field_begin, pos_ - field_begin));
    SkipSpace();

    if (AtKeyword("IN")) {
      pos_ += 2;
      clause.op = FilterClause::Op::kIn;
      return ParseInList(clause);
    }
    size_t op_end = pos_;
    while (op_end < text_.size() && IsOperatorChar(text_[op_end])) ++op_end;
    const absl::string_view op = text_.substr(pos_, op_end - pos_);
    if (op != "=" && op != "<" && op != "<=" && op != ">" && op != ">=") {
      return Error(absl::StrCat("expected one of = IN < <= > >= after field ", Quote(clause.field), ", found ",
                                Found()));
    }
    pos_ = op_end;
    Literal literal;
    LATERAL_RETURN_IF_ERROR(ParseValue(op, literal));
    if (op == "=") {
      clause.op = FilterClause::Op::kEquals;
      AddLiteral(std::move(literal), clause);
      return absl::OkStatus();
    }
    if (!literal.is_number) {
      return Error(absl::StrCat(Quote(op), " needs a finite number, found ", literal.quoted ? "the quoted string " : "",
                                Quote(literal.text)));
    }
    clause.op = FilterClause::Op::kRange;
    clause.lower = -kInf;
    clause.upper = kInf;
    clause.lower_inclusive = clause.upper_inclusive = true;
    if (op[0] == '>') {
      clause.lower = literal.number;
      clause.lower_inclusive = op.size() == 2;
    } else {
      clause.upper = literal.number;
      clause.upper_inclusive = op.size() == 2;
    }
    return absl::OkStatus();
  }

  absl::Status ParseInList(FilterClause& clause) {
    SkipSpace();
    if (AtEnd() || Peek() != '(') return Error(absl::StrCat("expected \"(\" after IN, found ", Found()));
    ++pos_;
    SkipSpace();
    if (!AtEnd() && Peek() == ')') return Error("IN () needs at least one value");
    absl::string_view after = "(";
    while (true) {
      Literal literal;
      LATERAL_RETURN_IF_ERROR(ParseValue(after, literal));
      AddLiteral(std::move(literal), clause);
      SkipSpace();
      if (AtEnd()) return Error("missing \")\" to close the IN list");
      if (Peek() == ')') {
        ++pos_;
        return absl::OkStatus();
      }
      if (Peek() != ',') return Error(absl::StrCat("expected \",\" or \")\" in the IN list, found ", Found()));
      ++pos_;
      after = ",";
    }
  }

  // One value after the token `after` (for messages).
  absl::Status ParseValue(absl::string_view after, Literal& literal) {
    SkipSpace();
    if (AtEnd()) return Error(absl::StrCat("missing value after ", Quote(after)));
    if (Peek() == '"') {
      const size_t open = pos_++;
      literal.quoted = true;
      while (true) {
        if (AtEnd()) {
          return Error(absl::StrCat("unterminated string starting at byte ", open, "; close it with \""));
        }
        const char c = text_[pos_++];
        if (c == '"') return absl::OkStatus();
        if (c != '\\') {
          literal.text.push_back(c);
          continue;
        }
        if (AtEnd()) return Error(absl::StrCat("unterminated string starting at byte ", open, "; close it with \""));
        const char escaped = text_[pos_++];
        if (escaped != '"' && escaped != '\\') {
          return Error(absl::StrCat("unknown escape ", Quote(absl::StrCat("\\", absl::string_view(&escaped, 1))),
                                    " in a quoted string; only \\\" and \\\\ are allowed"));
        }
        literal.text.push_back(escaped);
      }
    }
    if (!IsBareChar(Peek())) return Error(absl::StrCat("missing value after ", Quote(after), ", found ", Found()));
    const size_t begin = pos_;
    while (!AtEnd() && IsBareChar(Peek())) ++pos_;
    literal.text = std::string(text_.substr(begin, pos_ - begin));
    if (absl::EqualsIgnoreCase(literal.text, "AND")) {
      pos_ = begin;
      return Error(absl::StrCat("missing value after ", Quote(after),
                                " (AND is the keyword; write \"AND\" to compare with the word)"));
    }
    literal.is_number = ParseDecimal(literal.text, &literal.number);
    return absl::OkStatus();
  }

  static void AddLiteral(Literal literal, FilterClause& clause) {
    if (literal.is_number) {
      clause.values.emplace_back(literal.number);
    } else {
      clause.values.emplace_back(literal.text);
    }
    clause.texts.push_back(std::move(literal.text));
  }

  absl::string_view text_;
  size_t pos_ = 0;
  int clause_number_ = 0;
  size_t clause_begin_ = 0;
};

// allowed[s] &= pred(s) over every slot. The predicates are small inlined
// lambdas over one contiguous column, so this is one tight pass per clause.
template <typename Pred>
void AndInto(std::vector<uint8_t>& allowed, Pred pred) {
  uint8_t* a = allowed.data();
  const size_t n = allowed.size();
  for (size_t s = 0; s < n; ++s) a[s] &= static_cast<uint8_t>(pred(s));
}

// Calls `then` with a predicate "slot s's string value is one of `wanted`".
// One code compares directly; more go through a table over all codes, which
// costs one byte per distinct value and turns the test into a load.
template <typename Then>
void WithCodePredicate(const std::vector<uint32_t>& codes, const std::vector<uint32_t>& wanted, size_t dictionary_size,
                       Then then) {
  if (wanted.empty()) {
    then([](size_t) { return false; });
  } else if (wanted.size() == 1) {
    const uint32_t* c = codes.data();
    const uint32_t code = wanted[0];
    then([c, code](size_t s) { return c[s] == code; });
  } else {
    std::vector<uint8_t> table(dictionary_size + 1, 0);  // code 0 (absent) stays 0
    for (uint32_t code : wanted) table[code] = 1;
    const uint32_t* c = codes.data();
    const uint8_t* t = table.data();
    then([c, t](size_t s) { return t[c[s]] != 0; });
  }
}

// Calls `then` with a predicate "slot s's numeric value is one of `wanted`"
// (sorted, no NaN). Absent slots hold NaN, which equals nothing.
template <typename Then>
void WithNumberPredicate(const std::vector<double>& numbers, const std::vector<double>& wanted, Then then) {
  const double* v = numbers.data();
  if (wanted.empty()) {
    then([](size_t) { return false; });
  } else if (wanted.size() == 1) {
    const double x = wanted[0];
    then([v, x](size_t s) { return v[s] == x; });
  } else if (wanted.size() <= kLinearNumbers) {
    // A handful of values: comparing with each beats a binary search, whose
    // branches mispredict on every slot.
    const double* w = wanted.data();
    const size_t count = wanted.size();
    then([v, w, count](size_t s) {
      bool match = false;
      for (size_t k = 0; k < count; ++k) match |= v[s] == w[k];
      return match;
    });
  } else {
    const double* begin = wanted.data();
    const double* end = begin + wanted.size();
    then([v, begin, end](size_t s) {
      // lower_bound, then ==: std::binary_search would call NaN "found".
      const double* it = std::lower_bound(begin, end, v[s]);
      return it != end && *it == v[s];
    });
  }
}

}  // namespace

absl::StatusOr<MetadataFilter> ParseMetadataFilter(absl::string_view text) { return FilterParser(text).Parse(); }

MetadataColumns MetadataColumns::Build(const std::vector<std::map<std::string, MetadataValue>>& per_slot) {
  MetadataColumns columns;
  const size_t n = per_slot.size();
  columns.num_slots_ = static_cast<int64_t>(n);
  for (size_t s = 0; s < n; ++s) {
    for (const auto& [name, value] : per_slot[s]) {
      Field& field = columns.fields_[name];
      if (const std::string* str = std::get_if<std::string>(&value)) {
        // Columns are allocated on first use so a field that is always a
        // number (or always a string) costs one column, not two.
        if (field.codes.empty()) field.codes.assign(n, 0);
        const uint32_t next_code = static_cast<uint32_t>(field.dictionary.size() + 1);
        field.codes[s] = field.dictionary.try_emplace(*str, next_code).first->second;
      } else {
        if (field.numbers.empty()) field.numbers.assign(n, std::numeric_limits<double>::quiet_NaN());
        field.numbers[s] = std::get<double>(value);
      }
    }
  }
  return columns;
}

absl::StatusOr<std::vector<uint8_t>> MetadataColumns::Evaluate(const MetadataFilter& filter) const {
  // Check every clause before scanning anything: a typo in the last clause
  // should not cost the scans of the others.
  for (const FilterClause& clause : filter.clauses) {
    if (!fields_.contains(clause.field)) {
      return absl::InvalidArgumentError(absl::StrCat("no document has a metadata field ", Quote(clause.field)));
    }
    switch (clause.op) {
      case FilterClause::Op::kEquals:
      case FilterClause::Op::kIn:
        if (clause.values.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("the clause on field ", Quote(clause.field), " has no values"));
        }
        break;
      case FilterClause::Op::kRange:
        if (std::isnan(clause.lower) || std::isnan(clause.upper)) {
          return absl::InvalidArgumentError(
              absl::StrCat("the range on field ", Quote(clause.field), " has a NaN bound"));
        }
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("the clause on field ", Quote(clause.field),
                                                       " has an unknown operator ", static_cast<int>(clause.op)));
    }
  }

  std::vector<uint8_t> allowed(num_slots_, 1);
  for (const FilterClause& clause : filter.clauses) {
    const Field& field = fields_.find(clause.field)->second;
    if (clause.op == FilterClause::Op::kRange) {
      double lo = clause.lower, hi = clause.upper;
      // Exclusive bounds become inclusive ones on the neighbouring double, so
      // the scan is one branch-free comparison pair.
      bool empty = field.numbers.empty();
      if (!clause.lower_inclusive) {
        empty |= lo == kInf;
        lo = std::nextafter(lo, kInf);
      }
      if (!clause.upper_inclusive) {
        empty |= hi == -kInf;
        hi = std::nextafter(hi, -kInf);
      }
      if (empty) {
        std::fill(allowed.begin(), allowed.end(), 0);
        continue;
      }
      const double* v = field.numbers.data();
      // `&` rather than `&&`: no branch per slot, so the loop vectorizes.
      AndInto(allowed, [v, lo, hi](size_t s) { return (v[s] >= lo) & (v[s] <= hi); });
      continue;
    }

    std::vector<uint32_t> wanted_codes;
    std::vector<double> wanted_numbers;
    for (size_t i = 0; i < clause.values.size(); ++i) {
      const std::string* key = std::get_if<std::string>(&clause.values[i]);
      if (key == nullptr) {
        const double x = std::get<double>(clause.values[i]);
        if (!field.numbers.empty() && !std::isnan(x)) wanted_numbers.push_back(x);
        // A number's source text matches documents that stored it as a string.
        if (i < clause.texts.size()) key = &clause.texts[i];
      }
      if (key != nullptr && !field.codes.empty()) {
        auto it = field.dictionary.find(*key);
        if (it != field.dictionary.end()) wanted_codes.push_back(it->second);
      }
    }
    std::sort(wanted_codes.begin(), wanted_codes.end());
    wanted_codes.erase(std::unique(wanted_codes.begin(), wanted_codes.end()), wanted_codes.end());
    std::sort(wanted_numbers.begin(), wanted_numbers.end());
    wanted_numbers.erase(std::unique(wanted_numbers.begin(), wanted_numbers.end()), wanted_numbers.end());

    if (wanted_codes.empty() && wanted_numbers.empty()) {
      std::fill(allowed.begin(), allowed.end(), 0);
    } else if (wanted_numbers.empty()) {
      WithCodePredicate(field.codes, wanted_codes, field.dictionary.size(), [&](auto code_match) {
        AndInto(allowed, code_match);
      });
    } else if (wanted_codes.empty()) {
      WithNumberPredicate(field.numbers, wanted_numbers, [&](auto number_match) { AndInto(allowed, number_match); });
    } else {
      WithCodePredicate(field.codes, wanted_codes, field.dictionary.size(), [&](auto code_match) {
        WithNumberPredicate(field.numbers, wanted_numbers, [&](auto number_match) {
          AndInto(allowed, [&](size_t s) { return code_match(s) || number_match(s); });
        });
      });
    }
  }
  return allowed;
}

size_t MetadataColumns::MemoryBytes() const {
  // Strings short enough for the small-string buffer own no heap memory.
  const size_t inline_capacity = std::string().capacity();
  auto heap = [inline_capacity](const std::string& s) { return s.capacity() > inline_capacity ? s.capacity() + 1 : 0; };
  size_t bytes = fields_.capacity() * (sizeof(std::pair<const std::string, Field>) + 1);
  for (const auto& [name, field] : fields_) {
    bytes += heap(name);
    bytes += field.codes.capacity() * sizeof(uint32_t) + field.numbers.capacity() * sizeof(double);
    bytes += field.dictionary.capacity() * (sizeof(std::pair<const std::string, uint32_t>) + 1);
    for (const auto& [value, code] : field.dictionary) bytes += heap(value);
  }
  return bytes;
}

absl::StatusOr<bool> MatchesMetadata(const MetadataFilter& filter,
                                     const std::map<std::string, MetadataValue>& metadata) {
  for (const FilterClause& clause : filter.clauses) {
    if (metadata.count(clause.field) == 0) return false;
  }
  MetadataColumns columns = MetadataColumns::Build({metadata});
  absl::StatusOr<std::vector<uint8_t>> allowed = columns.Evaluate(filter);
  if (!allowed.ok()) return allowed.status();
  return (*allowed)[0] != 0;
}

}  // namespace lateral
