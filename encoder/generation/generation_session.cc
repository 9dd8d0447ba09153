#include "encoder/generation/generation_session.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

size_t CommonPrefix(absl::Span<const int32_t> a, absl::Span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

GenerationSession::GenerationSession(const Lfm2Model& model) : model_(model), state_(model.NewState()) {}

void GenerationSession::Reset() {
  state_.Reset();
  tokens_.clear();
  snapshots_.clear();
}

void GenerationSession::set_max_snapshots(size_t n) {
  max_snapshots_ = n;
  while (snapshots_.size() > max_snapshots_) snapshots_.erase(snapshots_.begin());
}

size_t GenerationSession::Resume(absl::Span<const int32_t> prompt) {
  const size_t common = CommonPrefix(prompt, tokens_);
  // At least the prompt's last token must be run: its logits pick the first
  // new token, and they are not kept.
  const size_t usable = std::min(common, prompt.size() - 1);
  if (tokens_.size() <= usable) return tokens_.size();  // the current end
  const Snapshot* best = nullptr;
  for (const Snapshot& s : snapshots_) {
    if (s.length <= usable && (best == nullptr || s.length > best->length)) best = &s;
  }
  if (best == nullptr) {
    state_.Reset();
    tokens_.clear();
  } else {
    state_ = best->state;
    tokens_.resize(best->length);
  }
  // Snapshots past the divergence describe tokens the session no longer has.
  snapshots_.erase(std::remove_if(snapshots_.begin(), snapshots_.end(),
                                  [&](const Snapshot& s) { return s.length > common; }),
                   snapshots_.end());
  return tokens_.size();
}

absl::StatusOr<GenerationResult> GenerationSession::Generate(absl::Span<const int32_t> prompt,
                                                             const GenerationSettings& settings,
                                                             const std::function<bool(int32_t)>& on_token,
                                                             const std::function<bool()>& should_stop) {
  stats_ = SessionStats();
  if (prompt.empty()) return absl::InvalidArgumentError("the prompt has no tokens");
  if (!model_.has_lm_head()) {
    return absl::FailedPreconditionError("this checkpoint has no language-model head; it cannot generate");
  }
  const int64_t context = model_.config().max_position_embeddings;
  if (static_cast<int64_t>(prompt.size()) >= context) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the prompt has ", prompt.size(), " tokens; the model's context holds ", context,
        " (max_position_embeddings in config.json), leaving no room for an answer"));
  }
  const int32_t vocab = static_cast<int32_t>(model_.config().vocab_size);
  for (size_t i = 0; i < prompt.size(); ++i) {
    if (prompt[i] < 0 || prompt[i] >= vocab) {
      return absl::InvalidArgumentError(
          absl::StrCat("prompt token ", i, " is ", prompt[i], "; the vocabulary has ", vocab, " tokens"));
    }
  }

  GenerationResult result;
  auto fail = [&](absl::Status status) {
    Reset();
    return status;
  };
  const size_t reused = Resume(prompt);
  stats_.reused_tokens = static_cast<int>(reused);
  ForwardOptions options;
  options.return_hidden_states = false;

  const auto start = std::chrono::steady_clock::now();
  // The sampler's screen over the LM head (screened_head.h), following the
  // history it will see: the prompt, then each generated token.
  Sampler sampler(settings.sampling);
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  history.reserve(history.size() + std::max(settings.max_new_tokens, 0));
  std::optional<LogitsScreen> screen;
  if (settings.screen_head) screen = sampler.ScreenFor(history);
  if (screen.has_value()) options.screen = &*screen;
  auto follow_history = [&] {
    if (screen.has_value()) screen->history = history;
  };

  ForwardResult forward;
  for (size_t begin = reused; begin < prompt.size(); begin += kPrefillSlice) {
    if (should_stop && should_stop()) {
      result.cancelled = true;
      result.prefill_seconds = stats_.prefill_seconds = SecondsSince(start);
      return result;
    }
    const size_t count = std::min(kPrefillSlice, prompt.size() - begin);
    SequenceInput input{&state_, prompt.subspan(begin, count), {}};
    options.return_last_logits = begin + count == prompt.size();
    absl::StatusOr<ForwardResult> out = model_.Forward({&input, 1}, options);
    if (!out.ok()) return fail(out.status());
    forward = std::move(*out);
    tokens_.insert(tokens_.end(), prompt.begin() + begin, prompt.begin() + begin + count);
    stats_.prefilled_tokens += static_cast<int>(count);
  }
  result.prefill_seconds = stats_.prefill_seconds = SecondsSince(start);

  // A snapshot at the end of this prompt, unless one exists already.
  if (max_snapshots_ > 0 && std::none_of(snapshots_.begin(), snapshots_.end(), [&](const Snapshot& s) {
        return s.length == tokens_.size();
      })) {
    if (snapshots_.size() >= max_snapshots_) snapshots_.erase(snapshots_.begin());
    snapshots_.push_back(Snapshot{tokens_.size(), state_});
  }

  const auto decode_start = std::chrono::steady_clock::now();
  for (int step = 0; step < settings.max_new_tokens; ++step) {
    const int32_t token = sampler.Next(absl::MakeSpan(forward.last_logits), history);
    if (step == 0) stats_.first_token_seconds = SecondsSince(start);
    result.tokens.push_back(token);
    history.push_back(token);
    stats_.generated_tokens = static_cast<int>(result.tokens.size());
    const bool keep_going = !on_token || on_token(token);
    if (std::find(settings.stop_token_ids.begin(), settings.stop_token_ids.end(), token) !=
        settings.stop_token_ids.end()) {
      result.stopped_on_token = true;
      break;
    }
    if (!keep_going || step + 1 == settings.max_new_tokens) break;
    if (static_cast<int64_t>(tokens_.size()) >= context) {
      result.context_full = true;
      break;
    }
    if (should_stop && should_stop()) {
      result.cancelled = true;
      break;
    }
    SequenceInput input{&state_, absl::MakeConstSpan(&history.back(), 1), {}};
    options.return_last_logits = true;
    follow_history();
    absl::StatusOr<ForwardResult> out = model_.Forward({&input, 1}, options);
    if (!out.ok()) return fail(out.status());
    forward = std::move(*out);
    tokens_.push_back(token);
  }
  result.decode_seconds = stats_.decode_seconds = SecondsSince(decode_start);
  return result;
}

}  // namespace lateral
