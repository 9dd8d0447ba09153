// JSON Lines and CSV/TSV extraction (ingest/formats/jsonl.cc, csv.cc, csv_parser.cc).
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/formats/extract.h"

namespace lateral::ingest {
namespace {

using ::testing::HasSubstr;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(LATERAL_TEST_DATA_DIR) + "/ingest-formats/" + name,
                   std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<ExtractedDocument> Extract(Format format, std::string_view bytes,
                                       std::string_view name, const ExtractOptions& options = {}) {
  auto docs = ExtractDocuments(format, bytes, options, name);
  EXPECT_TRUE(docs.ok()) << docs.status();
  return docs.ok() ? *docs : std::vector<ExtractedDocument>{};
}

// The error message of a call that must fail with InvalidArgument.
std::string Error(Format format, std::string_view bytes, std::string_view name,
                  const ExtractOptions& options = {}) {
  auto docs = ExtractDocuments(format, bytes, options, name);
  EXPECT_FALSE(docs.ok());
  if (docs.ok()) return "";
  EXPECT_EQ(docs.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(docs.status().message());
}

ExtractOptions WithMetadata(std::vector<std::string> fields) {
  ExtractOptions options;
  options.fields.metadata_fields = std::move(fields);
  return options;
}

std::string Str(const ExtractedDocument& doc, const std::string& field) {
  return std::get<std::string>(doc.metadata.at(field));
}
double Num(const ExtractedDocument& doc, const std::string& field) {
  return std::get<double>(doc.metadata.at(field));
}

TEST(Jsonl, FixtureRecordsKeysLinesAndListedMetadata) {
  auto docs = Extract(Format::kJsonl, ReadFixture("records.jsonl"), "r.jsonl",
                      WithMetadata({"lang", "n", "flag", "missing"}));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].key, "d1");
  EXPECT_EQ(docs[0].title, "One");
  EXPECT_EQ(docs[0].text, "First document");
  EXPECT_EQ(docs[0].first_line, 1);
  EXPECT_TRUE(docs[0].source_lines);
  EXPECT_EQ(Str(docs[0], "lang"), "en");
  EXPECT_EQ(Num(docs[0], "n"), 3.0);
  EXPECT_EQ(Str(docs[0], "flag"), "true");
  EXPECT_EQ(docs[0].metadata.size(), 3u);  // "missing" is absent, "tags" not listed
  EXPECT_EQ(docs[1].key, "42");            // integer ids become their decimal text
  EXPECT_EQ(docs[1].first_line, 3);        // the blank line 2 is skipped, not renumbered
  EXPECT_EQ(docs[1].text, "Second\ndocument");
  EXPECT_FALSE(docs[1].source_lines);
  EXPECT_EQ(docs[1].title, "");
  EXPECT_EQ(docs[2].key, "line-4");
  EXPECT_EQ(Num(docs[2], "n"), 2.5);
  EXPECT_EQ(docs[2].metadata.count("lang"), 0u);
}

TEST(Jsonl, WildcardMetadataSkipsNonScalarsAndReservedFields) {
  auto docs = Extract(Format::kJsonl, ReadFixture("records.jsonl"), "r.jsonl", WithMetadata({"*"}));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].metadata.size(), 3u);  // lang, n, flag; not id/text/title, not tags
  EXPECT_EQ(docs[0].metadata.count("tags"), 0u);
  EXPECT_EQ(docs[0].metadata.count("title"), 0u);
  // Listing a non-scalar field explicitly is an error naming field and line.
  EXPECT_THAT(Error(Format::kJsonl, ReadFixture("records.jsonl"), "r.jsonl", WithMetadata({"tags"})),
              HasSubstr("r.jsonl:1: field \"tags\" is an array"));
}

TEST(Jsonl, ErrorsNameSourceLineAndField) {
  EXPECT_EQ(Error(Format::kJsonl, "{\"text\":\"a\"}\n{\"body\":\"b\"}\n", "x.jsonl"),
            "x.jsonl:2: field \"text\" is missing");
  EXPECT_EQ(Error(Format::kJsonl, "\n\n{\"text\": 5}", "x.jsonl"),
            "x.jsonl:3: field \"text\" is not a string (found number)");
  EXPECT_THAT(Error(Format::kJsonl, "{\"text\":\"a\"}\n{\"text\": \"b\",}\n", "x.jsonl"),
              HasSubstr("x.jsonl:2: "));
  EXPECT_EQ(Error(Format::kJsonl, "[1,2]\n", "x.jsonl"),
            "x.jsonl:1: expected a JSON object, found array");
  EXPECT_EQ(Error(Format::kJsonl,
                  "{\"id\":\"a\",\"text\":\"1\"}\n{\"id\":\"b\",\"text\":\"2\"}\n"
                  "{\"id\":\"a\",\"text\":\"3\"}\n",
                  "x.jsonl"),
            "x.jsonl:3: duplicate id \"a\" (first on line 1)");
  EXPECT_EQ(Error(Format::kJsonl, "{\"id\":1.5,\"text\":\"x\"}", "x.jsonl"),
            "x.jsonl:1: field \"id\" must be a string or an integer (found number)");
  EXPECT_EQ(Error(Format::kJsonl, "{\"title\":[],\"text\":\"x\"}", "x.jsonl"),
            "x.jsonl:1: field \"title\" is not a string (found array)");
  EXPECT_THAT(Error(Format::kJsonl, "{\"text\":\"x\",\"m\":{\"a\":1}}", "x.jsonl", WithMetadata({"m"})),
              HasSubstr("x.jsonl:1: field \"m\" is an object"));
  std::string deep = "{\"text\":\"x\",\"d\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_THAT(Error(Format::kJsonl, deep, "x.jsonl"), HasSubstr("x.jsonl:1: JSON nested deeper"));
}

TEST(Jsonl, CustomFieldNamesAndEmptyFile) {
  ExtractOptions options;
  options.fields.text_field = "body";
  options.fields.id_field = "doc_id";
  options.fields.title_field = "name";
  auto docs = Extract(Format::kJsonl, "{\"doc_id\":7,\"body\":\"b\",\"name\":\"N\",\"text\":1}",
                      "c.ndjson", options);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].key, "7");
  EXPECT_EQ(docs[0].text, "b");
  EXPECT_EQ(docs[0].title, "N");
  EXPECT_TRUE(Extract(Format::kJsonl, "", "e.jsonl").empty());
  EXPECT_TRUE(Extract(Format::kJsonl, "\n  \n", "e.jsonl").empty());
}

// Property: whatever strings a writer puts in records come back exactly (NFC ASCII here).
TEST(Jsonl, RandomRecordsRoundTrip) {
  std::mt19937 rng(5);
  const std::string alphabet = "ab \"\\\n\t{}[],:/\x01";
  std::string file;
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    std::string text;
    for (size_t k = rng() % 30; k > 0; --k) text.push_back(alphabet[rng() % alphabet.size()]);
    texts.push_back(text);
    file += nlohmann::json{{"text", text}, {"id", i}}.dump() + "\n";
  }
  auto docs = Extract(Format::kJsonl, file, "p.jsonl");
  ASSERT_EQ(docs.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(docs[i].text, texts[i]);
    EXPECT_EQ(docs[i].key, std::to_string(i));
    EXPECT_EQ(docs[i].first_line, static_cast<int>(i) + 1);
  }
}

TEST(Csv, FixtureQuotedMultilineFieldsAndMetadata) {
  auto docs = Extract(Format::kCsv, ReadFixture("records.csv"), "data/r.csv", WithMetadata({"*"}));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].key, "a1");
  EXPECT_EQ(docs[0].title, "First");
  EXPECT_EQ(docs[0].text, "Plain text, with comma");
  EXPECT_EQ(docs[0].first_line, 2);
  EXPECT_TRUE(docs[0].source_lines);
  EXPECT_EQ(Num(docs[0], "year"), 2020.0);
  EXPECT_EQ(Num(docs[0], "score"), 1.5);
  EXPECT_EQ(docs[0].metadata.size(), 2u);  // id, title, text are not metadata
  EXPECT_EQ(docs[1].key, "a2");
  EXPECT_EQ(docs[1].text, "Line one\nline \"two\"");  // CRLF inside the quotes becomes LF
  EXPECT_EQ(docs[1].first_line, 3);
  EXPECT_FALSE(docs[1].source_lines);
  EXPECT_EQ(docs[1].metadata.count("score"), 0u);  // empty cell: absent
  EXPECT_EQ(docs[2].key, "row-3");                  // empty id: the row number
  EXPECT_EQ(docs[2].first_line, 5);                 // after the two-line record
  EXPECT_EQ(Str(docs[2], "year"), "n/a");
  EXPECT_EQ(Str(docs[2], "score"), "0007");  // leading zeros stay text
}

TEST(Csv, TsvQuotesAreOrdinaryUnlessTheyQuoteAField) {
  auto docs = Extract(Format::kCsv, ReadFixture("records.tsv"), "r.tsv", WithMetadata({"source"}));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, "\"Moby Dick\" is a novel");
  EXPECT_EQ(docs[1].text, "quoted\ttab");
  EXPECT_EQ(docs[2].text, "plain text with \"inner\" quotes");
  EXPECT_EQ(Str(docs[1], "source"), "book");
  // The same bytes named .csv are comma-separated: one column "id\ttext\tsource", no "text".
  EXPECT_THAT(Error(Format::kCsv, ReadFixture("records.tsv"), "r.csv"),
              HasSubstr("r.csv:1: field \"text\" is missing"));
}

TEST(Csv, ErrorsNameSourceAndLine) {
  EXPECT_EQ(Error(Format::kCsv, "id,text\n1,a\n2,b,c\n", "x.csv"),
            "x.csv:3: row has 3 fields; the header has 2");
  EXPECT_EQ(Error(Format::kCsv, "id,text\n1,\"a\n\nb\n", "x.csv"),
            "x.csv:2: quoted field is never closed");
  EXPECT_EQ(Error(Format::kCsv, "id,text\n1,\"a\nb\"c\n", "x.csv"),
            "x.csv:3: unexpected character after the closing quote of a field");
  EXPECT_EQ(Error(Format::kCsv, "id,body\n1,a\n", "x.csv"),
            "x.csv:1: field \"text\" is missing: no such column in the header (columns: \"id\", "
            "\"body\")");
  EXPECT_EQ(Error(Format::kCsv, "text,a,a\n", "x.csv"),
            "x.csv:1: column \"a\" appears twice in the header");
  EXPECT_EQ(Error(Format::kCsv, "id,text\n1,a\n\n1,b\n", "x.csv"),
            "x.csv:4: duplicate id \"1\" (first on line 2)");
}

TEST(Csv, DelimiterOptionBlankLinesAndHeaderOnly) {
  ExtractOptions semicolon;
  semicolon.csv_delimiter = ';';
  auto docs = Extract(Format::kCsv, "text;n\n\"a;b\";1\n\n\nc;2", "s.csv", semicolon);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].text, "a;b");
  EXPECT_EQ(docs[1].text, "c");
  EXPECT_EQ(docs[1].first_line, 5);
  EXPECT_EQ(docs[1].key, "row-2");
  EXPECT_TRUE(Extract(Format::kCsv, "id,text\n", "h.csv").empty());
  EXPECT_TRUE(Extract(Format::kCsv, "", "h.csv").empty());
  // A trailing delimiter at the end of the file is an empty last field, not a lost one.
  docs = Extract(Format::kCsv, "text,t2\nx,", "t.csv");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text, "x");
}

// Property: random fields written the RFC 4180 way read back exactly, with first_line equal to
// the line on which each record starts.
TEST(Csv, RandomRecordsRoundTrip) {
  std::mt19937 rng(9);
  const std::string alphabet = "ab ,\"\n;x";
  auto quote = [](const std::string& field) {
    std::string out = "\"";
    for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  std::string file = "id,text,other\n";
  int line = 2;
  std::vector<std::string> texts;
  std::vector<int> lines;
  for (int i = 0; i < 300; ++i) {
    std::string text, other;
    for (size_t k = rng() % 20; k > 0; --k) text.push_back(alphabet[rng() % alphabet.size()]);
    for (size_t k = rng() % 5; k > 0; --k) other.push_back(alphabet[rng() % alphabet.size()]);
    texts.push_back(text);
    lines.push_back(line);
    std::string record = "r" + std::to_string(i) + "," + quote(text) + "," + quote(other);
    file += record + (rng() % 2 ? "\r\n" : "\n");
    line += 1 + static_cast<int>(std::count(record.begin(), record.end(), '\n'));
  }
  auto docs = Extract(Format::kCsv, file, "p.csv");
  ASSERT_EQ(docs.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(docs[i].text, texts[i]) << i;
    EXPECT_EQ(docs[i].first_line, lines[i]) << i;
    EXPECT_EQ(docs[i].key, "r" + std::to_string(i));
  }
}

TEST(Csv, HostileTsvQuotesStayLinear) {
  // Every field opens a quote that a later one "closes" wrongly: lenient re-reading is bounded.
  std::string file = "text\n";
  for (int i = 0; i < 200000; ++i) file += "\"x\"\"y\"z\n";
  auto docs = Extract(Format::kCsv, file, "h.tsv");
  ASSERT_EQ(docs.size(), 200000u);
  EXPECT_EQ(docs[0].text, "\"x\"\"y\"z");
}

}  // namespace
}  // namespace lateral::ingest
