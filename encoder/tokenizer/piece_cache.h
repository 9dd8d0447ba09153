// A bounded, thread-safe memo of pre-token -> token ids (internal to
// encoder/tokenizer/).
//
// Owned by a BpeModel; Encode calls from many threads share it. Natural text
// repeats its words constantly, so after warm-up most pre-tokens skip the merge
// loop. The map is split into shards, each behind its own mutex, so threads
// rarely wait on one another. When a shard is full new entries are simply not
// stored (as Hugging Face tokenizers does): the cache never evicts, so results
// never depend on what was encoded before.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral::tok {

class PieceCache {
 public:
  // Default total capacity in entries; a few MB for typical word lengths.
  static constexpr size_t kDefaultCapacity = 200'000;
  // Longer pre-tokens are not cached: they are rare and would crowd the map.
  static constexpr size_t kMaxKeyLength = 256;

  explicit PieceCache(size_t capacity);

  // Appends the cached ids of `key` to *ids and returns true on a hit.
  bool Lookup(std::string_view key, std::vector<int32_t>* ids) const;
  void Insert(std::string_view key, absl::Span<const int32_t> ids) const;
  void Clear() const;
  size_t capacity() const { return shard_capacity_ * kShards; }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    StringMap<std::vector<int32_t>> map;
  };
  Shard& ShardFor(std::string_view key, size_t* hash) const;

  size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace lateral::tok
