// lateral run: one forward pass over given token ids, saved as safetensors.
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "common/safetensors.h"
#include "common/status_macros.h"
#include "encoder/model/lfm2_model.h"

namespace lateral::cli {
namespace {

absl::Status Run(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(std::string ids_text, RequiredFlag(flags, "ids"));
  LATERAL_ASSIGN_OR_RETURN(std::string out_path, RequiredFlag(flags, "out"));
  absl::StatusOr<std::vector<int32_t>> ids = ParseIdList(ids_text, "ids");
  if (!ids.ok()) return UsageError(std::string(ids.status().message()));
  LATERAL_ASSIGN_OR_RETURN(ModelLoadOptions options, ModelOptionsFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Lfm2Model> model, Lfm2Model::Load(model_dir, options));

  SequenceState state = model->NewState();
  SequenceInput input{&state, *ids, {}};
  ForwardOptions forward;
  forward.return_last_logits = model->has_lm_head();
  LATERAL_ASSIGN_OR_RETURN(ForwardResult result, model->Forward({&input, 1}, forward));

  SafetensorsWriter writer;
  const int64_t n = static_cast<int64_t>(ids->size());
  writer.AddF32("last_hidden_state", {n, model->config().hidden_size}, result.hidden_states.data());
  if (forward.return_last_logits) {
    writer.AddF32("logits_last", {model->config().vocab_size}, result.last_logits.data());
  } else {
    std::cerr << "lateral run: " << model_dir << " has no language-model head; wrote last_hidden_state only\n";
  }
  return writer.WriteTo(out_path);
}

}  // namespace

Command RunCommand() {
  return Command{
      "run",
      "forward pass over token ids, saved as safetensors",
      "usage: lateral run --model DIR --ids 5,17,42 --out FILE\n\n"
      "Writes float32 last_hidden_state [n, hidden] (after the final norm) and\n"
      "logits_last [vocab] (the last position's logits) to FILE.\n",
      {{"model", true, "model directory (config.json + safetensors)", "DIR"},
       {"ids", true, "comma-separated token ids", "IDS"},
       {"out", true, "output safetensors file", "FILE"},
       RopeFrequenciesFlag(), PrecisionFlag()},
      Run};
}

}  // namespace lateral::cli
