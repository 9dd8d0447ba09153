// Citation markers in answers: every form small models write is found, mapped
// to the supplied passages, and a number that was not supplied stays visible.
#include "answer/citations.h"

#include <vector>

#include "gtest/gtest.h"

namespace lateral::answer {
namespace {

std::vector<int> Numbers(std::string_view answer) {
  std::vector<int> out;
  for (const CitationMarker& m : FindCitationMarkers(answer)) out.insert(out.end(), m.numbers.begin(), m.numbers.end());
  return out;
}

TEST(CitationsTest, FindsEveryForm) {
  EXPECT_EQ(Numbers("Paris [1]."), (std::vector<int>{1}));
  EXPECT_EQ(Numbers("Paris [1, 3]."), (std::vector<int>{1, 3}));
  EXPECT_EQ(Numbers("Paris [1,3]."), (std::vector<int>{1, 3}));
  EXPECT_EQ(Numbers("Paris [1][2]."), (std::vector<int>{1, 2}));
  EXPECT_EQ(Numbers("Paris [document2]."), (std::vector<int>{2}));
  EXPECT_EQ(Numbers("Paris [document1, document3] and [doc 4]"), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(Numbers("[12] at the start, [ 5 ] padded"), (std::vector<int>{12, 5}));
  EXPECT_EQ(Numbers("nested [[2]]"), (std::vector<int>{2}));
}

TEST(CitationsTest, BracketsThatAreNotCitations) {
  EXPECT_TRUE(Numbers("[sic] [a] [] [1-3] [0] [1,] [,1] [documentx] [1 2] [99999999999]").empty());
  EXPECT_TRUE(Numbers("unclosed [1").empty());
  EXPECT_TRUE(Numbers("").empty());
}

TEST(CitationsTest, MarkerSpansPointAtTheBrackets) {
  const std::string answer = "A [1] b [2, 3].";
  std::vector<CitationMarker> markers = FindCitationMarkers(answer);
  ASSERT_EQ(markers.size(), 2u);
  EXPECT_EQ(answer.substr(markers[0].byte_begin, markers[0].byte_end - markers[0].byte_begin), "[1]");
  EXPECT_EQ(answer.substr(markers[1].byte_begin, markers[1].byte_end - markers[1].byte_begin), "[2, 3]");
}

std::vector<RetrievedPassage> Passages() {
  RetrievedPassage a, b;
  a.number = 1, a.path = "docs/a.md", a.line_begin = 12, a.line_end = 18;
  b.number = 2, b.path = "notes/b.txt", b.line_begin = 3, b.line_end = 3;
  return {a, b};
}

TEST(CitationsTest, MapsToPassagesOncePerNumberInOrderOfFirstUse) {
  std::vector<RetrievedPassage> passages = Passages();
  std::vector<Citation> c = MapCitations("B [2]. A [1][2]. Again [2].", passages);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].number, 2);
  EXPECT_TRUE(c[0].supplied);
  EXPECT_EQ(c[0].passage, &passages[1]);
  EXPECT_EQ(c[1].number, 1);
  EXPECT_EQ(c[1].passage, &passages[0]);
}

TEST(CitationsTest, UnsuppliedNumbersAreKeptAndFlagged) {
  std::vector<RetrievedPassage> passages = Passages();
  std::vector<Citation> c = MapCitations("X [7], Y [1], Z [document9]", passages);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].number, 7);
  EXPECT_FALSE(c[0].supplied);
  EXPECT_EQ(c[0].passage, nullptr);
  EXPECT_TRUE(c[1].supplied);
  EXPECT_EQ(c[2].number, 9);
  EXPECT_FALSE(c[2].supplied);
  EXPECT_EQ(FormatCitations(c),
            "[7] (not one of the supplied documents)\n"
            "[1] docs/a.md:12-18\n"
            "[9] (not one of the supplied documents)\n");
}

TEST(CitationsTest, Locations) {
  std::vector<RetrievedPassage> p = Passages();
  EXPECT_EQ(PassageLocation(p[0]), "docs/a.md:12-18");
  EXPECT_EQ(PassageLocation(p[1]), "notes/b.txt:3");
  RetrievedPassage unknown;
  unknown.path = "data.jsonl";
  EXPECT_EQ(PassageLocation(unknown), "data.jsonl");
  unknown.path = "";
  unknown.doc_id = "doc-17";
  EXPECT_EQ(PassageLocation(unknown), "doc-17");
}

}  // namespace
}  // namespace lateral::answer
