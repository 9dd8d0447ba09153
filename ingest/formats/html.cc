// HTML through libxml2's forgiving HTML parser: visible text with block structure as line
// breaks, the <title>, and <html lang>.
//
// libxml2 sees UTF-8 only (decoded by DecodeToUtf8 from the BOM, the caller's encoding or the
// page's <meta charset>) and is told to ignore the page's own encoding hints. Its diagnostics go
// to per-thread handlers that are swapped for no-ops during the parse. The page is read through
// SAX callbacks, so no tree is built and nesting depth costs neither stack nor tree memory.
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "ingest/formats/extractors.h"
#include "ingest/formats/html_encoding.h"
#include "ingest/formats/line_endings.h"
#include "ingest/text/encoding.h"

namespace lateral::ingest::formats_internal {
namespace {

void IgnoreGenericError(void* /*ctx*/, const char* /*msg*/, ...) {}
void IgnoreStructuredError(void* /*ctx*/, xmlErrorPtr /*error*/) {}

// libxml2's error handlers are per-thread globals: replace them for the duration of a parse
// and put back whatever the thread had.
class ScopedSilentLibxml {
 public:
  ScopedSilentLibxml()
      : generic_(xmlGenericError),
        generic_context_(xmlGenericErrorContext),
        structured_(xmlStructuredError),
        structured_context_(xmlStructuredErrorContext) {
    xmlSetGenericErrorFunc(nullptr, &IgnoreGenericError);
    xmlSetStructuredErrorFunc(nullptr, &IgnoreStructuredError);
  }
  ~ScopedSilentLibxml() {
    xmlSetGenericErrorFunc(generic_context_, generic_);
    xmlSetStructuredErrorFunc(structured_context_, structured_);
  }
  ScopedSilentLibxml(const ScopedSilentLibxml&) = delete;
  ScopedSilentLibxml& operator=(const ScopedSilentLibxml&) = delete;

 private:
  xmlGenericErrorFunc generic_;
  void* generic_context_;
  xmlStructuredErrorFunc structured_;
  void* structured_context_;
};

enum class Role { kInline, kSkip, kHead, kLine, kParagraph, kLineBreak, kCell, kPre };

bool NameIs(const char* element, const char* name) { return std::strcmp(element, name) == 0; }

Role RoleOf(const char* node) {
  static constexpr const char* kSkip[] = {"script", "style", "noscript", "template", "svg",
                                          "iframe", "object", "embed", "canvas", "math",
                                          "nav", "select", "button"};
  static constexpr const char* kParagraph[] = {
      "p",       "h1",     "h2",     "h3",   "h4",     "h5",      "h6",     "blockquote",
      "table",   "ul",     "ol",     "dl",   "hr",     "section", "article", "aside",
      "header",  "footer", "main",   "figure", "address", "details", "fieldset"};
  static constexpr const char* kLine[] = {
      "div",     "li",     "dt",     "dd",   "tr",     "caption", "figcaption", "summary",
      "legend",  "option", "center", "hgroup", "form", "dialog", "menu",  "body",
      "html",    "title",  "label",  "textarea"};
  if (NameIs(node, "head")) return Role::kHead;
  if (NameIs(node, "br")) return Role::kLineBreak;
  if (NameIs(node, "td") || NameIs(node, "th")) return Role::kCell;
  if (NameIs(node, "pre") || NameIs(node, "listing") || NameIs(node, "xmp")) return Role::kPre;
  for (const char* name : kSkip) {
    if (NameIs(node, name)) return Role::kSkip;
  }
  for (const char* name : kParagraph) {
    if (NameIs(node, name)) return Role::kParagraph;
  }
  for (const char* name : kLine) {
    if (NameIs(node, name)) return Role::kLine;
  }
  return Role::kInline;
}

bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Builds the visible text: breaks are requested by blocks and written lazily before the next
// text, so empty elements leave no blank lines and the text never starts or ends with one.
class TextBuilder {
 public:
  void RequestBreak(int newlines) { pending_breaks_ = std::max(pending_breaks_, newlines); }
  void LineBreak() { pending_breaks_ = std::min(2, pending_breaks_ + 1); }
  void RequestSpace() { pending_space_ = true; }

  void AddCollapsed(std::string_view text) {
    for (char c : text) {
      if (IsHtmlSpace(c)) {
        pending_space_ = true;
        continue;
      }
      Flush();
      out_.push_back(c);
    }
  }

  void AddPreformatted(std::string_view text) {
    if (text.empty()) return;
    Flush();
    out_ += NormalizeNewlines(text);
  }

  // The text without leading blank lines (preformatted text can start with some) or trailing
  // whitespace.
  std::string Finish() {
    while (!out_.empty() && IsHtmlSpace(out_.back())) out_.pop_back();
    size_t blank = 0;
    for (size_t i = 0; i < out_.size() && IsHtmlSpace(out_[i]); ++i) {
      if (out_[i] == '\n') blank = i + 1;
    }
    out_.erase(0, blank);
    return std::move(out_);
  }

 private:
  void Flush() {
    if (!out_.empty()) {
      if (pending_breaks_ > 0) {
        while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\t')) out_.pop_back();
        size_t have = 0;  // newlines already at the end (from preformatted text)
        while (have < 2 && have < out_.size() && out_[out_.size() - 1 - have] == '\n') ++have;
        for (int k = static_cast<int>(have); k < pending_breaks_; ++k) out_.push_back('\n');
      } else if (pending_space_ && out_.back() != '\n' && out_.back() != ' ') {
        out_.push_back(' ');
      }
    }
    pending_breaks_ = 0;
    pending_space_ = false;
  }

  std::string out_;
  int pending_breaks_ = 0;
  bool pending_space_ = false;
};

// Receives libxml2's SAX events (elements are always closed in order: the parser closes
// implied and unclosed ones itself) and keeps only what extraction needs, so memory stays
// proportional to the text, not to a tree of the whole page.
class PageCollector {
 public:
  void Start(const char* name, const xmlChar** attributes) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return;
    }
    if (!saw_root_) {
      saw_root_ = true;
      if (NameIs(name, "html")) ReadLang(attributes);
    }
    if (NameIs(name, "title") && !title_done_) ++title_depth_;
    if (NameIs(name, "h1") && !h1_done_ && head_depth_ == 0) ++h1_depth_;
    switch (RoleOf(name)) {
      case Role::kSkip: skip_depth_ = 1; break;
      case Role::kHead: ++head_depth_; break;
      case Role::kLineBreak: body_.LineBreak(); break;
      case Role::kCell: body_.RequestSpace(); break;
      case Role::kPre: ++pre_depth_; body_.RequestBreak(2); break;
      case Role::kParagraph: body_.RequestBreak(2); break;
      case Role::kLine: body_.RequestBreak(1); break;
      case Role::kInline: break;
    }
  }

  void End(const char* name) {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return;
    }
    if (title_depth_ > 0 && NameIs(name, "title") && --title_depth_ == 0) title_done_ = true;
    if (h1_depth_ > 0 && NameIs(name, "h1") && --h1_depth_ == 0) h1_done_ = true;
    switch (RoleOf(name)) {
      case Role::kHead: head_depth_ = std::max(0, head_depth_ - 1); break;
      case Role::kCell: body_.RequestSpace(); break;
      case Role::kPre: pre_depth_ = std::max(0, pre_depth_ - 1); body_.RequestBreak(2); break;
      case Role::kParagraph: body_.RequestBreak(2); break;
      case Role::kLine: body_.RequestBreak(1); break;
      default: break;
    }
  }

  void Text(std::string_view text) {
    if (skip_depth_ > 0) return;
    if (title_depth_ > 0) title_.AddCollapsed(text);
    if (h1_depth_ > 0) h1_.AddCollapsed(text);
    if (head_depth_ > 0) return;
    if (pre_depth_ > 0) {
      body_.AddPreformatted(text);
    } else {
      body_.AddCollapsed(text);
    }
  }

  std::string TakeText() { return body_.Finish(); }
  std::string TakeTitle() { return title_.Finish(); }
  std::string TakeFirstH1() { return h1_.Finish(); }
  const std::string& lang() const { return lang_; }

 private:
  void ReadLang(const xmlChar** attributes) {
    for (int i = 0; attributes != nullptr && attributes[i] != nullptr; i += 2) {
      const char* name = reinterpret_cast<const char*>(attributes[i]);
      const char* value = reinterpret_cast<const char*>(attributes[i + 1]);
      if (value != nullptr && absl::EqualsIgnoreCase(name, "lang")) {
        lang_ = std::string(absl::StripAsciiWhitespace(value));
      }
    }
  }

  TextBuilder body_, title_, h1_;
  int skip_depth_ = 0, head_depth_ = 0, pre_depth_ = 0, title_depth_ = 0, h1_depth_ = 0;
  bool title_done_ = false, h1_done_ = false, saw_root_ = false;
  std::string lang_;
};

void OnStartElement(void* context, const xmlChar* name, const xmlChar** attributes) {
  auto* ctxt = static_cast<htmlParserCtxtPtr>(context);
  static_cast<PageCollector*>(ctxt->_private)
      ->Start(reinterpret_cast<const char*>(name), attributes);
}

void OnEndElement(void* context, const xmlChar* name) {
  auto* ctxt = static_cast<htmlParserCtxtPtr>(context);
  static_cast<PageCollector*>(ctxt->_private)->End(reinterpret_cast<const char*>(name));
}

void OnCharacters(void* context, const xmlChar* text, int length) {
  auto* ctxt = static_cast<htmlParserCtxtPtr>(context);
  static_cast<PageCollector*>(ctxt->_private)
      ->Text(std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(length)));
}

struct PageText {
  std::string text;
  std::string title;
  std::string first_h1;
};

struct ParserDeleter {
  void operator()(htmlParserCtxt* ctxt) const { htmlFreeParserCtxt(ctxt); }
};

}  // namespace

Documents ExtractHtml(std::string_view bytes, const ExtractOptions& options,
                      std::string_view source_name) {
  static std::once_flag init_once;
  std::call_once(init_once, [] { xmlInitParser(); });

  std::string declared = options.encoding;
  const bool sniffed = declared.empty();
  if (sniffed) declared = SniffHtmlMetaCharset(bytes);
  absl::StatusOr<DecodedText> decoded = DecodeToUtf8(bytes, declared, source_name);
  if (!decoded.ok() && sniffed && !declared.empty()) {
    // A page that names a charset ICU does not know: fall back to BOM/UTF-8/detection, and
    // report the original error if that fails too.
    absl::StatusOr<DecodedText> retry = DecodeToUtf8(bytes, "", source_name);
    if (retry.ok()) decoded = std::move(retry);
  }
  if (!decoded.ok()) return decoded.status();
  const std::string& utf8 = decoded->utf8;
  if (utf8.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source_name), ": HTML larger than 2 GiB is not supported"));
  }

  ExtractedDocument doc;
  doc.source_lines = false;
  PageCollector page;
  {
    ScopedSilentLibxml silent;
    std::unique_ptr<htmlParserCtxt, ParserDeleter> ctxt(htmlNewParserCtxt());
    if (ctxt == nullptr || ctxt->sax == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat(std::string(source_name), ": cannot allocate an HTML parser"));
    }
    // SAX callbacks only: no tree is built. The parser passes itself as the callbacks'
    // context (userData defaults to the context), and _private carries the collector.
    std::memset(ctxt->sax, 0, sizeof(htmlSAXHandler));
    ctxt->sax->startElement = &OnStartElement;
    ctxt->sax->endElement = &OnEndElement;
    ctxt->sax->characters = &OnCharacters;
    ctxt->sax->cdataBlock = &OnCharacters;
    ctxt->_private = &page;
    // HUGE lifts libxml2's nesting limit of 256, which would otherwise silently end the text
    // there; depth costs no stack in the HTML parser or here.
    xmlDoc* tree = htmlCtxtReadMemory(
        ctxt.get(), utf8.data(), static_cast<int>(utf8.size()), /*URL=*/nullptr, "UTF-8",
        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
            HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE);
    if (tree != nullptr) xmlFreeDoc(tree);  // none is built; defensive
  }
  if (!page.lang().empty()) doc.metadata["lang"] = page.lang();
  PageText text{page.TakeText(), page.TakeTitle(), page.TakeFirstH1()};
  doc.text = ToNfc(text.text);
  if (!text.title.empty()) {
    doc.title = ToNfc(text.title);
  } else if (!text.first_h1.empty()) {
    doc.title = ToNfc(text.first_h1);
  } else {
    doc.title = FileStem(source_name);
  }
  std::vector<ExtractedDocument> docs;
  docs.push_back(std::move(doc));
  return docs;
}

}  // namespace lateral::ingest::formats_internal
