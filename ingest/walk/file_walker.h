// WalkPaths: turns the PATH... arguments of `lateral add` into a deterministic stream of regular
// files, the way ripgrep and git choose files.
//
// Called by the ingest pipeline; owns nothing beyond the call (file descriptors are closed before
// it returns). Guarantees:
//   - Every path is checked first: one that does not exist fails the call with NotFound naming
//     it, before any callback runs. Relative paths are resolved against the working directory;
//     reported paths are absolute and lexically normal (no ".", "..", "//").
//   - An explicitly named file is always taken (ignore rules and include/exclude globs do not
//     apply, as in ripgrep); only max_file_bytes does. A named symlink is followed.
//   - Directories are walked recursively, entries in byte-wise sorted order, so two runs over
//     the same tree report the same sequence. ".git", ".hg", ".svn" and ".lateral" are always
//     skipped; other names starting with '.' unless include_hidden. A named directory is walked
//     even if an ignore rule or glob would exclude it (its contents are filtered normally).
//   - Ignore files (see ignore_rules.h) are read in every directory walked and, when the root
//     lies inside a git repository (an ancestor holding ".git"), in the directories from the
//     repository root down to it, plus ".git/info/exclude". .gitignore is honoured outside git
//     repositories too. A malformed ignore line is reported through on_skip
//     ("<file>:<line>" / "ignore rule left out: ...") and the rest of the file applies.
//   - include/exclude globs (glob.h) match paths relative to the walked root. A file is taken
//     if no include is given, or an include matches it or one of its parent directories; an
//     exclude matching the file or a directory (which is then not entered) wins over includes.
//   - Symlinks are reported as skipped unless follow_symlinks; when followed, a link back to a
//     directory on the current path is reported as "symlink loop" and not entered.
//   - A file (same device and inode) is reported at most once per call -- to on_file, or to
//     on_skip when too large -- under the first path it was reached by: overlapping roots,
//     symlinks and hard links do not duplicate it.
//   - Unreadable directories and files, sockets, FIFOs, devices, broken links and files larger
//     than max_file_bytes go to on_skip with a reason; they never fail the call. Empty files are
//     reported as files.
//   - Ignored and excluded entries are not reported at all (that is what ignoring means).
// Cost: one readdir pass and one fstatat per entry, descriptors opened with openat relative to
// the parent directory's; the WalkedFile passed to on_file is reused between calls, so copy what
// you keep.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace lateral::ingest {

struct WalkOptions {
  std::vector<std::string> include;  // globs; empty = all files
  std::vector<std::string> exclude;  // globs; win over include, prune directories
  bool use_ignore_files = true;
  bool include_hidden = false;
  bool follow_symlinks = false;
  uint64_t max_file_bytes = uint64_t{256} << 20;
};

struct WalkedFile {
  std::string path;           // absolute, lexically normal
  std::string relative_path;  // to the root it was found under; the file name for a named file
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

struct SkippedPath {
  std::string path;
  std::string reason;  // "too large (312 MiB > 256 MiB)", "permission denied", "symlink loop", ...
};

// Malformed include/exclude globs fail the call with InvalidArgument (before any callback).
absl::Status WalkPaths(const std::vector<std::string>& paths, const WalkOptions& options,
                       const std::function<void(const WalkedFile&)>& on_file,
                       const std::function<void(const SkippedPath&)>& on_skip);

}  // namespace lateral::ingest
