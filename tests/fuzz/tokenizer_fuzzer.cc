// Tokenizer fuzzers, built twice from this file (see CMakeLists.txt):
//
// tokenizer_encode_fuzzer: arbitrary bytes as text for the LFM2-like fixture
//   tokenizer. Invalid UTF-8 must be rejected with a status, valid text must
//   round-trip through Decode (byte-level BPE without a normalizer loses
//   nothing), the hand-written LLaMA-3 splitter must agree with ICU's regex
//   engine, and the same bytes read as token ids must stream-decode to the
//   batch decode.
// tokenizer_json_fuzzer (LATERAL_TOKENIZER_FUZZ_JSON): arbitrary bytes as a
//   tokenizer.json document. Loading must fail with a status or give a
//   tokenizer that encodes and decodes sample texts without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "encoder/tokenizer/llama3_splitter.h"
#include "encoder/tokenizer/regex_splitter.h"
#include "encoder/tokenizer/tokenizer_json.h"
#include "encoder/tokenizer/utf8.h"

namespace {

using lateral::Tokenizer;

// Decoding `ids` one at a time must give the batch decode, as valid UTF-8.
void CheckStreaming(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  for (bool skip : {false, true}) {
    const std::string batch = tokenizer.Decode(ids, skip);
    if (lateral::tok::FindInvalidUtf8(batch).has_value()) std::abort();
    auto decoder = tokenizer.NewStreamingDecoder(skip);
    std::string streamed;
    for (int32_t id : ids) streamed += decoder->Push(id);
    streamed += decoder->Finish();
    if (streamed != batch) std::abort();
  }
}

#ifndef LATERAL_TOKENIZER_FUZZ_JSON

const lateral::tok::HfTokenizer& Fixture() {
  static const lateral::tok::HfTokenizer* tokenizer = [] {
    const std::string dir = std::string(LATERAL_TEST_DATA_DIR) + "/tokenizer-lfm2like";
    auto loaded = lateral::tok::LoadHfTokenizer(dir + "/tokenizer.json",
                                                dir + "/tokenizer_config.json",
                                                lateral::tok::TokenizerJsonOptions());
    if (!loaded.ok()) std::abort();
    return loaded->release();
  }();
  return *tokenizer;
}

void CheckSplittersAgree(std::string_view text) {
  static const auto* fast =
      lateral::tok::NewLlama3Splitter(lateral::tok::Llama3SplitterOptions()).release();
  static const auto* icu =
      lateral::tok::NewIcuRegexSplitter(
          lateral::tok::Llama3Pattern(lateral::tok::Llama3SplitterOptions()))
          ->release();
  std::vector<lateral::tok::MatchRange> a, b;
  if (!fast->FindMatches(text, &a).ok() || !icu->FindMatches(text, &b).ok()) std::abort();
  if (a.size() != b.size()) std::abort();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].begin != b[i].begin || a[i].end != b[i].end) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& tokenizer = Fixture();
  const bool valid = !lateral::tok::FindInvalidUtf8(text).has_value();
  auto ids = tokenizer.Encode(text, false);
  if (ids.ok() != valid) std::abort();
  if (valid) {
    if (tokenizer.Decode(*ids, false) != text) std::abort();
    auto with_bos = tokenizer.Encode(text, true);
    if (!with_bos.ok() || with_bos->size() != ids->size() + 1 || (*with_bos)[0] != 1) std::abort();
    CheckSplittersAgree(text);
  }
  // The same bytes as ids, two bytes each, a little past the vocabulary.
  std::vector<int32_t> raw_ids;
  for (size_t i = 0; i + 1 < size; i += 2) {
    raw_ids.push_back((data[i] | (data[i + 1] << 8)) % (tokenizer.VocabSize() + 16) - 8);
  }
  CheckStreaming(tokenizer, raw_ids);
  return 0;
}

#else  // LATERAL_TOKENIZER_FUZZ_JSON

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  lateral::tok::TokenizerJsonOptions options;
  options.cache_capacity = 64;
  auto tokenizer = lateral::tok::ParseTokenizerJson(text, "fuzz/tokenizer.json",
                                                    lateral::tok::TokenizerConfig(), "", options);
  if (!tokenizer.ok()) return 0;
  for (std::string_view sample :
       {"", "Hello, world! 123", " \t\n x'll y\xC2\xA0z", "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80",
        "<|im_start|>user [Q] a  b"}) {
    auto ids = (*tokenizer)->Encode(sample, true);
    if (!ids.ok()) continue;  // e.g. ICU giving up on a pathological regex
    for (int32_t id : *ids) {
      if (id < 0 || id >= (*tokenizer)->VocabSize()) std::abort();
    }
    CheckStreaming(**tokenizer, *ids);
  }
  return 0;
}

#endif  // LATERAL_TOKENIZER_FUZZ_JSON
