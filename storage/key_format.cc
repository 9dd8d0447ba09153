#include "storage/key_format.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"

namespace lateral::storage {

std::string DocIdKey(uint32_t doc_id) {
  std::string key;
  PutBigEndian32(&key, doc_id);
  return key;
}

std::optional<uint32_t> ParseDocIdKey(absl::string_view key) {
  if (key.size() != kDocIdKeySize) return std::nullopt;
  return DecodeBigEndian32(key.data());
}

std::string SegmentKey(uint32_t centroid, uint32_t block) {
  std::string key;
  key.reserve(kSegmentKeySize);
  PutBigEndian32(&key, centroid);
  PutBigEndian32(&key, block);
  return key;
}

std::string PostingPrefix(uint32_t centroid) {
  std::string key;
  PutBigEndian32(&key, centroid);
  return key;
}

std::optional<SegmentKeyParts> ParseSegmentKey(absl::string_view key) {
  if (key.size() != kSegmentKeySize) return std::nullopt;
  const SegmentKeyParts parts{DecodeBigEndian32(key.data()), DecodeBigEndian32(key.data() + 4)};
  if (parts.block > kMaxBlock) return std::nullopt;
  return parts;
}

std::string CentroidChunkKey(uint32_t chunk) {
  std::string key = kCentroidChunkPrefix;
  PutBigEndian32(&key, chunk);
  return key;
}

std::string DescribeDocKey(absl::string_view family, uint32_t doc_id) {
  return absl::StrCat(family, "[doc ", doc_id, "]");
}

std::string DescribeSegmentKey(uint32_t centroid, uint32_t block) {
  return absl::StrCat(kPostingsFamily, "[centroid ", centroid, ", block ", block, "]");
}

std::string DescribeSegmentKey(absl::string_view key) {
  const std::optional<SegmentKeyParts> parts = ParseSegmentKey(key);
  if (!parts.has_value()) return DescribeKey(kPostingsFamily, key);
  return DescribeSegmentKey(parts->centroid, parts->block);
}

std::string DescribeKey(absl::string_view family, absl::string_view key) {
  if (key.size() > 64) key = key.substr(0, 64);  // enough to recognise it
  return absl::StrCat(family, "[\"", absl::CEscape(key), "\"]");
}

}  // namespace lateral::storage
