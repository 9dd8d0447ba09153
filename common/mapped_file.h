// A read-only memory mapping of a whole file.
//
// Owns the mapping; the bytes stay valid until the MappedFile is destroyed or
// moved from. Checkpoint tensors point straight into it, so the model keeps
// its MappedFiles alive for as long as it uses the weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace lateral {

class MappedFile {
 public:
  // Maps `path` read-only. Empty files are valid (data() is nullptr, size() 0).
  static absl::StatusOr<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void Reset();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Reads a whole file into a string; the error names the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` through a temporary file and a rename, so a
// reader never sees a half-written file.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace lateral
