#include "encoder/tokenizer/byte_level.h"

#include <array>

#include "encoder/tokenizer/utf8.h"

namespace lateral::tok {
namespace {

struct Alphabet {
  std::array<int32_t, 256> code_point_of_byte;
  std::array<std::string, 256> utf8_of_byte;
  std::array<int16_t, 512> byte_of_code_point;  // every alphabet code point is below 512

  Alphabet() {
    byte_of_code_point.fill(-1);
    int next_extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
                             (b >= 0xAE && b <= 0xFF);
      const int32_t cp = printable ? b : 256 + next_extra++;
      code_point_of_byte[b] = cp;
      byte_of_code_point[cp] = static_cast<int16_t>(b);
      utf8_of_byte[b].clear();
      AppendUtf8(cp, &utf8_of_byte[b]);
    }
  }
};

const Alphabet& GetAlphabet() {
  static const Alphabet* alphabet = new Alphabet();
  return *alphabet;
}

}  // namespace

std::string_view ByteLevelCharOf(uint8_t b) { return GetAlphabet().utf8_of_byte[b]; }

int ByteLevelByteOf(int32_t code_point) {
  if (code_point < 0 || code_point >= 512) return -1;
  return GetAlphabet().byte_of_code_point[code_point];
}

std::string ByteLevelEncode(std::string_view raw) {
  const Alphabet& alphabet = GetAlphabet();
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) out.append(alphabet.utf8_of_byte[static_cast<uint8_t>(c)]);
  return out;
}

bool ByteLevelDecodeStrict(std::string_view token, std::string* raw) {
  raw->clear();
  if (FindInvalidUtf8(token).has_value()) return false;
  size_t pos = 0;
  while (pos < token.size()) {
    int length = 0;
    const int32_t cp = DecodeUtf8At(token, pos, &length);
    const int b = ByteLevelByteOf(cp);
    if (b < 0) return false;
    raw->push_back(static_cast<char>(b));
    pos += length;
  }
  return true;
}

void AppendByteLevelDecoded(std::string_view token, std::string* out) {
  std::string raw;
  if (ByteLevelDecodeStrict(token, &raw)) {
    out->append(raw);
  } else {
    out->append(token);
  }
}

}  // namespace lateral::tok
