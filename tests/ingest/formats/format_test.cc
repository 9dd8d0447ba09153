// Format names and extensions (ingest/formats/format.h).
#include "ingest/formats/format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lateral::ingest {
namespace {

TEST(FormatFromPath, EveryDocumentedExtension) {
  const std::pair<const char*, Format> cases[] = {
      {"a.txt", Format::kText},       {"a.text", Format::kText},     {"a.log", Format::kText},
      {"a.rst", Format::kText},       {"a.md", Format::kMarkdown},   {"a.markdown", Format::kMarkdown},
      {"a.html", Format::kHtml},      {"a.htm", Format::kHtml},      {"a.xhtml", Format::kHtml},
      {"a.jsonl", Format::kJsonl},    {"a.ndjson", Format::kJsonl},  {"a.csv", Format::kCsv},
      {"a.tsv", Format::kCsv},        {"a.pdf", Format::kPdf}};
  for (const auto& [path, format] : cases) {
    EXPECT_EQ(FormatFromPath(path), format) << path;
    EXPECT_EQ(FormatFromPath(std::string("dir.d/sub/") + path), format) << path;
  }
}

TEST(FormatFromPath, CaseInsensitiveAndUnknown) {
  EXPECT_EQ(FormatFromPath("REPORT.PDF"), Format::kPdf);
  EXPECT_EQ(FormatFromPath("Notes.Md"), Format::kMarkdown);
  EXPECT_EQ(FormatFromPath("image.png"), std::nullopt);
  EXPECT_EQ(FormatFromPath("Makefile"), std::nullopt);
  EXPECT_EQ(FormatFromPath("trailing."), std::nullopt);
  EXPECT_EQ(FormatFromPath("md"), std::nullopt);           // a name, not an extension
  EXPECT_EQ(FormatFromPath("dir.md/file"), std::nullopt);  // the folder's dot does not count
}

TEST(ParseFormatName, NamesRoundTripAndErrorListsNames) {
  for (Format f : {Format::kText, Format::kMarkdown, Format::kHtml, Format::kJsonl, Format::kCsv,
                   Format::kPdf}) {
    auto parsed = ParseFormatName(FormatName(f));
    ASSERT_TRUE(parsed.ok()) << FormatName(f);
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_EQ(*ParseFormatName("Markdown"), Format::kMarkdown);
  EXPECT_EQ(*ParseFormatName("text"), Format::kText);
  EXPECT_EQ(*ParseFormatName("tsv"), Format::kCsv);
  auto bad = ParseFormatName("docx");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* name : {"\"docx\"", "txt", "md", "html", "jsonl", "csv", "pdf"}) {
    EXPECT_THAT(std::string(bad.status().message()), testing::HasSubstr(name));
  }
}

TEST(FileStem, LastComponentWithoutExtension) {
  EXPECT_EQ(FileStem("notes/a.b.md"), "a.b");
  EXPECT_EQ(FileStem("README"), "README");
  EXPECT_EQ(FileStem("dir.x/.hidden"), ".hidden");
  EXPECT_EQ(FileStem("C:\\docs\\report.pdf"), "report");
  EXPECT_TRUE(IsTsvName("data/x.TSV"));
  EXPECT_FALSE(IsTsvName("data/x.csv"));
}

}  // namespace
}  // namespace lateral::ingest
