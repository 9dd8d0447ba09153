// Content checksums the hub publishes for each file, computed over a local
// file so `lateral pull` can verify a download before moving it into the cache:
// LFS files are named by the SHA-256 of their content, other files by their
// git blob id, sha1("blob <size>\0" + content). Pure functions of the file.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace lateral::cli {

// Lowercase hex git blob SHA-1 of the file at `path`; errors name the path.
absl::StatusOr<std::string> GitBlobSha1OfFile(const std::string& path);

// Lowercase hex git blob SHA-1 of `content`.
std::string GitBlobSha1(const std::string& content);

}  // namespace lateral::cli
