// Ignore files with git's semantics: IgnoreFile holds the rules of one directory, IgnoreStack the
// rules in force while the file walker descends.
//
// Rules come from ".gitignore", ".ignore" and ".lateralignore" (kIgnoreFileNames, lowest to
// highest precedence: a directory's files are concatenated in that order, so a .lateralignore
// line overrides a .gitignore line of the same directory). Each line is one GlobPattern scoped to
// the directory holding the file. Line syntax (man gitignore): blank lines and lines starting
// with '#' are skipped; a leading '!' negates (re-includes); "\#" and "\!" start a literal '#'
// or '!'; unescaped trailing spaces are dropped ("\ " keeps one); a trailing '/' means
// directories only; a UTF-8 BOM and CR line endings are tolerated. Within one directory the last
// matching rule wins; a deeper directory's verdict overrides its parents'. The walker never
// descends into an ignored directory, so a file below one stays ignored whatever a later '!'
// rule says -- as in git.
//
// Owned by the file walker (file_walker.cc); callable on its own for tests. Thread-compatible.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/walk/glob.h"

namespace lateral::ingest {

inline constexpr std::array<std::string_view, 3> kIgnoreFileNames = {".gitignore", ".ignore",
                                                                     ".lateralignore"};

class IgnoreFile {
 public:
  enum class Verdict { kNone, kIgnore, kKeep };

  // Appends the rules of one ignore file. A line whose pattern is malformed is left out and
  // described in `problems` as "<source_name>:<line>: <why>" (git skips such lines too; the
  // walker reports them through on_skip so none disappears silently).
  void AddRules(std::string_view contents, std::string_view source_name,
                std::vector<std::string>* problems);

  // Verdict of the last rule matching `path` (relative to this file's directory).
  Verdict Match(std::string_view path, bool is_directory) const;

  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    GlobPattern pattern;
    bool negated;
  };
  std::vector<Rule> rules_;
};

// The ignore files of the directories from the base (a git repository root, else the walked
// root) down to the directory being walked. Paths passed in are relative to the base.
class IgnoreStack {
 public:
  // `prefix_length`: length of the directory's own path within base-relative paths, trailing
  // '/' included (0 for the base itself). Directories must be pushed outermost first.
  void Push(size_t prefix_length, IgnoreFile rules);
  void Pop();
  bool empty() const { return frames_.empty(); }

  // True if the deepest directory with a matching rule says "ignore". Callers check every
  // directory on the way down (and prune ignored ones), so only `path` itself is tested here.
  bool IsIgnored(std::string_view base_relative_path, bool is_directory) const;

 private:
  struct Frame {
    size_t prefix_length;
    IgnoreFile rules;
  };
  std::vector<Frame> frames_;
};

}  // namespace lateral::ingest
