// storage/ private header: the values of the lexical_postings column family.
//
// The postings of one term are split by doc id block (doc_id >> 16), like the
// centroid postings: key term | 0x00 | be32 block (key_format.h), value a
// *segment*, the block's postings by ascending doc id, each with the term's
// frequency in the document and the document's length, so that BM25 needs no
// second lookup. Segments are never Put: every write is a RocksDB Merge of an
// *edit* (ids to remove, postings to add), applied by the merge operator
// "lateral.lexical_postings.v1" (rocksdb_lexical.h). Pure functions over
// bytes, easy to test and fuzz.
//
//   Segment   u8:kind=1 Entries                      the postings, ascending
//   Edit      u8:kind=2 varint:n_removed n_removed x varint:gap
//             Entries:added                          set = (set \ removed) | added
//   Failed    u8:kind=0xFF bytes:reason              a merge met malformed input
//   Entries   varint:n (<= 65536)
//             n x { varint:gap varint:tf varint:doc_length }
//   gap       the first id, then each id - previous id - 1 (ids ascending,
//             distinct, < 65536: the low 16 bits of the doc id)
//
// Varints (LEB128) rather than bit codes: decoding must run at ~10^8 postings
// per second (a query term with 50k postings well under a millisecond), and a
// one-byte varint is one load and one compare; most gaps and frequencies are
// one byte, lengths one or two. A posting takes ~4 bytes.
//
// Decoders never read past the input, allocate at most what the input can
// describe (each entry takes >= 3 bytes), reject trailing bytes, a frequency
// of 0 or a length below the frequency, and return DataLoss naming `what`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/lexical_types.h"

namespace lateral::storage {

constexpr uint8_t kLexicalSegmentKind = 1;
constexpr uint8_t kLexicalEditKind = 2;
constexpr uint8_t kLexicalFailedMergeKind = 0xFF;

// One posting within a block: the low 16 bits of its doc id.
struct LexicalEntry {
  uint16_t id = 0;
  uint32_t term_frequency = 0;
  uint32_t doc_length = 0;
  bool operator==(const LexicalEntry&) const = default;
};

struct LexicalEdit {
  std::vector<uint16_t> removed;      // ascending, distinct
  std::vector<LexicalEntry> added;    // ascending by id, distinct
};

// REQUIRES: entries ascending and distinct by id, tf >= 1, doc_length >= tf.
std::string EncodeLexicalSegment(absl::Span<const LexicalEntry> entries);
std::string EncodeLexicalEdit(const LexicalEdit& edit);
std::string EncodeLexicalFailedMerge(absl::string_view reason);

// A stored (merged) segment. DataLoss for anything else, including a failed
// merge (with its reason) and an edit operand.
absl::StatusOr<std::vector<LexicalEntry>> DecodeLexicalSegment(absl::string_view value, absl::string_view what);
// The same, appending the postings of block `block` to *out as full doc ids:
// the read path of a query. On error *out holds a prefix of the postings.
absl::Status DecodeLexicalSegmentInto(absl::string_view value, uint32_t block, absl::string_view what,
                                      std::vector<LexicalPosting>* out);
absl::StatusOr<LexicalEdit> DecodeLexicalEdit(absl::string_view value, absl::string_view what);

// The canonical empty segment ("\x01\x00"), which the compaction filter drops.
bool IsEmptyLexicalSegment(absl::string_view value);

// The one edit equal to applying `edits` in order.
LexicalEdit CombineLexicalEdits(absl::Span<const LexicalEdit> edits);
// (entries \ edit.removed) | edit.added (an added id replaces a kept one),
// into *out (which must not alias entries).
void ApplyLexicalEdit(absl::Span<const LexicalEntry> entries, const LexicalEdit& edit,
                      std::vector<LexicalEntry>* out);

}  // namespace lateral::storage
