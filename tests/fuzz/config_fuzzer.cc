// libFuzzer target: the collection config parser (cli/collection/config.h) on
// arbitrary text. Every input either parses into schema-checked entries that
// ApplyConfig accepts or rejects with a message naming the source, or fails
// with a message naming the source -- never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cli/collection/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<lateral::cli::ConfigEntries> entries = lateral::cli::ParseConfig(text, "fuzz.toml");
  if (!entries.ok()) {
    if (std::string(entries.status().message()).rfind("fuzz.toml:", 0) != 0) std::abort();
    return 0;
  }
  lateral::cli::Settings settings;
  absl::Status applied = lateral::cli::ApplyConfig(*entries, settings);
  if (!applied.ok() && std::string(applied.message()).find("fuzz.toml:") == std::string::npos) std::abort();
  return 0;
}
