#include "encoder/generation/generator.h"

#include "encoder/generation/generation_session.h"

namespace lateral {

absl::StatusOr<GenerationResult> Generator::Generate(absl::Span<const int32_t> prompt,
                                                     const GenerationSettings& settings,
                                                     const std::function<bool(int32_t)>& on_token,
                                                     const std::function<bool()>& should_stop) const {
  GenerationSession session(model_);
  session.set_max_snapshots(0);  // one prompt: nothing to resume later
  return session.Generate(prompt, settings, on_token, should_stop);
}

}  // namespace lateral
