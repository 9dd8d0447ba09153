// Download progress on stderr for `lateral pull`.
//
// kBar (stderr is a terminal): one line redrawn in place, at most 10 times a
// second: done/total, MB/s, ETA and the current file. kLines (stderr is a file
// or pipe): one line when each file starts and finishes, and one every ~10 s
// during a long file, so logs stay readable. kQuiet: nothing. Owned by one
// pull on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace lateral::cli {

enum class ProgressMode { kAuto, kBar, kLines, kQuiet };

class Progress {
 public:
  // kAuto picks kBar when `out` is a terminal, kLines otherwise.
  Progress(ProgressMode mode, std::FILE* out = stderr);

  // The bytes still to transfer over all files (already cached files excluded).
  void Start(int64_t total_bytes, int files);
  // `already` bytes of the file exist from an interrupted download.
  void BeginFile(const std::string& name, int64_t size, int64_t already);
  // `file_bytes`: the file's size on disk now.
  void Update(int64_t file_bytes);
  void EndFile();
  void Finish();

 private:
  void Draw(bool force);
  void Line(const std::string& text);

  ProgressMode mode_;
  std::FILE* out_;
  int64_t total_ = 0;
  int64_t done_before_file_ = 0;  // bytes of finished files
  int64_t file_bytes_ = 0;
  int64_t file_size_ = 0;
  int64_t start_offset_ = 0;      // bytes of all files present when the transfer started (resumes)
  int files_ = 0;
  int file_index_ = 0;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  size_t last_width_ = 0;
};

}  // namespace lateral::cli
