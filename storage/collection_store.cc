#include "storage/collection_store.h"

#include "storage/rocksdb_store.h"

namespace lateral {

absl::StatusOr<std::unique_ptr<CollectionStore>> CollectionStore::Open(
    const std::string& path, const std::optional<Manifest>& create) {
  return Open(path, create, StoreOptions());
}

absl::StatusOr<std::unique_ptr<CollectionStore>> CollectionStore::Open(const std::string& path,
                                                                       const std::optional<Manifest>& create,
                                                                       const StoreOptions& options) {
  return storage::OpenRocksDbStore(path, create, options);
}

}  // namespace lateral
