// The GPT-2 byte-level alphabet (internal to encoder/tokenizer/).
//
// Byte-level BPE vocabularies (GPT-2, LLaMA-3, LFM2) are written over 256
// printable characters, one per byte value: bytes that are printable Latin-1
// characters ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, and the other
// 68 bytes are given U+0100, U+0101, ... in increasing byte order (so ' ' is
// 'Ġ' U+0120 and '\n' is 'Ċ' U+010A). The ByteLevel pre-tokenizer maps text
// into this alphabet and the ByteLevel decoder maps tokens back to bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lateral::tok {

// UTF-8 of the alphabet character standing for byte `b`.
std::string_view ByteLevelCharOf(uint8_t b);

// The byte a code point stands for, or -1 when it is not in the alphabet.
int ByteLevelByteOf(int32_t code_point);

// Maps every byte of `raw` to its alphabet character.
std::string ByteLevelEncode(std::string_view raw);

// Appends the bytes a token string stands for, as the Hugging Face ByteLevel
// decoder does: when every character of `token` is in the alphabet, the bytes
// they stand for; otherwise (an added token such as "[Q] " whose space is not
// in the alphabet) the token's own UTF-8 bytes.
void AppendByteLevelDecoded(std::string_view token, std::string* out);

// Inverse of ByteLevelEncode for a string made only of alphabet characters;
// false (and *raw unspecified) otherwise.
bool ByteLevelDecodeStrict(std::string_view token, std::string* raw);

}  // namespace lateral::tok
