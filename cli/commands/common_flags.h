// Flag helpers shared by several commands.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "encoder/kernels/precision.h"
#include "encoder/model/lfm2_model.h"

namespace lateral::cli {

// The value of a required flag, or a usage error naming it.
absl::StatusOr<std::string> RequiredFlag(const ParsedFlags& flags, const std::string& name);

// The --model flag as a directory: an existing directory as given, or a hub
// id (ORG/NAME[@REV]) found in the Hugging Face cache (cli/hub/model_locator.h).
absl::StatusOr<std::string> ModelDirFlag(const ParsedFlags& flags);

// --rope-frequencies bf16|f32 (see RopeFrequencies).
FlagSpec RopeFrequenciesFlag();
// --precision f32|bf16|int8 for every command that loads a model.
FlagSpec PrecisionFlag();
// The --precision value; nullopt when not given (the runtime's default). A
// usage error (exit 2) names the flag and the accepted values.
absl::StatusOr<std::optional<Precision>> PrecisionFromFlags(const ParsedFlags& flags);
absl::StatusOr<ModelLoadOptions> ModelOptionsFromFlags(const ParsedFlags& flags);

// Writes `text` to stdout as one JSON array of integers, e.g. [1,2,3].
std::string IdsToJson(const std::vector<int32_t>& ids);

}  // namespace lateral::cli
