// storage/ private header: the RocksDB implementation of CollectionStore.
//
// CollectionStore::Open calls OpenRocksDbStore; tests call it directly to
// inject an Env (e.g. one whose files fail with "no space left").
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "storage/collection_store.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace lateral::storage {

// Version of the store's layout (column families, keys, records) written to
// new manifests; a store with another one is refused: a larger one was
// written by a newer lateral, one below kOldestReadableFormatVersion must be
// rebuilt. 2: postings as Rice-coded segments per (centroid, 65536-id block),
// updated by Merge; DocumentCodes grouped by centroid with Rice-coded ids.
// 3: adds the lexical_postings, doc_terms, sources and settings families,
// their counters, and lexical-only manifests; a writable open upgrades a
// format-2 store in place (new empty families, zero counters).
constexpr int kFormatVersion = 3;
constexpr int kOldestReadableFormatVersion = 2;

// Largest internal id; UINT32_MAX is left free as a "no document" sentinel.
constexpr uint32_t kMaxDocId = UINT32_MAX - 1;
// External ids are RocksDB keys; a bound keeps keys small.
constexpr size_t kMaxExternalIdBytes = 4096;
// An encoded document (text + metadata) or its codes must stay well below
// RocksDB's 4 GiB value limit and our 32-bit lengths.
constexpr size_t kMaxRecordBytes = size_t{1} << 30;
// Target size of one centroid chunk value in the codec family.
constexpr size_t kCentroidChunkBytes = size_t{1} << 20;

// `env`: null for the default Env. Otherwise it must outlive the store.
absl::StatusOr<std::unique_ptr<CollectionStore>> OpenRocksDbStore(const std::string& path,
                                                                  const std::optional<Manifest>& create,
                                                                  const StoreOptions& options,
                                                                  rocksdb::Env* env = nullptr);

}  // namespace lateral::storage
