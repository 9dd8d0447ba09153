// Arbitrary bytes as a record file; the first byte picks CSV, TSV or JSON Lines and whether all
// fields become metadata. Extraction must succeed or fail cleanly; records come out with unique
// keys, increasing first lines and valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "ingest/formats/extract.h"
#include "ingest/text/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using lateral::ingest::Format;
  const uint8_t selector = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  static constexpr const char* kNames[] = {"fuzz.csv", "fuzz.tsv", "fuzz.jsonl"};
  const int kind = selector % 3;
  lateral::ingest::ExtractOptions options;
  if (selector & 4) options.fields.metadata_fields = {"*"};
  if (selector & 8) options.fields.metadata_fields.push_back("m");
  auto docs = lateral::ingest::ExtractDocuments(kind == 2 ? Format::kJsonl : Format::kCsv, bytes,
                                                options, kNames[kind]);
  if (!docs.ok()) return 0;
  std::set<std::string> keys;
  int last_line = 0;
  for (const auto& doc : *docs) {
    if (!keys.insert(doc.key).second || doc.key.empty()) std::abort();
    if (doc.first_line <= last_line) std::abort();
    last_line = doc.first_line;
    if (lateral::ingest::FirstInvalidUtf8Byte(doc.text) != doc.text.size()) std::abort();
  }
  return 0;
}
