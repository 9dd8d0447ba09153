// lateral generate: continue token ids or answer a prompt with a causal LFM2.
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "encoder/generation/generation_config.h"
#include "encoder/generation/generator.h"
#include "encoder/model/lfm2_model.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral::cli {
namespace {

// LFM2's ChatML-style template (shared/reference/LFM2.md §12.4); it carries
// BOS itself, so it is tokenised without adding special tokens.
std::string ChatPrompt(const std::string& system, const std::string& user) {
  std::string out = "<|startoftext|>";
  if (!system.empty()) absl::StrAppend(&out, "<|im_start|>system\n", system, "<|im_end|>\n");
  absl::StrAppend(&out, "<|im_start|>user\n", user, "<|im_end|>\n<|im_start|>assistant\n");
  return out;
}

absl::Status ApplySamplingFlags(const ParsedFlags& flags, GenerationSettings& s) {
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> t, flags.GetDouble("temperature"));
  if (t.has_value()) {
    if (*t < 0) return UsageError("--temperature must be >= 0");
    s.sampling.temperature = static_cast<float>(*t);
    s.sampling.greedy = *t == 0;  // an explicit temperature asks for sampling
  }
  if (flags.Has("greedy")) s.sampling.greedy = true;
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> k, flags.GetInt("top-k"));
  if (k.has_value()) {
    if (*k < 0) return UsageError("--top-k must be >= 0");
    s.sampling.top_k = static_cast<int>(*k);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> p, flags.GetDouble("top-p"));
  if (p.has_value()) {
    if (*p <= 0 || *p > 1) return UsageError("--top-p must be in (0, 1]");
    s.sampling.top_p = static_cast<float>(*p);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> min_p, flags.GetDouble("min-p"));
  if (min_p.has_value()) {
    if (*min_p < 0 || *min_p > 1) return UsageError("--min-p must be in [0, 1]");
    s.sampling.min_p = static_cast<float>(*min_p);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> rp, flags.GetDouble("repetition-penalty"));
  if (rp.has_value()) {
    if (*rp <= 0) return UsageError("--repetition-penalty must be > 0");
    s.sampling.repetition_penalty = static_cast<float>(*rp);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> seed, flags.GetInt("seed"));
  if (seed.has_value()) s.sampling.seed = static_cast<uint64_t>(*seed);
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> max_tokens, flags.GetInt("max-tokens"));
  if (max_tokens.has_value()) {
    if (*max_tokens < 1) return UsageError("--max-tokens must be at least 1");
    s.max_new_tokens = static_cast<int>(*max_tokens);
  }
  return absl::OkStatus();
}

absl::Status Run(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  const bool json = flags.Has("json");
  std::optional<std::string> prompt_text = flags.Get("prompt");
  if (!flags.positional().empty()) {
    if (prompt_text.has_value() || flags.positional().size() > 1) {
      return UsageError("give the prompt once, as --prompt TEXT or one quoted argument");
    }
    prompt_text = flags.positional()[0];
  }
  if (flags.Has("ids") == prompt_text.has_value()) {
    return UsageError("give either --ids or a prompt text");
  }
  LATERAL_ASSIGN_OR_RETURN(GenerationSettings settings, LoadGenerationSettings(model_dir));
  LATERAL_RETURN_IF_ERROR(ApplySamplingFlags(flags, settings));
  LATERAL_ASSIGN_OR_RETURN(ModelLoadOptions options, ModelOptionsFromFlags(flags));

  std::vector<int32_t> prompt;
  std::unique_ptr<Tokenizer> tokenizer;
  if (flags.Has("ids")) {
    // Raw token mode: exactly what the model computes, no stop tokens unless asked.
    absl::StatusOr<std::vector<int32_t>> ids = ParseIdList(*flags.Get("ids"), "ids");
    if (!ids.ok()) return UsageError(std::string(ids.status().message()));
    prompt = *ids;
    settings.stop_token_ids.clear();
  } else {
    LATERAL_ASSIGN_OR_RETURN(tokenizer, Tokenizer::FromDirectory(model_dir));
    const bool chat = !flags.Has("raw") && tokenizer->TokenToId("<|im_start|>").has_value();
    const std::string text = chat ? ChatPrompt(flags.GetOr("system", ""), *prompt_text) : *prompt_text;
    LATERAL_ASSIGN_OR_RETURN(prompt, tokenizer->Encode(text, /*add_special_tokens=*/!chat));
    if (std::optional<int32_t> eos = tokenizer->EosId()) settings.stop_token_ids.push_back(*eos);
    if (std::optional<int32_t> end = tokenizer->TokenToId("<|im_end|>")) settings.stop_token_ids.push_back(*end);
  }
  if (flags.Has("stop-ids")) {
    absl::StatusOr<std::vector<int32_t>> stops = ParseIdList(*flags.Get("stop-ids"), "stop-ids");
    if (!stops.ok()) return UsageError(std::string(stops.status().message()));
    settings.stop_token_ids = *stops;
  }

  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Lfm2Model> model, Lfm2Model::Load(model_dir, options));
  Generator generator(*model);
  std::unique_ptr<StreamingDecoder> stream;
  if (tokenizer && !json) stream = tokenizer->NewStreamingDecoder(/*skip_special_tokens=*/true);
  auto on_token = [&](int32_t token) {
    if (stream) {
      std::cout << stream->Push(token);
      std::cout.flush();
    }
    return true;
  };
  LATERAL_ASSIGN_OR_RETURN(GenerationResult result, generator.Generate(prompt, settings, on_token));
  if (json) {
    Json out = {{"ids", result.tokens}};
    if (tokenizer) out["text"] = tokenizer->Decode(result.tokens, /*skip_special_tokens=*/true);
    std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (stream) {
    std::cout << stream->Finish() << "\n";
  } else {
    std::cout << IdsToJson(result.tokens) << "\n";
  }
  if (flags.Has("stats")) {
    const double n = static_cast<double>(result.tokens.size());
    std::cerr << "prompt " << prompt.size() << " tokens in " << result.prefill_seconds << " s ("
              << prompt.size() / std::max(result.prefill_seconds, 1e-9) << " tokens/s); generated " << n
              << " tokens in " << result.decode_seconds << " s (" << n / std::max(result.decode_seconds, 1e-9)
              << " tokens/s)\n";
  }
  return absl::OkStatus();
}

}  // namespace

Command GenerateCommand() {
  return Command{
      "generate",
      "continue token ids or answer a prompt with an LFM2 model",
      "usage: lateral generate --model DIR (--ids 5,17,42 | [--prompt] TEXT) [--greedy] [--json]\n\n"
      "With --ids the model continues exactly those tokens and stops only at\n"
      "--max-tokens (or --stop-ids). With a text prompt, LFM2's chat template is\n"
      "applied (unless --raw) and generation stops at <|im_end|> or EOS.\n"
      "Sampling defaults come from generation_config.json, else the LFM2 card's\n"
      "temperature 0.3, min_p 0.15, repetition_penalty 1.05.\n\n"
      "examples:\n"
      "  lateral generate --model DIR --ids 5,17,42 --max-tokens 8 --greedy --json\n"
      "  lateral generate --model DIR \"What is late interaction?\"\n",
      {{"model", true, "model directory", "DIR"},
       {"ids", true, "prompt token ids, comma-separated", "IDS"},
       {"prompt", true, "prompt text (or give it as the argument)", "TEXT"},
       {"system", true, "system message for the chat template", "TEXT"},
       {"raw", false, "do not apply the chat template"},
       {"max-tokens", true, "most new tokens (default 256 or generation_config.json)", "N"},
       {"greedy", false, "always take the most likely token"},
       {"temperature", true, "sampling temperature (0 = greedy)", "T"},
       {"top-k", true, "keep the K most likely tokens (0 = off)", "K"},
       {"top-p", true, "nucleus sampling mass (1 = off)", "P"},
       {"min-p", true, "drop tokens below P x the best token's probability", "P"},
       {"repetition-penalty", true, "penalty for tokens already seen (1 = off)", "R"},
       {"seed", true, "random seed for sampling", "N"},
       {"stop-ids", true, "stop after any of these token ids", "IDS"},
       {"json", false, "print {\"ids\": [...]} (and \"text\" for prompts)"},
       {"stats", false, "print prefill and decode speed on stderr"},
       RopeFrequenciesFlag(), PrecisionFlag()},
      Run};
}

}  // namespace lateral::cli
