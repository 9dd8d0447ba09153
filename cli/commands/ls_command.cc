// lateral ls: the sources of the collection, with passages and sizes.
#include <ctime>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/collection/collection.h"
#include "cli/collection/terminal.h"
#include "cli/command.h"
#include "cli/commands/collection_io.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "ingest/pipeline/ingester.h"

namespace lateral::cli {
namespace {

std::string Date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M", &tm);
  return buffer;
}

// Paths print relative to the working directory when under it.
std::string Display(const std::string& path, const std::string& cwd) {
  if (path.rfind(cwd + "/", 0) == 0) return path.substr(cwd.size() + 1);
  return path;
}

absl::Status RunLs(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(CollectionPaths paths, FindCollection(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> collection, Collection::Open(paths, true, flags));
  std::vector<std::string> prefixes;
  for (const std::string& p : flags.positional()) prefixes.push_back(ingest::AbsolutePath(p));
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  const bool json = flags.Has("json");
  std::unique_ptr<StoreSnapshot> snapshot = collection->store().Snapshot();
  int64_t count = 0;
  LATERAL_RETURN_IF_ERROR(snapshot->ForEachSource([&](const SourceRecord& source) {
    if (!prefixes.empty()) {
      bool under = false;
      for (const std::string& p : prefixes) under |= source.path == p || source.path.rfind(p + "/", 0) == 0;
      if (!under) return absl::OkStatus();
    }
    ++count;
    if (json) {
      Json line = {{"path", source.path},       {"format", source.format},
                   {"bytes", source.size},      {"passages", source.document_ids.size()},
                   {"sha256", source.content_sha256}, {"indexed_at", source.indexed_at_unix}};
      // A large file whose ingest stopped between its writes (the ingester's
      // provisional record: no hash); the next `lateral add` completes it.
      if (source.content_sha256.empty()) line["incomplete"] = true;
      std::cout << line.dump() << "\n";
    } else {
      std::cout << absl::StrFormat("%6d  %9s  %s  %s%s\n", source.document_ids.size(), HumanBytes(source.size),
                                   Date(source.indexed_at_unix), Display(source.path, cwd),
                                   source.content_sha256.empty() ? "  (incomplete: run `lateral add` again)" : "");
    }
    return absl::OkStatus();
  }));
  if (!json && count == 0) std::cerr << "no sources" << (prefixes.empty() ? "" : " under these paths") << "\n";
  return absl::OkStatus();
}

}  // namespace

Command LsCommand() {
  return Command{"ls",
                 "list the collection's sources (files), with passages, size and when they were indexed",
                 "usage: lateral ls [PATH...] [--json]\n\n"
                 "Columns: passages, size, indexed at, path. With PATHs, only sources at or under them.\n"
                 "--json prints one object per line.\n\nexamples:\n  lateral ls\n  lateral ls docs/ --json\n",
                 {CollectionFlag(), {"json", false, "one JSON object per source and line"}},
                 RunLs};
}

}  // namespace lateral::cli
