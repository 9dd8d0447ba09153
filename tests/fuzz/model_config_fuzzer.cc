// Arbitrary bytes as config.json: parsing must fail with a status or produce
// a config whose fields are consistent enough to size a model.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/json.h"
#include "encoder/model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = lateral::ParseJson(absl::string_view(text.data(), text.size()), "config.json");
  if (!json.ok()) return 0;
  auto config = lateral::ParseModelConfig(*json, "config.json");
  if (!config.ok()) return 0;
  if (static_cast<int>(config->layer_kinds.size()) != config->num_layers) std::abort();
  if (config->num_heads % config->num_kv_heads != 0 || config->head_dim <= 0) std::abort();
  return 0;
}
