#include "storage/posting_segment.h"

#include <algorithm>
#include <cassert>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "storage/bit_coding.h"
#include "storage/coding.h"

namespace lateral::storage {
namespace {

// Ids are < 2^16, so gaps are too: k never needs more than 16 bits.
constexpr int kMaxIdRiceParameter = 16;

void PutIdList(std::string* out, absl::Span<const uint16_t> ids) {
  PutVarint32(out, static_cast<uint32_t>(ids.size()));
  if (ids.empty()) return;
  std::vector<uint32_t> values;
  values.reserve(ids.size());
  values.push_back(ids[0]);
  for (size_t i = 1; i < ids.size(); ++i) {
    assert(ids[i] > ids[i - 1]);
    values.push_back(uint32_t{ids[i]} - ids[i - 1] - 1);  // ascending and distinct: gaps >= 1
  }
  const int k = ChooseRiceParameter(values, kMaxIdRiceParameter);
  out->push_back(static_cast<char>(k));
  BitWriter bits(out);
  for (uint32_t v : values) bits.WriteRice(v, k);
  bits.Finish();
}

// Reads one value front to back, with the offset of each failure.
class SegmentDecoder {
 public:
  SegmentDecoder(absl::string_view value, absl::string_view what) : value_(value), rest_(value), what_(what) {}

  absl::Status Error(absl::string_view detail) const {
    return absl::DataLossError(absl::StrCat(what_, ": corrupt value (", detail, " at byte ",
                                            value_.size() - rest_.size(), " of ", value_.size(), ")"));
  }

  absl::Status Kind(uint8_t* kind) {
    if (rest_.empty()) return Error("empty value");
    *kind = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return absl::OkStatus();
  }

  absl::Status IdList(absl::string_view name, std::vector<uint16_t>* ids) {
    ByteReader reader(rest_);
    uint32_t n;
    if (!reader.ReadVarint32(&n)) return Error(absl::StrCat("truncated ", name, " count"));
    rest_.remove_prefix(rest_.size() - reader.remaining());
    ids->clear();
    if (n == 0) return absl::OkStatus();
    if (n > kSegmentIdSpace) return Error(absl::StrCat(name, " count ", n, " exceeds ", kSegmentIdSpace));
    uint8_t k;
    if (!reader.ReadByte(&k)) return Error(absl::StrCat("truncated ", name, " Rice parameter"));
    rest_.remove_prefix(1);
    if (k > kMaxIdRiceParameter) return Error(absl::StrCat(name, " Rice parameter ", k, " exceeds 16"));
    // Each value takes at least k + 1 bits: check before allocating.
    if (uint64_t{n} * (k + 1) > uint64_t{rest_.size()} * 8) {
      return Error(absl::StrCat(name, " count ", n, " exceeds what the value holds"));
    }
    ids->reserve(n);
    BitReader bits(rest_);
    uint32_t id = 0;
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t v;
      if (!bits.ReadRice(k, &v)) return Error(absl::StrCat("truncated ", name, " (id ", i, " of ", n, ")"));
      const uint64_t next = i == 0 ? uint64_t{v} : uint64_t{id} + 1 + v;
      if (next >= kSegmentIdSpace) {
        return Error(absl::StrCat(name, " id ", i, " is ", next, ", beyond a 16-bit block"));
      }
      id = static_cast<uint32_t>(next);
      ids->push_back(static_cast<uint16_t>(id));
    }
    if (!bits.PaddingIsZero()) return Error(absl::StrCat("nonzero padding bits after the ", name));
    rest_.remove_prefix(bits.bytes_used());
    return absl::OkStatus();
  }

  absl::Status End() const {
    if (!rest_.empty()) return Error(absl::StrCat(rest_.size(), " trailing bytes"));
    return absl::OkStatus();
  }

  absl::string_view rest() const { return rest_; }

 private:
  absl::string_view value_;
  absl::string_view rest_;
  absl::string_view what_;
};

}  // namespace

std::string EncodeSegment(absl::Span<const uint16_t> ids) {
  std::string out(1, static_cast<char>(kSegmentKind));
  PutIdList(&out, ids);
  return out;
}

std::string EncodeEdit(const SegmentEdit& edit) {
  std::string out(1, static_cast<char>(kEditKind));
  PutIdList(&out, edit.removed);
  PutIdList(&out, edit.added);
  return out;
}

std::string EncodeFailedMerge(absl::string_view reason) {
  std::string out(1, static_cast<char>(kFailedMergeKind));
  out.append(reason.data(), reason.size());
  return out;
}

absl::StatusOr<std::vector<uint16_t>> DecodeSegment(absl::string_view value, absl::string_view what) {
  SegmentDecoder d(value, what);
  uint8_t kind = 0;
  if (absl::Status s = d.Kind(&kind); !s.ok()) return s;
  if (kind == kFailedMergeKind) {
    return absl::DataLossError(
        absl::StrCat(what, ": corrupt value (merging its updates failed: ", d.rest(), ")"));
  }
  if (kind != kSegmentKind) {
    return d.Error(absl::StrCat("segment kind ", kind, ", expected ", kSegmentKind));
  }
  std::vector<uint16_t> ids;
  if (absl::Status s = d.IdList("id list", &ids); !s.ok()) return s;
  if (absl::Status s = d.End(); !s.ok()) return s;
  return ids;
}

absl::StatusOr<SegmentEdit> DecodeEdit(absl::string_view value, absl::string_view what) {
  SegmentDecoder d(value, what);
  uint8_t kind = 0;
  if (absl::Status s = d.Kind(&kind); !s.ok()) return s;
  if (kind != kEditKind) return d.Error(absl::StrCat("operand kind ", kind, ", expected ", kEditKind));
  SegmentEdit edit;
  if (absl::Status s = d.IdList("removed list", &edit.removed); !s.ok()) return s;
  if (absl::Status s = d.IdList("added list", &edit.added); !s.ok()) return s;
  if (absl::Status s = d.End(); !s.ok()) return s;
  return edit;
}

bool IsEmptySegment(absl::string_view value) {
  return value.size() == 2 && value[0] == static_cast<char>(kSegmentKind) && value[1] == 0;
}

void ApplyEdit(absl::Span<const uint16_t> ids, const SegmentEdit& edit, std::vector<uint16_t>* out) {
  std::vector<uint16_t> kept;
  kept.reserve(ids.size());
  std::set_difference(ids.begin(), ids.end(), edit.removed.begin(), edit.removed.end(), std::back_inserter(kept));
  out->clear();
  out->reserve(kept.size() + edit.added.size());
  std::set_union(kept.begin(), kept.end(), edit.added.begin(), edit.added.end(), std::back_inserter(*out));
}

SegmentEdit CombineEdits(const SegmentEdit& first, const SegmentEdit& second) {
  // first then second: ((S \ r1) | a1) \ r2 | a2 = (S \ (r1 | r2)) | ((a1 \ r2) | a2).
  SegmentEdit combined;
  std::set_union(first.removed.begin(), first.removed.end(), second.removed.begin(), second.removed.end(),
                 std::back_inserter(combined.removed));
  std::vector<uint16_t> surviving;
  std::set_difference(first.added.begin(), first.added.end(), second.removed.begin(), second.removed.end(),
                      std::back_inserter(surviving));
  std::set_union(surviving.begin(), surviving.end(), second.added.begin(), second.added.end(),
                 std::back_inserter(combined.added));
  return combined;
}

}  // namespace lateral::storage
