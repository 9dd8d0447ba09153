// The memory-mapped index file: a written and reopened index equals the one
// it was written from (field by field and through PLAID search), and every
// damaged, stale, truncated or foreign file is refused with an error, never
// a crash.
#include "index/mapped_index.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "benchmarks/synthetic/synthetic_corpus.h"
#include "gtest/gtest.h"
#include "index/index_builder.h"
#include "query/plaid_searcher.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using testing::ScratchDir;
using testing::SyntheticCorpus;
using testing::SyntheticCorpusOptions;

constexpr int kDim = 64;

// Header offsets (index/mapped_index.h documents the layout), for the tests
// that craft damaged files.
constexpr size_t kHeaderBytes = 512, kOffVersion = 8, kOffSequence = 16, kOffDocuments = 40, kOffTokens = 48,
                 kOffSectionTable = 80, kEntryBytes = 24, kOffHeaderCrc = 508;
enum { kCentroids, kCutoffs, kWeights, kDocIds, kTokenOffsets, kCentroidIds, kCodes, kPostingOffsets, kPostings,
       kNumSections };

SyntheticCorpusOptions CorpusOptions() {
  SyntheticCorpusOptions o;
  o.dim = kDim;
  o.topics = 64;
  o.mean_tokens = 20;
  o.min_tokens = 5;
  o.max_tokens = 80;
  return o;
}

struct Built {
  std::shared_ptr<SearchableIndex> index;
  std::vector<std::map<std::string, MetadataValue>> metadata;
};

// `n` synthetic documents (document i has id 7 + 2i and metadata
// shard = i % 10) encoded with a codec whose centroids are `k` of the
// corpus's own tokens -- no k-means, so building is fast, and the codes
// still cluster as real ones do.
Built MakeIndex(const SyntheticCorpus& corpus, int64_t n, int nbits, int k, uint32_t seed) {
  std::vector<float> all;
  std::vector<uint64_t> offsets = {0};
  std::vector<uint32_t> ids;
  Built built;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<float> d = corpus.Document(i);
    all.insert(all.end(), d.begin(), d.end());
    offsets.push_back(all.size() / kDim);
    ids.push_back(static_cast<uint32_t>(7 + 2 * i));
    built.metadata.push_back({{"shard", static_cast<double>(i % 10)}});
  }
  const int64_t tokens = static_cast<int64_t>(offsets.back());
  std::mt19937 rng(seed);
  std::vector<float> centroids;
  for (int c = 0; c < k; ++c) {
    const int64_t t = tokens > 0 ? std::uniform_int_distribution<int64_t>(0, tokens - 1)(rng) : 0;
    for (int d = 0; d < kDim; ++d) centroids.push_back(tokens > 0 ? all[t * kDim + d] : (d == c % kDim ? 1.0f : 0.0f));
  }
  const int buckets = 1 << nbits;
  std::vector<float> cutoffs, weights;
  for (int b = 0; b + 1 < buckets; ++b) cutoffs.push_back(-0.1f + 0.2f * (b + 1) / buckets);
  for (int b = 0; b < buckets; ++b) weights.push_back(-0.1f + 0.2f * (b + 0.5f) / buckets);
  auto codec = ResidualCodec::FromParts(kDim, nbits, centroids, cutoffs, weights);
  EXPECT_TRUE(codec.ok()) << codec.status();
  std::vector<uint32_t> centroid_ids(tokens);
  std::vector<uint8_t> codes(tokens * codec->code_bytes());
  codec->Encode(all.data(), tokens, centroid_ids.data(), codes.data());
  auto index = SearchableIndex::FromParts(std::move(*codec), ids, offsets, centroid_ids, codes);
  EXPECT_TRUE(index.ok()) << index.status();
  built.index = std::move(*index);
  return built;
}

const SyntheticCorpus& Corpus() {
  static const SyntheticCorpus* corpus = new SyntheticCorpus(CorpusOptions());
  return *corpus;
}

// A 400-document, 2-bit, 128-centroid index shared by the tests that only read it.
const Built& Shared() {
  static const Built* built = new Built(MakeIndex(Corpus(), 400, 2, 128, 1));
  return *built;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
template <typename T>
T GetAt(const std::string& bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof(T));
  return v;
}
template <typename T>
void SetAt(std::string& bytes, size_t offset, T v) {
  std::memcpy(bytes.data() + offset, &v, sizeof(T));
}
uint64_t SectionOffset(const std::string& bytes, int s) {
  return GetAt<uint64_t>(bytes, kOffSectionTable + s * kEntryBytes);
}
uint64_t SectionLength(const std::string& bytes, int s) {
  return GetAt<uint64_t>(bytes, kOffSectionTable + s * kEntryBytes + 8);
}
void ResealSection(std::string& bytes, int s) {
  SetAt<uint32_t>(bytes, kOffSectionTable + s * kEntryBytes + 16,
                  MappedIndexCrc32c(0, bytes.data() + SectionOffset(bytes, s), SectionLength(bytes, s)));
}
void ResealHeader(std::string& bytes) { SetAt<uint32_t>(bytes, kOffHeaderCrc, MappedIndexCrc32c(0, bytes.data(), kOffHeaderCrc)); }

template <typename T>
std::vector<T> ToVector(absl::Span<const T> s) {
  return std::vector<T>(s.begin(), s.end());
}

// Field-by-field equality, including the decoded vectors of every document.
void ExpectSameIndex(const SearchableIndex& a, const SearchableIndex& b) {
  EXPECT_EQ(a.codec().dim(), b.codec().dim());
  EXPECT_EQ(a.codec().nbits(), b.codec().nbits());
  EXPECT_EQ(a.codec().centroids(), b.codec().centroids());
  EXPECT_EQ(a.codec().bucket_cutoffs(), b.codec().bucket_cutoffs());
  EXPECT_EQ(a.codec().bucket_weights(), b.codec().bucket_weights());
  ASSERT_EQ(a.num_documents(), b.num_documents());
  ASSERT_EQ(a.num_tokens(), b.num_tokens());
  const SearchableIndex::ArrayViews x = a.arrays(), y = b.arrays();
  EXPECT_EQ(ToVector(x.doc_ids), ToVector(y.doc_ids));
  EXPECT_EQ(ToVector(x.token_offsets), ToVector(y.token_offsets));
  EXPECT_EQ(ToVector(x.centroid_ids), ToVector(y.centroid_ids));
  EXPECT_EQ(ToVector(x.codes), ToVector(y.codes));
  EXPECT_EQ(ToVector(x.posting_offsets), ToVector(y.posting_offsets));
  EXPECT_EQ(ToVector(x.postings), ToVector(y.postings));
  std::vector<float> va, vb;
  for (int64_t slot = 0; slot < a.num_documents(); ++slot) {
    EXPECT_EQ(a.SlotOf(a.doc_id(slot)), slot);
    EXPECT_EQ(b.SlotOf(a.doc_id(slot)), slot);
    ASSERT_TRUE(a.DecodeDocument(slot, va).ok());
    ASSERT_TRUE(b.DecodeDocument(slot, vb).ok());
    ASSERT_EQ(va, vb) << "slot " << slot;
  }
}

// The same hits, in the same order, with bit-identical scores.
void ExpectSameSearches(std::shared_ptr<const SearchableIndex> a, std::shared_ptr<const SearchableIndex> b,
                        const MetadataFilter* filter) {
  PlaidSearcher sa(a), sb(b);
  for (int q = 0; q < 12; ++q) {
    const int64_t target = a->num_documents() > 0 ? (q * 37) % a->num_documents() : 0;
    std::vector<float> qv = Corpus().QueryNear(target, q);
    TokenMatrix query{qv.data(), Corpus().options().query_tokens, kDim};
    for (int64_t budget : {SearchOptions().exact_budget, int64_t{0}}) {
      SearchOptions options;
      options.k = 10;
      options.exact_budget = budget;
      options.filter = filter;
      auto ra = sa.Search(query, options), rb = sb.Search(query, options);
      ASSERT_TRUE(ra.ok()) << ra.status();
      ASSERT_TRUE(rb.ok()) << rb.status();
      ASSERT_EQ(ra->size(), rb->size());
      for (size_t i = 0; i < ra->size(); ++i) {
        EXPECT_EQ((*ra)[i].doc_id, (*rb)[i].doc_id) << "query " << q << " rank " << i;
        EXPECT_EQ((*ra)[i].score, (*rb)[i].score) << "query " << q << " rank " << i;
      }
      if (a->num_documents() > 0 && filter == nullptr) {
        EXPECT_FALSE(ra->empty());
      }
    }
    auto ea = sa.Exhaustive(query, SearchOptions()), eb = sb.Exhaustive(query, SearchOptions());
    ASSERT_TRUE(ea.ok() && eb.ok());
    ASSERT_EQ(ea->size(), eb->size());
    for (size_t i = 0; i < ea->size(); ++i) EXPECT_EQ((*ea)[i].doc_id, (*eb)[i].doc_id);
  }
}

absl::StatusOr<std::unique_ptr<SearchableIndex>> OpenChecked(const std::string& path, uint64_t seq) {
  MappedIndexOptions options;
  options.verify_checksums = true;
  options.check_contents = true;
  return OpenMappedIndex(path, seq, options);
}

TEST(MappedIndexTest, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(MappedIndexCrc32c(0, "123456789", 9), 0xE3069283u);
  // Continuing a crc over two pieces equals one pass, at lengths that
  // exercise both the 8-byte and the byte-by-byte paths.
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 7);
  const uint32_t whole = MappedIndexCrc32c(0, data.data(), data.size());
  for (size_t cut : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    EXPECT_EQ(MappedIndexCrc32c(MappedIndexCrc32c(0, data.data(), cut), data.data() + cut, data.size() - cut), whole);
  }
}

TEST(MappedIndexTest, RoundTripEqualsTheInMemoryIndexForEveryNbits) {
  ScratchDir dir;
  for (int nbits : {1, 2, 4}) {
    SCOPED_TRACE(nbits);
    const Built built = nbits == 2 ? Shared() : MakeIndex(Corpus(), 150, nbits, 64, nbits);
    const std::string path = dir.Sub(absl::StrCat("index-", nbits));
    ASSERT_TRUE(WriteMappedIndex(*built.index, 42, path).ok());
    for (bool checked : {false, true}) {
      auto opened = checked ? OpenChecked(path, 42) : OpenMappedIndex(path, 42);
      ASSERT_TRUE(opened.ok()) << opened.status();
      const SearchableIndex& mapped = **opened;
      EXPECT_TRUE(mapped.is_view());
      EXPECT_TRUE(mapped.residuals_in_memory());
      // Views into the mapping, not copies of the original's arrays.
      EXPECT_NE(mapped.centroid_ids(), built.index->centroid_ids());
      ExpectSameIndex(*built.index, mapped);
    }
  }
}

TEST(MappedIndexTest, PlaidSearchGivesIdenticalResultsWithAndWithoutFilters) {
  ScratchDir dir;
  const Built& built = Shared();
  ASSERT_TRUE(WriteMappedIndex(*built.index, 3, dir.Sub("index")).ok());
  auto opened = OpenMappedIndex(dir.Sub("index"), 3);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<SearchableIndex> mapped = std::move(*opened);
  ExpectSameSearches(built.index, mapped, nullptr);

  // Metadata is not in the file; set on both, filters then work the same.
  auto filter = ParseMetadataFilter("shard = 3");
  ASSERT_TRUE(filter.ok()) << filter.status();
  auto filtered_original = MakeIndex(Corpus(), 400, 2, 128, 1);
  filtered_original.index->SetMetadata(MetadataColumns::Build(built.metadata));
  mapped->SetMetadata(MetadataColumns::Build(built.metadata));
  EXPECT_EQ(mapped->metadata().num_slots(), mapped->num_documents());
  ExpectSameSearches(filtered_original.index, mapped, &*filter);
  PlaidSearcher searcher(mapped);
  std::vector<float> qv = Corpus().QueryNear(13, 0);
  SearchOptions options;
  options.filter = &*filter;
  auto hits = searcher.Search({qv.data(), Corpus().options().query_tokens, kDim}, options);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  for (const SearchHit& h : *hits) EXPECT_EQ(((h.doc_id - 7) / 2) % 10, 3u) << "doc " << h.doc_id;
}

TEST(MappedIndexTest, EmptyCollectionRoundTrips) {
  ScratchDir dir;
  const Built built = MakeIndex(Corpus(), 0, 2, 16, 5);
  ASSERT_EQ(built.index->num_documents(), 0);
  ASSERT_TRUE(WriteMappedIndex(*built.index, 0, dir.Sub("empty")).ok());
  auto opened = OpenChecked(dir.Sub("empty"), 0);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->num_documents(), 0);
  EXPECT_EQ((*opened)->num_tokens(), 0);
  ExpectSameIndex(*built.index, **opened);
  for (uint32_t c = 0; c < 16; ++c) EXPECT_TRUE((*opened)->Postings(c).empty());
  std::shared_ptr<const SearchableIndex> shared = std::move(*opened);
  PlaidSearcher searcher(shared);
  std::vector<float> qv = Corpus().QueryNear(0, 0);
  auto hits = searcher.Search({qv.data(), Corpus().options().query_tokens, kDim}, SearchOptions());
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_TRUE(hits->empty());
}

TEST(MappedIndexTest, StaleSequenceNumberIsFailedPrecondition) {
  ScratchDir dir;
  const std::string path = dir.Sub("index");
  ASSERT_TRUE(WriteMappedIndex(*Shared().index, 1000, path).ok());
  for (uint64_t other : {uint64_t{0}, uint64_t{999}, uint64_t{1001}, UINT64_MAX}) {
    auto opened = OpenMappedIndex(path, other);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition) << opened.status();
    EXPECT_NE(opened.status().message().find("stale"), std::string::npos) << opened.status();
    EXPECT_NE(opened.status().message().find(path), std::string::npos) << opened.status();
  }
  EXPECT_TRUE(OpenMappedIndex(path, 1000).ok());
}

TEST(MappedIndexTest, MissingFileIsNotFound) {
  ScratchDir dir;
  EXPECT_EQ(OpenMappedIndex(dir.Sub("absent"), 0).status().code(), absl::StatusCode::kNotFound);
}

TEST(MappedIndexTest, EveryTruncationOrExtensionIsRefused) {
  ScratchDir dir;
  const std::string good = dir.Sub("good"), bad = dir.Sub("bad");
  ASSERT_TRUE(WriteMappedIndex(*Shared().index, 9, good).ok());
  const std::string bytes = ReadBytes(good);
  std::set<size_t> lengths = {0, 1, 8, 100, 507, 508, 511, 512, 513, bytes.size() - 1};
  for (int s = 0; s < kNumSections; ++s) {
    for (uint64_t edge : {SectionOffset(bytes, s), SectionOffset(bytes, s) + SectionLength(bytes, s)}) {
      for (int64_t d : {-1, 0, 1}) {
        if (edge + d < bytes.size()) lengths.insert(edge + d);
      }
    }
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100; ++i) lengths.insert(std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng));
  for (size_t length : lengths) {
    WriteBytes(bad, bytes.substr(0, length));
    for (bool checked : {false, true}) {
      auto opened = checked ? OpenChecked(bad, 9) : OpenMappedIndex(bad, 9);
      ASSERT_FALSE(opened.ok()) << "length " << length;
      EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << opened.status();
      EXPECT_NE(opened.status().message().find(bad), std::string::npos) << opened.status();
    }
  }
  WriteBytes(bad, bytes + std::string(64, '\0'));
  EXPECT_EQ(OpenMappedIndex(bad, 9).status().code(), absl::StatusCode::kDataLoss);
}

TEST(MappedIndexTest, AnyFlippedHeaderByteIsRefusedWithoutVerification) {
  ScratchDir dir;
  const std::string good = dir.Sub("good"), bad = dir.Sub("bad");
  ASSERT_TRUE(WriteMappedIndex(*Shared().index, 9, good).ok());
  const std::string bytes = ReadBytes(good);
  for (size_t at = 0; at < kHeaderBytes; ++at) {
    for (uint8_t mask : {0x01, 0x80}) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ mask);
      WriteBytes(bad, damaged);
      auto opened = OpenMappedIndex(bad, 9);
      ASSERT_FALSE(opened.ok()) << "byte " << at;
      // A flipped version field reads as another format version; everything
      // else is damage.
      const absl::StatusCode want = at >= kOffVersion && at < kOffVersion + 4 ? absl::StatusCode::kFailedPrecondition
                                                                              : absl::StatusCode::kDataLoss;
      EXPECT_EQ(opened.status().code(), want) << "byte " << at << ": " << opened.status();
    }
  }
}

TEST(MappedIndexTest, FlippedSectionBytesAreCaughtByVerification) {
  ScratchDir dir;
  const std::string good = dir.Sub("good"), bad = dir.Sub("bad");
  ASSERT_TRUE(WriteMappedIndex(*Shared().index, 9, good).ok());
  const std::string bytes = ReadBytes(good);
  const char* names[] = {"centroids", "bucket_cutoffs", "bucket_weights", "doc_ids", "token_offsets",
                         "centroid_ids", "codes", "posting_offsets", "postings"};
  for (int s = 0; s < kNumSections; ++s) {
    const uint64_t offset = SectionOffset(bytes, s), length = SectionLength(bytes, s);
    ASSERT_GT(length, 0u) << names[s];
    for (uint64_t at : {offset, offset + length / 2, offset + length - 1}) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
      WriteBytes(bad, damaged);
      MappedIndexOptions verify;
      verify.verify_checksums = true;
      auto opened = OpenMappedIndex(bad, 9, verify);
      ASSERT_FALSE(opened.ok()) << names[s] << " byte " << at;
      EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
      EXPECT_NE(opened.status().message().find(names[s]), std::string::npos) << opened.status();
    }
  }
  // Without verification, opening reads none of the bulk sections: damage
  // in the residual codes goes unnoticed (the documented trade-off).
  std::string damaged = bytes;
  damaged[SectionOffset(bytes, kCodes)] ^= 0x10;
  WriteBytes(bad, damaged);
  EXPECT_TRUE(OpenMappedIndex(bad, 9).ok());
}

TEST(MappedIndexTest, WrongMagicAndVersionAreRefused) {
  ScratchDir dir;
  const std::string good = dir.Sub("good"), bad = dir.Sub("bad");
  ASSERT_TRUE(WriteMappedIndex(*Shared().index, 9, good).ok());
  const std::string bytes = ReadBytes(good);

  std::string other = bytes;
  std::memcpy(other.data(), "SQLite f", 8);
  ResealHeader(other);
  WriteBytes(bad, other);
  auto opened = OpenMappedIndex(bad, 9);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(opened.status().message().find("magic"), std::string::npos) << opened.status();

  std::string newer = bytes;
  SetAt<uint32_t>(newer, kOffVersion, 2);
  ResealHeader(newer);
  WriteBytes(bad, newer);
  opened = OpenMappedIndex(bad, 9);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find("format_version"), std::string::npos) << opened.status();

  WriteBytes(bad, std::string(4096, '\0'));
  EXPECT_EQ(OpenMappedIndex(bad, 0).status().code(), absl::StatusCode::kDataLoss);
}

// Headers with a valid checksum that lie about counts or section positions:
// bounds checks, not the checksum, must refuse them.
TEST(MappedIndexTest, ResealedHeadersWithImpossibleFieldsAreRefused) {
  ScratchDir dir;
  const std::string good = dir.Sub("good"), bad = dir.Sub("bad");
  ASSERT_TRUE(WriteMappedIndex(*Shared().index, 9, good).ok());
  const std::string bytes = ReadBytes(good);
  auto expect_refused = [&](const std::string& damaged, const std::string& what) {
    WriteBytes(bad, damaged);
    auto opened = OpenMappedIndex(bad, 9);
    ASSERT_FALSE(opened.ok()) << what;
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << what << ": " << opened.status();
  };
  const uint64_t docs = GetAt<uint64_t>(bytes, kOffDocuments), tokens = GetAt<uint64_t>(bytes, kOffTokens);
  for (uint64_t v : {docs + 1, docs - 1, uint64_t{1} << 40, UINT64_MAX, UINT64_MAX / 4}) {
    std::string d = bytes;
    SetAt<uint64_t>(d, kOffDocuments, v);
    ResealHeader(d);
    expect_refused(d, absl::StrCat("num_documents ", v));
  }
  for (uint64_t v : {tokens + 1, UINT64_MAX, UINT64_MAX / 4 + 1}) {
    std::string d = bytes;
    SetAt<uint64_t>(d, kOffTokens, v);
    ResealHeader(d);
    expect_refused(d, absl::StrCat("num_tokens ", v));
  }
  for (int s = 0; s < kNumSections; ++s) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{64}, SectionOffset(bytes, s) + 1, SectionOffset(bytes, s) + 64,
                            uint64_t{bytes.size()}, UINT64_MAX - 63}) {
      if (offset == SectionOffset(bytes, s)) continue;
      std::string d = bytes;
      SetAt<uint64_t>(d, kOffSectionTable + s * kEntryBytes, offset);
      ResealHeader(d);
      // Moving a section may still land on valid bytes (e.g. one 64 bytes
      // further inside padding); it must never crash, and must fail unless
      // the result is in bounds, ordered and aligned.
      WriteBytes(bad, d);
      auto opened = OpenChecked(bad, 9);
      const uint64_t length = SectionLength(bytes, s);
      const bool in_bounds = offset % 64 == 0 && offset >= 512 && offset <= bytes.size() &&
                             length <= bytes.size() - offset;
      if (!in_bounds) {
        EXPECT_FALSE(opened.ok()) << "section " << s << " at " << offset;
      }
    }
  }
  // Dimension and nbits that disagree with the code size.
  std::string d = bytes;
  SetAt<uint32_t>(d, 28, 4);
  ResealHeader(d);
  expect_refused(d, "nbits 4 with 2-bit code sizes");
}

// With checksums resealed, only the content check catches impossible values.
TEST(MappedIndexTest, ContentCheckRefusesOutOfRangeIdsEvenWithValidChecksums) {
  ScratchDir dir;
  const std::string good = dir.Sub("good"), bad = dir.Sub("bad");
  ASSERT_TRUE(WriteMappedIndex(*Shared().index, 9, good).ok());
  const std::string bytes = ReadBytes(good);
  const uint32_t k = static_cast<uint32_t>(Shared().index->codec().num_centroids());
  struct Case {
    int section;
    size_t index;
    uint32_t value;
    const char* field;
  };
  const uint32_t n = static_cast<uint32_t>(Shared().index->num_documents());
  for (const Case& c : {Case{kCentroidIds, 0, k, "centroid_ids"}, Case{kCentroidIds, 5, UINT32_MAX, "centroid_ids"},
                        Case{kPostings, 0, n, "postings"}, Case{kPostings, 3, UINT32_MAX, "postings"},
                        Case{kDocIds, 1, 0, "doc_ids"}}) {
    std::string d = bytes;
    SetAt<uint32_t>(d, SectionOffset(bytes, c.section) + 4 * c.index, c.value);
    ResealSection(d, c.section);
    ResealHeader(d);
    WriteBytes(bad, d);
    auto opened = OpenChecked(bad, 9);
    ASSERT_FALSE(opened.ok()) << c.field << "[" << c.index << "] = " << c.value;
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(opened.status().message().find(c.field), std::string::npos) << opened.status();
  }
  // Codec values that would make scores NaN or overflow are refused always.
  for (int s : {kCentroids, kCutoffs, kWeights}) {
    for (float v : {std::nanf(""), 1e30f, -5.0f}) {
      std::string d = bytes;
      SetAt<float>(d, SectionOffset(bytes, s), v);
      ResealSection(d, s);
      ResealHeader(d);
      WriteBytes(bad, d);
      auto opened = OpenMappedIndex(bad, 9);
      ASSERT_FALSE(opened.ok()) << "section " << s << " value " << v;
      EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  // Token offsets that go backwards are refused even without the content check.
  std::string d = bytes;
  SetAt<uint64_t>(d, SectionOffset(bytes, kTokenOffsets) + 8, UINT64_MAX / 2);
  ResealSection(d, kTokenOffsets);
  ResealHeader(d);
  WriteBytes(bad, d);
  auto opened = OpenMappedIndex(bad, 9);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("token_offsets"), std::string::npos) << opened.status();
}

TEST(MappedIndexTest, ReplacingTheFileKeepsOldReadersValid) {
  ScratchDir dir;
  const std::string path = dir.Sub("index");
  const Built& a = Shared();
  const Built b = MakeIndex(Corpus(), 120, 2, 32, 9);
  ASSERT_TRUE(WriteMappedIndex(*a.index, 1, path).ok());
  auto old_reader = OpenMappedIndex(path, 1);
  ASSERT_TRUE(old_reader.ok()) << old_reader.status();
  ASSERT_TRUE(WriteMappedIndex(*b.index, 2, path).ok());
  // The old mapping still shows the old file, completely.
  ExpectSameIndex(*a.index, **old_reader);
  std::shared_ptr<const SearchableIndex> old_shared = std::move(*old_reader);
  ExpectSameSearches(a.index, old_shared, nullptr);
  auto new_reader = OpenChecked(path, 2);
  ASSERT_TRUE(new_reader.ok()) << new_reader.status();
  ExpectSameIndex(*b.index, **new_reader);
  EXPECT_EQ(OpenMappedIndex(path, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  // No temporary files are left beside it.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "index");
  }
  EXPECT_EQ(entries, 1);
}

TEST(MappedIndexTest, WriteIntoAMissingDirectoryFailsAndLeavesNothing) {
  ScratchDir dir;
  const absl::Status status = WriteMappedIndex(*Shared().index, 1, dir.Sub("no/such/dir/index"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("no/such/dir/index"), std::string::npos) << status;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// Through a real store: an index loaded with residuals left in the store is
// written by reading them from its snapshot, stamped with the snapshot's
// sequence number, and reopens equal to a fully in-memory load.
TEST(MappedIndexTest, WritesAStoreIndexWhoseResidualsStayOnDisk) {
  ScratchDir dir;
  auto store = CollectionStore::Open(dir.Sub("store"), Manifest{1, "synthetic:test", kDim, 2});
  ASSERT_TRUE(store.ok()) << store.status();
  testing::SyntheticDocumentSource source(Corpus(), 300);
  BuildOptions options;
  options.codec.num_centroids = 64;
  options.codec.kmeans_iterations = 2;
  auto stats = BuildIndex(**store, source, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  std::shared_ptr<const StoreSnapshot> snapshot = (*store)->Snapshot();
  IndexLoadOptions on_disk;
  on_disk.residuals_in_memory = false;
  on_disk.metadata = false;
  auto lazy = SearchableIndex::Load(snapshot, on_disk);
  ASSERT_TRUE(lazy.ok()) << lazy.status();
  ASSERT_FALSE((*lazy)->residuals_in_memory());
  auto full = SearchableIndex::Load(*snapshot);
  ASSERT_TRUE(full.ok()) << full.status();
  const std::string path = dir.Sub("search.index");
  ASSERT_TRUE(WriteMappedIndex(**lazy, snapshot->SequenceNumber(), path).ok());
  auto opened = OpenChecked(path, snapshot->SequenceNumber());
  ASSERT_TRUE(opened.ok()) << opened.status();
  ExpectSameIndex(**full, **opened);
  // Any later write to the store makes the file stale.
  const std::vector<std::string> first = {"doc-0"};
  LATERAL_ASSERT_OK((*store)->Delete(first));
  EXPECT_EQ(OpenMappedIndex(path, (*store)->Snapshot()->SequenceNumber()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace lateral
