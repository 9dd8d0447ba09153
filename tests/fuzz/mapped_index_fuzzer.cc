// Arbitrary bytes as a mapped index file (index/mapped_index.h). Opening
// must fail with DataLoss or FailedPrecondition naming the path, or yield an
// index that is safe to use:
//   - opened without checks: every structural access (token ranges, posting
//     lists) stays within the arrays;
//   - opened with check_contents: also every decode and a PLAID search, and
//     writing it back and reopening gives the same arrays.
// The expected sequence number is taken from the header's own field and the
// header checksum is recomputed, so inputs get past those two checks.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "index/mapped_index.h"
#include "query/plaid_searcher.h"

namespace {

constexpr size_t kHeaderBytes = 512;  // index/mapped_index.h: the crc32c is its last 4 bytes

const std::string& Path(const char* suffix) {
  static const std::string* base =
      new std::string(std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp") +
                      "/lateral_mapped_index_fuzz." + std::to_string(::getpid()));
  static std::string paths[2] = {*base + ".in", *base + ".out"};
  return suffix[0] == 'i' ? paths[0] : paths[1];
}

void CheckError(const absl::Status& status, const std::string& path) {
  if (status.code() != absl::StatusCode::kDataLoss && status.code() != absl::StatusCode::kFailedPrecondition) {
    std::abort();
  }
  if (!absl::StartsWith(status.message(), path)) std::abort();
}

void CheckStructure(const lateral::SearchableIndex& index) {
  const int64_t n = index.num_documents();
  for (int64_t slot = 0; slot < n; ++slot) {
    if (index.token_begin(slot) > index.token_end(slot) ||
        index.token_end(slot) > static_cast<uint64_t>(index.num_tokens())) {
      std::abort();
    }
    if (index.SlotOf(index.doc_id(slot)) != slot) std::abort();
  }
  size_t total = 0;
  for (int c = 0; c < index.codec().num_centroids(); ++c) total += index.Postings(static_cast<uint32_t>(c)).size();
  if (total != index.arrays().postings.size()) std::abort();
}

void UseChecked(std::unique_ptr<lateral::SearchableIndex> opened) {
  std::shared_ptr<const lateral::SearchableIndex> index = std::move(opened);
  CheckStructure(*index);
  std::vector<float> vectors;
  for (int64_t slot = 0; slot < index->num_documents(); ++slot) {
    if (!index->DecodeDocument(slot, vectors).ok()) std::abort();
  }
  lateral::PlaidSearcher searcher(index);
  const int dim = index->codec().dim();
  std::vector<float> query(4 * static_cast<size_t>(dim));
  for (size_t i = 0; i < query.size(); ++i) query[i] = ((i * 7919) % 13) / 13.0f - 0.5f;
  lateral::SearchOptions options;
  options.k = 3;
  options.exact_budget = 0;  // run every PLAID stage
  if (!searcher.Search({query.data(), 4, dim}, options).ok()) std::abort();

  const std::string& out = Path("out");
  if (!lateral::WriteMappedIndex(*index, 1, out).ok()) std::abort();
  lateral::MappedIndexOptions all;
  all.verify_checksums = all.check_contents = true;
  auto again = lateral::OpenMappedIndex(out, 1, all);
  if (!again.ok()) std::abort();
  const auto a = index->arrays(), b = (*again)->arrays();
  if (!std::equal(a.centroid_ids.begin(), a.centroid_ids.end(), b.centroid_ids.begin(), b.centroid_ids.end()) ||
      !std::equal(a.codes.begin(), a.codes.end(), b.codes.begin(), b.codes.end()) ||
      !std::equal(a.postings.begin(), a.postings.end(), b.postings.begin(), b.postings.end()) ||
      !std::equal(a.doc_ids.begin(), a.doc_ids.end(), b.doc_ids.begin(), b.doc_ids.end())) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = Path("in");
  // The header checksum would stop almost every mutation at the first
  // check (tests/index/mapped_index_test.cc covers it), so it is recomputed
  // here and the fuzzer explores the bounds checks behind it.
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size >= kHeaderBytes) {
    const uint32_t crc = lateral::MappedIndexCrc32c(0, bytes.data(), kHeaderBytes - 4);
    std::memcpy(bytes.data() + kHeaderBytes - 4, &crc, 4);
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  if (size > 0 && std::fwrite(bytes.data(), 1, size, f) != size) std::abort();
  std::fclose(f);
  uint64_t sequence = 0;
  if (size >= 24) std::memcpy(&sequence, bytes.data() + 16, 8);

  auto plain = lateral::OpenMappedIndex(path, sequence);
  if (!plain.ok()) {
    CheckError(plain.status(), path);
  } else {
    CheckStructure(**plain);
  }
  lateral::MappedIndexOptions check;
  check.check_contents = true;
  auto checked = lateral::OpenMappedIndex(path, sequence, check);
  if (!checked.ok()) {
    CheckError(checked.status(), path);
    // A content check only ever adds refusals.
    if (!plain.ok() && plain.status().code() != checked.status().code()) std::abort();
  } else {
    if (!plain.ok()) std::abort();
    UseChecked(std::move(*checked));
  }
  return 0;
}
