// IgnoreFile line syntax and IgnoreStack precedence, on rules given as text (the walker test
// checks the same semantics on real directory trees).
#include "ingest/walk/ignore_rules.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lateral::ingest {
namespace {

using Verdict = IgnoreFile::Verdict;

IgnoreFile Rules(std::string_view text, std::vector<std::string>* problems = nullptr) {
  IgnoreFile f;
  f.AddRules(text, ".gitignore", problems);
  return f;
}

TEST(IgnoreFileTest, CommentsBlankLinesAndEscapes) {
  IgnoreFile f = Rules("# a comment\n\n   \n\\#hash\n\\!bang\n!\\#hash\n#not-a-rule\n");
  EXPECT_EQ(f.size(), 3u);
  EXPECT_EQ(f.Match("#not-a-rule", false), Verdict::kNone);
  EXPECT_EQ(f.Match("# a comment", false), Verdict::kNone);
  EXPECT_EQ(f.Match("!bang", false), Verdict::kIgnore);
  // "\#hash" ignores "#hash"; the later "!\#hash" re-includes it: last match wins.
  EXPECT_EQ(f.Match("#hash", false), Verdict::kKeep);
}

TEST(IgnoreFileTest, TrailingSpacesDroppedUnlessEscaped) {
  IgnoreFile f = Rules("a.txt   \nb\\ \nc\\  \n");
  EXPECT_EQ(f.Match("a.txt", false), Verdict::kIgnore);
  EXPECT_EQ(f.Match("a.txt ", false), Verdict::kNone);
  EXPECT_EQ(f.Match("b ", false), Verdict::kIgnore);
  EXPECT_EQ(f.Match("b", false), Verdict::kNone);
  EXPECT_EQ(f.Match("c ", false), Verdict::kIgnore);   // "\ " kept, the space after it dropped
  EXPECT_EQ(f.Match("c  ", false), Verdict::kNone);
}

TEST(IgnoreFileTest, CrLfBomAndNoFinalNewline) {
  IgnoreFile f = Rules("\xEF\xBB\xBF*.log\r\n!keep.log\r\nbuild/");
  EXPECT_EQ(f.size(), 3u);
  EXPECT_EQ(f.Match("x.log", false), Verdict::kIgnore);  // the BOM is not part of "*.log"
  EXPECT_EQ(f.Match("keep.log", false), Verdict::kKeep);
  EXPECT_EQ(f.Match("build", true), Verdict::kIgnore);
  EXPECT_EQ(f.Match("build", false), Verdict::kNone);  // directories only
}

TEST(IgnoreFileTest, LastMatchingRuleWins) {
  IgnoreFile f = Rules("*.txt\n!important.txt\nimportant.txt\n!*/\n");
  EXPECT_EQ(f.Match("important.txt", false), Verdict::kIgnore);
  EXPECT_EQ(f.Match("notes.txt", false), Verdict::kIgnore);
  EXPECT_EQ(f.Match("dir", true), Verdict::kKeep);
  EXPECT_EQ(f.Match("dir", false), Verdict::kNone);
}

TEST(IgnoreFileTest, MalformedLineIsReportedAndTheRestApplies) {
  std::vector<std::string> problems;
  IgnoreFile f = Rules("*.o\n[oops\n*.a\n", &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(".gitignore:2:"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("[oops"), std::string::npos) << problems[0];
  EXPECT_EQ(f.Match("x.o", false), Verdict::kIgnore);
  EXPECT_EQ(f.Match("x.a", false), Verdict::kIgnore);
}

TEST(IgnoreStackTest, DeeperFilesOverrideAndRulesAreScoped) {
  IgnoreStack stack;
  stack.Push(0, Rules("*.log\n/top-only\nbuild/\n"));
  stack.Push(4, Rules("!keep.log\n/local\n"));  // the directory "sub/"
  EXPECT_TRUE(stack.IsIgnored("a.log", false));
  EXPECT_TRUE(stack.IsIgnored("keep.log", false));  // sub's rule does not reach up
  EXPECT_FALSE(stack.IsIgnored("sub/keep.log", false));
  EXPECT_TRUE(stack.IsIgnored("sub/other.log", false));
  EXPECT_TRUE(stack.IsIgnored("top-only", false));
  EXPECT_FALSE(stack.IsIgnored("sub/top-only", false));  // anchored to the root's file
  EXPECT_TRUE(stack.IsIgnored("sub/local", false));      // anchored to sub/
  EXPECT_FALSE(stack.IsIgnored("local", false));
  EXPECT_FALSE(stack.IsIgnored("sub/x/local", false));
  EXPECT_TRUE(stack.IsIgnored("sub/x/build", true));
  EXPECT_FALSE(stack.IsIgnored("sub/x/build", false));
  stack.Pop();
  EXPECT_TRUE(stack.IsIgnored("sub/keep.log", false));
}

}  // namespace
}  // namespace lateral::ingest
