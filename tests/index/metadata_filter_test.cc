#include "index/metadata_filter.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace lateral {
namespace {

using Metadata = std::map<std::string, MetadataValue>;
using Op = FilterClause::Op;

std::string ValueString(const MetadataValue& v) {
  if (const std::string* s = std::get_if<std::string>(&v)) return absl::StrCat("'", *s, "'");
  return absl::StrCat(std::get<double>(v));
}

// A compact rendering of a parsed filter, so the parser table reads as
// "text -> structure": strings in single quotes, numbers bare, ranges as
// intervals with [ ] for inclusive and ( ) for exclusive ends.
std::string Describe(const MetadataFilter& filter) {
  std::vector<std::string> parts;
  for (const FilterClause& c : filter.clauses) {
    std::vector<std::string> values;
    for (const MetadataValue& v : c.values) values.push_back(ValueString(v));
    switch (c.op) {
      case Op::kEquals:
        parts.push_back(absl::StrCat(c.field, " = ", absl::StrJoin(values, ",")));
        break;
      case Op::kIn:
        parts.push_back(absl::StrCat(c.field, " in {", absl::StrJoin(values, ","), "}"));
        break;
      case Op::kRange:
        parts.push_back(absl::StrCat(c.field, " ", c.lower_inclusive ? "[" : "(", c.lower, ",", c.upper,
                                     c.upper_inclusive ? "]" : ")"));
        break;
    }
  }
  return absl::StrJoin(parts, " ; ");
}

TEST(ParseMetadataFilterTest, AcceptsTheGrammar) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"lang=en", "lang = 'en'"},
      {"  lang   =   en  ", "lang = 'en'"},
      {"year = 2020", "year = 2020"},
      {"year = -3.5e2", "year = -350"},
      {"year = +7", "year = 7"},
      {"x = 1e+3", "x = 1000"},
      {"x = .5", "x = 0.5"},
      {"id = 0x1f", "id = '0x1f'"},  // hex is not a number here
      {"x = inf", "x = 'inf'"},
      {"x = nan", "x = 'nan'"},
      {"x = 1e999", "x = '1e999'"},  // overflows: not a finite number, so a string
      {"date = 2020-01-02", "date = '2020-01-02'"},
      {"url = https://a.b/c@d:e", "url = 'https://a.b/c@d:e'"},
      {"lang = français", "lang = 'français'"},
      {"title = \"old books\"", "title = 'old books'"},
      {"year = \"2020\"", "year = '2020'"},  // quoted: always a string
      {"t = \"\"", "t = ''"},
      {"t = \"AND\"", "t = 'AND'"},
      {"source IN (web)", "source in {'web'}"},
      {"source in(web,\"old books\" , 3)", "source in {'web','old books',3}"},
      {"source In ( a ,b )", "source in {'a','b'}"},
      {"year > 2000", "year (2000,inf]"},
      {"year>=2000", "year [2000,inf]"},
      {"year < 2010", "year [-inf,2010)"},
      {"year <= -1", "year [-inf,-1]"},
      {"year<-1", "year [-inf,-1)"},
      {"lang=en AND year>=2000 AND year<2010 AND source IN (web, \"old books\")",
       "lang = 'en' ; year [2000,inf] ; year [-inf,2010) ; source in {'web','old books'}"},
      {"a=1 and b=2 AnD c=3", "a = 1 ; b = 2 ; c = 3"},
      {"a=\"x\"AND b=2", "a = 'x' ; b = 2"},
      {"a IN (x)AND b=2", "a in {'x'} ; b = 2"},
      {"and = 1 AND in = 2", "and = 1 ; in = 2"},  // keywords are fine as field names
      {"x IN (in)", "x in {'in'}"},
      {"_a.b-c = v", "_a.b-c = 'v'"},
      {"a=b\tAND\nc=d", "a = 'b' ; c = 'd'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<MetadataFilter> filter = ParseMetadataFilter(c.text);
    ASSERT_TRUE(filter.ok()) << c.text << ": " << filter.status();
    EXPECT_EQ(Describe(*filter), c.expected) << c.text;
  }
}

TEST(ParseMetadataFilterTest, KeepsTheTextOfEveryValue) {
  auto filter = ParseMetadataFilter("year IN (2020, 1e3, \"x y\", abc, \"7\")");
  ASSERT_TRUE(filter.ok()) << filter.status();
  const FilterClause& c = filter->clauses[0];
  EXPECT_EQ(c.values, (std::vector<MetadataValue>{2020.0, 1000.0, std::string("x y"), std::string("abc"),
                                                  std::string("7")}));
  EXPECT_EQ(c.texts, (std::vector<std::string>{"2020", "1e3", "x y", "abc", "7"}));
}

TEST(ParseMetadataFilterTest, QuotedStringsTakeSpacesAndEscapes) {
  auto filter = ParseMetadataFilter(R"x(title = "say \"hi\" \\ now AND then" AND b IN ("a,b", ")"))x");
  ASSERT_TRUE(filter.ok()) << filter.status();
  ASSERT_EQ(filter->clauses.size(), 2u);
  EXPECT_EQ(filter->clauses[0].values, (std::vector<MetadataValue>{std::string(R"(say "hi" \ now AND then)")}));
  EXPECT_EQ(filter->clauses[1].values, (std::vector<MetadataValue>{std::string("a,b"), std::string(")")}));
}

TEST(ParseMetadataFilterTest, RejectsWithMessagesNamingTheClause) {
  struct Case {
    const char* text;
    const char* clause;   // "filter clause N (...)" prefix expected in the message
    const char* problem;  // a substring of the explanation
  };
  const Case cases[] = {
      {"year >> 3", R"(filter clause 1 ("year >> 3"))", R"(expected one of = IN < <= > >= after field "year")"},
      {"lang = en AND year >> 3", R"(filter clause 2 ("year >> 3"))", R"(found ">>")"},
      {"year != 3", R"(filter clause 1 ("year != 3"))", "expected one of = IN"},
      {"year == 3", R"(filter clause 1 ("year == 3"))", "expected one of = IN"},
      {"year 3", R"(filter clause 1 ("year 3"))", R"(found "3")"},
      {"year", R"(filter clause 1 ("year"))", "found the end of the filter"},
      {"year =", R"(filter clause 1 ("year ="))", R"(missing value after "=")"},
      {"year = AND b = 1", R"(filter clause 1 ("year ="))", "AND is the keyword"},
      {"year = (3)", R"x(filter clause 1 ("year = (3)"))x", "missing value"},
      {"year > abc", R"(filter clause 1 ("year > abc"))", R"(">" needs a finite number, found "abc")"},
      {"year > \"2000\"", R"(filter clause 1 ("year > \"2000\""))", "the quoted string"},
      {"year <= inf", R"(filter clause 1 ("year <= inf"))", "needs a finite number"},
      {"a = 1 AND t = \"abc", R"(filter clause 2 ("t = \"abc"))", "unterminated string"},
      {"t = \"abc\\", R"(filter clause 1 ("t = \"abc\\"))", "unterminated string"},
      {"t = \"a\\nb\"", R"(filter clause 1)", "unknown escape"},
      {"lang = en fr", R"(filter clause 1 ("lang = en fr"))", R"(unexpected "fr" after the clause)"},
      {"lang = en, fr", R"(filter clause 1 ("lang = en, fr"))", R"(unexpected ",")"},
      {"a = 1 OR b = 2", R"(filter clause 1 ("a = 1 OR b = 2"))", R"(unexpected "OR")"},
      {"a = 1 && b = 2", R"(filter clause 1 ("a = 1 && b = 2"))", R"(unexpected "&")"},
      {"lang IN ()", R"x(filter clause 1 ("lang IN ()"))x", "IN () needs at least one value"},
      {"lang IN ( )", R"(filter clause 1)", "IN () needs at least one value"},
      {"lang IN en", R"(filter clause 1 ("lang IN en"))", R"(expected "(" after IN)"},
      {"lang IN (en, fr", R"x(filter clause 1 ("lang IN (en, fr"))x", R"x(missing ")")x"},
      {"lang IN (en,)", R"x(filter clause 1 ("lang IN (en,)"))x", R"(missing value after ",")"},
      {"lang IN (en fr)", R"x(filter clause 1 ("lang IN (en fr)"))x", R"x(expected "," or ")")x"},
      {"a = 1 AND", R"(filter clause 2 (""))", "expected a clause after AND"},
      {"a = 1 AND AND", R"(filter clause 2 ("AND"))", "expected one of"},
      {"1year = 3", R"(filter clause 1 ("1year = 3"))", "expected a field name"},
      {"= 3", R"(filter clause 1 ("= 3"))", "expected a field name"},
      {"a = 1 AND \"b\" = 2", R"(filter clause 2 ("\"b\" = 2"))", "expected a field name"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<MetadataFilter> filter = ParseMetadataFilter(c.text);
    ASSERT_FALSE(filter.ok()) << c.text;
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    const std::string message(filter.status().message());
    EXPECT_EQ(message.rfind(c.clause, 0), 0u) << c.text << " -> " << message;
    EXPECT_NE(message.find(c.problem), std::string::npos) << c.text << " -> " << message;
  }
  for (const char* empty : {"", "   ", "\t\n"}) {
    absl::StatusOr<MetadataFilter> filter = ParseMetadataFilter(empty);
    ASSERT_FALSE(filter.ok());
    EXPECT_EQ(filter.status().message(), "empty filter");
  }
}

TEST(ParseMetadataFilterTest, LongClausesAreElidedInMessages) {
  const std::string text = "a = 1 AND b >> " + std::string(500, 'x');
  auto filter = ParseMetadataFilter(text);
  ASSERT_FALSE(filter.ok());
  EXPECT_LT(filter.status().message().size(), 250u) << filter.status();
  EXPECT_NE(filter.status().message().find("...\""), std::string::npos) << filter.status();
}

// Ten documents; the expected bitmaps below are worked out from this table.
//   slot  lang  year         source
//   0     en    2001         web
//   1     fr    1999         "old books"
//   2     en    "2020"       news
//   3     -     2020         web
//   4     de    2005.5       -
//   5     en    "n/a"        "old books"
//   6     en    -            -
//   7     fr    2010         web
//   8     -     -            -
//   9     es    2000         news
std::vector<Metadata> TenSlots() {
  return {
      {{"lang", "en"}, {"year", 2001.0}, {"source", "web"}},
      {{"lang", "fr"}, {"year", 1999.0}, {"source", "old books"}},
      {{"lang", "en"}, {"year", "2020"}, {"source", "news"}},
      {{"year", 2020.0}, {"source", "web"}},
      {{"lang", "de"}, {"year", 2005.5}},
      {{"lang", "en"}, {"year", "n/a"}, {"source", "old books"}},
      {{"lang", "en"}},
      {{"lang", "fr"}, {"year", 2010.0}, {"source", "web"}},
      {},
      {{"lang", "es"}, {"year", 2000.0}, {"source", "news"}},
  };
}

std::string Bits(const std::vector<uint8_t>& allowed) {
  std::string out;
  for (uint8_t a : allowed) out.push_back(a ? '1' : '0');
  return out;
}

TEST(MetadataColumnsTest, EvaluatesHandWorkedFilters) {
  const MetadataColumns columns = MetadataColumns::Build(TenSlots());
  EXPECT_EQ(columns.num_slots(), 10);
  struct Case {
    const char* filter;
    const char* expected;  // slot 0 first
  };
  const Case cases[] = {
      {"lang = en", "1010011000"},
      {"lang = EN", "0000000000"},  // values are case-sensitive
      {"lang = xx", "0000000000"},
      {"lang IN (fr, es)", "0100000101"},
      {"lang IN (fr, es, fr, zz)", "0100000101"},
      {"source = \"old books\"", "0100010000"},
      {"source = \"old books\" AND lang = en", "0000010000"},
      // A bare number matches numeric years and the string "2020" alike.
      {"year = 2020", "0011000000"},
      // Quoted, it is a string only; written differently, only the number.
      {"year = \"2020\"", "0010000000"},
      {"year = 2020.0", "0001000000"},
      {"year = 2005.5", "0000100000"},
      {"year IN (n/a, 1999)", "0100010000"},
      {"year IN (2000, 2001, 2010, 2020)", "1011000101"},
      // Ranges see numbers only: slot 2's "2020" and slot 5's "n/a" never match.
      {"year > 2000", "1001100100"},
      {"year >= 2000", "1001100101"},
      {"year <= 2000", "0100000001"},
      {"year < 2000", "0100000000"},
      {"year >= 2000 AND year < 2010", "1000100001"},
      {"year > 2010 AND year < 2010", "0000000000"},
      {"lang = en AND year > 2000", "1000000000"},
      {"year < 1e9 AND lang IN (en, fr, de, es)", "1100100101"},
  };
  for (const Case& c : cases) {
    auto filter = ParseMetadataFilter(c.filter);
    ASSERT_TRUE(filter.ok()) << c.filter << ": " << filter.status();
    auto allowed = columns.Evaluate(*filter);
    ASSERT_TRUE(allowed.ok()) << c.filter << ": " << allowed.status();
    EXPECT_EQ(Bits(*allowed), c.expected) << c.filter;
  }
}

TEST(MetadataColumnsTest, EmptyFilterAllowsEverySlot) {
  const MetadataColumns columns = MetadataColumns::Build(TenSlots());
  auto allowed = columns.Evaluate(MetadataFilter{});
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(Bits(*allowed), "1111111111");
}

TEST(MetadataColumnsTest, HandBuiltClausesWithoutTextsMatchNumbersOnly) {
  const MetadataColumns columns = MetadataColumns::Build(TenSlots());
  MetadataFilter filter;
  filter.clauses.push_back({"year", Op::kEquals, {MetadataValue(2020.0)}});
  auto allowed = columns.Evaluate(filter);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(Bits(*allowed), "0001000000");

  FilterClause range;
  range.field = "year";
  range.op = Op::kRange;
  range.lower = 2000;
  range.lower_inclusive = false;
  range.upper = std::numeric_limits<double>::infinity();
  filter.clauses = {range};
  allowed = columns.Evaluate(filter);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(Bits(*allowed), "1001100100");

  // Malformed hand-built clauses are errors, not silent mismatches.
  FilterClause no_values;
  no_values.field = "year";
  no_values.op = Op::kIn;
  filter.clauses = {no_values};
  EXPECT_EQ(columns.Evaluate(filter).status().code(), absl::StatusCode::kInvalidArgument);
  range.upper = std::nan("");
  filter.clauses = {range};
  EXPECT_EQ(columns.Evaluate(filter).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MetadataColumnsTest, UnknownFieldIsAnErrorNamingIt) {
  const MetadataColumns columns = MetadataColumns::Build(TenSlots());
  auto filter = ParseMetadataFilter("lang = en AND langg = en");
  ASSERT_TRUE(filter.ok());
  auto allowed = columns.Evaluate(*filter);
  ASSERT_FALSE(allowed.ok());
  EXPECT_EQ(allowed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(allowed.status().message(), "no document has a metadata field \"langg\"");

  // No documents: every field is unknown.
  const MetadataColumns none = MetadataColumns::Build({});
  EXPECT_FALSE(none.Evaluate(*filter).ok());
  auto all = none.Evaluate(MetadataFilter{});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST(MetadataColumnsTest, MemoryIsAFewBytesPerSlotAndField) {
  const int n = 10000;
  std::vector<Metadata> strings(n), numbers(n), both(n);
  for (int s = 0; s < n; ++s) {
    strings[s]["lang"] = std::string(s % 3 == 0 ? "en" : "fr");
    numbers[s]["year"] = static_cast<double>(s % 50);
    both[s]["lang"] = std::string("en");
    both[s]["year"] = static_cast<double>(s);
  }
  const size_t string_bytes = MetadataColumns::Build(strings).MemoryBytes();
  const size_t number_bytes = MetadataColumns::Build(numbers).MemoryBytes();
  const size_t both_bytes = MetadataColumns::Build(both).MemoryBytes();
  EXPECT_GE(string_bytes, 4u * n);
  EXPECT_LT(string_bytes, 4u * n + 4096);
  EXPECT_GE(number_bytes, 8u * n);
  EXPECT_LT(number_bytes, 8u * n + 4096);
  EXPECT_GE(both_bytes, 12u * n);
  EXPECT_LT(both_bytes, 12u * n + 4096);
  EXPECT_LT(MetadataColumns().MemoryBytes(), 1024u);
}

// Random documents and random filters (written as text, so the parser is in
// the loop) against a per-slot oracle that knows each literal's meaning from
// the generator, not from the parser.
struct RandomLiteral {
  std::string text;  // as written in the filter
  bool quoted;
  std::string content;  // the string it denotes (unquoted, unescaped)
  bool is_number;
  double number;
};

bool OracleMatches(const Metadata& doc, const std::string& field, const std::string& op,
                   const std::vector<RandomLiteral>& literals, double bound) {
  auto it = doc.find(field);
  if (it == doc.end()) return false;
  const std::string* str = std::get_if<std::string>(&it->second);
  if (op == "=" || op == "IN") {
    for (const RandomLiteral& l : literals) {
      if (str != nullptr && *str == l.content) return true;
      if (str == nullptr && l.is_number && std::get<double>(it->second) == l.number) return true;
    }
    return false;
  }
  if (str != nullptr) return false;
  const double v = std::get<double>(it->second);
  if (op == "<") return v < bound;
  if (op == "<=") return v <= bound;
  if (op == ">") return v > bound;
  return v >= bound;
}

TEST(MetadataColumnsTest, RandomFiltersAgreeWithAPerSlotOracle) {
  std::mt19937 rng(20240607);
  const std::vector<MetadataValue> pool = {std::string("a"),   std::string("b"),  std::string("10"),
                                           std::string("2.5"), std::string("x y"), std::string("q\"t"),
                                           10.0,               2.5,                -1.0,
                                           0.0,                7.0,                1000.0};
  const std::vector<RandomLiteral> literals = {
      {"a", false, "a", false, 0},          {"b", false, "b", false, 0},
      {"zz", false, "zz", false, 0},        {"\"x y\"", true, "x y", false, 0},
      {"\"q\\\"t\"", true, "q\"t", false, 0}, {"10", false, "10", true, 10},
      {"\"10\"", true, "10", false, 0},     {"2.5", false, "2.5", true, 2.5},
      {"-1", false, "-1", true, -1},        {"0", false, "0", true, 0},
      {"-0", false, "-0", true, 0},         {"7.0", false, "7.0", true, 7},
      {"1e3", false, "1e3", true, 1000},    {"3", false, "3", true, 3},
  };
  const std::vector<double> bounds = {-1, 0, 2.5, 3, 7, 10, 1000, -5, 5000};
  const std::vector<std::string> fields = {"f0", "f1", "f2", "f3"};
  const std::vector<std::string> ops = {"=", "IN", "<", "<=", ">", ">="};

  const int n = 2000;
  std::vector<Metadata> docs(n);
  for (Metadata& doc : docs) {
    for (size_t f = 0; f < fields.size(); ++f) {
      // f0 is nearly always set, f3 rarely; f2 holds numbers only.
      const double presence = 0.95 - 0.25 * f;
      if (std::uniform_real_distribution<double>(0, 1)(rng) >= presence) continue;
      size_t pick = std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng);
      if (f == 2) pick = 6 + pick % 6;
      doc[fields[f]] = pool[pick];
    }
  }
  const MetadataColumns columns = MetadataColumns::Build(docs);

  int64_t total_matched = 0;
  const int trials = 300;
  for (int trial = 0; trial < trials; ++trial) {
    const int num_clauses = std::uniform_int_distribution<int>(1, 3)(rng);
    std::vector<std::string> clause_texts;
    struct OracleClause {
      std::string field, op;
      std::vector<RandomLiteral> literals;
      double bound = 0;
    };
    std::vector<OracleClause> oracle;
    for (int c = 0; c < num_clauses; ++c) {
      OracleClause o;
      o.field = fields[std::uniform_int_distribution<size_t>(0, fields.size() - 1)(rng)];
      o.op = ops[std::uniform_int_distribution<size_t>(0, ops.size() - 1)(rng)];
      std::string text = o.field + " " + o.op + " ";
      if (o.op == "=" || o.op == "IN") {
        const int count = o.op == "=" ? 1 : std::uniform_int_distribution<int>(1, 6)(rng);
        std::vector<std::string> written;
        for (int i = 0; i < count; ++i) {
          o.literals.push_back(literals[std::uniform_int_distribution<size_t>(0, literals.size() - 1)(rng)]);
          written.push_back(o.literals.back().text);
        }
        // Now and then a long list of numbers, which takes another code path.
        if (o.op == "IN" && trial % 5 == 0) {
          for (int k = 11; k < 30; ++k) {
            o.literals.push_back({absl::StrCat(k), false, absl::StrCat(k), true, static_cast<double>(k)});
            written.push_back(o.literals.back().text);
          }
        }
        text += o.op == "=" ? written[0] : "(" + absl::StrJoin(written, ", ") + ")";
      } else {
        o.bound = bounds[std::uniform_int_distribution<size_t>(0, bounds.size() - 1)(rng)];
        text += absl::StrCat(o.bound);
      }
      clause_texts.push_back(text);
      oracle.push_back(std::move(o));
    }
    const std::string text = absl::StrJoin(clause_texts, trial % 2 ? " AND " : " and ");
    auto filter = ParseMetadataFilter(text);
    ASSERT_TRUE(filter.ok()) << text << ": " << filter.status();
    auto allowed = columns.Evaluate(*filter);
    ASSERT_TRUE(allowed.ok()) << text << ": " << allowed.status();
    ASSERT_EQ(allowed->size(), static_cast<size_t>(n));
    for (int s = 0; s < n; ++s) {
      bool expected = true;
      for (const OracleClause& o : oracle) {
        expected = expected && OracleMatches(docs[s], o.field, o.op, o.literals, o.bound);
      }
      total_matched += expected;
      ASSERT_EQ((*allowed)[s], expected ? 1 : 0) << text << " at slot " << s;
    }
  }
  // The filters must be neither trivially empty nor trivially full.
  EXPECT_GT(total_matched, trials * n / 50);
  EXPECT_LT(total_matched, trials * n / 2);
}

}  // namespace
}  // namespace lateral

namespace lateral {
namespace {

// MatchesMetadata must agree with the columnar Evaluate slot by slot, and treat
// a missing field as no match rather than an error.
TEST(MatchesMetadataTest, AgreesWithColumnsOnEverySlot) {
  std::vector<std::map<std::string, MetadataValue>> docs = {
      {{"lang", std::string("de")}, {"year", 2001.0}},
      {{"lang", std::string("en")}, {"year", 1999.0}},
      {{"lang", std::string("de")}, {"year", std::string("2020")}},
      {{"year", 2010.0}},
      {{"lang", std::string("fr")}, {"year", 2005.0}, {"src", std::string("web")}},
  };
  MetadataColumns columns = MetadataColumns::Build(docs);
  for (const char* text : {"lang = de", "year >= 2000", "lang IN (de, fr) AND year < 2006", "year = 2020",
                           "lang = en AND year > 1990", "src = web"}) {
    absl::StatusOr<MetadataFilter> filter = ParseMetadataFilter(text);
    ASSERT_TRUE(filter.ok()) << filter.status();
    absl::StatusOr<std::vector<uint8_t>> allowed = columns.Evaluate(*filter);
    ASSERT_TRUE(allowed.ok()) << allowed.status();
    for (size_t i = 0; i < docs.size(); ++i) {
      absl::StatusOr<bool> match = MatchesMetadata(*filter, docs[i]);
      ASSERT_TRUE(match.ok()) << match.status();
      EXPECT_EQ(*match, (*allowed)[i] != 0) << text << " on document " << i;
    }
  }
  absl::StatusOr<MetadataFilter> unknown = ParseMetadataFilter("topic = x");
  ASSERT_TRUE(unknown.ok());
  absl::StatusOr<bool> match = MatchesMetadata(*unknown, docs[0]);
  ASSERT_TRUE(match.ok());
  EXPECT_FALSE(*match);
}

}  // namespace
}  // namespace lateral
