#include "encoder/kernels/precision.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lateral {

const char* PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kF32:
      return "f32";
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
    case Precision::kQ4:
      return "q4";
  }
  return "unknown";
}

absl::StatusOr<Precision> ParsePrecision(std::string_view text) {
  if (text == "f32" || text == "fp32" || text == "float32") return Precision::kF32;
  if (text == "bf16" || text == "bfloat16") return Precision::kBf16;
  if (text == "int8" || text == "q8") return Precision::kInt8;
  if (text == "q4") return Precision::kQ4;
  return absl::InvalidArgumentError(
      absl::StrCat("precision must be f32, bf16, int8 or q4, not \"", std::string(text), "\""));
}

}  // namespace lateral
