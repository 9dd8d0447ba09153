#include "encoder/tokenizer/tokenizer.h"

#include <sys/stat.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "encoder/tokenizer/sentencepiece_tokenizer.h"
#include "encoder/tokenizer/tokenizer_json.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral {
namespace {

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromDirectory(const std::string& dir) {
  const std::string json_path = tok::Cat(dir, "/tokenizer.json");
  const std::string config_path = tok::Cat(dir, "/tokenizer_config.json");
  const std::string sentencepiece_path = tok::Cat(dir, "/tokenizer.model");
  const std::string config = IsRegularFile(config_path) ? config_path : std::string();
  // tokenizer.json wins when both exist: it is what transformers' fast
  // tokenizers (and so the reference encodings) use.
  if (IsRegularFile(json_path)) return LoadTokenizerJson(json_path, config);
  if (IsRegularFile(sentencepiece_path)) return LoadSentencePieceTokenizer(sentencepiece_path, config);
  return absl::NotFoundError(tok::Cat(dir, ": no tokenizer: neither ", json_path, " nor ",
                                          sentencepiece_path, " exists"));
}

}  // namespace lateral
