// Finding models on disk: a plain directory, or a Hugging Face hub repo id
// ("LiquidAI/LFM2-ColBERT-350M", optionally "@REVISION") looked up in the
// cache layout that huggingface_hub and `lateral pull` share:
//
//   <cache root>/models--ORG--NAME/
//     refs/<branch or tag>        -> one line: the commit hash
//     snapshots/<commit>/<path>   -> relative symlink to ../../blobs/<etag>
//     blobs/<etag>                -> file content (etag = sha256 for LFS files,
//                                    git blob sha1 otherwise)
//
// Every command that takes --model calls ResolveModelPath, so users can write
// `--model LiquidAI/LFM2-ColBERT-350M` after `lateral pull`. These functions only
// read the file system (never the network) and are safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral::cli {

// The hub cache root: $HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (empty
// variables count as unset). The directory need not exist.
std::string HubCacheRoot();

// A parsed "ORG/NAME[@REVISION]".
struct RepoSpec {
  std::string repo_id;   // "ORG/NAME"
  std::string revision;  // branch, tag or commit; "main" when not given
  bool revision_given = false;
};

// True when `spec` looks like a repo id: exactly one '/', both parts
// non-empty and made of [A-Za-z0-9._-], optionally followed by "@REVISION".
bool LooksLikeRepoId(std::string_view spec);

// Parses "ORG/NAME[@REVISION]"; InvalidArgument naming `spec` otherwise.
absl::StatusOr<RepoSpec> ParseRepoSpec(std::string_view spec);

// "models--ORG--NAME", the repo's folder name inside the cache root.
std::string RepoFolderName(std::string_view repo_id);

// True for a 40-hex-digit git commit hash.
bool IsCommitHash(std::string_view revision);

// Resolves a --model value:
// - an existing directory: returned unchanged when it contains config.json,
//   InvalidArgument naming it otherwise;
// - "ORG/NAME[@REVISION]": the snapshot directory snapshots/<commit>/ where
//   commit = refs/<revision> (default "main"), or the revision itself when it
//   is a commit hash (a unique prefix of 7+ hex digits is accepted too).
// NotFound lists the paths tried and suggests `lateral pull ORG/NAME`.
absl::StatusOr<std::string> ResolveModelPath(std::string_view spec);

// As ResolveModelPath, with an explicit cache root (tests, --cache-dir).
absl::StatusOr<std::string> ResolveModelPathIn(std::string_view spec, const std::string& cache_root);

// One model repo found in the cache, for `lateral pull --list`.
struct CachedModel {
  std::string repo_id;                 // "ORG/NAME"
  std::string path;                    // the models--ORG--NAME folder
  std::vector<std::string> refs;       // "main", "v1.0", ... (sorted)
  std::vector<std::string> snapshots;  // commit hashes present (sorted)
  int64_t size_bytes = 0;              // total size of blobs/ (each blob once)
};

// Every models--* folder under `cache_root`, sorted by repo id. A missing
// cache root is an empty list, not an error.
absl::StatusOr<std::vector<CachedModel>> ListCachedModels(const std::string& cache_root);

}  // namespace lateral::cli
