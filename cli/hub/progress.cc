#include "cli/hub/progress.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lateral::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string Megabytes(int64_t bytes) { return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / 1e6); }

std::string Duration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  int s = static_cast<int>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%02d:%02d", s / 60, s % 60);
}

}  // namespace

Progress::Progress(ProgressMode mode, std::FILE* out) : mode_(mode), out_(out) {
  if (mode_ == ProgressMode::kAuto) mode_ = isatty(fileno(out_)) ? ProgressMode::kBar : ProgressMode::kLines;
}

void Progress::Start(int64_t total_bytes, int files) {
  total_ = total_bytes;
  files_ = files;
  start_ = last_draw_ = Clock::now();
  if (mode_ == ProgressMode::kLines && files > 0) {
    Line(absl::StrCat("downloading ", files, files == 1 ? " file, " : " files, ", Megabytes(total_bytes)));
  }
}

void Progress::BeginFile(const std::string& name, int64_t size, int64_t already) {
  name_ = name;
  file_size_ = size;
  file_bytes_ = already;
  start_offset_ += already;
  ++file_index_;
  if (mode_ == ProgressMode::kLines) {
    Line(absl::StrCat("[", file_index_, "/", files_, "] ", name, " (", Megabytes(size),
                      already > 0 ? absl::StrCat(", resuming at ", Megabytes(already)) : "", ")"));
  }
  Draw(true);
}

void Progress::Update(int64_t file_bytes) {
  file_bytes_ = file_bytes;
  Draw(false);
}

void Progress::EndFile() {
  done_before_file_ += file_size_;
  file_bytes_ = 0;
  file_size_ = 0;
  Draw(true);
}

void Progress::Finish() {
  if (mode_ == ProgressMode::kBar && last_width_ > 0) {
    std::fputs("\n", out_);
    std::fflush(out_);
  } else if (mode_ == ProgressMode::kLines && files_ > 0) {
    double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    Line(absl::StrCat("done: ", Megabytes(total_), " in ", Duration(seconds)));
  }
}

void Progress::Draw(bool force) {
  if (mode_ == ProgressMode::kQuiet) return;
  const Clock::time_point now = Clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  const double interval = mode_ == ProgressMode::kBar ? 0.1 : 10.0;
  if (mode_ == ProgressMode::kLines && force) return;  // Begin/End lines are printed by the callers
  if (!force && since_draw < interval) return;
  last_draw_ = now;
  const int64_t done = std::min(total_, done_before_file_ + file_bytes_);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0.2 ? static_cast<double>(std::max<int64_t>(0, done - start_offset_)) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : -1;
  if (mode_ == ProgressMode::kLines) {
    Line(absl::StrFormat("  %s: %s / %s of this file, %s / %s in all, %.1f MB/s, ETA %s", name_,
                         Megabytes(file_bytes_), Megabytes(file_size_), Megabytes(done), Megabytes(total_), rate / 1e6,
                         Duration(eta)));
    return;
  }
  const int width = 24;
  const int filled = total_ > 0 ? static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total_)) : 0;
  std::string bar = std::string(filled, '#') + std::string(width - filled, '-');
  std::string text = absl::StrFormat("[%s] %s / %s  %.1f MB/s  ETA %s  %s", bar, Megabytes(done), Megabytes(total_),
                                     rate / 1e6, Duration(eta), name_);
  const size_t width_now = text.size();
  if (text.size() < last_width_) text.append(last_width_ - text.size(), ' ');  // erase a longer previous line
  last_width_ = width_now;
  std::fprintf(out_, "\r%s", text.c_str());
  std::fflush(out_);
}

void Progress::Line(const std::string& text) {
  if (mode_ == ProgressMode::kQuiet) return;
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace lateral::cli
