// lateral add: ingest files and folders into the collection, or bring it up
// to date with them (only what changed is re-read).
#include <iostream>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/collection/collection.h"
#include "cli/collection/collection_search.h"
#include "cli/collection/ingest_setup.h"
#include "cli/collection/terminal.h"
#include "cli/command.h"
#include "cli/commands/common_flags.h"
#include "cli/hub/interrupt.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace {

// Skips of the same reason are summed; the first few paths are named.
void PrintIssues(const char* heading, const std::vector<ingest::FileIssue>& issues, size_t show) {
  if (issues.empty()) return;
  std::map<std::string, std::vector<const ingest::FileIssue*>> by_reason;
  for (const auto& issue : issues) by_reason[issue.message].push_back(&issue);
  for (const auto& [reason, list] : by_reason) {
    if (list.size() == 1) {
      std::cerr << heading << list[0]->path << ": " << reason << "\n";
      continue;
    }
    std::cerr << heading << list.size() << " files: " << reason;
    for (size_t i = 0; i < list.size() && i < show; ++i) std::cerr << (i == 0 ? " (" : ", ") << list[i]->path;
    std::cerr << (list.size() > show ? ", ...)" : ")") << "\n";
  }
}

absl::Status RunAdd(const ParsedFlags& flags) {
  if (flags.positional().empty()) return UsageError("add needs at least one file or folder");
  LATERAL_ASSIGN_OR_RETURN(CollectionPaths paths, FindCollection(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> collection, Collection::Open(paths, false, flags));
  LATERAL_ASSIGN_OR_RETURN(ExtractionChoice choice, ExtractionFromFlags(flags, collection->settings()));
  LATERAL_ASSIGN_OR_RETURN(ingest::IngestOptions options, MakeIngestOptions(*collection, choice));
  const bool quiet = flags.Has("quiet");
  const bool json = flags.Has("json");
  if (!collection->has_encoder() && !quiet) {
    std::cerr << "note: this collection has no ColBERT model; passages are indexed for BM25 only\n";
  }
  IngestProgressPrinter printer(quiet || json);
  options.progress = [&](const ingest::IngestProgress& p) { printer.Update(p); };
  ScopedInterruptHandler interrupt;
  options.should_stop = [] { return InterruptRequested(); };
  absl::StatusOr<ingest::IngestReport> result = ingest::Ingest(collection->store(), flags.positional(), options);
  printer.Finish();
  if (!result.ok()) return result.status();
  const ingest::IngestReport& r = *result;
  if (collection->has_encoder() && !r.cancelled) {
    LATERAL_RETURN_IF_ERROR(RefreshMappedIndex(collection->store(), collection->paths().store_dir));
  }
  if (json) {
    Json out = {{"files", r.files_seen},         {"added", r.added},
                {"updated", r.updated},          {"unchanged", r.unchanged},
                {"removed", r.removed},          {"passages_written", r.passages_written},
                {"passages_deleted", r.passages_deleted}, {"tokens", r.tokens},
                {"vectors", r.encoded_tokens},   {"seconds", r.seconds},
                {"cancelled", r.cancelled},      {"skipped", Json::array()},
                {"failed", Json::array()}};
    for (const auto& s : r.skipped) out["skipped"].push_back({{"path", s.path}, {"reason", s.message}});
    for (const auto& f : r.failed) out["failed"].push_back({{"path", f.path}, {"error", f.message}});
    std::cout << out.dump() << "\n";
  } else if (!quiet) {
    PrintIssues("skipped: ", r.skipped, 3);
    std::cout << absl::StrFormat(
        "%d files: %d added, %d updated, %d unchanged, %d removed; %d passages written, %d deleted "
        "(%d tokens%s) in %s\n",
        r.files_seen, r.added, r.updated, r.unchanged, r.removed, r.passages_written, r.passages_deleted, r.tokens,
        r.encoded_tokens > 0 ? absl::StrCat(", ", r.encoded_tokens, " vectors") : "", FormatDuration(r.seconds));
  }
  PrintIssues("error: ", r.failed, 1000);
  if (r.cancelled) {
    return Interrupted(absl::StrCat("interrupted after ", r.added + r.updated + r.unchanged,
                                    " files; the collection is consistent, run the same command to finish"));
  }
  if (!r.failed.empty()) {
    return PartialFailure(absl::StrCat(r.failed.size(), " file(s) could not be ingested (listed above); ",
                                       "everything else was"));
  }
  return absl::OkStatus();
}

}  // namespace

Command AddCommand() {
  std::vector<FlagSpec> flags = {CollectionFlag(),
                                 {"model", true, "another copy of the collection's ColBERT model", "SPEC"},
       PrecisionFlag(),
                                 {"quiet", false, "print nothing but errors"},
                                 {"json", false, "print a JSON summary on stdout"}};
  for (FlagSpec f : WalkFlags()) flags.push_back(f);
  for (FlagSpec f : ExtractionFlags()) flags.push_back(f);
  return Command{
      "add",
      "add files and folders to the collection, or update it with what changed",
      "usage: lateral add PATH... [flags]\n\n"
      "Folders are walked recursively; .gitignore, .ignore and .lateralignore files are honoured, hidden\n"
      "files skipped. Supported: .txt .md .html .jsonl .csv .tsv .pdf (others only when named, read as text).\n"
      "Running it again re-reads only files whose content changed, and drops files that were deleted from\n"
      "the folders named. Ctrl-C stops cleanly; run the same command again to finish.\n\n"
      "examples:\n"
      "  lateral add ~/notes docs/manual.pdf\n"
      "  lateral add papers --include '*.pdf' --exclude 'drafts/**'\n"
      "  lateral add data.jsonl --text-field body --metadata-fields lang,year\n"
      "  lateral add legacy --encoding windows-1252\n\n"
      "exit codes: 0 done, 1 error (nothing half-written), 3 some files failed (listed), 130 interrupted\n",
      flags, RunAdd};
}

}  // namespace lateral::cli
