// Downloading a model repo from the Hugging Face hub into the shared cache
// (`lateral pull`). Called by cli/commands/pull_command.cc and tests.
//
// Protocol (the hub's public HTTP API, $HF_ENDPOINT or https://huggingface.co):
//   GET /api/models/ORG/NAME/revision/REV        -> {"sha": commit, "siblings": [...]}
//   GET /api/models/ORG/NAME/tree/COMMIT?recursive=true (paginated by Link: rel="next")
//       -> [{"type":"file","path","size","oid","lfs":{"oid","size"}}]
//   GET /ORG/NAME/resolve/COMMIT/PATH            -> the file (LFS files redirect to a CDN)
// Cache writes follow huggingface_hub's layout (see model_locator.h) so both
// tools share downloads: blobs/<etag>, where etag is the LFS sha256 or the git
// blob sha1; snapshots/<commit>/<path> as relative symlinks into blobs/; and
// refs/<revision> holding the commit when the revision is a branch or tag.
//
// Guarantees:
// - A blob enters blobs/ only after its size and checksum match the listing;
//   a mismatch deletes the partial file and fails naming the file and both
//   digests. A blob already in blobs/ with the listed size is not fetched
//   again (it was verified when it was placed there), so a second pull
//   transfers no file data.
// - Downloads go to blobs/<etag>.incomplete (flock'ed against a concurrent
//   pull) and resume from its size with a Range request after a dropped
//   connection, a Ctrl-C or a crash.
// - Paths from the server are checked (no "..", no absolute paths, etags
//   are hex) before anything is written.
// One pull runs on the calling thread; no global state except curl's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/hub/http_client.h"
#include "cli/hub/progress.h"

namespace lateral::cli {

// $HF_ENDPOINT without a trailing '/', else "https://huggingface.co".
std::string HubEndpoint();

// $HF_TOKEN, else the first line of $HF_TOKEN_PATH, $HF_HOME/token or
// ~/.cache/huggingface/token; empty when there is none.
std::string HubToken();

struct PullOptions {
  std::string endpoint;              // empty: HubEndpoint()
  std::string token;                 // empty: HubToken()
  std::string cache_root;            // empty: HubCacheRoot()
  std::string revision = "main";     // branch, tag or commit
  std::vector<std::string> include;  // fnmatch globs on repo paths ('*' crosses '/'); empty: every file
  ProgressMode progress = ProgressMode::kAuto;
  RetryPolicy retry;
};

struct PullResult {
  std::string repo_id;
  std::string commit;
  std::string snapshot_dir;  // <cache>/models--ORG--NAME/snapshots/<commit>
  int files_total = 0;       // files selected by the include globs
  int files_downloaded = 0;  // of those, the ones whose blob had to be fetched
  int64_t bytes_downloaded = 0;
};

// Downloads `repo_id` ("ORG/NAME") at options.revision into the cache.
// Errors: PermissionDenied for 401/403 (gated or private repo; mentions
// HF_TOKEN), NotFound for an unknown repo, revision or empty selection,
// Unavailable when the endpoint cannot be reached (names it), DataLoss for a
// checksum mismatch, Cancelled after Ctrl-C (see cli/hub/interrupt.h).
absl::StatusOr<PullResult> PullModel(std::string_view repo_id, const PullOptions& options);

// True when `path` matches any of `globs` (or `globs` is empty).
bool MatchesInclude(const std::string& path, const std::vector<std::string>& globs);

}  // namespace lateral::cli
