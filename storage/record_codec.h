// storage/ private header: the binary encoding of every value the store
// writes, but the postings' (posting_segment.h). Pure functions over bytes (no
// RocksDB), so they are easy to test and fuzz.
//
// Each record starts with a one-byte record version; lengths are varints;
// integers are little-endian; floats are raw IEEE-754 bits. A decoder checks
// every length against the bytes that remain, rejects trailing bytes, and
// never reads out of bounds or allocates more than the input can describe; on
// malformed input it returns DataLoss naming `what` (the store path and key,
// e.g. "/data/c1: documents[doc 42]").
//
//   ManifestRecord  "LTRL" u8:version=1 varint:format_version lp:encoder_identity
//                   varint:dim varint:nbits
//   DocumentRecord  u8:version=1 lp:external_id lp:text varint:n_fields
//                   n_fields x { lp:name u8:kind (0 string, 1 number)
//                                lp:string | f64:number }
//   DocumentCodes   u8:version=2 varint:n_tokens varint:n_distinct
//                   u8:id_k u8:count_k                  (Rice parameters, <= 31)
//                   bits: n_distinct x Rice(id_k): the distinct centroid ids,
//                           ascending: the first, then each gap - 1
//                         n_distinct x Rice(count_k): tokens per centroid - 1
//                         zero bits to the next byte boundary
//                   n_tokens x code_bytes: residual codes, tokens grouped by
//                         ascending centroid id (stable within a centroid)
//   CodecHeader     u8:version=1 varint:dim varint:nbits varint:num_centroids
//                   varint:rows_per_chunk varint:n_cutoffs n_cutoffs x f32
//                   varint:n_weights n_weights x f32
//   centroid chunk  rows * dim x f32 (rows = rows_per_chunk, fewer in the last)
//   counter         u64
//   DocTermsRecord  u8:version=1 varint:length varint:n_terms          (format 3)
//                   n_terms x { varint:shared lp:suffix varint:term_frequency }
//                   (front coding: term = previous term's first `shared` bytes + suffix)
//                   terms ascending (bytewise), distinct, 1..255 bytes, no NUL;
//                   frequencies >= 1 summing to length
//   SourceRecord    u8:version=1 lp:content_sha256 varint64:size           (format 3)
//                   u64:mtime_ns lp:format lp:settings_fingerprint
//                   varint:n_ids n_ids x lp:document_id u64:indexed_at_unix
//                   (the path is the key; signed times as two's complement)
// (lp = varint length, then the bytes; Rice codes and bit order: bit_coding.h.)
//
// DocumentCodes stores a document's tokens grouped by centroid: MaxSim does
// not depend on token order, and grouping lets the ids be coded as the set of
// distinct centroids plus a count each (~1.3 bytes per token at K = 65536
// instead of 4). The residual bytes need no length: they are the value's last
// n_tokens * code_bytes bytes, and the bit section is what lies before them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/collection_store.h"

namespace lateral::storage {

// Version byte of every record but DocumentCodes.
constexpr uint8_t kRecordVersion = 1;
// DocumentCodes changed layout in store format 2 (grouped, Rice-coded ids).
constexpr uint8_t kCodesRecordVersion = 2;
inline constexpr char kManifestMagic[] = "LTRL";  // 4 bytes, without the NUL

std::string EncodeManifest(const Manifest& manifest);
// DataLoss when malformed; FailedPrecondition when written by a newer record
// version (the caller adds the path).
absl::StatusOr<Manifest> DecodeManifest(absl::string_view value, absl::string_view what);

std::string EncodeDocument(const DocumentRecord& record);
absl::StatusOr<DocumentRecord> DecodeDocument(absl::string_view value, absl::string_view what);

// Tokens in any order; the encoding groups them by centroid (see above).
// REQUIRES: residual_codes.size() is a multiple of the token count (zero
// without tokens).
std::string EncodeCodes(const DocumentCodes& codes);
// Tokens come back grouped by ascending centroid id, stable within a centroid,
// with the residual codes permuted alike: GroupByCentroid of what was encoded.
// Also checks the residual size against n_tokens * code_bytes.
// REQUIRES: code_bytes > 0.
absl::StatusOr<DocumentCodes> DecodeCodes(absl::string_view value, size_t code_bytes, absl::string_view what);
// The token order the store keeps: ascending centroid id, stable within a
// centroid, residual codes moved with their tokens. Same REQUIRES as EncodeCodes.
DocumentCodes GroupByCentroid(const DocumentCodes& codes);

// The codec minus its centroids, which are stored in chunks so that no single
// value grows with K (65536 x 128 floats would be one 32 MiB value).
struct CodecHeader {
  int dim = 0;
  int nbits = 0;
  uint32_t num_centroids = 0;
  uint32_t rows_per_chunk = 0;
  std::vector<float> bucket_cutoffs;
  std::vector<float> bucket_weights;

  uint32_t num_chunks() const {
    return rows_per_chunk == 0
               ? 0
               : static_cast<uint32_t>((uint64_t{num_centroids} + rows_per_chunk - 1) / rows_per_chunk);
  }
  // Centroid rows held by chunk `chunk`.
  uint32_t rows_in_chunk(uint32_t chunk) const;
};

std::string EncodeCodecHeader(const CodecHeader& header);
absl::StatusOr<CodecHeader> DecodeCodecHeader(absl::string_view value, absl::string_view what);
// Appends the chunk's floats to `centroids`, checking it holds exactly
// header.rows_in_chunk(chunk) * dim of them.
absl::Status DecodeCentroidChunk(absl::string_view value, const CodecHeader& header, uint32_t chunk,
                                 std::vector<float>* centroids, absl::string_view what);

// A document's lexical terms as the store keeps them: sorted by term.
// REQUIRES: terms valid (distinct, non-empty, no NUL, <= 255 bytes, tf >= 1,
// length = sum of tf), as the store checks before writing.
std::string EncodeDocTerms(const LexicalTerms& terms);
// Terms come back sorted by term.
absl::StatusOr<LexicalTerms> DecodeDocTerms(absl::string_view value, absl::string_view what);
// Sorts terms by term (the order EncodeDocTerms writes and DecodeDocTerms returns).
LexicalTerms SortedTerms(const LexicalTerms& terms);

// Everything but the path, which is the key.
std::string EncodeSource(const SourceRecord& source);
// `path`: the key, copied into the record.
absl::StatusOr<SourceRecord> DecodeSource(absl::string_view value, absl::string_view path, absl::string_view what);

std::string EncodeCounter(uint64_t value);
absl::StatusOr<uint64_t> DecodeCounter(absl::string_view value, absl::string_view what);

}  // namespace lateral::storage
