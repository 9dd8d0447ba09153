#include "index/searchable_index.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "index/index_builder.h"

namespace lateral {

absl::StatusOr<std::unique_ptr<SearchableIndex>> SearchableIndex::FromParts(ResidualCodec codec,
                                                                            std::vector<uint32_t> doc_ids,
                                                                            std::vector<uint64_t> token_offsets,
                                                                            std::vector<uint32_t> centroid_ids,
                                                                            std::vector<uint8_t> codes) {
  return Assemble(std::move(codec), std::move(doc_ids), std::move(token_offsets), std::move(centroid_ids),
                  std::move(codes), /*with_codes=*/true);
}

absl::StatusOr<std::unique_ptr<SearchableIndex>> SearchableIndex::Assemble(ResidualCodec codec,
                                                                           std::vector<uint32_t> doc_ids,
                                                                           std::vector<uint64_t> token_offsets,
                                                                           std::vector<uint32_t> centroid_ids,
                                                                           std::vector<uint8_t> codes,
                                                                           bool with_codes) {
  if (token_offsets.size() != doc_ids.size() + 1 || token_offsets.front() != 0 ||
      token_offsets.back() != centroid_ids.size() ||
      (with_codes && codes.size() != centroid_ids.size() * static_cast<size_t>(codec.code_bytes()))) {
    return absl::InvalidArgumentError("index parts have inconsistent sizes");
  }
  if (!std::is_sorted(doc_ids.begin(), doc_ids.end()) ||
      std::adjacent_find(doc_ids.begin(), doc_ids.end()) != doc_ids.end()) {
    return absl::InvalidArgumentError("document ids must be strictly ascending");
  }
  const uint32_t k = static_cast<uint32_t>(codec.num_centroids());
  for (uint32_t c : centroid_ids) {
    if (c >= k) return absl::InvalidArgumentError(absl::StrCat("centroid id ", c, " >= ", k, " centroids"));
  }
  std::unique_ptr<SearchableIndex> index(new SearchableIndex(std::move(codec)));
  index->owned_.doc_ids = std::move(doc_ids);
  index->owned_.token_offsets = std::move(token_offsets);
  index->owned_.centroid_ids = std::move(centroid_ids);
  index->owned_.codes = std::move(codes);
  index->ViewOwned();
  LATERAL_RETURN_IF_ERROR(index->BuildInvertedFile());
  return index;
}

void SearchableIndex::ViewOwned() {
  doc_ids_ = owned_.doc_ids;
  token_offsets_ = owned_.token_offsets;
  centroid_ids_ = owned_.centroid_ids;
  codes_ = owned_.codes;
  posting_offsets_ = owned_.posting_offsets;
  postings_ = owned_.postings;
}

absl::StatusOr<std::unique_ptr<SearchableIndex>> SearchableIndex::FromViews(ResidualCodec codec,
                                                                            const ArrayViews& views,
                                                                            std::shared_ptr<const void> backing,
                                                                            bool check_contents) {
  const size_t n = views.doc_ids.size(), tokens = views.centroid_ids.size();
  const size_t k = static_cast<size_t>(codec.num_centroids());
  if (views.token_offsets.size() != n + 1) {
    return absl::InvalidArgumentError(absl::StrCat("token_offsets has ", views.token_offsets.size(),
                                                   " entries; expected documents + 1 = ", n + 1));
  }
  if (views.codes.size() / static_cast<size_t>(codec.code_bytes()) != tokens ||
      views.codes.size() % static_cast<size_t>(codec.code_bytes()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("codes has ", views.codes.size(), " bytes; expected tokens ",
                                                   tokens, " x ", codec.code_bytes()));
  }
  if (views.posting_offsets.size() != k + 1) {
    return absl::InvalidArgumentError(absl::StrCat("posting_offsets has ", views.posting_offsets.size(),
                                                   " entries; expected centroids + 1 = ", k + 1));
  }
  // Monotone offsets from 0 to the array size keep every slice in bounds.
  auto check_offsets = [](absl::Span<const uint64_t> offsets, size_t total, const char* name) -> absl::Status {
    if (offsets.front() != 0 || offsets.back() != total) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must run from 0 to ", total, ", not from ",
                                                     offsets.front(), " to ", offsets.back()));
    }
    for (size_t i = 1; i < offsets.size(); ++i) {
      if (offsets[i] < offsets[i - 1]) {
        return absl::InvalidArgumentError(absl::StrCat(name, "[", i, "] = ", offsets[i], " is below entry ", i - 1,
                                                       " = ", offsets[i - 1]));
      }
    }
    return absl::OkStatus();
  };
  LATERAL_RETURN_IF_ERROR(check_offsets(views.token_offsets, tokens, "token_offsets"));
  LATERAL_RETURN_IF_ERROR(check_offsets(views.posting_offsets, views.postings.size(), "posting_offsets"));
  for (size_t i = 1; i < n; ++i) {
    if (views.doc_ids[i] <= views.doc_ids[i - 1]) {
      return absl::InvalidArgumentError(absl::StrCat("doc_ids[", i, "] = ", views.doc_ids[i],
                                                     " is not above the previous id ", views.doc_ids[i - 1]));
    }
  }
  if (check_contents) {
    for (size_t t = 0; t < tokens; ++t) {
      if (views.centroid_ids[t] >= k) {
        return absl::InvalidArgumentError(absl::StrCat("centroid_ids[", t, "] = ", views.centroid_ids[t], " >= ", k,
                                                       " centroids"));
      }
    }
    for (size_t c = 0; c < k; ++c) {
      for (uint64_t p = views.posting_offsets[c]; p < views.posting_offsets[c + 1]; ++p) {
        if (views.postings[p] >= n || (p > views.posting_offsets[c] && views.postings[p] <= views.postings[p - 1])) {
          return absl::InvalidArgumentError(absl::StrCat("postings[", p, "] (centroid ", c, ") = ", views.postings[p],
                                                         " is not an ascending slot below ", n));
        }
      }
    }
  }
  std::unique_ptr<SearchableIndex> index(new SearchableIndex(std::move(codec)));
  index->doc_ids_ = views.doc_ids;
  index->token_offsets_ = views.token_offsets;
  index->centroid_ids_ = views.centroid_ids;
  index->codes_ = views.codes;
  index->posting_offsets_ = views.posting_offsets;
  index->postings_ = views.postings;
  index->backing_ = std::move(backing);
  return index;
}

absl::StatusOr<std::unique_ptr<SearchableIndex>> SearchableIndex::Load(const StoreSnapshot& snapshot,
                                                                       const LoadOptions& options) {
  if (!options.residuals_in_memory) {
    return absl::InvalidArgumentError("residuals left on disk need the snapshot kept: pass it as a shared_ptr");
  }
  return LoadFrom(snapshot, options);
}

absl::StatusOr<std::unique_ptr<SearchableIndex>> SearchableIndex::Load(std::shared_ptr<const StoreSnapshot> snapshot,
                                                                       const LoadOptions& options) {
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<SearchableIndex> index, LoadFrom(*snapshot, options));
  if (!options.residuals_in_memory) index->snapshot_ = std::move(snapshot);
  return index;
}

absl::StatusOr<std::unique_ptr<SearchableIndex>> SearchableIndex::LoadFrom(const StoreSnapshot& snapshot,
                                                                           const LoadOptions& options) {
  LATERAL_ASSIGN_OR_RETURN(ResidualCodec codec, LoadCodec(snapshot));
  std::vector<uint32_t> doc_ids, centroid_ids;
  std::vector<uint64_t> offsets = {0};
  std::vector<uint8_t> codes;
  const int64_t expected = snapshot.NumDocuments();
  if (expected > 0) doc_ids.reserve(expected), offsets.reserve(expected + 1);
  const size_t code_bytes = codec.code_bytes();
  LATERAL_RETURN_IF_ERROR(snapshot.ForEachCodes([&](uint32_t doc_id, const DocumentCodes& c) {
    if (c.residual_codes.size() != c.centroid_ids.size() * code_bytes) {
      return absl::DataLossError(absl::StrCat("codes of document ", doc_id, " have the wrong size"));
    }
    doc_ids.push_back(doc_id);
    centroid_ids.insert(centroid_ids.end(), c.centroid_ids.begin(), c.centroid_ids.end());
    if (options.residuals_in_memory) codes.insert(codes.end(), c.residual_codes.begin(), c.residual_codes.end());
    offsets.push_back(centroid_ids.size());
    return absl::OkStatus();
  }));
  MetadataColumns metadata;
  if (options.metadata) {
    // Documents and codes are written in one batch, so the same snapshot has
    // the same ids in both; a mismatch means damage.
    std::vector<std::map<std::string, MetadataValue>> per_slot;
    per_slot.reserve(doc_ids.size());
    size_t next = 0;
    LATERAL_RETURN_IF_ERROR(snapshot.ForEachDocument([&](uint32_t doc_id, const DocumentRecord& record) {
      if (next >= doc_ids.size() || doc_ids[next] != doc_id) {
        return absl::DataLossError(absl::StrCat("document ", doc_id, " has a record but no codes (or the reverse)"));
      }
      ++next;
      per_slot.push_back(record.metadata);
      return absl::OkStatus();
    }));
    if (next != doc_ids.size()) return absl::DataLossError("some documents have codes but no record");
    metadata = MetadataColumns::Build(per_slot);
  }
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<SearchableIndex> index,
                           Assemble(std::move(codec), std::move(doc_ids), std::move(offsets),
                                    std::move(centroid_ids), std::move(codes), options.residuals_in_memory));
  index->metadata_ = std::move(metadata);
  return index;
}

absl::Status SearchableIndex::BuildInvertedFile() {
  const size_t k = static_cast<size_t>(codec_.num_centroids());
  // Two passes: count each document once per distinct centroid, then fill.
  std::vector<uint64_t> counts(k + 1, 0);
  std::vector<uint32_t> last_slot(k, UINT32_MAX);
  for (size_t slot = 0; slot < doc_ids_.size(); ++slot) {
    for (uint64_t t = token_offsets_[slot]; t < token_offsets_[slot + 1]; ++t) {
      const uint32_t c = centroid_ids_[t];
      if (last_slot[c] != slot) {
        last_slot[c] = static_cast<uint32_t>(slot);
        ++counts[c + 1];
      }
    }
  }
  std::vector<uint64_t>& posting_offsets = owned_.posting_offsets;
  std::vector<uint32_t>& postings = owned_.postings;
  posting_offsets.assign(k + 1, 0);
  for (size_t c = 0; c < k; ++c) posting_offsets[c + 1] = posting_offsets[c] + counts[c + 1];
  postings.resize(posting_offsets[k]);
  std::vector<uint64_t> cursor(posting_offsets.begin(), posting_offsets.end() - 1);
  std::fill(last_slot.begin(), last_slot.end(), UINT32_MAX);
  for (size_t slot = 0; slot < doc_ids_.size(); ++slot) {
    for (uint64_t t = token_offsets_[slot]; t < token_offsets_[slot + 1]; ++t) {
      const uint32_t c = centroid_ids_[t];
      if (last_slot[c] != slot) {
        last_slot[c] = static_cast<uint32_t>(slot);
        postings[cursor[c]++] = static_cast<uint32_t>(slot);
      }
    }
  }
  posting_offsets_ = posting_offsets;
  postings_ = postings;
  return absl::OkStatus();
}

int64_t SearchableIndex::SlotOf(uint32_t doc_id) const {
  auto it = std::lower_bound(doc_ids_.begin(), doc_ids_.end(), doc_id);
  return it != doc_ids_.end() && *it == doc_id ? it - doc_ids_.begin() : -1;
}

absl::StatusOr<DocumentCodes> SearchableIndex::StoredCodes(int64_t slot) const {
  const uint64_t begin = token_offsets_[slot], n = token_offsets_[slot + 1] - begin;
  LATERAL_ASSIGN_OR_RETURN(std::optional<DocumentCodes> codes, snapshot_->GetCodes(doc_ids_[slot]));
  // The snapshot is the one the index was loaded from, so the document is
  // there with the same tokens in the same order.
  if (!codes.has_value() || codes->centroid_ids.size() != n ||
      codes->residual_codes.size() != n * codec_.code_bytes() ||
      !std::equal(codes->centroid_ids.begin(), codes->centroid_ids.end(), centroid_ids_.begin() + begin)) {
    return absl::DataLossError(absl::StrCat("codes of document ", doc_ids_[slot], " changed under the snapshot"));
  }
  return std::move(*codes);
}

absl::Status SearchableIndex::DecodeDocument(int64_t slot, std::vector<float>& out) const {
  const uint64_t begin = token_offsets_[slot], n = token_offsets_[slot + 1] - begin;
  out.resize(n * codec_.dim());
  if (snapshot_ == nullptr) {
    codec_.Decode(centroid_ids_.data() + begin, codes_.data() + begin * codec_.code_bytes(), static_cast<int64_t>(n),
                  out.data());
    return absl::OkStatus();
  }
  LATERAL_ASSIGN_OR_RETURN(DocumentCodes codes, StoredCodes(slot));
  codec_.Decode(codes.centroid_ids.data(), reinterpret_cast<const uint8_t*>(codes.residual_codes.data()),
                static_cast<int64_t>(n), out.data());
  return absl::OkStatus();
}

absl::Status SearchableIndex::ResidualCodes(int64_t slot, std::vector<uint8_t>& out) const {
  const size_t code_bytes = codec_.code_bytes();
  const uint64_t begin = token_offsets_[slot], n = token_offsets_[slot + 1] - begin;
  if (snapshot_ == nullptr) {
    out.assign(codes_.begin() + begin * code_bytes, codes_.begin() + (begin + n) * code_bytes);
    return absl::OkStatus();
  }
  LATERAL_ASSIGN_OR_RETURN(DocumentCodes codes, StoredCodes(slot));
  const auto* bytes = reinterpret_cast<const uint8_t*>(codes.residual_codes.data());
  out.assign(bytes, bytes + codes.residual_codes.size());
  return absl::OkStatus();
}

size_t SearchableIndex::MemoryBytes() const {
  return doc_ids_.size() * 4 + token_offsets_.size() * 8 + centroid_ids_.size() * 4 + codes_.size() +
         posting_offsets_.size() * 8 + postings_.size() * 4 + codec_.centroids().size() * 4 + metadata_.MemoryBytes();
}

}  // namespace lateral
