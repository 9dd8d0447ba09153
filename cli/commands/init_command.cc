// lateral init: create a collection (a .lateral/ folder) in a directory.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/collection/collection.h"
#include "cli/command.h"
#include "cli/commands/collection_io.h"
#include "cli/hub/model_locator.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace {

namespace fs = std::filesystem;

absl::Status CreateCollection(const CollectionPaths& paths, const Settings& settings, int nbits) {
  LATERAL_ASSIGN_OR_RETURN(StoreLayout layout, InitializeStore(paths.store_dir, settings, nbits));
  std::ofstream config(paths.config_path);
  config << DefaultCollectionConfig(layout.model_spec);
  config.close();
  if (!config) return absl::InternalError(absl::StrCat(paths.config_path, ": cannot write"));
  const bool model = !layout.model_spec.empty();
  std::cout << "Initialized an empty lateral collection in " << paths.state_dir << "\n"
            << (model ? absl::StrCat("  search: BM25 + ColBERT (", layout.model_spec, ")")
                      : std::string("  search: BM25 (no model; add one later with `lateral reindex --model ORG/NAME`)"))
            << "\n  passages: " << layout.chunk_tokens << (model ? " model" : " approximate") << " tokens, "
            << layout.overlap_tokens << " overlapping\nNext: lateral add PATH...\n";
  return absl::OkStatus();
}

absl::Status RunInit(const ParsedFlags& flags) {
  if (flags.positional().size() > 1) return UsageError("init takes at most one directory");
  std::string root = flags.positional().empty() ? "." : flags.positional()[0];
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(root, ": cannot create: ", ec.message()));
  root = fs::canonical(root, ec).string();
  if (ec) return absl::NotFoundError(absl::StrCat(root, ": ", ec.message()));
  CollectionPaths paths = CollectionPathsAt(root);
  if (fs::exists(paths.state_dir, ec)) {
    return absl::AlreadyExistsError(absl::StrCat(paths.state_dir, " already exists: ", root,
                                                 " is a collection already (see `lateral info`)"));
  }
  LATERAL_ASSIGN_OR_RETURN(Settings settings, LoadSettings(std::nullopt, flags));
  absl::StatusOr<std::optional<int64_t>> nbits = flags.GetInt("nbits");
  if (!nbits.ok()) return UsageError(std::string(nbits.status().message()));
  int bits = nbits->value_or(2);
  if (bits != 1 && bits != 2 && bits != 4) return UsageError("--nbits must be 1, 2 or 4");
  fs::create_directories(paths.state_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(paths.state_dir, ": cannot create: ", ec.message()));
  absl::Status status = CreateCollection(paths, settings, bits);
  if (!status.ok()) fs::remove_all(paths.state_dir, ec);  // no half-made collection
  return status;
}

}  // namespace

Command InitCommand() {
  return Command{
      "init",
      "create a collection in a folder (default: here)",
      "usage: lateral init [DIR] [--model ORG/NAME|DIR] [--chunk-tokens N] [--overlap-tokens N]\n\n"
      "Creates DIR/.lateral/ (settings in DIR/.lateral/config.toml, data in DIR/.lateral/store).\n"
      "Without --model (or model.colbert in ~/.config/lateral/config.toml) the collection is searched\n"
      "with BM25 only; with one, with BM25 and LFM2-ColBERT.\n\n"
      "examples:\n"
      "  lateral init                                   # BM25 collection here\n"
      "  lateral init ~/notes --model LiquidAI/LFM2-ColBERT-350M\n"
      "  lateral init corpus --model ./LFM2-ColBERT-350M --chunk-tokens 300\n",
      {{"model", true, "ColBERT model: a directory, or a hub id found in the Hugging Face cache (lateral pull)",
        "SPEC"},
       {"chunk-tokens", true, "passage length in tokens (default: the model's document length, 256 without)", "N"},
       {"overlap-tokens", true, "tokens shared by consecutive passages (default: an eighth)", "N"},
       {"nbits", true, "bits per dimension of stored vectors: 1, 2 or 4 (default 2)", "N"},
       {"no-stemming", false, "index words as written (no Snowball stemming)"}},
      RunInit};
}

}  // namespace lateral::cli
