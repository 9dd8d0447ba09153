// lateral reindex: rebuild the collection from its source files with new
// settings (a ColBERT model added, changed or dropped; chunk sizes; stemming),
// in a new store beside the old one that replaces it only when complete.
#include <filesystem>
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
#include "common/status_macros.h"

namespace lateral::cli {
namespace {

namespace fs = std::filesystem;

absl::Status RunReindex(const ParsedFlags& flags) {
  if (!flags.positional().empty()) return UsageError("reindex takes no arguments");
  if (flags.Has("model") && flags.Has("no-model")) return UsageError("--model and --no-model exclude each other");
  LATERAL_ASSIGN_OR_RETURN(CollectionPaths paths, FindCollection(flags));
  // The writer's lock on the old store keeps `lateral add` out while we work.
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> old, Collection::Open(paths, false, ParsedFlags()));
  std::vector<SourceRecord> sources;
  {
    std::unique_ptr<StoreSnapshot> snapshot = old->store().Snapshot();
    LATERAL_RETURN_IF_ERROR(snapshot->ForEachSource([&](const SourceRecord& s) {
      sources.push_back(s);
      return absl::OkStatus();
    }));
  }
  // New settings: flags, else the config files, else what the collection uses.
  LATERAL_ASSIGN_OR_RETURN(Settings settings, LoadSettings(paths.config_path, flags));
  if (flags.Has("no-model")) {
    settings.colbert_model.clear();
  } else if (!flags.Has("model") && settings.colbert_model.empty()) {
    settings.colbert_model = old->model_spec();
  }
  const int nbits = old->store().manifest().nbits > 0 ? old->store().manifest().nbits : 2;

  const std::string new_dir = paths.store_dir + ".reindex";
  std::error_code ec;
  fs::remove_all(new_dir, ec);  // a reindex killed earlier
  LATERAL_ASSIGN_OR_RETURN(StoreLayout layout, InitializeStore(new_dir, settings, nbits));
  CollectionPaths new_paths = paths;
  new_paths.store_dir = new_dir;
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> fresh, Collection::Open(new_paths, false, ParsedFlags()));
  std::cerr << "reindexing " << sources.size() << " sources with "
            << (layout.model_spec.empty() ? std::string("BM25 only") : absl::StrCat("model ", layout.model_spec))
            << ", " << layout.chunk_tokens << "-token passages\n";

  // Files are re-read with the extraction options they were added with.
  std::map<std::string, std::vector<std::string>> groups;  // extraction fingerprint -> paths
  std::vector<std::string> missing;
  std::map<std::string, ExtractionChoice> choices;
  for (const SourceRecord& s : sources) {
    if (!fs::exists(s.path, ec)) {
      missing.push_back(s.path);
      continue;
    }
    LATERAL_ASSIGN_OR_RETURN(ExtractionChoice choice, ExtractionFromFingerprint(s.settings_fingerprint, s.path));
    std::string key = SourceFingerprint(*fresh, choice);
    choices.emplace(key, choice);
    groups[key].push_back(s.path);
  }
  const bool quiet = flags.Has("quiet");
  IngestProgressPrinter printer(quiet);
  ScopedInterruptHandler interrupt;
  ingest::IngestReport total;
  for (const auto& [key, group] : groups) {
    LATERAL_ASSIGN_OR_RETURN(ingest::IngestOptions options, MakeIngestOptions(*fresh, choices.at(key)));
    options.remove_missing = false;
    options.progress = [&](const ingest::IngestProgress& p) { printer.Update(p); };
    options.should_stop = [] { return InterruptRequested(); };
    absl::StatusOr<ingest::IngestReport> report = ingest::Ingest(fresh->store(), group, options);
    printer.Finish();
    if (!report.ok()) return report.status();
    if (report->cancelled) {
      return Interrupted("reindex interrupted; the collection is unchanged (run `lateral reindex` again)");
    }
    total.added += report->added;
    total.passages_written += report->passages_written;
    total.tokens += report->tokens;
    total.encoded_tokens += report->encoded_tokens;
    for (auto& f : report->failed) total.failed.push_back(f);
  }
  for (const ingest::FileIssue& f : total.failed) std::cerr << "error: " << f.path << ": " << f.message << "\n";
  if (!total.failed.empty() && !flags.Has("force")) {
    return absl::AbortedError(absl::StrCat(total.failed.size(), " file(s) failed; the collection is unchanged. ",
                                           "Fix them, or pass --force to drop them"));
  }
  for (const std::string& m : missing) std::cerr << "dropped (file is gone): " << m << "\n";
  if (fresh->has_encoder()) LATERAL_RETURN_IF_ERROR(RefreshMappedIndex(fresh->store(), new_dir));

  fresh.reset();
  old.reset();
  const std::string old_dir = paths.store_dir + ".old";
  fs::rename(paths.store_dir, old_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("renaming ", paths.store_dir, ": ", ec.message()));
  fs::rename(new_dir, paths.store_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("renaming ", new_dir, ": ", ec.message()));
  fs::remove_all(old_dir, ec);
  if (!quiet) {
    std::cout << absl::StrFormat("reindexed %d files into %d passages (%d tokens%s)\n", total.added,
                                 total.passages_written, total.tokens,
                                 total.encoded_tokens > 0 ? absl::StrCat(", ", total.encoded_tokens, " vectors") : "");
  }
  return absl::OkStatus();
}

}  // namespace

Command ReindexCommand() {
  return Command{
      "reindex",
      "rebuild the collection from its files with a new model or settings",
      "usage: lateral reindex [--model SPEC | --no-model] [--chunk-tokens N] [--overlap-tokens N] [--no-stemming]\n\n"
      "Re-reads every source file (with the options it was added with) into a new store, which replaces\n"
      "the old one only when complete: searches keep working meanwhile, and an interrupted reindex\n"
      "leaves the collection as it was. Settings not given come from .lateral/config.toml, then from\n"
      "the current collection.\n\n"
      "examples:\n"
      "  lateral reindex --model LiquidAI/LFM2-ColBERT-350M     # add ColBERT to a BM25 collection\n"
      "  lateral reindex --chunk-tokens 200 --overlap-tokens 40\n"
      "  lateral reindex --no-model                            # back to BM25 only\n",
      {CollectionFlag(),
       {"model", true, "the ColBERT model to encode with (directory or hub id)", "SPEC"},
       PrecisionFlag(),
       {"no-model", false, "drop the ColBERT model: BM25 only"},
       {"chunk-tokens", true, "passage length in tokens (default: the model's document length)", "N"},
       {"overlap-tokens", true, "tokens shared by consecutive passages", "N"},
       {"no-stemming", false, "index words as written"},
       {"force", false, "replace the collection even if some files fail (they are dropped)"},
       {"quiet", false, "print nothing but errors"}},
      RunReindex};
}

}  // namespace lateral::cli
