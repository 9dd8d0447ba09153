#include "index/recluster.h"

#include <filesystem>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tbb/parallel_for.h"

namespace lateral {
namespace {

// The live documents of a store snapshot, with vectors from `revectorize`
// or from their decompressed codes.
class StoredDocumentSource : public DocumentSource {
 public:
  StoredDocumentSource(const StoreSnapshot& snapshot, const ResidualCodec& codec, std::vector<uint32_t> ids,
                       const Revectorize& revectorize)
      : snapshot_(snapshot), codec_(codec), ids_(std::move(ids)), revectorize_(revectorize) {}

  int64_t size() const override { return static_cast<int64_t>(ids_.size()); }

  absl::Status Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) override {
    std::vector<int64_t> indices;
    for (int64_t i = begin; i < end; ++i) indices.push_back(i);
    return GetSome(indices, out);
  }

  absl::Status GetSome(const std::vector<int64_t>& indices, std::vector<DocumentVectors>& out) override {
    out.assign(indices.size(), DocumentVectors());
    for (size_t i = 0; i < indices.size(); ++i) {
      const uint32_t id = ids_[indices[i]];
      LATERAL_ASSIGN_OR_RETURN(std::optional<DocumentRecord> record, snapshot_.GetDocument(id));
      if (!record.has_value()) return absl::DataLossError(absl::StrCat("document ", id, " vanished from the snapshot"));
      out[i].record = std::move(*record);
    }
    if (revectorize_) {
      std::vector<const DocumentRecord*> records;
      for (const DocumentVectors& d : out) records.push_back(&d.record);
      std::vector<std::vector<float>> vectors(out.size());
      LATERAL_RETURN_IF_ERROR(revectorize_(records, vectors));
      if (vectors.size() != out.size()) return absl::InternalError("revectorize returned the wrong number of documents");
      for (size_t i = 0; i < out.size(); ++i) out[i].vectors = std::move(vectors[i]);
      return absl::OkStatus();
    }
    for (size_t i = 0; i < indices.size(); ++i) {
      const uint32_t id = ids_[indices[i]];
      LATERAL_ASSIGN_OR_RETURN(std::optional<DocumentCodes> codes, snapshot_.GetCodes(id));
      if (!codes.has_value()) return absl::DataLossError(absl::StrCat("document ", id, " has no codes"));
      const int64_t n = static_cast<int64_t>(codes->centroid_ids.size());
      out[i].vectors.resize(n * codec_.dim());
      codec_.Decode(codes->centroid_ids.data(), reinterpret_cast<const uint8_t*>(codes->residual_codes.data()), n,
                    out[i].vectors.data());
    }
    return absl::OkStatus();
  }

 private:
  const StoreSnapshot& snapshot_;
  const ResidualCodec& codec_;
  std::vector<uint32_t> ids_;
  const Revectorize& revectorize_;
};

absl::Status Rename(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", from, " to ", to, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReclusterStats> Recluster(const std::string& path, const ReclusterOptions& options) {
  const std::string fresh_path = path + ".recluster";
  const std::string previous_path = path + ".previous";
  if (std::filesystem::exists(previous_path)) {
    return absl::FailedPreconditionError(absl::StrCat(previous_path, " exists (left by an earlier re-clustering); "
                                                      "move it away first"));
  }
  ReclusterStats stats;
  {
    LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> old_store, CollectionStore::Open(path, std::nullopt));
    std::unique_ptr<StoreSnapshot> snapshot = old_store->Snapshot();
    LATERAL_ASSIGN_OR_RETURN(ResidualCodec codec, LoadCodec(*snapshot));
    std::vector<uint32_t> ids;
    LATERAL_RETURN_IF_ERROR(snapshot->ForEachDocument([&](uint32_t id, const DocumentRecord&) {
      ids.push_back(id);
      return absl::OkStatus();
    }));
    if (ids.empty()) return absl::FailedPreconditionError(absl::StrCat(path, " holds no documents to re-cluster"));
    // A half-built store from an interrupted run is only ever a leftover.
    std::error_code ec;
    std::filesystem::remove_all(fresh_path, ec);
    Manifest manifest = old_store->manifest();
    LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> fresh, CollectionStore::Open(fresh_path, manifest));
    StoredDocumentSource source(*snapshot, codec, std::move(ids), options.revectorize);
    BuildOptions build = options.build;
    build.codec.nbits = manifest.nbits;
    absl::StatusOr<BuildStats> built = BuildIndex(*fresh, source, build);
    if (!built.ok()) {
      fresh.reset();
      std::filesystem::remove_all(fresh_path, ec);
      return built.status();
    }
    LATERAL_RETURN_IF_ERROR(fresh->Compact());
    stats.build = *built;
  }  // both stores closed before the swap
  LATERAL_RETURN_IF_ERROR(Rename(path, previous_path));
  LATERAL_RETURN_IF_ERROR(Rename(fresh_path, path));
  stats.previous_store = previous_path;
  if (!options.keep_previous) {
    std::error_code ec;
    std::filesystem::remove_all(previous_path, ec);
    stats.previous_store.clear();
  }
  return stats;
}

absl::StatusOr<DriftReport> EstimateDrift(const StoreSnapshot& snapshot, int64_t sample_documents, double threshold) {
  LATERAL_ASSIGN_OR_RETURN(ResidualCodec codec, LoadCodec(snapshot));
  DriftReport report;
  report.documents = snapshot.NumDocuments();
  const int nbits = codec.nbits(), buckets = 1 << nbits, per_byte = 8 / nbits;
  report.expected_outer_fraction = 2.0 / buckets;
  const int64_t stride = std::max<int64_t>(1, report.documents / std::max<int64_t>(1, sample_documents));
  int64_t seen = 0, outer = 0, components = 0;
  LATERAL_RETURN_IF_ERROR(snapshot.ForEachCodes([&](uint32_t, const DocumentCodes& codes) {
    if (seen++ % stride != 0) return absl::OkStatus();
    report.sampled_tokens += static_cast<int64_t>(codes.centroid_ids.size());
    for (unsigned char byte : codes.residual_codes) {
      for (int j = 0; j < per_byte; ++j) {
        const int bucket = (byte >> (8 - nbits * (j + 1))) & (buckets - 1);
        outer += bucket == 0 || bucket == buckets - 1;
      }
      components += per_byte;
    }
    return absl::OkStatus();
  }));
  report.outer_fraction = components > 0 ? static_cast<double>(outer) / components : 0;
  report.recluster_advised = nbits > 1 && report.outer_fraction - report.expected_outer_fraction > threshold;
  return report;
}

}  // namespace lateral
