#include "storage/lexical_edits.h"

#include <algorithm>
#include <vector>

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
  // 1. Hash every occurrence once, in parallel over operations.
  std::vector<std::vector<size_t>> hashes(operations_.size());
  tbb::parallel_for(size_t{0}, operations_.size(), [&](size_t i) {
    const auto& terms = operations_[i].terms->term_frequencies;
    hashes[i].resize(terms.size());
    for (size_t t = 0; t < terms.size(); ++t) hashes[i][t] = absl::HashOf(absl::string_view(terms[t].first));
  });
  // 2. Group by segment, one task per shard; each scans the occurrences in
  //    operation order, so `added` stays in id order as documents are added.
  using SegmentMap = absl::flat_hash_map<SegmentRef, LexicalEdit, SegmentRefHash, SegmentRefEq>;
  std::vector<std::vector<std::pair<std::string, std::string>>> merges(kShards);
  tbb::parallel_for(size_t{0}, kShards, [&](size_t shard) {
    SegmentMap segments;
    for (size_t i = 0; i < operations_.size(); ++i) {
      const Operation& op = operations_[i];
      const auto& terms = op.terms->term_frequencies;
      for (size_t t = 0; t < terms.size(); ++t) {
        if (ShardOf(hashes[i][t]) != shard) continue;
        LexicalEdit& edit = segments[SegmentRef{terms[t].first, BlockOf(op.doc_id), hashes[i][t]}];
        if (op.remove) {
          edit.removed.push_back(LowBitsOf(op.doc_id));
        } else {
          edit.added.push_back(LexicalEntry{LowBitsOf(op.doc_id), terms[t].second, op.terms->length});
        }
      }
    }
    // 3. Encode each segment's operand in the same task.
    std::vector<std::pair<std::string, std::string>>& out = merges[shard];
    out.reserve(segments.size());
    for (auto& [segment, edit] : segments) {
      // Removals come in the caller's order, and a document may be removed
      // and re-added in one write.
      std::sort(edit.removed.begin(), edit.removed.end());
      edit.removed.erase(std::unique(edit.removed.begin(), edit.removed.end()), edit.removed.end());
      std::sort(edit.added.begin(), edit.added.end(),
                [](const LexicalEntry& a, const LexicalEntry& b) { return a.id < b.id; });
      out.emplace_back(LexicalSegmentKey(segment.term, segment.block), EncodeLexicalEdit(edit));
    }
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
