// lateral tokenize: JSON lines of text in, JSON lines of token ids out.
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral::cli {
namespace {

absl::Status Run(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  if (!flags.positional().empty()) {
    return UsageError(absl::StrCat("unexpected argument \"", flags.positional()[0], "\"; input comes on stdin"));
  }
  const bool add_special = flags.Has("add-special");
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, Tokenizer::FromDirectory(model_dir));
  std::string line;
  int64_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    const std::string where = absl::StrCat("stdin line ", line_number);
    LATERAL_ASSIGN_OR_RETURN(Json object, ParseJson(line, where));
    JsonObjectReader reader(object, where);
    if (!object.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": expected a JSON object"));
    LATERAL_ASSIGN_OR_RETURN(std::string text, reader.GetString("text"));
    absl::StatusOr<std::vector<int32_t>> ids = tokenizer->Encode(text, add_special);
    if (!ids.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", ids.status().message()));
    std::cout << "{\"ids\":" << IdsToJson(*ids) << "}\n";
  }
  return absl::OkStatus();
}

}  // namespace

Command TokenizeCommand() {
  return Command{
      "tokenize",
      "token ids of JSON-lines text on stdin",
      "usage: lateral tokenize --model DIR [--add-special] < input.jsonl\n\n"
      "Reads one JSON object per line with a \"text\" field and writes one line\n"
      "{\"ids\": [...]} per input line, in order.\n\n"
      "example:\n  echo '{\"text\": \"Hello world\"}' | lateral tokenize --model LiquidAI/LFM2-350M --add-special\n",
      {{"model", true, "model directory with tokenizer.json (or tokenizer.model)", "DIR"},
       {"add-special", false, "add the tokenizer's special tokens (BOS for LFM2)"}},
      Run};
}

}  // namespace lateral::cli
