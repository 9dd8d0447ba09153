// StopStringMatcher against an oracle: the first stop string in the whole text, whatever the
// chunking of the stream.
#include "encoder/generation/stop_strings.h"

#include <random>

#include "gtest/gtest.h"

namespace lateral {
namespace {

// What must be shown: the text before the earliest occurrence of any stop string.
std::string Oracle(const std::string& text, const std::vector<std::string>& stops, bool* found) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    const size_t at = text.find(s);
    if (at != std::string::npos && at < best) best = at;
  }
  *found = best != std::string::npos;
  return *found ? text.substr(0, best) : text;
}

TEST(StopStringMatcherTest, RandomStreamsMatchTheOracle) {
  std::mt19937 rng(1234);
  const std::string alphabet = "abc";
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<std::string> stops;
    const int num_stops = static_cast<int>(rng() % 4);
    for (int i = 0; i < num_stops; ++i) {
      std::string s;
      const int len = static_cast<int>(rng() % 4);  // 0..3: empty stops are ignored
      for (int k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
      stops.push_back(s);
    }
    std::string text;
    const int len = static_cast<int>(rng() % 24);
    for (int k = 0; k < len; ++k) text += alphabet[rng() % alphabet.size()];
    bool found = false;
    const std::string want = Oracle(text, stops, &found);

    StopStringMatcher matcher(stops);
    std::string shown;
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t piece = std::min<size_t>(text.size() - pos, rng() % 5);  // empty pieces too
      shown += matcher.Push(std::string_view(text).substr(pos, piece));
      pos += piece;
      // Never shows anything the oracle would not.
      ASSERT_EQ(want.compare(0, shown.size(), shown), 0) << "text=" << text << " shown=" << shown << " stops=" << ::testing::PrintToString(stops);
    }
    shown += matcher.Finish();
    ASSERT_EQ(shown, want) << "text=" << text;
    ASSERT_EQ(matcher.stopped(), found) << "text=" << text;
    // Nothing more after a stop.
    if (found) EXPECT_EQ(matcher.Push("abc"), "");
  }
}

TEST(StopStringMatcherTest, HoldsBackOnlyWhatCouldStartAStop) {
  StopStringMatcher m({"<|im_end|>", "\n\nUser:"});
  EXPECT_EQ(m.Push("Hello <|im"), "Hello ");
  EXPECT_EQ(m.Push("_e"), "");
  EXPECT_EQ(m.Push("x"), "<|im_ex");  // not a stop after all
  EXPECT_EQ(m.Push(" done\n"), " done");
  EXPECT_EQ(m.Push("\nUs"), "");
  EXPECT_EQ(m.Push("er: next"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "\n\nUser:");
  EXPECT_EQ(m.Finish(), "");
}

TEST(StopStringMatcherTest, NoStopsPassesEverythingThrough) {
  StopStringMatcher m({});
  EXPECT_EQ(m.Push("anything"), "anything");
  EXPECT_EQ(m.Finish(), "");
  EXPECT_FALSE(m.stopped());
}

TEST(StopStringMatcherTest, MultiByteTextIsNotSplitByAMismatch) {
  StopStringMatcher m({"終わり"});
  EXPECT_EQ(m.Push("日本語"), "日本語");
  EXPECT_EQ(m.Push("終"), "");
  EXPECT_EQ(m.Push("点"), "終点");
  EXPECT_EQ(m.Push("終わり以降"), "");
  EXPECT_TRUE(m.stopped());
}

}  // namespace
}  // namespace lateral
