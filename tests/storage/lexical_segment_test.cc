// The lexical_postings values (storage/lexical_segment.h): round trips,
// malformed input, and edits against a std::map model, alone and combined.
#include "storage/lexical_segment.h"

#include "storage/record_codec.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lateral::storage {
namespace {

using ::testing::HasSubstr;

constexpr char kWhat[] = "/s: lexical_postings[term \"x\", block 0]";

using Model = std::map<uint16_t, std::pair<uint32_t, uint32_t>>;  // id -> (tf, length)

std::vector<LexicalEntry> FromModel(const Model& m) {
  std::vector<LexicalEntry> out;
  for (const auto& [id, v] : m) out.push_back({id, v.first, v.second});
  return out;
}

std::vector<LexicalEntry> RandomEntries(std::mt19937& rng, int n, uint32_t max_id = 65535) {
  Model m;
  while (static_cast<int>(m.size()) < n) {
    const uint32_t tf = 1 + rng() % (rng() % 4 == 0 ? 100000 : 5);
    m[static_cast<uint16_t>(rng() % (max_id + 1))] = {tf, tf + rng() % (rng() % 4 == 0 ? 1u << 30 : 500u)};
  }
  return FromModel(m);
}

TEST(LexicalSegmentTest, SegmentsAndEditsRoundTrip) {
  std::mt19937 rng(7);
  for (int n : {0, 1, 2, 100, 5000}) {
    const std::vector<LexicalEntry> entries = RandomEntries(rng, n);
    const std::string bytes = EncodeLexicalSegment(entries);
    auto decoded = DecodeLexicalSegment(bytes, kWhat);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, entries);
    std::vector<LexicalPosting> postings = {{1, 1, 1}};  // appended after what is there
    ASSERT_TRUE(DecodeLexicalSegmentInto(bytes, 3, kWhat, &postings).ok());
    ASSERT_EQ(postings.size(), entries.size() + 1);
    for (size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ(postings[i + 1].doc_id, (3u << 16) | entries[i].id);
      EXPECT_EQ(postings[i + 1].term_frequency, entries[i].term_frequency);
      EXPECT_EQ(postings[i + 1].doc_length, entries[i].doc_length);
    }
    LexicalEdit edit;
    edit.added = entries;
    for (const LexicalEntry& e : RandomEntries(rng, n / 2)) edit.removed.push_back(e.id);
    auto edit_back = DecodeLexicalEdit(EncodeLexicalEdit(edit), kWhat);
    ASSERT_TRUE(edit_back.ok()) << edit_back.status();
    EXPECT_EQ(edit_back->removed, edit.removed);
    EXPECT_EQ(edit_back->added, edit.added);
  }
  // Extremes: ids 0 and 65535, frequencies and lengths up to 2^32 - 1.
  const std::vector<LexicalEntry> extremes = {{0, 1, 1}, {65535, UINT32_MAX, UINT32_MAX}};
  EXPECT_EQ(DecodeLexicalSegment(EncodeLexicalSegment(extremes), kWhat).value(), extremes);
  EXPECT_TRUE(IsEmptyLexicalSegment(EncodeLexicalSegment({})));
  EXPECT_FALSE(IsEmptyLexicalSegment(EncodeLexicalSegment(extremes)));
}

TEST(LexicalSegmentTest, PostingsTakeAboutFourBytes) {
  // Dense ids, small frequencies, lengths of a few hundred terms: what a
  // frequent term of a real collection looks like.
  std::vector<LexicalEntry> entries;
  std::mt19937 rng(1);
  for (uint32_t id = 0; id < 65536; id += 1 + rng() % 3) {
    entries.push_back({static_cast<uint16_t>(id), static_cast<uint32_t>(1 + rng() % 3),
                       static_cast<uint32_t>(50 + rng() % 300)});
  }
  const std::string bytes = EncodeLexicalSegment(entries);
  EXPECT_LE(bytes.size(), entries.size() * 4 + 8);
}

TEST(LexicalSegmentTest, MalformedValuesAreDataLossNamingTheKey) {
  const std::vector<LexicalEntry> entries = {{3, 2, 9}, {70, 1, 300}, {71, 5, 5}};
  const std::string good = EncodeLexicalSegment(entries);
  std::vector<std::string> bad;
  for (size_t n = 0; n < good.size(); ++n) bad.push_back(good.substr(0, n));  // truncations
  bad.push_back(good + "x");                                                  // trailing byte
  bad.push_back(std::string("\x01\x01\x00\x00\x05", 5));                      // tf 0
  bad.push_back(std::string("\x01\x01\x00\x05\x04", 5));                      // length < tf
  bad.push_back(std::string("\x01\x02\x00\x01\x01\xff\xff\x03\x01\x01", 10));  // id 65536
  bad.push_back(std::string("\x01\x81\x80\x04", 4));                          // 65537 entries
  bad.push_back(std::string("\x01\xff\xff\xff\xff\x0f", 6));                  // huge count, no bytes
  bad.push_back(std::string("\x01\x01\x00\x01\xff\xff\xff\xff\x7f", 9));      // varint past 32 bits
  bad.push_back(EncodeLexicalEdit(LexicalEdit{{1}, {}}));                     // an edit, not a segment
  bad.push_back(std::string("\x07\x00", 2));                                  // unknown kind
  for (const std::string& value : bad) {
    auto decoded = DecodeLexicalSegment(value, kWhat);
    ASSERT_FALSE(decoded.ok()) << "accepted " << testing::PrintToString(value);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(kWhat));
    std::vector<LexicalPosting> postings;
    EXPECT_EQ(DecodeLexicalSegmentInto(value, 0, kWhat, &postings).code(), absl::StatusCode::kDataLoss);
  }
  auto failed = DecodeLexicalSegment(EncodeLexicalFailedMerge("update 2 of 3: boom"), kWhat);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("merging its updates failed: update 2 of 3: boom"));
  // Edits: truncations and a segment given as an edit.
  const std::string edit = EncodeLexicalEdit(LexicalEdit{{1, 9}, entries});
  for (size_t n = 0; n < edit.size(); ++n) {
    EXPECT_EQ(DecodeLexicalEdit(edit.substr(0, n), kWhat).status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(DecodeLexicalEdit(good, kWhat).status().code(), absl::StatusCode::kDataLoss);
  // Random garbling never crashes: each result is DataLoss or a value that
  // re-encodes to itself.
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string value = i % 2 ? good : edit;
    for (int k = 0; k < 1 + i % 3; ++k) value[rng() % value.size()] = static_cast<char>(rng());
    auto s = DecodeLexicalSegment(value, kWhat);
    if (s.ok()) {
      EXPECT_EQ(DecodeLexicalSegment(EncodeLexicalSegment(*s), kWhat).value(), *s);
    }
    auto e = DecodeLexicalEdit(value, kWhat);
    if (e.ok()) {
      auto again = DecodeLexicalEdit(EncodeLexicalEdit(*e), kWhat);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->added, e->added);
      EXPECT_EQ(again->removed, e->removed);
    }
  }
}

// Random edits applied one by one, combined, and applied to a model agree.
TEST(LexicalSegmentTest, EditsAgreeWithAModel) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    const uint32_t max_id = round % 2 ? 40 : 65535;  // small id spaces make collisions likely
    std::vector<LexicalEntry> base = RandomEntries(rng, rng() % 30, max_id);
    Model model;
    for (const LexicalEntry& e : base) model[e.id] = {e.term_frequency, e.doc_length};
    std::vector<LexicalEdit> edits(1 + rng() % 5);
    std::vector<LexicalEntry> one_by_one = base;
    for (LexicalEdit& edit : edits) {
      for (const LexicalEntry& e : RandomEntries(rng, rng() % 10, max_id)) edit.removed.push_back(e.id);
      edit.added = RandomEntries(rng, rng() % 10, max_id);
      for (uint16_t id : edit.removed) model.erase(id);
      for (const LexicalEntry& e : edit.added) model[e.id] = {e.term_frequency, e.doc_length};
      std::vector<LexicalEntry> next;
      ApplyLexicalEdit(one_by_one, edit, &next);
      one_by_one.swap(next);
    }
    const std::vector<LexicalEntry> expected = FromModel(model);
    EXPECT_EQ(one_by_one, expected);
    std::vector<LexicalEntry> combined;
    ApplyLexicalEdit(base, CombineLexicalEdits(edits), &combined);
    EXPECT_EQ(combined, expected);
    // Combining in two parts, as RocksDB's partial merges may, agrees too.
    const size_t cut = rng() % (edits.size() + 1);
    const std::vector<LexicalEdit> halves = {
        CombineLexicalEdits(std::vector<LexicalEdit>(edits.begin(), edits.begin() + cut)),
        CombineLexicalEdits(std::vector<LexicalEdit>(edits.begin() + cut, edits.end()))};
    ApplyLexicalEdit(base, CombineLexicalEdits(halves), &combined);
    EXPECT_EQ(combined, expected);
  }
}

// Edits that only append ids past each other's (a growing collection) take
// a shortcut when combined; it must agree with applying them one by one, and
// an edit that breaks the pattern must not take it.
TEST(LexicalSegmentTest, AppendingEditsCombineLikeOneByOne) {
  std::mt19937 rng(13);
  for (int round = 0; round < 200; ++round) {
    std::vector<LexicalEntry> base = RandomEntries(rng, rng() % 5, 100);
    std::vector<LexicalEdit> edits(2 + rng() % 4);
    uint32_t next = 50 + rng() % 60;
    for (LexicalEdit& edit : edits) {
      for (int i = 0; i < static_cast<int>(rng() % 4) && next < 65536; ++i) {
        edit.added.push_back({static_cast<uint16_t>(next), 1, static_cast<uint32_t>(1 + rng() % 9)});
        next += 1 + rng() % 3;
      }
    }
    if (round % 3 == 0) {  // break the pattern: an id below an earlier one, or a removal
      LexicalEdit& last = edits.back();
      if (round % 2 == 0) {
        last.added.insert(last.added.begin(), LexicalEntry{static_cast<uint16_t>(rng() % 50), 2, 2});
      } else {
        last.removed.push_back(static_cast<uint16_t>(base.empty() ? 0 : base[0].id));
      }
    }
    std::vector<LexicalEntry> one_by_one = base, next_entries;
    for (const LexicalEdit& edit : edits) {
      // Keep `added` ascending and distinct, as every producer does.
      ApplyLexicalEdit(one_by_one, edit, &next_entries);
      one_by_one.swap(next_entries);
    }
    std::vector<LexicalEntry> combined;
    ApplyLexicalEdit(base, CombineLexicalEdits(edits), &combined);
    EXPECT_EQ(combined, one_by_one) << "round " << round;
  }
}

// The other format-3 records: a document's terms (front-coded) and a source.
TEST(Format3RecordsTest, DocTermsAndSourcesRoundTripAndRejectDamage) {
  LexicalTerms terms;
  terms.term_frequencies = {{"running", 2}, {"run", 1}, {"runner", 3}, {"\xC3\xA9t\xC3\xA9", 1},
                            {std::string(255, 'z'), 4}, {"a", 1}};
  terms.length = 12;
  const std::string bytes = EncodeDocTerms(terms);
  auto decoded = DecodeDocTerms(bytes, kWhat);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->term_frequencies, SortedTerms(terms).term_frequencies);
  EXPECT_EQ(decoded->length, 12u);
  size_t raw = 0;
  for (const auto& [t, tf] : terms.term_frequencies) raw += t.size();
  EXPECT_LT(bytes.size(), raw + 3 * terms.term_frequencies.size());  // shared prefixes are not repeated
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeDocTerms(bytes.substr(0, n), kWhat).status().code(), absl::StatusCode::kDataLoss) << n;
  }
  // Hand-built damage: out of order, a shared prefix longer than the previous
  // term, a frequency 0, a wrong length, a NUL byte.
  const std::vector<std::string> bad = {
      std::string("\x01\x02\x02\x00\x01b\x01\x00\x01a\x01", 11),
      std::string("\x01\x02\x02\x00\x01a\x01\x05\x01b\x01", 11),
      std::string("\x01\x00\x01\x00\x01a\x00", 7),
      std::string("\x01\x05\x01\x00\x01a\x01", 7),
      std::string("\x01\x01\x01\x00\x01\x00\x01", 7),
      bytes + "x",
  };
  for (const std::string& value : bad) {
    auto result = DecodeDocTerms(value, kWhat);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss) << testing::PrintToString(value);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(kWhat));
  }

  SourceRecord source;
  source.path = "the/key";
  source.content_sha256 = std::string(32, '\xAB');
  source.size = UINT64_MAX;
  source.mtime_ns = INT64_MIN;
  source.format = "pdf";
  source.settings_fingerprint = "f";
  source.document_ids = {"the/key#0", "", "the/key#2"};
  source.indexed_at_unix = -1;
  const std::string source_bytes = EncodeSource(source);
  auto back = DecodeSource(source_bytes, "the/key", kWhat);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, source);
  for (size_t n = 0; n < source_bytes.size(); ++n) {
    EXPECT_EQ(DecodeSource(source_bytes.substr(0, n), "the/key", kWhat).status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(DecodeSource(source_bytes + "x", "the/key", kWhat).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace lateral::storage
