#include "storage/rocksdb_postings.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/env.h"
#include "storage/key_format.h"
#include "storage/posting_segment.h"

namespace lateral::storage {
namespace {

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

class SegmentMergeOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return kPostingsMergeOperatorName; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::vector<uint16_t> ids;
    if (in.existing_value != nullptr) {
      const absl::string_view base = View(*in.existing_value);
      if (!base.empty() && static_cast<uint8_t>(base[0]) == kFailedMergeKind) {
        // Once failed, a segment stays failed (with its first reason) until
        // the store is rebuilt: applying edits to a guess would hide the loss.
        out->existing_operand = *in.existing_value;
        return true;
      }
      absl::StatusOr<std::vector<uint16_t>> decoded = DecodeSegment(base, "the stored segment");
      if (!decoded.ok()) return Fail(in, decoded.status(), out);
      ids = std::move(*decoded);
    }
    std::vector<uint16_t> next;
    const size_t n = in.operand_list.size();
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<SegmentEdit> edit =
          DecodeEdit(View(in.operand_list[i]), absl::StrCat("update ", i + 1, " of ", n));
      if (!edit.ok()) return Fail(in, edit.status(), out);
      ApplyEdit(ids, *edit, &next);
      ids.swap(next);
    }
    out->new_value = EncodeSegment(ids);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    SegmentEdit combined;
    bool first = true;
    for (const rocksdb::Slice& operand : operands) {
      absl::StatusOr<SegmentEdit> edit = DecodeEdit(View(operand), "update");
      // Leave malformed operands to FullMergeV2, which reports them.
      if (!edit.ok()) return false;
      combined = first ? std::move(*edit) : CombineEdits(combined, *edit);
      first = false;
    }
    *new_value = EncodeEdit(combined);
    return true;
  }

 private:
  static bool Fail(const MergeOperationInput& in, const absl::Status& status, MergeOperationOutput* out) {
    const std::string key = DescribeSegmentKey(View(in.key));
    if (in.logger != nullptr) {
      rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, in.logger, "lateral: %s: merge failed: %s", key.c_str(),
                   std::string(status.message()).c_str());
    }
    out->new_value = EncodeFailedMerge(status.message());
    return true;
  }
};

class DropEmptySegments final : public rocksdb::CompactionFilter {
 public:
  const char* Name() const override { return kPostingsCompactionFilterName; }
  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& existing_value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    return IsEmptySegment(View(existing_value));
  }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> PostingsMergeOperator() {
  static const std::shared_ptr<rocksdb::MergeOperator>* op =
      new std::shared_ptr<rocksdb::MergeOperator>(std::make_shared<SegmentMergeOperator>());
  return *op;
}

const rocksdb::CompactionFilter* PostingsCompactionFilter() {
  static const DropEmptySegments* filter = new DropEmptySegments();
  return filter;
}

}  // namespace lateral::storage
