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

std::string LexicalSegmentKey(absl::string_view term, uint32_t block) {
  std::string key;
  key.reserve(term.size() + 5);
  key.append(term.data(), term.size());
  key.push_back('\0');
  PutBigEndian32(&key, block);
  return key;
}

std::string LexicalPrefix(absl::string_view term) {
  std::string key(term);
  key.push_back('\0');
  return key;
}

std::optional<LexicalKeyParts> ParseLexicalSegmentKey(absl::string_view key) {
  if (key.size() < 6 || key[key.size() - 5] != '\0') return std::nullopt;
  const absl::string_view term = key.substr(0, key.size() - 5);
  if (term.find('\0') != absl::string_view::npos || term.size() > kMaxTermBytes) return std::nullopt;
  const uint32_t block = DecodeBigEndian32(key.data() + key.size() - 4);
  if (block > kMaxBlock) return std::nullopt;
  return LexicalKeyParts{term, block};
}

std::string DescribeLexicalSegmentKey(absl::string_view key) {
  const std::optional<LexicalKeyParts> parts = ParseLexicalSegmentKey(key);
  if (!parts.has_value()) return DescribeKey(kLexicalPostingsFamily, key);
  return absl::StrCat(kLexicalPostingsFamily, "[term \"", absl::CEscape(parts->term), "\", block ", parts->block,
                      "]");
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
