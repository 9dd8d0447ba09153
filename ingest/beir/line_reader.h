// Streams the lines of a plain or gzip-compressed text file.
//
// zlib's gzread passes plain files through unchanged, so one reader serves corpus.jsonl and
// corpus.jsonl.gz alike. Holds one read buffer (a few hundred KiB plus the longest line), never
// the whole file. Line ends ("\n", "\r\n") are stripped; a last line without "\n" is still
// returned. A truncated or corrupt gzip stream is an error naming the file. Used by the BEIR reader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lateral::ingest {

class GzipLineReader {
 public:
  static absl::StatusOr<GzipLineReader> Open(const std::string& path);

  GzipLineReader(GzipLineReader&&) noexcept;
  GzipLineReader& operator=(GzipLineReader&&) noexcept;
  ~GzipLineReader();

  // Sets *line to the next line (valid until the next call) and returns true, or returns false
  // at the end of the file.
  absl::StatusOr<bool> Next(std::string_view* line);

  // 1-based number of the line last returned by Next.
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  struct GzHandle;
  GzipLineReader() = default;
  absl::Status Fill();  // reads more input after buffer_[begin_, end)

  std::unique_ptr<GzHandle> file_;
  std::string path_;
  std::string buffer_;
  size_t begin_ = 0;  // start of the unread part of buffer_
  bool eof_ = false;
  int64_t line_number_ = 0;
};

}  // namespace lateral::ingest
