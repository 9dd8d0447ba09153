// Arbitrary bytes as a safetensors file: parsing must fail cleanly or yield
// views that lie inside the buffer and convert without reading past it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = lateral::SafetensorsFile::Parse(data, size, "fuzz.safetensors");
  if (!file.ok()) return 0;
  for (const std::string& name : file->Names()) {
    const lateral::TensorView* view = *file->Get(name);
    if (view->data < data || view->data + view->num_bytes > data + size) std::abort();
    if (view->num_bytes <= (1 << 20)) {
      (void)view->ToFloat();
      (void)view->ToInt64();
    }
  }
  return 0;
}
