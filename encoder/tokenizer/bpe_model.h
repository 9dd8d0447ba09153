// The byte-pair-encoding model of a Hugging Face tokenizer.json (internal to
// encoder/tokenizer/).
//
// Owns the vocabulary (token string <-> id), the merge table and a cache of
// recent pre-tokens. HfTokenizer calls Tokenize once per pre-token; all const
// methods are safe to call from many threads at once.
//
// Tokenize reproduces tokenizers' BPE::tokenize: with `ignore_merges`, a
// pre-token that is itself a vocabulary entry becomes that one token; otherwise
// each character becomes a symbol (with `continuing_subword_prefix` on all but
// the first and `end_of_word_suffix` on the last, `byte_fallback` to <0xXX>
// tokens and `unk_token` for characters outside the vocabulary), and the pair
// of adjacent symbols with the lowest merge rank is merged repeatedly, the
// leftmost pair winning ties. A priority queue keeps that O(n log n) in the
// word length, so a 300-character run of one letter costs microseconds.
//
// Byte-level input: when the pre-tokenizer ends with a ByteLevel step, the
// tokenizer hands Tokenize the raw bytes of each pre-token instead of their
// alphabet mapping (see byte_level.h); the model translates its vocabulary
// once at load time so no mapped string is ever built.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "encoder/tokenizer/piece_cache.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral::tok {

// Token ids above this are rejected at load time: every id indexes tables that
// are allocated up front, and no real vocabulary comes near it.
inline constexpr int32_t kMaxTokenId = (1 << 24) - 1;
// The largest id may exceed twice the number of entries by at most this much.
inline constexpr int64_t kIdSlack = 65536;

struct BpeConfig {
  std::vector<std::pair<std::string, int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // rank order
  std::optional<std::string> unk_token;
  std::optional<std::string> continuing_subword_prefix;
  std::optional<std::string> end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  // Tokenize receives raw bytes standing for their ByteLevel mapping.
  bool byte_level_input = false;
  size_t cache_capacity = PieceCache::kDefaultCapacity;
};

class BpeModel {
 public:
  // `file` and `field` ("model") locate the model in errors.
  static absl::StatusOr<std::unique_ptr<BpeModel>> Create(BpeConfig config, std::string_view file,
                                                          std::string_view field);

  // Appends the ids of one pre-token.
  void Tokenize(std::string_view piece, std::vector<int32_t>* ids) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // nullptr when no vocabulary entry has this id.
  const std::string* IdToToken(int32_t id) const;
  // Number of entries (what tokenizers calls the model's vocab size; added
  // tokens that are not in the vocabulary get ids from here on).
  size_t vocab_entries() const { return vocab_.size(); }
  // Largest id in the vocabulary, or -1 when it is empty.
  int32_t max_id() const { return static_cast<int32_t>(id_to_token_.size()) - 1; }

  // Forgets every cached pre-token (benchmarks use it to measure a cold cache).
  void ClearCache() const { cache_.Clear(); }

 private:
  struct MergeInfo {
    uint32_t rank;
    int32_t new_id;
  };
  explicit BpeModel(BpeConfig config);

  void MergeWord(std::string_view piece, std::vector<int32_t>* ids) const;
  // The vocabulary key of one unit: its text with the continuing-subword
  // prefix (not on the first unit) and end-of-word suffix (on the last) added;
  // built in *buffer only when one of them applies.
  std::string_view UnitKey(std::string_view unit, bool first, bool last,
                           std::string* buffer) const;
  static uint64_t PairKey(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  BpeConfig config_;  // options; vocab and merges are emptied once the tables are built
  StringMap<int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> id_present_;
  absl::flat_hash_map<uint64_t, MergeInfo> merges_;
  std::optional<int32_t> unk_id_;
  // Byte-level mode: raw-byte spelling of every vocabulary entry made only of
  // alphabet characters, and the id of each single byte (-1 when absent).
  StringMap<int32_t> raw_vocab_;
  std::array<int32_t, 256> byte_id_;
  PieceCache cache_;
};

}  // namespace lateral::tok
