// storage/ private header: the RocksDB plumbing of the postings column family.
//
// Postings are segments (posting_segment.h) updated only through Merge, so an
// Upsert or Delete adds its postings changes to its one WriteBatch without
// reading the segments first (no read-modify-write, no race with compaction):
//
//   - the merge operator "lateral.postings.v1" applies edit operands, oldest
//     first, to the stored segment (or to the empty set when there is none),
//     and combines consecutive operands into one (PartialMergeMulti), which is
//     always possible for set edits. Malformed input does not fail the merge
//     (a failed merge in a compaction would stop all writes to the store): it
//     yields a "failed merge" value that readers report as DataLoss;
//   - the compaction filter "lateral.postings.drop_empty" removes segments
//     that became empty (all their documents deleted). RocksDB does not run a
//     compaction filter on the result of a merge, so an emptied segment goes
//     at the compaction after the one that merged it; readers skip empty
//     segments meanwhile (and CollectionStore::Compact compacts the postings
//     twice).
//
// MakeFamilyOptions (rocksdb_options.h) installs both on every open of a
// store, so a store cannot be opened through our API without them. Without
// the operator, RocksDB 7.8.3 refuses to read or write merges ("merge_operator
// is not properly initialized") and, worse, silently drops the merges it
// recovers from the WAL: anything that opens a store with raw RocksDB (tests,
// tools) must install PostingsMergeOperator() on the postings family.
#pragma once

#include <memory>

#include "rocksdb/compaction_filter.h"
#include "rocksdb/merge_operator.h"

namespace lateral::storage {

inline constexpr char kPostingsMergeOperatorName[] = "lateral.postings.v1";
inline constexpr char kPostingsCompactionFilterName[] = "lateral.postings.drop_empty";

// Stateless and thread-safe; one instance serves every store.
std::shared_ptr<rocksdb::MergeOperator> PostingsMergeOperator();
// Stateless and thread-safe; lives for the whole process, as RocksDB requires
// of ColumnFamilyOptions::compaction_filter.
const rocksdb::CompactionFilter* PostingsCompactionFilter();

}  // namespace lateral::storage
