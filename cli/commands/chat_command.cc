// lateral chat: a conversation over stdin (one line per turn), retrieving
// passages for every turn and answering with a generative LFM2 model. The
// GenerationSession keeps the conversation's model state, and each turn's
// documents go in that turn's user message, so a turn prefills only its own
// new tokens (answer/prompt_builder.h explains the layout).
#include <unistd.h>

#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "answer/answer_stream.h"
#include "answer/citations.h"
#include "answer/prompt_builder.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "cli/hub/interrupt.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "encoder/generation/generation_session.h"

namespace lateral::cli {
namespace {

absl::Status Run(const ParsedFlags& flags) {
  if (!flags.positional().empty()) {
    return UsageError("chat reads its questions from stdin, one per line (got an argument: \"" +
                      flags.positional()[0] + "\")");
  }
  const bool json = flags.Has("json"), verbose = flags.Has("verbose");
  ScopedInterruptHandler interrupt_handler;

  LATERAL_ASSIGN_OR_RETURN(Answerer answerer, OpenAnswerer(flags));
  std::unique_ptr<PassageRetriever>& retriever = answerer.retriever;
  const AnswerSetup& setup = answerer.setup;
  GenerationSession session(*setup.model.model);
  std::vector<ChatMessage> history;  // user (documents included), assistant, ...
  std::string last_text;             // the last prompt's text and the answer as generated
  std::vector<int32_t> last_ids;     // the tokens last_text is made of (prompt ids, then every generated id)
  bool said_bm25 = false;
  int turn = 0;
  std::string line;
  while (true) {
    if (!json && isatty(0)) std::cerr << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (InterruptRequested()) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string question(absl::StripAsciiWhitespace(line));
    if (question.empty()) continue;
    if (question == "/exit") break;
    if (question == "/reset") {
      history.clear();
      session.Reset();
      last_text.clear();
      last_ids.clear();
      if (json) {
        std::cout << Json{{"reset", true}}.dump() << "\n";
      } else {
        std::cout << "(conversation reset)\n";
      }
      std::cout.flush();
      continue;
    }
    ++turn;
    std::optional<Retrieval> retrieval;
    if (retriever) {
      LATERAL_ASSIGN_OR_RETURN(retrieval, retriever->Retrieve(question));
      if (!json && retrieval->no_encoder && !said_bm25) {
        std::cout << "(retrieving with BM25: this collection has no ColBERT model)\n";
        said_bm25 = true;
      }
    }
    answer::PromptRequest request;
    request.question = question;
    if (retrieval.has_value()) request.passages = retrieval->passages;
    request.retrieval = retrieval.has_value();
    request.placement = answer::DocumentPlacement::kUserMessage;
    request.history = history;
    request.context_tokens = setup.context_tokens;
    request.answer_tokens = setup.settings.max_new_tokens;
    LATERAL_ASSIGN_OR_RETURN(answer::BuiltPrompt prompt,
                             answer::BuildPrompt(request, *setup.model.chat_template, *setup.model.tokenizer));
    if (prompt.dropped_turns > 0) {
      history.erase(history.begin(), history.begin() + std::min<size_t>(history.size(), 2 * prompt.dropped_turns));
      if (!json) {
        std::cout << "(the conversation outgrew the context of " << setup.context_tokens << " tokens: dropped the "
                  << prompt.dropped_turns << " oldest turn(s))\n";
      }
    }
    // Token ids: the last prompt's ids and every token generated after them
    // (the last one included: it was sampled but never fed to the model)
    // when the new prompt continues that text, else the prompt's canonical
    // tokenisation. Re-tokenising the answer text may split it differently
    // from how it was generated, which would cost reusing it.
    std::vector<int32_t> ids = prompt.ids;
    if (!last_text.empty() && prompt.text.rfind(last_text, 0) == 0) {
      absl::StatusOr<std::vector<int32_t>> rest =
          setup.model.tokenizer->Encode(std::string_view(prompt.text).substr(last_text.size()), false);
      if (rest.ok()) {
        std::vector<int32_t> continued = last_ids;
        continued.insert(continued.end(), rest->begin(), rest->end());
        if (static_cast<int64_t>(continued.size()) + request.answer_tokens <= setup.context_tokens) {
          ids = std::move(continued);
        }
      }
    }
    if (flags.Has("show-prompt") && !json) std::cerr << "---- prompt (" << prompt.ids.size() << " tokens) ----\n"
                                                     << prompt.text << "\n---- end of prompt ----\n";

    answer::AnswerStream stream(*setup.model.tokenizer, setup.stop_strings);
    auto on_token = [&](int32_t token) {
      std::string text = stream.Push(token);
      if (!json && !text.empty()) {
        std::cout << text;
        std::cout.flush();
      }
      return !stream.stopped();
    };
    auto should_stop = [] { return InterruptRequested(); };
    LATERAL_ASSIGN_OR_RETURN(GenerationResult result,
                             session.Generate(ids, setup.settings, on_token, should_stop));
    // The text the session's tokens decode to, for the next turn's check.
    last_text = absl::StrCat(prompt.text, setup.model.tokenizer->Decode(result.tokens, /*skip_special_tokens=*/false));
    last_ids = ids;
    last_ids.insert(last_ids.end(), result.tokens.begin(), result.tokens.end());
    std::string tail = stream.Finish();
    const SessionStats& stats = session.last_stats();
    const std::vector<answer::RetrievedPassage> supplied = prompt.Supplied();
    const std::vector<answer::Citation> citations = answer::MapCitations(stream.text(), supplied);
    const double decode_rate = stats.generated_tokens > 1 && stats.decode_seconds > 0
                                   ? (stats.generated_tokens - 1) / stats.decode_seconds
                                   : 0;
    if (json) {
      Json cites = Json::array();
      for (const answer::Citation& c : citations) {
        Json j = {{"number", c.number}, {"supplied", c.supplied}};
        if (c.supplied) {
          j["path"] = c.passage->path;
          if (c.passage->line_begin > 0) j["line_begin"] = c.passage->line_begin, j["line_end"] = c.passage->line_end;
        }
        cites.push_back(std::move(j));
      }
      Json passages = Json::array();
      for (const answer::PassageUse& use : prompt.passages) {
        passages.push_back({{"fate", answer::PassageFateName(use.fate)}, {"path", use.passage.path},
                            {"number", use.passage.number}, {"id", use.passage.doc_id}});
      }
      Json out = {{"turn", turn},
                  {"question", question},
                  {"answer", stream.text()},
                  {"ids", result.tokens},
                  {"citations", cites},
                  {"passages", passages},
                  {"retrieval", retrieval.has_value() ? retrieval->mode : "none"},
                  {"bm25_only", retrieval.has_value() && retrieval->no_encoder},
                  {"prompt_tokens", ids.size()},
                  {"reused_tokens", stats.reused_tokens},
                  {"prefilled_tokens", stats.prefilled_tokens},
                  {"dropped_turns", prompt.dropped_turns},
                  {"timings",
                   {{"retrieval_ms", retrieval.has_value() ? retrieval->milliseconds : 0.0},
                    {"prefill_s", stats.prefill_seconds},
                    {"ttft_s", stats.first_token_seconds},
                    {"decode_s", stats.decode_seconds},
                    {"decode_tokens_per_s", decode_rate}}},
                  {"interrupted", result.cancelled}};
      if (flags.Has("show-prompt")) {
        out["prompt"] = prompt.text;
        out["prompt_ids"] = ids;
      }
      std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    } else {
      std::cout << tail << "\n";
      if (!citations.empty()) std::cout << answer::FormatCitations(citations);
      std::cout << "\n";
    }
    std::cout.flush();
    if (verbose) {
      std::cerr << absl::StrFormat(
          "turn %d: prompt %d tokens, %d reused, %d prefilled in %.3f s; first token after %.3f s; %d tokens in "
          "%.3f s (%.1f tokens/s)\n",
          turn, static_cast<int>(ids.size()), stats.reused_tokens, stats.prefilled_tokens,
          stats.prefill_seconds, stats.first_token_seconds, static_cast<int>(result.tokens.size()),
          stats.decode_seconds, decode_rate);
    }
    if (result.cancelled) {
      // Ctrl-C ends this answer, not the conversation: what was said so far
      // stays in the history (and in the session's state) and the next line
      // is read. Ctrl-C at the prompt ends the chat (the read is interrupted).
      if (!json) std::cout << "[interrupted]\n";
      std::cout.flush();
      ClearInterruptRequest();
    }
    history.push_back({"user", prompt.user_message});
    history.push_back({"assistant", stream.text()});
  }
  if (InterruptRequested()) return Interrupted("interrupted");
  if (std::cin.bad()) return absl::DataLossError("stdin: read error");
  return absl::OkStatus();
}

}  // namespace

Command ChatCommand() {
  return Command{
      "chat",
      "a conversation with a generative model over the collection, one line per turn",
      "usage: lateral chat [--generator DIR|ORG/NAME] [-k N] [--no-retrieval] [--verbose] < questions\n\n"
      "Reads one question per line from stdin and answers each as `lateral ask` does, with the earlier\n"
      "turns as context. Every turn retrieves its own passages (unless --no-retrieval). The model's state\n"
      "is kept between turns, so a turn processes only its own new tokens (--verbose shows how many were\n"
      "reused); when the conversation outgrows the context, the oldest turns are dropped (and it says so).\n"
      "/reset starts over, /exit (or end of input) ends. --json prints one object per turn. Ctrl-C stops\n"
      "the answer being written (the conversation goes on); at the prompt it ends the chat (exit 130).\n\n"
      "examples:\n"
      "  lateral chat --generator LiquidAI/LFM2-1.2B-RAG\n"
      "  printf 'what is BM25?\\nand ColBERT?\\n' | lateral chat --json --greedy\n",
      AnswerFlags(), Run};
}

}  // namespace lateral::cli
