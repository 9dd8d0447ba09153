#include "storage/record_codec.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/bit_coding.h"
#include "storage/coding.h"

namespace lateral::storage {
namespace {

constexpr uint8_t kMetadataString = 0;
constexpr uint8_t kMetadataNumber = 1;
// Bounds on header fields, so a garbled value cannot ask for absurd sizes.
constexpr uint32_t kMaxDim = 1 << 16;
constexpr uint32_t kMaxNbits = 8;

// Accumulates the first failure of a sequence of reads, with the offset where
// it happened, so each decoder reads like the layout it implements.
class Decoder {
 public:
  Decoder(absl::string_view value, absl::string_view what) : value_(value), reader_(value), what_(what) {}

  ByteReader& reader() { return reader_; }

  absl::Status Error(absl::string_view detail) const {
    return absl::DataLossError(absl::StrCat(what_, ": corrupt value (", detail, " at byte ",
                                            reader_.offset(value_), " of ", value_.size(), ")"));
  }
  // Reads and checks the record version byte.
  absl::Status Version(uint8_t expected = kRecordVersion) {
    uint8_t version;
    if (!reader_.ReadByte(&version)) return Error("empty record");
    if (version != expected) {
      return Error(absl::StrCat("unknown record version ", version, ", expected ", expected));
    }
    return absl::OkStatus();
  }
  absl::Status End() const {
    if (!reader_.empty()) return Error(absl::StrCat(reader_.remaining(), " trailing bytes"));
    return absl::OkStatus();
  }

 private:
  absl::string_view value_;
  ByteReader reader_;
  absl::string_view what_;
};

}  // namespace

std::string EncodeManifest(const Manifest& manifest) {
  std::string out(kManifestMagic, 4);
  out.push_back(static_cast<char>(kRecordVersion));
  PutVarint32(&out, static_cast<uint32_t>(manifest.format_version));
  PutLengthPrefixed(&out, manifest.encoder_identity);
  PutVarint32(&out, static_cast<uint32_t>(manifest.dim));
  PutVarint32(&out, static_cast<uint32_t>(manifest.nbits));
  return out;
}

absl::StatusOr<Manifest> DecodeManifest(absl::string_view value, absl::string_view what) {
  Decoder d(value, what);
  ByteReader& r = d.reader();
  absl::string_view magic;
  if (!r.ReadBytes(4, &magic) || magic != absl::string_view(kManifestMagic, 4)) {
    return d.Error("no lateral manifest magic");
  }
  uint8_t version;
  if (!r.ReadByte(&version)) return d.Error("truncated");
  if (version > kRecordVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": manifest record version ", version,
                     " was written by a newer lateral; this build reads up to version ", kRecordVersion));
  }
  if (version != kRecordVersion) return d.Error(absl::StrCat("unknown record version ", version));
  Manifest m;
  uint32_t format_version, dim, nbits;
  absl::string_view identity;
  if (!r.ReadVarint32(&format_version) || !r.ReadLengthPrefixed(&identity) || !r.ReadVarint32(&dim) ||
      !r.ReadVarint32(&nbits)) {
    return d.Error("truncated");
  }
  if (format_version > INT32_MAX || dim > kMaxDim || nbits > kMaxNbits) {
    return d.Error(
        absl::StrCat("implausible format_version ", format_version, ", dim ", dim, " or nbits ", nbits));
  }
  if (absl::Status s = d.End(); !s.ok()) return s;
  m.format_version = static_cast<int>(format_version);
  m.encoder_identity = std::string(identity);
  m.dim = static_cast<int>(dim);
  m.nbits = static_cast<int>(nbits);
  return m;
}

std::string EncodeDocument(const DocumentRecord& record) {
  std::string out;
  size_t estimate = 16 + record.external_id.size() + record.text.size();
  for (const auto& [name, value] : record.metadata) estimate += 16 + name.size();
  out.reserve(estimate);
  out.push_back(static_cast<char>(kRecordVersion));
  PutLengthPrefixed(&out, record.external_id);
  PutLengthPrefixed(&out, record.text);
  PutVarint32(&out, static_cast<uint32_t>(record.metadata.size()));
  for (const auto& [name, value] : record.metadata) {
    PutLengthPrefixed(&out, name);
    if (const auto* s = std::get_if<std::string>(&value)) {
      out.push_back(static_cast<char>(kMetadataString));
      PutLengthPrefixed(&out, *s);
    } else {
      out.push_back(static_cast<char>(kMetadataNumber));
      PutDouble(&out, std::get<double>(value));
    }
  }
  return out;
}

absl::StatusOr<DocumentRecord> DecodeDocument(absl::string_view value, absl::string_view what) {
  Decoder d(value, what);
  ByteReader& r = d.reader();
  if (absl::Status s = d.Version(); !s.ok()) return s;
  DocumentRecord record;
  absl::string_view external_id, text;
  uint32_t n_fields;
  if (!r.ReadLengthPrefixed(&external_id)) return d.Error("truncated external id");
  if (!r.ReadLengthPrefixed(&text)) return d.Error("truncated text");
  if (!r.ReadVarint32(&n_fields)) return d.Error("truncated field count");
  record.external_id = std::string(external_id);
  record.text = std::string(text);
  for (uint32_t field_idx = 0; field_idx < n_fields; ++field_idx) {
    absl::string_view name;
    uint8_t kind;
    if (!r.ReadLengthPrefixed(&name) || !r.ReadByte(&kind)) {
      return d.Error(absl::StrCat("truncated metadata field ", field_idx));
    }
    MetadataValue field;
    if (kind == kMetadataString) {
      absl::string_view s;
      if (!r.ReadLengthPrefixed(&s)) return d.Error(absl::StrCat("truncated metadata field ", field_idx));
      field = std::string(s);
    } else if (kind == kMetadataNumber) {
      double number;
      if (!r.ReadDouble(&number)) return d.Error(absl::StrCat("truncated metadata field ", field_idx));
      field = number;
    } else {
      return d.Error(absl::StrCat("unknown metadata kind ", kind));
    }
    if (!record.metadata.emplace(std::string(name), std::move(field)).second) {
      return d.Error(absl::StrCat("duplicate metadata field \"", name, "\""));
    }
  }
  if (absl::Status s = d.End(); !s.ok()) return s;
  return record;
}

namespace {

// Token indices in the order the store keeps them: by centroid, stable.
std::vector<uint32_t> GroupedOrder(const std::vector<uint32_t>& centroid_ids) {
  std::vector<uint32_t> order(centroid_ids.size());
  std::iota(order.begin(), order.end(), 0);
  if (!std::is_sorted(centroid_ids.begin(), centroid_ids.end())) {
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return centroid_ids[a] < centroid_ids[b]; });
  }
  return order;
}

size_t CodeBytesOf(const DocumentCodes& codes) {
  return codes.centroid_ids.empty() ? 0 : codes.residual_codes.size() / codes.centroid_ids.size();
}

}  // namespace

DocumentCodes GroupByCentroid(const DocumentCodes& codes) {
  if (std::is_sorted(codes.centroid_ids.begin(), codes.centroid_ids.end())) return codes;
  const size_t code_bytes = CodeBytesOf(codes);
  DocumentCodes grouped;
  grouped.centroid_ids.reserve(codes.centroid_ids.size());
  grouped.residual_codes.reserve(codes.residual_codes.size());
  for (uint32_t token : GroupedOrder(codes.centroid_ids)) {
    grouped.centroid_ids.push_back(codes.centroid_ids[token]);
    grouped.residual_codes.append(codes.residual_codes, token * code_bytes, code_bytes);
  }
  return grouped;
}

std::string EncodeCodes(const DocumentCodes& codes) {
  const std::vector<uint32_t>& ids = codes.centroid_ids;
  const size_t code_bytes = CodeBytesOf(codes);
  const std::vector<uint32_t> order = GroupedOrder(ids);
  // Distinct centroids as Rice values (the first id, then gap - 1) and the
  // tokens of each (count - 1; most centroids hold one token of a document).
  std::vector<uint32_t> id_values, count_values;
  for (size_t i = 0; i < order.size(); ++i) {
    const uint32_t id = ids[order[i]];
    if (i > 0 && id == ids[order[i - 1]]) {
      ++count_values.back();
      continue;
    }
    id_values.push_back(i == 0 ? id : id - ids[order[i - 1]] - 1);
    count_values.push_back(0);
  }
  const int id_k = ChooseRiceParameter(id_values);
  const int count_k = ChooseRiceParameter(count_values);

  std::string out;
  out.reserve(1 + 2 * kMaxVarint32Bytes + 2 + (RiceBits(id_values, id_k) + RiceBits(count_values, count_k) + 7) / 8 +
              codes.residual_codes.size());
  out.push_back(static_cast<char>(kCodesRecordVersion));
  PutVarint32(&out, static_cast<uint32_t>(ids.size()));
  PutVarint32(&out, static_cast<uint32_t>(id_values.size()));
  out.push_back(static_cast<char>(id_k));
  out.push_back(static_cast<char>(count_k));
  BitWriter bits(&out);
  for (uint32_t v : id_values) bits.WriteRice(v, id_k);
  for (uint32_t v : count_values) bits.WriteRice(v, count_k);
  bits.Finish();
  for (uint32_t token : order) out.append(codes.residual_codes, token * code_bytes, code_bytes);
  return out;
}

absl::StatusOr<DocumentCodes> DecodeCodes(absl::string_view value, size_t code_bytes,
                                          absl::string_view what) {
  Decoder d(value, what);
  ByteReader& r = d.reader();
  if (code_bytes == 0) return d.Error("zero bytes of residual codes per token");
  if (absl::Status s = d.Version(kCodesRecordVersion); !s.ok()) return s;
  uint32_t n_tokens, n_distinct;
  uint8_t id_k, count_k;
  if (!r.ReadVarint32(&n_tokens)) return d.Error("truncated token count");
  if (!r.ReadVarint32(&n_distinct)) return d.Error("truncated distinct centroid count");
  if (!r.ReadByte(&id_k) || !r.ReadByte(&count_k)) return d.Error("truncated Rice parameters");
  if (id_k > kMaxRiceParameter || count_k > kMaxRiceParameter) {
    return d.Error(absl::StrCat("Rice parameters ", id_k, " and ", count_k, " exceed ", kMaxRiceParameter));
  }
  if (n_distinct > n_tokens || (n_tokens > 0 && n_distinct == 0)) {
    return d.Error(absl::StrCat(n_distinct, " distinct centroids for ", n_tokens, " tokens"));
  }
  // The residual codes are the last n_tokens * code_bytes bytes; checking
  // their size first bounds every allocation below by the value's size.
  const uint64_t residual_bytes = uint64_t{n_tokens} * code_bytes;
  if (residual_bytes > r.remaining()) {
    return d.Error(absl::StrCat(r.remaining(), " bytes left for the residual codes of ", n_tokens, " tokens of ",
                                code_bytes, " bytes"));
  }
  const absl::string_view section = r.rest().substr(0, r.remaining() - residual_bytes);
  const absl::string_view residuals = r.rest().substr(section.size());
  if (uint64_t{n_distinct} * (id_k + count_k + 2) > uint64_t{section.size()} * 8) {
    return d.Error(absl::StrCat(n_distinct, " distinct centroids do not fit in ", section.size(), " bytes"));
  }
  std::vector<uint32_t> distinct(n_distinct);
  BitReader bits(section);
  uint64_t id = 0;
  for (uint32_t i = 0; i < n_distinct; ++i) {
    uint32_t v;
    if (!bits.ReadRice(id_k, &v)) return d.Error(absl::StrCat("truncated centroid id ", i, " of ", n_distinct));
    id = i == 0 ? v : id + 1 + v;
    if (id > UINT32_MAX) return d.Error(absl::StrCat("centroid id ", i, " exceeds 32 bits"));
    distinct[i] = static_cast<uint32_t>(id);
  }
  DocumentCodes codes;
  codes.centroid_ids.reserve(n_tokens);
  for (uint32_t i = 0; i < n_distinct; ++i) {
    uint32_t v;
    if (!bits.ReadRice(count_k, &v)) return d.Error(absl::StrCat("truncated token count of centroid ", i));
    // Counts are checked against what is left before expanding them.
    if (uint64_t{v} + 1 > n_tokens - codes.centroid_ids.size()) {
      return d.Error(absl::StrCat("centroid ", i, " claims ", uint64_t{v} + 1, " tokens; only ",
                                  n_tokens - codes.centroid_ids.size(), " of ", n_tokens, " are left"));
    }
    codes.centroid_ids.insert(codes.centroid_ids.end(), uint64_t{v} + 1, distinct[i]);
  }
  if (codes.centroid_ids.size() != n_tokens) {
    return d.Error(absl::StrCat("token counts add up to ", codes.centroid_ids.size(), ", not ", n_tokens));
  }
  if (!bits.PaddingIsZero()) return d.Error("nonzero padding bits after the centroid ids");
  if (bits.bytes_used() != section.size()) {
    return d.Error(absl::StrCat(section.size() - bits.bytes_used(), " stray bytes before the residual codes"));
  }
  codes.residual_codes = std::string(residuals);
  return codes;
}

uint32_t CodecHeader::rows_in_chunk(uint32_t chunk) const {
  const uint64_t begin = uint64_t{chunk} * rows_per_chunk;
  if (begin >= num_centroids) return 0;
  return static_cast<uint32_t>(std::min<uint64_t>(rows_per_chunk, num_centroids - begin));
}

std::string EncodeCodecHeader(const CodecHeader& header) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  PutVarint32(&out, static_cast<uint32_t>(header.dim));
  PutVarint32(&out, static_cast<uint32_t>(header.nbits));
  PutVarint32(&out, header.num_centroids);
  PutVarint32(&out, header.rows_per_chunk);
  PutVarint32(&out, static_cast<uint32_t>(header.bucket_cutoffs.size()));
  PutFloats(&out, header.bucket_cutoffs.data(), header.bucket_cutoffs.size());
  PutVarint32(&out, static_cast<uint32_t>(header.bucket_weights.size()));
  PutFloats(&out, header.bucket_weights.data(), header.bucket_weights.size());
  return out;
}

absl::StatusOr<CodecHeader> DecodeCodecHeader(absl::string_view value, absl::string_view what) {
  Decoder d(value, what);
  ByteReader& r = d.reader();
  if (absl::Status s = d.Version(); !s.ok()) return s;
  CodecHeader h;
  uint32_t dim, nbits;
  if (!r.ReadVarint32(&dim) || !r.ReadVarint32(&nbits) || !r.ReadVarint32(&h.num_centroids) ||
      !r.ReadVarint32(&h.rows_per_chunk)) {
    return d.Error("truncated");
  }
  if (dim == 0 || dim > kMaxDim || nbits == 0 || nbits > kMaxNbits) {
    return d.Error(absl::StrCat("implausible dim ", dim, " or nbits ", nbits));
  }
  if (h.num_centroids > 0 && h.rows_per_chunk == 0) return d.Error("zero rows per chunk");
  h.dim = static_cast<int>(dim);
  h.nbits = static_cast<int>(nbits);
  for (std::vector<float>* table : {&h.bucket_cutoffs, &h.bucket_weights}) {
    uint32_t n;
    if (!r.ReadVarint32(&n) || n > r.remaining() / 4) return d.Error("truncated bucket table");
    table->resize(n);
    r.ReadFloats(n, table->data());
  }
  if (absl::Status s = d.End(); !s.ok()) return s;
  return h;
}

absl::Status DecodeCentroidChunk(absl::string_view value, const CodecHeader& header, uint32_t chunk,
                                 std::vector<float>* centroids, absl::string_view what) {
  const uint64_t n_floats = uint64_t{header.rows_in_chunk(chunk)} * header.dim;
  if (value.size() != n_floats * sizeof(float)) {
    return absl::DataLossError(absl::StrCat(what, ": corrupt value (", value.size(),
                                            " bytes; centroid chunk ", chunk, " should hold ", n_floats,
                                            " floats)"));
  }
  const size_t old_size = centroids->size();
  centroids->resize(old_size + n_floats);
  ByteReader(value).ReadFloats(n_floats, centroids->data() + old_size);
  return absl::OkStatus();
}

LexicalTerms SortedTerms(const LexicalTerms& terms) {
  LexicalTerms sorted = terms;
  std::sort(sorted.term_frequencies.begin(), sorted.term_frequencies.end());
  return sorted;
}

std::string EncodeDocTerms(const LexicalTerms& terms) {
  const LexicalTerms sorted = SortedTerms(terms);
  std::string out;
  size_t estimate = 12;
  for (const auto& [term, tf] : sorted.term_frequencies) estimate += term.size() + 3;
  out.reserve(estimate);
  out.push_back(static_cast<char>(kRecordVersion));
  PutVarint32(&out, sorted.length);
  PutVarint32(&out, static_cast<uint32_t>(sorted.term_frequencies.size()));
  // Front coding: sorted terms share prefixes ("run", "runner", "running").
  absl::string_view previous;
  for (const auto& [term, tf] : sorted.term_frequencies) {
    size_t shared = 0;
    while (shared < previous.size() && shared < term.size() && previous[shared] == term[shared]) ++shared;
    PutVarint32(&out, static_cast<uint32_t>(shared));
    PutLengthPrefixed(&out, absl::string_view(term).substr(shared));
    PutVarint32(&out, tf);
    previous = term;
  }
  return out;
}

absl::StatusOr<LexicalTerms> DecodeDocTerms(absl::string_view value, absl::string_view what) {
  Decoder d(value, what);
  if (absl::Status s = d.Version(); !s.ok()) return s;
  ByteReader& r = d.reader();
  LexicalTerms terms;
  uint32_t n;
  if (!r.ReadVarint32(&terms.length) || !r.ReadVarint32(&n)) return d.Error("truncated header");
  // Each term takes at least 3 bytes (length, one byte, frequency).
  if (uint64_t{n} * 3 > r.remaining()) return d.Error(absl::StrCat("term count ", n, " exceeds what the value holds"));
  terms.term_frequencies.reserve(n);
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t shared, tf;
    absl::string_view suffix;
    if (!r.ReadVarint32(&shared) || !r.ReadLengthPrefixed(&suffix) || !r.ReadVarint32(&tf)) {
      return d.Error(absl::StrCat("truncated term ", i, " of ", n));
    }
    const absl::string_view previous =
        terms.term_frequencies.empty() ? absl::string_view() : absl::string_view(terms.term_frequencies.back().first);
    if (shared > previous.size() || suffix.size() > 255) {
      return d.Error(absl::StrCat("term ", i, " shares ", shared, " bytes with a term of ", previous.size()));
    }
    std::string term_bytes = absl::StrCat(previous.substr(0, shared), suffix);
    const absl::string_view term = term_bytes;
    if (term.empty() || term.size() > 255 || term.find('\0') != absl::string_view::npos) {
      return d.Error(absl::StrCat("term ", i, " is empty, too long or holds a NUL byte"));
    }
    if (i > 0 && !(terms.term_frequencies.back().first < term)) {
      return d.Error(absl::StrCat("term ", i, " is out of order"));
    }
    if (tf == 0) return d.Error(absl::StrCat("term ", i, " has frequency 0"));
    sum += tf;
    terms.term_frequencies.emplace_back(std::move(term_bytes), tf);
  }
  if (sum != terms.length) {
    return d.Error(absl::StrCat("frequencies sum to ", sum, ", the length is ", terms.length));
  }
  if (absl::Status s = d.End(); !s.ok()) return s;
  return terms;
}

std::string EncodeSource(const SourceRecord& source) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  PutLengthPrefixed(&out, source.content_sha256);
  PutVarint64(&out, source.size);
  PutFixed64(&out, static_cast<uint64_t>(source.mtime_ns));
  PutLengthPrefixed(&out, source.format);
  PutLengthPrefixed(&out, source.settings_fingerprint);
  PutVarint32(&out, static_cast<uint32_t>(source.document_ids.size()));
  for (const std::string& id : source.document_ids) PutLengthPrefixed(&out, id);
  PutFixed64(&out, static_cast<uint64_t>(source.indexed_at_unix));
  return out;
}

absl::StatusOr<SourceRecord> DecodeSource(absl::string_view value, absl::string_view path, absl::string_view what) {
  Decoder d(value, what);
  if (absl::Status s = d.Version(); !s.ok()) return s;
  ByteReader& r = d.reader();
  SourceRecord source;
  source.path = std::string(path);
  absl::string_view sha, format, fingerprint;
  uint64_t mtime;
  uint32_t n;
  if (!r.ReadLengthPrefixed(&sha) || !r.ReadVarint64(&source.size) || !r.ReadFixed64(&mtime) ||
      !r.ReadLengthPrefixed(&format) || !r.ReadLengthPrefixed(&fingerprint) || !r.ReadVarint32(&n)) {
    return d.Error("truncated header");
  }
  source.content_sha256 = std::string(sha);
  source.mtime_ns = static_cast<int64_t>(mtime);
  source.format = std::string(format);
  source.settings_fingerprint = std::string(fingerprint);
  if (n > r.remaining()) return d.Error(absl::StrCat("document id count ", n, " exceeds what the value holds"));
  source.document_ids.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    absl::string_view id;
    if (!r.ReadLengthPrefixed(&id)) return d.Error(absl::StrCat("truncated document id ", i, " of ", n));
    source.document_ids.emplace_back(id);
  }
  uint64_t indexed_at;
  if (!r.ReadFixed64(&indexed_at)) return d.Error("truncated indexed_at");
  source.indexed_at_unix = static_cast<int64_t>(indexed_at);
  if (absl::Status s = d.End(); !s.ok()) return s;
  return source;
}

std::string EncodeCounter(uint64_t value) {
  std::string out;
  PutFixed64(&out, value);
  return out;
}

absl::StatusOr<uint64_t> DecodeCounter(absl::string_view value, absl::string_view what) {
  Decoder d(value, what);
  uint64_t counter;
  if (value.size() != 8 || !d.reader().ReadFixed64(&counter)) return d.Error("counter is not 8 bytes");
  return counter;
}

}  // namespace lateral::storage
