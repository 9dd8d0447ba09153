#include "ingest/walk/file_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ingest/walk/glob.h"
#include "ingest/walk/ignore_rules.h"

namespace lateral::ingest {
namespace {

constexpr std::string_view kAlwaysSkipped[] = {".git", ".hg", ".svn", ".lateral"};

// "/a/./b/../c//" -> "/a/c"; relative paths are taken from `cwd`. Purely lexical, like
// std::filesystem::path::lexically_normal, so ".." after a symlink is not resolved through it.
std::string NormalAbsolute(std::string_view path, std::string_view cwd) {
  std::vector<std::string_view> parts;
  auto add = [&parts](std::string_view p) {
    while (!p.empty()) {
      const size_t slash = p.find('/');
      const std::string_view part = p.substr(0, slash);
      p.remove_prefix(slash == std::string_view::npos ? p.size() : slash + 1);
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
        continue;
      }
      parts.push_back(part);
    }
  };
  if (path.empty() || path.front() != '/') add(cwd);
  add(path);
  std::string out;
  for (std::string_view p : parts) absl::StrAppend(&out, "/", absl::string_view(p.data(), p.size()));
  return out.empty() ? "/" : out;
}

std::string_view Basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string FormatBytes(uint64_t n) {
  struct Unit {
    int shift;
    const char* name;
  };
  for (Unit u : {Unit{30, "GiB"}, Unit{20, "MiB"}, Unit{10, "KiB"}}) {
    const uint64_t one = uint64_t{1} << u.shift;
    if (n >= one) {
      if (n % one == 0) return absl::StrCat(n >> u.shift, " ", u.name);
      return absl::StrFormat("%.1f %s", static_cast<double>(n) / static_cast<double>(one), u.name);
    }
  }
  return absl::StrCat(n, n == 1 ? " byte" : " bytes");
}

std::string TooLarge(uint64_t size, uint64_t limit) {
  std::string a = FormatBytes(size);
  std::string b = FormatBytes(limit);
  if (a == b) {  // rounding hid the difference: say it in bytes
    a = absl::StrCat(size, " bytes");
    b = absl::StrCat(limit, " bytes");
  }
  return absl::StrCat("too large (", a, " > ", b, ")");
}

std::string ErrnoReason(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return "permission denied";
    case ELOOP:
      return "symlink loop";
    case ENOENT:
      return "vanished during the walk";
    case EMFILE:
    case ENFILE:
      return "too many open files (directory tree too deep?)";
    default:
      return std::strerror(err);
  }
}

std::string NotRegularReason(mode_t mode) {
  const char* what = "unknown file type";
  if (S_ISFIFO(mode)) what = "FIFO";
  else if (S_ISSOCK(mode)) what = "socket";
  else if (S_ISCHR(mode)) what = "character device";
  else if (S_ISBLK(mode)) what = "block device";
  return absl::StrCat("not a regular file (", what, ")");
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator==(const DevIno& o) const { return dev == o.dev && ino == o.ino; }
  template <typename H>
  friend H AbslHashValue(H h, const DevIno& d) {
    return H::combine(std::move(h), d.dev, d.ino);
  }
};

// Reads a whole small file relative to `dirfd`; nullopt with errno set on failure.
std::optional<std::string> ReadAllAt(int dirfd, const char* name) {
  const int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[16384];
  while (true) {
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      errno = err;
      return std::nullopt;
    }
    if (got == 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  close(fd);
  return out;
}

class Walker {
 public:
  Walker(const WalkOptions& options, std::vector<GlobPattern> include,
         std::vector<GlobPattern> exclude, const std::function<void(const WalkedFile&)>& on_file,
         const std::function<void(const SkippedPath&)>& on_skip)
      : options_(options),
        include_(std::move(include)),
        exclude_(std::move(exclude)),
        on_file_(on_file),
        on_skip_(on_skip) {
    euid_ = geteuid();
    const int n = getgroups(0, nullptr);
    if (n > 0) {
      groups_.resize(static_cast<size_t>(n));
      groups_.resize(static_cast<size_t>(std::max(0, getgroups(n, groups_.data()))));
    }
    groups_.push_back(getegid());
  }

  void ExplicitFile(const std::string& abs, const struct stat& st) {
    if (faccessat(AT_FDCWD, abs.c_str(), R_OK, AT_EACCESS) != 0) {
      Skip(abs, ErrnoReason(errno));
      return;
    }
    const std::string_view base = Basename(abs);
    Report(abs, base, st);
  }

  void Root(const std::string& abs) {
    const int fd = open(abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      Skip(abs, ErrnoReason(errno));
      return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      Skip(abs, ErrnoReason(errno));
      close(fd);
      return;
    }
    abs_ = abs;
    base_rel_.clear();
    IgnoreFile seed;
    if (options_.use_ignore_files) LoadAncestorRules(abs, &seed);
    root_prefix_ = base_rel_.empty() ? 0 : base_rel_.size() + 1;
    dir_stack_.push_back({st.st_dev, st.st_ino});
    WalkDir(fd, /*included_by_parent=*/false, /*depth=*/0, std::move(seed));
    dir_stack_.pop_back();
    while (!ignores_.empty()) ignores_.Pop();
  }

 private:
  struct Entry {
    uint32_t offset;
    uint32_t length;
    unsigned char type;
  };
  struct Level {  // reused per depth so directories do not allocate once warmed up
    std::string names;
    std::vector<Entry> entries;
  };

  void Skip(std::string_view path, std::string reason) {
    skipped_.path.assign(path.data(), path.size());
    skipped_.reason = std::move(reason);
    on_skip_(skipped_);
  }

  void Report(std::string_view abs, std::string_view rel, const struct stat& st) {
    if (!seen_files_.insert({st.st_dev, st.st_ino}).second) return;  // reached before
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size > options_.max_file_bytes) {
      Skip(abs, TooLarge(size, options_.max_file_bytes));
      return;
    }
    file_.path.assign(abs.data(), abs.size());
    file_.relative_path.assign(rel.data(), rel.size());
    file_.size = size;
    file_.mtime_ns = MtimeNs(st);
    on_file_(file_);
  }

  bool ModeSaysReadable(const struct stat& st) const {
    if (euid_ == 0) return true;
    if (st.st_uid == euid_) return (st.st_mode & S_IRUSR) != 0;
    if (std::find(groups_.begin(), groups_.end(), st.st_gid) != groups_.end()) {
      return (st.st_mode & S_IRGRP) != 0;
    }
    return (st.st_mode & S_IROTH) != 0;
  }

  // The walked root's ancestors up to the git repository root hold ignore files too. Pushes
  // their frames, sets base_rel_ to the root's path below the repository root, and puts
  // .git/info/exclude into `seed` when the root is the repository root itself.
  void LoadAncestorRules(const std::string& abs, IgnoreFile* seed) {
    std::string dir = abs;
    std::vector<std::string> chain;  // abs, parent, ..., repository root
    bool found = false;
    while (true) {
      chain.push_back(dir);
      struct stat st;
      if (lstat(absl::StrCat(dir == "/" ? "" : dir, "/.git").c_str(), &st) == 0) {
        found = true;
        break;
      }
      if (dir == "/") break;
      const size_t slash = dir.rfind('/');
      dir = slash == 0 ? "/" : dir.substr(0, slash);
    }
    if (!found) return;
    const std::string& repo = chain.back();
    std::vector<std::string> problems;
    IgnoreFile exclude;
    if (std::optional<std::string> text =
            ReadAllAt(AT_FDCWD, absl::StrCat(repo == "/" ? "" : repo, "/.git/info/exclude").c_str())) {
      exclude.AddRules(*text, ".git/info/exclude", &problems);
      ReportProblems(absl::StrCat(repo == "/" ? "" : repo, "/.git/info/exclude"), &problems);
    }
    if (chain.size() == 1) {
      *seed = std::move(exclude);
      return;
    }
    const size_t repo_len = repo == "/" ? 0 : repo.size();
    base_rel_ = abs.substr(repo_len + 1);
    // Outermost first: the repository root, then each directory down to (not including) abs.
    for (size_t k = chain.size(); k-- > 1;) {
      const std::string& d = chain[k];
      IgnoreFile rules = k + 1 == chain.size() ? std::move(exclude) : IgnoreFile();
      const int fd = open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) {
        for (std::string_view name : kIgnoreFileNames) {
          if (std::optional<std::string> text = ReadAllAt(fd, std::string(name).c_str())) {
            rules.AddRules(*text, name, &problems);
            ReportProblems(absl::StrCat(d == "/" ? "" : d, "/", std::string(name)), &problems);
          }
        }
        close(fd);
      }
      const size_t prefix = d.size() <= repo_len + 1 ? 0 : d.size() - repo_len;
      if (!rules.empty()) ignores_.Push(prefix, std::move(rules));
    }
  }

  void ReportProblems(std::string_view file, std::vector<std::string>* problems) {
    for (const std::string& p : *problems) Skip(file, absl::StrCat("ignore rule left out: ", p));
    problems->clear();
  }

  bool Excluded(std::string_view rel, bool is_dir) const {
    for (const GlobPattern& g : exclude_) {
      if (g.Matches(rel, is_dir)) return true;
    }
    return false;
  }
  bool IncludeMatches(std::string_view rel, bool is_dir) const {
    for (const GlobPattern& g : include_) {
      if (g.Matches(rel, is_dir)) return true;
    }
    return false;
  }
  // Whether a non-directory at the current path is filtered out (not reported at all).
  bool FileFiltered(bool included_by_parent) const {
    const std::string_view rel = std::string_view(base_rel_).substr(root_prefix_);
    if (options_.use_ignore_files && ignores_.IsIgnored(base_rel_, false)) return true;
    if (Excluded(rel, false)) return true;
    return !include_.empty() && !included_by_parent && !IncludeMatches(rel, false);
  }

  // Walks the directory open at `fd` (abs_ / base_rel_ name it) and closes `fd`.
  void WalkDir(int fd, bool included_by_parent, size_t depth, IgnoreFile seed) {
    DIR* dir = fdopendir(fd);
    if (dir == nullptr) {
      Skip(abs_, ErrnoReason(errno));
      close(fd);
      return;
    }
    if (levels_.size() <= depth) levels_.resize(depth + 1);
    // levels_ may grow during recursion: refer to this level by index, never by reference.
    {
      Level& level = levels_[depth];
      level.names.clear();
      level.entries.clear();
      errno = 0;
      while (const dirent* e = readdir(dir)) {
        const std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        level.entries.push_back({static_cast<uint32_t>(level.names.size()),
                                 static_cast<uint32_t>(name.size()), e->d_type});
        level.names.append(name);
      }
      if (errno != 0) Skip(abs_, absl::StrCat("listing stopped early: ", ErrnoReason(errno)));
      const std::string& names = level.names;
      std::sort(level.entries.begin(), level.entries.end(),
                [&names](const Entry& a, const Entry& b) {
                  return std::string_view(names).substr(a.offset, a.length) <
                         std::string_view(names).substr(b.offset, b.length);
                });
    }

    bool pushed = false;
    if (options_.use_ignore_files) {
      IgnoreFile rules = std::move(seed);
      std::vector<std::string> problems;
      for (std::string_view ignore_name : kIgnoreFileNames) {
        if (!HasEntry(depth, ignore_name)) continue;
        const std::string name(ignore_name);
        const size_t mark = PushName(name);
        if (std::optional<std::string> text = ReadAllAt(fd, name.c_str())) {
          rules.AddRules(*text, name, &problems);
          ReportProblems(abs_, &problems);
        } else {
          Skip(abs_, absl::StrCat("ignore file not read: ", ErrnoReason(errno)));
        }
        PopName(mark);
      }
      if (!rules.empty()) {
        ignores_.Push(base_rel_.empty() ? 0 : base_rel_.size() + 1, std::move(rules));
        pushed = true;
      }
    }

    const size_t count = levels_[depth].entries.size();
    std::string name;
    for (size_t i = 0; i < count; ++i) {
      const Entry e = levels_[depth].entries[i];
      name.assign(levels_[depth].names, e.offset, e.length);
      if (std::find(std::begin(kAlwaysSkipped), std::end(kAlwaysSkipped), name) !=
          std::end(kAlwaysSkipped)) {
        continue;
      }
      if (name[0] == '.' && !options_.include_hidden) continue;
      const size_t mark = PushName(name);
      VisitEntry(fd, name, e.type, included_by_parent, depth);
      PopName(mark);
    }

    if (pushed) ignores_.Pop();
    closedir(dir);
  }

  bool HasEntry(size_t depth, std::string_view name) const {
    const Level& level = levels_[depth];
    auto it = std::lower_bound(level.entries.begin(), level.entries.end(), name,
                               [&level](const Entry& a, std::string_view n) {
                                 return std::string_view(level.names).substr(a.offset, a.length) < n;
                               });
    return it != level.entries.end() &&
           std::string_view(level.names).substr(it->offset, it->length) == name;
  }

  // Appends `name` to abs_ and base_rel_; returns the marks PopName restores.
  size_t PushName(std::string_view name) {
    const size_t mark = (abs_.size() << 32) | base_rel_.size();
    if (abs_.back() != '/') abs_ += '/';
    abs_.append(name.data(), name.size());
    if (!base_rel_.empty()) base_rel_ += '/';
    base_rel_.append(name.data(), name.size());
    return mark;
  }
  void PopName(size_t mark) {
    abs_.resize(mark >> 32);
    base_rel_.resize(mark & 0xFFFFFFFFu);
  }

  void VisitEntry(int dirfd, const std::string& name, unsigned char type, bool included_by_parent,
                  size_t depth) {
    struct stat st;
    bool have_stat = false;
    if (type == DT_UNKNOWN) {
      if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        Skip(abs_, ErrnoReason(errno));
        return;
      }
      have_stat = true;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG
             : S_ISLNK(st.st_mode) ? DT_LNK : DT_FIFO;  // DT_FIFO: "some other kind"
    }
    bool via_link = false;
    if (type == DT_LNK) {
      if (!options_.follow_symlinks) {
        if (!FileFiltered(included_by_parent)) Skip(abs_, "symbolic link (not followed)");
        return;
      }
      via_link = true;
      if (fstatat(dirfd, name.c_str(), &st, 0) != 0) {
        const int err = errno;
        if (FileFiltered(included_by_parent)) return;
        Skip(abs_, err == ENOENT ? "broken symbolic link" : ErrnoReason(err));
        return;
      }
      have_stat = true;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_FIFO;
    }

    if (type == DT_DIR) {
      const std::string_view rel = std::string_view(base_rel_).substr(root_prefix_);
      if (options_.use_ignore_files && ignores_.IsIgnored(base_rel_, true)) return;
      if (Excluded(rel, true)) return;
      const bool included = included_by_parent || (!include_.empty() && IncludeMatches(rel, true));
      const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (via_link ? 0 : O_NOFOLLOW);
      const int child = openat(dirfd, name.c_str(), flags);
      if (child < 0) {
        Skip(abs_, ErrnoReason(errno));
        return;
      }
      struct stat dst;
      if (fstat(child, &dst) != 0) {
        Skip(abs_, ErrnoReason(errno));
        close(child);
        return;
      }
      const DevIno id{dst.st_dev, dst.st_ino};
      if (std::find(dir_stack_.begin(), dir_stack_.end(), id) != dir_stack_.end()) {
        Skip(abs_, via_link ? "symlink loop" : "directory loop (a bind mount of an ancestor?)");
        close(child);
        return;
      }
      dir_stack_.push_back(id);
      WalkDir(child, included, depth + 1, IgnoreFile());
      dir_stack_.pop_back();
      return;
    }

    if (FileFiltered(included_by_parent)) return;
    if (!have_stat && fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      Skip(abs_, ErrnoReason(errno));
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      Skip(abs_, S_ISLNK(st.st_mode) ? "symbolic link (not followed)" : NotRegularReason(st.st_mode));
      return;
    }
    if (!ModeSaysReadable(st) && faccessat(dirfd, name.c_str(), R_OK, AT_EACCESS) != 0) {
      Skip(abs_, ErrnoReason(errno));
      return;
    }
    Report(abs_, std::string_view(base_rel_).substr(root_prefix_), st);
  }

  const WalkOptions& options_;
  const std::vector<GlobPattern> include_;
  const std::vector<GlobPattern> exclude_;
  const std::function<void(const WalkedFile&)>& on_file_;
  const std::function<void(const SkippedPath&)>& on_skip_;
  uid_t euid_;
  std::vector<gid_t> groups_;

  std::string abs_;       // absolute path of the entry being visited
  std::string base_rel_;  // the same path relative to the ignore base (repository root or root)
  size_t root_prefix_ = 0;  // base_rel_.substr(root_prefix_) is the path relative to the root
  IgnoreStack ignores_;
  std::vector<DevIno> dir_stack_;  // directories on the current path, for loop detection
  absl::flat_hash_set<DevIno> seen_files_;
  std::vector<Level> levels_;
  WalkedFile file_;
  SkippedPath skipped_;
};

absl::StatusOr<std::vector<GlobPattern>> ParseGlobs(const std::vector<std::string>& globs,
                                                    std::string_view what) {
  std::vector<GlobPattern> out;
  for (const std::string& g : globs) {
    absl::StatusOr<GlobPattern> p = GlobPattern::Parse(g);
    if (!p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), ": ", std::string(p.status().message())));
    }
    out.push_back(*std::move(p));
  }
  return out;
}

}  // namespace

absl::Status WalkPaths(const std::vector<std::string>& paths, const WalkOptions& options,
                       const std::function<void(const WalkedFile&)>& on_file,
                       const std::function<void(const SkippedPath&)>& on_skip) {
  absl::StatusOr<std::vector<GlobPattern>> include = ParseGlobs(options.include, "include");
  if (!include.ok()) return include.status();
  absl::StatusOr<std::vector<GlobPattern>> exclude = ParseGlobs(options.exclude, "exclude");
  if (!exclude.ok()) return exclude.status();

  std::string cwd;
  if (std::any_of(paths.begin(), paths.end(),
                  [](const std::string& p) { return p.empty() || p[0] != '/'; })) {
    char buf[4096];
    if (getcwd(buf, sizeof buf) == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot resolve relative paths: working directory: ", std::strerror(errno)));
    }
    cwd = buf;
  }

  // Everything is checked before anything is reported.
  struct Named {
    std::string abs;
    struct stat st;
    int error;  // errno of stat, 0 when it worked
  };
  std::vector<Named> named;
  for (const std::string& p : paths) {
    Named n{NormalAbsolute(p, cwd), {}, 0};
    if (p.empty()) return absl::NotFoundError("path \"\" does not exist");
    if (stat(n.abs.c_str(), &n.st) != 0) {
      n.error = errno;
      if (n.error == ENOENT || n.error == ENOTDIR) {
        struct stat lst;
        const bool dangling = lstat(n.abs.c_str(), &lst) == 0;
        return absl::NotFoundError(absl::StrCat(
            "path \"", p, "\" does not exist", dangling ? " (broken symbolic link)" : ""));
      }
    }
    named.push_back(std::move(n));
  }

  Walker walker(options, *std::move(include), *std::move(exclude), on_file, on_skip);
  for (const Named& n : named) {
    if (n.error != 0) {
      on_skip({n.abs, ErrnoReason(n.error)});
    } else if (S_ISDIR(n.st.st_mode)) {
      walker.Root(n.abs);
    } else if (S_ISREG(n.st.st_mode)) {
      walker.ExplicitFile(n.abs, n.st);
    } else {
      on_skip({n.abs, NotRegularReason(n.st.st_mode)});
    }
  }
  return absl::OkStatus();
}

}  // namespace lateral::ingest
