// SHA-256 digests (OpenSSL's libcrypto), for content hashes of ingested files
// and for verifying model downloads against the hub's checksums.
//
// Sha256 is an incremental hasher owned by one thread at a time; the free
// functions hash a buffer or a whole file in one call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lateral {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest as 64 lowercase hex digits; the hasher is reset afterwards.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// Lowercase hex SHA-256 of the file at `path`, read in 1 MiB blocks; errors
// name the path.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

}  // namespace lateral
