#include "common/safetensors.h"

#include <random>

#include "common/numeric_formats.h"
#include "gtest/gtest.h"

namespace lateral {
namespace {

absl::StatusOr<SafetensorsFile> ParseBytes(const std::string& bytes) {
  return SafetensorsFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.safetensors");
}

TEST(SafetensorsTest, WriterOutputReadsBack) {
  SafetensorsWriter writer;
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 5.0f, 6.0f};
  std::vector<int32_t> ids = {7, 8, 9};
  std::vector<uint16_t> half = {FloatToBf16(0.5f), FloatToBf16(-3.0f)};
  writer.AddF32("a", {2, 3}, a.data());
  writer.AddI32("ids", {3}, ids.data());
  writer.AddBf16("half", {2}, half.data());
  writer.SetMetadata("format", "pt");
  std::string bytes = writer.Serialize();
  EXPECT_EQ((bytes.size() - 8 - 6 * 4 - 3 * 4 - 2 * 2) % 8, 0u) << "header padded to 8 bytes";
  auto file = ParseBytes(bytes);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->Names(), (std::vector<std::string>{"a", "half", "ids"}));
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ((*file->Get("a"))->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(*(*file->Get("a"))->ToFloat(), a);
  EXPECT_EQ(*(*file->Get("half"))->ToFloat(), (std::vector<float>{0.5f, -3.0f}));
  EXPECT_EQ(*(*file->Get("ids"))->ToInt64(), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_FALSE((*file->Get("ids"))->ToFloat().ok());
  EXPECT_FALSE(file->Get("nope").ok());
}

TEST(SafetensorsTest, HalfFloatConversionsAreExact) {
  EXPECT_EQ(F16ToFloat(0x3c00), 1.0f);
  EXPECT_EQ(F16ToFloat(0xc000), -2.0f);
  EXPECT_EQ(F16ToFloat(0x0001), 5.960464477539063e-08f);  // smallest subnormal
  EXPECT_EQ(F16ToFloat(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(F16ToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(F16ToFloat(0x7e00)));
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.0f)), 1.0f);
  // round to nearest even: 1 + 2^-8 is halfway between two bf16 values
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.00390625f)), 1.0f);
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.01171875f)), 1.015625f);
}

TEST(SafetensorsTest, RejectsLiesWithClearMessages) {
  auto expect_error = [](const std::string& bytes, const std::string& mention) {
    auto file = ParseBytes(bytes);
    ASSERT_FALSE(file.ok()) << mention;
    EXPECT_NE(file.status().message().find(mention), std::string::npos) << file.status();
    EXPECT_NE(file.status().message().find("test.safetensors"), std::string::npos) << file.status();
  };
  auto with_header = [](const std::string& header, size_t payload) {
    std::string out(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + header + std::string(payload, '\0');
  };
  expect_error("abc", "too short");
  expect_error(with_header("{}", 0).substr(0, 9), "runs past the end");
  expect_error(with_header("{not json", 0), "test.safetensors");
  expect_error(with_header("[]", 0), "not a JSON object");
  expect_error(with_header(R"({"t": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}})", 1), "unknown dtype");
  expect_error(with_header(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 8), "needs 8");
  expect_error(with_header(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 4), "truncated");
  expect_error(with_header(R"({"t": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", 8), "non-negative");
  expect_error(with_header(R"({"t": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 8]}})", 8),
               "overflow");
  expect_error(with_header(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8), "begin > end");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                               "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12), "overlap");
  expect_error(with_header(R"({"t": {"dtype": "F32", "shape": [1]}})", 4), "data_offsets");
  expect_error(with_header(R"({"t": {"shape": [1], "data_offsets": [0, 4]}})", 4), "dtype");
}

// Random corruption of a valid file never crashes and never yields a view
// outside the buffer.
TEST(SafetensorsTest, RandomCorruptionIsHandled) {
  SafetensorsWriter writer;
  std::vector<float> a(64, 1.0f);
  writer.AddF32("weight", {8, 8}, a.data());
  writer.AddF32("bias", {8}, a.data());
  const std::string good = writer.Serialize();
  std::mt19937 rng(42);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string bytes = good;
    const int flips = 1 + rng() % 4;
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    auto file = ParseBytes(bytes);
    if (!file.ok()) continue;
    for (const std::string& name : file->Names()) {
      const TensorView* v = *file->Get(name);
      const uint8_t* begin = reinterpret_cast<const uint8_t*>(bytes.data());
      ASSERT_GE(v->data, begin);
      ASSERT_LE(v->data + v->num_bytes, begin + bytes.size());
    }
  }
}

}  // namespace
}  // namespace lateral
