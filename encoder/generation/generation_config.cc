#include "encoder/generation/generation_config.h"

#include <sys/stat.h>

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
  JsonObjectReader r(json, path);
  LATERAL_ASSIGN_OR_RETURN(std::optional<bool> do_sample, r.GetOptionalBool("do_sample"));
  if (do_sample.has_value()) s.sampling.greedy = !*do_sample;
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> temperature, r.GetOptionalDouble("temperature"));
  if (temperature.has_value()) s.sampling.temperature = static_cast<float>(*temperature);
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> top_k, r.GetOptionalInt("top_k"));
  if (top_k.has_value()) s.sampling.top_k = static_cast<int>(*top_k);
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> top_p, r.GetOptionalDouble("top_p"));
  if (top_p.has_value()) s.sampling.top_p = static_cast<float>(*top_p);
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> min_p, r.GetOptionalDouble("min_p"));
  if (min_p.has_value()) s.sampling.min_p = static_cast<float>(*min_p);
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> penalty, r.GetOptionalDouble("repetition_penalty"));
  if (penalty.has_value()) s.sampling.repetition_penalty = static_cast<float>(*penalty);
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> max_new, r.GetOptionalInt("max_new_tokens"));
  if (max_new.has_value()) s.max_new_tokens = static_cast<int>(*max_new);
  auto eos = json.find("eos_token_id");
  if (eos != json.end() && eos->is_number_integer()) {
    s.stop_token_ids.push_back(eos->get<int32_t>());
  } else if (eos != json.end() && !eos->is_null()) {
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> ids, r.GetOptionalIntArray("eos_token_id"));
    for (int64_t id : *ids) s.stop_token_ids.push_back(static_cast<int32_t>(id));
  }
  if (s.sampling.temperature < 0 || s.sampling.top_p <= 0 || s.sampling.top_p > 1 || s.sampling.min_p < 0 ||
      s.sampling.min_p > 1 || s.sampling.repetition_penalty <= 0 || s.sampling.top_k < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": sampling values out of range"));
  }
  return s;
}

}  // namespace lateral
