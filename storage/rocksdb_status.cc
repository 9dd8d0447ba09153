#include "storage/rocksdb_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace lateral::storage {

absl::Status FromRocksDbStatus(const rocksdb::Status& status, absl::string_view path,
                               absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string detail = status.ToString();
  if (status.IsNoSpace()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        path, ": out of disk space while ", what,
        "; nothing of this operation was applied. Free space on the volume and retry (", detail, ")"));
  }
  if (status.IsCorruption()) {
    return absl::DataLossError(absl::StrCat(path, ": the store is corrupted (", what,
                                            "); restore it from a backup or rebuild it: ", detail));
  }
  const std::string message = absl::StrCat(path, ": ", what, ": ", detail);
  switch (status.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(message);
    case rocksdb::Status::kAborted:
      return absl::AbortedError(message);
    case rocksdb::Status::kIOError:
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kShutdownInProgress:
    case rocksdb::Status::kIncomplete:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace lateral::storage
