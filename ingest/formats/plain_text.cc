// Plain text (.txt .text .log .rst): the decoded file, newlines normalised, in NFC.
#include "common/status_macros.h"
#include "ingest/formats/extractors.h"
#include "ingest/formats/line_endings.h"
#include "ingest/text/encoding.h"

namespace lateral::ingest::formats_internal {

Documents ExtractText(std::string_view bytes, const ExtractOptions& options,
                      std::string_view source_name) {
  LATERAL_ASSIGN_OR_RETURN(DecodedText decoded,
                           DecodeToUtf8(bytes, options.encoding, source_name));
  ExtractedDocument doc;
  doc.title = FileStem(source_name);
  doc.text = ToNfc(NormalizeNewlines(decoded.utf8));
  std::vector<ExtractedDocument> docs;
  docs.push_back(std::move(doc));
  return docs;
}

}  // namespace lateral::ingest::formats_internal
