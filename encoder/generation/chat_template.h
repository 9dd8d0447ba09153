// ChatTemplate: turns a conversation into the prompt text a chat model was
// trained on, by rendering the model's own Jinja chat template as transformers'
// apply_chat_template(tokenize=False) does (jinja2, trim_blocks, lstrip_blocks,
// loop controls; variables messages, add_generation_prompt, bos_token,
// eos_token, tools = documents = None; raise_exception, strftime_now, HF's
// tojson). The Jinja subset lives in encoder/generation/jinja/.
//
// A ChatTemplate owns its parsed template and is immutable, so Render is
// const and thread-safe. Used by `lateral generate`, `lateral ask` and
// `lateral chat`. Render never throws and never runs away (jinja/interpreter.h
// caps output, steps and recursion); errors name the template's origin and line.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace lateral {

namespace jinja {
struct Template;
}

struct ChatMessage {
  std::string role;
  std::string content;
};

class ChatTemplate {
 public:
  // DIR/chat_template.jinja, else DIR/chat_template.json ({"chat_template": ...}), else
  // tokenizer_config.json "chat_template" (a string, or a list of {"name", "template"} of which
  // "default" is used); NotFound naming DIR when the model ships none. bos/eos token strings come
  // from tokenizer_config.json (strings or {"content": ...} objects; "" when absent).
  static absl::StatusOr<ChatTemplate> FromModelDirectory(const std::string& dir);
  // Source text, where it came from (for errors), bos/eos strings. Syntax errors, unknown filters
  // and unknown tests are reported here, before any rendering.
  static absl::StatusOr<ChatTemplate> FromSource(std::string source, std::string origin,
                                                 std::string bos_token, std::string eos_token);
  // LFM2's ChatML format written natively (LFM2.md §12.4), for LFM2 checkpoints that ship no
  // template: <|startoftext|>, a system block when the first message is a non-empty system
  // message, then <|im_start|>ROLE\nCONTENT<|im_end|>\n per message (tool results wrapped in
  // <|tool_response_start|>...<|tool_response_end|>), then <|im_start|>assistant\n when asked.
  static ChatTemplate Lfm2Native();

  absl::StatusOr<std::string> Render(absl::Span<const ChatMessage> messages,
                                     bool add_generation_prompt) const;

  const std::string& origin() const { return origin_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }
  bool is_native() const { return tmpl_ == nullptr; }

 private:
  ChatTemplate() = default;

  std::string origin_;
  std::string bos_token_;
  std::string eos_token_;
  std::shared_ptr<const jinja::Template> tmpl_;  // null: Lfm2Native
};

}  // namespace lateral
