// Renders a parsed template (jinja/parser.h) with jinja2's semantics for the
// subset chat templates use: statements, expressions, filters, tests, string
// and dict methods, macros, loop controls, and the globals Hugging Face adds
// (namespace, range, dict, raise_exception, strftime_now).
//
// Render() is a pure function of the template and the variables; it never
// throws and never runs away: output size, evaluation steps (which bound
// loop iterations), collection sizes and macro recursion are capped, and each
// failure is an absl::Status "ORIGIN:LINE: message".
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "encoder/generation/jinja/parser.h"
#include "encoder/generation/jinja/value.h"

namespace lateral::jinja {

struct Callable {
  std::string name;             // builtin name, or the macro's name
  const Node* macro = nullptr;  // set for macros; owned by the rendered template
  std::vector<std::pair<std::string, Value>> closure;  // macros: the defining scope's variables
};

struct RenderLimits {
  size_t max_output_bytes = 8 << 20;    // also the largest string a template may build
  int64_t max_steps = 2'000'000;        // statements + expressions evaluated
  size_t max_collection_size = 100'000;  // list / range elements
  int max_call_depth = 64;              // nested macro calls
};

// Variables visible to the template; builtins are added by Render.
using Variables = std::vector<std::pair<std::string, Value>>;

absl::StatusOr<std::string> Render(const Template& tmpl, const Variables& variables,
                                   const RenderLimits& limits = {});

// Checks that every filter and test the template names exists (jinja2 does
// this when compiling, before rendering anything).
absl::Status Validate(const Template& tmpl);

}  // namespace lateral::jinja
