#include "encoder/tokenizer/hf_tokenizer.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "encoder/tokenizer/byte_level.h"
#include "encoder/tokenizer/utf8.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral::tok {

// Streaming form of Decode: the per-id bytes go through a UTF-8 assembler, so
// the concatenated output equals Utf8Lossy of all the bytes, i.e. Decode.
class HfTokenizer::Streaming : public StreamingDecoder {
 public:
  Streaming(const HfTokenizer* tokenizer, bool skip_special_tokens)
      : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {}

  std::string Push(int32_t id) override {
    if (!tokenizer_->Keep(id, skip_special_tokens_)) return std::string();
    const IdInfo& info = tokenizer_->id_info_[id];
    if (tokenizer_->parts_.decoder == DecoderKind::kNone) {
      std::string out = first_ ? std::string() : std::string(" ");
      first_ = false;
      out.append(info.decoded_bytes);
      return out;
    }
    return assembler_.Push(info.decoded_bytes);
  }

  std::string Finish() override { return assembler_.Finish(); }

 private:
  const HfTokenizer* tokenizer_;
  bool skip_special_tokens_;
  bool first_ = true;
  Utf8StreamAssembler assembler_;
};

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::Create(HfTokenizerParts parts) {
  if (parts.model == nullptr) {
    return absl::InvalidArgumentError(Cat(parts.source, ": no model"));
  }
  std::unique_ptr<HfTokenizer> tokenizer(new HfTokenizer(std::move(parts)));
  LATERAL_RETURN_IF_ERROR(tokenizer->AssignAddedTokens());
  LATERAL_RETURN_IF_ERROR(tokenizer->BuildIdTable());
  LATERAL_RETURN_IF_ERROR(tokenizer->ResolveSpecialIds());
  return tokenizer;
}

absl::Status HfTokenizer::AssignAddedTokens() {
  // tokenizers' AddedVocabulary::add_tokens: a token keeps the id its content
  // already has (as an added token or in the vocabulary), else takes the next
  // id after the vocabulary's entry count. The ids written in the file only
  // produce a warning there when they disagree, so they are not used here.
  const BpeModel& model = *parts_.model;
  int64_t next_id = static_cast<int64_t>(model.vocab_entries());
  absl::flat_hash_map<int32_t, AddedToken> by_id;
  for (size_t i = 0; i < parts_.added_tokens.size(); ++i) {
    AddedToken token = parts_.added_tokens[i];
    if (token.content.empty()) continue;
    auto known = added_ids_.find(token.content);
    if (known != added_ids_.end()) {
      const AddedToken& existing = by_id[known->second];
      if (existing.single_word == token.single_word && existing.lstrip == token.lstrip &&
          existing.rstrip == token.rstrip && existing.normalized == token.normalized &&
          existing.special == token.special) {
        continue;
      }
    }
    int64_t id;
    if (known != added_ids_.end()) {
      id = known->second;
    } else if (auto vocab_id = model.TokenToId(token.content)) {
      id = *vocab_id;
    } else {
      id = next_id++;
    }
    if (id > kMaxTokenId) {
      return absl::InvalidArgumentError(Cat(parts_.source, ": added_tokens[", i,
                                                     "]: id ", id, " exceeds ", kMaxTokenId));
    }
    token.id = static_cast<int32_t>(id);
    added_ids_[token.content] = token.id;
    by_id[token.id] = std::move(token);
  }

  // Normalized tokens are searched for in normalized text, so their pattern is
  // their normalized content (which is also what decoding gives back).
  std::vector<AddedTokenMatcher::Pattern> raw, normalized;
  for (auto& [id, token] : by_id) {
    std::string pattern = token.content;
    if (token.normalized && parts_.normalizer != nullptr) {
      LATERAL_RETURN_IF_ERROR(parts_.normalizer->Normalize(token.content, &pattern));
    }
    (token.normalized ? normalized : raw).push_back({std::move(pattern), token});
  }
  // Deterministic order for the (pathological) case of equal patterns.
  auto by_token_id = [](const AddedTokenMatcher::Pattern& a, const AddedTokenMatcher::Pattern& b) {
    return a.token.id < b.token.id;
  };
  std::sort(raw.begin(), raw.end(), by_token_id);
  std::sort(normalized.begin(), normalized.end(), by_token_id);
  raw_matcher_ = AddedTokenMatcher(raw);
  normalized_matcher_ = AddedTokenMatcher(normalized);

  // Keep the final tokens (id order) for the id table.
  parts_.added_tokens.clear();
  for (auto& p : raw) parts_.added_tokens.push_back(p.token);
  for (auto& p : normalized) {
    parts_.added_tokens.push_back(p.token);
    parts_.added_tokens.back().content = p.text;  // decoding yields the normalized form
  }
  return absl::OkStatus();
}

absl::Status HfTokenizer::BuildIdTable() {
  const BpeModel& model = *parts_.model;
  int32_t max_id = model.max_id();
  for (const AddedToken& t : parts_.added_tokens) max_id = std::max(max_id, t.id);
  id_info_.assign(static_cast<size_t>(max_id + 1), IdInfo());
  for (int32_t id = 0; id <= model.max_id(); ++id) {
    if (const std::string* token = model.IdToToken(id)) {
      id_info_[id].present = true;
      id_info_[id].token = *token;
    }
  }
  absl::flat_hash_set<std::string> special_contents;
  for (const AddedToken& t : parts_.added_tokens) {
    id_info_[t.id].present = true;
    id_info_[t.id].token = t.content;
  }
  // Special-ness goes by the token string, as in tokenizers' decode.
  for (const AddedToken& t : parts_.added_tokens) {
    if (t.special) special_contents.insert(t.content);
  }
  for (IdInfo& info : id_info_) {
    if (!info.present) continue;
    info.special = special_contents.contains(info.token);
    if (parts_.decoder == DecoderKind::kByteLevel) {
      AppendByteLevelDecoded(info.token, &info.decoded_bytes);
    } else {
      info.decoded_bytes = info.token;
    }
  }
  return absl::OkStatus();
}

absl::Status HfTokenizer::ResolveSpecialIds() {
  auto resolve = [this](const std::optional<std::string>& name, const char* field,
                        std::optional<int32_t>* out) -> absl::Status {
    if (!name.has_value()) return absl::OkStatus();
    *out = TokenToId(*name);
    if (!out->has_value()) {
      return absl::InvalidArgumentError(Cat(parts_.config_source, ": field \"", field,
                                                     "\": \"", *name, "\" is not a token of ",
                                                     parts_.source));
    }
    return absl::OkStatus();
  };
  // The post-processor's ids are written in the file as plain numbers; one
  // that names no token would reach the model as an out-of-range index.
  for (const std::vector<int32_t>* ids : {&parts_.special_prefix, &parts_.special_suffix}) {
    for (int32_t id : *ids) {
      if (!IdToToken(id).has_value()) {
        return absl::InvalidArgumentError(Cat(parts_.source, ": post_processor: id ", id,
                                              " is not the id of any token"));
      }
    }
  }
  LATERAL_RETURN_IF_ERROR(resolve(parts_.bos_token, "bos_token", &bos_id_));
  LATERAL_RETURN_IF_ERROR(resolve(parts_.eos_token, "eos_token", &eos_id_));
  LATERAL_RETURN_IF_ERROR(resolve(parts_.pad_token, "pad_token", &pad_id_));
  if (!bos_id_.has_value() && !parts_.special_prefix.empty()) bos_id_ = parts_.special_prefix[0];
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> HfTokenizer::Encode(std::string_view text,
                                                         bool add_special_tokens) const {
  if (std::optional<size_t> bad = FindInvalidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Encode: input text is not valid UTF-8: byte 0x%02X at byte offset %d",
        static_cast<uint8_t>(text[*bad]), *bad));
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special_tokens) ids = parts_.special_prefix;
  LATERAL_RETURN_IF_ERROR(EncodeText(text, &ids));
  if (add_special_tokens) {
    ids.insert(ids.end(), parts_.special_suffix.begin(), parts_.special_suffix.end());
  }
  return ids;
}

absl::Status HfTokenizer::EncodeText(std::string_view text, std::vector<int32_t>* ids) const {
  if (raw_matcher_.empty()) return EncodeNormalized(text, ids);
  std::vector<TextSegment> segments;
  raw_matcher_.Split(text, &segments);
  for (const TextSegment& s : segments) {
    if (s.token_id >= 0) {
      ids->push_back(s.token_id);
    } else {
      LATERAL_RETURN_IF_ERROR(EncodeNormalized(text.substr(s.begin, s.end - s.begin), ids));
    }
  }
  return absl::OkStatus();
}

absl::Status HfTokenizer::EncodeNormalized(std::string_view text,
                                           std::vector<int32_t>* ids) const {
  std::string normalized;
  if (parts_.normalizer != nullptr) {
    LATERAL_RETURN_IF_ERROR(parts_.normalizer->Normalize(text, &normalized));
    text = normalized;
  }
  PieceArena arena;
  std::vector<std::string_view> pieces;
  auto tokenize = [&](std::string_view part) -> absl::Status {
    if (parts_.pre_tokenizer.empty()) {
      parts_.model->Tokenize(part, ids);
      return absl::OkStatus();
    }
    LATERAL_RETURN_IF_ERROR(parts_.pre_tokenizer.Run(part, &arena, &pieces));
    for (std::string_view piece : pieces) parts_.model->Tokenize(piece, ids);
    return absl::OkStatus();
  };
  if (normalized_matcher_.empty()) return tokenize(text);
  std::vector<TextSegment> segments;
  normalized_matcher_.Split(text, &segments);
  for (const TextSegment& s : segments) {
    if (s.token_id >= 0) {
      ids->push_back(s.token_id);
    } else {
      LATERAL_RETURN_IF_ERROR(tokenize(text.substr(s.begin, s.end - s.begin)));
    }
  }
  return absl::OkStatus();
}

bool HfTokenizer::Keep(int32_t id, bool skip_special_tokens) const {
  if (id < 0 || static_cast<size_t>(id) >= id_info_.size()) return false;
  const IdInfo& info = id_info_[id];
  return info.present && !(skip_special_tokens && info.special);
}

std::string HfTokenizer::Decode(absl::Span<const int32_t> ids, bool skip_special_tokens) const {
  std::string out;
  bool first = true;
  for (int32_t id : ids) {
    if (!Keep(id, skip_special_tokens)) continue;
    if (parts_.decoder == DecoderKind::kNone && !first) out.push_back(' ');
    first = false;
    out.append(id_info_[id].decoded_bytes);
  }
  if (parts_.decoder == DecoderKind::kNone) return out;  // token strings are valid UTF-8
  return Utf8Lossy(out);
}

std::unique_ptr<StreamingDecoder> HfTokenizer::NewStreamingDecoder(
    bool skip_special_tokens) const {
  return std::make_unique<Streaming>(this, skip_special_tokens);
}

std::optional<int32_t> HfTokenizer::TokenToId(std::string_view token) const {
  auto it = added_ids_.find(token);
  if (it != added_ids_.end()) return it->second;
  return parts_.model->TokenToId(token);
}

std::optional<std::string> HfTokenizer::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_info_.size() || !id_info_[id].present) {
    return std::nullopt;
  }
  return id_info_[id].token;
}

bool HfTokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < id_info_.size() && id_info_[id].special;
}

}  // namespace lateral::tok
