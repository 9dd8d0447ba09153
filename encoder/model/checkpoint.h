// The tensors of a checkpoint directory, single-file or sharded.
//
// Checkpoint owns the memory mappings of every safetensors shard
// (model.safetensors, or the files named by model.safetensors.index.json)
// and looks tensors up by name. Views it returns stay valid while it lives.
// It knows nothing about LFM2; the weight loader decides which names to ask for.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/safetensors.h"

namespace lateral {

class Checkpoint {
 public:
  // Opens DIR/model.safetensors, or DIR/model.safetensors.index.json and its shards.
  static absl::StatusOr<Checkpoint> OpenDirectory(const std::string& dir);
  // Opens one safetensors file.
  static absl::StatusOr<Checkpoint> OpenFile(const std::string& path);

  bool Contains(const std::string& name) const;
  // NotFound names the checkpoint and the tensor.
  absl::StatusOr<const TensorView*> Get(const std::string& name) const;
  std::vector<std::string> Names() const;
  const std::string& description() const { return description_; }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> tensors_;
  std::string description_;  // the directory or file, for messages
};

}  // namespace lateral
