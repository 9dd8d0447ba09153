#include "encoder/tokenizer/piece_cache.h"

#include "absl/hash/hash.h"

namespace lateral::tok {

PieceCache::PieceCache(size_t capacity) : shard_capacity_((capacity + kShards - 1) / kShards) {}

PieceCache::Shard& PieceCache::ShardFor(std::string_view key, size_t* hash) const {
  *hash = StringViewHash()(key);
  // The map hashes again internally; the top bits pick the shard so that the
  // two uses of the hash stay independent.
  return shards_[(*hash >> 56) % kShards];
}

bool PieceCache::Lookup(std::string_view key, std::vector<int32_t>* ids) const {
  if (shard_capacity_ == 0 || key.size() > kMaxKeyLength) return false;
  size_t hash;
  Shard& shard = ShardFor(key, &hash);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.map.find(key);
  if (it == shard.map.end()) return false;
  ids->insert(ids->end(), it->second.begin(), it->second.end());
  return true;
}

void PieceCache::Insert(std::string_view key, absl::Span<const int32_t> ids) const {
  if (shard_capacity_ == 0 || key.size() > kMaxKeyLength) return;
  size_t hash;
  Shard& shard = ShardFor(key, &hash);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.map.size() >= shard_capacity_) return;
  shard.map.try_emplace(key, ids.begin(), ids.end());
}

void PieceCache::Clear() const {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.map.clear();
  }
}

}  // namespace lateral::tok
