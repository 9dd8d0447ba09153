#include "ingest/text/encoding.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "encoder/tokenizer/utf8.h"

namespace lateral::ingest {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// 1 + the number of '\n' in `text` ("\r\n" counts once; a lone "\r" is not a line break).
size_t LineOf(std::string_view text) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

struct DetectorCloser {
  void operator()(UCharsetDetector* d) const { ucsdet_close(d); }
};

// The name users know (MIME, else IANA, else ICU's own) for an ICU converter name.
std::string StandardName(const char* icu_name) {
  UErrorCode status = U_ZERO_ERROR;
  const char* name = ucnv_getStandardName(icu_name, "MIME", &status);
  if (name == nullptr || U_FAILURE(status)) {
    status = U_ZERO_ERROR;
    name = ucnv_getStandardName(icu_name, "IANA", &status);
  }
  if (name == nullptr || U_FAILURE(status)) name = icu_name;
  return name;
}

absl::StatusOr<ConverterPtr> OpenConverter(std::string_view encoding, std::string_view source) {
  std::string name(encoding);
  UErrorCode status = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(name.c_str(), &status));
  // ICU answers an unknown name with U_FILE_ACCESS_ERROR (no such converter data).
  if (U_FAILURE(status) || conv == nullptr || name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(source), ": unknown encoding \"", name,
        "\" (expected a name such as UTF-8, windows-1252, Shift_JIS, GB18030, UTF-16LE)"));
  }
  status = U_ZERO_ERROR;
  ucnv_setToUCallBack(conv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  if (U_FAILURE(status)) {
    return absl::InternalError(absl::StrCat(Sv(source), ": cannot set up the \"", name,
                                            "\" converter: ", u_errorName(status)));
  }
  return conv;
}

std::string CanonicalName(UConverter* conv) {
  UErrorCode status = U_ZERO_ERROR;
  const char* icu_name = ucnv_getName(conv, &status);
  if (U_FAILURE(status) || icu_name == nullptr) return "unknown";
  return StandardName(icu_name);
}

// Converts `bytes` (which start `base_offset` bytes into the caller's input, after a BOM) with
// `conv`, whose to-Unicode callback is STOP. The first invalid or unmappable sequence is an error.
absl::StatusOr<std::string> Convert(UConverter* conv, std::string_view bytes, size_t base_offset,
                                    std::string_view encoding, std::string_view source) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  constexpr int kBufferSize = 1 << 14;
  std::unique_ptr<UChar[]> buffer(new UChar[kBufferSize]);
  const char* src = bytes.data();
  const char* const src_limit = bytes.data() + bytes.size();
  UChar pending_lead = 0;  // a lead surrogate whose trail is in the next buffer
  auto bad_utf16 = [&](size_t consumed) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(source), ": the ", Sv(encoding), " converter produced an unpaired surrogate near byte offset ",
        base_offset + consumed, ", line ", LineOf(out)));
  };
  ucnv_resetToUnicode(conv);
  while (true) {
    UChar* target = buffer.get();
    UErrorCode status = U_ZERO_ERROR;
    ucnv_toUnicode(conv, &target, buffer.get() + kBufferSize, &src, src_limit, nullptr,
                   /*flush=*/true, &status);
    const size_t consumed = static_cast<size_t>(src - bytes.data());
    for (const UChar* p = buffer.get(); p < target; ++p) {
      UChar u = *p;
      if (pending_lead != 0) {
        if (!U16_IS_TRAIL(u)) return bad_utf16(consumed);
        tok::AppendUtf8(U16_GET_SUPPLEMENTARY(pending_lead, u), &out);
        pending_lead = 0;
      } else if (U16_IS_LEAD(u)) {
        pending_lead = u;
      } else if (U16_IS_TRAIL(u)) {
        return bad_utf16(consumed);
      } else {
        tok::AppendUtf8(u, &out);
      }
    }
    if (status == U_BUFFER_OVERFLOW_ERROR) continue;
    if (U_FAILURE(status)) {
      char invalid[64];
      int8_t invalid_length = sizeof(invalid);
      UErrorCode s2 = U_ZERO_ERROR;
      ucnv_getInvalidChars(conv, invalid, &invalid_length, &s2);
      if (U_FAILURE(s2)) invalid_length = 0;
      size_t offset = consumed >= static_cast<size_t>(invalid_length) ? consumed - invalid_length : 0;
      std::string hex;
      for (int i = 0; i < invalid_length && i < 8; ++i) {
        absl::StrAppend(&hex, i ? " " : "", "0x",
                        absl::Hex(static_cast<unsigned char>(invalid[i]), absl::kZeroPad2));
      }
      const char* what = status == U_TRUNCATED_CHAR_FOUND ? "truncated" : "invalid or unmappable";
      return absl::InvalidArgumentError(absl::StrCat(
          Sv(source), ": ", what, " ", Sv(encoding), " byte sequence", hex.empty() ? "" : " ", hex,
          " at byte offset ", base_offset + offset, ", line ", LineOf(out)));
    }
    break;
  }
  if (pending_lead != 0) return bad_utf16(bytes.size());
  return out;
}

struct Bom {
  const char* encoding;
  size_t length;
};

// UTF-32LE's BOM starts with UTF-16LE's, so it is tested first.
Bom DetectBom(std::string_view b) {
  auto starts = [&](std::initializer_list<unsigned char> prefix) {
    if (b.size() < prefix.size()) return false;
    size_t i = 0;
    for (unsigned char c : prefix) {
      if (static_cast<unsigned char>(b[i++]) != c) return false;
    }
    return true;
  };
  if (starts({0xEF, 0xBB, 0xBF})) return {"UTF-8", 3};
  if (starts({0xFF, 0xFE, 0x00, 0x00})) return {"UTF-32LE", 4};
  if (starts({0x00, 0x00, 0xFE, 0xFF})) return {"UTF-32BE", 4};
  if (starts({0xFF, 0xFE})) return {"UTF-16LE", 2};
  if (starts({0xFE, 0xFF})) return {"UTF-16BE", 2};
  return {nullptr, 0};
}

absl::Status InvalidUtf8Error(std::string_view bytes, size_t base_offset, size_t bad,
                              std::string_view source, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      Sv(source), ": not valid UTF-8 (first bad byte at offset ", base_offset + bad, ", line ",
      LineOf(bytes.substr(0, bad)), ")", Sv(why)));
}

absl::StatusOr<DecodedText> DecodeWith(std::string_view encoding, std::string_view bytes,
                                       size_t base_offset, std::string_view source) {
  auto conv = OpenConverter(encoding, source);
  if (!conv.ok()) return conv.status();
  DecodedText result;
  result.encoding = CanonicalName(conv->get());
  result.detected = false;
  if (result.encoding == "UTF-8") {
    size_t bad = FirstInvalidUtf8Byte(bytes);
    if (bad != bytes.size()) return InvalidUtf8Error(bytes, base_offset, bad, source, "");
    result.utf8.assign(bytes);
    return result;
  }
  auto text = Convert(conv->get(), bytes, base_offset, result.encoding, source);
  if (!text.ok()) return text.status();
  result.utf8 = std::move(*text);
  return result;
}

// True when `utf8` holds a C0 control other than TAB, LF, VT, FF, CR, or DEL, or a C1 control:
// real text does not, while text decoded with a wrong guess (an EBCDIC code page for ASCII
// spaces, Latin-1 for Windows-1252's undefined bytes) does.
bool HasControlCharacters(std::string_view utf8) {
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if ((c < 0x20 && (c < 0x09 || c > 0x0D)) || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) < 0xA0) {
      return true;
    }
  }
  return false;
}

// The detector reads at most this much: enough for its byte and n-gram statistics, and bounded
// so that a large file costs one conversion, not thirty recognisers over all of it.
constexpr size_t kDetectionSampleBytes = 64 * 1024;

}  // namespace

size_t FirstInvalidUtf8Byte(std::string_view bytes) {
  // The tokenizer's validator (Unicode Table 3-7, ASCII fast path) is the one
  // the project already has.
  return tok::FindInvalidUtf8(bytes).value_or(bytes.size());
}

absl::StatusOr<DecodedText> DecodeToUtf8(std::string_view bytes, std::string_view declared_encoding,
                                         std::string_view source_name) {
  Bom bom = DetectBom(bytes);
  if (bom.encoding != nullptr) {
    return DecodeWith(bom.encoding, bytes.substr(bom.length), bom.length, source_name);
  }
  if (!declared_encoding.empty()) return DecodeWith(declared_encoding, bytes, 0, source_name);

  const size_t bad = FirstInvalidUtf8Byte(bytes);
  if (bad == bytes.size()) return DecodedText{std::string(bytes), "UTF-8", false};

  const auto not_detected = [&] {
    return InvalidUtf8Error(bytes, 0, bad, source_name,
                            " and the encoding could not be detected; pass --encoding NAME");
  };
  // Sample from a little before the first non-ASCII byte (ASCII context helps the n-gram
  // recognisers), aligned to 4 so that UTF-16/32 code units stay aligned.
  size_t first_non_ascii = 0;
  while (first_non_ascii < bytes.size() && static_cast<unsigned char>(bytes[first_non_ascii]) < 0x80 &&
         bytes[first_non_ascii] != 0) {
    ++first_non_ascii;
  }
  const size_t sample_begin = (first_non_ascii > 1024 ? first_non_ascii - 1024 : 0) & ~size_t{3};
  const std::string_view sample = bytes.substr(sample_begin, kDetectionSampleBytes);

  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UCharsetDetector, DetectorCloser> detector(ucsdet_open(&status));
  if (U_FAILURE(status)) return not_detected();
  ucsdet_setText(detector.get(), sample.data(), static_cast<int32_t>(sample.size()), &status);
  int32_t num_matches = 0;
  const UCharsetMatch** matches = ucsdet_detectAll(detector.get(), &num_matches, &status);
  if (U_FAILURE(status)) return not_detected();
  // Matches come best first; the first confident one that converts without error wins.
  for (int32_t m = 0; m < num_matches; ++m) {
    UErrorCode s = U_ZERO_ERROR;
    const int32_t confidence = ucsdet_getConfidence(matches[m], &s);
    const char* name = ucsdet_getName(matches[m], &s);
    if (U_FAILURE(s) || name == nullptr) continue;
    if (confidence < kMinDetectionConfidence) break;
    if (std::strcmp(name, "UTF-8") == 0) continue;  // known to be invalid
    auto decoded = DecodeWith(name, bytes, 0, source_name);
    if (!decoded.ok() || HasControlCharacters(decoded->utf8)) continue;
    decoded->detected = true;
    return decoded;
  }
  return not_detected();
}

std::string ToNfc(std::string_view utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(utf8);
  const icu::StringPiece piece(utf8.data(), static_cast<int32_t>(utf8.size()));
  if (nfc->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return std::string(utf8);
  status = U_ZERO_ERROR;
  std::string out;
  out.reserve(utf8.size());
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(utf8.size()));
  nfc->normalizeUTF8(0, piece, sink, nullptr, status);
  if (U_FAILURE(status)) return std::string(utf8);
  return out;
}

}  // namespace lateral::ingest
