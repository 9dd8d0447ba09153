#include "answer/prompt_builder.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lateral::answer {
namespace {

// Builds and measures candidate prompts for one request.
class Assembler {
 public:
  Assembler(const PromptRequest& request, const ChatTemplate& chat_template, const Tokenizer& tokenizer)
      : request_(request), template_(chat_template), tokenizer_(tokenizer) {}

  // The messages for the given document texts, with the first `dropped_turns`
  // user+assistant pairs of the history left out.
  std::vector<ChatMessage> Messages(const std::vector<std::string>& texts, int dropped_turns,
                                    std::string* user_message) const {
    std::vector<ChatMessage> messages;
    const bool system_documents = request_.placement == DocumentPlacement::kSystemMessage;
    if (system_documents && !texts.empty()) {
      messages.push_back({"system", absl::StrCat(DocumentsBlock(texts), "\n\n", kCitationInstruction)});
    } else if (!system_documents && request_.retrieval) {
      messages.push_back({"system", kChatCitationInstruction});
    }
    const size_t skip = std::min(request_.history.size(), static_cast<size_t>(2 * dropped_turns));
    messages.insert(messages.end(), request_.history.begin() + skip, request_.history.end());
    std::string user = request_.question;
    if (!system_documents && !texts.empty()) user = absl::StrCat(DocumentsBlock(texts), "\n\n", request_.question);
    *user_message = user;
    messages.push_back({"user", std::move(user)});
    return messages;
  }

  struct Candidate {
    std::vector<ChatMessage> messages;
    std::string text;
    std::vector<int32_t> ids;
    std::string user_message;
    bool fits = false;  // ids + the answer budget <= the context
  };

  absl::StatusOr<Candidate> Measure(const std::vector<std::string>& texts, int dropped_turns) const {
    Candidate c;
    c.messages = Messages(texts, dropped_turns, &c.user_message);
    LATERAL_ASSIGN_OR_RETURN(c.text, template_.Render(c.messages, /*add_generation_prompt=*/true));
    // Chat templates write BOS themselves (LFM2.md §12.3).
    LATERAL_ASSIGN_OR_RETURN(c.ids, tokenizer_.Encode(c.text, /*add_special_tokens=*/false));
    c.fits = static_cast<int64_t>(c.ids.size()) + request_.answer_tokens <= request_.context_tokens;
    return c;
  }

  // The longest prefix of `ids` (at most `n` tokens) whose decoded text is a
  // prefix of `text`: a cut at a token boundary that also ends on a UTF-8
  // character boundary (a byte-level token may end inside a character, and
  // its partial decode would be U+FFFD, not a prefix).
  std::pair<std::string, int> CutText(const std::string& text, const std::vector<int32_t>& ids, int n) const {
    for (; n > 0; --n) {
      std::string decoded = tokenizer_.Decode(absl::MakeConstSpan(ids.data(), n), /*skip_special_tokens=*/false);
      if (text.compare(0, decoded.size(), decoded) == 0 && decoded.size() <= text.size()) return {decoded, n};
    }
    return {"", 0};
  }

 private:
  const PromptRequest& request_;
  const ChatTemplate& template_;
  const Tokenizer& tokenizer_;
};

}  // namespace

const char* PassageFateName(PassageFate fate) {
  switch (fate) {
    case PassageFate::kIncluded: return "included";
    case PassageFate::kCut: return "cut";
    case PassageFate::kDropped: return "dropped";
  }
  return "dropped";
}

std::vector<RetrievedPassage> BuiltPrompt::Supplied() const {
  std::vector<RetrievedPassage> out;
  for (const PassageUse& use : passages) {
    if (use.fate != PassageFate::kDropped) out.push_back(use.passage);
  }
  return out;
}

std::string DocumentsBlock(const std::vector<std::string>& texts) {
  std::string out = kDocumentsIntro;
  for (size_t i = 0; i < texts.size(); ++i) {
    absl::StrAppend(&out, "\n<document", i + 1, ">", texts[i], "</document", i + 1, ">");
  }
  return out;
}

absl::StatusOr<BuiltPrompt> BuildPrompt(const PromptRequest& request, const ChatTemplate& chat_template,
                                        const Tokenizer& tokenizer) {
  if (request.context_tokens <= 0) return absl::InvalidArgumentError("the context length must be positive");
  if (request.answer_tokens < 1) return absl::InvalidArgumentError("the answer budget must be at least 1 token");
  if (request.answer_tokens >= request.context_tokens) {
    return absl::OutOfRangeError(absl::StrCat("the answer budget of ", request.answer_tokens,
                                              " tokens leaves no room for a prompt in a context of ",
                                              request.context_tokens, " tokens (lower --max-tokens)"));
  }
  Assembler assembler(request, chat_template, tokenizer);

  // Passage tokens, for the budget and for cutting at token boundaries.
  std::vector<std::vector<int32_t>> passage_ids;
  for (const RetrievedPassage& p : request.passages) {
    LATERAL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer.Encode(p.text, /*add_special_tokens=*/false));
    passage_ids.push_back(std::move(ids));
  }

  // The conversation must leave room for the question, the answer and (when
  // there is one) the best passage; older turns go first.
  const int history_turns = static_cast<int>(request.history.size() / 2);
  int dropped_turns = 0;
  LATERAL_ASSIGN_OR_RETURN(Assembler::Candidate current, assembler.Measure({}, 0));
  int64_t reserve = 0;  // what the best passage adds, whole, capped at half the context
  if (history_turns > 0 && !request.passages.empty() && !request.passages[0].text.empty()) {
    LATERAL_ASSIGN_OR_RETURN(Assembler::Candidate with_best, assembler.Measure({request.passages[0].text}, 0));
    reserve = std::min<int64_t>(static_cast<int64_t>(with_best.ids.size()) - current.ids.size(),
                                request.context_tokens / 2);
  }
  while (dropped_turns < history_turns &&
         static_cast<int64_t>(current.ids.size()) + request.answer_tokens + reserve > request.context_tokens) {
    ++dropped_turns;
    LATERAL_ASSIGN_OR_RETURN(current, assembler.Measure({}, dropped_turns));
  }
  if (!current.fits) {
    const int64_t need = static_cast<int64_t>(current.ids.size()) + request.answer_tokens;
    return absl::OutOfRangeError(absl::StrCat(
        "the question does not fit the context: its prompt takes ", current.ids.size(), " tokens and the answer ",
        request.answer_tokens, ", ", need, " in all, ", need - request.context_tokens,
        " more than the context of ", request.context_tokens, " tokens (shorten the question, lower --max-tokens",
        " or raise --context)"));
  }

  BuiltPrompt built;
  built.dropped_turns = dropped_turns;
  std::vector<std::string> texts;
  bool full = false;  // a passage did not fit whole: every later one is dropped
  for (size_t i = 0; i < request.passages.size(); ++i) {
    PassageUse use;
    use.passage = request.passages[i];
    use.passage.number = 0;
    use.total_tokens = static_cast<int>(passage_ids[i].size());
    if (!full && !use.passage.text.empty()) {
      texts.push_back(use.passage.text);
      LATERAL_ASSIGN_OR_RETURN(Assembler::Candidate whole, assembler.Measure(texts, dropped_turns));
      if (whole.fits) {
        use.fate = PassageFate::kIncluded;
        use.used_tokens = use.total_tokens;
        current = std::move(whole);
      } else {
        full = true;
        // The largest token prefix that fits: prompt length grows with the
        // prefix, so search on it, then confirm (a merge across the cut may
        // make the count non-monotonic by a token).
        int lo = 0, hi = use.total_tokens - 1;
        std::optional<Assembler::Candidate> best;
        std::string best_text;
        int best_n = 0;
        while (lo < hi) {
          const int mid = lo + (hi - lo + 1) / 2;
          auto [cut, n] = assembler.CutText(use.passage.text, passage_ids[i], mid);
          texts.back() = cut;
          LATERAL_ASSIGN_OR_RETURN(Assembler::Candidate c, assembler.Measure(texts, dropped_turns));
          if (c.fits) {
            lo = mid;
          } else {
            hi = mid - 1;
          }
        }
        for (int n = lo; n >= request.min_cut_tokens && n > 0; --n) {
          auto [cut, m] = assembler.CutText(use.passage.text, passage_ids[i], n);
          if (m < request.min_cut_tokens) break;
          texts.back() = cut;
          LATERAL_ASSIGN_OR_RETURN(Assembler::Candidate c, assembler.Measure(texts, dropped_turns));
          if (c.fits) {
            best = std::move(c);
            best_text = cut;
            best_n = m;
            break;
          }
          n = m;  // continue below the prefix actually used
        }
        if (best.has_value()) {
          use.fate = PassageFate::kCut;
          use.used_tokens = best_n;
          use.passage.text = best_text;
          current = std::move(*best);
        } else {
          texts.pop_back();
        }
      }
    }
    if (use.fate != PassageFate::kDropped) use.passage.number = static_cast<int>(texts.size());
    built.passages.push_back(std::move(use));
  }
  built.messages = std::move(current.messages);
  built.text = std::move(current.text);
  built.ids = std::move(current.ids);
  built.user_message = std::move(current.user_message);
  return built;
}

}  // namespace lateral::answer
