// lateral inspect: what an engineer needs to find where two implementations
// of the model part ways: the tokens, then per layer the norm of each token's
// hidden state and its first values.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "common/status_macros.h"
#include "encoder/model/lfm2_model.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral::cli {
namespace {

absl::Status Run(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> values_flag, flags.GetInt("values"));
  const int64_t shown = values_flag.value_or(4);
  std::vector<int32_t> ids;
  std::unique_ptr<Tokenizer> tokenizer;
  absl::StatusOr<std::unique_ptr<Tokenizer>> loaded = Tokenizer::FromDirectory(model_dir);
  if (loaded.ok()) tokenizer = std::move(*loaded);
  if (flags.Has("ids") == flags.Has("text")) return UsageError("give either --ids or --text");
  if (flags.Has("ids")) {
    absl::StatusOr<std::vector<int32_t>> parsed = ParseIdList(*flags.Get("ids"), "ids");
    if (!parsed.ok()) return UsageError(std::string(parsed.status().message()));
    ids = *parsed;
  } else {
    if (!tokenizer) return loaded.status();
    LATERAL_ASSIGN_OR_RETURN(ids, tokenizer->Encode(*flags.Get("text"), !flags.Has("no-special")));
  }
  LATERAL_ASSIGN_OR_RETURN(ModelLoadOptions options, ModelOptionsFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Lfm2Model> model, Lfm2Model::Load(model_dir, options));

  std::cout << "tokens (" << ids.size() << "):\n";
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string piece = tokenizer ? tokenizer->IdToToken(ids[i]).value_or("?") : "";
    std::cout << absl::StrFormat("  %4d  %6d  %s\n", i, ids[i], piece);
  }
  const ModelConfig& c = model->config();
  ForwardOptions forward;
  forward.return_last_logits = model->has_lm_head();
  forward.observer = [&](int layer, const float* rows, int64_t num_rows, int64_t width) {
    std::string label = layer < 0 ? "embed" : layer == c.num_layers ? "final_norm" : absl::StrCat("layer ", layer);
    if (layer >= 0 && layer < c.num_layers) {
      absl::StrAppend(&label, c.layer_kinds[layer] == LayerKind::kConv ? " conv" : " attn");
    }
    std::cout << label << ":\n";
    for (int64_t t = 0; t < num_rows; ++t) {
      const float* row = rows + t * width;
      double norm = 0;
      for (int64_t k = 0; k < width; ++k) norm += static_cast<double>(row[k]) * row[k];
      std::cout << absl::StrFormat("  t=%-4d norm=%-12.6g", t, std::sqrt(norm));
      for (int64_t k = 0; k < std::min(shown, width); ++k) std::cout << absl::StrFormat(" % .6e", row[k]);
      std::cout << "\n";
    }
  };
  SequenceState state = model->NewState();
  SequenceInput input{&state, ids, {}};
  LATERAL_ASSIGN_OR_RETURN(ForwardResult result, model->Forward({&input, 1}, forward));
  if (forward.return_last_logits) {
    std::vector<std::pair<float, int>> top;
    for (int v = 0; v < c.vocab_size; ++v) top.emplace_back(result.last_logits[v], v);
    std::partial_sort(top.begin(), top.begin() + std::min(5, c.vocab_size), top.end(), std::greater<>());
    std::cout << "top logits at the last position:\n";
    for (int i = 0; i < std::min(5, c.vocab_size); ++i) {
      std::cout << absl::StrFormat("  %6d  %.6f  %s\n", top[i].second, top[i].first,
                                   tokenizer ? tokenizer->IdToToken(top[i].second).value_or("?") : "");
    }
  }
  return absl::OkStatus();
}

}  // namespace

Command InspectCommand() {
  return Command{
      "inspect",
      "tokens and per-layer hidden-state norms, for debugging a model",
      "usage: lateral inspect --model DIR (--ids 5,17,42 | --text TEXT) [--values N]\n\n"
      "Prints the tokens, then for the embeddings, every layer's residual stream\n"
      "and the final norm: each token's L2 norm and first N values. Compare with\n"
      "the same printout from another implementation to find the first layer\n"
      "where they disagree.\n",
      {{"model", true, "model directory", "DIR"},
       {"ids", true, "token ids, comma-separated", "IDS"},
       {"text", true, "text to tokenize (with special tokens unless --no-special)", "TEXT"},
       {"no-special", false, "tokenize --text without special tokens"},
       {"values", true, "how many leading values to print per token (default 4)", "N"},
       RopeFrequenciesFlag(), PrecisionFlag()},
      Run};
}

}  // namespace lateral::cli
