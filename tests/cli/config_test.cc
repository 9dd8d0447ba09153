#include "cli/collection/config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lateral::cli {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, ParsesEveryValueKindAndAppliesIt) {
  const std::string text =
      "# comment\n"
      "[model]\n"
      "colbert = \"LiquidAI/LFM2-ColBERT-350M\"  # trailing comment\n"
      "\n"
      "[ingest]\n"
      "include = [\"*.md\", '*.txt']\n"
      "exclude = []\n"
      "chunk_tokens = 1_000\n"
      "overlap_tokens = 100\r\n"
      "hidden = true\n"
      "encoding = 'windows-1252'\n"
      "[search]\n"
      "colbert_weight = 1\n"
      "mode = \"rerank\"\n"
      "lang = \"d\\u00e9\"\n";
  absl::StatusOr<ConfigEntries> entries = ParseConfig(text, "c.toml");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(entries->origins.at("ingest.hidden"), "c.toml:10");
  Settings settings;
  ASSERT_TRUE(ApplyConfig(*entries, settings).ok());
  EXPECT_EQ(settings.colbert_model, "LiquidAI/LFM2-ColBERT-350M");
  EXPECT_EQ(settings.include, (std::vector<std::string>{"*.md", "*.txt"}));
  EXPECT_TRUE(settings.exclude.empty());
  EXPECT_EQ(settings.chunk_tokens, 1000);
  EXPECT_EQ(settings.overlap_tokens, 100);
  EXPECT_TRUE(settings.hidden);
  EXPECT_EQ(settings.encoding, "windows-1252");
  EXPECT_EQ(settings.colbert_weight, 1.0);  // an integer where a number is expected
  EXPECT_EQ(settings.mode, "rerank");
  EXPECT_EQ(settings.lang, "d\xc3\xa9");
  // Untouched keys keep their defaults.
  EXPECT_EQ(settings.k, 10);
  EXPECT_TRUE(settings.ignore_files);
}

TEST(ConfigTest, LaterEntriesOverrideEarlierOnesKeyByKey) {
  Settings settings;
  ASSERT_TRUE(ApplyConfig(*ParseConfig("[search]\nk = 5\nfusion = \"weighted\"\n", "user"), settings).ok());
  ASSERT_TRUE(ApplyConfig(*ParseConfig("[search]\nk = 7\n", "collection"), settings).ok());
  EXPECT_EQ(settings.k, 7);
  EXPECT_EQ(settings.fusion, "weighted");
}

TEST(ConfigTest, ErrorsNameTheFileLineAndKey) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"[search]\nkk = 3\n", "c.toml:2: unknown key \"search.kk\""},
           {"[serch]\n", "c.toml:1: unknown section [serch]"},
           {"[search]\nk = \"3\"\n", "c.toml:2: search.k must be an integer"},
           {"[search]\nk = 3\nk = 4\n", "c.toml:3: search.k is already set at c.toml:2"},
           {"[model]\ncolbert = LiquidAI\n", "strings need quotes"},
           {"[model]\ncolbert = \"abc\n", "unterminated string"},
           {"[ingest]\ninclude = [\"a\", 3]\n", "array items must be quoted strings"},
           {"[ingest]\nhidden = yes\n", "c.toml:2"},
           {"[search\n", "section header without ']'"},
           {"just words\n", "c.toml:1: expected key = value"},
           {"[model]\ncolbert = \"x\" extra\n", "unexpected text after the value"},
           {"[model]\ncolbert = \"\\q\"\n", "unknown escape"},
       }) {
    absl::StatusOr<ConfigEntries> entries = ParseConfig(c.text, "c.toml");
    ASSERT_FALSE(entries.ok()) << c.text;
    EXPECT_THAT(std::string(entries.status().message()), HasSubstr(c.expected)) << c.text;
  }
}

TEST(ConfigTest, RangeAndEnumerationErrorsNameTheOrigin) {
  for (const char* text : {"[search]\nmode = \"fast\"\n", "[search]\nk = 0\n", "[search]\ncolbert_weight = 1.5\n",
                           "[output]\ncolor = \"blue\"\n", "[ingest]\nchunk_tokens = 10\noverlap_tokens = 10\n"}) {
    absl::StatusOr<ConfigEntries> entries = ParseConfig(text, "c.toml");
    ASSERT_TRUE(entries.ok()) << text << entries.status();
    Settings settings;
    absl::Status status = ApplyConfig(*entries, settings);
    ASSERT_FALSE(status.ok()) << text;
    EXPECT_THAT(std::string(status.message()), HasSubstr("c.toml:")) << text;
  }
}

TEST(ConfigTest, TheDefaultCollectionConfigParses) {
  for (const std::string model : {"", "LiquidAI/LFM2-ColBERT-350M"}) {
    absl::StatusOr<ConfigEntries> entries = ParseConfig(DefaultCollectionConfig(model), "default");
    ASSERT_TRUE(entries.ok()) << entries.status();
    Settings settings;
    ASSERT_TRUE(ApplyConfig(*entries, settings).ok());
    EXPECT_EQ(settings.colbert_model, model);
  }
}

TEST(ConfigTest, MissingFileIsEmpty) {
  absl::StatusOr<ConfigEntries> entries = ReadConfigFile("/nonexistent/lateral/config.toml");
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->values.empty());
}

}  // namespace
}  // namespace lateral::cli
