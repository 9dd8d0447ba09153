// The RAG prompt: exact renders written by hand from the convention
// (shared/reference/LFM2.md §12.4, §15), and the budget's properties over a
// sweep of context sizes (fits, rank order kept, a cut passage is a token
// prefix that ends on a character boundary, later passages dropped).
#include "answer/prompt_builder.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "encoder/generation/chat_template.h"
#include "encoder/tokenizer/tokenizer.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral::answer {
namespace {

using testing::TestDataPath;

class PromptBuilderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokenizer_ = std::move(*Tokenizer::FromDirectory(TestDataPath("colbert-tiny")));
  }
  static void TearDownTestSuite() { tokenizer_.reset(); }

  static RetrievedPassage Passage(std::string text, std::string path = "a.md") {
    RetrievedPassage p;
    p.text = std::move(text);
    p.path = std::move(path);
    p.line_begin = 1;
    p.line_end = 2;
    return p;
  }

  static int Tokens(const std::string& text) { return static_cast<int>(tokenizer_->Encode(text, false)->size()); }

  static inline std::unique_ptr<Tokenizer> tokenizer_;
};

// The instruction exactly as docs/ANSWERS.md states it.
constexpr char kInstruction[] =
    "Answer the question using these documents. Cite the documents you use by their number in square "
    "brackets, like this:\nQuestion: When did the bridge open?\n"
    "Answer: The bridge opened in May 1937 [2], after four years of work [1][3].";

TEST_F(PromptBuilderTest, GoldenAskPromptWithLfm2Template) {
  PromptRequest request;
  request.question = "What is the capital of France?";
  request.passages = {Passage("Paris is the capital of France."), Passage("The Seine flows through Paris.")};
  request.context_tokens = 4096;
  request.answer_tokens = 256;
  absl::StatusOr<BuiltPrompt> built = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(built.ok()) << built.status();
  const std::string expected = absl::StrCat(
      "<|startoftext|><|im_start|>system\n"
      "The following documents may provide you additional information to answer questions:\n"
      "<document1>Paris is the capital of France.</document1>\n"
      "<document2>The Seine flows through Paris.</document2>\n\n",
      kInstruction,
      "<|im_end|>\n"
      "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
      "<|im_start|>assistant\n");
  EXPECT_EQ(built->text, expected);
  EXPECT_EQ(built->ids, *tokenizer_->Encode(expected, false));
  EXPECT_EQ(built->ids.front(), 1) << "BOS from the template, once";
  ASSERT_EQ(built->passages.size(), 2u);
  EXPECT_EQ(built->passages[0].fate, PassageFate::kIncluded);
  EXPECT_EQ(built->passages[0].passage.number, 1);
  EXPECT_EQ(built->passages[1].passage.number, 2);
  EXPECT_EQ(built->Supplied().size(), 2u);
  EXPECT_EQ(built->user_message, "What is the capital of France?");
}

TEST_F(PromptBuilderTest, GoldenWithTheModelsOwnTemplate) {
  absl::StatusOr<ChatTemplate> tmpl = ChatTemplate::FromSource(
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>\n{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}",
      "test template", "<|startoftext|>", "<|im_end|>");
  ASSERT_TRUE(tmpl.ok()) << tmpl.status();
  PromptRequest request;
  request.question = "Who?";
  request.passages = {Passage("Ada wrote it.")};
  request.context_tokens = 1000;
  request.answer_tokens = 10;
  absl::StatusOr<BuiltPrompt> built = BuildPrompt(request, *tmpl, *tokenizer_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->text, absl::StrCat("<|startoftext|><system>The following documents may provide you additional "
                                      "information to answer questions:\n<document1>Ada wrote it.</document1>\n\n",
                                      kInstruction, "</system>\n<user>Who?</user>\n<assistant>"));
}

TEST_F(PromptBuilderTest, NoRetrievalIsThePlainQuestion) {
  PromptRequest request;
  request.question = "Hello there";
  request.retrieval = false;
  request.context_tokens = 100;
  request.answer_tokens = 10;
  absl::StatusOr<BuiltPrompt> built = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->text, "<|startoftext|><|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n");
  // Same in the chat layout.
  request.placement = DocumentPlacement::kUserMessage;
  built = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->text, "<|startoftext|><|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n");
}

constexpr char kChatInstruction[] =
    "Each question may come with documents. Answer using them and cite the documents you use by their number in "
    "square brackets, like this:\nQuestion: When did the bridge open?\n"
    "Answer: The bridge opened in May 1937 [2], after four years of work [1][3].";

TEST_F(PromptBuilderTest, GoldenChatTurnsKeepThePreviousPromptAsPrefix) {
  PromptRequest first;
  first.placement = DocumentPlacement::kUserMessage;
  first.question = "Where is the tower?";
  first.passages = {Passage("The tower is in Pisa.")};
  first.context_tokens = 4096;
  first.answer_tokens = 64;
  absl::StatusOr<BuiltPrompt> one = BuildPrompt(first, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(one.ok()) << one.status();
  const std::string user1 =
      "The following documents may provide you additional information to answer questions:\n"
      "<document1>The tower is in Pisa.</document1>\n\nWhere is the tower?";
  EXPECT_EQ(one->text, absl::StrCat("<|startoftext|><|im_start|>system\n", kChatInstruction, "<|im_end|>\n",
                                    "<|im_start|>user\n", user1, "<|im_end|>\n<|im_start|>assistant\n"));
  EXPECT_EQ(one->user_message, user1);

  PromptRequest second = first;
  second.question = "How tall is it?";
  second.passages = {Passage("It is 56 metres tall."), Passage("It leans.")};
  second.history = {{"user", one->user_message}, {"assistant", "In Pisa [1]."}};
  absl::StatusOr<BuiltPrompt> two = BuildPrompt(second, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->text, absl::StrCat(one->text, "In Pisa [1].<|im_end|>\n<|im_start|>user\n",
                                    "The following documents may provide you additional information to answer "
                                    "questions:\n<document1>It is 56 metres tall.</document1>\n"
                                    "<document2>It leans.</document2>\n\nHow tall is it?<|im_end|>\n"
                                    "<|im_start|>assistant\n"));
  // Token level too: the first prompt's ids are a prefix of the second's.
  ASSERT_GE(two->ids.size(), one->ids.size());
  EXPECT_TRUE(std::equal(one->ids.begin(), one->ids.end(), two->ids.begin()));
}

// Budget properties over every context size from "question only" to "all fits".
TEST_F(PromptBuilderTest, BudgetPropertiesOverContextSizes) {
  PromptRequest request;
  request.question = "Which rivers are mentioned, and where do they flow?";
  request.passages = {
      Passage("The Rhine rises in the Swiss Alps and flows north through Germany to the North Sea.", "r.md"),
      Passage("Der Main mündet bei Mainz in den Rhein; Frankfurt liegt an seinem Unterlauf. Über Straßen und "
              "Brücken: Grüße aus Würzburg!", "m.md"),
      Passage("长江是中国最长的河流，流经青藏高原、四川盆地和长江中下游平原，最后注入东海。🌊 黄河是第二长河。", "c.md"),
      Passage("The Thames flows through London.", "t.md")};
  request.answer_tokens = 20;
  request.min_cut_tokens = 4;
  request.context_tokens = 100000;
  absl::StatusOr<BuiltPrompt> all = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(all.ok());
  const int full_size = static_cast<int>(all->ids.size()) + request.answer_tokens;

  int previous_used = -1;
  int saw_cut = 0, saw_error = 0;
  for (int context = 40; context <= full_size + 2; ++context) {
    request.context_tokens = context;
    absl::StatusOr<BuiltPrompt> built = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
    if (!built.ok()) {
      ++saw_error;
      EXPECT_EQ(built.status().code(), absl::StatusCode::kOutOfRange) << built.status();
      EXPECT_EQ(previous_used, -1) << "an error after a smaller context worked, at " << context;
      continue;
    }
    SCOPED_TRACE(absl::StrCat("context ", context));
    EXPECT_LE(static_cast<int>(built->ids.size()) + request.answer_tokens, context);
    EXPECT_EQ(built->ids, *tokenizer_->Encode(built->text, false));
    ASSERT_EQ(built->passages.size(), request.passages.size());
    int used = 0, number = 0;
    bool ended = false;
    for (size_t i = 0; i < built->passages.size(); ++i) {
      const PassageUse& use = built->passages[i];
      const RetrievedPassage& original = request.passages[i];
      EXPECT_EQ(use.passage.path, original.path) << "rank order kept";
      EXPECT_EQ(use.total_tokens, Tokens(original.text));
      if (ended) {
        EXPECT_EQ(use.fate, PassageFate::kDropped) << "passage " << i << " after a cut or drop";
        continue;
      }
      if (use.fate == PassageFate::kIncluded) {
        EXPECT_EQ(use.passage.text, original.text);
        EXPECT_EQ(use.passage.number, ++number);
        EXPECT_NE(built->text.find(absl::StrCat("<document", number, ">", original.text, "</document", number, ">")),
                  std::string::npos);
      } else if (use.fate == PassageFate::kCut) {
        ++saw_cut;
        ended = true;
        EXPECT_EQ(use.passage.number, ++number);
        EXPECT_GE(use.used_tokens, request.min_cut_tokens);
        EXPECT_LT(use.used_tokens, use.total_tokens);
        // A token prefix: the decode of the passage's first used_tokens tokens ...
        std::vector<int32_t> ids = *tokenizer_->Encode(original.text, false);
        ids.resize(use.used_tokens);
        EXPECT_EQ(use.passage.text, tokenizer_->Decode(ids, false));
        // ... that is also a byte prefix of the text (so no broken character).
        EXPECT_EQ(original.text.compare(0, use.passage.text.size(), use.passage.text), 0) << use.passage.text;
        EXPECT_EQ(use.passage.text.find("\xEF\xBF\xBD"), std::string::npos);
        EXPECT_NE(built->text.find(absl::StrCat("<document", number, ">", use.passage.text, "</document", number, ">")),
                  std::string::npos);
      } else {
        ended = true;
        EXPECT_EQ(use.passage.number, 0);
      }
      used += use.fate == PassageFate::kDropped ? 0 : use.used_tokens;
    }
    // More context never means less of the passages.
    EXPECT_GE(used, previous_used);
    previous_used = used;
    if (context >= full_size) {
      for (const PassageUse& use : built->passages) EXPECT_EQ(use.fate, PassageFate::kIncluded);
    }
  }
  EXPECT_GT(saw_error, 0) << "the sweep starts below the question's own size";
  EXPECT_GT(saw_cut, 3) << "the sweep exercises cuts";
}

TEST_F(PromptBuilderTest, QuestionTooLongSaysByHowMuch) {
  PromptRequest request;
  request.question = "Tell me everything about rivers, lakes, oceans and the water cycle, please, in detail.";
  request.passages = {Passage("Water evaporates.")};
  request.answer_tokens = 8;
  // The question alone, rendered as the builder would with no documents.
  const std::string alone = absl::StrCat("<|startoftext|><|im_start|>user\n", request.question,
                                         "<|im_end|>\n<|im_start|>assistant\n");
  const int need = Tokens(alone) + request.answer_tokens;
  request.context_tokens = need - 5;
  absl::StatusOr<BuiltPrompt> built = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), absl::StatusCode::kOutOfRange);
  const std::string message(built.status().message());
  EXPECT_NE(message.find(absl::StrCat(Tokens(alone), " tokens")), std::string::npos) << message;
  EXPECT_NE(message.find(absl::StrCat("5 more than the context of ", need - 5, " tokens")), std::string::npos)
      << message;
  // Exactly enough room: the question fits, the passage does not.
  request.context_tokens = need;
  built = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->text, alone);
  EXPECT_EQ(built->passages[0].fate, PassageFate::kDropped);
}

TEST_F(PromptBuilderTest, ConversationDropsOldestTurnsToFit) {
  PromptRequest request;
  request.placement = DocumentPlacement::kUserMessage;
  request.question = "And the third?";
  for (int i = 0; i < 6; ++i) {
    request.history.push_back({"user", absl::StrCat("Question number ", i, " about a long topic of rivers and seas")});
    request.history.push_back({"assistant", absl::StrCat("Answer number ", i, " which is also somewhat long.")});
  }
  request.passages = {Passage("The third river is the Danube.")};
  request.answer_tokens = 16;
  request.context_tokens = 100000;
  absl::StatusOr<BuiltPrompt> all = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->dropped_turns, 0);
  request.context_tokens = static_cast<int>(all->ids.size()) + request.answer_tokens - 30;
  absl::StatusOr<BuiltPrompt> built = BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_GT(built->dropped_turns, 0);
  EXPECT_LE(static_cast<int>(built->ids.size()) + request.answer_tokens, request.context_tokens);
  EXPECT_EQ(built->text.find("Question number 0"), std::string::npos) << "the oldest turn went first";
  EXPECT_NE(built->text.find("Answer number 5"), std::string::npos) << "the newest turn stays";
  EXPECT_EQ(built->passages[0].fate, PassageFate::kIncluded) << "room was made for the best passage";
}

TEST_F(PromptBuilderTest, AnswerBudgetLargerThanContextIsAnError) {
  PromptRequest request;
  request.question = "Hi";
  request.context_tokens = 64;
  request.answer_tokens = 64;
  EXPECT_EQ(BuildPrompt(request, ChatTemplate::Lfm2Native(), *tokenizer_).status().code(),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace lateral::answer
