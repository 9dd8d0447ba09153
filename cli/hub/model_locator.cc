#include "cli/hub/model_locator.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace lateral::cli {
namespace fs = std::filesystem;
namespace {

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

bool IsHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// Reads refs/<revision>: one line holding the commit hash.
std::string ReadRef(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n')) line.pop_back();
  return line;
}

std::string PullHint(const RepoSpec& repo) {
  return absl::StrCat("run `lateral pull ", repo.repo_id, repo.revision_given ? " --revision " + repo.revision : "",
                      "` to download it");
}

}  // namespace

std::string HubCacheRoot() {
  if (std::string v = EnvOrEmpty("HF_HUB_CACHE"); !v.empty()) return v;
  if (std::string v = EnvOrEmpty("HF_HOME"); !v.empty()) return (fs::path(v) / "hub").string();
  if (std::string v = EnvOrEmpty("XDG_CACHE_HOME"); !v.empty()) return (fs::path(v) / "huggingface" / "hub").string();
  std::string home = EnvOrEmpty("HOME");
  return (fs::path(home.empty() ? "." : home) / ".cache" / "huggingface" / "hub").string();
}

bool LooksLikeRepoId(std::string_view spec) {
  size_t at = spec.find('@');
  std::string_view id = spec.substr(0, at);
  if (at != std::string_view::npos && at + 1 >= spec.size()) return false;
  size_t slash = id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= id.size()) return false;
  if (id.find('/', slash + 1) != std::string_view::npos) return false;
  std::string_view org = id.substr(0, slash), name = id.substr(slash + 1);
  // "." and ".." are path components, never repo names.
  if (org == "." || org == ".." || name == "." || name == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c == '/' || IsNameChar(c); });
}

absl::StatusOr<RepoSpec> ParseRepoSpec(std::string_view spec) {
  if (!LooksLikeRepoId(spec)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", std::string(spec),
                                                   "\" is not a hub repo id (expected ORG/NAME or ORG/NAME@REVISION)"));
  }
  RepoSpec repo;
  size_t at = spec.find('@');
  repo.repo_id = std::string(spec.substr(0, at));
  if (at != std::string_view::npos) {
    repo.revision = std::string(spec.substr(at + 1));
    repo.revision_given = true;
  } else {
    repo.revision = "main";
  }
  return repo;
}

std::string RepoFolderName(std::string_view repo_id) {
  return absl::StrCat("models--", absl::StrReplaceAll(absl::string_view(repo_id.data(), repo_id.size()), {{"/", "--"}}));
}

bool IsCommitHash(std::string_view revision) { return revision.size() == 40 && IsHex(revision); }

absl::StatusOr<std::string> ResolveModelPath(std::string_view spec) { return ResolveModelPathIn(spec, HubCacheRoot()); }

absl::StatusOr<std::string> ResolveModelPathIn(std::string_view spec, const std::string& cache_root) {
  const std::string spec_str(spec);
  if (spec_str.empty()) return absl::InvalidArgumentError("the model is empty (give a directory or ORG/NAME)");
  if (IsDirectory(spec_str)) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(spec_str) / "config.json", ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat("model directory \"", spec_str, "\" has no config.json (is it a model checkpoint?)"));
    }
    return spec_str;
  }
  if (!LooksLikeRepoId(spec)) {
    return absl::NotFoundError(absl::StrCat("model directory \"", spec_str,
                                            "\" does not exist (and it is not a hub repo id ORG/NAME)"));
  }
  auto parsed = ParseRepoSpec(spec);
  if (!parsed.ok()) return parsed.status();
  const RepoSpec& repo = *parsed;
  const fs::path repo_dir = fs::path(cache_root) / RepoFolderName(repo.repo_id);
  std::vector<std::string> tried = {absl::StrCat("directory \"", spec_str, "\"")};

  std::string commit;
  const std::string ref_path = (repo_dir / "refs" / repo.revision).string();
  if (std::string from_ref = ReadRef(ref_path); !from_ref.empty()) {
    commit = from_ref;
  } else {
    tried.push_back(absl::StrCat("\"", ref_path, "\""));
    if (IsCommitHash(repo.revision)) {
      commit = repo.revision;
    } else if (repo.revision.size() >= 7 && IsHex(repo.revision)) {
      // A short commit hash: accept it when exactly one snapshot starts with it.
      std::vector<std::string> matches;
      std::error_code ec;
      for (fs::directory_iterator it(repo_dir / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (absl::StartsWith(name, repo.revision)) matches.push_back(name);
      }
      if (matches.size() > 1) {
        return absl::InvalidArgumentError(absl::StrCat("revision \"", repo.revision, "\" of ", repo.repo_id,
                                                       " is ambiguous: it matches snapshots ",
                                                       absl::StrJoin(matches, ", ")));
      }
      if (matches.size() == 1) commit = matches[0];
    }
  }
  if (commit.empty()) {
    return absl::NotFoundError(absl::StrCat("model ", repo.repo_id, " (revision ", repo.revision,
                                            ") is not in the hub cache; tried ", absl::StrJoin(tried, ", "), "; ",
                                            PullHint(repo)));
  }
  const fs::path snapshot = repo_dir / "snapshots" / commit;
  if (!IsDirectory(snapshot.string())) {
    tried.push_back(absl::StrCat("\"", snapshot.string(), "\""));
    return absl::NotFoundError(absl::StrCat("model ", repo.repo_id, " (revision ", repo.revision,
                                            ") is not in the hub cache; tried ", absl::StrJoin(tried, ", "), "; ",
                                            PullHint(repo)));
  }
  std::error_code ec;
  if (!fs::is_regular_file(snapshot / "config.json", ec)) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot \"", snapshot.string(), "\" of ", repo.repo_id,
                                                   " has no config.json (an incomplete download? ", PullHint(repo),
                                                   ")"));
  }
  return snapshot.string();
}

absl::StatusOr<std::vector<CachedModel>> ListCachedModels(const std::string& cache_root) {
  std::vector<CachedModel> models;
  std::error_code ec;
  if (!fs::is_directory(cache_root, ec)) return models;
  fs::directory_iterator it(cache_root, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot list \"", cache_root, "\": ", ec.message()));
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return absl::InternalError(absl::StrCat("cannot list \"", cache_root, "\": ", ec.message()));
    std::string name = it->path().filename().string();
    if (!absl::StartsWith(name, "models--") || !it->is_directory(ec)) continue;
    CachedModel model;
    model.path = it->path().string();
    model.repo_id = absl::StrReplaceAll(absl::StripPrefix(name, "models--"), {{"--", "/"}});
    const fs::path refs = it->path() / "refs";
    // Refs may be nested ("refs/pr/1"), so walk recursively.
    for (fs::recursive_directory_iterator r(refs, ec), rend; !ec && r != rend; r.increment(ec)) {
      if (r->is_regular_file(ec)) model.refs.push_back(fs::relative(r->path(), refs, ec).generic_string());
    }
    ec.clear();
    for (fs::directory_iterator s(it->path() / "snapshots", ec), send; !ec && s != send; s.increment(ec)) {
      if (s->is_directory(ec)) model.snapshots.push_back(s->path().filename().string());
    }
    ec.clear();
    for (fs::directory_iterator b(it->path() / "blobs", ec), bend; !ec && b != bend; b.increment(ec)) {
      if (b->is_regular_file(ec)) model.size_bytes += static_cast<int64_t>(b->file_size(ec));
    }
    ec.clear();
    std::sort(model.refs.begin(), model.refs.end());
    std::sort(model.snapshots.begin(), model.snapshots.end());
    models.push_back(std::move(model));
  }
  std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.repo_id < b.repo_id; });
  return models;
}

}  // namespace lateral::cli
