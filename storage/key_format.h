// storage/ private header: column family names and key layouts.
//
// docs/STORAGE.md draws the same layouts; keep the two in step. Integers in
// keys are big-endian and fixed-width, so RocksDB's bytewise order is numeric
// order: a scan of `codes` visits documents by ascending id, and a prefix scan
// of `postings` lists one centroid's documents in ascending order.
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
//   postings        be32 centroid | be32 doc_id          (empty)
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

inline constexpr char kManifestKey[] = "manifest";
inline constexpr char kCodecHeaderKey[] = "header";
inline constexpr char kCentroidChunkPrefix[] = "centroids";
inline constexpr char kNextDocIdKey[] = "next_doc_id";
inline constexpr char kNumDocumentsKey[] = "num_documents";

constexpr size_t kDocIdKeySize = 4;
constexpr size_t kPostingKeySize = 8;  // be32 centroid + be32 doc id

// documents / codes key of one internal id.
std::string DocIdKey(uint32_t doc_id);
// Value of an external_ids entry: the same 4 bytes.
inline std::string DocIdValue(uint32_t doc_id) { return DocIdKey(doc_id); }
// nullopt unless `key` is exactly 4 bytes.
std::optional<uint32_t> ParseDocIdKey(absl::string_view key);

std::string PostingKey(uint32_t centroid, uint32_t doc_id);
// The 4-byte prefix shared by all postings of `centroid`.
std::string PostingPrefix(uint32_t centroid);
struct PostingKeyParts {
  uint32_t centroid;
  uint32_t doc_id;
};
// nullopt unless `key` is exactly 8 bytes.
std::optional<PostingKeyParts> ParsePostingKey(absl::string_view key);

std::string CentroidChunkKey(uint32_t chunk);

// Human-readable name of a key for error messages, e.g. "documents[doc 42]"
// or "external_ids[\"a/b\"]".
std::string DescribeDocKey(absl::string_view family, uint32_t doc_id);
std::string DescribeKey(absl::string_view family, absl::string_view key);

}  // namespace lateral::storage
