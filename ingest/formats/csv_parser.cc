#include "ingest/formats/csv_parser.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lateral::ingest::formats_internal {

absl::StatusOr<bool> CsvParser::Next(CsvRecord* record) {
  while (pos_ < text_.size() && text_[pos_] == '\n') {
    ++pos_;
    ++line_;
  }
  if (pos_ >= text_.size()) return false;
  record->fields.clear();
  record->field_lines.clear();
  record->first_line = line_;
  while (true) {
    std::string field;
    record->field_lines.push_back(line_);
    bool quoted = false;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      auto read = ReadQuoted(&field);
      if (!read.ok()) return read.status();
      quoted = *read;
    }
    if (!quoted) ReadUnquoted(&field);
    record->fields.push_back(std::move(field));
    if (pos_ >= text_.size()) break;
    char c = text_[pos_++];
    if (c == '\n') {
      record->last_line = line_++;
      return true;
    }
    // c is the delimiter: another field follows (possibly empty, at the end of the text).
  }
  record->last_line = line_;
  return true;
}

absl::StatusOr<bool> CsvParser::ReadQuoted(std::string* field) {
  const size_t start = pos_;
  const int start_line = line_;
  size_t i = pos_ + 1;
  int line = line_;
  field->clear();
  // Lenient mode re-reads failed quoted fields as plain text; once that has cost a few passes
  // over the text, quotes are taken as plain text outright so hostile input stays linear.
  if (lenient_ && rescanned_bytes_ > 4 * text_.size() + (1 << 20)) return false;
  auto give_up = [&](size_t stop) {
    rescanned_bytes_ += stop - start;
    field->clear();
    return false;
  };
  while (true) {
    size_t quote = text_.find('"', i);
    size_t end = quote == std::string_view::npos ? text_.size() : quote;
    for (size_t k = i; k < end; ++k) line += text_[k] == '\n';
    field->append(text_.data() + i, end - i);
    if (quote == std::string_view::npos) {
      if (lenient_) return give_up(text_.size());
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ":", start_line, ": quoted field is never closed"));
    }
    if (quote + 1 < text_.size() && text_[quote + 1] == '"') {
      field->push_back('"');
      i = quote + 2;
      continue;
    }
    size_t after = quote + 1;
    if (after == text_.size() || text_[after] == delimiter_ || text_[after] == '\n') {
      pos_ = after;
      line_ = line;
      return true;
    }
    if (lenient_) return give_up(after);
    return absl::InvalidArgumentError(absl::StrCat(
        source_, ":", line, ": unexpected character after the closing quote of a field"));
  }
}

void CsvParser::ReadUnquoted(std::string* field) {
  size_t end = pos_;
  while (end < text_.size() && text_[end] != delimiter_ && text_[end] != '\n') ++end;
  field->assign(text_.data() + pos_, end - pos_);
  pos_ = end;
}

}  // namespace lateral::ingest::formats_internal
