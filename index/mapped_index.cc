#include "index/mapped_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/mapped_file.h"
#include "common/status_macros.h"

namespace lateral {
namespace {

static_assert(std::endian::native == std::endian::little, "the mapped index is stored little-endian");

constexpr char kMagic[8] = {'L', 'A', 'T', 'M', 'I', 'D', 'X', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint64_t kHeaderBytes = 512;
constexpr uint64_t kAlignment = 64;
constexpr float kMaxCodecValue = 4.0f;

// Header fields, by byte offset.
constexpr size_t kOffMagic = 0, kOffVersion = 8, kOffHeaderBytes = 12, kOffSequence = 16, kOffDim = 24,
                 kOffNbits = 28, kOffCentroids = 32, kOffCodeBytes = 36, kOffDocuments = 40, kOffTokens = 48,
                 kOffPostings = 56, kOffFileBytes = 64, kOffNumSections = 72, kOffSectionTable = 80;
constexpr size_t kSectionEntryBytes = 24;  // offset u64, length u64, crc32c u32, reserved u32
constexpr size_t kOffHeaderCrc = kHeaderBytes - 4;

enum Section { kCentroids, kCutoffs, kWeights, kDocIds, kTokenOffsets, kCentroidIds, kCodes, kPostingOffsets,
               kPostingList, kNumSections };
constexpr std::array<const char*, kNumSections> kSectionNames = {
    "centroids", "bucket_cutoffs", "bucket_weights", "doc_ids", "token_offsets",
    "centroid_ids", "codes", "posting_offsets", "postings"};
static_assert(kOffSectionTable + kNumSections * kSectionEntryBytes <= kOffHeaderCrc);

template <typename T>
void Put(uint8_t* header, size_t offset, T value) {
  std::memcpy(header + offset, &value, sizeof(T));
}
template <typename T>
T Get(const uint8_t* header, size_t offset) {
  T value;
  std::memcpy(&value, header + offset, sizeof(T));
  return value;
}

// --- crc32c -------------------------------------------------------------

constexpr uint32_t kCrc32cPolynomial = 0x82F63B78u;  // reflected Castagnoli

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCrc32cPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

uint32_t Crc32cPortable(uint32_t state, const uint8_t* p, size_t n) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  for (size_t i = 0; i < n; ++i) state = table[(state ^ p[i]) & 0xff] ^ (state >> 8);
  return state;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t state, const uint8_t* p, size_t n) {
  uint64_t s = state;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    s = __builtin_ia32_crc32di(s, word);
    p += 8;
    n -= 8;
  }
  uint32_t s32 = static_cast<uint32_t>(s);
  while (n > 0) {
    s32 = __builtin_ia32_crc32qi(s32, *p++);
    --n;
  }
  return s32;
}
#endif

// --- writing ------------------------------------------------------------

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(path, ": ", what, ": ", std::strerror(errno)));
}

// Buffered writes to a file descriptor, tracking the position and the crc32c
// of the current section.
class SectionWriter {
 public:
  SectionWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) { buffer_.reserve(kBufferBytes); }

  uint64_t position() const { return position_; }

  absl::Status Write(const void* data, size_t size) {
    crc_ = MappedIndexCrc32c(crc_, data, size);
    position_ += size;
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0) {
      const size_t take = std::min(size, kBufferBytes - buffer_.size());
      buffer_.insert(buffer_.end(), p, p + take);
      p += take;
      size -= take;
      if (buffer_.size() == kBufferBytes) LATERAL_RETURN_IF_ERROR(Flush());
    }
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status WriteSpan(absl::Span<const T> values) {
    return Write(values.data(), values.size() * sizeof(T));
  }

  // Zero padding up to the next multiple of kAlignment (outside any section).
  absl::Status Align() {
    static const uint8_t zeros[kAlignment] = {};
    const uint64_t pad = (kAlignment - position_ % kAlignment) % kAlignment;
    return Write(zeros, pad);
  }

  void BeginSection() { crc_ = 0; }
  uint32_t section_crc() const { return crc_; }

  absl::Status Flush() {
    const uint8_t* p = buffer_.data();
    size_t left = buffer_.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("cannot write", path_);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    buffer_.clear();
    return absl::OkStatus();
  }

 private:
  static constexpr size_t kBufferBytes = size_t{1} << 20;
  int fd_;
  std::string path_;
  std::vector<uint8_t> buffer_;
  uint64_t position_ = 0;
  uint32_t crc_ = 0;
};

struct SectionEntry {
  uint64_t offset = 0, length = 0;
  uint32_t crc = 0;
};

absl::Status WriteSections(const SearchableIndex& index, SectionWriter& out,
                           std::array<SectionEntry, kNumSections>& entries) {
  const ResidualCodec& codec = index.codec();
  const SearchableIndex::ArrayViews arrays = index.arrays();
  std::vector<uint8_t> doc_codes;
  for (int s = 0; s < kNumSections; ++s) {
    LATERAL_RETURN_IF_ERROR(out.Align());
    out.BeginSection();
    entries[s].offset = out.position();
    switch (s) {
      case kCentroids: LATERAL_RETURN_IF_ERROR(out.WriteSpan(absl::MakeConstSpan(codec.centroids()))); break;
      case kCutoffs: LATERAL_RETURN_IF_ERROR(out.WriteSpan(absl::MakeConstSpan(codec.bucket_cutoffs()))); break;
      case kWeights: LATERAL_RETURN_IF_ERROR(out.WriteSpan(absl::MakeConstSpan(codec.bucket_weights()))); break;
      case kDocIds: LATERAL_RETURN_IF_ERROR(out.WriteSpan(arrays.doc_ids)); break;
      case kTokenOffsets: LATERAL_RETURN_IF_ERROR(out.WriteSpan(arrays.token_offsets)); break;
      case kCentroidIds: LATERAL_RETURN_IF_ERROR(out.WriteSpan(arrays.centroid_ids)); break;
      case kCodes:
        if (index.residuals_in_memory()) {
          LATERAL_RETURN_IF_ERROR(out.WriteSpan(arrays.codes));
        } else {
          for (int64_t slot = 0; slot < index.num_documents(); ++slot) {
            LATERAL_RETURN_IF_ERROR(index.ResidualCodes(slot, doc_codes));
            LATERAL_RETURN_IF_ERROR(out.WriteSpan(absl::MakeConstSpan(doc_codes)));
          }
        }
        break;
      case kPostingOffsets: LATERAL_RETURN_IF_ERROR(out.WriteSpan(arrays.posting_offsets)); break;
      case kPostingList: LATERAL_RETURN_IF_ERROR(out.WriteSpan(arrays.postings)); break;
    }
    entries[s].length = out.position() - entries[s].offset;
    entries[s].crc = out.section_crc();
  }
  return out.Flush();
}

std::array<uint8_t, kHeaderBytes> MakeHeader(const SearchableIndex& index, uint64_t sequence_number,
                                             uint64_t file_bytes, const std::array<SectionEntry, kNumSections>& entries) {
  std::array<uint8_t, kHeaderBytes> header{};
  uint8_t* h = header.data();
  std::memcpy(h + kOffMagic, kMagic, sizeof(kMagic));
  Put<uint32_t>(h, kOffVersion, kFormatVersion);
  Put<uint32_t>(h, kOffHeaderBytes, static_cast<uint32_t>(kHeaderBytes));
  Put<uint64_t>(h, kOffSequence, sequence_number);
  Put<uint32_t>(h, kOffDim, static_cast<uint32_t>(index.codec().dim()));
  Put<uint32_t>(h, kOffNbits, static_cast<uint32_t>(index.codec().nbits()));
  Put<uint32_t>(h, kOffCentroids, static_cast<uint32_t>(index.codec().num_centroids()));
  Put<uint32_t>(h, kOffCodeBytes, static_cast<uint32_t>(index.codec().code_bytes()));
  Put<uint64_t>(h, kOffDocuments, static_cast<uint64_t>(index.num_documents()));
  Put<uint64_t>(h, kOffTokens, static_cast<uint64_t>(index.num_tokens()));
  Put<uint64_t>(h, kOffPostings, static_cast<uint64_t>(index.arrays().postings.size()));
  Put<uint64_t>(h, kOffFileBytes, file_bytes);
  Put<uint32_t>(h, kOffNumSections, kNumSections);
  for (int s = 0; s < kNumSections; ++s) {
    const size_t at = kOffSectionTable + s * kSectionEntryBytes;
    Put<uint64_t>(h, at, entries[s].offset);
    Put<uint64_t>(h, at + 8, entries[s].length);
    Put<uint32_t>(h, at + 16, entries[s].crc);
  }
  Put<uint32_t>(h, kOffHeaderCrc, MappedIndexCrc32c(0, h, kOffHeaderCrc));
  return header;
}

absl::Status PwriteAll(int fd, const uint8_t* p, size_t size, off_t offset, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path);
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return absl::OkStatus();
}

// Writes everything into the open temporary file `fd` and fsyncs it.
absl::Status WriteFile(const SearchableIndex& index, uint64_t sequence_number, int fd, const std::string& tmp) {
  SectionWriter out(fd, tmp);
  // The header is written last, once the section table is known; a file cut
  // short before that has a zero header, which fails the magic check.
  const std::array<uint8_t, kHeaderBytes> blank{};
  LATERAL_RETURN_IF_ERROR(out.Write(blank.data(), blank.size()));
  std::array<SectionEntry, kNumSections> entries;
  LATERAL_RETURN_IF_ERROR(WriteSections(index, out, entries));
  const std::array<uint8_t, kHeaderBytes> header = MakeHeader(index, sequence_number, out.position(), entries);
  LATERAL_RETURN_IF_ERROR(PwriteAll(fd, header.data(), header.size(), 0, tmp));
  if (::fsync(fd) != 0) return ErrnoError("cannot fsync", tmp);
  return absl::OkStatus();
}

// --- reading ------------------------------------------------------------

absl::Status Damaged(const std::string& path, const std::string& message) {
  return absl::DataLossError(absl::StrCat(path, ": ", message));
}

// out = a * b; false when it overflows.
bool MulOk(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_mul_overflow(a, b, &out); }

}  // namespace

uint32_t MappedIndexCrc32c(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t state = ~crc;
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  state = hardware ? Crc32cHardware(state, p, size) : Crc32cPortable(state, p, size);
#else
  state = Crc32cPortable(state, p, size);
#endif
  return ~state;
}

absl::Status WriteMappedIndex(const SearchableIndex& index, uint64_t sequence_number, const std::string& path) {
  if (static_cast<uint64_t>(index.num_documents()) > UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", index.num_documents(),
                                                   " documents do not fit the 32-bit slots of the file"));
  }
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid(), ".", counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  absl::Status status = WriteFile(index, sequence_number, fd, tmp);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError("cannot close", tmp);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) status = ErrnoError("cannot rename into place", path);
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  // The rename is durable once the directory entry is.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = (parent.empty() ? std::filesystem::path(".") : parent).string();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoError("cannot open directory", dir);
  const bool synced = ::fsync(dir_fd) == 0;
  ::close(dir_fd);
  if (!synced) return ErrnoError("cannot fsync directory", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SearchableIndex>> OpenMappedIndex(const std::string& path,
                                                                 uint64_t expected_sequence_number,
                                                                 const MappedIndexOptions& options) {
  LATERAL_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(path));
  auto file = std::make_shared<const MappedFile>(std::move(mapped));
  const uint8_t* h = file->data();
  const uint64_t size = file->size();
  if (size < kHeaderBytes) {
    return Damaged(path, absl::StrCat("truncated: ", size, " bytes, shorter than the ", kHeaderBytes, "-byte header"));
  }
  if (std::memcmp(h + kOffMagic, kMagic, sizeof(kMagic)) != 0) {
    return Damaged(path, "field magic: not a lateral mapped index (or its header was never completed)");
  }
  const uint32_t version = Get<uint32_t>(h, kOffVersion);
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": field format_version is ", version,
                                                      "; this build reads version ", kFormatVersion,
                                                      " (rebuild it from the store)"));
  }
  const uint32_t header_crc = Get<uint32_t>(h, kOffHeaderCrc);
  if (MappedIndexCrc32c(0, h, kOffHeaderCrc) != header_crc) {
    return Damaged(path, "field header_crc32c: the header does not match its checksum");
  }
  if (Get<uint32_t>(h, kOffHeaderBytes) != kHeaderBytes) {
    return Damaged(path, absl::StrCat("field header_bytes is ", Get<uint32_t>(h, kOffHeaderBytes), ", expected ",
                                      kHeaderBytes));
  }
  if (Get<uint32_t>(h, kOffNumSections) != kNumSections) {
    return Damaged(path, absl::StrCat("field num_sections is ", Get<uint32_t>(h, kOffNumSections), ", expected ",
                                      static_cast<int>(kNumSections)));
  }
  const uint64_t file_bytes = Get<uint64_t>(h, kOffFileBytes);
  if (file_bytes != size) {
    return Damaged(path, absl::StrCat("field file_bytes: the header says ", file_bytes, " bytes but the file has ",
                                      size, " (truncated or appended to)"));
  }
  const uint64_t sequence = Get<uint64_t>(h, kOffSequence);
  if (sequence != expected_sequence_number) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": stale: built at store sequence number ", sequence,
                                                      ", the store is at ", expected_sequence_number));
  }

  const uint32_t dim = Get<uint32_t>(h, kOffDim), nbits = Get<uint32_t>(h, kOffNbits);
  const uint32_t k = Get<uint32_t>(h, kOffCentroids), code_bytes = Get<uint32_t>(h, kOffCodeBytes);
  const uint64_t n = Get<uint64_t>(h, kOffDocuments), tokens = Get<uint64_t>(h, kOffTokens);
  const uint64_t postings = Get<uint64_t>(h, kOffPostings);
  if (nbits != 1 && nbits != 2 && nbits != 4) return Damaged(path, absl::StrCat("field nbits is ", nbits));
  if (dim == 0 || dim > (1u << 20) || (dim * nbits) % 8 != 0 || code_bytes != dim * nbits / 8) {
    return Damaged(path, absl::StrCat("fields dim ", dim, ", nbits ", nbits, " and code_bytes ", code_bytes,
                                      " do not agree"));
  }
  if (k == 0 || k > static_cast<uint32_t>(INT32_MAX)) return Damaged(path, absl::StrCat("field num_centroids is ", k));
  if (n > UINT32_MAX) return Damaged(path, absl::StrCat("field num_documents is ", n));

  // Each section's length follows from the counts; any product that
  // overflows is necessarily larger than the file, hence damage.
  std::array<uint64_t, kNumSections> expected{};
  bool fits = MulOk(uint64_t{k} * dim, 4, expected[kCentroids]);
  expected[kCutoffs] = ((uint64_t{1} << nbits) - 1) * 4;
  expected[kWeights] = (uint64_t{1} << nbits) * 4;
  fits = fits && MulOk(n, 4, expected[kDocIds]) && MulOk(n + 1, 8, expected[kTokenOffsets]) &&
         MulOk(tokens, 4, expected[kCentroidIds]) && MulOk(tokens, code_bytes, expected[kCodes]) &&
         MulOk(uint64_t{k} + 1, 8, expected[kPostingOffsets]) && MulOk(postings, 4, expected[kPostingList]);
  if (!fits) return Damaged(path, "fields num_tokens / num_postings are impossibly large");

  std::array<const uint8_t*, kNumSections> data{};
  uint64_t previous_end = kHeaderBytes;
  for (int s = 0; s < kNumSections; ++s) {
    const size_t at = kOffSectionTable + s * kSectionEntryBytes;
    const uint64_t offset = Get<uint64_t>(h, at), length = Get<uint64_t>(h, at + 8);
    const std::string field = absl::StrCat("section ", kSectionNames[s]);
    if (length != expected[s]) {
      return Damaged(path, absl::StrCat(field, ": length ", length, ", expected ", expected[s], " from the counts"));
    }
    if (offset % kAlignment != 0 || offset < previous_end || offset > size || length > size - offset) {
      return Damaged(path, absl::StrCat(field, ": bytes [", offset, ", +", length, ") are misaligned, overlap ",
                                        "the previous section or lie outside the ", size, "-byte file"));
    }
    data[s] = h + offset;
    previous_end = offset + length;
    if (options.verify_checksums && MappedIndexCrc32c(0, data[s], length) != Get<uint32_t>(h, at + 16)) {
      return Damaged(path, absl::StrCat(field, ": contents do not match the checksum"));
    }
  }

  // Centroids are unit vectors and residuals of unit vectors lie in
  // [-2, 2]: a value far outside (or NaN) would make scores overflow or NaN,
  // and NaN scores break the orderings search sorts by.
  std::array<std::vector<float>, 3> parts;
  for (Section s : {kCentroids, kCutoffs, kWeights}) {
    const auto* p = reinterpret_cast<const float*>(data[s]);
    parts[s].assign(p, p + expected[s] / 4);
    for (size_t i = 0; i < parts[s].size(); ++i) {
      if (!(std::fabs(parts[s][i]) <= kMaxCodecValue)) {
        return Damaged(path, absl::StrCat("section ", kSectionNames[s], ": value ", i, " is ", parts[s][i],
                                          ", outside [-", kMaxCodecValue, ", ", kMaxCodecValue, "]"));
      }
    }
  }
  absl::StatusOr<ResidualCodec> codec =
      ResidualCodec::FromParts(static_cast<int>(dim), static_cast<int>(nbits), std::move(parts[kCentroids]),
                               std::move(parts[kCutoffs]), std::move(parts[kWeights]));
  if (!codec.ok()) return Damaged(path, absl::StrCat("codec sections: ", codec.status().message()));

  SearchableIndex::ArrayViews views;
  views.doc_ids = absl::MakeConstSpan(reinterpret_cast<const uint32_t*>(data[kDocIds]), n);
  views.token_offsets = absl::MakeConstSpan(reinterpret_cast<const uint64_t*>(data[kTokenOffsets]), n + 1);
  views.centroid_ids = absl::MakeConstSpan(reinterpret_cast<const uint32_t*>(data[kCentroidIds]), tokens);
  views.codes = absl::MakeConstSpan(data[kCodes], expected[kCodes]);
  views.posting_offsets = absl::MakeConstSpan(reinterpret_cast<const uint64_t*>(data[kPostingOffsets]), uint64_t{k} + 1);
  views.postings = absl::MakeConstSpan(reinterpret_cast<const uint32_t*>(data[kPostingList]), postings);
  absl::StatusOr<std::unique_ptr<SearchableIndex>> index =
      SearchableIndex::FromViews(*std::move(codec), views, file, options.check_contents);
  if (!index.ok()) return Damaged(path, std::string(index.status().message()));
  return index;
}

}  // namespace lateral
