// A generative LFM2 checkpoint ready to answer: tokenizer, chat template,
// weights, generation defaults and context length, loaded from one model
// directory.
//
// The chat template is the one the checkpoint ships (chat_template.jinja,
// chat_template.json or tokenizer_config.json "chat_template"); an LFM2 tokenizer (it has
// <|im_start|>) without one gets LFM2's format written natively
// (ChatTemplate::Lfm2Native, `native_template` set so callers can say so);
// any other tokenizer without a template is an error naming the directory and
// the files looked for. Stop tokens: EOS and <|im_end|> when the tokenizer
// has them, on top of generation_config.json's eos_token_id.
//
// Used by `lateral ask` and `lateral chat`; owns everything it loads.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "encoder/generation/chat_template.h"
#include "encoder/generation/generation_config.h"
#include "encoder/model/lfm2_model.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral::answer {

struct GenerativeModel {
  std::string dir;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<Lfm2Model> model;
  std::optional<ChatTemplate> chat_template;  // always set after a successful load
  bool native_template = false;                // no template shipped: LFM2's format natively
  GenerationSettings settings;                 // generation_config.json over LFM2's defaults, stop ids added
  int context_tokens = 0;                      // config.json max_position_embeddings
};

// The template for `dir` given its tokenizer (see above); `native` is set
// when LFM2's native format stands in for a missing template.
absl::StatusOr<ChatTemplate> ChatTemplateFor(const std::string& dir, const Tokenizer& tokenizer, bool* native);

// Loads tokenizer and template first (cheap, and the usual errors), then the weights.
absl::StatusOr<GenerativeModel> LoadGenerativeModel(const std::string& dir, const ModelLoadOptions& options);

}  // namespace lateral::answer
