#include "answer/generative_model.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lateral::answer {

absl::StatusOr<ChatTemplate> ChatTemplateFor(const std::string& dir, const Tokenizer& tokenizer, bool* native) {
  *native = false;
  absl::StatusOr<ChatTemplate> shipped = ChatTemplate::FromModelDirectory(dir);
  if (shipped.ok() || !absl::IsNotFound(shipped.status())) return shipped;
  if (tokenizer.TokenToId("<|im_start|>").has_value() && tokenizer.TokenToId("<|im_end|>").has_value()) {
    *native = true;
    return ChatTemplate::Lfm2Native();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      dir, ": the model has no chat template (looked for ", dir, "/chat_template.jinja, ", dir,
      "/chat_template.json and the \"chat_template\" field of ", dir,
      "/tokenizer_config.json) and its tokenizer is not LFM2's (no <|im_start|> token), so there is no way to "
      "write a prompt for it"));
}

absl::StatusOr<GenerativeModel> LoadGenerativeModel(const std::string& dir, const ModelLoadOptions& options) {
  GenerativeModel g;
  g.dir = dir;
  LATERAL_ASSIGN_OR_RETURN(g.tokenizer, Tokenizer::FromDirectory(dir));
  LATERAL_ASSIGN_OR_RETURN(ChatTemplate chat_template, ChatTemplateFor(dir, *g.tokenizer, &g.native_template));
  g.chat_template.emplace(std::move(chat_template));
  LATERAL_ASSIGN_OR_RETURN(g.settings, LoadGenerationSettings(dir));
  auto add_stop = [&](std::optional<int32_t> id) {
    if (id.has_value() && std::find(g.settings.stop_token_ids.begin(), g.settings.stop_token_ids.end(), *id) ==
                              g.settings.stop_token_ids.end()) {
      g.settings.stop_token_ids.push_back(*id);
    }
  };
  add_stop(g.tokenizer->EosId());
  add_stop(g.tokenizer->TokenToId("<|im_end|>"));
  LATERAL_ASSIGN_OR_RETURN(g.model, Lfm2Model::Load(dir, options));
  g.context_tokens = g.model->config().max_position_embeddings;
  return g;
}

}  // namespace lateral::answer
