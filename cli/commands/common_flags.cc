#include "cli/commands/common_flags.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "cli/hub/model_locator.h"
#include "common/status_macros.h"

namespace lateral::cli {

absl::StatusOr<std::string> ModelDirFlag(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string spec, RequiredFlag(flags, "model"));
  std::error_code ec;
  if (std::filesystem::is_directory(spec, ec)) return spec;
  return ResolveModelPath(spec);
}


absl::StatusOr<std::string> RequiredFlag(const ParsedFlags& flags, const std::string& name) {
  std::optional<std::string> v = flags.Get(name);
  if (!v.has_value() || v->empty()) return UsageError(absl::StrCat("--", name, " is required"));
  return *v;
}

FlagSpec RopeFrequenciesFlag() {
  return {"rope-frequencies", true,
          "bf16 (default: as transformers after casting the model to bf16) or f32", "bf16|f32"};
}

FlagSpec PrecisionFlag() {
  return {"precision", true,
          "weights as f32 (the reference), bf16 (as shipped; the default for bf16 checkpoints on CPUs with "
          "AVX512-BF16) or int8 (quantised at load: fastest, approximate)",
          "f32|bf16|int8"};
}

absl::StatusOr<std::optional<Precision>> PrecisionFromFlags(const ParsedFlags& flags) {
  std::optional<std::string> value = flags.Get("precision");
  if (!value.has_value()) return std::optional<Precision>();
  absl::StatusOr<Precision> precision = ParsePrecision(*value);
  if (!precision.ok()) return UsageError(absl::StrCat("--precision: ", precision.status().message()));
  return std::optional<Precision>(*precision);
}

absl::StatusOr<ModelLoadOptions> ModelOptionsFromFlags(const ParsedFlags& flags) {
  ModelLoadOptions options;
  LATERAL_ASSIGN_OR_RETURN(options.precision, PrecisionFromFlags(flags));
  const std::string rope = flags.GetOr("rope-frequencies", "bf16");
  if (rope == "bf16") {
    options.rope_frequencies = RopeFrequencies::kBf16Rounded;
  } else if (rope == "f32") {
    options.rope_frequencies = RopeFrequencies::kFloat32;
  } else {
    return UsageError(absl::StrCat("--rope-frequencies must be bf16 or f32, not \"", rope, "\""));
  }
  return options;
}

std::string IdsToJson(const std::vector<int32_t>& ids) { return absl::StrCat("[", absl::StrJoin(ids, ","), "]"); }

}  // namespace lateral::cli
