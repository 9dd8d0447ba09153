#include "cli/hub/blob_digest.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lateral::cli {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

class GitBlobHasher {
 public:
  explicit GitBlobHasher(int64_t size) : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha1(), nullptr);
    std::string header = absl::StrCat("blob ", size);
    header.push_back('\0');  // the header's terminating NUL is part of the hashed bytes
    Update(header);
  }
  void Update(std::string_view bytes) {
    if (!bytes.empty()) EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
  }
  std::string FinishHex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &length);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex(2 * length, '0');
    for (unsigned int i = 0; i < length; ++i) {
      hex[2 * i] = kHex[digest[i] >> 4];
      hex[2 * i + 1] = kHex[digest[i] & 15];
    }
    return hex;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx_;
};

}  // namespace

std::string GitBlobSha1(const std::string& content) {
  GitBlobHasher hasher(static_cast<int64_t>(content.size()));
  hasher.Update(content);
  return hasher.FinishHex();
}

absl::StatusOr<std::string> GitBlobSha1OfFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  // The size goes in the header, so measure it first.
  if (std::fseek(file.get(), 0, SEEK_END) != 0) return absl::InternalError(absl::StrCat(path, ": cannot seek"));
  const long size = std::ftell(file.get());
  if (size < 0) return absl::InternalError(absl::StrCat(path, ": cannot measure"));
  std::rewind(file.get());
  GitBlobHasher hasher(size);
  std::vector<char> block(size_t{1} << 20);
  int64_t total = 0;
  while (true) {
    size_t n = std::fread(block.data(), 1, block.size(), file.get());
    hasher.Update(std::string_view(block.data(), n));
    total += static_cast<int64_t>(n);
    if (n < block.size()) break;
  }
  if (std::ferror(file.get())) return absl::DataLossError(absl::StrCat(path, ": read error"));
  if (total != size) return absl::DataLossError(absl::StrCat(path, ": changed while being hashed"));
  return hasher.FinishHex();
}

}  // namespace lateral::cli
