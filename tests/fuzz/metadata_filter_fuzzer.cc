// Arbitrary bytes as a metadata filter: parsing must fail with an
// InvalidArgument that names a clause, or yield clauses the evaluator accepts
// and that match the documents built from their own values.
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "index/metadata_filter.h"

namespace {

bool IsFieldName(const std::string& name) {
  if (name.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(name[0]);
  if (!std::isalpha(first) && first != '_') return false;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto filter = lateral::ParseMetadataFilter(text);
  if (!filter.ok()) {
    if (filter.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    const absl::string_view message = filter.status().message();
    if (message != "empty filter" && !absl::StartsWith(message, "filter clause ")) std::abort();
    // Quoted clause text is elided, so the message stays short whatever the input.
    if (message.size() > 1000) std::abort();
    return 0;
  }
  if (filter->clauses.empty()) std::abort();

  // One document per literal (its value under the clause's field, and its text
  // as a string) plus one per finite range bound and one empty document.
  std::vector<std::map<std::string, lateral::MetadataValue>> docs(1);
  for (const lateral::FilterClause& c : filter->clauses) {
    if (!IsFieldName(c.field)) std::abort();
    if (c.op == lateral::FilterClause::Op::kRange) {
      if (!c.values.empty() || std::isnan(c.lower) || std::isnan(c.upper)) std::abort();
      // Exactly one side is bounded, and by a finite number.
      if (std::isfinite(c.lower) == std::isfinite(c.upper)) std::abort();
      docs.push_back({{c.field, std::isfinite(c.lower) ? c.lower : c.upper}});
      continue;
    }
    if (c.values.empty() || c.texts.size() != c.values.size()) std::abort();
    if (c.op == lateral::FilterClause::Op::kEquals && c.values.size() != 1) std::abort();
    for (size_t i = 0; i < c.values.size(); ++i) {
      if (const double* x = std::get_if<double>(&c.values[i]); x != nullptr && !std::isfinite(*x)) std::abort();
      docs.push_back({{c.field, c.values[i]}});
      docs.push_back({{c.field, c.texts[i]}});
    }
  }
  const lateral::MetadataColumns columns = lateral::MetadataColumns::Build(docs);
  auto allowed = columns.Evaluate(*filter);
  if (!allowed.ok()) std::abort();  // every field is present
  if (allowed->size() != docs.size() || (*allowed)[0] != 0) std::abort();
  for (uint8_t a : *allowed) {
    if (a > 1) std::abort();
  }
  // With one clause, the documents made from its own values must match
  // (a range's document sits on its bound, which is inside unless exclusive).
  if (filter->clauses.size() == 1) {
    const lateral::FilterClause& c = filter->clauses[0];
    const bool bound_included = c.op != lateral::FilterClause::Op::kRange ||
                                (std::isfinite(c.lower) ? c.lower_inclusive : c.upper_inclusive);
    for (size_t d = 1; d < docs.size(); ++d) {
      if ((*allowed)[d] != (bound_included ? 1 : 0)) std::abort();
    }
  }
  return 0;
}
