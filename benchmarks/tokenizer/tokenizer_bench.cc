// Encoding speed of the LFM2-like tokenizer on the fixture's multilingual
// texts (14,313 strings in 12 languages, 1.34 MB), with a warm and a cold
// pre-token cache, on short strings and on long paragraphs, through the
// hand-written LLaMA-3 splitter and through ICU's regex engine.
//
//   tokenizer_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Results and the exact command: RESULTS.md beside this file.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "encoder/tokenizer/llama3_splitter.h"
#include "encoder/tokenizer/regex_splitter.h"
#include "encoder/tokenizer/tokenizer_json.h"

namespace lateral {
namespace {

const std::string kDir = std::string(LATERAL_TEST_DATA_DIR) + "/tokenizer-lfm2like";

const std::vector<std::string>& Texts() {
  static const auto* texts = [] {
    auto* out = new std::vector<std::string>;
    std::ifstream in(kDir + "/expected_encodings.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j["text"].is_string()) out->push_back(j["text"].get<std::string>());
    }
    return out;
  }();
  return *texts;
}

// Long paragraphs: consecutive texts (same language, as the fixture is sorted
// by language) joined with spaces into ~8 KB blocks.
const std::vector<std::string>& Paragraphs() {
  static const auto* paragraphs = [] {
    auto* out = new std::vector<std::string>(1);
    for (const std::string& text : Texts()) {
      if (out->back().size() > 8192) out->emplace_back();
      if (!out->back().empty()) out->back() += ' ';
      out->back() += text;
    }
    return out;
  }();
  return *paragraphs;
}

int64_t TotalBytes(const std::vector<std::string>& texts) {
  int64_t bytes = 0;
  for (const std::string& t : texts) bytes += static_cast<int64_t>(t.size());
  return bytes;
}

std::unique_ptr<tok::HfTokenizer> Load(bool icu, size_t cache_capacity) {
  tok::TokenizerJsonOptions options;
  options.force_icu_regex = icu;
  options.cache_capacity = cache_capacity;
  auto tokenizer =
      tok::LoadHfTokenizer(kDir + "/tokenizer.json", kDir + "/tokenizer_config.json", options);
  if (!tokenizer.ok()) {
    fprintf(stderr, "cannot load the fixture tokenizer: %s\n",
            std::string(tokenizer.status().message()).c_str());
    std::abort();
  }
  return std::move(*tokenizer);
}

enum class Cache { kWarm, kCold, kNone };

// Encodes every text once per iteration. kWarm: the cache already holds every
// pre-token. kCold empties it before each iteration (outside the timing), so
// only repeats within the pass hit. kNone: no cache at all.
void EncodeAll(benchmark::State& state, const std::vector<std::string>& texts, bool icu,
               Cache cache) {
  auto tokenizer = Load(icu, cache == Cache::kNone ? 0 : tok::PieceCache::kDefaultCapacity);
  int64_t tokens = 0;
  for (const std::string& t : texts) tokens += tokenizer->Encode(t, true)->size();  // warm-up
  for (auto _ : state) {
    if (cache == Cache::kCold) {
      state.PauseTiming();
      tokenizer->ClearCache();
      state.ResumeTiming();
    }
    for (const std::string& t : texts) {
      auto ids = tokenizer->Encode(t, true);
      benchmark::DoNotOptimize(ids);
    }
  }
  state.SetBytesProcessed(state.iterations() * TotalBytes(texts));
  state.counters["tokens_per_s"] =
      benchmark::Counter(static_cast<double>(tokens) * state.iterations(),
                         benchmark::Counter::kIsRate);
}

void BM_Strings_Warm(benchmark::State& s) { EncodeAll(s, Texts(), false, Cache::kWarm); }
void BM_Strings_Cold(benchmark::State& s) { EncodeAll(s, Texts(), false, Cache::kCold); }
void BM_Strings_NoCache(benchmark::State& s) { EncodeAll(s, Texts(), false, Cache::kNone); }
void BM_Paragraphs_Warm(benchmark::State& s) { EncodeAll(s, Paragraphs(), false, Cache::kWarm); }
void BM_Paragraphs_Cold(benchmark::State& s) { EncodeAll(s, Paragraphs(), false, Cache::kCold); }
void BM_Strings_IcuRegex_Warm(benchmark::State& s) { EncodeAll(s, Texts(), true, Cache::kWarm); }
void BM_Strings_IcuRegex_Cold(benchmark::State& s) { EncodeAll(s, Texts(), true, Cache::kCold); }
void BM_Paragraphs_IcuRegex_Warm(benchmark::State& s) {
  EncodeAll(s, Paragraphs(), true, Cache::kWarm);
}

BENCHMARK(BM_Strings_Warm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Strings_Cold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Strings_NoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Paragraphs_Warm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Paragraphs_Cold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Strings_IcuRegex_Warm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Strings_IcuRegex_Cold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Paragraphs_IcuRegex_Warm)->Unit(benchmark::kMillisecond);

// The split alone: hand-written matcher vs ICU on the paragraphs.
void SplitAll(benchmark::State& state, const tok::Splitter& splitter) {
  std::vector<tok::MatchRange> matches;
  for (auto _ : state) {
    for (const std::string& p : Paragraphs()) {
      matches.clear();
      benchmark::DoNotOptimize(splitter.FindMatches(p, &matches));
    }
  }
  state.SetBytesProcessed(state.iterations() * TotalBytes(Paragraphs()));
}
void BM_Split_Llama3Matcher(benchmark::State& state) {
  SplitAll(state, *tok::NewLlama3Splitter(tok::Llama3SplitterOptions()));
}
void BM_Split_IcuRegex(benchmark::State& state) {
  SplitAll(state, **tok::NewIcuRegexSplitter(tok::Llama3Pattern(tok::Llama3SplitterOptions())));
}
BENCHMARK(BM_Split_Llama3Matcher)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Split_IcuRegex)->Unit(benchmark::kMillisecond);

// Decoding the paragraphs' ids back to text.
void BM_Decode_Paragraphs(benchmark::State& state) {
  auto tokenizer = Load(false, tok::PieceCache::kDefaultCapacity);
  std::vector<std::vector<int32_t>> ids;
  for (const std::string& p : Paragraphs()) ids.push_back(*tokenizer->Encode(p, false));
  for (auto _ : state) {
    for (const auto& one : ids) benchmark::DoNotOptimize(tokenizer->Decode(one, false));
  }
  state.SetBytesProcessed(state.iterations() * TotalBytes(Paragraphs()));
}
BENCHMARK(BM_Decode_Paragraphs)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lateral

BENCHMARK_MAIN();
