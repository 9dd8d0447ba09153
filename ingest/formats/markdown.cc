// Markdown: plain text that keeps the file's lines (line i of the text is line i of the file,
// removed lines left empty), so that passages can cite line numbers. Block markup is removed per
// line (heading #'s, blockquote >'s, list bullets, fences, thematic breaks, setext underlines,
// table delimiter rows, link reference definitions, HTML comments); inline markup by
// CleanMarkdownInline. Fenced and indented code stay verbatim. YAML front matter is blanked and
// its simple `key: value` scalars become metadata ("title" becomes the title).
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "ingest/formats/extractors.h"
#include "ingest/formats/line_endings.h"
#include "ingest/formats/markdown_inline.h"
#include "ingest/formats/record_fields.h"
#include "ingest/text/encoding.h"

namespace lateral::ingest::formats_internal {
namespace {

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) { return TrimLeft(TrimRight(s)); }

bool IsBlank(std::string_view s) { return Trim(s).empty(); }

// Columns of leading indentation (a tab counts 4).
size_t IndentWidth(std::string_view s) {
  size_t width = 0;
  for (char c : s) {
    if (c == ' ') {
      ++width;
    } else if (c == '\t') {
      width += 4;
    } else {
      break;
    }
  }
  return width;
}

size_t RunLength(std::string_view s, char c) {
  size_t n = 0;
  while (n < s.size() && s[n] == c) ++n;
  return n;
}

// "***", "- - -", "___": three or more of one character, spaces allowed between.
bool IsThematicBreak(std::string_view s) {
  s = TrimRight(s);
  if (s.empty() || (s[0] != '*' && s[0] != '-' && s[0] != '_')) return false;
  size_t count = 0;
  for (char c : s) {
    if (c == s[0]) {
      ++count;
    } else if (c != ' ' && c != '\t') {
      return false;
    }
  }
  return count >= 3;
}

bool IsSetextUnderline(std::string_view s) {
  s = TrimRight(s);
  return !s.empty() && (s[0] == '=' || s[0] == '-') && RunLength(s, s[0]) == s.size();
}

// "|---|:--:|" or "--- | ---": only pipes, dashes, colons and spaces, with a dash and a pipe.
bool IsTableDelimiterRow(std::string_view s) {
  bool dash = false, pipe = false;
  for (char c : s) {
    if (c == '-') {
      dash = true;
    } else if (c == '|') {
      pipe = true;
    } else if (c != ':' && c != ' ' && c != '\t') {
      return false;
    }
  }
  return dash && pipe;
}

// "[label]: destination" (not a footnote "[^1]: text", which is content).
bool IsReferenceDefinition(std::string_view s) {
  if (s.size() < 4 || s[0] != '[' || s[1] == '^') return false;
  size_t close = s.find("]:");
  if (close == std::string_view::npos || close < 2) return false;
  if (s.substr(1, close - 1).find_first_of("[]") != std::string_view::npos) return false;
  return !IsBlank(s.substr(close + 2));
}

// Strips a list bullet ("- ", "* ", "+ ", with an optional task box "[ ] "); numbered items
// keep their number. Returns whether `s` was a list item.
bool StripListMarker(std::string_view& s) {
  if (s.size() >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && (s[1] == ' ' || s[1] == '\t')) {
    s = TrimLeft(s.substr(2));
    if (s.size() >= 3 && s[0] == '[' && (s[1] == ' ' || s[1] == 'x' || s[1] == 'X') && s[2] == ']') {
      s = TrimLeft(s.substr(3));
    }
    return true;
  }
  size_t digits = 0;
  while (digits < s.size() && digits < 9 && absl::ascii_isdigit(static_cast<unsigned char>(s[digits]))) {
    ++digits;
  }
  return digits > 0 && digits + 1 < s.size() && (s[digits] == '.' || s[digits] == ')') &&
         (s[digits + 1] == ' ' || s[digits + 1] == '\t');
}

// A YAML scalar as written after "key:" -> its value; nullopt for anything but a plain or
// quoted scalar on one line (lists, maps, block scalars, anchors, tags).
std::optional<MetadataValue> FrontMatterValue(std::string_view raw) {
  std::string_view value = Trim(raw);
  if (value.empty()) return std::nullopt;
  if (value[0] == '"' || value[0] == '\'') {
    char quote = value[0];
    if (value.size() < 2 || value.back() != quote) return std::nullopt;
    std::string_view inner = value.substr(1, value.size() - 2);
    std::string out;
    for (size_t i = 0; i < inner.size(); ++i) {
      if (quote == '\'' && inner[i] == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
      } else if (quote == '"' && inner[i] == '\\' && i + 1 < inner.size()) {
        char e = inner[++i];
        out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else {
        out.push_back(inner[i]);
      }
    }
    return MetadataValue(std::move(out));
  }
  if (std::string_view("[{|>&*!%@`").find(value[0]) != std::string_view::npos) return std::nullopt;
  size_t comment = value.find(" #");
  if (comment != std::string_view::npos) value = TrimRight(value.substr(0, comment));
  if (std::optional<double> number = ParsePlainNumber(value)) return MetadataValue(*number);
  return MetadataValue(std::string(value));
}

struct FrontMatter {
  size_t n_lines = 0;  // lines taken, including both fences; 0 when there is none
  std::string title;
  std::map<std::string, MetadataValue> metadata;
};

FrontMatter ReadFrontMatter(const std::vector<std::string_view>& lines) {
  FrontMatter front;
  if (lines.empty() || TrimRight(lines[0]) != "---") return front;
  size_t close = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = TrimRight(lines[i]);
    if (line == "---" || line == "...") {
      close = i;
      break;
    }
  }
  if (close == 0) return front;
  front.n_lines = close + 1;
  for (size_t i = 1; i < close; ++i) {
    std::string_view line = lines[i];
    if (line.empty() || line[0] == ' ' || line[0] == '\t' || line[0] == '#' || line[0] == '-') {
      continue;  // nested values, list entries and comments are not simple scalars
    }
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string key(Trim(line.substr(0, colon)));
    if (key.empty() || key.find_first_of("\"'[]{}") != std::string::npos) continue;
    std::optional<MetadataValue> value = FrontMatterValue(line.substr(colon + 2));
    if (!value.has_value()) continue;
    if (key == "title") {
      if (const std::string* title = std::get_if<std::string>(&*value)) {
        front.title = std::string(Trim(*title));
      } else {
        front.title = std::string(Trim(line.substr(colon + 2)));
      }
      continue;
    }
    front.metadata[key] = std::move(*value);
  }
  return front;
}

enum class Block { kBlank, kParagraph, kHeading, kCode, kOther };

}  // namespace

Documents ExtractMarkdown(std::string_view bytes, const ExtractOptions& options,
                          std::string_view source_name) {
  LATERAL_ASSIGN_OR_RETURN(DecodedText decoded,
                           DecodeToUtf8(bytes, options.encoding, source_name));
  const std::string text = ToNfc(NormalizeNewlines(decoded.utf8));
  std::vector<std::string_view> lines;
  for (size_t start = 0;;) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(std::string_view(text).substr(start));
      break;
    }
    lines.push_back(std::string_view(text).substr(start, end - start));
    start = end + 1;
  }

  ExtractedDocument doc;
  FrontMatter front = ReadFrontMatter(lines);
  doc.metadata = std::move(front.metadata);
  std::vector<std::string> out(lines.size());
  std::string first_heading;
  bool have_heading = false;
  auto note_heading = [&](const std::string& heading) {
    if (!have_heading && !heading.empty()) {
      first_heading = heading;
      have_heading = true;
    }
  };

  Block prev = Block::kBlank;
  bool in_list = false;
  bool in_fence = false;
  char fence_char = 0;
  size_t fence_len = 0;
  bool in_comment = false;
  for (size_t i = front.n_lines; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (in_fence) {
      std::string_view s = TrimLeft(line);
      while (!s.empty() && s[0] == '>') s = TrimLeft(s.substr(1));
      if (RunLength(s, fence_char) >= fence_len && IsBlank(s.substr(RunLength(s, fence_char)))) {
        in_fence = false;
        prev = Block::kBlank;
      } else {
        out[i] = std::string(line);
        prev = Block::kCode;
      }
      continue;
    }
    if (in_comment) {
      size_t end = line.find("-->");
      if (end == std::string_view::npos) continue;
      in_comment = false;
      line = line.substr(end + 3);
      if (IsBlank(line)) continue;
    }
    if (IsBlank(line)) {
      prev = Block::kBlank;
      continue;
    }
    size_t indent = IndentWidth(line);
    if (indent >= 4 && !in_list && (prev == Block::kBlank || prev == Block::kCode)) {
      out[i] = std::string(TrimRight(line));  // indented code: verbatim
      prev = Block::kCode;
      continue;
    }
    std::string_view s = TrimLeft(line);
    while (!s.empty() && s[0] == '>') s = TrimLeft(s.substr(1));
    if (IsBlank(s)) {
      prev = Block::kBlank;
      continue;
    }
    size_t fence = RunLength(s, s[0]);
    if ((s[0] == '`' || s[0] == '~') && fence >= 3 &&
        (s[0] == '~' || s.substr(fence).find('`') == std::string_view::npos)) {
      in_fence = true;
      fence_char = s[0];
      fence_len = fence;
      prev = Block::kCode;
      continue;
    }
    if (absl::StartsWith(absl::string_view(s.data(), s.size()), "<!--") &&
        s.find("-->", 4) == std::string_view::npos) {
      in_comment = true;
      continue;
    }
    if (prev == Block::kParagraph && IsSetextUnderline(s) && indent < 4) {
      note_heading(out[i - 1]);  // the line above is a heading
      prev = Block::kHeading;
      continue;
    }
    if (IsThematicBreak(s)) {
      prev = Block::kOther;
      continue;
    }
    size_t hashes = RunLength(s, '#');
    if (hashes >= 1 && hashes <= 6 && (hashes == s.size() || s[hashes] == ' ' || s[hashes] == '\t')) {
      std::string_view content = TrimRight(s.substr(hashes));
      size_t closing = content.size();
      while (closing > 0 && content[closing - 1] == '#') --closing;
      if (closing == 0 || content[closing - 1] == ' ' || content[closing - 1] == '\t') {
        content = content.substr(0, closing);
      }
      out[i] = std::string(Trim(CleanMarkdownInline(Trim(content))));
      note_heading(out[i]);
      prev = Block::kHeading;
      in_list = false;
      continue;
    }
    if (IsReferenceDefinition(s) || IsTableDelimiterRow(s)) {
      prev = Block::kOther;
      continue;
    }
    if (StripListMarker(s)) {
      in_list = true;
    } else if (indent == 0 && prev != Block::kParagraph) {
      in_list = false;
    }
    if (s.size() >= 2 && s[0] == '|') {  // table row: the outer pipes are layout
      s = s.substr(1);
      std::string_view trimmed = TrimRight(s);
      if (!trimmed.empty() && trimmed.back() == '|' &&
          (trimmed.size() < 2 || trimmed[trimmed.size() - 2] != '\\')) {
        s = trimmed.substr(0, trimmed.size() - 1);
      }
      s = TrimLeft(s);
    }
    out[i] = CleanMarkdownInline(s);
    prev = Block::kParagraph;
  }

  size_t total = lines.size() - 1;  // newlines between lines
  for (const std::string& line : out) total += line.size();
  doc.text.reserve(total);
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) doc.text.push_back('\n');
    doc.text += out[i];
  }
  // Character references may have produced sequences that are not NFC.
  doc.text = ToNfc(doc.text);
  if (!front.title.empty()) {
    doc.title = front.title;
  } else if (have_heading) {
    doc.title = ToNfc(first_heading);
  } else {
    doc.title = FileStem(source_name);
  }
  std::vector<ExtractedDocument> docs;
  docs.push_back(std::move(doc));
  return docs;
}

}  // namespace lateral::ingest::formats_internal
