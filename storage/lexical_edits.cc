#include "storage/lexical_edits.h"

#include <algorithm>
#include <array>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/key_format.h"

namespace lateral::storage {

absl::Status ValidateLexicalTerms(const LexicalTerms& terms, absl::string_view who) {
  uint64_t sum = 0;
  absl::flat_hash_set<absl::string_view> seen;
  seen.reserve(terms.term_frequencies.size());
  for (size_t i = 0; i < terms.term_frequencies.size(); ++i) {
    const auto& [term, tf] = terms.term_frequencies[i];
    const std::string where = absl::StrCat(who, ": lexical term ", i);
    if (term.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " is empty"));
    const std::string shown = absl::StrCat(" \"", absl::CEscape(term.substr(0, 64)), "\"");
    if (term.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, shown, " holds a NUL byte"));
    }
    if (term.size() > kMaxTermBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, shown, " is ", term.size(), " bytes long; the limit is ", kMaxTermBytes));
    }
    if (tf == 0) return absl::InvalidArgumentError(absl::StrCat(where, shown, " has frequency 0"));
    if (!seen.insert(term).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, shown, " appears twice in the document"));
    }
    sum += tf;
  }
  if (sum != terms.length) {
    return absl::InvalidArgumentError(absl::StrCat(who, ": lexical length ", terms.length,
                                                   " is not the sum of the term frequencies (", sum, ")"));
  }
  return absl::OkStatus();
}

void LexicalEdits::Add(const LexicalTerms& terms, uint32_t doc_id) {
  operations_.push_back(Operation{&terms, doc_id, /*remove=*/false});
}

void LexicalEdits::Remove(LexicalTerms terms, uint32_t doc_id) {
  removed_terms_.push_back(std::move(terms));
  operations_.push_back(Operation{&removed_terms_.back(), doc_id, /*remove=*/true});
}

namespace {

// A (term, block) segment named by a view of a term owned by an operation's
// LexicalTerms, with the term's hash computed once.
struct SegmentRef {
  absl::string_view term;
  uint32_t block;
  size_t term_hash;
};

struct SegmentRefHash {
  size_t operator()(const SegmentRef& s) const { return absl::HashOf(s.term_hash, s.block); }
};

struct SegmentRefEq {
  bool operator()(const SegmentRef& a, const SegmentRef& b) const {
    return a.block == b.block && a.term == b.term;
  }
};

constexpr size_t kShards = 16;
// A term's shard: high bits, which the maps' own hashing does not favour.
size_t ShardOf(size_t term_hash) { return (term_hash >> 56) % kShards; }

}  // namespace

rocksdb::Status LexicalEdits::AddTo(rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch) {
  // 1. Hash every occurrence once, in parallel over operations, and bucket
  //    it by shard (per thread, so no locks).
  struct Occurrence {
    uint32_t operation;
    uint32_t term;
    size_t hash;
  };
  using Buckets = std::array<std::vector<Occurrence>, kShards>;
  tbb::enumerable_thread_specific<Buckets> buckets;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, operations_.size()), [&](const tbb::blocked_range<size_t>& range) {
    Buckets& mine = buckets.local();
    for (size_t i = range.begin(); i != range.end(); ++i) {
      const auto& terms = operations_[i].terms->term_frequencies;
      for (size_t t = 0; t < terms.size(); ++t) {
        const size_t hash = absl::HashOf(absl::string_view(terms[t].first));
        mine[ShardOf(hash)].push_back(Occurrence{static_cast<uint32_t>(i), static_cast<uint32_t>(t), hash});
      }
    }
  });
  // 2. Group each shard's occurrences by segment and encode the operands, one
  //    task per shard. Entries are sorted afterwards, so bucket order does not
  //    matter.
  using SegmentMap = absl::flat_hash_map<SegmentRef, LexicalEdit, SegmentRefHash, SegmentRefEq>;
  std::vector<std::vector<std::pair<std::string, std::string>>> merges(kShards);
  tbb::parallel_for(size_t{0}, kShards, [&](size_t shard) {
    SegmentMap segments;
    for (const Buckets& thread_buckets : buckets) {
      for (const Occurrence& o : thread_buckets[shard]) {
        const Operation& op = operations_[o.operation];
        const auto& [term, tf] = op.terms->term_frequencies[o.term];
        LexicalEdit& edit = segments[SegmentRef{term, BlockOf(op.doc_id), o.hash}];
        if (op.remove) {
          edit.removed.push_back(LowBitsOf(op.doc_id));
        } else {
          edit.added.push_back(LexicalEntry{LowBitsOf(op.doc_id), tf, op.terms->length});
        }
      }
    }
    std::vector<std::pair<std::string, std::string>>& out = merges[shard];
    out.reserve(segments.size());
    for (auto& [segment, edit] : segments) {
      // A document may be removed and re-added in one write.
      std::sort(edit.removed.begin(), edit.removed.end());
      edit.removed.erase(std::unique(edit.removed.begin(), edit.removed.end()), edit.removed.end());
      std::sort(edit.added.begin(), edit.added.end(),
                [](const LexicalEntry& a, const LexicalEntry& b) { return a.id < b.id; });
      out.emplace_back(LexicalSegmentKey(segment.term, segment.block), EncodeLexicalEdit(edit));
    }
    // The memtable inserts keys in ascending runs much faster (its skip
    // list reuses the last insertion point), and this sort runs in parallel.
    std::sort(out.begin(), out.end());
  });
  for (const auto& shard : merges) {
    for (const auto& [key, value] : shard) {
      rocksdb::Status s = batch->Merge(family, key, value);
      if (!s.ok()) return s;
    }
  }
  return rocksdb::Status::OK();
}

}  // namespace lateral::storage
