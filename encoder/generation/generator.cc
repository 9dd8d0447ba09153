#include "encoder/generation/generator.h"

#include <algorithm>
#include <chrono>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "encoder/generation/sampler.h"

namespace lateral {
namespace {

// Long prompts are prefilled in slices so that attention scores and
// activations stay bounded; the result is the same as one pass.
constexpr size_t kPrefillSlice = 1024;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

absl::StatusOr<GenerationResult> Generator::Generate(absl::Span<const int32_t> prompt,
                                                     const GenerationSettings& settings,
                                                     const std::function<bool(int32_t)>& on_token) const {
  if (prompt.empty()) return absl::InvalidArgumentError("the prompt has no tokens");
  if (!model_.has_lm_head()) {
    return absl::FailedPreconditionError("this checkpoint has no language-model head; it cannot generate");
  }
  GenerationResult result;
  SequenceState state = model_.NewState();
  ForwardOptions options;
  options.return_hidden_states = false;
  options.return_last_logits = true;

  auto start = std::chrono::steady_clock::now();
  ForwardResult forward;
  for (size_t begin = 0; begin < prompt.size(); begin += kPrefillSlice) {
    const size_t count = std::min(kPrefillSlice, prompt.size() - begin);
    SequenceInput input{&state, prompt.subspan(begin, count), {}};
    options.return_last_logits = begin + count == prompt.size();
    LATERAL_ASSIGN_OR_RETURN(forward, model_.Forward({&input, 1}, options));
  }
  result.prefill_seconds = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  Sampler sampler(settings.sampling);
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  for (int step = 0; step < settings.max_new_tokens; ++step) {
    const int32_t token = sampler.Next(absl::MakeSpan(forward.last_logits), history);
    result.tokens.push_back(token);
    history.push_back(token);
    const bool keep_going = !on_token || on_token(token);
    if (std::find(settings.stop_token_ids.begin(), settings.stop_token_ids.end(), token) !=
        settings.stop_token_ids.end()) {
      result.stopped_on_token = true;
      break;
    }
    if (!keep_going || step + 1 == settings.max_new_tokens) break;
    SequenceInput input{&state, absl::MakeConstSpan(&history.back(), 1), {}};
    options.return_last_logits = true;
    LATERAL_ASSIGN_OR_RETURN(forward, model_.Forward({&input, 1}, options));
  }
  result.decode_seconds = SecondsSince(start);
  return result;
}

}  // namespace lateral
