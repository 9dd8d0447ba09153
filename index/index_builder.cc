#include "index/index_builder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lateral {
namespace {

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Documents sampled for k-means by PLAID's rule, 16 * sqrt(120 * N).
int64_t PlaidSampleDocuments(int64_t n) {
  return std::min<int64_t>(n, static_cast<int64_t>(16.0 * std::sqrt(120.0 * static_cast<double>(n))) + 1);
}

// Encodes one batch of validated documents and writes it as one atomic Upsert.
absl::Status EncodeAndWrite(CollectionStore& store, const ResidualCodec& codec, std::vector<DocumentVectors>& docs,
                            int64_t& tokens_written) {
  const int dim = codec.dim();
  std::vector<int64_t> offsets = {0};
  for (const DocumentVectors& d : docs) {
    LATERAL_RETURN_IF_ERROR(ValidateDocumentVectors(d, dim));
    offsets.push_back(offsets.back() + static_cast<int64_t>(d.vectors.size()) / dim);
  }
  const int64_t n = offsets.back();
  std::vector<float> all(static_cast<size_t>(n) * dim);
  for (size_t i = 0; i < docs.size(); ++i) std::copy(docs[i].vectors.begin(), docs[i].vectors.end(), all.data() + offsets[i] * dim);
  std::vector<uint32_t> ids(n);
  std::vector<uint8_t> codes(static_cast<size_t>(n) * codec.code_bytes());
  codec.Encode(all.data(), n, ids.data(), codes.data());
  std::vector<DocumentWrite> writes(docs.size());
  const size_t bytes = codec.code_bytes();
  for (size_t i = 0; i < docs.size(); ++i) {
    writes[i].record = std::move(docs[i].record);
    writes[i].codes.centroid_ids.assign(ids.begin() + offsets[i], ids.begin() + offsets[i + 1]);
    writes[i].codes.residual_codes.assign(reinterpret_cast<const char*>(codes.data()) + offsets[i] * bytes,
                                          (offsets[i + 1] - offsets[i]) * bytes);
  }
  LATERAL_RETURN_IF_ERROR(store.Upsert(writes).status());
  tokens_written += n;
  return absl::OkStatus();
}

// Streams every document of `source` through EncodeAndWrite in batches.
absl::Status EncodeAll(CollectionStore& store, const ResidualCodec& codec, DocumentSource& source,
                       const BuildOptions& options, Clock::time_point start, BuildStats& stats) {
  const auto t = Clock::now();
  const int64_t n = source.size(), batch = std::max<int64_t>(1, options.batch_documents);
  std::vector<DocumentVectors> docs;
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t end = std::min(n, begin + batch);
    const auto source_start = Clock::now();
    LATERAL_RETURN_IF_ERROR(source.Get(begin, end, docs));
    stats.source_seconds += SecondsSince(source_start);
    if (static_cast<int64_t>(docs.size()) != end - begin) {
      return absl::InternalError(absl::StrCat("document source returned ", docs.size(), " documents for [", begin,
                                              ", ", end, ")"));
    }
    LATERAL_RETURN_IF_ERROR(EncodeAndWrite(store, codec, docs, stats.tokens));
    stats.documents = end;
    if (options.progress) options.progress({"encoding", end, n, stats.tokens, SecondsSince(start)});
  }
  stats.encode_seconds = SecondsSince(t);
  return absl::OkStatus();
}

}  // namespace

absl::Status DocumentSource::GetSome(const std::vector<int64_t>& indices, std::vector<DocumentVectors>& out) {
  out.clear();
  std::vector<DocumentVectors> one;
  for (int64_t i : indices) {
    LATERAL_RETURN_IF_ERROR(Get(i, i + 1, one));
    if (one.size() != 1) return absl::InternalError(absl::StrCat("document source returned nothing for ", i));
    out.push_back(std::move(one[0]));
  }
  return absl::OkStatus();
}

absl::Status ValidateDocumentVectors(const DocumentVectors& document, int dim) {
  const std::string& id = document.record.external_id;
  if (document.vectors.empty()) return absl::InvalidArgumentError(absl::StrCat("document \"", id, "\" has no vectors"));
  if (document.vectors.size() % dim != 0) {
    return absl::InvalidArgumentError(absl::StrCat("document \"", id, "\" has ", document.vectors.size(),
                                                   " values, not a whole number of ", dim, "-dimensional vectors"));
  }
  for (size_t i = 0; i < document.vectors.size(); ++i) {
    if (!std::isfinite(document.vectors[i])) {
      return absl::InvalidArgumentError(absl::StrCat("document \"", id, "\" vector ", i / dim, " has a NaN or infinite value"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ResidualCodec> LoadCodec(const StoreSnapshot& snapshot, const CentroidSearcherOptions& assignment) {
  LATERAL_ASSIGN_OR_RETURN(std::optional<CodecParts> parts, snapshot.GetCodec());
  if (!parts.has_value()) return absl::FailedPreconditionError("the collection has no index codec yet (build it first)");
  return ResidualCodec::FromParts(parts->dim, parts->nbits, std::move(parts->centroids),
                                  std::move(parts->bucket_cutoffs), std::move(parts->bucket_weights), assignment);
}

absl::StatusOr<BuildStats> BuildIndex(CollectionStore& store, DocumentSource& source, const BuildOptions& options) {
  const auto start = Clock::now();
  const int dim = store.manifest().dim;
  if (options.codec.nbits != store.manifest().nbits) {
    return absl::InvalidArgumentError(absl::StrCat("codec nbits ", options.codec.nbits, " differs from the store's ",
                                                   store.manifest().nbits));
  }
  const int64_t n = source.size();
  if (n == 0) return absl::InvalidArgumentError("there are no documents to index");
  BuildStats stats;

  // 1. Sample documents in a random order until PLAID's count is reached or
  //    the sample has enough vectors for k-means (which subsamples beyond
  //    that anyway), so memory follows K, not the collection.
  auto t = Clock::now();
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.codec.seed);
  std::shuffle(order.begin(), order.end(), rng);
  const int64_t want_docs = options.sample_documents > 0 ? std::min(options.sample_documents, n) : PlaidSampleDocuments(n);
  std::vector<float> sample;
  int64_t sampled = 0, estimated_tokens = 0;
  std::vector<DocumentVectors> chunk;
  while (sampled < want_docs) {
    const int64_t take = std::min<int64_t>(512, want_docs - sampled);
    std::vector<int64_t> indices(order.begin() + sampled, order.begin() + sampled + take);
    LATERAL_RETURN_IF_ERROR(source.GetSome(indices, chunk));
    for (const DocumentVectors& d : chunk) {
      LATERAL_RETURN_IF_ERROR(ValidateDocumentVectors(d, dim));
      sample.insert(sample.end(), d.vectors.begin(), d.vectors.end());
    }
    sampled += take;
    const int64_t sample_tokens = static_cast<int64_t>(sample.size()) / dim;
    estimated_tokens = static_cast<int64_t>(static_cast<double>(sample_tokens) / sampled * n);
    const int64_t k = options.codec.num_centroids > 0 ? options.codec.num_centroids : PlaidCentroidCount(estimated_tokens);
    if (options.progress) options.progress({"sampling", sampled, want_docs, sample_tokens, SecondsSince(start)});
    if (sample_tokens >= static_cast<int64_t>(options.points_per_centroid) * k * 21 / 20) break;
  }
  stats.sample_documents = sampled;
  stats.sample_tokens = static_cast<int64_t>(sample.size()) / dim;
  stats.sample_seconds = SecondsSince(t);

  // 2. Codec.
  t = Clock::now();
  if (options.progress) options.progress({"training", 0, 1, 0, SecondsSince(start)});
  LATERAL_ASSIGN_OR_RETURN(ResidualCodec codec,
                           ResidualCodec::Train(sample.data(), stats.sample_tokens, dim, estimated_tokens, options.codec));
  sample = std::vector<float>();
  stats.centroids = codec.num_centroids();
  stats.train_seconds = SecondsSince(t);
  CodecParts parts{dim, codec.nbits(), codec.centroids(), codec.bucket_cutoffs(), codec.bucket_weights()};
  LATERAL_RETURN_IF_ERROR(store.PutCodec(parts));

  // 3. Every document, batch by batch.
  LATERAL_RETURN_IF_ERROR(EncodeAll(store, codec, source, options, start, stats));
  stats.total_seconds = SecondsSince(start);
  return stats;
}

absl::StatusOr<BuildStats> AddDocuments(CollectionStore& store, DocumentSource& source, const BuildOptions& options) {
  const auto start = Clock::now();
  std::unique_ptr<StoreSnapshot> snapshot = store.Snapshot();
  LATERAL_ASSIGN_OR_RETURN(ResidualCodec codec, LoadCodec(*snapshot, options.codec.assignment));
  BuildStats stats;
  stats.centroids = codec.num_centroids();
  LATERAL_RETURN_IF_ERROR(EncodeAll(store, codec, source, options, start, stats));
  stats.total_seconds = SecondsSince(start);
  return stats;
}

}  // namespace lateral
