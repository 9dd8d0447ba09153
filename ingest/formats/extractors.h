// Internal to ingest/formats: one extractor per format, dispatched by ExtractDocuments
// (extract.cc). Each follows the contract stated in extract.h.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/formats/extract.h"

namespace lateral::ingest::formats_internal {

using Documents = absl::StatusOr<std::vector<ExtractedDocument>>;

Documents ExtractText(std::string_view bytes, const ExtractOptions& options,
                      std::string_view source_name);
Documents ExtractMarkdown(std::string_view bytes, const ExtractOptions& options,
                          std::string_view source_name);
Documents ExtractHtml(std::string_view bytes, const ExtractOptions& options,
                      std::string_view source_name);
Documents ExtractJsonl(std::string_view bytes, const ExtractOptions& options,
                       std::string_view source_name);
Documents ExtractCsv(std::string_view bytes, const ExtractOptions& options,
                     std::string_view source_name);
Documents ExtractPdf(std::string_view bytes, const ExtractOptions& options,
                     std::string_view source_name);

}  // namespace lateral::ingest::formats_internal
