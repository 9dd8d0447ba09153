// The byte formats: keys sort numerically, records round-trip, and no
// truncated or garbled value is ever read out of bounds (run under
// -DLATERAL_SANITIZE=ON to have ASan check the last point).
#include "storage/record_codec.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/bit_coding.h"
#include "storage/coding.h"
#include "storage/key_format.h"
#include "storage/posting_segment.h"

namespace lateral::storage {
namespace {

TEST(KeyFormatTest, BigEndianKeysSortNumerically) {
  const std::vector<uint32_t> ids = {0, 1, 255, 256, 65535, 65536, 1u << 24, UINT32_MAX - 1, UINT32_MAX};
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    EXPECT_LT(DocIdKey(ids[i]), DocIdKey(ids[i + 1]));
    EXPECT_LT(SegmentKey(ids[i], kMaxBlock), SegmentKey(ids[i + 1], 0));
    EXPECT_LE(SegmentKey(7, BlockOf(ids[i])), SegmentKey(7, BlockOf(ids[i + 1])));
    EXPECT_EQ(*ParseDocIdKey(DocIdKey(ids[i])), ids[i]);
    EXPECT_EQ(DocIdOf(BlockOf(ids[i]), LowBitsOf(ids[i])), ids[i]);
  }
  for (uint32_t block : {0u, 1u, 255u, 256u, kMaxBlock - 1}) EXPECT_LT(SegmentKey(7, block), SegmentKey(7, block + 1));
  EXPECT_EQ(BlockOf(65535), 0u);
  EXPECT_EQ(BlockOf(65536), 1u);
  EXPECT_EQ(LowBitsOf(65536), 0u);
  EXPECT_EQ(BlockOf(UINT32_MAX - 1), kMaxBlock);
  auto parts = ParseSegmentKey(SegmentKey(123456, 789));
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->centroid, 123456u);
  EXPECT_EQ(parts->block, 789u);
  EXPECT_TRUE(absl::StartsWith(SegmentKey(5, 9), PostingPrefix(5)));
  EXPECT_FALSE(ParseDocIdKey("abc").has_value());
  EXPECT_FALSE(ParseSegmentKey("abcdefg").has_value());
  EXPECT_FALSE(ParseSegmentKey(SegmentKey(1, kMaxBlock + 1)).has_value());
  EXPECT_EQ(DescribeSegmentKey(SegmentKey(7, 1)), "postings[centroid 7, block 1]");
}

TEST(CodingTest, VarintsRoundTripAndRejectOverlongInput) {
  std::string buffer;
  const std::vector<uint64_t> values = {0, 1, 127, 128, 300, UINT32_MAX, uint64_t{1} << 40, UINT64_MAX};
  for (uint64_t v : values) PutVarint64(&buffer, v);
  ByteReader reader(buffer);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(reader.ReadVarint64(&got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(reader.empty());
  // Eleven continuation bytes: not a varint.
  const std::string eleven(11, '\xff');
  ByteReader overlong(eleven);
  uint64_t v;
  EXPECT_FALSE(overlong.ReadVarint64(&v));
  // A varint64 above 2^32 is not a varint32.
  std::string big;
  PutVarint64(&big, uint64_t{1} << 33);
  uint32_t v32;
  EXPECT_FALSE(ByteReader(big).ReadVarint32(&v32));
}

DocumentRecord SampleRecord() {
  DocumentRecord r;
  r.external_id = "doc/ü/1";
  r.text = std::string("multi\0lingual ", 14) + "текст 文本";
  r.metadata["lang"] = std::string("ru");
  r.metadata["score"] = -1.25;
  r.metadata[""] = std::string();
  return r;
}

TEST(RecordCodecTest, EveryRecordRoundTrips) {
  Manifest m{1, "lfm2-colbert:abc", 128, 2};
  auto m2 = DecodeManifest(EncodeManifest(m), "m");
  ASSERT_TRUE(m2.ok()) << m2.status();
  EXPECT_EQ(m2->encoder_identity, m.encoder_identity);
  EXPECT_EQ(m2->format_version, 1);
  EXPECT_EQ(m2->dim, 128);
  EXPECT_EQ(m2->nbits, 2);

  DocumentRecord r = SampleRecord();
  auto r2 = DecodeDocument(EncodeDocument(r), "d");
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r2->external_id, r.external_id);
  EXPECT_EQ(r2->text, r.text);
  EXPECT_EQ(r2->metadata, r.metadata);

  DocumentCodes c{{0, 7, 7, UINT32_MAX}, std::string("abcdefghijklmnop")};
  auto c2 = DecodeCodes(EncodeCodes(c), 4, "c");
  ASSERT_TRUE(c2.ok()) << c2.status();
  EXPECT_EQ(c2->centroid_ids, c.centroid_ids);
  EXPECT_EQ(c2->residual_codes, c.residual_codes);
  // The same bytes read with another code size are corrupt.
  EXPECT_EQ(DecodeCodes(EncodeCodes(c), 2, "c").status().code(), absl::StatusCode::kDataLoss);

  CodecHeader h;
  h.dim = 16;
  h.nbits = 4;
  h.num_centroids = 10;
  h.rows_per_chunk = 4;
  h.bucket_cutoffs = {0.5f, -0.0f};
  h.bucket_weights = {1, 2, 3};
  auto h2 = DecodeCodecHeader(EncodeCodecHeader(h), "h");
  ASSERT_TRUE(h2.ok()) << h2.status();
  EXPECT_EQ(h2->num_chunks(), 3u);
  EXPECT_EQ(h2->rows_in_chunk(2), 2u);
  EXPECT_EQ(h2->bucket_cutoffs, h.bucket_cutoffs);
  EXPECT_EQ(h2->bucket_weights, h.bucket_weights);

  auto n = DecodeCounter(EncodeCounter(uint64_t{1} << 40), "n");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, uint64_t{1} << 40);
}

TEST(RecordCodecTest, NewerManifestIsFailedPrecondition) {
  std::string value = EncodeManifest(Manifest{1, "x", 8, 1});
  value[4] = static_cast<char>(kRecordVersion + 1);
  EXPECT_EQ(DecodeManifest(value, "m").status().code(), absl::StatusCode::kFailedPrecondition);
  value = EncodeManifest(Manifest{1, "x", 8, 1});
  value[0] = 'X';
  EXPECT_EQ(DecodeManifest(value, "m").status().code(), absl::StatusCode::kDataLoss);
}

// Every decoder on every strict prefix, every one-byte extension and random
// byte flips: an error naming the key or a value, never a crash.
TEST(RecordCodecTest, TruncatedAndGarbledValuesAreDataLoss) {
  const std::vector<std::pair<std::string, std::function<absl::Status(absl::string_view)>>> cases = {
      {EncodeManifest(Manifest{1, "identity", 128, 2}),
       [](absl::string_view v) { return DecodeManifest(v, "manifest[key]").status(); }},
      {EncodeDocument(SampleRecord()),
       [](absl::string_view v) { return DecodeDocument(v, "documents[doc 3]").status(); }},
      {EncodeCodes(DocumentCodes{{1, 2, 3}, std::string(12, 'x')}),
       [](absl::string_view v) { return DecodeCodes(v, 4, "codes[doc 3]").status(); }},
      {EncodeCodes(DocumentCodes{{900, 2, 65535, 2, 70000, 2, 5}, std::string(7, 'y')}),
       [](absl::string_view v) { return DecodeCodes(v, 1, "codes[doc 4]").status(); }},
      {EncodeSegment(std::vector<uint16_t>{0, 3, 4, 900, 65535}),
       [](absl::string_view v) { return DecodeSegment(v, "postings[centroid 1, block 0]").status(); }},
      {EncodeEdit(SegmentEdit{{1, 2, 60000}, {7, 8, 9, 1000}}),
       [](absl::string_view v) { return DecodeEdit(v, "postings[centroid 1, block 0]").status(); }},
      {EncodeCodecHeader(CodecHeader{16, 2, 5, 2, {1, 2, 3}, {1, 2, 3, 4}}),
       [](absl::string_view v) { return DecodeCodecHeader(v, "codec[header]").status(); }},
      {EncodeCounter(5), [](absl::string_view v) { return DecodeCounter(v, "counters[n]").status(); }},
  };
  std::mt19937 rng(42);
  for (const auto& [valid, decode] : cases) {
    ASSERT_TRUE(decode(valid).ok()) << decode(valid);
    for (size_t n = 0; n < valid.size(); ++n) {
      // Copy into an exactly sized buffer so ASan sees any overread.
      const std::string prefix = valid.substr(0, n);
      absl::Status s = decode(prefix);
      EXPECT_FALSE(s.ok()) << "prefix of " << n << " bytes accepted";
      EXPECT_TRUE(absl::StrContains(s.message(), "[")) << s;  // names the key
    }
    EXPECT_FALSE(decode(valid + "z").ok());
    for (int trial = 0; trial < 300; ++trial) {
      std::string garbled = valid;
      const int flips = 1 + rng() % 3;
      for (int f = 0; f < flips; ++f) garbled[rng() % garbled.size()] ^= static_cast<char>(1 + rng() % 255);
      decode(garbled).IgnoreError();  // may parse (e.g. a changed text byte); must not crash
    }
  }
}

TEST(RecordCodecTest, HugeCountsDoNotAllocate) {
  // A codes record claiming 2^32-1 tokens in a few bytes.
  std::string value(1, static_cast<char>(kCodesRecordVersion));
  PutVarint32(&value, UINT32_MAX);
  PutVarint32(&value, UINT32_MAX);
  value += std::string("\x03\x00", 2) + std::string(64, '\0');
  auto codes = DecodeCodes(value, 32, "codes[doc 9]");
  EXPECT_EQ(codes.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(codes.status().message(), "codes[doc 9]")) << codes.status();
  // Residual codes that fit, but more distinct centroids than bits.
  value = std::string(1, static_cast<char>(kCodesRecordVersion));
  PutVarint32(&value, 1000);
  PutVarint32(&value, 1000);
  value += std::string("\x00\x00", 2) + std::string(1000, 'r');
  codes = DecodeCodes(value, 1, "codes[doc 9]");
  EXPECT_EQ(codes.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(codes.status().message(), "do not fit")) << codes.status();
  // A segment claiming 65536 ids in three bytes.
  std::string segment(1, static_cast<char>(kSegmentKind));
  PutVarint32(&segment, 65536);
  segment.push_back(0);
  EXPECT_EQ(DecodeSegment(segment, "postings[centroid 1, block 0]").status().code(),
            absl::StatusCode::kDataLoss);
  std::string header(1, static_cast<char>(kRecordVersion));
  for (uint32_t v : {16u, 2u, 4u, 4u, UINT32_MAX}) PutVarint32(&header, v);
  EXPECT_EQ(DecodeCodecHeader(header, "codec[header]").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace lateral::storage
