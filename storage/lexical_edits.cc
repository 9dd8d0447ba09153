#include "storage/lexical_edits.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
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
  for (const auto& [term, tf] : terms.term_frequencies) {
    edits_[LexicalSegmentKey(term, BlockOf(doc_id))].added.push_back(
        LexicalEntry{LowBitsOf(doc_id), tf, terms.length});
  }
}

void LexicalEdits::Remove(const LexicalTerms& terms, uint32_t doc_id) {
  for (const auto& [term, tf] : terms.term_frequencies) {
    edits_[LexicalSegmentKey(term, BlockOf(doc_id))].removed.push_back(LowBitsOf(doc_id));
  }
}

rocksdb::Status LexicalEdits::AddTo(rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch) {
  std::vector<std::string*> keys;
  keys.reserve(edits_.size());
  for (auto& [key, edit] : edits_) keys.push_back(const_cast<std::string*>(&key));
  std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* key : keys) {
    LexicalEdit& edit = edits_[*key];
    // New documents come in id order, removals in the caller's order.
    std::sort(edit.removed.begin(), edit.removed.end());
    edit.removed.erase(std::unique(edit.removed.begin(), edit.removed.end()), edit.removed.end());
    std::sort(edit.added.begin(), edit.added.end(),
              [](const LexicalEntry& a, const LexicalEntry& b) { return a.id < b.id; });
    rocksdb::Status s = batch->Merge(family, *key, EncodeLexicalEdit(edit));
    if (!s.ok()) return s;
  }
  return rocksdb::Status::OK();
}

}  // namespace lateral::storage
