// Helpers shared by lateral's tests: fixture paths and float comparisons.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/safetensors.h"
#include "gtest/gtest.h"

namespace lateral::testing {

// Paths under tests/data; absolute paths pass through unchanged.
inline std::string TestDataPath(const std::string& relative) {
  if (!relative.empty() && relative[0] == '/') return relative;
  return absl::StrCat(LATERAL_TEST_DATA_DIR, "/", relative);
}

// Largest |a - b|, and that difference relative to max |b|.
struct Difference {
  double max_abs = 0;
  double relative_to_max = 0;
};

inline Difference Compare(const float* actual, const float* expected, size_t n) {
  Difference d;
  double max_expected = 0;
  for (size_t i = 0; i < n; ++i) {
    d.max_abs = std::max(d.max_abs, std::fabs(static_cast<double>(actual[i]) - expected[i]));
    max_expected = std::max(max_expected, std::fabs(static_cast<double>(expected[i])));
    if (std::isnan(actual[i]) != std::isnan(expected[i])) d.max_abs = INFINITY;
  }
  d.relative_to_max = max_expected > 0 ? d.max_abs / max_expected : d.max_abs;
  return d;
}

// The criterion: within `tolerance` absolutely, or relative to the tensor's max.
inline ::testing::AssertionResult AllClose(const std::vector<float>& actual,
                                           const std::vector<float>& expected, double tolerance) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  }
  Difference d = Compare(actual.data(), expected.data(), actual.size());
  if (d.max_abs <= tolerance || d.relative_to_max <= tolerance) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "max abs difference " << d.max_abs
                                       << ", relative to max " << d.relative_to_max
                                       << ", tolerance " << tolerance;
}

// Reads one tensor of a fixture file as floats (or ints for *_ids tensors).
class Fixture {
 public:
  explicit Fixture(const std::string& relative_path) {
    auto file = SafetensorsFile::Open(TestDataPath(relative_path));
    if (!file.ok()) {
      ADD_FAILURE() << file.status();
      return;
    }
    file_ = std::make_unique<SafetensorsFile>(std::move(*file));
  }
  bool Has(const std::string& name) const { return file_ && file_->Contains(name); }
  std::vector<float> Floats(const std::string& name) const {
    auto view = file_->Get(name);
    EXPECT_TRUE(view.ok()) << view.status();
    if (!view.ok()) return {};
    auto values = (*view)->ToFloat();
    EXPECT_TRUE(values.ok()) << values.status();
    return values.ok() ? *values : std::vector<float>();
  }
  std::vector<int32_t> Ints(const std::string& name) const {
    auto view = file_->Get(name);
    EXPECT_TRUE(view.ok()) << view.status();
    if (!view.ok()) return {};
    auto values = (*view)->ToInt64();
    EXPECT_TRUE(values.ok()) << values.status();
    return values.ok() ? std::vector<int32_t>(values->begin(), values->end()) : std::vector<int32_t>();
  }
  std::vector<int64_t> Shape(const std::string& name) const {
    auto view = file_->Get(name);
    return view.ok() ? (*view)->shape : std::vector<int64_t>();
  }

 private:
  std::unique_ptr<SafetensorsFile> file_;
};

}  // namespace lateral::testing
