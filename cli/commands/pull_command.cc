// lateral pull: download a model from the Hugging Face hub into the shared
// cache (cli/hub/hub_client.h), or list the models already there.
//
// Ctrl-C convention: the partial blob is kept for the next pull to resume, a
// message says so on stderr, and the process then dies by SIGINT (the default
// action, re-raised), so shells report status 130 and stop scripts as they
// would for any interrupted program.
#include <csignal>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/command.h"
#include "cli/hub/hub_client.h"
#include "cli/hub/interrupt.h"
#include "cli/hub/model_locator.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace {

std::string HumanSize(int64_t bytes) {
  if (bytes >= 1000000000) return absl::StrFormat("%.2f GB", static_cast<double>(bytes) / 1e9);
  if (bytes >= 1000000) return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / 1e6);
  return absl::StrFormat("%.1f kB", static_cast<double>(bytes) / 1e3);
}

absl::Status List(const std::string& cache_root) {
  LATERAL_ASSIGN_OR_RETURN(std::vector<CachedModel> models, ListCachedModels(cache_root));
  if (models.empty()) {
    std::cerr << "no models in " << cache_root << " (download one with `lateral pull ORG/NAME`)\n";
    return absl::OkStatus();
  }
  for (const CachedModel& m : models) {
    std::vector<std::string> shorts;
    for (const std::string& s : m.snapshots) shorts.push_back(s.substr(0, 7));
    std::cout << absl::StrFormat("%-40s %10s  revisions: %s  snapshots: %s\n", m.repo_id, HumanSize(m.size_bytes),
                                 m.refs.empty() ? "-" : absl::StrJoin(m.refs, ","),
                                 shorts.empty() ? "-" : absl::StrJoin(shorts, ","));
  }
  std::cerr << "cache: " << cache_root << "\n";
  return absl::OkStatus();
}

absl::Status Run(const ParsedFlags& flags) {
  const std::string cache_root = flags.GetOr("cache-dir", HubCacheRoot());
  if (flags.Has("list")) {
    if (!flags.positional().empty()) return UsageError("--list takes no repo id");
    return List(cache_root);
  }
  if (flags.positional().size() != 1) return UsageError("give exactly one repo id, e.g. LiquidAI/LFM2-ColBERT-350M");
  absl::StatusOr<RepoSpec> spec = ParseRepoSpec(flags.positional()[0]);
  if (!spec.ok()) return UsageError(std::string(spec.status().message()));

  PullOptions options;
  options.cache_root = cache_root;
  options.revision = spec->revision;
  if (std::optional<std::string> rev = flags.Get("revision")) {
    if (spec->revision_given && *rev != spec->revision) {
      return UsageError(absl::StrCat("--revision ", *rev, " contradicts @", spec->revision));
    }
    if (rev->empty()) return UsageError("--revision is empty");
    options.revision = *rev;
  }
  if (std::optional<std::string> include = flags.Get("include")) {
    for (absl::string_view glob : absl::StrSplit(*include, ',', absl::SkipWhitespace())) {
      options.include.emplace_back(absl::StripAsciiWhitespace(glob));
    }
    if (options.include.empty()) return UsageError("--include has no pattern");
  }
  const bool quiet = flags.Has("quiet");
  options.progress = quiet ? ProgressMode::kQuiet : ProgressMode::kAuto;

  absl::StatusOr<PullResult> result;
  {
    ScopedInterruptHandler interrupt;
    result = PullModel(spec->repo_id, options);
    if (!result.ok() && InterruptRequested()) {
      std::cerr << "lateral pull: " << result.status().message() << "\n";
      std::cerr.flush();
      std::signal(SIGINT, SIG_DFL);
      std::raise(SIGINT);
    }
  }
  if (!result.ok()) return result.status();
  if (!quiet) {
    std::cerr << absl::StrFormat("%s@%s: %d files, %d downloaded (%s)\n", result->repo_id,
                                 result->commit.substr(0, 7), result->files_total, result->files_downloaded,
                                 HumanSize(result->bytes_downloaded));
  }
  std::cout << result->snapshot_dir << "\n";
  return absl::OkStatus();
}

}  // namespace

Command PullCommand() {
  return Command{
      "pull",
      "download a model from the Hugging Face hub into the local cache",
      "usage: lateral pull ORG/NAME[@REVISION] [--include GLOBS] [--quiet]\n"
      "       lateral pull --list\n\n"
      "Downloads every file of the model repo (or those matching --include) into the\n"
      "Hugging Face cache shared with huggingface_hub ($HF_HUB_CACHE, $HF_HOME/hub or\n"
      "~/.cache/huggingface/hub), verifying each file's size and checksum, and prints\n"
      "the snapshot directory on stdout. Files already in the cache are not fetched\n"
      "again; an interrupted download (Ctrl-C, dropped connection) resumes where it\n"
      "stopped. Afterwards --model ORG/NAME works in every command.\n\n"
      "environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated or\n"
      "private repos; else $HF_HOME/token), HF_HUB_CACHE / HF_HOME.\n"
      "exit status: 0 done, 1 failed, 2 bad command line; Ctrl-C ends the process by\n"
      "SIGINT (shells show 130) after keeping the partial file.\n\n"
      "examples:\n"
      "  lateral pull LiquidAI/LFM2-ColBERT-350M\n"
      "  MODEL=$(lateral pull LiquidAI/LFM2-1.2B-RAG --quiet)\n"
      "  lateral pull LiquidAI/LFM2-ColBERT-350M --include '*.json,*.safetensors'\n"
      "  lateral score --model LiquidAI/LFM2-ColBERT-350M --query ... DOC...\n",
      {{"revision", true, "branch, tag or commit (default main; same as ORG/NAME@REV)", "REV"},
       {"include", true, "comma-separated globs on repo paths (* and ? match any characters, '/' too)", "GLOBS"},
       {"cache-dir", true,
        "cache root instead of $HF_HUB_CACHE / $HF_HOME/hub (set HF_HUB_CACHE=DIR for --model ORG/NAME to find it)",
        "DIR"},
       {"list", false, "list the models in the cache with their revisions and sizes"},
       {"quiet", false, "no progress or summary on stderr"}},
      Run};
}

}  // namespace lateral::cli
