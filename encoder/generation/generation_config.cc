#include "encoder/generation/generation_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace lateral {

absl::StatusOr<GenerationSettings> LoadGenerationSettings(const std::string& model_dir) {
  GenerationSettings s;
  const std::string path = absl::StrCat(model_dir, "/generation_config.json");
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return s;
  LATERAL_ASSIGN_OR_RETURN(Json json, ReadJsonFile(path));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  JsonObjectReader r(json, path);
  LATERAL_ASSIGN_OR_RETURN(std::optional<bool> do_sample, r.GetOptionalBool("do_sample"));
  if (do_sample.has_value()) s.sampling.greedy = !*do_sample;
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> temperature, r.GetOptionalDouble("temperature"));
  if (temperature.has_value()) s.sampling.temperature = static_cast<float>(*temperature);
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> top_k, r.GetOptionalInt("top_k"));
  if (top_k.has_value()) s.sampling.top_k = static_cast<int>(std::clamp<int64_t>(*top_k, -1, INT32_MAX));
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> top_p, r.GetOptionalDouble("top_p"));
  if (top_p.has_value()) s.sampling.top_p = static_cast<float>(*top_p);
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> min_p, r.GetOptionalDouble("min_p"));
  if (min_p.has_value()) s.sampling.min_p = static_cast<float>(*min_p);
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> penalty, r.GetOptionalDouble("repetition_penalty"));
  if (penalty.has_value()) s.sampling.repetition_penalty = static_cast<float>(*penalty);
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> max_new, r.GetOptionalInt("max_new_tokens"));
  if (max_new.has_value()) s.max_new_tokens = static_cast<int>(std::clamp<int64_t>(*max_new, -1, INT32_MAX));
  const Json* eos = json.is_object() && json.contains("eos_token_id") ? &json["eos_token_id"] : nullptr;
  if (eos != nullptr && !eos->is_null()) {
    auto add = [&](const Json& id) -> absl::Status {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": field \"eos_token_id\" must be a token id or a list of token ids"));
      }
      s.stop_token_ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
      return absl::OkStatus();
    };
    if (eos->is_array()) {
      for (const Json& id : *eos) LATERAL_RETURN_IF_ERROR(add(id));
    } else {
      LATERAL_RETURN_IF_ERROR(add(*eos));
    }
  }
  auto out_of_range = [&](const char* field, const char* expected) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": field \"", field, "\" must be ", expected));
  };
  if (s.sampling.temperature < 0) return out_of_range("temperature", ">= 0");
  if (!(s.sampling.top_p > 0 && s.sampling.top_p <= 1)) return out_of_range("top_p", "in (0, 1]");
  if (!(s.sampling.min_p >= 0 && s.sampling.min_p <= 1)) return out_of_range("min_p", "in [0, 1]");
  if (!(s.sampling.repetition_penalty > 0)) return out_of_range("repetition_penalty", "> 0");
  if (s.sampling.top_k < 0) return out_of_range("top_k", ">= 0");
  if (s.max_new_tokens < 0) return out_of_range("max_new_tokens", ">= 0");
  // Sampling at temperature 0 is undefined (logits / 0); model cards use it to mean greedy.
  if (temperature.has_value() && *temperature == 0) s.sampling.greedy = true;
  return s;
}

}  // namespace lateral
