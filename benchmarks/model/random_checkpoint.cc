#include "benchmarks/model/random_checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "common/numeric_formats.h"
#include "common/status_macros.h"

namespace lateral::bench {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- shapes

ModelShape Lfm2_350m() {
  ModelShape s;
  s.name = "lfm2-350m";
  s.architectures = {"Lfm2ForCausalLM"};
  s.vocab_size = 65536;
  s.hidden_size = 1024;
  s.num_layers = 16;
  s.attention_layers = {2, 5, 8, 10, 12, 14};
  s.num_heads = 16;
  s.num_kv_heads = 8;
  s.raw_ffn_size = 6656;  // -> 4608
  return s;
}

ModelShape Lfm2_1_2b() {
  ModelShape s = Lfm2_350m();
  s.name = "lfm2-1.2b";
  s.hidden_size = 2048;
  s.num_heads = 32;
  s.raw_ffn_size = 12288;  // -> 8192
  return s;
}

// LFM2-ColBERT-350M: the LFM2-350M trunk saved by PyLate as Lfm2Model, with
// the vocabulary grown to 64402 ([Q] 64400, [D] 64401), tensor names without
// "model.", no LM head, and a 1024 -> 128 projection (LFM2.md §8.2, §11.3, §13).
ModelShape ColbertTrunk(ModelShape s) {
  s.architectures = {"Lfm2Model"};
  s.tensor_prefix = "";
  s.colbert = true;
  return s;
}

ModelShape Lfm2Colbert350m() {
  ModelShape s = ColbertTrunk(Lfm2_350m());
  s.name = "lfm2-colbert-350m";
  s.vocab_size = 64402;
  s.dense_out = 128;
  return s;
}

// The shape of tests/data/lfm2-tiny: for checking the tools in seconds.
ModelShape Tiny() {
  ModelShape s;
  s.name = "tiny";
  s.architectures = {"Lfm2ForCausalLM"};
  s.vocab_size = 65536;
  s.hidden_size = 64;
  s.num_layers = 6;
  s.attention_layers = {2, 4};
  s.num_heads = 4;
  s.num_kv_heads = 2;
  s.raw_ffn_size = 256;
  s.multiple_of = 32;
  return s;
}

ModelShape ColbertTiny() {
  ModelShape s = ColbertTrunk(Tiny());
  s.name = "colbert-tiny";
  s.vocab_size = 16386;  // the size of the copied fixture tokenizer
  s.dense_out = 16;
  s.document_length = 64;
  return s;
}

// ---------------------------------------------------------------- random values

// splitmix64: one multiply-xorshift chain per value, fast enough to fill 1.2B
// weights in a few seconds on one core.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Approximately N(0, 1): the sum of the four 16-bit lanes of one draw
  // (Irwin-Hall, n = 4), standardised. Bounded at ±3.46σ, which is all a
  // benchmark needs and ~10x cheaper than std::normal_distribution.
  float Normal() {
    const uint64_t x = Next();
    const uint32_t sum = static_cast<uint32_t>(x & 0xffff) + ((x >> 16) & 0xffff) +
                         ((x >> 32) & 0xffff) + ((x >> 48) & 0xffff);
    constexpr float kMean = 2.0f * 65535.0f;
    constexpr float kInvStd = 1.0f / 37837.23f;  // 1 / (65536 * sqrt(4 / 12))
    return (static_cast<float>(sum) - kMean) * kInvStd;
  }

 private:
  uint64_t state_;
};

uint64_t HashName(const std::string& name) {  // FNV-1a: a stable per-tensor stream
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  float mean = 0.0f;  // values are mean + stddev * N(0, 1)
  float stddev = 0.02f;

  int64_t NumElements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

TensorSpec Matrix(std::string name, std::vector<int64_t> shape) {
  return {std::move(name), std::move(shape), 0.0f, 0.02f};
}
TensorSpec NormWeight(std::string name, int64_t width) {
  return {std::move(name), {width}, 1.0f, 0.02f};
}

// Tensor names and shapes as LFM2.md §8.1 lists them.
std::vector<TensorSpec> TrunkTensors(const ModelShape& s) {
  const std::string& p = s.tensor_prefix;
  const int64_t h = s.hidden_size, ff = s.ffn_size(), d = s.head_dim();
  const int64_t q_width = int64_t{s.num_heads} * d, kv_width = int64_t{s.num_kv_heads} * d;
  std::vector<TensorSpec> t;
  t.push_back(Matrix(p + "embed_tokens.weight", {s.vocab_size, h}));
  t.push_back(NormWeight(p + "embedding_norm.weight", h));
  std::vector<bool> is_attention(s.num_layers, false);
  for (int i : s.attention_layers) is_attention[i] = true;
  for (int i = 0; i < s.num_layers; ++i) {
    const std::string base = absl::StrCat(p, "layers.", i, ".");
    t.push_back(NormWeight(base + "operator_norm.weight", h));
    t.push_back(NormWeight(base + "ffn_norm.weight", h));
    if (is_attention[i]) {
      t.push_back(Matrix(base + "self_attn.q_proj.weight", {q_width, h}));
      t.push_back(Matrix(base + "self_attn.k_proj.weight", {kv_width, h}));
      t.push_back(Matrix(base + "self_attn.v_proj.weight", {kv_width, h}));
      t.push_back(Matrix(base + "self_attn.out_proj.weight", {h, q_width}));
      t.push_back(NormWeight(base + "self_attn.q_layernorm.weight", d));
      t.push_back(NormWeight(base + "self_attn.k_layernorm.weight", d));
    } else {
      // The depthwise kernel sees only 3 taps; a larger spread keeps its output
      // on the scale of the in_proj products.
      TensorSpec kernel = Matrix(base + "conv.conv.weight", {h, 1, s.conv_kernel});
      kernel.stddev = 0.3f;
      t.push_back(kernel);
      t.push_back(Matrix(base + "conv.in_proj.weight", {3 * h, h}));
      t.push_back(Matrix(base + "conv.out_proj.weight", {h, h}));
    }
    t.push_back(Matrix(base + "feed_forward.w1.weight", {ff, h}));
    t.push_back(Matrix(base + "feed_forward.w3.weight", {ff, h}));
    t.push_back(Matrix(base + "feed_forward.w2.weight", {h, ff}));
  }
  return t;
}

// Streams a bf16 safetensors file: the header is known from the specs alone,
// then each tensor is generated and written in 1 Mi-element chunks.
absl::Status WriteBf16Safetensors(const std::string& path, const std::vector<TensorSpec>& specs,
                                  uint64_t seed) {
  Json header = Json::object();
  header["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const TensorSpec& spec : specs) {
    const uint64_t bytes = 2 * static_cast<uint64_t>(spec.NumElements());
    header[spec.name] = {{"dtype", "BF16"}, {"shape", spec.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // as the reference writer pads

  // Write to a temporary name and rename, so an interrupted run leaves no
  // truncated model.safetensors for the loader to trip on.
  const std::string tmp = path + ".tmp";
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (file == nullptr) return absl::InternalError(absl::StrCat("cannot create ", tmp));
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>((text.size() >> (8 * i)) & 0xff);
  bool ok = std::fwrite(len_bytes, 1, 8, file.get()) == 8 &&
            std::fwrite(text.data(), 1, text.size(), file.get()) == text.size();

  constexpr int64_t kChunk = int64_t{1} << 20;
  std::vector<uint16_t> buffer(kChunk);
  for (const TensorSpec& spec : specs) {
    Rng rng(seed * 0x9e3779b97f4a7c15ull ^ HashName(spec.name));
    for (int64_t done = 0, n = spec.NumElements(); ok && done < n; done += kChunk) {
      const int64_t count = std::min(kChunk, n - done);
      for (int64_t i = 0; i < count; ++i) buffer[i] = FloatToBf16(spec.mean + spec.stddev * rng.Normal());
      ok = std::fwrite(buffer.data(), 2, count, file.get()) == static_cast<size_t>(count);
    }
  }
  ok = ok && std::fflush(file.get()) == 0;
  if (!ok) return absl::InternalError(absl::StrCat("writing ", tmp, " failed (disk full?)"));
  file.reset();
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("renaming ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status WriteJson(const std::string& path, const Json& json) {
  return WriteFileAtomically(path, json.dump(1) + "\n");
}

// config.json in the style of the released LFM2 configs: both the HF keys and
// the layer list, so every loader path (layer_types / full_attn_idxs) agrees.
Json ModelConfigJson(const ModelShape& s) {
  std::vector<std::string> layer_types(s.num_layers, "conv");
  for (int i : s.attention_layers) layer_types[i] = "full_attention";
  return Json{
      {"architectures", s.architectures},
      {"model_type", "lfm2"},
      {"vocab_size", s.vocab_size},
      {"hidden_size", s.hidden_size},
      {"num_hidden_layers", s.num_layers},
      {"num_attention_heads", s.num_heads},
      {"num_key_value_heads", s.num_kv_heads},
      {"intermediate_size", s.raw_ffn_size},
      {"block_ff_dim", s.raw_ffn_size},
      {"block_auto_adjust_ff_dim", true},
      {"block_ffn_dim_multiplier", 1.0},
      {"block_multiple_of", s.multiple_of},
      {"conv_L_cache", s.conv_kernel},
      {"conv_bias", false},
      {"full_attn_idxs", s.attention_layers},
      {"layer_types", layer_types},
      {"norm_eps", 1e-5},
      {"rope_theta", 1000000.0},
      {"tie_word_embeddings", true},
      {"max_position_embeddings", 128000},
      {"bos_token_id", 1},
      {"eos_token_id", s.eos_token_id},
      {"pad_token_id", 0},
      {"torch_dtype", "bfloat16"},
      {"initializer_range", 0.02},
      {"use_cache", true},
  };
}

// The PyLate side of a ColBERT directory (LFM2.md §13.4).
absl::Status WriteColbertFiles(const ModelShape& s, const std::string& dir, const WriteOptions& options) {
  LATERAL_RETURN_IF_ERROR(WriteJson(
      dir + "/modules.json",
      Json::array({{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
                   {{"idx", 1}, {"name", "1"}, {"path", "1_Dense"}, {"type", "pylate.models.Dense.Dense"}}})));
  std::vector<std::string> skiplist;  // Python's string.punctuation, one character each
  for (char c : std::string("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")) skiplist.emplace_back(1, c);
  LATERAL_RETURN_IF_ERROR(WriteJson(dir + "/config_sentence_transformers.json",
                                    Json{{"query_prefix", "[Q] "},
                                         {"document_prefix", "[D] "},
                                         {"query_length", s.query_length},
                                         {"document_length", s.document_length},
                                         {"attend_to_expansion_tokens", false},
                                         {"skiplist_words", skiplist},
                                         {"do_query_expansion", true},
                                         {"similarity_fn_name", "MaxSim"},
                                         {"prompts", Json::object()},
                                         {"default_prompt_name", nullptr}}));
  LATERAL_RETURN_IF_ERROR(WriteJson(dir + "/sentence_bert_config.json",
                                    Json{{"max_seq_length", s.document_length - 1}, {"do_lower_case", false}}));
  std::error_code ec;
  fs::create_directories(dir + "/1_Dense", ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", dir, "/1_Dense: ", ec.message()));
  LATERAL_RETURN_IF_ERROR(WriteJson(dir + "/1_Dense/config.json",
                                    Json{{"in_features", s.hidden_size},
                                         {"out_features", s.dense_out},
                                         {"bias", false},
                                         {"activation_function", "torch.nn.modules.linear.Identity"},
                                         {"use_residual", false}}));
  LATERAL_RETURN_IF_ERROR(WriteBf16Safetensors(
      dir + "/1_Dense/model.safetensors", {Matrix("linear.weight", {s.dense_out, s.hidden_size})},
      options.seed));
  if (!options.tokenizer_from.empty()) {
    for (const char* name : {"tokenizer.json", "tokenizer_config.json"}) {
      fs::copy_file(fs::path(options.tokenizer_from) / name, fs::path(dir) / name,
                    fs::copy_options::overwrite_existing, ec);
      if (ec) {
        return absl::NotFoundError(
            absl::StrCat("copying ", options.tokenizer_from, "/", name, ": ", ec.message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

int ModelShape::ffn_size() const {
  const int adjusted = 2 * raw_ffn_size / 3;
  return multiple_of * ((adjusted + multiple_of - 1) / multiple_of);
}

int64_t ModelShape::NumParameters() const {
  int64_t n = 0;
  for (const TensorSpec& t : TrunkTensors(*this)) n += t.NumElements();
  return n + int64_t{dense_out} * hidden_size;
}

std::vector<std::string> ShapeNames() {
  return {"tiny", "colbert-tiny", "lfm2-350m", "lfm2-1.2b", "lfm2-colbert-350m"};
}

absl::StatusOr<ModelShape> ShapeByName(const std::string& name) {
  if (name == "tiny") return Tiny();
  if (name == "colbert-tiny") return ColbertTiny();
  if (name == "lfm2-350m") return Lfm2_350m();
  if (name == "lfm2-1.2b") return Lfm2_1_2b();
  if (name == "lfm2-colbert-350m") return Lfm2Colbert350m();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown shape \"", name, "\"; known: ", absl::StrJoin(ShapeNames(), ", ")));
}

absl::Status WriteRandomCheckpoint(const ModelShape& shape, const std::string& dir,
                                   const WriteOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", dir, ": ", ec.message()));
  LATERAL_RETURN_IF_ERROR(WriteJson(dir + "/config.json", ModelConfigJson(shape)));
  if (!shape.colbert) {
    LATERAL_RETURN_IF_ERROR(WriteJson(dir + "/generation_config.json",
                                      Json{{"bos_token_id", 1},
                                           {"eos_token_id", shape.eos_token_id},
                                           {"pad_token_id", 0}}));
  }
  LATERAL_RETURN_IF_ERROR(WriteBf16Safetensors(dir + "/model.safetensors", TrunkTensors(shape), options.seed));
  if (shape.colbert) LATERAL_RETURN_IF_ERROR(WriteColbertFiles(shape, dir, options));
  return absl::OkStatus();
}

}  // namespace lateral::bench
