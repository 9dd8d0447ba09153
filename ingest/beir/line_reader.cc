#include "ingest/beir/line_reader.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lateral::ingest {

namespace {
constexpr size_t kChunk = 256 * 1024;
}  // namespace

struct GzipLineReader::GzHandle {
  gzFile file = nullptr;
  ~GzHandle() {
    if (file != nullptr) gzclose(file);
  }
};

GzipLineReader::GzipLineReader(GzipLineReader&&) noexcept = default;
GzipLineReader& GzipLineReader::operator=(GzipLineReader&&) noexcept = default;
GzipLineReader::~GzipLineReader() = default;

absl::StatusOr<GzipLineReader> GzipLineReader::Open(const std::string& path) {
  GzipLineReader reader;
  reader.path_ = path;
  reader.file_ = std::make_unique<GzHandle>();
  errno = 0;
  reader.file_->file = gzopen(path.c_str(), "rb");
  if (reader.file_->file == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", errno != 0 ? std::strerror(errno) : "zlib error"));
  }
  gzbuffer(reader.file_->file, kChunk);
  return reader;
}

absl::Status GzipLineReader::Fill() {
  // Keep the unread tail, then append one chunk.
  buffer_.erase(0, begin_);
  begin_ = 0;
  size_t old_size = buffer_.size();
  buffer_.resize(old_size + kChunk);
  int n = gzread(file_->file, buffer_.data() + old_size, static_cast<unsigned>(kChunk));
  if (n < 0) {
    int code = 0;
    const char* message = gzerror(file_->file, &code);
    return absl::DataLossError(absl::StrCat(path_, ": read failed: ", message));
  }
  buffer_.resize(old_size + static_cast<size_t>(n));
  if (n == 0) {
    // gzread returns 0 both at a clean end and at a truncated stream; gzerror tells them apart.
    int code = 0;
    const char* message = gzerror(file_->file, &code);
    if (code != Z_OK && code != Z_STREAM_END) {
      return absl::DataLossError(absl::StrCat(path_, ": ", message));
    }
    eof_ = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> GzipLineReader::Next(std::string_view* line) {
  size_t search_from = begin_;
  while (true) {
    size_t newline = buffer_.find('\n', search_from);
    if (newline != std::string::npos) {
      size_t end = newline;
      if (end > begin_ && buffer_[end - 1] == '\r') --end;
      *line = std::string_view(buffer_.data() + begin_, end - begin_);
      begin_ = newline + 1;
      ++line_number_;
      return true;
    }
    if (eof_) {
      if (begin_ >= buffer_.size()) return false;
      size_t end = buffer_.size();
      if (buffer_[end - 1] == '\r') --end;
      *line = std::string_view(buffer_.data() + begin_, end - begin_);
      begin_ = buffer_.size();
      ++line_number_;
      return true;
    }
    size_t scanned = buffer_.size() - begin_;
    if (absl::Status s = Fill(); !s.ok()) return s;
    search_from = begin_ + scanned;  // Fill moved the unread part to the front
  }
}

}  // namespace lateral::ingest
