// A SearchableIndex saved as one file that search memory-maps.
//
// The RocksDB store stays the source of truth; this file is a derived,
// read-optimised copy of one snapshot's search structures (codec, doc ids,
// token offsets, centroid ids, residual codes and the inverted file), stamped
// with the snapshot's sequence number. Opening it maps the file and checks
// the header, so a search process skips reading every document's codes and
// rebuilding the inverted file: the only copy made is the codec (centroids
// and bucket tables, K x dim floats), which ResidualCodec owns.
//
// Layout (version 1, little-endian; every section starts at a multiple of
// 64 bytes, padding is zero):
//   [0, 512)  header: magic "LATMIDX\0", format version, header size, the
//             store's sequence number, dim, nbits, K, code bytes, documents
//             n, tokens T, postings P, file size, section count, then per
//             section {offset u64, length u64, crc32c u32, 0 u32}; the last
//             4 bytes are the crc32c of the 508 before them.
//   sections in this order: centroids f32[K*dim], bucket_cutoffs
//             f32[2^nbits-1], bucket_weights f32[2^nbits], doc_ids u32[n],
//             token_offsets u64[n+1], centroid_ids u32[T], codes
//             u8[T*code_bytes], posting_offsets u64[K+1], postings u32[P].
//
// Called by the CLI's collection layer: written after a store changes
// (`lateral add`), opened by `lateral search`. Metadata columns are not in the
// file; SetMetadata on the opened index adds them when a filter needs them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/searchable_index.h"

namespace lateral {

// Writes `index` to `path`, stamped with `sequence_number` (the
// StoreSnapshot::SequenceNumber() it was loaded from). Atomic: the bytes go
// to a temporary file in the same directory, which is fsynced and renamed
// over `path` (and the directory fsynced), so a crash leaves the old file or
// none, never a partial one; processes that mapped the old file keep
// reading it. Works whether or not the index holds its residuals in memory
// (otherwise they are read from its snapshot, document by document).
absl::Status WriteMappedIndex(const SearchableIndex& index, uint64_t sequence_number, const std::string& path);

struct MappedIndexOptions {
  // Compute every section's crc32c and compare with the header: reads the
  // whole file. Off, opening reads the header and the O(n + K) offset and id
  // arrays only, and trusts the bulk sections (centroid ids, codes,
  // postings) -- this program wrote them, fsynced, and renamed atomically.
  bool verify_checksums = false;
  // Check every centroid id (< K) and posting (a slot < n, ascending in
  // its list), so that even a file with valid checksums but impossible
  // contents (crafted, or written by a buggy build) is refused rather than
  // read out of bounds during search. Reads the whole file.
  bool check_contents = false;
};

// Maps `path` and returns an index whose arrays point into the mapping (kept
// alive by the index). Errors name the path and the field:
//   NotFound / PermissionDenied: the file cannot be opened;
//   FailedPrecondition: a sound file this process should not use -- "stale"
//     (its sequence number is not `expected_sequence_number`) or another
//     format version; rebuild it from the store;
//   DataLoss: truncated or damaged (bad magic, header checksum, sizes or
//     offsets out of bounds, section checksum with verify_checksums, bad
//     contents with check_contents).
// Never crashes on a bad file: every offset and size is bounds-checked
// before use.
absl::StatusOr<std::unique_ptr<SearchableIndex>> OpenMappedIndex(const std::string& path,
                                                                 uint64_t expected_sequence_number,
                                                                 const MappedIndexOptions& options = {});

// crc32c (Castagnoli) of `size` bytes, continuing from `crc` (0 to start);
// SSE4.2 instructions where the CPU has them. Exposed for tests.
uint32_t MappedIndexCrc32c(uint32_t crc, const void* data, size_t size);

}  // namespace lateral
