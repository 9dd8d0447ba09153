// PDF extraction through poppler (ingest/formats/pdf.cc); fixtures from make_pdf.py.
#include <fstream>
#include <sstream>
#include <string>

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
  EXPECT_FALSE(buffer.str().empty()) << name;
  return buffer.str();
}

absl::StatusOr<std::vector<ExtractedDocument>> Pdf(const std::string& fixture) {
  return ExtractDocuments(Format::kPdf, ReadFixture(fixture), {}, "docs/" + fixture);
}

TEST(Pdf, OnePageWithInfoTitle) {
  auto docs = Pdf("hello.pdf");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 1u);
  const ExtractedDocument& doc = (*docs)[0];
  EXPECT_EQ(doc.title, "A Tiny Test PDF");
  EXPECT_THAT(doc.text, HasSubstr("Hello PDF world"));
  EXPECT_EQ(doc.text.find('\f'), std::string::npos);
  EXPECT_EQ(std::get<double>(doc.metadata.at("pages")), 1.0);
  EXPECT_FALSE(doc.source_lines);
  EXPECT_EQ(doc.key, "");
}

TEST(Pdf, PagesSeparatedByFormFeedLinesWinAnsiDecoded) {
  auto docs = Pdf("multipage.pdf");
  ASSERT_TRUE(docs.ok()) << docs.status();
  const ExtractedDocument& doc = (*docs)[0];
  EXPECT_EQ(doc.title, "multipage");  // no Title in the info dictionary
  EXPECT_EQ(std::get<double>(doc.metadata.at("pages")), 3.0);
  std::vector<std::string> pages = absl::StrSplit(doc.text, "\n\f\n");
  ASSERT_EQ(pages.size(), 3u) << doc.text;
  EXPECT_THAT(pages[0], HasSubstr("caf\xC3\xA9 au lait"));
  EXPECT_THAT(pages[0], HasSubstr("second line"));
  EXPECT_LT(pages[0].find("caf"), pages[0].find("second line"));
  EXPECT_EQ(pages[1], "");
  EXPECT_THAT(pages[2], HasSubstr("na\xC3\xAFve"));
}

TEST(Pdf, ImageOnlyHasEmptyText) {
  auto docs = Pdf("image_only.pdf");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ((*docs)[0].text, "");
  EXPECT_EQ(std::get<double>((*docs)[0].metadata.at("pages")), 1.0);
}

TEST(Pdf, BrokenFilesAreInvalidArgumentNamingTheSource) {
  testing::internal::CaptureStderr();
  for (const char* name : {"truncated.pdf", "random.pdf"}) {
    auto docs = Pdf(name);
    ASSERT_FALSE(docs.ok()) << name;
    EXPECT_EQ(docs.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(docs.status().message()),
                HasSubstr(std::string("docs/") + name + ": not a readable PDF"));
  }
  auto empty = ExtractDocuments(Format::kPdf, "", {}, "empty.pdf");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // poppler is silenced
}

TEST(Pdf, EncryptedIsFailedPrecondition) {
  auto docs = Pdf("locked.pdf");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(docs.status().message()), HasSubstr("docs/locked.pdf"));
}

}  // namespace
}  // namespace lateral::ingest
