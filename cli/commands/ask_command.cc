// lateral ask: answers a question from the collection's passages with a
// generative LFM2 model -- retrieve, build the prompt (answer/prompt_builder.h),
// stream the answer, then list the sources it cited.
#include <cstdio>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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

Json PassageJson(const answer::PassageUse& use) {
  const answer::RetrievedPassage& p = use.passage;
  Json j = {{"fate", answer::PassageFateName(use.fate)}, {"path", p.path},  {"id", p.doc_id},
            {"score", p.score},                          {"tokens", use.total_tokens}, {"used_tokens", use.used_tokens}};
  if (p.number > 0) j["number"] = p.number;
  if (p.line_begin > 0) j["line_begin"] = p.line_begin, j["line_end"] = p.line_end;
  return j;
}

Json CitationsJson(const std::vector<answer::Citation>& citations) {
  Json out = Json::array();
  for (const answer::Citation& c : citations) {
    Json j = {{"number", c.number}, {"supplied", c.supplied}};
    if (c.supplied) {
      j["path"] = c.passage->path;
      j["id"] = c.passage->doc_id;
      if (c.passage->line_begin > 0) j["line_begin"] = c.passage->line_begin, j["line_end"] = c.passage->line_end;
    }
    out.push_back(std::move(j));
  }
  return out;
}

// "note: ..." lines about what retrieval did, shared by text and JSON output.
std::string RetrievalNote(const std::optional<Retrieval>& retrieval) {
  if (!retrieval.has_value()) return "no retrieval (--no-retrieval): the model answered from its own knowledge";
  std::string note;
  if (retrieval->no_encoder) {
    note = "retrieved with BM25: this collection has no ColBERT model";
  } else {
    note = absl::StrCat("retrieved with ", retrieval->mode);
  }
  if (retrieval->passages.empty()) absl::StrAppend(&note, "; no passage matched the question");
  return note;
}

absl::Status Run(const ParsedFlags& flags) {
  const std::string question = absl::StrJoin(flags.positional(), " ");
  if (question.empty()) return UsageError("ask needs a question: lateral ask \"your question\"");
  const bool json = flags.Has("json"), verbose = flags.Has("verbose");
  // Ctrl-C from here on only sets a flag: generation polls it and stops cleanly.
  ScopedInterruptHandler interrupt_handler;

  LATERAL_ASSIGN_OR_RETURN(Answerer answerer, OpenAnswerer(flags));
  std::unique_ptr<PassageRetriever>& retriever = answerer.retriever;
  const AnswerSetup& setup = answerer.setup;

  std::optional<Retrieval> retrieval;
  if (retriever) {
    LATERAL_ASSIGN_OR_RETURN(retrieval, retriever->Retrieve(question));
    if (!json && retrieval->no_encoder) std::cerr << "note: this collection has no ColBERT model; retrieving with BM25\n";
  }

  answer::PromptRequest request;
  request.question = question;
  if (retrieval.has_value()) request.passages = retrieval->passages;
  request.retrieval = retrieval.has_value();
  request.placement = answer::DocumentPlacement::kSystemMessage;
  request.context_tokens = setup.context_tokens;
  request.answer_tokens = setup.settings.max_new_tokens;
  LATERAL_ASSIGN_OR_RETURN(answer::BuiltPrompt prompt,
                           answer::BuildPrompt(request, *setup.model.chat_template, *setup.model.tokenizer));
  int cut = 0, dropped = 0;
  for (const answer::PassageUse& use : prompt.passages) {
    cut += use.fate == answer::PassageFate::kCut;
    dropped += use.fate == answer::PassageFate::kDropped;
  }
  if (!json && (cut > 0 || dropped > 0)) {
    std::cerr << absl::StrFormat("note: context of %d tokens (answer budget %d): %d passage(s) cut, %d dropped\n",
                                 setup.context_tokens, request.answer_tokens, cut, dropped);
  }
  if (flags.Has("show-prompt") && !json) std::cerr << "---- prompt (" << prompt.ids.size() << " tokens) ----\n"
                                                   << prompt.text << "\n---- end of prompt ----\n";

  if (verbose) {
    std::cerr << "generating: prompt " << prompt.ids.size() << " tokens (" << prompt.Supplied().size()
              << " document(s)), context " << setup.context_tokens << ", at most " << setup.settings.max_new_tokens
              << " new tokens\n";
  }
  GenerationSession session(*setup.model.model);
  session.set_max_snapshots(0);  // one question: no later turn resumes from a snapshot
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
  LATERAL_ASSIGN_OR_RETURN(GenerationResult result, session.Generate(prompt.ids, setup.settings, on_token, should_stop));
  const bool interrupted = result.cancelled;
  std::string tail = stream.Finish();
  if (!json) std::cout << tail << "\n";
  const SessionStats& stats = session.last_stats();

  const std::vector<answer::RetrievedPassage> supplied = prompt.Supplied();
  const std::vector<answer::Citation> citations = answer::MapCitations(stream.text(), supplied);
  const double decode_rate =
      stats.generated_tokens > 1 && stats.decode_seconds > 0 ? (stats.generated_tokens - 1) / stats.decode_seconds : 0;
  std::string stop_reason = interrupted              ? "interrupted"
                            : stream.stopped()       ? "stop_string"
                            : result.stopped_on_token ? "stop_token"
                                                      : "max_tokens";
  if (json) {
    Json passages = Json::array();
    for (const answer::PassageUse& use : prompt.passages) passages.push_back(PassageJson(use));
    Json out = {{"question", question},
                {"answer", stream.text()},
                {"ids", result.tokens},
                {"citations", CitationsJson(citations)},
                {"passages", passages},
                {"retrieval",
                 {{"mode", retrieval.has_value() ? retrieval->mode : "none"},
                  {"bm25_only", retrieval.has_value() && retrieval->no_encoder},
                  {"note", RetrievalNote(retrieval)}}},
                {"timings",
                 {{"retrieval_ms", retrieval.has_value() ? retrieval->milliseconds : 0.0},
                  {"prefill_s", stats.prefill_seconds},
                  {"ttft_s", stats.first_token_seconds},
                  {"decode_s", stats.decode_seconds},
                  {"decode_tokens_per_s", decode_rate}}},
                {"prompt_tokens", prompt.ids.size()},
                {"generated_tokens", result.tokens.size()},
                {"context_tokens", setup.context_tokens},
                {"stop_reason", stop_reason},
                {"interrupted", interrupted},
                {"chat_template", setup.model.native_template ? "LFM2 (native)" : setup.model.chat_template->origin()}};
    if (flags.Has("show-prompt")) {
      out["prompt"] = prompt.text;
      out["prompt_ids"] = prompt.ids;
      out["stop_token_ids"] = setup.settings.stop_token_ids;
    }
    std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    if (!citations.empty()) {
      std::cout << "\nSources:\n" << answer::FormatCitations(citations);
    } else if (!supplied.empty()) {
      std::cout << "\nNo citations in the answer. Documents given to the model:\n";
      for (const answer::RetrievedPassage& p : supplied) {
        std::cout << "[" << p.number << "] " << answer::PassageLocation(p) << "\n";
      }
    }
    if (retrieval.has_value() && (retrieval->no_encoder || retrieval->passages.empty())) {
      std::cout << "(" << RetrievalNote(retrieval) << ")\n";
    }
  }
  if (verbose) {
    std::cerr << absl::StrFormat(
        "retrieval %.1f ms (%s); prompt %d tokens, prefill %.3f s; first token after %.3f s; %d tokens in %.3f s "
        "(%.1f tokens/s); stop: %s\n",
        retrieval.has_value() ? retrieval->milliseconds : 0.0, retrieval.has_value() ? retrieval->mode : "none",
        static_cast<int>(prompt.ids.size()), stats.prefill_seconds, stats.first_token_seconds,
        static_cast<int>(result.tokens.size()), stats.decode_seconds, decode_rate, stop_reason);
  }
  if (interrupted) {
    if (!json) std::cout << "[interrupted]\n";
    return Interrupted("interrupted: generation stopped by Ctrl-C");
  }
  return absl::OkStatus();
}

}  // namespace

Command AskCommand() {
  return Command{
      "ask",
      "answer a question from the collection with a generative model, citing sources",
      "usage: lateral ask QUESTION... [-k N] [--generator DIR|ORG/NAME] [--json] [--no-retrieval]\n\n"
      "Retrieves the question's best passages from the collection (as lateral search does: hybrid with a\n"
      "ColBERT model, BM25 without), gives them to the generative model as numbered documents, streams the\n"
      "answer, then lists the sources it cited as [N] path:lines. The generative model comes from\n"
      "--generator or `model` in the [answer] section of the config; its chat template is the one it ships\n"
      "(LFM2's format for LFM2 checkpoints that ship none). Passages are fitted to the context with room for\n"
      "--max-tokens of answer: the first one that does not fit whole is cut at a token boundary, later ones\n"
      "are dropped (--verbose and --json say which). Ctrl-C stops the answer where it is (exit 130).\n\n"
      "examples:\n"
      "  lateral ask \"how do I undo a commit\"\n"
      "  lateral ask --generator LiquidAI/LFM2-1.2B-RAG -k 3 \"Wer hat den Vertrag unterschrieben?\"\n"
      "  lateral ask --json --greedy \"what changed in 2024\"\n"
      "  lateral ask --no-retrieval --generator DIR \"Write a haiku about search\"\n",
      AnswerFlags(), Run};
}

}  // namespace lateral::cli
