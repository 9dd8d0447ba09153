// The in-memory form of a collection that search runs on.
//
// SearchableIndex owns, for every live document (a "slot", 0..n-1 in
// ascending internal-id order): its internal id, the centroid id and packed
// residual codes of each token, and the inverted file from centroid to the
// slots of documents with a token there. It is immutable and thread-safe;
// after writes, a new one is loaded from a newer snapshot.
//
// Residual codes are 32 of the ~38 bytes per token (2 bits x 128 dims), and
// search reads them only for the few hundred documents of its exact stage.
// With LoadOptions::residuals_in_memory off they stay in the store: the index
// holds the snapshot and reads a survivor's codes by point lookup, so a
// collection larger than RAM is served from ~6 bytes per token of memory.
//
// The arrays are either vectors the index owns (Load, FromParts) or views
// into storage it keeps alive through an opaque holder (FromViews: the
// memory-mapped index file of index/mapped_index.h, which builds nothing and
// copies nothing but the codec). Either way they never change after creation.
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

struct IndexLoadOptions {
  bool metadata = true;             // also load metadata columns for filters
  bool residuals_in_memory = true;  // off: read residual codes from the snapshot on demand
};

class SearchableIndex {
 public:
  using LoadOptions = IndexLoadOptions;
  // Reads codec, codes and (optionally) metadata from a store snapshot. The
  // index keeps the snapshot when residuals stay on disk; the store must
  // outlive the index then.
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> Load(std::shared_ptr<const StoreSnapshot> snapshot,
                                                               const LoadOptions& options);
  // In-memory residuals only (the snapshot is not kept).
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> Load(const StoreSnapshot& snapshot,
                                                               const LoadOptions& options = LoadOptions());

  // Builds from parts already in memory (tests, benchmarks): document i has
  // id doc_ids[i] and tokens [token_offsets[i], token_offsets[i+1]).
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> FromParts(ResidualCodec codec,
                                                                    std::vector<uint32_t> doc_ids,
                                                                    std::vector<uint64_t> token_offsets,
                                                                    std::vector<uint32_t> centroid_ids,
                                                                    std::vector<uint8_t> codes);

  // The arrays of an index, as views. FromViews takes them; the accessors
  // below give them back (WriteMappedIndex, tests).
  struct ArrayViews {
    absl::Span<const uint32_t> doc_ids;          // [n], strictly ascending
    absl::Span<const uint64_t> token_offsets;    // [n + 1], from 0 to num_tokens
    absl::Span<const uint32_t> centroid_ids;     // [num_tokens]
    absl::Span<const uint8_t> codes;             // [num_tokens * code_bytes]
    absl::Span<const uint64_t> posting_offsets;  // [K + 1], from 0 to postings.size()
    absl::Span<const uint32_t> postings;         // slots, ascending within each centroid
  };
  // Builds an index whose arrays point into storage that `backing` keeps
  // alive (it is held until the index is destroyed); nothing is copied and
  // the inverted file is taken as given, not rebuilt. Always checks, in
  // O(n + K) time, what bounds every array access: sizes, monotone offsets,
  // ascending doc ids. Per-token contents (centroid ids < K; posting slots
  // < n and ascending) are checked only with `check_contents`, which reads
  // every token: without it they are trusted, so the caller must know the
  // arrays are intact (e.g. a checksummed file this program wrote).
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> FromViews(ResidualCodec codec, const ArrayViews& views,
                                                                    std::shared_ptr<const void> backing,
                                                                    bool check_contents);

  SearchableIndex(const SearchableIndex&) = delete;
  SearchableIndex& operator=(const SearchableIndex&) = delete;

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

  // The arrays themselves. codes is empty when the residuals stay in the
  // store (residuals_in_memory() false).
  ArrayViews arrays() const {
    return {doc_ids_, token_offsets_, centroid_ids_, codes_, posting_offsets_, postings_};
  }
  // Whether the arrays are views into storage held through FromViews'
  // `backing` (a mapped file) rather than vectors owned by the index.
  bool is_view() const { return backing_ != nullptr; }

  // Metadata of every slot, for filters (empty unless loaded from a store
  // with LoadOptions::metadata, or set by SetMetadata).
  const MetadataColumns& metadata() const { return metadata_; }
  void SetMetadata(MetadataColumns metadata) { metadata_ = std::move(metadata); }

  bool residuals_in_memory() const { return snapshot_ == nullptr; }
  // Decompressed token vectors of a slot, [tokens, dim]. Fails only when the
  // residuals are read from the store (I/O or damaged data).
  absl::Status DecodeDocument(int64_t slot, std::vector<float>& out) const;
  // The packed residual codes of a slot, [tokens, code_bytes], from memory
  // or, with residuals left in the store, read from the snapshot (the same
  // checks and errors as DecodeDocument).
  absl::Status ResidualCodes(int64_t slot, std::vector<uint8_t>& out) const;
  // Bytes of these structures (for a view index, mostly pages of the mapped
  // file, shared with the page cache and other processes).
  size_t MemoryBytes() const;

 private:
  SearchableIndex(ResidualCodec codec) : codec_(std::move(codec)) {}
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> LoadFrom(const StoreSnapshot& snapshot,
                                                                   const LoadOptions& options);
  // FromParts; without codes when `with_codes` is false (residuals on disk).
  static absl::StatusOr<std::unique_ptr<SearchableIndex>> Assemble(ResidualCodec codec, std::vector<uint32_t> doc_ids,
                                                                   std::vector<uint64_t> token_offsets,
                                                                   std::vector<uint32_t> centroid_ids,
                                                                   std::vector<uint8_t> codes, bool with_codes);
  absl::Status BuildInvertedFile();
  // The codes of a slot read from snapshot_, checked against the index.
  absl::StatusOr<DocumentCodes> StoredCodes(int64_t slot) const;
  // Points the views at owned_.
  void ViewOwned();

  ResidualCodec codec_;
  // What search reads: views into owned_ or into what backing_ keeps alive.
  absl::Span<const uint32_t> doc_ids_;
  absl::Span<const uint64_t> token_offsets_;
  absl::Span<const uint32_t> centroid_ids_;
  absl::Span<const uint8_t> codes_;
  absl::Span<const uint64_t> posting_offsets_;  // [K + 1]
  absl::Span<const uint32_t> postings_;
  struct Owned {
    std::vector<uint32_t> doc_ids;
    std::vector<uint64_t> token_offsets;
    std::vector<uint32_t> centroid_ids;
    std::vector<uint8_t> codes;
    std::vector<uint64_t> posting_offsets;
    std::vector<uint32_t> postings;
  };
  Owned owned_;  // empty for a view index
  std::shared_ptr<const void> backing_;
  MetadataColumns metadata_;
  std::shared_ptr<const StoreSnapshot> snapshot_;  // set when residuals stay on disk
};

}  // namespace lateral
