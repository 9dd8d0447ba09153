#include "storage/rocksdb_lexical.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/env.h"
#include "storage/key_format.h"
#include "storage/lexical_segment.h"

namespace lateral::storage {
namespace {

absl::string_view AsView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

class LexicalSegmentMergeOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return kLexicalMergeOperatorName; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::vector<LexicalEntry> entries;
    if (in.existing_value != nullptr) {
      const absl::string_view base = AsView(*in.existing_value);
      if (!base.empty() && static_cast<uint8_t>(base[0]) == kLexicalFailedMergeKind) {
        // Once failed, a segment stays failed until the store is rebuilt.
        out->existing_operand = *in.existing_value;
        return true;
      }
      absl::StatusOr<std::vector<LexicalEntry>> decoded = DecodeLexicalSegment(base, "the stored segment");
      if (!decoded.ok()) return Fail(in, decoded.status(), out);
      entries = std::move(*decoded);
    }
    std::vector<LexicalEdit> edits;
    const size_t n = in.operand_list.size();
    edits.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<LexicalEdit> edit =
          DecodeLexicalEdit(AsView(in.operand_list[i]), absl::StrCat("update ", i + 1, " of ", n));
      if (!edit.ok()) return Fail(in, edit.status(), out);
      edits.push_back(std::move(*edit));
    }
    std::vector<LexicalEntry> merged;
    ApplyLexicalEdit(entries, CombineLexicalEdits(edits), &merged);
    out->new_value = EncodeLexicalSegment(merged);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    std::vector<LexicalEdit> edits;
    edits.reserve(operands.size());
    for (const rocksdb::Slice& operand : operands) {
      absl::StatusOr<LexicalEdit> edit = DecodeLexicalEdit(AsView(operand), "update");
      if (!edit.ok()) return false;  // FullMergeV2 reports it
      edits.push_back(std::move(*edit));
    }
    *new_value = EncodeLexicalEdit(CombineLexicalEdits(edits));
    return true;
  }

 private:
  static bool Fail(const MergeOperationInput& in, const absl::Status& status, MergeOperationOutput* out) {
    const std::string key = DescribeLexicalSegmentKey(AsView(in.key));
    if (in.logger != nullptr) {
      rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, in.logger, "lateral: %s: merge failed: %s", key.c_str(),
                   std::string(status.message()).c_str());
    }
    out->new_value = EncodeLexicalFailedMerge(status.message());
    return true;
  }
};

class DropEmptyLexicalSegments final : public rocksdb::CompactionFilter {
 public:
  const char* Name() const override { return kLexicalCompactionFilterName; }
  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& existing_value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    return IsEmptyLexicalSegment(AsView(existing_value));
  }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> LexicalMergeOperator() {
  static const std::shared_ptr<rocksdb::MergeOperator>* op =
      new std::shared_ptr<rocksdb::MergeOperator>(std::make_shared<LexicalSegmentMergeOperator>());
  return *op;
}

const rocksdb::CompactionFilter* LexicalCompactionFilter() {
  static const DropEmptyLexicalSegments* filter = new DropEmptyLexicalSegments();
  return filter;
}

}  // namespace lateral::storage
