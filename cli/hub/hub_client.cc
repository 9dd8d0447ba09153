#include "cli/hub/hub_client.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/hub/blob_digest.h"
#include "cli/hub/model_locator.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace fs = std::filesystem;
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return std::string(absl::StripAsciiWhitespace(line));
}

// One file of the repo listing.
struct RemoteFile {
  std::string path;
  int64_t size = 0;
  std::string etag;  // blob name in the cache: LFS sha256, else git blob sha1
  bool lfs = false;
};

// Everything a pull needs to turn an HTTP answer into a message.
struct Context {
  std::string endpoint;
  std::string repo_id;
  std::string revision;
  bool has_token = false;
};

// The server's own explanation, from a JSON {"error": "..."} body.
std::string ServerMessage(const HttpResult& r) {
  auto json = ParseJson(absl::string_view(r.body), "answer");
  if (json.ok() && json->is_object() && json->contains("error") && (*json)["error"].is_string()) {
    return absl::StrCat(" (server says: ", (*json)["error"].get<std::string>(), ")");
  }
  return "";
}

absl::Status HttpError(const HttpResult& r, const Context& ctx, const std::string& url, const std::string& file) {
  auto code_it = r.headers.find("x-error-code");
  const std::string error_code = code_it == r.headers.end() ? "" : code_it->second;
  const std::string server = ServerMessage(r);
  if (r.status == 401 || r.status == 403) {
    std::string why = error_code == "GatedRepo"
                          ? absl::StrCat(ctx.repo_id, " is gated: accept its conditions at ", ctx.endpoint, "/",
                                         ctx.repo_id, " while logged in, then ")
                          : absl::StrCat(ctx.repo_id, " is gated or private (or does not exist): ");
    std::string token_hint = ctx.has_token
                                 ? "the token in HF_TOKEN (or the hub token file) has no access to it"
                                 : "set HF_TOKEN to an access token (or run `huggingface-cli login`)";
    return absl::PermissionDeniedError(absl::StrCat("access refused (HTTP ", r.status, ") by ", ctx.endpoint,
                                                    " for ", url, ": ", why, token_hint, server));
  }
  if (r.status == 404) {
    if (error_code == "RevisionNotFound") {
      return absl::NotFoundError(absl::StrCat("revision \"", ctx.revision, "\" of ", ctx.repo_id, " not found at ",
                                              ctx.endpoint, server));
    }
    if (error_code == "EntryNotFound" || !file.empty()) {
      return absl::NotFoundError(absl::StrCat("file \"", file, "\" of ", ctx.repo_id, " not found at ", url, server));
    }
    return absl::NotFoundError(absl::StrCat("repo ", ctx.repo_id, " (revision \"", ctx.revision, "\") not found at ",
                                            ctx.endpoint, " (check the name; private repos need HF_TOKEN)", server));
  }
  return absl::UnavailableError(absl::StrCat("HTTP ", r.status, " from ", url, server));
}

absl::Status Unreachable(const absl::Status& status, const Context& ctx) {
  if (!absl::IsUnavailable(status)) return status;
  return absl::UnavailableError(absl::StrCat("cannot reach the hub at ", ctx.endpoint, " (is the network up? set ",
                                             "HF_ENDPOINT to use a mirror): ", status.message()));
}

bool IsHexString(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// A repo path the server sent must stay inside the snapshot directory.
bool IsSafeRepoPath(const std::string& path) {
  if (path.empty() || path[0] == '/' || path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) {
    return false;
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

// The next page of a paginated listing: Link: <URL>; rel="next".
std::string NextPageUrl(const HttpResult& r) {
  auto it = r.headers.find("link");
  if (it == r.headers.end()) return "";
  for (absl::string_view part : absl::StrSplit(it->second, ',')) {
    if (!absl::StrContains(part, "rel=\"next\"")) continue;
    size_t open = part.find('<'), close = part.find('>');
    if (open != absl::string_view::npos && close != absl::string_view::npos && close > open) {
      return std::string(part.substr(open + 1, close - open - 1));
    }
  }
  return "";
}

absl::StatusOr<std::vector<RemoteFile>> ParseTree(const Json& json, const std::string& source) {
  if (!json.is_array()) return absl::DataLossError(absl::StrCat(source, ": expected a JSON array"));
  std::vector<RemoteFile> files;
  for (size_t i = 0; i < json.size(); ++i) {
    const Json& item = json[i];
    const std::string where = absl::StrCat(source, "[", i, "]");
    if (!item.is_object()) return absl::DataLossError(absl::StrCat(where, ": expected an object"));
    JsonObjectReader reader(item, where);
    LATERAL_ASSIGN_OR_RETURN(std::string type, reader.GetString("type"));
    if (type != "file") continue;  // "directory" entries: their files are listed too
    RemoteFile file;
    LATERAL_ASSIGN_OR_RETURN(file.path, reader.GetString("path"));
    LATERAL_ASSIGN_OR_RETURN(file.size, reader.GetInt("size"));
    LATERAL_ASSIGN_OR_RETURN(file.etag, reader.GetString("oid"));
    LATERAL_ASSIGN_OR_RETURN(const Json* lfs, reader.GetOptionalObject("lfs"));
    if (lfs != nullptr) {
      JsonObjectReader lfs_reader(*lfs, where + ".lfs");
      LATERAL_ASSIGN_OR_RETURN(file.etag, lfs_reader.GetString("oid"));
      LATERAL_ASSIGN_OR_RETURN(file.size, lfs_reader.GetInt("size"));
      file.lfs = true;
    }
    if (!IsSafeRepoPath(file.path)) {
      return absl::DataLossError(absl::StrCat(where, ": unsafe path \"", file.path, "\" in the listing"));
    }
    const size_t want = file.lfs ? 64 : 40;
    if (file.etag.size() != want || !IsHexString(file.etag)) {
      return absl::DataLossError(absl::StrCat(where, ": \"", file.path, "\" has a malformed checksum \"", file.etag,
                                              "\""));
    }
    if (file.size < 0) return absl::DataLossError(absl::StrCat(where, ": negative size"));
    files.push_back(std::move(file));
  }
  return files;
}

absl::Status WriteFileAtomically(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create \"", path.parent_path().string(), "\": ", ec.message()));
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write \"", tmp.string(), "\""));
  }
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename into \"", path.string(), "\": ", ec.message()));
  return absl::OkStatus();
}

// snapshots/<commit>/<path> -> ../../blobs/<etag> (one more ../ per folder in path).
absl::Status LinkIntoSnapshot(const fs::path& snapshot_dir, const RemoteFile& file) {
  const fs::path link = snapshot_dir / file.path;
  std::string target;
  for (size_t i = 0, n = 2 + std::count(file.path.begin(), file.path.end(), '/'); i < n; ++i) target += "../";
  target += "blobs/" + file.etag;
  std::error_code ec;
  fs::create_directories(link.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create \"", link.parent_path().string(), "\": ", ec.message()));
  if (fs::is_symlink(fs::symlink_status(link, ec))) {
    if (fs::read_symlink(link, ec).string() == target && !ec) return absl::OkStatus();
  }
  if (fs::exists(fs::symlink_status(link, ec))) {
    fs::remove(link, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot replace \"", link.string(), "\": ", ec.message()));
  }
  fs::create_symlink(target, link, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create symlink \"", link.string(), "\": ", ec.message()));
  return absl::OkStatus();
}

// Holds an exclusive flock on blobs/<etag>.incomplete for one download.
class IncompleteLock {
 public:
  ~IncompleteLock() {
    if (fd_ >= 0) close(fd_);
  }
  absl::Status Acquire(const std::string& path) {
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return absl::PermissionDeniedError(absl::StrCat("cannot create \"", path, "\": ", std::strerror(errno)));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("another process is downloading \"", path, "\"; wait for it to finish"));
    }
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
};

absl::Status VerifyBlob(const std::string& path, const RemoteFile& file) {
  std::error_code ec;
  const int64_t size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) return absl::InternalError(absl::StrCat("cannot stat \"", path, "\": ", ec.message()));
  if (size != file.size) {
    return absl::DataLossError(absl::StrCat("\"", file.path, "\": downloaded ", size, " bytes, the hub lists ",
                                            file.size));
  }
  absl::StatusOr<std::string> digest = file.lfs ? Sha256OfFile(path) : GitBlobSha1OfFile(path);
  if (!digest.ok()) return digest.status();
  if (*digest != file.etag) {
    return absl::DataLossError(absl::StrCat("\"", file.path, "\": checksum mismatch: expected ",
                                            file.lfs ? "sha256 " : "git blob sha1 ", file.etag, ", got ", *digest));
  }
  return absl::OkStatus();
}

}  // namespace

std::string HubEndpoint() {
  std::string endpoint = Env("HF_ENDPOINT");
  if (endpoint.empty()) endpoint = "https://huggingface.co";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

std::string HubToken() {
  if (std::string token = std::string(absl::StripAsciiWhitespace(Env("HF_TOKEN"))); !token.empty()) return token;
  if (std::string path = Env("HF_TOKEN_PATH"); !path.empty()) return FirstLine(path);
  if (std::string home = Env("HF_HOME"); !home.empty()) return FirstLine((fs::path(home) / "token").string());
  std::string home = Env("HOME");
  if (home.empty()) return "";
  return FirstLine((fs::path(home) / ".cache" / "huggingface" / "token").string());
}

bool MatchesInclude(const std::string& path, const std::vector<std::string>& globs) {
  if (globs.empty()) return true;
  for (const std::string& glob : globs) {
    if (fnmatch(glob.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

absl::StatusOr<PullResult> PullModel(std::string_view repo_id_view, const PullOptions& options) {
  const std::string repo_id(repo_id_view);
  if (!LooksLikeRepoId(repo_id) || absl::StrContains(repo_id, "@")) {
    return absl::InvalidArgumentError(absl::StrCat("\"", repo_id, "\" is not a hub repo id (expected ORG/NAME)"));
  }
  if (!IsSafeRepoPath(options.revision)) {
    // It becomes a path under refs/.
    return absl::InvalidArgumentError(absl::StrCat("revision \"", options.revision, "\" is not a valid ref name"));
  }
  Context ctx;
  ctx.endpoint = options.endpoint.empty() ? HubEndpoint() : options.endpoint;
  ctx.repo_id = repo_id;
  ctx.revision = options.revision;
  const std::string token = options.token.empty() ? HubToken() : options.token;
  ctx.has_token = !token.empty();
  const std::string cache_root = options.cache_root.empty() ? HubCacheRoot() : options.cache_root;
  HttpClient http(token, options.retry);

  // 1. Which commit the revision names.
  const std::string info_url = absl::StrCat(ctx.endpoint, "/api/models/", repo_id, "/revision/",
                                            UrlEncode(options.revision, false));
  absl::StatusOr<HttpResult> info = http.Get(info_url);
  if (!info.ok()) return Unreachable(info.status(), ctx);
  if (info->status != 200) return HttpError(*info, ctx, info_url, "");
  LATERAL_ASSIGN_OR_RETURN(Json info_json, ParseJson(absl::string_view(info->body), info_url));
  if (!info_json.is_object()) return absl::DataLossError(absl::StrCat(info_url, ": expected a JSON object"));
  LATERAL_ASSIGN_OR_RETURN(std::string commit, JsonObjectReader(info_json, info_url).GetString("sha"));
  if (!IsCommitHash(commit)) {
    return absl::DataLossError(absl::StrCat(info_url, ": \"sha\" is not a commit hash: \"", commit, "\""));
  }

  // 2. Every file with its size and checksum.
  std::vector<RemoteFile> listing;
  std::string page_url = absl::StrCat(ctx.endpoint, "/api/models/", repo_id, "/tree/", commit, "?recursive=true");
  for (int page = 0; !page_url.empty(); ++page) {
    if (page > 10000) return absl::DataLossError(absl::StrCat(page_url, ": too many pages"));
    absl::StatusOr<HttpResult> tree = http.Get(page_url);
    if (!tree.ok()) return Unreachable(tree.status(), ctx);
    if (tree->status != 200) return HttpError(*tree, ctx, page_url, "");
    LATERAL_ASSIGN_OR_RETURN(Json tree_json, ParseJson(absl::string_view(tree->body), page_url));
    LATERAL_ASSIGN_OR_RETURN(std::vector<RemoteFile> files, ParseTree(tree_json, page_url));
    listing.insert(listing.end(), files.begin(), files.end());
    page_url = NextPageUrl(*tree);
  }

  std::vector<RemoteFile> selected;
  for (RemoteFile& f : listing) {
    if (MatchesInclude(f.path, options.include)) selected.push_back(std::move(f));
  }
  if (selected.empty()) {
    return absl::NotFoundError(absl::StrCat(repo_id, "@", commit, " has no file",
                                            options.include.empty() ? "" : " matching --include", " (", listing.size(),
                                            " files listed)"));
  }

  // 3. Fetch missing blobs and link every selected file into the snapshot.
  const fs::path repo_dir = fs::path(cache_root) / RepoFolderName(repo_id);
  const fs::path blobs_dir = repo_dir / "blobs";
  const fs::path snapshot_dir = repo_dir / "snapshots" / commit;
  std::error_code ec;
  fs::create_directories(blobs_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create \"", blobs_dir.string(), "\": ", ec.message()));

  std::vector<const RemoteFile*> to_fetch;
  int64_t bytes_to_fetch = 0;
  std::set<std::string> queued;  // identical files share one blob: fetch it once
  for (const RemoteFile& f : selected) {
    const fs::path blob = blobs_dir / f.etag;
    if (!queued.insert(f.etag).second) continue;
    if (fs::is_regular_file(blob, ec) && static_cast<int64_t>(fs::file_size(blob, ec)) == f.size && !ec) continue;
    to_fetch.push_back(&f);
    bytes_to_fetch += f.size;
  }

  PullResult result;
  result.repo_id = repo_id;
  result.commit = commit;
  result.snapshot_dir = snapshot_dir.string();
  result.files_total = static_cast<int>(selected.size());

  Progress progress(options.progress);
  progress.Start(bytes_to_fetch, static_cast<int>(to_fetch.size()));
  for (const RemoteFile* f : to_fetch) {
    const std::string blob = (blobs_dir / f->etag).string();
    const std::string incomplete = blob + ".incomplete";
    IncompleteLock lock;
    LATERAL_RETURN_IF_ERROR(lock.Acquire(incomplete));
    int64_t already = static_cast<int64_t>(fs::file_size(incomplete, ec));
    if (ec) already = 0;
    if (already > f->size) {
      // Longer than the file can be: not a prefix of it.
      fs::resize_file(incomplete, 0, ec);
      already = 0;
    }
    progress.BeginFile(f->path, f->size, already);
    if (already < f->size || f->size == 0) {
      const std::string url = absl::StrCat(ctx.endpoint, "/", repo_id, "/resolve/", commit, "/",
                                           UrlEncode(f->path, true));
      absl::StatusOr<HttpResult> got =
          http.DownloadToFile(url, incomplete, [&progress](int64_t bytes) { progress.Update(bytes); });
      if (!got.ok()) {
        progress.Finish();
        if (absl::IsCancelled(got.status())) {
          return absl::CancelledError(absl::StrCat("interrupted while downloading \"", f->path, "\"; the partial file ",
                                                   incomplete, " is kept and the next pull resumes it"));
        }
        return Unreachable(got.status(), ctx);
      }
      if (got->status != 200 && got->status != 206) {
        progress.Finish();
        if (fs::file_size(incomplete, ec) == 0 && !ec) fs::remove(incomplete, ec);  // made by the lock, holds nothing
        return HttpError(*got, ctx, url, f->path);
      }
      result.bytes_downloaded += got->bytes_received;
    }
    if (absl::Status verified = VerifyBlob(incomplete, *f); !verified.ok()) {
      progress.Finish();
      fs::remove(incomplete, ec);
      if (!absl::IsDataLoss(verified)) return verified;
      return absl::DataLossError(absl::StrCat(verified.message(), " (the download was deleted; a new pull fetches it",
                                              " afresh, and fails the same way if the hub serves these bytes)"));
    }
    fs::rename(incomplete, blob, ec);
    if (ec) {
      progress.Finish();
      return absl::InternalError(absl::StrCat("cannot move \"", incomplete, "\" into place: ", ec.message()));
    }
    ++result.files_downloaded;
    progress.EndFile();
  }
  progress.Finish();

  // Only now does the snapshot appear: a failed pull leaves no half-linked snapshot behind.
  for (const RemoteFile& f : selected) LATERAL_RETURN_IF_ERROR(LinkIntoSnapshot(snapshot_dir, f));
  if (options.revision != commit) {
    const fs::path ref = repo_dir / "refs" / options.revision;
    LATERAL_RETURN_IF_ERROR(WriteFileAtomically(ref, commit));
  }
  return result;
}

}  // namespace lateral::cli
