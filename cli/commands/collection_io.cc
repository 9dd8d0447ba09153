#include "cli/commands/collection_io.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "encoder/colbert/colbert_config.h"

namespace lateral::cli {
namespace {

// The store refuses longer external ids (CollectionStore::Upsert); checking
// here names the input line instead of a position in a batch.
constexpr size_t kMaxIdBytes = 4096;
// Doubles hold integers exactly up to 2^53; a larger integer in the input
// would be stored as a different number.
constexpr double kMaxExactInteger = 9007199254740992.0;

absl::StatusOr<std::string> NonEmptyString(const JsonObjectReader& reader, absl::string_view field) {
  LATERAL_ASSIGN_OR_RETURN(std::string value, reader.GetString(field));
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(reader.source(), ": field \"", field, "\" is empty"));
  }
  return value;
}

absl::StatusOr<MetadataValue> MetadataFromJson(const Json& value, const std::string& key, const std::string& source) {
  if (value.is_string()) return MetadataValue(value.get<std::string>());
  if (value.is_number_float()) return MetadataValue(value.get<double>());
  if (value.is_number_integer()) {
    // nlohmann keeps integers as int64/uint64; convert only when exact.
    const double d = value.is_number_unsigned() ? static_cast<double>(value.get<uint64_t>())
                                                : static_cast<double>(value.get<int64_t>());
    if (std::fabs(d) > kMaxExactInteger) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": metadata field \"", key, "\": ", value.dump(),
                                                     " is too large to store exactly; write it as a string"));
    }
    return MetadataValue(d);
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ": metadata field \"", key,
                                                 "\" must be a string or a number, found ", value.type_name()));
}

absl::StatusOr<DocumentRecord> ParseDocumentLine(const std::string& line, const std::string& source) {
  LATERAL_ASSIGN_OR_RETURN(Json json, ParseJson(line, source));
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": expected an object {\"id\": ..., \"text\": ...}, found ",
                                                   json.type_name()));
  }
  // Unknown fields are refused rather than dropped: a misspelt "metadata"
  // would otherwise lose the document's metadata without a word.
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() != "id" && it.key() != "text" && it.key() != "metadata") {
      return absl::InvalidArgumentError(absl::StrCat(source, ": unknown field \"", it.key(),
                                                     "\" (expected id, text and metadata; put other fields "
                                                     "under \"metadata\")"));
    }
  }
  const JsonObjectReader reader(json, source);
  DocumentRecord record;
  LATERAL_ASSIGN_OR_RETURN(record.external_id, NonEmptyString(reader, "id"));
  if (record.external_id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": field \"id\" has ", record.external_id.size(),
                                                   " bytes; the limit is ", kMaxIdBytes));
  }
  LATERAL_ASSIGN_OR_RETURN(record.text, NonEmptyString(reader, "text"));
  LATERAL_ASSIGN_OR_RETURN(const Json* metadata, reader.GetOptionalObject("metadata"));
  if (metadata != nullptr) {
    for (auto it = metadata->begin(); it != metadata->end(); ++it) {
      if (it.key().empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": empty metadata field name"));
      LATERAL_ASSIGN_OR_RETURN(MetadataValue value, MetadataFromJson(it.value(), it.key(), source));
      record.metadata.emplace(it.key(), std::move(value));
    }
  }
  return record;
}

// "45.2k"-style counts for the progress line.
std::string ShortCount(double n) {
  if (n < 1e3) return absl::StrFormat("%.0f", n);
  if (n < 1e6) return absl::StrFormat("%.1fk", n / 1e3);
  if (n < 1e9) return absl::StrFormat("%.1fM", n / 1e6);
  return absl::StrFormat("%.1fG", n / 1e9);
}

std::string Duration(double seconds) {
  if (seconds < 10) return absl::StrFormat("%.1f s", seconds);
  if (seconds < 90) return absl::StrFormat("%.0f s", seconds);
  if (seconds < 5400) return absl::StrFormat("%.0f min", seconds / 60);
  return absl::StrFormat("%.1f h", seconds / 3600);
}

}  // namespace

absl::StatusOr<std::vector<DocumentRecord>> ReadDocumentsJsonl(const std::string& path) {
  const std::string name = path == "-" ? "stdin" : path;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file.is_open()) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
    }
    in = &file;
  }
  std::vector<DocumentRecord> records;
  absl::flat_hash_map<std::string, int64_t> line_of_id;
  std::string line;
  int64_t line_number = 0;
  while (std::getline(*in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // files written on Windows
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::string source = absl::StrCat(name, ":", line_number);
    LATERAL_ASSIGN_OR_RETURN(DocumentRecord record, ParseDocumentLine(line, source));
    auto [it, inserted] = line_of_id.emplace(record.external_id, line_number);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": duplicate id \"", record.external_id,
                                                     "\" (first on line ", it->second, ")"));
    }
    records.push_back(std::move(record));
  }
  if (in->bad()) return absl::DataLossError(absl::StrCat(name, ": read error after line ", line_number));
  if (records.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": no documents"));
  return records;
}

absl::Status EncoderDocumentSource::Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) {
  std::vector<int64_t> indices;
  for (int64_t i = begin; i < end; ++i) indices.push_back(i);
  return Fetch(indices, /*keep=*/false, out);
}

absl::Status EncoderDocumentSource::GetSome(const std::vector<int64_t>& indices, std::vector<DocumentVectors>& out) {
  return Fetch(indices, /*keep=*/true, out);
}

absl::Status EncoderDocumentSource::Fetch(const std::vector<int64_t>& indices, bool keep,
                                          std::vector<DocumentVectors>& out) {
  out.assign(indices.size(), DocumentVectors());
  std::vector<std::string> texts;
  std::vector<size_t> to_encode;
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t index = indices[i];
    if (index < 0 || index >= size()) {
      return absl::InternalError(absl::StrCat("document ", index, " asked of a source of ", size()));
    }
    out[i].record = records_[index];
    if (auto it = cache_.find(index); it != cache_.end()) {
      if (keep) {
        out[i].vectors = it->second;
      } else {  // the full pass reads each document once: the copy is no longer needed
        cache_bytes_ -= it->second.size() * sizeof(float);
        out[i].vectors = std::move(it->second);
        cache_.erase(it);
      }
      continue;
    }
    texts.push_back(records_[index].text);
    to_encode.push_back(i);
  }
  if (texts.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<TokenEmbeddings>> encoded = encoder_.EncodeDocuments(texts);
  if (!encoded.ok()) {
    return absl::Status(encoded.status().code(),
                        absl::StrCat("encoding the batch with document \"", out[to_encode[0]].record.external_id,
                                     "\": ", encoded.status().message()));
  }
  if (encoded->size() != texts.size()) {
    return absl::InternalError(absl::StrCat("the encoder returned ", encoded->size(), " documents for ", texts.size()));
  }
  for (size_t j = 0; j < to_encode.size(); ++j) {
    std::vector<float>& vectors = out[to_encode[j]].vectors;
    vectors = std::move((*encoded)[j].vectors);
    const size_t bytes = vectors.size() * sizeof(float);
    if (keep && cache_bytes_ + bytes <= cache_budget_) {
      cache_.emplace(indices[to_encode[j]], vectors);
      cache_bytes_ += bytes;
    }
  }
  return absl::OkStatus();
}

ProgressPrinter::ProgressPrinter() : tty_(::isatty(STDERR_FILENO) == 1) {}

void ProgressPrinter::Update(const BuildProgress& p) {
  const std::string phase = p.phase;
  std::string line;
  if (phase == "encoding") {
    if (encoding_started_ < 0) encoding_started_ = p.seconds;
    const double fraction = p.total > 0 ? static_cast<double>(p.done) / p.total : 1.0;
    line = absl::StrFormat("encoding %s/%s documents (%.0f%%), %s tokens, %s", ShortCount(p.done),
                           ShortCount(p.total), 100 * fraction, ShortCount(p.tokens), Duration(p.seconds));
    if (p.seconds > 0) absl::StrAppend(&line, absl::StrFormat(", %s tokens/s", ShortCount(p.tokens / p.seconds)));
    // The rate since encoding began predicts the rest; sampling and training
    // ran at another pace.
    const double elapsed = p.seconds - encoding_started_;
    if (p.done < p.total && elapsed > 0 && fraction > 0) {
      absl::StrAppend(&line, ", about ", Duration(elapsed / fraction * (1 - fraction)), " left");
    }
    if (tty_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(fraction * kWidth);
      line = absl::StrCat("[", std::string(filled, '#'), std::string(kWidth - filled, '.'), "] ", line);
    }
  } else if (phase == "sampling") {
    line = absl::StrFormat("sampling %s/%s documents for k-means, %s tokens, %s", ShortCount(p.done),
                           ShortCount(p.total), ShortCount(p.tokens), Duration(p.seconds));
  } else {
    line = absl::StrFormat("%s, %s", phase == "training" ? "training centroids" : phase, Duration(p.seconds));
  }
  if (tty_) {
    std::cerr << "\r\033[K" << line << std::flush;
    drawn_ = true;
  } else if (p.seconds - std::max(0.0, last_print_) >= 10) {
    std::cerr << line << "\n";
    last_print_ = p.seconds;
  }
}

void ProgressPrinter::Finish() {
  if (drawn_) std::cerr << "\r\033[K" << std::flush;
  drawn_ = false;
}

Manifest ManifestFor(const ColbertEncoder& encoder, int nbits) {
  Manifest manifest;
  manifest.encoder_identity = encoder.Identity();
  manifest.dim = encoder.dim();
  manifest.nbits = nbits;
  return manifest;
}

absl::StatusOr<std::unique_ptr<CollectionStore>> OpenExistingStore(const std::string& path) {
  absl::StatusOr<std::unique_ptr<CollectionStore>> store = CollectionStore::Open(path, std::nullopt);
  if (absl::IsNotFound(store.status())) {
    return absl::NotFoundError(
        absl::StrCat(store.status().message(), "; build one with `lateral index create --store ", path, " ...`"));
  }
  return store;
}

absl::Status CheckStoreEncoder(const CollectionStore& store, const std::string& store_path,
                               const ColbertEncoder& encoder, const std::string& model_dir) {
  const Manifest& m = store.manifest();
  const std::string identity = encoder.Identity();
  if (m.encoder_identity == identity && m.dim == encoder.dim()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      store_path, ": index built by encoder \"", m.encoder_identity, "\" (dim ", m.dim, "), you are using \"", identity,
      "\" (dim ", encoder.dim(), ", from ", model_dir, "). Use the model that built the index, or rebuild it"));
}

absl::StatusOr<std::unique_ptr<ColbertEncoder>> LoadColbert(const std::string& model_dir,
                                                             std::optional<Precision> precision) {
  if (!IsColbertDirectory(model_dir)) {
    return absl::InvalidArgumentError(absl::StrCat(
        model_dir, ": not a ColBERT model directory (no modules.json or config_sentence_transformers.json)"));
  }
  return ColbertEncoder::Load(model_dir, precision);
}

absl::StatusOr<int64_t> CountTokens(const StoreSnapshot& snapshot) {
  int64_t tokens = 0;
  LATERAL_RETURN_IF_ERROR(snapshot.ForEachCodes([&](uint32_t, const DocumentCodes& codes) {
    tokens += static_cast<int64_t>(codes.centroid_ids.size());
    return absl::OkStatus();
  }));
  return tokens;
}

Json MetadataToJson(const std::map<std::string, MetadataValue>& metadata) {
  Json out = Json::object();
  for (const auto& [key, value] : metadata) {
    if (const std::string* s = std::get_if<std::string>(&value)) {
      out[key] = *s;
      continue;
    }
    const double d = std::get<double>(value);
    // Inputs like "year": 2020 come back as 2020, not 2020.0.
    if (std::floor(d) == d && std::fabs(d) <= kMaxExactInteger) {
      out[key] = static_cast<int64_t>(d);
    } else {
      out[key] = d;
    }
  }
  return out;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (v >= 1024 && unit < 3) {
    v /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", v, units[unit]);
}

std::string Snippet(const std::string& text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool starts_char = (c & 0xC0) != 0x80;
    if (starts_char && chars == max_chars) return out + "...";
    if (starts_char) ++chars;
    out += c == '\n' || c == '\r' || c == '\t' ? ' ' : static_cast<char>(c);
  }
  return out;
}

}  // namespace lateral::cli
