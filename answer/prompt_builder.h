// The prompt for a retrieval-augmented answer: the question, the retrieved
// passages as numbered documents and the conversation so far, rendered with
// the model's chat template and fitted to its context.
//
// Convention (LFM2-1.2B-RAG, shared/reference/LFM2.md §15): the documents
// follow "The following documents may provide you additional information to
// answer questions:" as <document1>...</document1>, one per line; the
// question is the user turn; an instruction with a one-shot example asks for
// `[1]`-style citations. `lateral ask` puts documents and instruction in the
// system message (kSystemMessage, the model card's layout). `lateral chat`
// retrieves per turn, so it puts each turn's documents in that turn's user
// message and only the fixed instruction in the system message
// (kUserMessage): turn N+1's prompt then starts with turn N's prompt and
// answer, and the generation session reuses their state.
//
// Budget: prompt tokens + answer tokens <= context tokens, always.
// Passages are taken in rank order while they fit whole; the first that does
// not is cut to a prefix of its own tokens (never mid-token, never inside a
// UTF-8 character) when at least `min_cut_tokens` of it fit, else dropped;
// every later passage is dropped. When the conversation alone does not fit,
// the oldest turns are dropped (reported); when the question alone does not
// fit, the result is an error that says by how many tokens.
//
// Called by cli/commands/ask_command.cc and chat_command.cc; pure apart from
// the tokenizer and template it borrows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "answer/retrieved_passage.h"
#include "encoder/generation/chat_template.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral::answer {

// The fixed texts of the prompt (exposed for tests and docs/ANSWERS.md).
inline constexpr char kDocumentsIntro[] =
    "The following documents may provide you additional information to answer questions:";
inline constexpr char kCitationInstruction[] =
    "Answer the question using these documents. Cite the documents you use by their number in square "
    "brackets, like this:\n"
    "Question: When did the bridge open?\n"
    "Answer: The bridge opened in May 1937 [2], after four years of work [1][3].";
// The instruction when documents go in the user turns (chat): the same
// request, said once for the whole conversation.
inline constexpr char kChatCitationInstruction[] =
    "Each question may come with documents. Answer using them and cite the documents you use by their "
    "number in square brackets, like this:\n"
    "Question: When did the bridge open?\n"
    "Answer: The bridge opened in May 1937 [2], after four years of work [1][3].";

enum class DocumentPlacement { kSystemMessage, kUserMessage };

struct PromptRequest {
  std::string question;
  // Ranked, best first. `number` is ignored: included passages are numbered
  // 1, 2, ... in this order.
  std::vector<RetrievedPassage> passages;
  // Earlier turns, oldest first: user, assistant, user, assistant, ... (the
  // user contents as they were sent, documents included; see
  // BuiltPrompt::user_message). No system message: the builder adds it.
  std::vector<ChatMessage> history;
  DocumentPlacement placement = DocumentPlacement::kSystemMessage;
  // With no passages and this false, no documents intro or instruction is
  // sent at all (plain generation, `--no-retrieval`).
  bool retrieval = true;
  int context_tokens = 0;  // the model's context length (possibly lowered by --context)
  int answer_tokens = 0;   // room kept for the answer (max new tokens)
  int min_cut_tokens = 16; // a passage cut shorter than this is dropped instead
};

enum class PassageFate { kIncluded, kCut, kDropped };
const char* PassageFateName(PassageFate fate);  // "included" | "cut" | "dropped"

struct PassageUse {
  RetrievedPassage passage;  // number assigned when included or cut; text as sent (cut text when cut)
  PassageFate fate = PassageFate::kDropped;
  int total_tokens = 0;      // the passage text's tokens (no special tokens)
  int used_tokens = 0;       // of those, how many the prompt holds
};

struct BuiltPrompt {
  std::vector<ChatMessage> messages;  // what was rendered (system, history, user)
  std::string text;                   // the rendered prompt (generation prompt added)
  std::vector<int32_t> ids;           // `text` tokenised without adding special tokens
  std::vector<PassageUse> passages;   // every requested passage, in rank order, with its fate
  int dropped_turns = 0;              // oldest user+assistant pairs left out to fit
  std::string user_message;           // the final user message's content (keep it in the history)

  // The passages the prompt holds (included or cut), numbered from 1.
  std::vector<RetrievedPassage> Supplied() const;
};

// The documents block: kDocumentsIntro, then "\n<documentN>text</documentN>"
// per passage, numbered from 1 in order.
std::string DocumentsBlock(const std::vector<std::string>& texts);

absl::StatusOr<BuiltPrompt> BuildPrompt(const PromptRequest& request, const ChatTemplate& chat_template,
                                        const Tokenizer& tokenizer);

}  // namespace lateral::answer
