// PDF through poppler-cpp: the text of each page in reading order, pages separated by a line
// holding a form feed. poppler's diagnostics are silenced process-wide (its debug hook is a
// global), once, the first time a PDF is read.
#include <algorithm>
#include <climits>
#include <memory>
#include <mutex>
#include <string>

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ingest/formats/extractors.h"
#include "ingest/formats/line_endings.h"
#include "ingest/text/encoding.h"

namespace lateral::ingest::formats_internal {
namespace {

void IgnorePopplerMessage(const std::string& /*message*/, void* /*closure*/) {}

std::string ToUtf8(const poppler::ustring& text) {
  poppler::byte_array bytes = text.to_utf8();
  std::string_view raw(bytes.data(), bytes.size());
  // poppler can emit NULs and broken sequences from damaged font maps; keep only valid UTF-8
  // without NULs, so nothing downstream sees bytes it cannot handle.
  std::string out;
  out.reserve(raw.size());
  while (!raw.empty()) {
    size_t bad = FirstInvalidUtf8Byte(raw);
    out.append(raw.data(), bad);
    raw.remove_prefix(std::min(raw.size(), bad + 1));
  }
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  return out;
}

bool IsBlank(std::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

Documents ExtractPdf(std::string_view bytes, const ExtractOptions& /*options*/,
                     std::string_view source_name) {
  static std::once_flag silence_once;
  std::call_once(silence_once,
                 [] { poppler::set_debug_error_function(&IgnorePopplerMessage, nullptr); });
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source_name), ": PDF larger than 2 GiB is not supported"));
  }
  std::unique_ptr<poppler::document> pdf(poppler::document::load_from_raw_data(
      bytes.data(), static_cast<int>(bytes.size())));
  if (pdf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source_name), ": not a readable PDF (damaged, truncated or not a PDF)"));
  }
  if (pdf->is_locked()) {
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(source_name), ": PDF is encrypted and needs a password"));
  }
  ExtractedDocument doc;
  doc.source_lines = false;
  const int n_pages = pdf->pages();
  std::string text;
  bool any_text = false;
  for (int page_idx = 0; page_idx < n_pages; ++page_idx) {
    std::unique_ptr<poppler::page> page(pdf->create_page(page_idx));
    std::string page_text;
    if (page != nullptr) {
      page_text = NormalizeNewlines(ToUtf8(
          page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout)));
    }
    while (!page_text.empty() && absl::ascii_isspace(static_cast<unsigned char>(page_text.back()))) {
      page_text.pop_back();
    }
    // A form feed inside a page would look like a page break.
    std::replace(page_text.begin(), page_text.end(), '\f', '\n');
    any_text = any_text || !IsBlank(page_text);
    if (page_idx > 0) text += "\n\f\n";
    text += page_text;
  }
  if (any_text) doc.text = ToNfc(text);
  std::string title = ToUtf8(pdf->info_key("Title"));
  absl::StripAsciiWhitespace(&title);
  doc.title = title.empty() ? FileStem(source_name) : ToNfc(title);
  doc.metadata["pages"] = static_cast<double>(n_pages);
  std::vector<ExtractedDocument> docs;
  docs.push_back(std::move(doc));
  return docs;
}

}  // namespace lateral::ingest::formats_internal
