// Tests of the lexical analyser (index/lexical/analyzer.h): segmentation of
// scripts without spaces, normalisation equivalences, stemming per language
// tag, offsets, term limits, thread safety and the identity round trip.
#include "index/lexical/analyzer.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unicode/unistr.h>

#include "gtest/gtest.h"

namespace lateral {
namespace {

using namespace std::string_literals;

std::unique_ptr<Analyzer> Make(AnalyzerOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Analyzer>> a = Analyzer::Create(options);
  EXPECT_TRUE(a.ok()) << a.status();
  return std::move(a).value();
}

// Every term, sub-word trigrams included.
std::vector<std::string> AllTermsOf(const Analyzer& a, std::string_view text, std::string_view lang) {
  std::vector<std::string> out;
  for (const AnalyzedToken& t : a.Analyze(text, lang)) out.push_back(t.term);
  return out;
}

bool IsTrigram(const std::string& term) { return !term.empty() && term[0] == '#'; }

// The word terms only (sub-word trigrams dropped): what normalisation and
// stemming tests compare.
std::vector<std::string> TermsOf(const Analyzer& a, std::string_view text, std::string_view lang) {
  std::vector<std::string> out;
  for (const std::string& t : AllTermsOf(a, text, lang)) {
    if (!IsTrigram(t)) out.push_back(t);
  }
  return out;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Text without spaces must split into words: several tokens, some of them
// longer than one character, and none spanning the whole run.
void ExpectWordSegmentation(const Analyzer& a, const std::string& text, const std::string& lang) {
  SCOPED_TRACE(lang);
  const std::vector<AnalyzedToken> tokens = a.Analyze(text, lang);
  ASSERT_GE(tokens.size(), 4u) << text;
  size_t multi = 0, chars = 0;
  for (const AnalyzedToken& t : tokens) {
    const std::string original = text.substr(t.byte_begin, t.byte_end - t.byte_begin);
    multi += CodePoints(original) >= 2;
    chars = std::max(chars, CodePoints(original));
  }
  EXPECT_GE(multi, 3u) << "expected several multi-character words";
  EXPECT_LT(chars, CodePoints(text) / 2) << "a token spans most of the text";
}

TEST(AnalyzerTest, SegmentsChineseJapaneseThaiIntoWords) {
  // Bigrams off: they would make every run look segmented.
  auto a = Make({.cjk_bigrams = false});
  ExpectWordSegmentation(*a, "我们在北京大学学习中文和历史", "zh");
  ExpectWordSegmentation(*a, "日本語の文章を正しく分割できるかどうか確認します", "ja");
  ExpectWordSegmentation(*a, "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ", "th");
  // Without a language tag the dictionaries still apply.
  ExpectWordSegmentation(*a, "我们在北京大学学习中文和历史", "");
}

TEST(AnalyzerTest, KnownChineseWordsAreTerms) {
  auto a = Make({.cjk_bigrams = false});
  const std::vector<std::string> terms = TermsOf(*a, "我们在北京大学学习中文", "zh");
  const std::set<std::string> set(terms.begin(), terms.end());
  EXPECT_TRUE(set.count("北京") || set.count("北京大学")) << "北京 not segmented";
  EXPECT_TRUE(set.count("学习")) << "学习 not segmented";
}

TEST(AnalyzerTest, DropsPunctuationAndSpaces) {
  auto a = Make({.stemming = false});
  EXPECT_EQ(TermsOf(*a, "  Hello, world!  -- ... 42 ", "en"),
            (std::vector<std::string>{"hello", "world", "42"}));
  EXPECT_TRUE(a->Analyze("", "en").empty());
  EXPECT_TRUE(a->Analyze(" ,.;!? \n\t", "").empty());
}

TEST(AnalyzerTest, CaseFoldingAndNfkcEquivalences) {
  auto a = Make({.stemming = false});
  EXPECT_EQ(TermsOf(*a, "ＡＢＣ", "en"), TermsOf(*a, "abc", "en"));
  EXPECT_EQ(TermsOf(*a, "ＡＢＣ", "en"), std::vector<std::string>{"abc"});
  EXPECT_EQ(TermsOf(*a, "Straße", "de"), TermsOf(*a, "STRASSE", "de"));
  EXPECT_EQ(TermsOf(*a, "Straße", "de"), std::vector<std::string>{"strasse"});
  // Composed and decomposed é meet.
  EXPECT_EQ(TermsOf(*a, "caf\u00e9", "fr"), TermsOf(*a, "cafe\u0301", "fr"));
  // Greek final sigma folds like the other sigma.
  EXPECT_EQ(TermsOf(*a, "ΟΔΟΣ", "el"), TermsOf(*a, "οδος", "el"));
  // The same with stemming on: both sides still meet.
  auto s = Make();
  EXPECT_EQ(TermsOf(*s, "Straße", "de"), TermsOf(*s, "STRASSE", "de"));
  EXPECT_EQ(TermsOf(*s, "ＲＵＮＮＩＮＧ", "en"), TermsOf(*s, "running", "en"));
}

TEST(AnalyzerTest, StemsByLanguageTag) {
  auto a = Make();
  EXPECT_EQ(TermsOf(*a, "running", "en"), TermsOf(*a, "runs", "en"));
  EXPECT_EQ(TermsOf(*a, "connection", "en"), TermsOf(*a, "connected", "en"));
  // Russian noun forms.
  EXPECT_EQ(TermsOf(*a, "книга", "ru"), TermsOf(*a, "книги", "ru"));
  EXPECT_EQ(TermsOf(*a, "книгами", "ru"), TermsOf(*a, "книгой", "ru"));
  // German and Spanish use their own stemmers.
  EXPECT_EQ(TermsOf(*a, "Häuser", "de"), TermsOf(*a, "Haus", "de"));
  EXPECT_EQ(TermsOf(*a, "casas", "es"), TermsOf(*a, "casa", "es"));
  // Region subtags and underscores are understood.
  EXPECT_EQ(TermsOf(*a, "casas", "pt-BR"), TermsOf(*a, "casa", "pt_BR"));
  // Stemming off keeps the folded word.
  auto n = Make({.stemming = false});
  EXPECT_EQ(TermsOf(*n, "running", "en"), std::vector<std::string>{"running"});
  EXPECT_NE(TermsOf(*n, "running", "en"), TermsOf(*n, "runs", "en"));
}

TEST(AnalyzerTest, WordsInAnotherScriptUseThatScriptsStemmer) {
  auto a = Make();
  // Cyrillic in a text tagged English and with no tag: Russian stems.
  EXPECT_EQ(TermsOf(*a, "книгами", "en"), TermsOf(*a, "книгами", "ru"));
  EXPECT_EQ(TermsOf(*a, "книгами", ""), TermsOf(*a, "книгами", "ru"));
  // Latin words outside a Latin-script language, or untagged, are not stemmed.
  EXPECT_EQ(TermsOf(*a, "Panthers", "ar"), std::vector<std::string>{"panthers"});
  EXPECT_EQ(TermsOf(*a, "Panthers", ""), std::vector<std::string>{"panthers"});
  EXPECT_EQ(TermsOf(*a, "Panthers", "en"), std::vector<std::string>{"panther"});
  // Vietnamese has no Snowball stemmer: its Latin words stay as they are.
  EXPECT_EQ(TermsOf(*a, "runs", "vi"), std::vector<std::string>{"runs"});
}

TEST(AnalyzerTest, OffsetsMapBackToTheInput) {
  // Word tokens only here; trigram and bigram offsets are checked in their tests.
  auto a = Make({.cjk_bigrams = false, .subword_trigrams = false});
  const std::string text = "Ｈｅｌｌｏ,  Straße! 北京大学の学生 ภาษาไทย Книги 2024";
  const std::vector<AnalyzedToken> tokens = a->Analyze(text, "");
  ASSERT_GE(tokens.size(), 6u);
  uint32_t previous_end = 0;
  for (const AnalyzedToken& t : tokens) {
    ASSERT_LT(t.byte_begin, t.byte_end);
    ASSERT_LE(t.byte_end, text.size());
    EXPECT_GE(t.byte_begin, previous_end) << "tokens overlap or go backwards";
    previous_end = t.byte_end;
    // The substring analysed alone gives the same term back.
    const std::string original = text.substr(t.byte_begin, t.byte_end - t.byte_begin);
    const std::vector<std::string> again = TermsOf(*a, original, "");
    ASSERT_EQ(again.size(), 1u) << original;
    EXPECT_EQ(again[0], t.term) << original;
  }
  EXPECT_EQ(text.substr(tokens[0].byte_begin, tokens[0].byte_end - tokens[0].byte_begin), "Ｈｅｌｌｏ");
  EXPECT_EQ(tokens[0].term, "hello");
}

TEST(AnalyzerTest, TermsAreBoundedNonEmptyAndNulFree) {
  auto a = Make();
  std::string text = std::string(1000, 'a') + " " + "x\0y"s + " ";
  for (int i = 0; i < 200; ++i) text += "é";  // 400 bytes, one word
  text += " \xff\xfe broken \xc3";                  // invalid UTF-8
  for (const AnalyzedToken& t : a->Analyze(text, "fr")) {
    EXPECT_FALSE(t.term.empty());
    EXPECT_LE(t.term.size(), Analyzer::kMaxTermBytes);
    EXPECT_EQ(t.term.find('\0'), std::string::npos);
    // Cut at a character boundary: the last character is complete.
    if (!t.term.empty()) {
      const unsigned char last = static_cast<unsigned char>(t.term.back());
      EXPECT_TRUE(last < 0x80 || (last & 0xC0) == 0x80) << "ends mid-character";
    }
  }
  const LexicalTerms terms = a->Terms(text, "fr");
  uint32_t sum = 0;
  for (const auto& [term, tf] : terms.term_frequencies) sum += tf;
  EXPECT_EQ(sum, terms.length);
}

TEST(AnalyzerTest, TermsCountsAnalyzeTokens) {
  auto a = Make();
  const std::string text = "The runner runs; the RUNNERS ran. 東京の東京タワー 東京";
  const LexicalTerms terms = a->Terms(text, "en");
  std::map<std::string, uint32_t> expected;
  for (const AnalyzedToken& t : a->Analyze(text, "en")) ++expected[t.term];
  std::map<std::string, uint32_t> got;
  for (const auto& [term, tf] : terms.term_frequencies) {
    EXPECT_TRUE(got.emplace(term, tf).second) << "term listed twice: " << term;
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(terms.length, a->Analyze(text, "en").size());
  // Listed in order of first occurrence, so the output is deterministic.
  std::vector<std::string> first_seen, listed;
  std::set<std::string> seen;
  for (const AnalyzedToken& t : a->Analyze(text, "en")) {
    if (seen.insert(t.term).second) first_seen.push_back(t.term);
  }
  for (const auto& [term, tf] : terms.term_frequencies) listed.push_back(term);
  EXPECT_EQ(listed, first_seen);
  EXPECT_EQ(a->QueryTerms(text, "en").size(), terms.length);
}

TEST(AnalyzerTest, CjkBigramsCoverEveryAdjacentPair) {
  auto plain = Make({.cjk_bigrams = false});
  auto bigrams = Make();
  for (const auto& [text, lang] : std::vector<std::pair<std::string, std::string>>{
           {"我们在北京大学学习中文和历史", "zh"}, {"東京タワーに行きました", "ja"}}) {
    SCOPED_TRACE(text);
    const std::vector<AnalyzedToken> tokens = bigrams->Analyze(text, lang);
    std::multiset<std::string> terms;
    for (const AnalyzedToken& t : tokens) terms.insert(t.term);
    // Every word term of the plain analysis is still there.
    for (const std::string& t : AllTermsOf(*plain, text, lang)) EXPECT_TRUE(terms.count(t)) << t;
    EXPECT_GT(tokens.size(), AllTermsOf(*plain, text, lang).size());
    // Every pair of neighbouring characters of the run is a term, including
    // the pairs that straddle two dictionary words.
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
    for (int32_t i = 0; i + 1 < u.countChar32(); ++i) {
      std::string pair;
      u.tempSubString(u.moveIndex32(0, i), u.moveIndex32(0, i + 2) - u.moveIndex32(0, i)).toUTF8String(pair);
      EXPECT_TRUE(terms.count(pair)) << "missing bigram " << pair;
    }
    // Each token's offsets cover exactly the characters it was made from.
    for (const AnalyzedToken& t : tokens) {
      EXPECT_EQ(text.substr(t.byte_begin, t.byte_end - t.byte_begin), t.term);
    }
  }
  // Latin text is unaffected.
  EXPECT_EQ(AllTermsOf(*plain, "hello world", "en"), AllTermsOf(*bigrams, "hello world", "en"));
}

TEST(AnalyzerTest, DiacriticFoldingOnlyForLatinGreekCyrillic) {
  auto fold = Make({.stemming = false, .fold_diacritics = true});
  EXPECT_EQ(TermsOf(*fold, "café", "fr"), TermsOf(*fold, "cafe", "fr"));
  EXPECT_EQ(TermsOf(*fold, "Tiếng Việt", "vi"), TermsOf(*fold, "tieng viet", "vi"));
  // Thai vowel signs are combining marks but must stay.
  auto plain = Make({.stemming = false});
  EXPECT_EQ(TermsOf(*fold, "ภาษาไทย", "th"), TermsOf(*plain, "ภาษาไทย", "th"));
  EXPECT_EQ(TermsOf(*fold, "हिन्दी", "hi"), TermsOf(*plain, "हिन्दी", "hi"));
}

TEST(AnalyzerTest, SubwordTrigrams) {
  auto a = Make();
  auto off = Make({.subword_trigrams = false});
  const std::string text = "Die Häuser am See";
  std::vector<std::string> trigrams;
  for (const AnalyzedToken& t : a->Analyze(text, "de")) {
    if (!IsTrigram(t.term)) continue;
    trigrams.push_back(t.term);
    // A trigram carries the offsets of its word.
    EXPECT_EQ(text.substr(t.byte_begin, t.byte_end - t.byte_begin), "Häuser") << t.term;
  }
  // Of the case-folded, unstemmed word; words under 4 characters have none.
  EXPECT_EQ(trigrams, (std::vector<std::string>{"#häu", "#äus", "#use", "#ser"}));
  // Without trigrams the word terms are unchanged and no '#' term appears.
  EXPECT_EQ(TermsOf(*a, text, "de"), AllTermsOf(*off, text, "de"));
  // A compound shares trigrams with its parts.
  std::set<std::string> compound, part;
  for (const std::string& t : AllTermsOf(*a, "Weltmeisterschaft", "de")) compound.insert(t);
  for (const std::string& t : AllTermsOf(*a, "Meister", "de")) part.insert(t);
  size_t shared = 0;
  for (const std::string& t : part) shared += IsTrigram(t) && compound.count(t);
  EXPECT_GE(shared, 4u);
  // Not for Vietnamese, nor for Chinese/Japanese dictionary words.
  for (const std::string& t : AllTermsOf(*a, "người Việt Nam", "vi")) EXPECT_FALSE(IsTrigram(t)) << t;
  for (const std::string& t : AllTermsOf(*a, "中华人民共和国成立", "zh")) EXPECT_FALSE(IsTrigram(t)) << t;
  for (const std::string& t : AllTermsOf(*a, "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ", "")) EXPECT_FALSE(IsTrigram(t)) << t;
  // Word terms never start with '#', so trigrams cannot collide with words.
  for (const std::string& t : TermsOf(*a, "#hashtag C# #1 ##", "en")) EXPECT_FALSE(IsTrigram(t)) << t;
}

TEST(AnalyzerTest, ParallelAnalyzeEqualsSerial) {
  auto a = Make({.cjk_bigrams = true});
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"The quick brown foxes jumped over the lazy dogs", "en"},
      {"我们在北京大学学习中文和历史", "zh"},
      {"日本語の文章を正しく分割できるかどうか確認します", "ja"},
      {"ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ", "th"},
      {"Книги лежали на столах в библиотеках", "ru"},
      {"Die Häuser der Straße wurden renoviert", "de"},
      {"Οι άνθρωποι γεννιούνται ελεύθεροι", "el"},
      {"mixed 北京 Straße книги", ""},
  };
  std::vector<std::vector<std::string>> serial;
  for (const auto& [text, lang] : inputs) serial.push_back(AllTermsOf(*a, text, lang));
  constexpr int kThreads = 8;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          const size_t j = (i + t + round) % inputs.size();
          if (AllTermsOf(*a, inputs[j].first, inputs[j].second) != serial[j]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(AnalyzerTest, IdentityRoundTrip) {
  std::set<std::string> identities;
  for (int bits = 0; bits < 16; ++bits) {
    auto a = Make({.stemming = (bits & 1) != 0, .fold_diacritics = (bits & 2) != 0,
                   .cjk_bigrams = (bits & 4) != 0, .subword_trigrams = (bits & 8) != 0});
    absl::StatusOr<std::unique_ptr<Analyzer>> b = Analyzer::FromIdentity(a->Identity());
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ((*b)->Identity(), a->Identity());
    const AnalyzerOptions& o = (*b)->options();
    EXPECT_EQ(o.stemming, (bits & 1) != 0);
    EXPECT_EQ(o.fold_diacritics, (bits & 2) != 0);
    EXPECT_EQ(o.cjk_bigrams, (bits & 4) != 0);
    EXPECT_EQ(o.subword_trigrams, (bits & 8) != 0);
    const std::string text = "Running Häuser café 東京タワーに行きました книгами";
    EXPECT_EQ(AllTermsOf(**b, text, "de"), AllTermsOf(*a, text, "de"));
    identities.insert(a->Identity());
  }
  EXPECT_EQ(identities.size(), 16u);
  // Different options give different identities.
  EXPECT_NE(Make({.stemming = true})->Identity(), Make({.stemming = false})->Identity());
}

TEST(AnalyzerTest, UnknownIdentitiesAreRejected) {
  for (const char* bad : {"", "bm25-analyzer-v2;stem=1;fold=0;cjkbigram=0;trigram=1", "bm25-analyzer-v1",
                          "bm25-analyzer-v1;stem=1;fold=0;cjkbigram=0",
                          "bm25-analyzer-v1;stem=2;fold=0;cjkbigram=0;trigram=1",
                          "bm25-analyzer-v1;stem=1;fold=0;cjkbigram=0;trigram=1;extra=1",
                          "bm25-analyzer-v1;stem=1;stem=1;fold=0;cjkbigram=0;trigram=1", "whitespace"}) {
    absl::StatusOr<std::unique_ptr<Analyzer>> a = Analyzer::FromIdentity(bad);
    EXPECT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace lateral
