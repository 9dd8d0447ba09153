#include "encoder/tokenizer/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

#include "absl/strings/str_cat.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral::tok {
namespace {

absl::Status IcuError(std::string_view what, UErrorCode status) {
  return absl::InternalError(Cat(what, " failed: ", u_errorName(status)));
}

class UnicodeNormalizer : public Normalizer {
 public:
  UnicodeNormalizer(const icu::Normalizer2* normalizer, const char* name)
      : normalizer_(normalizer), name_(name) {}

  absl::Status Normalize(std::string_view in, std::string* out) const override {
    out->clear();
    icu::StringByteSink<std::string> sink(out);
    UErrorCode status = U_ZERO_ERROR;
    normalizer_->normalizeUTF8(0, icu::StringPiece(in.data(), static_cast<int32_t>(in.size())),
                               sink, nullptr, status);
    if (U_FAILURE(status)) return IcuError(name_, status);
    return absl::OkStatus();
  }

 private:
  const icu::Normalizer2* normalizer_;  // owned by ICU, lives for the process
  const char* name_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  absl::Status Normalize(std::string_view in, std::string* out) const override {
    out->clear();
    icu::StringByteSink<std::string> sink(out);
    UErrorCode status = U_ZERO_ERROR;
    icu::CaseMap::utf8ToLower("", 0, icu::StringPiece(in.data(), static_cast<int32_t>(in.size())),
                              sink, nullptr, status);
    if (U_FAILURE(status)) return IcuError("Lowercase", status);
    return absl::OkStatus();
  }
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  absl::Status Normalize(std::string_view in, std::string* out) const override {
    out->clear();
    if (!in.empty()) out->append(prefix_);
    out->append(in);
    return absl::OkStatus();
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(std::string pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  absl::Status Normalize(std::string_view in, std::string* out) const override {
    out->clear();
    size_t pos = 0;
    while (true) {
      const size_t found = pattern_.empty() ? std::string_view::npos : in.find(pattern_, pos);
      if (found == std::string_view::npos) break;
      out->append(in.substr(pos, found - pos));
      out->append(content_);
      pos = found + pattern_.size();
    }
    out->append(in.substr(pos));
    return absl::OkStatus();
  }

 private:
  std::string pattern_;
  std::string content_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  absl::Status Normalize(std::string_view in, std::string* out) const override {
    std::string current(in), next;
    for (const auto& step : steps_) {
      absl::Status status = step->Normalize(current, &next);
      if (!status.ok()) return status;
      current.swap(next);
    }
    *out = std::move(current);
    return absl::OkStatus();
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Normalizer>> NewUnicodeNormalizer(UnicodeForm form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  const char* name = "";
  switch (form) {
    case UnicodeForm::kNfc:
      n = icu::Normalizer2::getNFCInstance(status);
      name = "NFC";
      break;
    case UnicodeForm::kNfd:
      n = icu::Normalizer2::getNFDInstance(status);
      name = "NFD";
      break;
    case UnicodeForm::kNfkc:
      n = icu::Normalizer2::getNFKCInstance(status);
      name = "NFKC";
      break;
    case UnicodeForm::kNfkd:
      n = icu::Normalizer2::getNFKDInstance(status);
      name = "NFKD";
      break;
  }
  if (U_FAILURE(status) || n == nullptr) return IcuError(name, status);
  return std::make_unique<UnicodeNormalizer>(n, name);
}

std::unique_ptr<Normalizer> NewLowercaseNormalizer() {
  return std::make_unique<LowercaseNormalizer>();
}
std::unique_ptr<Normalizer> NewPrependNormalizer(std::string prefix) {
  return std::make_unique<PrependNormalizer>(std::move(prefix));
}
std::unique_ptr<Normalizer> NewReplaceNormalizer(std::string pattern, std::string content) {
  return std::make_unique<ReplaceNormalizer>(std::move(pattern), std::move(content));
}
std::unique_ptr<Normalizer> NewSequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) {
  return std::make_unique<SequenceNormalizer>(std::move(steps));
}

}  // namespace lateral::tok
