// Throughput of ingest/text on multilingual text: UTF-8 validation (DecodeToUtf8's fast path),
// NFC quick check, sentence boundaries, the approximate token counter and chunking with it.
//
// Corpus: the 14,313 strings (12 languages, 1.34 MB) of tests/data/tokenizer-lfm2like, one a
// line, a blank line (paragraph break) after every 8 lines, as one document.
//
//   build-text/benchmarks/ingest/ingest_text_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "ingest/text/chunker.h"
#include "ingest/text/encoding.h"
#include "ingest/text/sentences.h"

namespace lateral::ingest {
namespace {

const std::string& Corpus() {
  static const auto* corpus = [] {
    auto* out = new std::string;
    std::ifstream in(std::string(LATERAL_TEST_DATA_DIR) +
                     "/tokenizer-lfm2like/expected_encodings.jsonl");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j["text"].is_string()) continue;
      *out += j["text"].get<std::string>();
      *out += (++n % 8 == 0) ? "\n\n" : "\n";
    }
    if (out->empty()) {
      fprintf(stderr, "benchmark corpus missing\n");
      std::abort();
    }
    return out;
  }();
  return *corpus;
}

void BM_ValidateUtf8(benchmark::State& state) {
  const std::string& text = Corpus();
  for (auto _ : state) {
    auto decoded = DecodeToUtf8(text, "", "corpus");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}

void BM_ToNfc(benchmark::State& state) {
  const std::string text = ToNfc(Corpus());  // already NFC: the common case
  for (auto _ : state) {
    std::string out = ToNfc(text);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}

void BM_SentenceSpans(benchmark::State& state) {
  const std::string& text = Corpus();
  size_t sentences = 0;
  for (auto _ : state) {
    auto spans = SentenceSpans(text);
    sentences = spans.size();
    benchmark::DoNotOptimize(spans);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
  state.counters["sentences"] = static_cast<double>(sentences);
}

void BM_ApproximateTokenCount(benchmark::State& state) {
  const std::string& text = Corpus();
  int tokens = 0;
  for (auto _ : state) benchmark::DoNotOptimize(tokens = ApproximateTokenCount(text));
  state.SetBytesProcessed(state.iterations() * text.size());
  state.counters["tokens"] = tokens;
}

// Args: max_tokens, overlap_tokens.
void BM_ChunkText(benchmark::State& state) {
  const std::string& text = Corpus();
  const ChunkOptions options{static_cast<int>(state.range(0)), static_cast<int>(state.range(1))};
  size_t chunks = 0;
  int64_t calls = 0;
  const TokenCounter counter = [&calls](std::string_view s) {
    ++calls;
    return ApproximateTokenCount(s);
  };
  for (auto _ : state) {
    auto result = ChunkText(text, options, counter);
    if (!result.ok()) state.SkipWithError(std::string(result.status().message()).c_str());
    chunks = result->size();
  }
  state.SetBytesProcessed(state.iterations() * text.size());
  state.counters["chunks"] = static_cast<double>(chunks);
  state.counters["counter_calls_per_chunk"] =
      static_cast<double>(calls) / std::max<double>(1, chunks * state.iterations());
}

// The pathological input: 1 MB without a space, cut at grapheme clusters.
void BM_ChunkText_OneMegabyteWord(benchmark::State& state) {
  std::string word;
  while (word.size() < (1u << 20)) word += "abcdefghij";
  for (auto _ : state) {
    auto result = ChunkText(word, {512, 0}, ApproximateTokenCount);
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(state.iterations() * word.size());
}

BENCHMARK(BM_ValidateUtf8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ToNfc)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SentenceSpans)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ApproximateTokenCount)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ChunkText)->Args({512, 0})->Args({512, 64})->Args({128, 0})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ChunkText_OneMegabyteWord)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lateral::ingest

BENCHMARK_MAIN();
