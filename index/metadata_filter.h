// Metadata filters over documents: equality, sets and numeric ranges.
//
// A MetadataFilter is a conjunction of clauses on document metadata fields
// (storage/collection_store.h: MetadataValue is a string or a double).
// MetadataColumns holds the metadata of every slot of a SearchableIndex in
// columnar form (strings dictionary-encoded, numbers as doubles) and turns a
// filter into a bitmap over slots, which search applies while generating
// candidates. Columns are immutable after Build; Evaluate is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/collection_store.h"

namespace lateral {

struct FilterClause {
  enum class Op { kEquals, kIn, kRange };
  std::string field;
  Op op = Op::kEquals;
  std::vector<MetadataValue> values;  // kEquals: one; kIn: one or more
  // kRange: numeric bounds; +-infinity when open on that side.
  double lower = 0, upper = 0;
  bool lower_inclusive = true, upper_inclusive = true;
  // kEquals/kIn, parsed filters: texts[i] is values[i] as written (a string's
  // content without quotes and escapes; a number's source text, e.g. "2020").
  // A document whose value is a string is compared with these, so `year = 2020`
  // also matches documents that stored year as the string "2020". Hand-built
  // clauses may leave it empty: numeric values then match numbers only.
  std::vector<std::string> texts = {};  // "= {}": brace-initialized clauses may omit it without a warning
};

struct MetadataFilter {
  std::vector<FilterClause> clauses;  // all must hold; empty matches everything
};

// Parses the CLI syntax, e.g.
//   lang=en AND year>=2000 AND year<2010 AND source IN (web, "old books")
// (the grammar is in the implementation). Errors are InvalidArgument and name
// the clause, e.g. `filter clause 2 ("year >> 3"): expected one of ...`.
absl::StatusOr<MetadataFilter> ParseMetadataFilter(absl::string_view text);

// Whether one document's metadata satisfies `filter`, with the semantics of
// MetadataColumns::Evaluate (which it uses), except that a field this
// document lacks simply does not match. For post-filtering a few hundred
// candidates (BM25 hits); use MetadataColumns for whole collections.
absl::StatusOr<bool> MatchesMetadata(const MetadataFilter& filter,
                                     const std::map<std::string, MetadataValue>& metadata);

class MetadataColumns {
 public:
  MetadataColumns() = default;
  // per_slot[s] is the metadata of slot s.
  static MetadataColumns Build(const std::vector<std::map<std::string, MetadataValue>>& per_slot);

  int64_t num_slots() const { return num_slots_; }
  // allowed[s] = 1 when slot s satisfies every clause. A field no document has
  // is an error naming it (a typo should not silently match nothing); a
  // document without the field does not match a clause on it.
  absl::StatusOr<std::vector<uint8_t>> Evaluate(const MetadataFilter& filter) const;
  size_t MemoryBytes() const;

 private:
  // A field's values over all slots. A field may hold strings in some
  // documents and numbers in others, so it has up to two columns; a column no
  // document uses stays empty (0 bytes).
  struct Field {
    // String column, dictionary-encoded: codes[s] is 0 when slot s has no
    // string value, else dictionary[value] (1-based) -- 0 as "absent" lets a
    // code lookup table be indexed without a branch.
    absl::flat_hash_map<std::string, uint32_t> dictionary;
    std::vector<uint32_t> codes;
    // Numeric column: NaN when slot s has no numeric value.
    std::vector<double> numbers;
  };

  int64_t num_slots_ = 0;
  absl::flat_hash_map<std::string, Field> fields_;
};

}  // namespace lateral
