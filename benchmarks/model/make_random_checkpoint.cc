// make_random_checkpoint: writes an LFM2-family model directory with seeded
// random bf16 weights and the real shapes, for benchmarks (see
// benchmarks/RESULTS.md). Real checkpoints are not needed to time the forward
// pass, and random ones can be made anywhere, offline, in seconds.
//
//   make_random_checkpoint --shape lfm2-350m --out /tmp/lfm2-350m [--seed 1] [--verify]
//
// --verify loads the result with Lfm2Model::Load and runs a short forward pass.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "benchmarks/model/random_checkpoint.h"
#include "encoder/model/lfm2_model.h"

namespace {

using lateral::bench::ModelShape;

struct Flags {
  std::string shape;
  std::string out;
  uint64_t seed = 1;
  bool verify = false;
  std::string tokenizer_from = LATERAL_SOURCE_DIR "/tests/data/colbert-tiny";
};

void Usage() {
  std::fprintf(stderr,
               "usage: make_random_checkpoint --shape NAME --out DIR [--seed N] [--verify]\n"
               "                              [--tokenizer_from DIR]\n"
               "shapes: %s\n",
               absl::StrJoin(lateral::bench::ShapeNames(), ", ").c_str());
}

// Accepts "--name value" and "--name=value".
bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    const size_t eq = arg.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (arg == "--verify") {
      flags.verify = true;
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) return false;
      value = argv[++i];
    }
    if (arg == "--shape") {
      flags.shape = value;
    } else if (arg == "--out") {
      flags.out = value;
    } else if (arg == "--seed") {
      flags.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (arg == "--tokenizer_from") {
      flags.tokenizer_from = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", arg.c_str());
      return false;
    }
  }
  return !flags.shape.empty() && !flags.out.empty();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Loads the directory and runs 8 tokens through it: proves the loader accepts
// every name and shape, and that random weights give finite activations.
int Verify(const std::string& dir, const ModelShape& shape) {
  const auto start = std::chrono::steady_clock::now();
  auto model = lateral::Lfm2Model::Load(dir);
  if (!model.ok()) {
    std::fprintf(stderr, "verify: %s\n", model.status().ToString().c_str());
    return 1;
  }
  std::printf("verify: loaded in %.2f s (tensor prefix \"%s\", ffn %d)\n", Seconds(start),
              (*model)->weights().tensor_prefix.c_str(), (*model)->config().ffn_size);
  lateral::SequenceState state = (*model)->NewState();
  const std::vector<int32_t> ids = {1, 100, 200, 300, 400, 500, 600, 700};
  lateral::ForwardOptions options;
  options.return_last_logits = !shape.colbert;
  auto result = (*model)->Forward({lateral::SequenceInput{&state, ids, {}}}, options);
  if (!result.ok()) {
    std::fprintf(stderr, "verify: %s\n", result.status().ToString().c_str());
    return 1;
  }
  double sum_sq = 0;
  for (float v : result->hidden_states) sum_sq += double{v} * v;
  const double rms = std::sqrt(sum_sq / result->hidden_states.size());
  double logit_sq = 0;
  for (float v : result->last_logits) logit_sq += double{v} * v;
  const double logit_rms = result->last_logits.empty() ? 0 : std::sqrt(logit_sq / result->last_logits.size());
  std::printf("verify: hidden rms %.4f", rms);
  if (!result->last_logits.empty()) std::printf(", last-logit rms %.4f", logit_rms);
  std::printf("\n");
  if (!std::isfinite(rms) || !std::isfinite(logit_rms)) {
    std::fprintf(stderr, "verify: non-finite activations\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    Usage();
    return 2;
  }
  auto shape = lateral::bench::ShapeByName(flags.shape);
  if (!shape.ok()) {
    std::fprintf(stderr, "%s\n", shape.status().ToString().c_str());
    Usage();
    return 2;
  }
  lateral::bench::WriteOptions options;
  options.seed = flags.seed;
  if (shape->colbert) options.tokenizer_from = flags.tokenizer_from;

  const auto start = std::chrono::steady_clock::now();
  absl::Status status = lateral::bench::WriteRandomCheckpoint(*shape, flags.out, options);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("wrote %s: shape %s, %lld parameters (ffn %d), seed %llu, %.2f s\n", flags.out.c_str(),
              shape->name.c_str(), static_cast<long long>(shape->NumParameters()), shape->ffn_size(),
              static_cast<unsigned long long>(flags.seed), Seconds(start));
  return flags.verify ? Verify(flags.out, *shape) : 0;
}
