// storage/ private header: rocksdb::Status -> absl::Status.
//
// The only place that decides which absl code a RocksDB failure becomes:
//   NoSpace (IOError/kNoSpace) -> ResourceExhausted   disk full; batch not applied
//   Corruption                 -> DataLoss            a damaged file; restore or rebuild
//   IOError, Busy, TimedOut,
//   TryAgain, Incomplete,
//   ShutdownInProgress         -> Unavailable         transient or environmental
//   NotFound                   -> NotFound
//   InvalidArgument            -> InvalidArgument
//   NotSupported               -> Unimplemented
//   Aborted                    -> Aborted
//   anything else              -> Internal
// Messages read "<path>: <what>: <RocksDB's message>", so a user can tell
// which store failed and during which operation.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace lateral::storage {

// `path`: the store; `what`: the operation, e.g. "writing a batch of 3 documents".
absl::Status FromRocksDbStatus(const rocksdb::Status& status, absl::string_view path, absl::string_view what);

}  // namespace lateral::storage
