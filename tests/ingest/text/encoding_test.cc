// Tests of ingest/text/encoding.h. Encoded inputs are produced by ICU's own converters from UTF-8
// sample texts, so each test is a round trip with an independent encoder as the oracle.
#include "ingest/text/encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unicode/ucnv.h>
#include <unicode/utf8.h>

#include <random>
#include <string>
#include <vector>

namespace lateral::ingest {
namespace {

using ::testing::HasSubstr;

struct Sample {
  const char* encoding;
  const char* text;
};

// A few hundred bytes of ordinary prose per encoding; every sample is non-ASCII, so its encoded
// form is not valid UTF-8 and detection has to work for it.
const std::vector<Sample>& Samples() {
  static const std::vector<Sample> samples = {
      {"ISO-8859-1",
       "Le café de la gare était fermé à cause de la grève. Les voyageurs, déçus, ont attendu "
       "pendant des heures sur le quai. Un employé a expliqué que les trains reprendraient "
       "bientôt, mais personne ne l'a cru. À midi, la pluie a commencé à tomber et tout le monde "
       "s'est réfugié dans la petite salle d'attente, où l'on parlait de la qualité du pain, "
       "des élections et de l'été prochain."},
      {"windows-1252",
       "„Die Straße war leer“, sagte er – und das überraschte niemanden. Für 20 € bekam man "
       "früher zwei Brötchen und einen Kaffee; heute zahlt man dafür deutlich mehr. Müller "
       "meinte, das läge an den Löhnen, während Schäfer die hohen Mieten verantwortlich "
       "machte. “Wir werden sehen”, antwortete die Bäckerin … und schloss die Tür."},
      {"Shift_JIS",
       "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした"
       "所でニャーニャー泣いていた事だけは記憶している。吾輩はここで始めて人間というものを見た。"
       "しかもあとで聞くとそれは書生という人間中で一番獰悪な種族であったそうだ。"},
      {"EUC-JP",
       "東京の天気は今日も晴れです。明日は雨が降るかもしれないので、傘を持って出かけてください。"
       "駅の近くに新しい喫茶店ができました。コーヒーがとても美味しいと評判です。週末に友達と一緒"
       "に行ってみようと思っています。"},
      {"EUC-KR",
       "대한민국은 동아시아의 한반도 남부에 위치한 민주공화국이다. 수도는 서울특별시이며, 국어는 "
       "한국어이다. 오늘은 날씨가 맑고 따뜻해서 많은 사람들이 공원에 산책을 나왔다. 아이들은 "
       "잔디밭에서 뛰어놀고, 어른들은 벤치에 앉아 이야기를 나누었다."},
      {"GB18030",
       "中华人民共和国位于亚洲东部，太平洋西岸。今天天气很好，我们一起去公园散步吧。图书馆里有很多"
       "新书，学生们都在认真地学习。这个城市的交通非常方便，地铁可以到达每一个地方。晚上我们在饭店"
       "吃了北京烤鸭，味道非常好。"},
      {"KOI8-R",
       "Москва - столица России, город федерального значения. Сегодня в городе тёплая погода, "
       "и многие жители вышли на улицы. В парках играют дети, а пожилые люди сидят на скамейках "
       "и читают газеты. Вечером в театре будет новый спектакль."},
      {"UTF-16LE",
       "The quick brown fox jumps over the lazy dog. This file was written by an editor that "
       "saves text as UTF-16 without a byte order mark, which happens more often than one "
       "would like. Café, naïve, résumé."},
      {"UTF-16BE",
       "The quick brown fox jumps over the lazy dog. This file was written by an editor that "
       "saves text as UTF-16 without a byte order mark, which happens more often than one "
       "would like. Café, naïve, résumé."},
  };
  return samples;
}

// `utf8` encoded by ICU in `encoding`; fails the test if ICU cannot represent it exactly.
std::string Encode(const char* encoding, const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  std::string out(utf8.size() * 4 + 16, '\0');
  int32_t n = ucnv_convert(encoding, "UTF-8", out.data(), static_cast<int32_t>(out.size()),
                           utf8.data(), static_cast<int32_t>(utf8.size()), &status);
  EXPECT_TRUE(U_SUCCESS(status)) << encoding << ": " << u_errorName(status);
  out.resize(n);
  // ICU substitutes unmappable characters; decode back to make sure the sample is exact.
  std::string back(out.size() * 4 + 16, '\0');
  status = U_ZERO_ERROR;
  int32_t m = ucnv_convert("UTF-8", encoding, back.data(), static_cast<int32_t>(back.size()),
                           out.data(), static_cast<int32_t>(out.size()), &status);
  back.resize(m);
  EXPECT_EQ(back, utf8) << "sample not representable in " << encoding;
  return out;
}

// Whether two encoding names denote the same ICU converter.
bool SameConverter(const std::string& a, const std::string& b) {
  UErrorCode s1 = U_ZERO_ERROR, s2 = U_ZERO_ERROR;
  UConverter* ca = ucnv_open(a.c_str(), &s1);
  UConverter* cb = ucnv_open(b.c_str(), &s2);
  bool same = U_SUCCESS(s1) && U_SUCCESS(s2) &&
              std::string(ucnv_getName(ca, &s1)) == std::string(ucnv_getName(cb, &s2));
  ucnv_close(ca);
  ucnv_close(cb);
  return same;
}

TEST(DecodeToUtf8, DeclaredEncodingsRoundTrip) {
  for (const Sample& sample : Samples()) {
    SCOPED_TRACE(sample.encoding);
    const std::string bytes = Encode(sample.encoding, sample.text);
    auto decoded = DecodeToUtf8(bytes, sample.encoding, "a.txt");
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->utf8, sample.text);
    EXPECT_FALSE(decoded->detected);
    EXPECT_TRUE(SameConverter(decoded->encoding, sample.encoding)) << decoded->encoding;
  }
}

TEST(DecodeToUtf8, DetectsEncodingOfUndeclaredText) {
  for (const Sample& sample : Samples()) {
    SCOPED_TRACE(sample.encoding);
    const std::string bytes = Encode(sample.encoding, sample.text);
    ASSERT_LT(FirstInvalidUtf8Byte(bytes), bytes.size()) << "sample must not be valid UTF-8";
    auto decoded = DecodeToUtf8(bytes, "", "a.txt");
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    // Any encoding whose decoding equals the original is right (Latin-1 text may well be
    // reported as windows-1252, of which it is a subset for these bytes).
    EXPECT_EQ(decoded->utf8, sample.text) << "detected as " << decoded->encoding;
    EXPECT_TRUE(decoded->detected);
  }
}

TEST(DecodeToUtf8, ValidUtf8IsTakenAsIs) {
  const std::string text = "ASCII, café, 中文, ไทย, हिन्दी, 😀\nsecond line\n";
  auto decoded = DecodeToUtf8(text, "", "a.txt");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->utf8, text);
  EXPECT_EQ(decoded->encoding, "UTF-8");
  EXPECT_FALSE(decoded->detected);
  auto empty = DecodeToUtf8("", "", "empty.txt");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->utf8, "");
}

TEST(DecodeToUtf8, ByteOrderMarksAreHonouredAndStripped) {
  const std::string text = "BOM test: café, Ελληνικά, 日本語, 😀 (outside the BMP)\n";
  struct Case {
    std::string bom;
    const char* body_encoding;
  };
  const std::vector<Case> cases = {
      {"\xEF\xBB\xBF", "UTF-8"},
      {"\xFF\xFE", "UTF-16LE"},
      {"\xFE\xFF", "UTF-16BE"},
      {std::string("\xFF\xFE\x00\x00", 4), "UTF-32LE"},
      {std::string("\x00\x00\xFE\xFF", 4), "UTF-32BE"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body_encoding);
    const std::string bytes = c.bom + Encode(c.body_encoding, text);
    for (const char* declared : {"", "windows-1252"}) {  // a BOM beats a declaration
      auto decoded = DecodeToUtf8(bytes, declared, "bom.txt");
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      EXPECT_EQ(decoded->utf8, text);
      EXPECT_TRUE(SameConverter(decoded->encoding, c.body_encoding)) << decoded->encoding;
      EXPECT_FALSE(decoded->detected);
    }
  }
}

TEST(DecodeToUtf8, InvalidUtf8UnderDeclaredUtf8NamesOffsetAndLine) {
  const std::string bytes = "first line\nsecond line\nab\xFF" "cd\n";
  auto decoded = DecodeToUtf8(bytes, "UTF-8", "notes/a.txt");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr("notes/a.txt"));
  EXPECT_THAT(decoded.status().message(), HasSubstr("offset 25"));
  EXPECT_THAT(decoded.status().message(), HasSubstr("line 3"));
  // After a UTF-8 BOM the offset still counts from the start of the file.
  auto with_bom = DecodeToUtf8("\xEF\xBB\xBF" + bytes, "", "b.txt");
  ASSERT_FALSE(with_bom.ok());
  EXPECT_THAT(with_bom.status().message(), HasSubstr("offset 28"));
  EXPECT_THAT(with_bom.status().message(), HasSubstr("line 3"));
}

TEST(DecodeToUtf8, UndetectableInvalidUtf8IsAnErrorWithOffsetAndLine) {
  // Broken UTF-8 mixed with control bytes: no legacy encoding decodes it into plausible text.
  const std::string bytes = "first line\nsecond \xC3\x28 line\x01\x02\n";
  auto decoded = DecodeToUtf8(bytes, "", "c.txt");
  ASSERT_FALSE(decoded.ok()) << "decoded as " << decoded->encoding;
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(),
            "c.txt: not valid UTF-8 (first bad byte at offset 18, line 2) and the encoding could "
            "not be detected; pass --encoding NAME");

  std::mt19937 rng(7);
  std::string noise;
  for (int i = 0; i < 400; ++i) noise.push_back(static_cast<char>(rng()));
  auto noisy = DecodeToUtf8(noise, "", "noise.bin");
  EXPECT_FALSE(noisy.ok()) << "random bytes decoded as " << noisy->encoding;
}

TEST(DecodeToUtf8, InvalidBytesUnderDeclaredEncodingAreErrors) {
  {
    auto decoded = DecodeToUtf8("abc\n\x81\x20xyz", "Shift_JIS", "sjis.txt");
    ASSERT_FALSE(decoded.ok()) << decoded->utf8;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(), HasSubstr("sjis.txt"));
    EXPECT_THAT(decoded.status().message(), HasSubstr("Shift_JIS"));
    EXPECT_THAT(decoded.status().message(), HasSubstr("byte offset 4"));
    EXPECT_THAT(decoded.status().message(), HasSubstr("line 2"));
  }
  {
    auto decoded = DecodeToUtf8("ok\n\xFF", "UTF-8", "u.txt");
    ASSERT_FALSE(decoded.ok());
    EXPECT_THAT(decoded.status().message(), HasSubstr("offset 3"));
    EXPECT_THAT(decoded.status().message(), HasSubstr("line 2"));
  }
  {
    // Byte 0x80 is undefined in ASCII; ICU must not map it to U+FFFD.
    auto decoded = DecodeToUtf8("line\nline\nx\x80", "US-ASCII", "ascii.txt");
    ASSERT_FALSE(decoded.ok()) << decoded->utf8;
    EXPECT_THAT(decoded.status().message(), HasSubstr("byte offset 11"));
    EXPECT_THAT(decoded.status().message(), HasSubstr("line 3"));
  }
  {
    // An unpaired surrogate in UTF-16 (0xD800 followed by 'A').
    auto decoded = DecodeToUtf8(std::string("A\0\0\xD8" "A\0", 6), "UTF-16LE", "s.txt");
    ASSERT_FALSE(decoded.ok()) << decoded->utf8;
    EXPECT_THAT(decoded.status().message(), HasSubstr("byte offset 2"));
  }
  {
    // A truncated final code unit.
    auto decoded = DecodeToUtf8(std::string("A\0B", 3), "UTF-16LE", "t.txt");
    ASSERT_FALSE(decoded.ok()) << decoded->utf8;
    EXPECT_THAT(decoded.status().message(), HasSubstr("truncated"));
    EXPECT_THAT(decoded.status().message(), HasSubstr("byte offset 2"));
  }
}

TEST(DecodeToUtf8, LongInputsConvertAcrossBufferBoundaries) {
  // Long enough to cross the converter's internal buffers many times, with astral characters
  // (surrogate pairs in UTF-16) at every alignment.
  std::string text;
  for (int i = 0; i < 20000; ++i) text += (i % 3 == 0) ? "a😀" : (i % 3 == 1 ? "中" : "é\n");
  for (const char* encoding : {"UTF-16LE", "UTF-32BE", "GB18030"}) {
    SCOPED_TRACE(encoding);
    auto decoded = DecodeToUtf8(Encode(encoding, text), encoding, "long.txt");
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->utf8, text);
  }
  // An error far into the file still has the right line.
  std::string bytes = Encode("Shift_JIS", "日本語\n");
  std::string many;
  for (int i = 0; i < 5000; ++i) many += bytes;
  const size_t bad_offset = many.size();
  many += "\x81\x20";
  auto decoded = DecodeToUtf8(many, "Shift_JIS", "big.txt");
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("byte offset " + std::to_string(bad_offset)));
  EXPECT_THAT(decoded.status().message(), HasSubstr("line 5001"));
}

TEST(DecodeToUtf8, UnknownEncodingNameIsInvalidArgument) {
  for (const char* name : {"no-such-charset", "UTF-9", "latin-42"}) {
    auto decoded = DecodeToUtf8("abc", name, "docs/x.html");
    ASSERT_FALSE(decoded.ok()) << name;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(), HasSubstr(name));
    EXPECT_THAT(decoded.status().message(), HasSubstr("docs/x.html"));
  }
  // Aliases and case differences are fine.
  for (const char* name : {"utf8", "latin1", "cp1252", "sjis", "koi8-r"}) {
    auto decoded = DecodeToUtf8("abc", name, "x");
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status();
    EXPECT_EQ(decoded->utf8, "abc");
  }
}

// Oracle: ICU's U8_NEXT, which flags ill-formed sequences with a negative code point.
size_t IcuFirstInvalid(const std::string& s) {
  int32_t i = 0;
  const int32_t n = static_cast<int32_t>(s.size());
  while (i < n) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, n, c);
    if (c < 0) return static_cast<size_t>(start);
  }
  return s.size();
}

TEST(FirstInvalidUtf8Byte, AgreesWithIcuOnRandomBytes) {
  const std::vector<std::string> edge = {
      "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80",
      "\xF0\x9F\x98", "\xE2\x82", "\xF0\x9F\x98\x80", "\xEF\xBF\xBF", "\x80", "abc\xFE"};
  for (const std::string& s : edge) EXPECT_EQ(FirstInvalidUtf8Byte(s), IcuFirstInvalid(s)) << s;
  std::mt19937 rng(1);
  // Mostly valid text with an occasional random byte, at every alignment of the 8-byte scan.
  const std::string pieces[] = {"a", "é", "中", "😀", "\n", "abcdefgh"};
  for (int trial = 0; trial < 20000; ++trial) {
    std::string s;
    const int len = rng() % 24;
    for (int k = 0; k < len; ++k) {
      if (rng() % 10 == 0) {
        s.push_back(static_cast<char>(0x80 + rng() % 0x80));
      } else {
        s += pieces[rng() % 6];
      }
    }
    ASSERT_EQ(FirstInvalidUtf8Byte(s), IcuFirstInvalid(s)) << testing::PrintToString(s);
  }
}

TEST(ToNfc, ComposesAndLeavesNfcTextIdentical) {
  EXPECT_EQ(ToNfc("caf" "e\xCC\x81"), "caf\xC3\xA9");              // e + U+0301 -> é
  EXPECT_EQ(ToNfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "각");  // jamo U+1100 U+1161 U+11A8
  EXPECT_EQ(ToNfc("A\xCC\x8A"), "\xC3\x85");                         // A + ring -> Å
  EXPECT_EQ(ToNfc("\xE2\x84\xAB"), "\xC3\x85");                      // U+212B ANGSTROM SIGN -> Å
  for (const Sample& sample : Samples()) {
    const std::string text = sample.text;
    EXPECT_EQ(ToNfc(text), text);
  }
  const std::string nfc = "plain ASCII\n, é, 각, हिन्दी, ไทย, العربية, 😀";
  EXPECT_EQ(ToNfc(nfc), nfc);
  EXPECT_EQ(ToNfc(""), "");
  // Idempotent, and normalising inside longer text keeps the rest intact.
  const std::string mixed = "x" "e\xCC\x81" "y\n" + nfc + "\xE1\x84\x80\xE1\x85\xA1" "z";
  const std::string once = ToNfc(mixed);
  EXPECT_EQ(once, "x\xC3\xA9y\n" + nfc + "가z");
  EXPECT_EQ(ToNfc(once), once);
}

}  // namespace
}  // namespace lateral::ingest
