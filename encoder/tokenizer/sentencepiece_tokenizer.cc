#include "encoder/tokenizer/sentencepiece_tokenizer.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "encoder/tokenizer/sentencepiece_adapter.h"
#include "encoder/tokenizer/tokenizer_config.h"
#include "encoder/tokenizer/utf8.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral {
namespace {

using tok::SentencePieceModel;

bool EndsWithReplacement(const std::string& text) {
  return text.size() >= tok::kReplacementCharacter.size() &&
         text.compare(text.size() - tok::kReplacementCharacter.size(),
                      tok::kReplacementCharacter.size(), tok::kReplacementCharacter) == 0;
}

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(std::unique_ptr<SentencePieceModel> model, std::string path)
      : model_(std::move(model)), path_(std::move(path)) {}

  absl::Status Configure(const tok::TokenizerConfig& config, const std::string& config_path) {
    add_bos_ = config.add_bos_token.value_or(model_->bos_id() >= 0);
    add_eos_ = config.add_eos_token.value_or(false);
    auto resolve = [&](const std::optional<std::string>& name, const char* field, int fallback,
                       std::optional<int32_t>* out) -> absl::Status {
      if (!name.has_value()) {
        if (fallback >= 0) *out = fallback;
        return absl::OkStatus();
      }
      *out = TokenToId(*name);
      if (!out->has_value()) {
        return absl::InvalidArgumentError(tok::Cat(config_path, ": field \"", field, "\": \"",
                                                       *name, "\" is not a piece of ", path_));
      }
      return absl::OkStatus();
    };
    LATERAL_RETURN_IF_ERROR(resolve(config.bos_token, "bos_token", model_->bos_id(), &bos_id_));
    LATERAL_RETURN_IF_ERROR(resolve(config.eos_token, "eos_token", model_->eos_id(), &eos_id_));
    LATERAL_RETURN_IF_ERROR(resolve(config.pad_token, "pad_token", model_->pad_id(), &pad_id_));
    if (add_bos_ && !bos_id_.has_value()) {
      return absl::InvalidArgumentError(
          tok::Cat(config_path, ": add_bos_token is set but ", path_, " has no BOS piece"));
    }
    if (add_eos_ && !eos_id_.has_value()) {
      return absl::InvalidArgumentError(
          tok::Cat(config_path, ": add_eos_token is set but ", path_, " has no EOS piece"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text,
                                              bool add_special_tokens) const override {
    if (std::optional<size_t> bad = tok::FindInvalidUtf8(text)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "Encode: input text is not valid UTF-8: byte 0x%02X at byte offset %d",
          static_cast<uint8_t>(text[*bad]), *bad));
    }
    std::vector<int> pieces;
    std::string error;
    if (!model_->Encode(text, &pieces, &error)) {
      return absl::InternalError(tok::Cat(path_, ": SentencePiece Encode failed: ", error));
    }
    std::vector<int32_t> ids;
    ids.reserve(pieces.size() + 2);
    if (add_special_tokens && add_bos_) ids.push_back(*bos_id_);
    ids.insert(ids.end(), pieces.begin(), pieces.end());
    if (add_special_tokens && add_eos_) ids.push_back(*eos_id_);
    return ids;
  }

  std::string Decode(absl::Span<const int32_t> ids, bool skip_special_tokens) const override {
    std::string out;
    std::vector<int> run;
    auto flush = [&]() {
      if (run.empty()) return;
      std::string text, error;
      // A decode of valid ids cannot fail; on failure the run is dropped.
      if (model_->Decode(run, &text, &error)) out.append(text);
      run.clear();
    };
    for (int32_t id : ids) {
      if (id < 0 || id >= model_->PieceSize()) continue;
      if (IsSpecial(id)) {
        if (skip_special_tokens) continue;
        flush();
        out.append(model_->IdToPiece(id));
        continue;
      }
      run.push_back(id);
    }
    flush();
    return out;
  }

  std::unique_ptr<StreamingDecoder> NewStreamingDecoder(bool skip_special_tokens) const override {
    return std::make_unique<Streaming>(this, skip_special_tokens);
  }

  std::optional<int32_t> TokenToId(std::string_view token) const override {
    const int id = model_->PieceToId(token);
    if (id < 0) return std::nullopt;
    return id;
  }
  std::optional<std::string> IdToToken(int32_t id) const override {
    if (id < 0 || id >= model_->PieceSize()) return std::nullopt;
    return model_->IdToPiece(id);
  }
  int32_t VocabSize() const override { return model_->PieceSize(); }
  bool IsSpecial(int32_t id) const override {
    return id >= 0 && id < model_->PieceSize() && model_->IsControl(id);
  }
  std::optional<int32_t> BosId() const override { return bos_id_; }
  std::optional<int32_t> EosId() const override { return eos_id_; }
  std::optional<int32_t> PadId() const override { return pad_id_; }

 private:
  // SentencePiece decoding is not piece-by-piece (the first piece loses its
  // leading space, byte pieces combine), so each step decodes a small window:
  // the ids emitted last time (as context) plus the new ones, and emits what
  // follows the context's own text. Text ending in U+FFFD may be a character
  // whose bytes are still arriving, so it is held back.
  class Streaming : public StreamingDecoder {
   public:
    Streaming(const SentencePieceTokenizer* tokenizer, bool skip_special_tokens)
        : tokenizer_(tokenizer), skip_(skip_special_tokens) {}

    std::string Push(int32_t id) override {
      window_.push_back(id);
      const std::string text = tokenizer_->Decode(window_, skip_);
      if (text.size() <= context_text_.size() || EndsWithReplacement(text) ||
          text.compare(0, context_text_.size(), context_text_) != 0) {
        return std::string();
      }
      std::string out = text.substr(context_text_.size());
      window_.erase(window_.begin(), window_.begin() + context_size_);
      context_size_ = window_.size();
      context_text_ = tokenizer_->Decode(window_, skip_);
      return out;
    }

    std::string Finish() override {
      const std::string text = tokenizer_->Decode(window_, skip_);
      std::string out = text.substr(std::min(context_text_.size(), text.size()));
      window_.clear();
      context_size_ = 0;
      context_text_.clear();
      return out;
    }

   private:
    const SentencePieceTokenizer* tokenizer_;
    bool skip_;
    std::vector<int32_t> window_;  // context ids, then ids not yet emitted
    size_t context_size_ = 0;
    std::string context_text_;     // Decode of the context ids
  };

  std::unique_ptr<SentencePieceModel> model_;
  std::string path_;
  bool add_bos_ = false;
  bool add_eos_ = false;
  std::optional<int32_t> bos_id_, eos_id_, pad_id_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadSentencePieceTokenizer(
    const std::string& model_path, const std::string& tokenizer_config_path_or_empty) {
  LATERAL_ASSIGN_OR_RETURN(tok::TokenizerConfig config,
                           tok::ReadTokenizerConfig(tokenizer_config_path_or_empty));
  std::string error;
  std::unique_ptr<SentencePieceModel> model = SentencePieceModel::Load(model_path, &error);
  if (model == nullptr) {
    return absl::InvalidArgumentError(
        tok::Cat(model_path, ": cannot load the SentencePiece model: ", error));
  }
  auto tokenizer = std::make_unique<SentencePieceTokenizer>(std::move(model), model_path);
  LATERAL_RETURN_IF_ERROR(tokenizer->Configure(config, tokenizer_config_path_or_empty));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

}  // namespace lateral
