// storage/ private header: column family names and key layouts.
//
// docs/STORAGE.md draws the same layouts; keep the two in step. Integers in
// keys are big-endian and fixed-width, so RocksDB's bytewise order is numeric
// order: a scan of `codes` visits documents by ascending id, and a prefix scan
// of `postings` visits one centroid's segments by ascending block, i.e. its
// documents in ascending order.
//
//   column family   key                                  value (record_codec.h)
//   -------------   ----------------------------------   -------------------------
//   default         (unused; RocksDB requires it)
//   manifest        "manifest"                           ManifestRecord
//   codec           "header"                             CodecHeader
//                   "centroids" | be32 chunk             rows_per_chunk * dim floats
//   counters        "next_doc_id"                        fixed64 LE
//                   "num_documents"                      fixed64 LE
//   documents       be32 doc_id                          DocumentRecord
//   external_ids    external id bytes                    be32 doc_id
//   codes           be32 doc_id                          DocumentCodes
//   postings        be32 centroid | be32 block           segment (posting_segment.h):
//                   (block = doc_id >> 16)               the low 16 bits of the
//                                                        block's doc ids
//   counters        "lexical_documents"                  fixed64 LE   (format 3)
//                   "lexical_total_length"               fixed64 LE
//                   "num_sources"                        fixed64 LE
//   lexical_postings term | 0x00 | be32 block            lexical segment
//                                                        (lexical_segment.h)
//   doc_terms       be32 doc_id                          DocTermsRecord
//   sources         source path bytes                    SourceRecord (sans path)
//   settings        setting key bytes                    the value bytes
// Terms never hold a NUL byte, so "term | 0x00" is a prefix of that term's
// keys only, and a prefix scan visits its blocks in ascending order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace lateral::storage {

inline constexpr char kManifestFamily[] = "manifest";
inline constexpr char kCodecFamily[] = "codec";
inline constexpr char kCountersFamily[] = "counters";
inline constexpr char kDocumentsFamily[] = "documents";
inline constexpr char kExternalIdsFamily[] = "external_ids";
inline constexpr char kCodesFamily[] = "codes";
inline constexpr char kPostingsFamily[] = "postings";
// Format 3.
inline constexpr char kLexicalPostingsFamily[] = "lexical_postings";
inline constexpr char kDocTermsFamily[] = "doc_terms";
inline constexpr char kSourcesFamily[] = "sources";
inline constexpr char kSettingsFamily[] = "settings";

inline constexpr char kManifestKey[] = "manifest";
inline constexpr char kCodecHeaderKey[] = "header";
inline constexpr char kCentroidChunkPrefix[] = "centroids";
inline constexpr char kNextDocIdKey[] = "next_doc_id";
inline constexpr char kNumDocumentsKey[] = "num_documents";
inline constexpr char kLexicalDocumentsKey[] = "lexical_documents";
inline constexpr char kLexicalTotalLengthKey[] = "lexical_total_length";
inline constexpr char kNumSourcesKey[] = "num_sources";

// Bounds on lexical terms (validated by the store before anything is written).
constexpr size_t kMaxTermBytes = 255;
// Source paths and setting keys are RocksDB keys; a bound keeps them small.
constexpr size_t kMaxSourcePathBytes = 4096;
constexpr size_t kMaxSettingKeyBytes = 4096;
constexpr size_t kMaxSettingValueBytes = size_t{1} << 20;

constexpr size_t kDocIdKeySize = 4;
constexpr size_t kSegmentKeySize = 8;  // be32 centroid + be32 block
// Doc ids per postings segment: a segment holds the low kBlockBits bits of
// the ids of one block. Ids are handed out in ascending order, so a centroid's
// postings fill a few blocks, and 16-bit ids code compactly.
constexpr int kBlockBits = 16;
constexpr uint32_t BlockOf(uint32_t doc_id) { return doc_id >> kBlockBits; }
constexpr uint16_t LowBitsOf(uint32_t doc_id) { return static_cast<uint16_t>(doc_id); }
constexpr uint32_t DocIdOf(uint32_t block, uint16_t low_bits) { return (block << kBlockBits) | low_bits; }
// The largest block: that of UINT32_MAX.
constexpr uint32_t kMaxBlock = UINT32_MAX >> kBlockBits;

// documents / codes key of one internal id.
std::string DocIdKey(uint32_t doc_id);
// Value of an external_ids entry: the same 4 bytes.
inline std::string DocIdValue(uint32_t doc_id) { return DocIdKey(doc_id); }
// nullopt unless `key` is exactly 4 bytes.
std::optional<uint32_t> ParseDocIdKey(absl::string_view key);

// postings key of one (centroid, block) segment.
std::string SegmentKey(uint32_t centroid, uint32_t block);
// The 4-byte prefix shared by all segments of `centroid`.
std::string PostingPrefix(uint32_t centroid);
struct SegmentKeyParts {
  uint32_t centroid;
  uint32_t block;
};
// nullopt unless `key` is exactly 8 bytes with a block <= kMaxBlock.
std::optional<SegmentKeyParts> ParseSegmentKey(absl::string_view key);

std::string CentroidChunkKey(uint32_t chunk);

// lexical_postings key of one (term, block) segment. REQUIRES: term holds no NUL.
std::string LexicalSegmentKey(absl::string_view term, uint32_t block);
// "term | 0x00": the prefix shared by all segments of `term`.
std::string LexicalPrefix(absl::string_view term);
struct LexicalKeyParts {
  absl::string_view term;
  uint32_t block;
};
// nullopt unless `key` is a non-empty term without NUL, 0x00, and a be32
// block <= kMaxBlock.
std::optional<LexicalKeyParts> ParseLexicalSegmentKey(absl::string_view key);
// e.g. "lexical_postings[term \"fox\", block 1]"; DescribeKey when malformed.
std::string DescribeLexicalSegmentKey(absl::string_view key);

// Human-readable name of a key for error messages, e.g. "documents[doc 42]",
// "postings[centroid 7, block 1]" or "external_ids[\"a/b\"]".
std::string DescribeDocKey(absl::string_view family, uint32_t doc_id);
std::string DescribeSegmentKey(uint32_t centroid, uint32_t block);
// DescribeSegmentKey of a well-formed key, else DescribeKey.
std::string DescribeSegmentKey(absl::string_view key);
std::string DescribeKey(absl::string_view family, absl::string_view key);

}  // namespace lateral::storage
