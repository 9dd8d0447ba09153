// HTML extraction (ingest/formats/html.cc through extract.h).
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/formats/extract.h"
#include "ingest/formats/html_encoding.h"

namespace lateral::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(LATERAL_TEST_DATA_DIR) + "/ingest-formats/" + name,
                   std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ExtractedDocument Html(std::string_view bytes, std::string_view name = "page.html",
                       const ExtractOptions& options = {}) {
  auto docs = ExtractDocuments(Format::kHtml, bytes, options, name);
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (!docs.ok() || docs->size() != 1) return {};
  return (*docs)[0];
}

TEST(Html, FixtureWindows1252PageFromMetaCharset) {
  ExtractedDocument doc = Html(ReadFixture("page.html"), "site/page.html");
  EXPECT_EQ(doc.title, "Caf\xC3\xA9 menu");
  EXPECT_EQ(std::get<std::string>(doc.metadata.at("lang")), "fr");
  EXPECT_FALSE(doc.source_lines);
  EXPECT_EQ(doc.key, "");
  const std::string& t = doc.text;
  // Heading and paragraphs are separated by blank lines; entities decoded; cp1252 bytes decoded.
  EXPECT_THAT(t, HasSubstr("Daily specials\n\nFresh cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e & coffee "
                           "\xE2\x80\x94 \xE2\x82\xAC" "3.50.\n\nSecond paragraph\nafter break"));
  EXPECT_THAT(t, HasSubstr("one\ntwo"));
  EXPECT_THAT(t, HasSubstr("cell A cell B"));
  EXPECT_THAT(t, HasSubstr("  code   keeps\n    spacing"));
  for (const char* hidden : {"SCRIPT_TEXT", "NOSCRIPT_TEXT", "TEMPLATE_TEXT", "SVG_TEXT",
                             "COMMENT_TEXT", "color", "NAV_LINK", "Caf\xC3\xA9 menu"}) {
    EXPECT_THAT(t, Not(HasSubstr(hidden))) << hidden;
  }
  EXPECT_EQ(t.front(), 'D');  // nothing before the first visible text
  EXPECT_NE(t.back(), '\n');
}

TEST(Html, DeclaredEncodingWinsOverMeta) {
  // The caller says UTF-8: the page's cp1252 bytes are then invalid, and that is an error
  // naming the file, never a silent replacement.
  ExtractOptions utf8;
  utf8.encoding = "UTF-8";
  auto docs = ExtractDocuments(Format::kHtml, ReadFixture("page.html"), utf8, "site/page.html");
  ASSERT_FALSE(docs.ok());
  EXPECT_THAT(std::string(docs.status().message()), HasSubstr("site/page.html"));
}

TEST(Html, BomAndUtf8AndUnknownMetaCharset) {
  EXPECT_EQ(Html("\xEF\xBB\xBF<p>\xC3\xA9t\xC3\xA9</p>").text, "\xC3\xA9t\xC3\xA9");
  // A charset ICU does not know falls back to the bytes themselves (valid UTF-8 here).
  EXPECT_EQ(Html("<meta charset='no-such-charset'><p>\xC3\xA9</p>").text, "\xC3\xA9");
  // The meta is ignored by libxml2: bytes are not decoded twice.
  EXPECT_EQ(Html("<meta charset=\"utf-8\"><p>\xE2\x82\xAC</p>").text, "\xE2\x82\xAC");
}

TEST(Html, SniffMetaCharset) {
  using formats_internal::SniffHtmlMetaCharset;
  EXPECT_EQ(SniffHtmlMetaCharset("<META CharSet = \"Shift_JIS\">"), "shift_jis");
  EXPECT_EQ(SniffHtmlMetaCharset("<meta http-equiv=content-type content='text/html;charset=koi8-r'>"),
            "koi8-r");
  EXPECT_EQ(SniffHtmlMetaCharset("<meta charset=utf-16>"), "UTF-8");
  EXPECT_EQ(SniffHtmlMetaCharset("<p>charset=latin1</p>"), "");
  EXPECT_EQ(SniffHtmlMetaCharset(std::string(1100, ' ') + "<meta charset=latin1>"), "");
}

TEST(Html, TitleFallbacks) {
  EXPECT_EQ(Html("<h2>x</h2><h1> First  <i>big</i> </h1><h1>Second</h1>").title, "First big");
  EXPECT_EQ(Html("<p>no title</p>", "dir/stem.name.htm").title, "stem.name");
  EXPECT_EQ(Html("<html><head><title></title></head><body><h1>H</h1></body></html>").title, "H");
  EXPECT_EQ(Html("").text, "");
  EXPECT_EQ(Html("", "e.html").title, "e");
  EXPECT_EQ(Html("<html lang=' de-CH '><p>x</p></html>").metadata.count("lang"), 1u);
  EXPECT_EQ(Html("<p>x</p>").metadata.count("lang"), 0u);
}

TEST(Html, WhitespaceAndBlocks) {
  EXPECT_EQ(Html("<p>  a \n\t b  </p><div>c</div><div></div><div></div><p>d<br><br>e</p>").text,
            "a b\n\nc\n\nd\n\ne");
  EXPECT_EQ(Html("<span>in</span><b>line</b> <i>words</i>").text, "inline words");
  EXPECT_EQ(Html("<p>x</p><pre>\n  a\n\n  b</pre><p>y</p>").text.find("  a\n\n  b") !=
                std::string::npos,
            true);
  EXPECT_EQ(Html("<p>&lt;tag&gt; &#x4E2D;&nbsp;</p>").text,
            "<tag> \xE4\xB8\xAD\xC2\xA0");
}

// Found by html_fuzzer: preformatted text that opens the page must not start it with a blank line.
TEST(Html, LeadingPreformattedNewlinesTrimmed) {
  EXPECT_EQ(Html("<pre>\n\n  x\r\n y</pre>").text, "  x\n y");
}

TEST(Html, SkippedElementsEndWhereTheyEnd) {
  EXPECT_EQ(Html("<nav><ul><li>menu</li><li><b>x</b></li></ul></nav><p>after</p>").text, "after");
  EXPECT_EQ(Html("<script>if (a</div>) document.write('<p>no</p>')</script><p>yes</p>").text,
            "yes");
  EXPECT_EQ(Html("<p>a<svg><g><text>s</text></g></svg>b<iframe>i</iframe>c</p>").text, "abc");
  EXPECT_EQ(std::get<std::string>(Html("<!-- c --><HTML LANG=ja><p>x").metadata.at("lang")), "ja");
}

TEST(Html, DeepNestingAndGarbageDoNotCrash) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div><span>";
  deep += "bottom";
  EXPECT_THAT(Html(deep).text, HasSubstr("bottom"));
  std::mt19937 rng(3);
  const std::string alphabet = "<>/=\"' abcdiv!-&;#xp\n";
  for (int trial = 0; trial < 500; ++trial) {
    std::string input;
    for (size_t i = rng() % 200; i > 0; --i) input.push_back(alphabet[rng() % alphabet.size()]);
    Html(input);
  }
}

// libxml2 keeps its error handlers per thread and the extractor swaps them per parse: pages
// parsed on several threads at once give the same results as one at a time.
TEST(Html, ConcurrentExtractionMatchesSerial) {
  const std::string page = ReadFixture("page.html");
  const std::string broken = "<p><b>unclosed <i>x</p>&bogus;<div>" + std::string(1000, '<');
  const ExtractedDocument want_page = Html(page), want_broken = Html(broken);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto a = ExtractDocuments(Format::kHtml, page, {}, "page.html");
        auto b = ExtractDocuments(Format::kHtml, broken, {}, "page.html");
        if (!a.ok() || (*a)[0].text != want_page.text || (*a)[0].title != want_page.title) {
          ++mismatches[t];
        }
        if (!b.ok() || (*b)[0].text != want_broken.text) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(Html, LibxmlPrintsNothing) {
  testing::internal::CaptureStderr();
  Html("<p><b>unclosed <i>tags</p></b><bogus attr=>x</bogus>&unknown; <!-- ");
  Html("<html><body><table><td><p></table></html>\x01\x02");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace lateral::ingest
