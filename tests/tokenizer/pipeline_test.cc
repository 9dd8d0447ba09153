// Rules of the tokenizer.json pipeline on small hand-written files: BPE
// merging, added-token matching and its flags, normalizers, post-processors
// and decoders. Expected ids follow from the definitions (tokenizers'
// semantics) applied to the tiny vocabularies below.

#include <chrono>
#include <string>
#include <vector>

#include "encoder/tokenizer/normalizer.h"
#include "encoder/tokenizer/tokenizer_json.h"
#include "gtest/gtest.h"
#include "tests/tokenizer/tokenizer_json_builder.h"

namespace lateral {
namespace {

using ::lateral::testing::AddedTokenJson;
using ::lateral::testing::Build;
using ::lateral::testing::JsonDoc;
using ::lateral::testing::MinimalTokenizerJson;
using Ids = std::vector<int32_t>;

Ids EncodeOrDie(const Tokenizer& tokenizer, std::string_view text, bool special = false) {
  absl::StatusOr<Ids> ids = tokenizer.Encode(text, special);
  EXPECT_TRUE(ids.ok()) << ids.status();
  return ids.value_or(Ids{});
}

// ---- BPE ------------------------------------------------------------------

TEST(BpeTest, LowestRankMergesFirst) {
  // ids: a0 b1 c2 ab3 bc4 abc5. "b c" has rank 0, so "abc" goes a|bc, then abc.
  auto t = Build(MinimalTokenizerJson({"a", "b", "c", "ab", "bc", "abc"},
                                      {"b c", "a b", "a bc"}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "abc"), (Ids{5}));
  EXPECT_EQ(EncodeOrDie(**t, "ab"), (Ids{3}));
  // Without "a bc" the word stops at a|bc even though "ab" is a merge too.
  auto u = Build(MinimalTokenizerJson({"a", "b", "c", "ab", "bc", "abc"}, {"b c", "a b"}));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(EncodeOrDie(**u, "abc"), (Ids{0, 4}));
}

TEST(BpeTest, MergesAsPairsAreTheSameAsStrings) {
  JsonDoc doc = MinimalTokenizerJson({"a", "b", "c", "ab", "bc", "abc"}, {});
  doc["model"]["merges"] = JsonDoc::parse(R"([["b", "c"], ["a", "b"], ["a", "bc"]])");
  auto t = Build(doc);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "abc"), (Ids{5}));
}

TEST(BpeTest, EqualRanksMergeLeftmostFirst) {
  auto t = Build(MinimalTokenizerJson({"a", "aa"}, {"a a"}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "aaa"), (Ids{1, 0}));
  EXPECT_EQ(EncodeOrDie(**t, "aaaaa"), (Ids{1, 1, 0}));
}

TEST(BpeTest, IgnoreMergesEmitsAVocabularyWordDirectly) {
  // "aba" is in the vocabulary but no merge sequence builds it.
  JsonDoc doc = MinimalTokenizerJson({"a", "b", "ab", "aba"}, {"a b"});
  auto plain = Build(doc);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(EncodeOrDie(**plain, "aba"), (Ids{2, 0}));
  doc["model"]["ignore_merges"] = true;
  auto ignoring = Build(doc);
  ASSERT_TRUE(ignoring.ok()) << ignoring.status();
  EXPECT_EQ(EncodeOrDie(**ignoring, "aba"), (Ids{3}));
}

TEST(BpeTest, UnknownCharactersByteFallbackUnkOrDropped) {
  // é is C3 A9 in UTF-8.
  JsonDoc doc = MinimalTokenizerJson({"<unk>", "a", "<0xC3>", "<0xA9>"}, {});
  auto dropped = Build(doc);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(EncodeOrDie(**dropped, "a\xC3\xA9" "a"), (Ids{1, 1}));

  doc["model"]["byte_fallback"] = true;
  auto fallback = Build(doc);
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_EQ(EncodeOrDie(**fallback, "a\xC3\xA9"), (Ids{1, 2, 3}));

  doc["model"]["byte_fallback"] = false;
  doc["model"]["unk_token"] = "<unk>";
  auto unk = Build(doc);
  ASSERT_TRUE(unk.ok()) << unk.status();
  EXPECT_EQ(EncodeOrDie(**unk, "a\xC3\xA9\xC3\xA9" "a"), (Ids{1, 0, 0, 1}));
  doc["model"]["fuse_unk"] = true;
  auto fused = Build(doc);
  ASSERT_TRUE(fused.ok()) << fused.status();
  EXPECT_EQ(EncodeOrDie(**fused, "a\xC3\xA9\xC3\xA9" "a"), (Ids{1, 0, 1}));
}

TEST(BpeTest, ContinuingSubwordPrefixAndEndOfWordSuffix) {
  JsonDoc prefixed = MinimalTokenizerJson({"a", "##b", "ab"}, {"a ##b"});
  prefixed["model"]["continuing_subword_prefix"] = "##";
  auto p = Build(prefixed);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(EncodeOrDie(**p, "ab"), (Ids{2}));

  JsonDoc suffixed =
      MinimalTokenizerJson({"a", "b</w>", "ab</w>", "b", "a</w>"}, {"a b</w>"});
  suffixed["model"]["end_of_word_suffix"] = "</w>";
  auto s = Build(suffixed);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(EncodeOrDie(**s, "ab"), (Ids{2}));
  EXPECT_EQ(EncodeOrDie(**s, "ba"), (Ids{3, 4}));  // only the last unit gets the suffix
}

TEST(BpeTest, LongRunsOfOneCharacterAreFast) {
  // 300 'a' -> 150 "aa" (rank 0, leftmost first) -> 75 "aaaa" (rank 1).
  tok::TokenizerJsonOptions no_cache;
  no_cache.cache_capacity = 0;
  auto t = Build(MinimalTokenizerJson({"a", "aa", "aaaa"}, {"a a", "aa aa"}),
                 tok::TokenizerConfig(), no_cache);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, std::string(300, 'a')), Ids(75, 2));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) EncodeOrDie(**t, std::string(3000, 'a'));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // 600,000 characters: a quadratic merge loop would take minutes.
  EXPECT_LT(seconds, 5.0);
}

// ---- added tokens ---------------------------------------------------------------

JsonDoc FlagTokenizerJson() {
  // Characters a, b, c, x, ' ', '<' (ids 0..5); no merges, no pre-tokenizer.
  JsonDoc doc = MinimalTokenizerJson({"a", "b", "c", "x", " ", "<"}, {});
  JsonDoc lstrip = AddedTokenJson(10, "L", false);
  lstrip["lstrip"] = true;
  JsonDoc rstrip = AddedTokenJson(11, "R", false);
  rstrip["rstrip"] = true;
  JsonDoc single = AddedTokenJson(12, "ab", false);
  single["single_word"] = true;
  doc["added_tokens"] = JsonDoc::array(
      {lstrip, rstrip, single, AddedTokenJson(13, "<<", true), AddedTokenJson(14, "<<<", true)});
  return doc;
}

TEST(AddedTokensTest, IdsFollowTheVocabulary) {
  auto t = Build(FlagTokenizerJson());
  ASSERT_TRUE(t.ok()) << t.status();
  // tokenizers gives new added tokens the ids after the vocabulary's entry
  // count (6), in file order, whatever the file says.
  EXPECT_EQ((*t)->TokenToId("L"), 6);
  EXPECT_EQ((*t)->TokenToId("R"), 7);
  EXPECT_EQ((*t)->TokenToId("ab"), 8);
  EXPECT_EQ((*t)->TokenToId("<<"), 9);
  EXPECT_EQ((*t)->TokenToId("<<<"), 10);
  EXPECT_EQ((*t)->VocabSize(), 11);
}

TEST(AddedTokensTest, LstripAndRstripTakeTheNeighbouringSpaces) {
  auto t = Build(FlagTokenizerJson());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "a  L b"), (Ids{0, 6, 4, 1}));
  EXPECT_EQ(EncodeOrDie(**t, "a R  b"), (Ids{0, 4, 7, 1}));
}

TEST(AddedTokensTest, SingleWordOnlyMatchesWholeWords) {
  auto t = Build(FlagTokenizerJson());
  ASSERT_TRUE(t.ok()) << t.status();
  // "ab" alone matches; inside "abc" and "cab" it does not.
  EXPECT_EQ(EncodeOrDie(**t, "ab abc cab ab"),
            (Ids{8, 4, 0, 1, 2, 4, 2, 0, 1, 4, 8}));
}

TEST(AddedTokensTest, LongestTokenWinsAtTheLeftmostPosition) {
  auto t = Build(FlagTokenizerJson());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "<<<<"), (Ids{10, 5}));
  EXPECT_EQ(EncodeOrDie(**t, "x<<x"), (Ids{3, 9, 3}));
}

TEST(AddedTokensTest, NormalizedTokensMatchTheNormalizedText) {
  JsonDoc doc = MinimalTokenizerJson({"a", "b", "c", "h", "i", "x"}, {});
  doc["normalizer"] = {{"type", "Lowercase"}};
  // "HI" is normalized (matched after lowercasing); "AB" is not.
  doc["added_tokens"] = JsonDoc::array({AddedTokenJson(6, "HI", false, /*normalized=*/true),
                                        AddedTokenJson(7, "AB", false, /*normalized=*/false)});
  auto t = Build(doc);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "Hi"), (Ids{6}));
  EXPECT_EQ(EncodeOrDie(**t, "xAB"), (Ids{5, 7}));
  EXPECT_EQ(EncodeOrDie(**t, "ab"), (Ids{0, 1}));  // raw-text tokens are case-sensitive
  // Decoding gives the normalized content, as tokenizers does.
  EXPECT_EQ((*t)->IdToToken(6), "hi");
}

// ---- normalizers ----------------------------------------------------------------

std::string Normalize(const tok::Normalizer& n, std::string_view text) {
  std::string out;
  EXPECT_TRUE(n.Normalize(text, &out).ok());
  return out;
}

TEST(NormalizerTest, UnicodeFormsAndCase) {
  auto nfc = tok::NewUnicodeNormalizer(tok::UnicodeForm::kNfc);
  auto nfd = tok::NewUnicodeNormalizer(tok::UnicodeForm::kNfd);
  auto nfkc = tok::NewUnicodeNormalizer(tok::UnicodeForm::kNfkc);
  auto nfkd = tok::NewUnicodeNormalizer(tok::UnicodeForm::kNfkd);
  ASSERT_TRUE(nfc.ok() && nfd.ok() && nfkc.ok() && nfkd.ok());
  EXPECT_EQ(Normalize(**nfc, "e\xCC\x81"), "\xC3\xA9");               // é composed
  EXPECT_EQ(Normalize(**nfd, "\xC3\xA9"), "e\xCC\x81");               // é decomposed
  EXPECT_EQ(Normalize(**nfkc, "\xEF\xAC\x81\xE2\x91\xA0"), "fi1");    // ﬁ①
  EXPECT_EQ(Normalize(**nfkd, "\xEF\xAC\x81\xC3\xA9"), "fie\xCC\x81");
  auto lower = tok::NewLowercaseNormalizer();
  EXPECT_EQ(Normalize(*lower, "\xC3\x80" "B"), "\xC3\xA0" "b");       // ÀB -> àb
  EXPECT_EQ(Normalize(*lower, "\xCE\xA3\xCE\x91\xCE\xA3"),            // ΣΑΣ -> σας
            "\xCF\x83\xCE\xB1\xCF\x82");
}

TEST(NormalizerTest, PrependReplaceSequence) {
  std::vector<std::unique_ptr<tok::Normalizer>> steps;
  steps.push_back(tok::NewReplaceNormalizer(" ", "\xE2\x96\x81"));
  steps.push_back(tok::NewPrependNormalizer("\xE2\x96\x81"));
  auto sequence = tok::NewSequenceNormalizer(std::move(steps));
  EXPECT_EQ(Normalize(*sequence, "a b"), "\xE2\x96\x81" "a\xE2\x96\x81" "b");
  EXPECT_EQ(Normalize(*sequence, ""), "");  // Prepend leaves empty text empty
}

// ---- post-processors and decoders ---------------------------------------------------

TEST(PostProcessorTest, TemplateBertRobertaAndSequence) {
  JsonDoc doc = MinimalTokenizerJson({"<s>", "</s>", "a"}, {});
  doc["post_processor"] = JsonDoc::parse(R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "</s>", "type_id": 0}}],
      "pair": [],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                         "</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}})");
  auto t = Build(doc);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "aa", true), (Ids{0, 2, 2, 1}));
  EXPECT_EQ(EncodeOrDie(**t, "aa", false), (Ids{2, 2}));
  EXPECT_EQ((*t)->BosId(), 0);  // no config: the template's first special id

  doc["post_processor"] = JsonDoc::parse(R"({"type": "Sequence", "processors": [
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
      {"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0],
       "trim_offsets": true, "add_prefix_space": false}]})");
  auto roberta = Build(doc);
  ASSERT_TRUE(roberta.ok()) << roberta.status();
  EXPECT_EQ(EncodeOrDie(**roberta, "a", true), (Ids{0, 2, 1}));

  doc["post_processor"] = JsonDoc::parse(
      R"({"type": "BertProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0]})");
  auto bert = Build(doc);
  ASSERT_TRUE(bert.ok()) << bert.status();
  EXPECT_EQ(EncodeOrDie(**bert, "a", true), (Ids{0, 2, 1}));
}

TEST(DecoderTest, NullDecoderJoinsTokensWithSpaces) {
  auto t = Build(MinimalTokenizerJson({"he", "llo"}, {}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->Decode({0, 1}, false), "he llo");
  auto stream = (*t)->NewStreamingDecoder(false);
  std::string streamed = stream->Push(0);
  streamed += stream->Push(1);
  streamed += stream->Finish();
  EXPECT_EQ(streamed, "he llo");
}

TEST(ByteLevelPipelineTest, PrefixSpaceAndGpt2Regex) {
  // ByteLevel with add_prefix_space and the GPT-2 regex: "hi you" ->
  // " hi", " you" -> "Ġhi", "Ġyou".
  JsonDoc doc = MinimalTokenizerJson({"\xC4\xA0hi", "\xC4\xA0you", "\xC4\xA0", "h", "i"}, {});
  doc["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", true},
                          {"trim_offsets", true}, {"use_regex", true}};
  doc["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true},
                    {"trim_offsets", true}, {"use_regex", true}};
  doc["model"]["ignore_merges"] = true;
  auto t = Build(doc);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(EncodeOrDie(**t, "hi you"), (Ids{0, 1}));
  EXPECT_EQ((*t)->Decode({0, 1}, false), " hi you");
}

}  // namespace
}  // namespace lateral
