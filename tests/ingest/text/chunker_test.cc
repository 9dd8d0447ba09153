// Tests of ingest/text/chunker.h. Most are property tests: random multilingual documents chunked
// with several counters (one of them not additive), every documented guarantee checked on every
// chunk against oracles computed here (whitespace by ICU's White_Space, lines by counting '\n').
#include "ingest/text/chunker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "ingest/text/sentences.h"
#include "tests/ingest/text/text_test_util.h"

namespace lateral::ingest {
namespace {

using ::testing::HasSubstr;
using testing_util::IsContinuationByte;
using testing_util::SentencePool;
using testing_util::WhitespaceBytes;

int ByteCounter(std::string_view s) { return static_cast<int>(s.size()); }
// Not additive: the parts of a text count more than the whole.
int ThirdsPlusOne(std::string_view s) { return static_cast<int>((s.size() + 2) / 3) + 1; }

struct NamedCounter {
  const char* name;
  TokenCounter counter;
  bool additive_enough;  // whether a greedy packer's maximality can be checked exactly
};

std::vector<NamedCounter> Counters() {
  return {{"approximate", ApproximateTokenCount, true},
          {"bytes", ByteCounter, true},
          {"thirds+1", ThirdsPlusOne, false}};
}

std::string_view Slice(const std::string& text, size_t begin, size_t end) {
  return std::string_view(text).substr(begin, end - begin);
}

int LineOf(const std::string& text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

bool StartsParagraphOrHeading(const std::string& text, size_t begin) {
  // Blank line before, or the line is a Markdown heading.
  size_t i = begin;
  int newlines = 0;
  while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\r' ||
                   text[i - 1] == '\n')) {
    if (text[i - 1] == '\n') ++newlines;
    --i;
  }
  return newlines >= 2 || (text[begin] == '#' && (begin == 0 || newlines >= 1));
}

// Checks every guarantee of ChunkText for `chunks` of `text`.
void CheckChunks(const std::string& text, const ChunkOptions& options, const NamedCounter& nc,
                 const std::vector<Chunk>& chunks) {
  const std::vector<bool> ws = WhitespaceBytes(text);
  std::vector<bool> covered(text.size(), false);
  const bool all_white = std::all_of(ws.begin(), ws.end(), [](bool b) { return b; });
  ASSERT_EQ(chunks.empty(), all_white);
  for (size_t c = 0; c < chunks.size(); ++c) {
    const Chunk& chunk = chunks[c];
    SCOPED_TRACE("chunk " + std::to_string(c));
    ASSERT_LT(chunk.byte_begin, chunk.byte_end);
    ASSERT_LE(chunk.byte_end, text.size());
    ASSERT_FALSE(IsContinuationByte(text, chunk.byte_begin));
    ASSERT_FALSE(IsContinuationByte(text, chunk.byte_end));
    ASSERT_FALSE(ws[chunk.byte_begin]) << "not trimmed";
    ASSERT_FALSE(ws[chunk.byte_end - 1]) << "not trimmed";
    const int tokens = nc.counter(Slice(text, chunk.byte_begin, chunk.byte_end));
    ASSERT_LE(tokens, options.max_tokens);
    ASSERT_EQ(chunk.num_tokens, tokens);
    ASSERT_EQ(chunk.line_begin, LineOf(text, chunk.byte_begin));
    ASSERT_EQ(chunk.line_end, LineOf(text, chunk.byte_end - 1));
    for (size_t i = chunk.byte_begin; i < chunk.byte_end; ++i) covered[i] = true;
    if (c > 0) {
      const Chunk& prev = chunks[c - 1];
      ASSERT_GT(chunk.byte_begin, prev.byte_begin) << "no progress";
      ASSERT_GT(chunk.byte_end, prev.byte_end) << "no new text";
      if (options.overlap_tokens == 0) {
        ASSERT_GE(chunk.byte_begin, prev.byte_end) << "overlap without overlap_tokens";
      } else if (chunk.byte_begin < prev.byte_end) {
        ASSERT_LE(nc.counter(Slice(text, chunk.byte_begin, prev.byte_end)), options.overlap_tokens);
      }
    }
  }
  for (size_t i = 0; i < text.size(); ++i) {
    ASSERT_TRUE(covered[i] || ws[i]) << "non-whitespace byte " << i << " in no chunk";
  }
  // A sentence that fits is never cut.
  const std::vector<TextSpan> sentences = SentenceSpans(text);
  for (const TextSpan& s : sentences) {
    if (nc.counter(Slice(text, s.begin, s.end)) > options.max_tokens) continue;
    for (const Chunk& chunk : chunks) {
      ASSERT_FALSE(chunk.byte_begin > s.begin && chunk.byte_begin < s.end)
          << "chunk starts inside sentence " << Slice(text, s.begin, s.end);
      ASSERT_FALSE(chunk.byte_end > s.begin && chunk.byte_end < s.end)
          << "chunk ends inside sentence " << Slice(text, s.begin, s.end);
    }
  }
  // Greedy: without overlap, a chunk closes early only at a paragraph or heading once half full.
  if (options.overlap_tokens == 0 && nc.additive_enough) {
    for (size_t c = 0; c + 1 < chunks.size(); ++c) {
      const size_t next_begin = chunks[c + 1].byte_begin;
      auto s = std::find_if(sentences.begin(), sentences.end(),
                            [&](const TextSpan& t) { return t.begin == next_begin; });
      if (s == sentences.end()) continue;  // a piece of an over-long sentence
      if (nc.counter(Slice(text, s->begin, s->end)) > options.max_tokens) continue;
      const bool fits_more =
          nc.counter(Slice(text, chunks[c].byte_begin, s->end)) <= options.max_tokens;
      if (fits_more) {
        EXPECT_TRUE(StartsParagraphOrHeading(text, next_begin) &&
                    2 * chunks[c].num_tokens >= options.max_tokens)
            << "chunk " << c << " closed early before " << Slice(text, s->begin, s->end);
      }
    }
  }
}

// A random Markdown-ish multilingual document: headings, paragraphs of pool sentences, CRLF
// line ends, an occasional long unpunctuated sentence and an occasional long word.
std::string RandomDocument(std::mt19937& rng) {
  const auto& pool = SentencePool();
  std::string doc;
  const int paragraphs = 1 + rng() % 8;
  const std::string eol = rng() % 3 == 0 ? "\r\n" : "\n";
  for (int p = 0; p < paragraphs; ++p) {
    if (rng() % 4 == 0) doc += "## Section " + std::to_string(p) + eol;
    const int sentences = 1 + rng() % 10;
    for (int s = 0; s < sentences; ++s) {
      if (s > 0) doc += rng() % 5 == 0 ? eol : " ";
      switch (rng() % 12) {
        case 0: {  // long sentence without terminator, words of several scripts
          const char* words[] = {"alpha", "βήτα", "гамма", "दल", "كلمة", "word", "中文", "ไทย"};
          const int n = 20 + rng() % 60;
          for (int w = 0; w < n; ++w) doc += std::string(w ? " " : "") + words[rng() % 8];
          break;
        }
        case 1: {  // long word
          const int n = 30 + rng() % 200;
          for (int k = 0; k < n; ++k) doc += (k % 5 == 4) ? "e\xCC\x81" : "x";
          break;
        }
        default:
          doc += pool[rng() % pool.size()].text;
      }
    }
    doc += eol;
    if (rng() % 4) doc += eol;  // blank line: paragraph break
  }
  return doc;
}

TEST(ChunkText, RandomDocumentsSatisfyAllGuarantees) {
  std::mt19937 rng(2024);
  int checked = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const std::string doc = RandomDocument(rng);
    for (const NamedCounter& nc : Counters()) {
      for (int max_tokens : {12, 40, 128}) {
        for (int overlap : {0, max_tokens / 4}) {
          ChunkOptions options{max_tokens, overlap};
          SCOPED_TRACE(std::string(nc.name) + " max " + std::to_string(max_tokens) + " overlap " +
                       std::to_string(overlap) + " doc " + testing::PrintToString(doc));
          auto chunks = ChunkText(doc, options, nc.counter);
          ASSERT_TRUE(chunks.ok()) << chunks.status();
          CheckChunks(doc, options, nc, *chunks);
          if (HasFatalFailure()) return;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 150 * 3 * 3 * 2);
}

TEST(ChunkText, EmptyAndWhitespaceOnlyInputGiveNoChunks) {
  for (const char* text : {"", " ", "\n\n\r\n", "\t \xE3\x80\x80 \xC2\xA0"}) {
    auto chunks = ChunkText(text, {16, 0}, ApproximateTokenCount);
    ASSERT_TRUE(chunks.ok());
    EXPECT_TRUE(chunks->empty()) << text;
  }
}

TEST(ChunkText, PrefersParagraphBreaksOnceHalfFull) {
  // Paragraphs of three 10-byte sentences (32 bytes). With max 100 bytes a plain greedy packer
  // would take two paragraphs and the first sentence of a third (32+2+32+2+10 = 78 bytes); the
  // chunker must stop at the paragraph break instead, as two paragraphs are over half of 100.
  std::string doc;
  for (int p = 0; p < 6; ++p) {
    if (p) doc += "\n\n";
    doc += "Aaaa bbbb. Cccc dddd. Eeee ffff.";
  }
  auto chunks = ChunkText(doc, {100, 0}, ByteCounter);
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 3u);
  for (const Chunk& c : *chunks) EXPECT_EQ(c.byte_end - c.byte_begin, 66u);
  // Under half full (one 32-byte paragraph of max 100), the next paragraph is still added.
  auto two = ChunkText(doc.substr(0, 66) + "\n\nShort.", {100, 0}, ByteCounter);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].byte_begin, 68u);
}

TEST(ChunkText, PrefersMarkdownHeadings) {
  std::string doc;
  for (int s = 0; s < 4; ++s) {
    doc += "# Heading " + std::to_string(s) + "\n";
    doc += "Aaaa bbbb. Cccc dddd. Eeee ffff.\n";  // no blank lines at all
  }
  // Each section is 44 bytes; max 60: half full after one section, so each chunk is a section
  // starting at its heading, although the next heading line would fit.
  auto chunks = ChunkText(doc, {60, 0}, ByteCounter);
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 4u);
  for (const Chunk& c : *chunks) {
    EXPECT_EQ(doc[c.byte_begin], '#');
    EXPECT_EQ(c.line_end, c.line_begin + 1);
  }
}

TEST(ChunkText, OverlapRepeatsTrailingWholeSentences) {
  std::string doc;
  for (int s = 0; s < 20; ++s) doc += (s ? " " : "") + std::string("Sentence") + char('a' + s) + ".";
  // Sentences are 10 bytes, 11 with the space. max 54 fits five; overlap 25 fits two (21 bytes).
  auto chunks = ChunkText(doc, {54, 25}, ByteCounter);
  ASSERT_TRUE(chunks.ok());
  ASSERT_GE(chunks->size(), 5u);
  for (size_t c = 1; c < chunks->size(); ++c) {
    const Chunk& prev = (*chunks)[c - 1];
    const Chunk& cur = (*chunks)[c];
    EXPECT_EQ(prev.byte_end - cur.byte_begin, 21u) << "chunk " << c;
    EXPECT_EQ(doc.substr(cur.byte_begin, 8), "Sentence");
  }
  // Without overlap the same text needs fewer chunks, and they do not overlap.
  auto plain = ChunkText(doc, {54, 0}, ByteCounter);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), 4u);
  // A chunk closed early at a paragraph break fits entirely in overlap_tokens, yet only its
  // trailing sentence is repeated: a chunk never starts where the previous one did.
  const std::string paragraphs = "Aaaa bbbb. Cccc dddd.\n\nEeee ffff. Gggg hhhh.";
  auto early = ChunkText(paragraphs, {40, 30}, ByteCounter);
  ASSERT_TRUE(early.ok());
  ASSERT_EQ(early->size(), 2u);
  EXPECT_EQ((*early)[0].byte_end, 21u);
  EXPECT_EQ((*early)[1].byte_begin, 11u);  // "Cccc dddd." again, not "Aaaa bbbb."
  // Overlap never repeats a whole previous chunk: with one sentence per chunk, there is none.
  auto single = ChunkText(doc, {10, 9}, ByteCounter);
  ASSERT_TRUE(single.ok());
  ASSERT_EQ(single->size(), 20u);
  for (size_t c = 1; c < single->size(); ++c) {
    EXPECT_GE((*single)[c].byte_begin, (*single)[c - 1].byte_end);
  }
}

TEST(ChunkText, LongSentenceIsCutAtWordBoundaries) {
  std::string doc;
  for (int w = 0; w < 300; ++w) doc += (w ? " " : "") + std::string(w % 2 ? "lorem" : "ipsum");
  auto chunks = ChunkText(doc, {16, 0}, ApproximateTokenCount);
  ASSERT_TRUE(chunks.ok());
  ASSERT_GT(chunks->size(), 1u);
  ASSERT_EQ(chunks->size(), 19u);  // 300 words, one token each: 18 x 16 + 12
  for (const Chunk& c : *chunks) {
    EXPECT_EQ(c.num_tokens, &c == &chunks->back() ? 12 : 16);
    EXPECT_TRUE(c.byte_begin == 0 || doc[c.byte_begin - 1] == ' ');
    EXPECT_TRUE(c.byte_end == doc.size() || doc[c.byte_end] == ' ');
  }
  // Chinese without punctuation: cut between ICU words, which are never cut inside.
  std::string zh;
  for (int k = 0; k < 200; ++k) zh += "我们一起去公园散步";
  auto zh_chunks = ChunkText(zh, {10, 0}, ApproximateTokenCount);
  ASSERT_TRUE(zh_chunks.ok());
  CheckChunks(zh, {10, 0}, Counters()[0], *zh_chunks);
}

TEST(ChunkText, OneMegabyteWordIsCutAtGraphemeClusters) {
  std::string word;
  word.reserve(1 << 20);
  while (word.size() < (1u << 20)) word += "xyze\xCC\x81";  // "é" as e + combining acute
  const auto start = std::chrono::steady_clock::now();
  auto chunks = ChunkText(word, {100, 10}, ByteCounter);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  size_t covered_to = 0;
  for (const Chunk& c : *chunks) {
    ASSERT_LE(c.byte_end - c.byte_begin, 100u);
    ASSERT_LE(c.byte_begin, covered_to);
    // Never between "e" and its combining accent.
    ASSERT_NE(static_cast<unsigned char>(word[c.byte_begin]), 0xCC);
    ASSERT_TRUE(c.byte_end == word.size() || static_cast<unsigned char>(word[c.byte_end]) != 0xCC);
    covered_to = c.byte_end;
  }
  EXPECT_EQ(covered_to, word.size());
  EXPECT_GE(chunks->size(), word.size() / 100);
  // Not a timing assertion: a guard against quadratic behaviour (seconds would be minutes).
  EXPECT_LT(seconds, 30.0);
}

TEST(ChunkText, CrLfIsOneLineBreak) {
  const std::string doc = "First line.\r\nSecond line.\r\n\r\nFourth line.\r\nFifth.";
  auto chunks = ChunkText(doc, {3, 0}, ApproximateTokenCount);
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 4u);
  const int expected_lines[] = {1, 2, 4, 5};
  for (size_t c = 0; c < 4; ++c) {
    EXPECT_EQ((*chunks)[c].line_begin, expected_lines[c]);
    EXPECT_EQ((*chunks)[c].line_end, expected_lines[c]);
  }
  auto whole = ChunkText(doc, {100, 0}, ApproximateTokenCount);
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->size(), 1u);
  EXPECT_EQ((*whole)[0].line_begin, 1);
  EXPECT_EQ((*whole)[0].line_end, 5);
}

TEST(ChunkText, InvalidOptionsAreNamed) {
  for (int max : {0, -5}) {
    auto r = ChunkText("text", {max, 0}, ApproximateTokenCount);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("max_tokens"));
  }
  for (int overlap : {-1, 8, 9}) {
    auto r = ChunkText("text", {8, overlap}, ApproximateTokenCount);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("overlap_tokens"));
  }
  // One grapheme cluster that alone exceeds max_tokens cannot be chunked: an error, not a
  // chunk over the limit and not lost text.
  auto r = ChunkText("ab 中", {2, 0}, ByteCounter);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("byte 3"));
}

TEST(ChunkText, NonAdditiveCounterStillPacksSentences) {
  // thirds+1 counts each sentence alone one more than its share: chunks must still hold several
  // sentences when the whole text fits, rather than one per chunk.
  const std::string doc = "Aaaa bbbb. Cccc dddd. Eeee ffff. Gggg hhhh.";  // 43 bytes -> 16
  auto chunks = ChunkText(doc, {16, 0}, ThirdsPlusOne);
  ASSERT_TRUE(chunks.ok());
  CheckChunks(doc, {16, 0}, Counters()[2], *chunks);
  EXPECT_EQ(chunks->size(), 1u);
}

TEST(ApproximateTokenCount, CountsWordsSymbolsAndCharacters) {
  EXPECT_EQ(ApproximateTokenCount(""), 0);
  EXPECT_EQ(ApproximateTokenCount("  \n\t "), 0);
  EXPECT_EQ(ApproximateTokenCount("hello world"), 2);
  EXPECT_EQ(ApproximateTokenCount("hello, world!"), 4);
  EXPECT_EQ(ApproximateTokenCount("abcdefgh"), 1);
  EXPECT_EQ(ApproximateTokenCount("abcdefghi"), 2);
  EXPECT_EQ(ApproximateTokenCount("中文。"), 3);
  EXPECT_EQ(ApproximateTokenCount("สวัสดี"), 4);  // ส ว ด + marks ั ี not counted: 4 bases
  EXPECT_EQ(ApproximateTokenCount("हिन्दी भाषा"), 2);
  EXPECT_EQ(ApproximateTokenCount("café"), 1);
  EXPECT_EQ(ApproximateTokenCount("cafe\xCC\x81"), 1);
}

TEST(ApproximateTokenCount, MonotoneAndNearlyAdditive) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 200; ++trial) {
    const std::string doc = RandomDocument(rng);
    std::vector<size_t> cuts;
    for (size_t i = 0; i <= doc.size(); ++i) {
      if (!IsContinuationByte(doc, i)) cuts.push_back(i);
    }
    const size_t a = cuts[rng() % cuts.size()];
    const size_t b = cuts[rng() % cuts.size()];
    const size_t lo = std::min(a, b), hi = std::max(a, b);
    const int whole = ApproximateTokenCount(doc);
    const int left = ApproximateTokenCount(Slice(doc, 0, lo));
    const int mid = ApproximateTokenCount(Slice(doc, 0, hi));
    const int right = ApproximateTokenCount(Slice(doc, lo, doc.size()));
    EXPECT_LE(left, mid);
    EXPECT_LE(mid, whole);
    EXPECT_GE(left + right, whole);
    EXPECT_LE(left + right, whole + 1);
  }
}

}  // namespace
}  // namespace lateral::ingest
