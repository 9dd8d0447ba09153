// lateral rm: remove files or folders (their passages) from the collection.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/collection/collection.h"
#include "cli/collection/collection_search.h"
#include "cli/command.h"
#include "common/status_macros.h"
#include "ingest/pipeline/ingester.h"

namespace lateral::cli {
namespace {

absl::Status RunRm(const ParsedFlags& flags) {
  if (flags.positional().empty()) return UsageError("rm needs at least one file or folder");
  LATERAL_ASSIGN_OR_RETURN(CollectionPaths paths, FindCollection(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> collection, Collection::Open(paths, false, flags));
  LATERAL_ASSIGN_OR_RETURN(int64_t removed, ingest::RemoveSources(collection->store(), flags.positional()));
  if (collection->has_encoder()) {
    LATERAL_RETURN_IF_ERROR(RefreshMappedIndex(collection->store(), collection->paths().store_dir));
  }
  if (!flags.Has("quiet")) std::cout << "removed " << removed << " source(s) from the collection\n";
  return absl::OkStatus();
}

}  // namespace

Command RmCommand() {
  return Command{"rm",
                 "remove files or folders from the collection (the files themselves are untouched)",
                 "usage: lateral rm PATH...\n\n"
                 "Removes every source at or under each PATH, with its passages. A PATH that matches nothing is\n"
                 "an error and nothing is removed.\n\n"
                 "examples:\n  lateral rm notes/old.md\n  lateral rm drafts/\n",
                 {CollectionFlag(), {"quiet", false, "print nothing but errors"}},
                 RunRm};
}

}  // namespace lateral::cli
