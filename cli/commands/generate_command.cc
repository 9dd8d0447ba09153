// lateral generate: continue token ids or answer a prompt with a causal LFM2.
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "answer/generative_model.h"
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
    // The model's own chat template; LFM2's format for LFM2 tokenizers that
    // ship none; the raw text for other models without one.
    bool chat = !flags.Has("raw");
    std::string text = *prompt_text;
    if (chat) {
      bool native = false;
      absl::StatusOr<ChatTemplate> chat_template = answer::ChatTemplateFor(model_dir, *tokenizer, &native);
      if (chat_template.ok()) {
        std::vector<ChatMessage> messages;
        if (std::optional<std::string> system = flags.Get("system"); system.has_value() && !system->empty()) {
          messages.push_back({"system", *system});
        }
        messages.push_back({"user", *prompt_text});
        LATERAL_ASSIGN_OR_RETURN(text, chat_template->Render(messages, /*add_generation_prompt=*/true));
      } else if (absl::IsFailedPrecondition(chat_template.status())) {
        chat = false;  // no template and not LFM2: continue the text as it is
      } else {
        return chat_template.status();
      }
    }
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
  Command command{
      "generate",
      "continue token ids or answer a prompt with an LFM2 model",
      "usage: lateral generate --model DIR (--ids 5,17,42 | [--prompt] TEXT) [--greedy] [--json]\n\n"
      "With --ids the model continues exactly those tokens and stops only at\n"
      "--max-tokens (or --stop-ids). With a text prompt, the model's chat template\n"
      "(LFM2's format for LFM2 checkpoints that ship none) is applied unless --raw,\n"
      "and generation stops at <|im_end|> or EOS.\n"
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
       {"stop-ids", true, "stop after any of these token ids", "IDS"},
       {"json", false, "print {\"ids\": [...]} (and \"text\" for prompts)"},
       {"stats", false, "print prefill and decode speed on stderr"},
       RopeFrequenciesFlag(), PrecisionFlag()},
      Run};
  std::vector<FlagSpec> sampling = SamplingFlags();
  command.flags.insert(command.flags.begin() + 5, sampling.begin(), sampling.end());
  return command;
}

}  // namespace lateral::cli
