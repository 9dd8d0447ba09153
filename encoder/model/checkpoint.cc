#include "encoder/model/checkpoint.h"

#include <sys/stat.h>

#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace lateral {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

absl::StatusOr<Checkpoint> Checkpoint::OpenFile(const std::string& path) {
  Checkpoint ckpt;
  ckpt.description_ = path;
  LATERAL_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open(path));
  ckpt.files_.push_back(std::make_unique<SafetensorsFile>(std::move(file)));
  for (const std::string& name : ckpt.files_.back()->Names()) {
    ckpt.tensors_[name] = *ckpt.files_.back()->Get(name);
  }
  return ckpt;
}

absl::StatusOr<Checkpoint> Checkpoint::OpenDirectory(const std::string& dir) {
  const std::string single = absl::StrCat(dir, "/model.safetensors");
  const std::string index_path = absl::StrCat(dir, "/model.safetensors.index.json");
  if (FileExists(single)) {
    LATERAL_ASSIGN_OR_RETURN(Checkpoint ckpt, OpenFile(single));
    ckpt.description_ = dir;
    return ckpt;
  }
  if (!FileExists(index_path)) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": no model.safetensors or model.safetensors.index.json (is this a model directory?)"));
  }
  LATERAL_ASSIGN_OR_RETURN(Json index, ReadJsonFile(index_path));
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(index_path, ": field \"weight_map\" must be an object of tensor -> file"));
  }
  Checkpoint ckpt;
  ckpt.description_ = dir;
  std::map<std::string, SafetensorsFile*> shards;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(index_path, ": weight_map entry \"", it.key(),
                                                     "\" is not a file name"));
    }
    std::string shard = it.value().get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..") {
      return absl::InvalidArgumentError(absl::StrCat(index_path, ": weight_map entry \"", it.key(),
                                                     "\" names \"", shard,
                                                     "\", which is not a file in the directory"));
    }
    auto found = shards.find(shard);
    if (found == shards.end()) {
      LATERAL_ASSIGN_OR_RETURN(SafetensorsFile file,
                               SafetensorsFile::Open(absl::StrCat(dir, "/", shard)));
      ckpt.files_.push_back(std::make_unique<SafetensorsFile>(std::move(file)));
      found = shards.emplace(shard, ckpt.files_.back().get()).first;
    }
    absl::StatusOr<const TensorView*> view = found->second->Get(it.key());
    if (!view.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(index_path, ": tensor \"", it.key(),
                                                     "\" is mapped to ", shard,
                                                     ", which does not contain it"));
    }
    ckpt.tensors_[it.key()] = *view;
  }
  return ckpt;
}

bool Checkpoint::Contains(const std::string& name) const { return tensors_.count(name) > 0; }

absl::StatusOr<const TensorView*> Checkpoint::Get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(absl::StrCat(description_, ": checkpoint has no tensor \"", name, "\""));
  }
  return it->second;
}

std::vector<std::string> Checkpoint::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, view] : tensors_) names.push_back(name);
  return names;
}

}  // namespace lateral
