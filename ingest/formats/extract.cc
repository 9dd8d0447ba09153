#include "ingest/formats/extract.h"

#include <climits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ingest/formats/extractors.h"

namespace lateral::ingest {

absl::StatusOr<std::vector<ExtractedDocument>> ExtractDocuments(Format format,
                                                                 std::string_view bytes,
                                                                 const ExtractOptions& options,
                                                                 std::string_view source_name) {
  using namespace formats_internal;  // NOLINT: the six extractors
  // libxml2 and poppler take int sizes, and 32-bit positions keep per-line tables small.
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source_name), ": files over 2 GiB are not supported"));
  }
  switch (format) {
    case Format::kText: return ExtractText(bytes, options, source_name);
    case Format::kMarkdown: return ExtractMarkdown(bytes, options, source_name);
    case Format::kHtml: return ExtractHtml(bytes, options, source_name);
    case Format::kJsonl: return ExtractJsonl(bytes, options, source_name);
    case Format::kCsv: return ExtractCsv(bytes, options, source_name);
    case Format::kPdf: return ExtractPdf(bytes, options, source_name);
  }
  return ExtractText(bytes, options, source_name);
}

}  // namespace lateral::ingest
