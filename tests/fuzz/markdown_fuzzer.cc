// Arbitrary bytes as a Markdown file: extraction must succeed or fail cleanly; when it succeeds
// the text is valid UTF-8, and for input that is already clean UTF-8 (no BOM, no CR) it has
// exactly the input's lines, none of them longer than the input's (markup is only removed).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/formats/extract.h"
#include "ingest/text/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  lateral::ingest::ExtractOptions options;
  auto docs = lateral::ingest::ExtractDocuments(lateral::ingest::Format::kMarkdown, bytes,
                                                options, "fuzz.md");
  if (!docs.ok()) return 0;
  if (docs->size() != 1) std::abort();
  const std::string& text = (*docs)[0].text;
  if (lateral::ingest::FirstInvalidUtf8Byte(text) != text.size()) std::abort();
  bool clean = lateral::ingest::FirstInvalidUtf8Byte(bytes) == bytes.size() &&
               bytes.find('\r') == std::string_view::npos &&
               bytes.substr(0, 3) != "\xEF\xBB\xBF" &&
               lateral::ingest::ToNfc(bytes) == bytes;
  if (!clean) return 0;
  size_t in_pos = 0, out_pos = 0;
  while (true) {
    size_t in_end = bytes.find('\n', in_pos);
    size_t out_end = text.find('\n', out_pos);
    if ((in_end == std::string_view::npos) != (out_end == std::string::npos)) std::abort();
    size_t in_len = (in_end == std::string_view::npos ? bytes.size() : in_end) - in_pos;
    size_t out_len = (out_end == std::string::npos ? text.size() : out_end) - out_pos;
    if (out_len > in_len) std::abort();
    if (in_end == std::string_view::npos) break;
    in_pos = in_end + 1;
    out_pos = out_end + 1;
  }
  return 0;
}
