#include "encoder/tokenizer/regex_splitter.h"

#include <unicode/parseerr.h>
#include <unicode/regex.h>
#include <unicode/utext.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral::tok {
namespace {

class IcuRegexSplitter : public Splitter {
 public:
  explicit IcuRegexSplitter(std::unique_ptr<icu::RegexPattern> pattern)
      : pattern_(std::move(pattern)) {}

  absl::Status FindMatches(std::string_view text,
                           std::vector<MatchRange>* matches) const override {
    if (text.empty()) return absl::OkStatus();
    UErrorCode status = U_ZERO_ERROR;
    // RegexPattern is immutable and shared; each call gets its own matcher.
    std::unique_ptr<icu::RegexMatcher> matcher(pattern_->matcher(status));
    if (U_FAILURE(status)) return Failed("creating a matcher", status);
    UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
    if (U_FAILURE(status)) {
      utext_close(utext);
      return Failed("opening the text", status);
    }
    matcher->reset(utext);
    while (matcher->find(status)) {
      const int64_t begin = matcher->start64(status);
      const int64_t end = matcher->end64(status);
      if (U_FAILURE(status)) break;
      matches->push_back(MatchRange{static_cast<size_t>(begin), static_cast<size_t>(end)});
    }
    // The matcher keeps a pointer to the UText; release it first.
    matcher.reset();
    utext_close(utext);
    if (U_FAILURE(status)) return Failed("matching", status);
    return absl::OkStatus();
  }

 private:
  static absl::Status Failed(std::string_view what, UErrorCode status) {
    return absl::ResourceExhaustedError(
        Cat("ICU regex split: ", what, " failed: ", u_errorName(status)));
  }

  std::unique_ptr<icu::RegexPattern> pattern_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Splitter>> NewIcuRegexSplitter(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(pattern.data(), static_cast<int32_t>(pattern.size())));
  std::unique_ptr<icu::RegexPattern> compiled(
      icu::RegexPattern::compile(source, 0, parse_error, status));
  if (U_FAILURE(status) || compiled == nullptr) {
    return absl::InvalidArgumentError(Cat(
        "invalid regex: ", u_errorName(status), " at line ", parse_error.line, ", offset ",
        parse_error.offset, " (UTF-16 units)"));
  }
  return std::make_unique<IcuRegexSplitter>(std::move(compiled));
}

}  // namespace lateral::tok
