#include "encoder/tokenizer/bpe_model.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "encoder/tokenizer/byte_level.h"
#include "encoder/tokenizer/utf8.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral::tok {
namespace {

// Per-thread scratch buffers larger than this (in symbols) are released after use.
constexpr size_t kKeptBufferSize = 1 << 16;

// One symbol of the word being merged; removed symbols keep len == 0. The
// layout and the queue discipline follow tokenizers' Word::merge_all so that
// ties and stale queue entries resolve exactly as there.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  int32_t len;
};

struct QueuedMerge {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
};

// std heap functions keep the "largest" element on top; here the largest is
// the lowest rank, then the leftmost position.
struct LowerPriority {
  bool operator()(const QueuedMerge& a, const QueuedMerge& b) const {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.pos > b.pos;
  }
};

std::string ByteFallbackToken(uint8_t b) {
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "<0x%02X>", b);
  return buffer;
}

}  // namespace

BpeModel::BpeModel(BpeConfig config)
    : config_(std::move(config)), cache_(config_.cache_capacity) {
  byte_id_.fill(-1);
}

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::Create(BpeConfig config,
                                                           std::string_view file,
                                                           std::string_view field) {
  // Errors read "<file>: model.merges[12]: token "x" is not in model.vocab".
  const std::string context = Cat(file, ": ", field);
  std::unique_ptr<BpeModel> model(new BpeModel(std::move(config)));
  BpeConfig& c = model->config_;

  int32_t max_id = -1;
  model->vocab_.reserve(c.vocab.size());
  for (const auto& [token, id] : c.vocab) {
    if (id < 0 || id > kMaxTokenId) {
      return absl::InvalidArgumentError(Cat(context, ".vocab: id ", id, " of token \"",
                                                     token, "\" is outside 0..", kMaxTokenId));
    }
    model->vocab_[token] = id;
    max_id = std::max(max_id, id);
  }
  // Tables indexed by id are allocated up front, so a tiny file naming a huge
  // id would cost gigabytes. Real vocabularies number their tokens densely
  // from 0; allow generous gaps but keep memory proportional to the file.
  const int64_t allowed = 2 * static_cast<int64_t>(c.vocab.size()) + kIdSlack;
  if (max_id >= allowed) {
    return absl::InvalidArgumentError(Cat(context, ".vocab: ids are too sparse: the largest is ",
                                          max_id, " for ", c.vocab.size(), " tokens"));
  }
  model->id_to_token_.assign(max_id + 1, std::string());
  model->id_present_.assign(max_id + 1, false);
  for (const auto& [token, id] : model->vocab_) {
    model->id_to_token_[id] = token;
    model->id_present_[id] = true;
  }

  const std::string prefix = c.continuing_subword_prefix.value_or("");
  model->merges_.reserve(c.merges.size());
  for (size_t rank = 0; rank < c.merges.size(); ++rank) {
    const auto& [a, b] = c.merges[rank];
    auto a_it = model->vocab_.find(a);
    auto b_it = model->vocab_.find(b);
    if (a_it == model->vocab_.end() || b_it == model->vocab_.end()) {
      return absl::InvalidArgumentError(
          Cat(context, ".merges[", rank, "]: token \"",
                       a_it == model->vocab_.end() ? a : b, "\" is not in ", field, ".vocab"));
    }
    // The merged token drops the continuing-subword prefix of the right part.
    if (b.size() < prefix.size() || b.compare(0, prefix.size(), prefix) != 0) {
      return absl::InvalidArgumentError(
          Cat(context, ".merges[", rank, "]: token \"", b,
                       "\" does not start with continuing_subword_prefix \"", prefix, "\""));
    }
    const std::string merged = Cat(a, std::string_view(b).substr(prefix.size()));
    auto merged_it = model->vocab_.find(merged);
    if (merged_it == model->vocab_.end()) {
      return absl::InvalidArgumentError(Cat(context, ".merges[", rank,
                                                     "]: merged token \"", merged,
                                                     "\" is not in ", field, ".vocab"));
    }
    // A pair listed twice keeps its last rank, as a map built from the list does.
    model->merges_[PairKey(a_it->second, b_it->second)] =
        MergeInfo{static_cast<uint32_t>(rank), merged_it->second};
  }

  if (c.unk_token.has_value()) {
    auto it = model->vocab_.find(*c.unk_token);
    if (it == model->vocab_.end()) {
      return absl::InvalidArgumentError(Cat(context, ".unk_token: \"", *c.unk_token,
                                                     "\" is not in ", field, ".vocab"));
    }
    model->unk_id_ = it->second;
  }

  if (c.byte_level_input) {
    std::string raw;
    for (const auto& [token, id] : model->vocab_) {
      if (ByteLevelDecodeStrict(token, &raw)) model->raw_vocab_[raw] = id;
    }
    for (int b = 0; b < 256; ++b) {
      auto it = model->vocab_.find(ByteLevelCharOf(static_cast<uint8_t>(b)));
      if (it != model->vocab_.end()) model->byte_id_[b] = it->second;
    }
  }

  c.vocab.clear();
  c.vocab.shrink_to_fit();
  c.merges.clear();
  c.merges.shrink_to_fit();
  return model;
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !id_present_[id]) {
    return nullptr;
  }
  return &id_to_token_[id];
}

void BpeModel::Tokenize(std::string_view piece, std::vector<int32_t>* ids) const {
  if (piece.empty()) return;
  if (config_.ignore_merges) {
    const auto& whole = config_.byte_level_input ? raw_vocab_ : vocab_;
    auto it = whole.find(piece);
    if (it != whole.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  if (cache_.Lookup(piece, ids)) return;
  const size_t first = ids->size();
  MergeWord(piece, ids);
  cache_.Insert(piece, absl::MakeConstSpan(ids->data() + first, ids->size() - first));
}

std::string_view BpeModel::UnitKey(std::string_view unit, bool first, bool last,
                                   std::string* buffer) const {
  const bool add_prefix = !first && config_.continuing_subword_prefix.has_value();
  const bool add_suffix = last && config_.end_of_word_suffix.has_value();
  if (!add_prefix && !add_suffix) return unit;
  buffer->clear();
  if (add_prefix) buffer->append(*config_.continuing_subword_prefix);
  buffer->append(unit);
  if (add_suffix) buffer->append(*config_.end_of_word_suffix);
  return *buffer;
}

void BpeModel::MergeWord(std::string_view piece, std::vector<int32_t>* ids) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<QueuedMerge> queue;
  symbols.clear();
  queue.clear();

  auto add_symbol = [](int32_t id, int32_t len) {
    const int32_t index = static_cast<int32_t>(symbols.size());
    if (index > 0) symbols.back().next = index;
    symbols.push_back(Symbol{id, index - 1, -1, len});
  };

  // Builds the initial symbols unit by unit, as tokenizers' merge_word does,
  // including its handling of unknown units (byte fallback, then unk with
  // optional fusing, else the unit is dropped).
  std::optional<std::pair<int32_t, int32_t>> pending_unk;  // (id, byte length)
  std::string key;
  auto add_unit = [&](std::string_view unit, int32_t byte_len, bool first, bool last,
                      std::optional<int32_t> known_id) {
    std::optional<int32_t> id = known_id;
    std::string_view unit_key;
    if (!id.has_value()) {
      unit_key = UnitKey(unit, first, last, &key);
      auto it = vocab_.find(unit_key);
      if (it != vocab_.end()) id = it->second;
    }
    if (id.has_value()) {
      if (pending_unk) {
        add_symbol(pending_unk->first, pending_unk->second);
        pending_unk.reset();
      }
      add_symbol(*id, byte_len);
      return;
    }
    if (config_.byte_fallback) {
      // tokenizers spells the fallback from the unit's text with prefix and
      // suffix applied (in byte-level mode, the alphabet character's UTF-8).
      std::vector<int32_t> byte_ids;
      bool all_found = true;
      for (char ch : unit_key) {
        auto it = vocab_.find(ByteFallbackToken(static_cast<uint8_t>(ch)));
        if (it == vocab_.end()) {
          all_found = false;
          break;
        }
        byte_ids.push_back(it->second);
      }
      if (all_found) {
        for (int32_t byte_id : byte_ids) add_symbol(byte_id, 1);
        return;
      }
    }
    if (unk_id_.has_value()) {
      if (pending_unk && config_.fuse_unk) {
        pending_unk->second += byte_len;
      } else {
        if (pending_unk) add_symbol(pending_unk->first, pending_unk->second);
        pending_unk = std::make_pair(*unk_id_, byte_len);
      }
    }
  };

  const bool plain_units =
      !config_.continuing_subword_prefix.has_value() && !config_.end_of_word_suffix.has_value();
  if (config_.byte_level_input) {
    for (size_t i = 0; i < piece.size(); ++i) {
      const uint8_t b = static_cast<uint8_t>(piece[i]);
      std::optional<int32_t> known;
      if (plain_units && byte_id_[b] >= 0) known = byte_id_[b];
      // A byte missing from the table goes through the full lookup so that
      // byte fallback sees the same key text as in the general path.
      add_unit(ByteLevelCharOf(b), 1, i == 0, i + 1 == piece.size(), known);
    }
  } else {
    size_t pos = 0;
    while (pos < piece.size()) {
      int length = 1;
      DecodeUtf8At(piece, pos, &length);
      add_unit(piece.substr(pos, length), length, pos == 0, pos + length >= piece.size(),
               std::nullopt);
      pos += length;
    }
  }
  if (pending_unk) add_symbol(pending_unk->first, pending_unk->second);

  // Merge loop: the queue holds candidate merges (rank, left position); an
  // entry is stale when its left symbol was merged away or its pair changed.
  const int32_t n = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i + 1 < n; ++i) {
    auto it = merges_.find(PairKey(symbols[i].id, symbols[i + 1].id));
    if (it != merges_.end()) queue.push_back(QueuedMerge{it->second.rank, i, it->second.new_id});
  }
  std::make_heap(queue.begin(), queue.end(), LowerPriority());
  auto push = [](QueuedMerge m) {
    queue.push_back(m);
    std::push_heap(queue.begin(), queue.end(), LowerPriority());
  };
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), LowerPriority());
    const QueuedMerge top = queue.back();
    queue.pop_back();
    Symbol& left = symbols[top.pos];
    if (left.len == 0 || left.next == -1) continue;
    const int32_t right_pos = left.next;
    const Symbol right = symbols[right_pos];
    auto it = merges_.find(PairKey(left.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;

    left.id = top.new_id;
    left.len += right.len;
    left.next = right.next;
    symbols[right_pos].len = 0;
    if (right.next >= 0) symbols[right.next].prev = top.pos;

    if (left.prev >= 0) {
      auto p = merges_.find(PairKey(symbols[left.prev].id, left.id));
      if (p != merges_.end()) push(QueuedMerge{p->second.rank, left.prev, p->second.new_id});
    }
    if (left.next >= 0) {
      auto q = merges_.find(PairKey(left.id, symbols[left.next].id));
      if (q != merges_.end()) push(QueuedMerge{q->second.rank, top.pos, q->second.new_id});
    }
  }
  for (const Symbol& s : symbols) {
    if (s.len != 0) ids->push_back(s.id);
  }
  // Per-thread buffers live as long as the thread; do not let one huge word
  // pin its size there.
  if (symbols.capacity() > kKeptBufferSize) {
    std::vector<Symbol>().swap(symbols);
    std::vector<QueuedMerge>().swap(queue);
  }
}

}  // namespace lateral::tok
