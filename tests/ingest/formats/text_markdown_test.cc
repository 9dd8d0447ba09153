// Plain text and Markdown extraction (ingest/formats/extract.h).
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
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

ExtractedDocument ExtractOne(Format format, std::string_view bytes, std::string_view name,
                             const ExtractOptions& options = {}) {
  auto docs = ExtractDocuments(format, bytes, options, name);
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (!docs.ok() || docs->size() != 1) {
    ADD_FAILURE() << "expected one document";
    return {};
  }
  return (*docs)[0];
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n');
}

TEST(PlainText, TitleFromFileNameNewlinesNormalisedNfc) {
  // "e" + COMBINING ACUTE must come out composed; CRLF and lone CR are line breaks.
  std::string bytes = "caf\x65\xCC\x81\r\nsecond\rthird\n";
  ExtractedDocument doc = ExtractOne(Format::kText, bytes, "dir/My Notes.v2.txt");
  EXPECT_EQ(doc.title, "My Notes.v2");
  EXPECT_EQ(doc.text, "caf\xC3\xA9\nsecond\nthird\n");
  EXPECT_EQ(doc.key, "");
  EXPECT_EQ(doc.first_line, 1);
  EXPECT_TRUE(doc.source_lines);
}

TEST(PlainText, DeclaredEncodingAndInvalidBytes) {
  ExtractOptions latin1;
  latin1.encoding = "windows-1252";
  EXPECT_EQ(ExtractOne(Format::kText, "na\xEFve \x80", "a.txt", latin1).text,
            "na\xC3\xAFve \xE2\x82\xAC");
  ExtractOptions utf8;
  utf8.encoding = "UTF-8";
  auto bad = ExtractDocuments(Format::kText, "ok\n\xFF\xFE bad", utf8, "dir/bad.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("dir/bad.txt"));
}

TEST(Markdown, FixtureLinesMapToTheFile) {
  const std::string bytes = ReadFixture("notes.md");
  ExtractedDocument doc = ExtractOne(Format::kMarkdown, bytes, "docs/notes.md");
  std::vector<std::string> in = Lines(bytes), out = Lines(doc.text);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_TRUE(doc.source_lines);
  EXPECT_EQ(doc.first_line, 1);
  // Front matter: blanked, scalars to metadata, title to the title, the list skipped.
  for (int line = 1; line <= 7; ++line) EXPECT_EQ(out[line - 1], "") << line;
  EXPECT_EQ(doc.title, "Notes on Retrieval");
  EXPECT_EQ(std::get<std::string>(doc.metadata.at("author")), "Ada Lovelace");
  EXPECT_EQ(std::get<double>(doc.metadata.at("year")), 2021.0);
  EXPECT_EQ(std::get<std::string>(doc.metadata.at("draft")), "false");
  EXPECT_EQ(doc.metadata.count("tags"), 0u);
  EXPECT_EQ(doc.metadata.count("title"), 0u);
  // Line numbers below are the file's (cat -n notes.md).
  EXPECT_EQ(out[8 - 1], "Introduction");
  EXPECT_EQ(out[10 - 1], "This is emphasis, strong, code_span *x* and a link.");
  EXPECT_EQ(out[11 - 1], "An image: diagram alt and inline html.");
  EXPECT_EQ(out[13 - 1], "");  // the fence
  EXPECT_EQ(out[14 - 1], "def f(x):  # *not emphasis*");
  EXPECT_EQ(out[15 - 1], "    return x ** 2");
  EXPECT_EQ(out[16 - 1], "");
  EXPECT_EQ(out[18 - 1], "quoted text");
  EXPECT_EQ(out[19 - 1], "item with snake_case_name");
  EXPECT_EQ(out[20 - 1], "1. numbered item");
  EXPECT_EQ(out[22 - 1], "Setext heading");
  EXPECT_EQ(out[23 - 1], "");
  EXPECT_EQ(out[25 - 1], "");  // link reference definition
  EXPECT_EQ(out[26 - 1], "Escaped *stars* and 2 * 3 * 4 & done.");
}

TEST(Markdown, TitleFallsBackToFirstHeadingThenStem) {
  EXPECT_EQ(ExtractOne(Format::kMarkdown, "intro\n\n## First *one*\n# Second\n", "a.md").title,
            "First one");
  EXPECT_EQ(ExtractOne(Format::kMarkdown, "Under Line\n===\n# Later\n", "a.md").title,
            "Under Line");
  EXPECT_EQ(ExtractOne(Format::kMarkdown, "no headings here\n", "dir/plain.markdown").title,
            "plain");
  // An unclosed front matter fence is not front matter: a thematic break, the rest is text.
  ExtractedDocument open = ExtractOne(Format::kMarkdown, "---\ntitle: x\nbody\n", "o.md");
  EXPECT_EQ(open.text, "\ntitle: x\nbody\n");
  EXPECT_TRUE(open.metadata.empty());
}

TEST(Markdown, FrontMatterWithBomAndCrlf) {
  ExtractedDocument doc = ExtractOne(
      Format::kMarkdown,
      "\xEF\xBB\xBF---\r\ntitle: 'It''s here'\r\nrating: 4.5 # out of 5\r\nlist:\r\n  - a\r\n"
      "code: 007\r\n...\r\nBody\r\n",
      "fm.md");
  EXPECT_EQ(doc.title, "It's here");
  EXPECT_EQ(std::get<double>(doc.metadata.at("rating")), 4.5);
  EXPECT_EQ(std::get<std::string>(doc.metadata.at("code")), "007");
  EXPECT_EQ(doc.metadata.count("list"), 0u);
  EXPECT_EQ(doc.text, "\n\n\n\n\n\n\nBody\n");
}

TEST(Markdown, InlineMarkup) {
  auto clean = [](const std::string& line) {
    return ExtractOne(Format::kMarkdown, line, "x.md").text;
  };
  EXPECT_EQ(clean("a ***b*** c ~~gone~~ d"), "a b c gone d");
  EXPECT_EQ(clean("unpaired *star and_underscore_ x"), "unpaired *star and_underscore_ x");
  EXPECT_EQ(clean("__bold__ and _it_"), "bold and it");
  EXPECT_EQ(clean("``a ` b`` c"), "a ` b c");
  EXPECT_EQ(clean("`unclosed code"), "`unclosed code");
  EXPECT_EQ(clean("see <https://x.org/a_b_c> or <me@x.org>"), "see https://x.org/a_b_c or me@x.org");
  EXPECT_EQ(clean("[![alt text](i.png)](https://x) [ref link][r] [plain]"),
            "alt text ref link [plain]");
  EXPECT_EQ(clean("a <!-- hidden --> b <br/> c"), "a  b  c");
  EXPECT_EQ(clean("x < y and y > z"), "x < y and y > z");
  EXPECT_EQ(clean("&lt;tag&gt; &#233; &#x4E2D; &bogus; &#0;"), "<tag> \xC3\xA9 \xE4\xB8\xAD &bogus; &#0;");
  EXPECT_EQ(clean("| a | b |\n|---|:-:|\n| 1 | 2 |"), "a | b\n\n1 | 2");
  EXPECT_EQ(clean("- [x] done task\n* other"), "done task\nother");
  EXPECT_EQ(clean("<!--\nmulti-line\ncomment -->after"), "\n\nafter");
}

TEST(Markdown, CodeIsVerbatim) {
  std::string md = "para\n\n    indented *code* [x](y)\n\n~~~\n**raw** <b>\n~~~\nafter `x`";
  ExtractedDocument doc = ExtractOne(Format::kMarkdown, md, "c.md");
  EXPECT_EQ(doc.text, "para\n\n    indented *code* [x](y)\n\n\n**raw** <b>\n\nafter x");
  // A fence never closed runs to the end, still verbatim.
  EXPECT_EQ(ExtractOne(Format::kMarkdown, "```\n# not a heading\n*x*", "c.md").text,
            "\n# not a heading\n*x*");
}

// Property: for any input, the text has exactly the file's lines and no line grows (markup is
// only ever removed, and character references are never longer than what they stand for).
TEST(Markdown, RandomInputKeepsLineCountAndNeverGrowsLines) {
  std::mt19937 rng(7);
  const std::string alphabet = "*_`~[]()!<>#-=|:&;\\/ \tabcxyz01\n";
  for (int trial = 0; trial < 3000; ++trial) {
    std::string input;
    size_t length = rng() % 120;
    for (size_t i = 0; i < length; ++i) input.push_back(alphabet[rng() % alphabet.size()]);
    if (rng() % 4 == 0) input = "---\na: 1\n---\n" + input;
    ExtractedDocument doc = ExtractOne(Format::kMarkdown, input, "r.md");
    std::vector<std::string> in = Lines(input), out = Lines(doc.text);
    ASSERT_EQ(out.size(), in.size()) << input;
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_LE(out[i].size(), in[i].size()) << "line " << i + 1 << " of: " << input;
    }
  }
}

// Property: prose without markup characters passes through unchanged.
TEST(Markdown, PlainProseUnchanged) {
  std::mt19937 rng(11);
  const std::vector<std::string> words = {"alpha", "beta", "gamma", "x1", "d\xC3\xA9j\xC3\xA0",
                                          "\xE4\xB8\xAD\xE6\x96\x87", "end."};
  for (int trial = 0; trial < 200; ++trial) {
    std::string input;
    for (int line = 0; line < 5; ++line) {
      for (int w = 0; w < 6; ++w) {
        if (w > 0) input += ' ';
        input += words[rng() % words.size()];
      }
      input += '\n';
    }
    EXPECT_EQ(ExtractOne(Format::kMarkdown, input, "p.md").text, input);
  }
}

// Hostile inputs: one huge line of unmatched markup must be handled in about linear time (a
// quadratic pass would take minutes here).
TEST(Markdown, HugeLinesOfUnmatchedMarkupAreLinear) {
  for (const std::string unit : {"[a](", "<a ", "`` ` ", "*a _b ", "<!-- ", "&#x", "![", ">"}) {
    std::string line;
    while (line.size() < (4u << 20)) line += unit;
    ExtractedDocument doc = ExtractOne(Format::kMarkdown, line, "huge.md");
    EXPECT_LE(doc.text.size(), line.size());
    EXPECT_EQ(doc.text.find('\n'), std::string::npos);
  }
  std::string deep(1 << 20, '>');
  deep += " text";
  EXPECT_EQ(ExtractOne(Format::kMarkdown, deep, "deep.md").text, "text");
}

}  // namespace
}  // namespace lateral::ingest
