// Arbitrary bytes as a PDF: poppler and our wrapper must fail cleanly or yield valid UTF-8 text
// and a page count.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/formats/extract.h"
#include "ingest/text/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto docs = lateral::ingest::ExtractDocuments(lateral::ingest::Format::kPdf, bytes, {},
                                                "fuzz.pdf");
  if (!docs.ok()) return 0;
  if (docs->size() != 1) std::abort();
  const auto& doc = (*docs)[0];
  if (lateral::ingest::FirstInvalidUtf8Byte(doc.text) != doc.text.size()) std::abort();
  if (doc.metadata.count("pages") != 1) std::abort();
  return 0;
}
