// The compact encodings of store format 2: Rice-coded bit streams, codes
// grouped by centroid, and posting segments. Round trips against simple
// models, sizes, and hand-built malformed values (each must be DataLoss
// naming the key, never a crash or an over-read).
#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/bit_coding.h"
#include "storage/coding.h"
#include "storage/posting_segment.h"
#include "storage/record_codec.h"

namespace lateral::storage {
namespace {

// ---------------------------------------------------------------------------
// Bit streams and Rice codes

TEST(BitCodingTest, RiceRoundTripsAndChoosesTheCheapestParameter) {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = rng() % 200;
    const int scale = rng() % 33;  // values up to 2^scale
    std::vector<uint32_t> values(n);
    for (uint32_t& v : values) {
      const uint64_t bound = uint64_t{1} << scale;
      v = static_cast<uint32_t>(std::min<uint64_t>(rng() % bound, UINT32_MAX));
    }
    const int k = ChooseRiceParameter(values);
    for (int other = 0; other <= kMaxRiceParameter; ++other) {
      EXPECT_LE(RiceBits(values, k), RiceBits(values, other)) << "k " << k << " vs " << other;
    }
    std::string bytes;
    BitWriter writer(&bytes);
    for (uint32_t v : values) writer.WriteRice(v, k);
    writer.Finish();
    EXPECT_EQ(bytes.size(), (RiceBits(values, k) + 7) / 8);
    BitReader reader(bytes);
    for (uint32_t v : values) {
      uint32_t got;
      ASSERT_TRUE(reader.ReadRice(k, &got));
      EXPECT_EQ(got, v);
    }
    EXPECT_TRUE(reader.PaddingIsZero());
    EXPECT_EQ(reader.bytes_used(), bytes.size());
  }
}

TEST(BitCodingTest, ReaderStopsAtTheEndAndAtOverlongQuotients) {
  uint32_t v;
  EXPECT_FALSE(BitReader("").ReadRice(0, &v));
  EXPECT_FALSE(BitReader(std::string(1, '\0')).ReadRice(0, &v));  // eight zeros, no stop bit
  BitReader bits("\x01");
  EXPECT_TRUE(bits.ReadBits(3, &v));
  EXPECT_EQ(v, 1u);
  EXPECT_FALSE(bits.ReadBits(6, &v));  // 5 bits left
  EXPECT_TRUE(bits.ReadBits(5, &v));
  // With k = 31 the quotient is at most 1: two zeros before the stop bit
  // would be a value above UINT32_MAX.
  const std::string two_zeros("\x04\xff\xff\xff\xff", 5);  // BitReader keeps a view: the bytes must outlive it
  BitReader overflow(two_zeros);
  EXPECT_FALSE(overflow.ReadRice(31, &v));
  // A long unary run is read a byte at a time, and ends at the input's end.
  std::string zeros(1 << 20, '\0');
  EXPECT_FALSE(BitReader(zeros).ReadRice(0, &v));
  zeros.push_back('\x01');
  ASSERT_TRUE(BitReader(zeros).ReadRice(0, &v));
  EXPECT_EQ(v, uint32_t{8} << 20);
}

// ---------------------------------------------------------------------------
// DocumentCodes

DocumentCodes RandomCodes(std::mt19937& rng, uint64_t num_centroids, int n_tokens, size_t code_bytes) {
  DocumentCodes codes;
  for (int t = 0; t < n_tokens; ++t) {
    codes.centroid_ids.push_back(static_cast<uint32_t>((uint64_t{rng()} << 16 ^ rng()) % num_centroids));
  }
  for (size_t b = 0; b < n_tokens * code_bytes; ++b) codes.residual_codes.push_back(static_cast<char>(rng()));
  return codes;
}

// The expected stored order, computed independently of record_codec.cc:
// sorting (centroid, original position) pairs is a stable sort by centroid.
DocumentCodes ExpectedGrouping(const DocumentCodes& codes, size_t code_bytes) {
  std::vector<std::pair<uint32_t, size_t>> tokens;
  for (size_t t = 0; t < codes.centroid_ids.size(); ++t) tokens.emplace_back(codes.centroid_ids[t], t);
  std::sort(tokens.begin(), tokens.end());
  DocumentCodes expected;
  for (const auto& [centroid, t] : tokens) {
    expected.centroid_ids.push_back(centroid);
    expected.residual_codes += codes.residual_codes.substr(t * code_bytes, code_bytes);
  }
  return expected;
}

TEST(CodesFormatTest, TokensComeBackGroupedByCentroidWithTheirResiduals) {
  std::mt19937 rng(2);
  const std::vector<uint64_t> ks = {1, 2, 7, 1000, 65536, uint64_t{1} << 32};
  for (int trial = 0; trial < 400; ++trial) {
    const uint64_t k = ks[trial % ks.size()];
    const int n_tokens = trial % 50 == 0 ? 1 : 1 + rng() % 300;
    const size_t code_bytes = 1 + rng() % 40;
    const DocumentCodes codes = RandomCodes(rng, k, n_tokens, code_bytes);
    const std::string value = EncodeCodes(codes);
    auto decoded = DecodeCodes(value, code_bytes, "codes[doc 1]");
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    const DocumentCodes expected = ExpectedGrouping(codes, code_bytes);
    EXPECT_EQ(decoded->centroid_ids, expected.centroid_ids);
    EXPECT_EQ(decoded->residual_codes, expected.residual_codes);
    const DocumentCodes grouped = GroupByCentroid(codes);
    EXPECT_EQ(grouped.centroid_ids, expected.centroid_ids);
    EXPECT_EQ(grouped.residual_codes, expected.residual_codes);
    // The encoding is canonical: any order of the same tokens, the same bytes.
    EXPECT_EQ(EncodeCodes(*decoded), value);
  }
  // Hand-checked: tokens (9, r0) (2, r1) (9, r2) (2, r3) (5, r4).
  const DocumentCodes codes{{9, 2, 9, 2, 5}, "a0b1c2d3e4"};
  auto decoded = DecodeCodes(EncodeCodes(codes), 2, "codes[doc 1]");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->centroid_ids, (std::vector<uint32_t>{2, 2, 5, 9, 9}));
  EXPECT_EQ(decoded->residual_codes, "b1d3e4a0c2");
  // A document without tokens round-trips too (Upsert refuses it earlier).
  auto empty = DecodeCodes(EncodeCodes(DocumentCodes()), 32, "codes[doc 1]");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->centroid_ids.empty());
}

// The size budget of format 2: a 64-token document using ~45 of 65536
// centroids costs at most 1.6 bytes per token beyond its residual codes
// (1.5 on average), against 4 bytes per token in format 1.
TEST(CodesFormatTest, SixtyFourTokensAtK65536FitTheBudget) {
  std::mt19937 rng(3);
  constexpr int kTokens = 64, kDistinct = 45, kCodeBytes = 32;
  size_t total = 0;
  constexpr int kDocs = 500;
  for (int doc = 0; doc < kDocs; ++doc) {
    std::set<uint32_t> distinct;
    while (distinct.size() < kDistinct) distinct.insert(rng() % 65536);
    std::vector<uint32_t> ids(distinct.begin(), distinct.end());
    while (ids.size() < kTokens) ids.push_back(ids[rng() % kDistinct]);
    std::shuffle(ids.begin(), ids.end(), rng);
    DocumentCodes codes{ids, std::string(kTokens * kCodeBytes, 'r')};
    const size_t size = EncodeCodes(codes).size();
    EXPECT_LE(size, kCodeBytes * kTokens + 1.6 * kTokens) << "doc " << doc;
    total += size;
  }
  const double overhead_per_token = (static_cast<double>(total) / kDocs - kCodeBytes * kTokens) / kTokens;
  EXPECT_LE(overhead_per_token, 1.5);
  RecordProperty("id_bytes_per_token_x1000", static_cast<int>(overhead_per_token * 1000));
}

// Builds a codes value from its parts, valid or not.
struct RawCodes {
  uint8_t version = kCodesRecordVersion;
  uint32_t n_tokens = 3;
  uint32_t n_distinct = 2;
  uint8_t id_k = 0;
  uint8_t count_k = 0;
  std::vector<uint32_t> id_values = {5, 3};  // centroids 5 and 9
  std::vector<uint32_t> count_values = {1, 0};
  size_t residual_bytes = 6;  // 3 tokens x 2 bytes
  bool set_padding_bit = false;

  std::string Encode() const {
    std::string out(1, static_cast<char>(version));
    PutVarint32(&out, n_tokens);
    PutVarint32(&out, n_distinct);
    out.push_back(static_cast<char>(id_k));
    out.push_back(static_cast<char>(count_k));
    const size_t bits_start = out.size();
    BitWriter bits(&out);
    for (uint32_t v : id_values) bits.WriteRice(v, id_k);
    for (uint32_t v : count_values) bits.WriteRice(v, count_k);
    bits.Finish();
    if (set_padding_bit) {
      EXPECT_GT(out.size(), bits_start);
      out.back() = static_cast<char>(out.back() | 0x80);
    }
    out += std::string(residual_bytes, 'r');
    return out;
  }
};

TEST(CodesFormatTest, MalformedValuesAreDataLossNamingTheKey) {
  auto decode = [](const std::string& value) { return DecodeCodes(value, 2, "/s: codes[doc 5]"); };
  {
    auto valid = decode(RawCodes().Encode());
    ASSERT_TRUE(valid.ok()) << valid.status();
    EXPECT_EQ(valid->centroid_ids, (std::vector<uint32_t>{5, 5, 9}));
  }
  struct Case {
    std::string name;
    std::string value;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({"trailing byte", RawCodes().Encode() + "z", "stray bytes before the residual codes"});
  {
    RawCodes c;
    c.id_k = 2;  // ids 5, 9, 11 in 4 + 3 + 3 bits, counts 2, 1, 1 in 4: two bits of padding
    c.count_values = {1, 0, 0};
    c.n_distinct = 3;
    c.id_values = {5, 3, 1};
    c.n_tokens = 4;
    c.residual_bytes = 8;
    EXPECT_TRUE(decode(c.Encode()).ok()) << decode(c.Encode()).status();
    c.set_padding_bit = true;
    cases.push_back({"nonzero padding", c.Encode(), "nonzero padding bits"});
  }
  {
    RawCodes c;
    c.count_values = {5, 0};  // 6 + 1 tokens of 3
    cases.push_back({"over-long count", c.Encode(), "claims 6 tokens; only 3 of 3 are left"});
  }
  {
    RawCodes c;
    c.count_values = {0, 0};  // 2 tokens of 3
    cases.push_back({"short counts", c.Encode(), "token counts add up to 2, not 3"});
  }
  {
    RawCodes c;
    c.n_tokens = 1;
    c.residual_bytes = 2;
    cases.push_back({"more centroids than tokens", c.Encode(), "2 distinct centroids for 1 tokens"});
  }
  {
    RawCodes c;
    c.n_distinct = 0;
    c.id_values.clear();
    c.count_values.clear();
    cases.push_back({"tokens without centroids", c.Encode(), "0 distinct centroids for 3 tokens"});
  }
  {
    RawCodes c;
    c.id_k = 32;
    c.id_values.clear();
    c.count_values.clear();
    cases.push_back({"Rice parameter", c.Encode() + std::string(16, '\0'), "exceed 31"});
  }
  {
    RawCodes c;
    c.id_k = 31;
    c.id_values = {UINT32_MAX, 0};  // the second centroid would be 2^32
    cases.push_back({"id overflow", c.Encode(), "exceeds 32 bits"});
  }
  {
    RawCodes c;
    c.residual_bytes = 5;
    cases.push_back({"short residuals", c.Encode(), "truncated centroid id"});  // the bits lose a byte
  }
  {
    RawCodes c;
    c.version = 1;  // a format-1 record
    cases.push_back({"format 1 record", c.Encode(), "unknown record version 1, expected 2"});
  }
  {
    RawCodes c;
    c.n_tokens = 3000;
    cases.push_back({"residuals missing", c.Encode(), "bytes left for the residual codes of 3000 tokens"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto decoded = decode(c.value);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << decoded.status();
    EXPECT_TRUE(absl::StrContains(decoded.status().message(), "/s: codes[doc 5]: corrupt value"))
        << decoded.status();
    EXPECT_TRUE(absl::StrContains(decoded.status().message(), c.message)) << decoded.status();
  }
}

// ---------------------------------------------------------------------------
// Posting segments and edits

std::vector<uint16_t> RandomIds(std::mt19937& rng, int max_n) {
  std::set<uint16_t> ids;
  const int n = rng() % (max_n + 1);
  const int spread = 1 + rng() % 65536;  // dense or sparse
  for (int i = 0; i < n; ++i) ids.insert(static_cast<uint16_t>(rng() % spread));
  return std::vector<uint16_t>(ids.begin(), ids.end());
}

TEST(SegmentFormatTest, SegmentsAndEditsRoundTrip) {
  std::mt19937 rng(4);
  for (int trial = 0; trial < 300; ++trial) {
    const std::vector<uint16_t> ids = RandomIds(rng, 3000);
    auto decoded = DecodeSegment(EncodeSegment(ids), "postings[centroid 1, block 0]");
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, ids);
    const SegmentEdit edit{RandomIds(rng, 50), RandomIds(rng, 50)};
    auto edit2 = DecodeEdit(EncodeEdit(edit), "postings[centroid 1, block 0]");
    ASSERT_TRUE(edit2.ok()) << edit2.status();
    EXPECT_EQ(edit2->removed, edit.removed);
    EXPECT_EQ(edit2->added, edit.added);
  }
  // Every id of a block: one bit each.
  std::vector<uint16_t> all(kSegmentIdSpace);
  std::iota(all.begin(), all.end(), 0);
  const std::string full = EncodeSegment(all);
  EXPECT_LE(full.size(), 8200u);
  EXPECT_EQ(*DecodeSegment(full, "k"), all);
  EXPECT_TRUE(IsEmptySegment(EncodeSegment({})));
  EXPECT_FALSE(IsEmptySegment(EncodeSegment(std::vector<uint16_t>{0})));
  EXPECT_TRUE(DecodeSegment(EncodeSegment({}), "k")->empty());
}

// ~45 postings per (centroid, block), as at 1M documents and K = 65536:
// about 1.5 bytes per posting.
TEST(SegmentFormatTest, SparseSegmentsCostAboutTwelveBitsPerId) {
  std::mt19937 rng(5);
  size_t bytes = 0, ids = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::set<uint16_t> set;
    while (set.size() < 45) set.insert(static_cast<uint16_t>(rng()));
    const std::vector<uint16_t> segment(set.begin(), set.end());
    bytes += EncodeSegment(segment).size();
    ids += segment.size();
  }
  EXPECT_LE(static_cast<double>(bytes) / ids, 1.6);
}

std::string RawIdList(uint32_t n, uint8_t k, const std::vector<uint32_t>& values, bool padding_bit = false) {
  std::string out;
  PutVarint32(&out, n);
  out.push_back(static_cast<char>(k));
  BitWriter bits(&out);
  for (uint32_t v : values) bits.WriteRice(v, k);
  bits.Finish();
  if (padding_bit) out.back() = static_cast<char>(out.back() | 0x80);
  return out;
}

TEST(SegmentFormatTest, MalformedSegmentsAreDataLossNamingTheKey) {
  const std::string kind(1, static_cast<char>(kSegmentKind));
  struct Case {
    std::string name;
    std::string value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty", "", "empty value"},
      {"unknown kind", std::string("\x07\x00", 2), "segment kind 7"},
      {"an edit", EncodeEdit(SegmentEdit{{1}, {2}}), "segment kind 2"},
      {"trailing byte", EncodeSegment(std::vector<uint16_t>{1, 2}) + "z", "1 trailing bytes"},
      {"truncated", EncodeSegment(std::vector<uint16_t>{1, 200, 3000}).substr(0, 5), "id list"},
      {"count over a block", kind + RawIdList(65537, 0, {}), "id list count 65537 exceeds 65536"},
      {"count over the value", kind + RawIdList(200, 0, {0, 0}), "exceeds what the value holds"},
      {"Rice parameter", kind + RawIdList(1, 17, {5}), "Rice parameter 17 exceeds 16"},
      {"id past 16 bits", kind + RawIdList(2, 4, {65535, 0}), "beyond a 16-bit block"},
      {"nonzero padding", kind + RawIdList(1, 0, {0}, true), "nonzero padding bits"},
      {"failed merge", EncodeFailedMerge("update 2 of 3: corrupt value (x)"),
       "merging its updates failed: update 2 of 3: corrupt value (x)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto decoded = DecodeSegment(c.value, "/s: postings[centroid 3, block 1]");
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << decoded.status();
    EXPECT_TRUE(absl::StrContains(decoded.status().message(), "/s: postings[centroid 3, block 1]: corrupt value"))
        << decoded.status();
    EXPECT_TRUE(absl::StrContains(decoded.status().message(), c.message)) << decoded.status();
  }
  // Edits: both lists are checked, and nothing may follow them.
  const std::string edit_kind(1, static_cast<char>(kEditKind));
  EXPECT_TRUE(DecodeEdit(edit_kind + std::string(2, '\0'), "k").ok());
  for (const std::string& bad : {edit_kind + std::string(1, '\0'), edit_kind + std::string(3, '\0'),
                                 edit_kind + std::string(1, '\0') + RawIdList(1, 17, {5}),
                                 EncodeSegment(std::vector<uint16_t>{1})}) {
    auto decoded = DecodeEdit(bad, "postings[centroid 3, block 1]");
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << decoded.status();
  }
}

std::set<uint16_t> Apply(std::set<uint16_t> set, const SegmentEdit& edit) {
  for (uint16_t id : edit.removed) set.erase(id);
  set.insert(edit.added.begin(), edit.added.end());
  return set;
}

TEST(SegmentFormatTest, ApplyAndCombineMatchASetModel) {
  std::mt19937 rng(6);
  for (int trial = 0; trial < 500; ++trial) {
    // A small id range, so removes and adds overlap often.
    auto ids = [&](int n) {
      std::set<uint16_t> s;
      for (int i = 0; i < n; ++i) s.insert(static_cast<uint16_t>(rng() % 40));
      return std::vector<uint16_t>(s.begin(), s.end());
    };
    const std::vector<uint16_t> base = ids(rng() % 30);
    const SegmentEdit first{ids(rng() % 10), ids(rng() % 10)};
    const SegmentEdit second{ids(rng() % 10), ids(rng() % 10)};
    const std::set<uint16_t> model = Apply(Apply(std::set<uint16_t>(base.begin(), base.end()), first), second);
    std::vector<uint16_t> once, twice;
    ApplyEdit(base, first, &once);
    ApplyEdit(once, second, &twice);
    EXPECT_EQ(twice, std::vector<uint16_t>(model.begin(), model.end()));
    std::vector<uint16_t> combined;
    ApplyEdit(base, CombineEdits(first, second), &combined);
    EXPECT_EQ(combined, twice);
  }
}

}  // namespace
}  // namespace lateral::storage
