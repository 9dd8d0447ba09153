// storage/ private header: the values of the postings column family.
//
// The postings of one centroid are split by doc id block (doc_id >> 16): key
// be32 centroid | be32 block (key_format.h), value a *segment*, the sorted low
// 16 bits of the block's doc ids. Segments are never Put: every write is a
// RocksDB Merge of an *edit* operand (ids to remove, ids to add), which the
// postings merge operator (rocksdb_postings.h) applies to the segment. Pure
// functions over bytes, like record_codec.h, so they are easy to test and fuzz.
//
//   Segment   u8:kind=1 IdList                      the ids, ascending
//   Edit      u8:kind=2 IdList:removed IdList:added set = (set \ removed) | added
//   Failed    u8:kind=0xFF bytes:reason             a merge met malformed input
//   IdList    varint:n                              n <= 65536
//             [n > 0: u8:k (0..16), Rice(k) bits: the first id, then each
//              gap - 1; zero bits to the next byte boundary]
//
// The Rice parameter is chosen per list (bit_coding.h). An empty segment
// ("\x01\x00") means no postings: readers skip it, and a compaction filter
// drops it (rocksdb_postings.h). "Failed" is what the merge operator writes
// when an operand or the stored segment does not decode, instead of failing
// the merge (which would fail every compaction of the family and stop all
// writes): readers then report DataLoss for that key, with the reason.
//
// Decoders never read past the input, allocate at most what the input can
// describe, reject trailing bytes and nonzero padding bits, and return
// DataLoss naming `what` (the store path and key) on malformed input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace lateral::storage {

constexpr uint8_t kSegmentKind = 1;
constexpr uint8_t kEditKind = 2;
constexpr uint8_t kFailedMergeKind = 0xFF;
// Ids per segment: the low 16 bits of a doc id.
constexpr uint32_t kSegmentIdSpace = uint32_t{1} << 16;

// One merge operand: applied as set = (set \ removed) | added, in that order.
struct SegmentEdit {
  std::vector<uint16_t> removed;  // ascending, distinct
  std::vector<uint16_t> added;    // ascending, distinct
};

// REQUIRES: ids ascending and distinct (checked by a debug assertion).
std::string EncodeSegment(absl::Span<const uint16_t> ids);
std::string EncodeEdit(const SegmentEdit& edit);
// The value the merge operator writes when it cannot apply its inputs.
std::string EncodeFailedMerge(absl::string_view reason);

// A stored (merged) segment: its ids, ascending. DataLoss for anything else,
// including a failed merge (with its reason) and an edit operand.
absl::StatusOr<std::vector<uint16_t>> DecodeSegment(absl::string_view value, absl::string_view what);
absl::StatusOr<SegmentEdit> DecodeEdit(absl::string_view value, absl::string_view what);

// The canonical empty segment, which the compaction filter drops.
bool IsEmptySegment(absl::string_view value);

// (ids \ edit.removed) | edit.added, into *out (which must not alias ids).
void ApplyEdit(absl::Span<const uint16_t> ids, const SegmentEdit& edit, std::vector<uint16_t>* out);
// The one edit equal to applying `first`, then `second`.
SegmentEdit CombineEdits(const SegmentEdit& first, const SegmentEdit& second);

}  // namespace lateral::storage
