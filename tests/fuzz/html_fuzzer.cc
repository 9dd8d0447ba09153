// Arbitrary bytes as an HTML page: extraction must succeed or fail cleanly (never crash, hang or
// print), and a successful text and title are valid UTF-8 with no leading or trailing blank.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/formats/extract.h"
#include "ingest/text/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto docs = lateral::ingest::ExtractDocuments(lateral::ingest::Format::kHtml, bytes, {},
                                                "fuzz.html");
  if (!docs.ok()) return 0;
  if (docs->size() != 1) std::abort();
  const lateral::ingest::ExtractedDocument& doc = (*docs)[0];
  if (lateral::ingest::FirstInvalidUtf8Byte(doc.text) != doc.text.size()) std::abort();
  if (lateral::ingest::FirstInvalidUtf8Byte(doc.title) != doc.title.size()) std::abort();
  if (!doc.text.empty() && (doc.text.back() == '\n' || doc.text.front() == '\n')) std::abort();
  return 0;
}
