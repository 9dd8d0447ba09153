// Arbitrary bytes as a Jinja chat template, rendered with a fixed conversation: parsing and
// rendering must end in a string or a status, never a crash or a hang (tight render limits keep
// each input fast; the limits themselves are what ChatTemplate relies on for hostile templates).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "encoder/generation/chat_template.h"
#include "encoder/generation/jinja/interpreter.h"
#include "encoder/generation/jinja/parser.h"

namespace {

lateral::jinja::Value Message(const char* role, const char* content) {
  using lateral::jinja::Value;
  return Value::Dict({{Value::String("role"), Value::String(role)}, {Value::String("content"), Value::String(content)}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lateral::jinja::Value;
  const std::string source(reinterpret_cast<const char*>(data), size);
  auto tmpl = lateral::jinja::Parse(source, "fuzz.jinja");
  if (!tmpl.ok()) return 0;
  if (!lateral::jinja::Validate(**tmpl).ok()) return 0;
  const lateral::jinja::Variables variables = {
      {"messages", Value::List({Message("system", "Be brief."), Message("user", "Hi <|im_end|> \xe6\x97\xa5"),
                                Message("assistant", "<think>x</think>Hello"), Message("tool", "{\"a\": 1}")})},
      {"add_generation_prompt", Value::Bool(true)},
      {"bos_token", Value::String("<|startoftext|>")},
      {"eos_token", Value::String("<|im_end|>")},
      {"tools", Value::None()},
      {"documents", Value::None()},
  };
  lateral::jinja::RenderLimits limits;
  limits.max_output_bytes = 1 << 16;
  limits.max_steps = 100'000;
  limits.max_collection_size = 10'000;
  limits.max_call_depth = 16;
  auto out = lateral::jinja::Render(**tmpl, variables, limits);
  if (out.ok() && out->size() > limits.max_output_bytes) std::abort();
  // The public entry point on the same source: same verdict on parsing.
  auto chat = lateral::ChatTemplate::FromSource(source, "fuzz.jinja", "<s>", "</s>");
  if (!chat.ok()) std::abort();
  return 0;
}
