// Loading checkpoints: layouts the hub ships, and files that lie.
#include "encoder/model/checkpoint.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/mapped_file.h"
#include "encoder/model/lfm2_model.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

namespace fs = std::filesystem;
using testing::TestDataPath;

class TempModelDir {
 public:
  explicit TempModelDir(const std::string& source) {
    path_ = fs::temp_directory_path() / ("lateral-ckpt-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter_++));
    fs::create_directories(path_);
    for (const auto& entry : fs::directory_iterator(TestDataPath(source))) {
      if (entry.is_regular_file()) fs::copy_file(fs::canonical(entry.path()), path_ / entry.path().filename());
    }
  }
  ~TempModelDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

std::string ReadAll(const std::string& path) { return *ReadFileToString(path); }
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void ExpectLoadFails(const std::string& dir, const std::vector<std::string>& mentions) {
  auto model = Lfm2Model::Load(dir);
  ASSERT_FALSE(model.ok());
  for (const std::string& m : mentions) {
    EXPECT_NE(model.status().message().find(m), std::string::npos)
        << "\"" << model.status().message() << "\" should mention \"" << m << "\"";
  }
}

TEST(CheckpointTest, ShardedCheckpointResolvesEveryTensor) {
  auto ckpt = Checkpoint::OpenDirectory(TestDataPath("lfm2-check"));
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_TRUE(ckpt->Contains("lm_head.weight"));
  EXPECT_TRUE(ckpt->Contains("model.layers.0.conv.conv.bias"));
  auto missing = ckpt->Get("model.layers.99.ffn_norm.weight");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("layers.99"), std::string::npos);
}

TEST(CheckpointTest, Float32WeightsAreBorrowedNotCopied) {
  auto model = Lfm2Model::Load(TestDataPath("lfm2moe-check"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE((*model)->weights().embed_tokens.borrowed());
  EXPECT_TRUE((*model)->weights().layers[0].ffn.w1.borrowed());
}

TEST(CheckpointTest, TruncatedFileIsRefused) {
  TempModelDir dir("lfm2-tiny");
  std::string bytes = ReadAll(dir.file("model.safetensors"));
  WriteAll(dir.file("model.safetensors"), bytes.substr(0, bytes.size() - 1000));
  ExpectLoadFails(dir.path(), {"model.safetensors", "truncated"});
  WriteAll(dir.file("model.safetensors"), bytes.substr(0, 5));
  ExpectLoadFails(dir.path(), {"model.safetensors", "too short"});
  WriteAll(dir.file("model.safetensors"), bytes.substr(0, 200));
  ExpectLoadFails(dir.path(), {"model.safetensors"});
}

TEST(CheckpointTest, HeaderThatLiesAboutSizesIsRefused) {
  TempModelDir dir("lfm2-tiny");
  std::string bytes = ReadAll(dir.file("model.safetensors"));
  // Claim a header longer than the file.
  std::string lie = bytes;
  lie[6] = 0x7f;
  WriteAll(dir.file("model.safetensors"), lie);
  ExpectLoadFails(dir.path(), {"header length"});
  // Change one shape so that it no longer matches its byte range.
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  std::string header = bytes.substr(8, n);
  size_t at = header.find("[64,1,3]");
  if (at == std::string::npos) at = header.find("[64, 1, 3]");
  ASSERT_NE(at, std::string::npos) << header.substr(0, 300);
  std::string lied = header;
  lied.replace(at, 8, "[64,1,4]");
  WriteAll(dir.file("model.safetensors"), bytes.substr(0, 8) + lied + bytes.substr(8 + n));
  ExpectLoadFails(dir.path(), {"conv.conv.weight", "bytes"});
  // Point a tensor past the end of the data.
  std::string past = header;
  size_t offsets = past.find("\"data_offsets\":[");
  ASSERT_NE(offsets, std::string::npos);
  past.replace(offsets, 16, "\"data_offsets\":[9");
  WriteAll(dir.file("model.safetensors"), bytes.substr(0, 8) + past + bytes.substr(8 + n));
  ExpectLoadFails(dir.path(), {"model.safetensors"});
}

TEST(CheckpointTest, MissingAndMisshapenTensorsAreNamed) {
  TempModelDir dir("lfm2-tiny");
  // A config claiming a wider FFN than the weights have.
  std::string config = ReadAll(dir.file("config.json"));
  std::string wide = config;
  size_t at = wide.find("\"intermediate_size\": 256");
  ASSERT_NE(at, std::string::npos);
  wide.replace(at, 24, "\"intermediate_size\": 512");
  WriteAll(dir.file("config.json"), wide);
  ExpectLoadFails(dir.path(), {"feed_forward.w1.weight", "shape", "[192, 64]"});
  // A config with more layers than the checkpoint.
  std::string deeper = config;
  at = deeper.find("\"num_hidden_layers\": 6");
  ASSERT_NE(at, std::string::npos);
  deeper.replace(at, 22, "\"num_hidden_layers\": 7");
  size_t lt = deeper.find("\"layer_types\": [");
  ASSERT_NE(lt, std::string::npos);
  size_t close = deeper.find(']', lt);
  deeper.insert(close, ", \"conv\"");
  WriteAll(dir.file("config.json"), deeper);
  ExpectLoadFails(dir.path(), {"model.layers.6"});
}

TEST(CheckpointTest, BadJsonAndUnknownModelTypeAreNamed) {
  TempModelDir dir("lfm2-tiny");
  WriteAll(dir.file("config.json"), "{\"model_type\": \"lfm2\", ");
  ExpectLoadFails(dir.path(), {"config.json"});
  WriteAll(dir.file("config.json"), R"({"model_type": "gpt2"})");
  ExpectLoadFails(dir.path(), {"config.json", "gpt2"});
  fs::remove(dir.file("config.json"));
  ExpectLoadFails(dir.path(), {"config.json"});
}

TEST(CheckpointTest, MissingWeightsFileIsNamed) {
  TempModelDir dir("lfm2-tiny");
  fs::remove(dir.file("model.safetensors"));
  ExpectLoadFails(dir.path(), {"model.safetensors"});
}

TEST(CheckpointTest, ShardIndexPointingOutsideDirectoryIsRefused) {
  TempModelDir dir("lfm2-check");
  WriteAll(dir.file("model.safetensors.index.json"),
           R"({"weight_map": {"model.embed_tokens.weight": "../../etc/passwd"}})");
  ExpectLoadFails(dir.path(), {"model.safetensors.index.json", "not a file in the directory"});
}

}  // namespace
}  // namespace lateral
