// storage/ private header: the lexical side of a write, before it is written.
//
// ValidateLexicalTerms checks what a document brings to the lexical index
// (the store's rules, CollectionStore::Apply). LexicalEdits gathers the
// lexical postings changes of one WriteBatch, one edit per (term, block)
// segment, so that each segment gets a single merge operand per batch; the
// store adds a document's postings when it writes it and removes them (from
// its stored terms) when it deletes or replaces it.
//
// Grouping is most of a large write's serial CPU time (a group of 8,192
// passages brings ~1M term occurrences), and the ingest pipeline calls Apply
// from its one ordered stage, so AddTo groups in parallel: the occurrences
// are hashed and bucketed by shard in parallel, then one task per shard
// groups its terms into segments and encodes their operands. Add and Remove
// only record what to do.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/write_batch.h"
#include "storage/lexical_segment.h"
#include "storage/lexical_types.h"

namespace lateral::storage {

// InvalidArgument naming `who` (e.g. "/data/c1: document \"a\"") for: an
// empty term, a term with a NUL byte or longer than 255 bytes, a term given
// twice, a frequency 0, or a length other than the sum of the frequencies.
absl::Status ValidateLexicalTerms(const LexicalTerms& terms, absl::string_view who);

class LexicalEdits {
 public:
  // Adds the postings of a new document. REQUIRES: `terms` outlives AddTo
  // (the store passes the write's own documents, which live through Apply).
  void Add(const LexicalTerms& terms, uint32_t doc_id);
  // Removes a stored document's postings; takes the terms read back from the
  // store, which nobody else keeps.
  void Remove(LexicalTerms terms, uint32_t doc_id);
  bool empty() const { return operations_.empty(); }

  // Adds one Merge per segment to `batch`, shard by shard, in key order
  // within a shard. Call once.
  rocksdb::Status AddTo(rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch);

 private:
  struct Operation {
    const LexicalTerms* terms;
    uint32_t doc_id;
    bool remove;
  };
  std::vector<Operation> operations_;
  std::deque<LexicalTerms> removed_terms_;  // stable addresses for Remove's terms
};

}  // namespace lateral::storage
