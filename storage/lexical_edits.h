// storage/ private header: the lexical side of a write, before it is written.
//
// ValidateLexicalTerms checks what a document brings to the lexical index
// (the store's rules, CollectionStore::Apply). LexicalEdits gathers the
// lexical postings changes of one WriteBatch, one edit per (term, block)
// segment, so that each segment gets a single merge operand per batch; the
// store adds a document's postings when it writes it and removes them (from
// its stored terms) when it deletes or replaces it.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
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
  void Add(const LexicalTerms& terms, uint32_t doc_id);
  void Remove(const LexicalTerms& terms, uint32_t doc_id);
  bool empty() const { return edits_.empty(); }

  // Adds one Merge per segment to `batch`, in key order.
  rocksdb::Status AddTo(rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch);

 private:
  absl::flat_hash_map<std::string, LexicalEdit> edits_;  // segment key -> edit
};

}  // namespace lateral::storage
