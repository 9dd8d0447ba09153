// storage/ private header: the RocksDB plumbing of the lexical_postings
// column family (values: lexical_segment.h).
//
// Like the centroid postings (rocksdb_postings.h), lexical segments are
// written only through Merge, so an Apply adds its changes to its one
// WriteBatch without reading the segments:
//   - the merge operator "lateral.lexical_postings.v1" applies edit operands,
//     oldest first, to the stored segment (or the empty set). All operands of
//     one merge are first combined into one edit (the last event of each id
//     wins), so a read that meets many pending operands costs
//     O(segment + operands log operands), not O(segment x operands).
//     Malformed input yields a "failed merge" value, reported as DataLoss by
//     readers, instead of failing the merge (which would stop all writes);
//   - the compaction filter "lateral.lexical_postings.drop_empty" drops
//     segments that became empty; readers skip them meanwhile.
// MakeFamilyOptions installs both on every open; anything opening a store
// with raw RocksDB must install LexicalMergeOperator() on lexical_postings.
#pragma once

#include <memory>

#include "rocksdb/compaction_filter.h"
#include "rocksdb/merge_operator.h"

namespace lateral::storage {

inline constexpr char kLexicalMergeOperatorName[] = "lateral.lexical_postings.v1";
inline constexpr char kLexicalCompactionFilterName[] = "lateral.lexical_postings.drop_empty";

// Stateless and thread-safe; one instance serves every store.
std::shared_ptr<rocksdb::MergeOperator> LexicalMergeOperator();
// Stateless and thread-safe; lives for the whole process.
const rocksdb::CompactionFilter* LexicalCompactionFilter();

}  // namespace lateral::storage
