// The in-memory form of a collection that search runs on.
//
// SearchableIndex owns, for every live document (a "slot", 0..n-1 in
// ascending internal-id order): its internal id, the centroid id and packed
// residual codes of each token, and the inverted file from centroid to the
// slots of documents with a token there. It is immutable and thread-safe;
// after writes, a new one is loaded from a newer snapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "index/metadata_filter.h"
#include "index/residual_codec.h"
#include "storage/collection_store.h"

namespace lateral {

class SearchableIndex {
 public:
  struct LoadOptions {
    bool metadata = true;  // also load metadata columns for filters
  };
  // Reads codec, codes and (optionally) metadata from a store snapshot.
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> Load(const StoreSnapshot& snapshot,
                                                               const LoadOptions& options);
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> Load(const StoreSnapshot& snapshot) {
    return Load(snapshot, LoadOptions());
  }

  // Builds from parts already in memory (tests, benchmarks): document i has
  // id doc_ids[i] and tokens [token_offsets[i], token_offsets[i+1]).
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> FromParts(ResidualCodec codec,
                                                                    std::vector<uint32_t> doc_ids,
                                                                    std::vector<uint64_t> token_offsets,
                                                                    std::vector<uint32_t> centroid_ids,
                                                                    std::vector<uint8_t> codes);

  const ResidualCodec& codec() const { return codec_; }
  int64_t num_documents() const { return static_cast<int64_t>(doc_ids_.size()); }
  int64_t num_tokens() const { return static_cast<int64_t>(centroid_ids_.size()); }
  uint32_t doc_id(int64_t slot) const { return doc_ids_[slot]; }
  // Slot of an internal id, or -1.
  int64_t SlotOf(uint32_t doc_id) const;

  uint64_t token_begin(int64_t slot) const { return token_offsets_[slot]; }
  uint64_t token_end(int64_t slot) const { return token_offsets_[slot + 1]; }
  const uint32_t* centroid_ids() const { return centroid_ids_.data(); }
  const uint8_t* codes() const { return codes_.data(); }

  // Slots of documents with a token in `centroid`, ascending.
  absl::Span<const uint32_t> Postings(uint32_t centroid) const {
    return absl::MakeConstSpan(postings_.data() + posting_offsets_[centroid],
                               posting_offsets_[centroid + 1] - posting_offsets_[centroid]);
  }

  // Metadata of every slot, for filters (empty unless loaded from a store
  // with LoadOptions::metadata, or set by SetMetadata).
  const MetadataColumns& metadata() const { return metadata_; }
  void SetMetadata(MetadataColumns metadata) { metadata_ = std::move(metadata); }

  // Decompressed token vectors of a slot, [tokens, dim].
  void DecodeDocument(int64_t slot, std::vector<float>& out) const;
  // Resident bytes of these structures.
  size_t MemoryBytes() const;

 private:
  SearchableIndex(ResidualCodec codec) : codec_(std::move(codec)) {}
  absl::Status BuildInvertedFile();

  ResidualCodec codec_;
  std::vector<uint32_t> doc_ids_;
  std::vector<uint64_t> token_offsets_;
  std::vector<uint32_t> centroid_ids_;
  std::vector<uint8_t> codes_;
  std::vector<uint64_t> posting_offsets_;  // [K + 1]
  std::vector<uint32_t> postings_;
  MetadataColumns metadata_;
};

}  // namespace lateral
