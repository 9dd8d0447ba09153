#include "cli/commands/common_flags.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "cli/hub/model_locator.h"
#include "common/status_macros.h"

namespace lateral::cli {

absl::StatusOr<std::string> ModelDirFlag(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::string spec, RequiredFlag(flags, "model"));
  return ResolveModelSpec(spec);
}

absl::StatusOr<std::string> ResolveModelSpec(const std::string& spec) {
  std::error_code ec;
  if (std::filesystem::is_directory(spec, ec)) return spec;
  return ResolveModelPath(spec);
}

std::vector<FlagSpec> SamplingFlags() {
  return {{"max-tokens", true, "most new tokens (default 256 or generation_config.json)", "N"},
          {"greedy", false, "always take the most likely token"},
          {"temperature", true, "sampling temperature (0 = greedy)", "T"},
          {"top-k", true, "keep the K most likely tokens (0 = off)", "K"},
          {"top-p", true, "nucleus sampling mass (1 = off)", "P"},
          {"min-p", true, "drop tokens below P x the best token's probability", "P"},
          {"repetition-penalty", true, "penalty for tokens already seen (1 = off)", "R"},
          {"seed", true, "random seed for sampling", "N"}};
}

absl::Status ApplySamplingFlags(const ParsedFlags& flags, GenerationSettings& s) {
  auto get_double = [&](const char* name) -> absl::StatusOr<std::optional<double>> {
    absl::StatusOr<std::optional<double>> v = flags.GetDouble(name);
    if (!v.ok()) return UsageError(std::string(v.status().message()));
    return v;
  };
  auto get_int = [&](const char* name) -> absl::StatusOr<std::optional<int64_t>> {
    absl::StatusOr<std::optional<int64_t>> v = flags.GetInt(name);
    if (!v.ok()) return UsageError(std::string(v.status().message()));
    return v;
  };
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> t, get_double("temperature"));
  if (t.has_value()) {
    if (*t < 0) return UsageError("--temperature must be >= 0");
    s.sampling.temperature = static_cast<float>(*t);
    s.sampling.greedy = *t == 0;  // an explicit temperature asks for sampling
  }
  if (flags.Has("greedy")) s.sampling.greedy = true;
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> k, get_int("top-k"));
  if (k.has_value()) {
    if (*k < 0) return UsageError("--top-k must be >= 0");
    s.sampling.top_k = static_cast<int>(*k);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> p, get_double("top-p"));
  if (p.has_value()) {
    if (*p <= 0 || *p > 1) return UsageError("--top-p must be in (0, 1]");
    s.sampling.top_p = static_cast<float>(*p);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> min_p, get_double("min-p"));
  if (min_p.has_value()) {
    if (*min_p < 0 || *min_p > 1) return UsageError("--min-p must be in [0, 1]");
    s.sampling.min_p = static_cast<float>(*min_p);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> rp, get_double("repetition-penalty"));
  if (rp.has_value()) {
    if (*rp <= 0) return UsageError("--repetition-penalty must be > 0");
    s.sampling.repetition_penalty = static_cast<float>(*rp);
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> seed, get_int("seed"));
  if (seed.has_value()) s.sampling.seed = static_cast<uint64_t>(*seed);
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> max_tokens, get_int("max-tokens"));
  if (max_tokens.has_value()) {
    if (*max_tokens < 1 || *max_tokens > (int64_t{1} << 30)) return UsageError("--max-tokens must be at least 1");
    s.max_new_tokens = static_cast<int>(*max_tokens);
  }
  return absl::OkStatus();
}


absl::StatusOr<std::string> RequiredFlag(const ParsedFlags& flags, const std::string& name) {
  std::optional<std::string> v = flags.Get(name);
  if (!v.has_value() || v->empty()) return UsageError(absl::StrCat("--", name, " is required"));
  return *v;
}

FlagSpec RopeFrequenciesFlag() {
  return {"rope-frequencies", true,
          "bf16 (default: as transformers after casting the model to bf16) or f32", "bf16|f32"};
}

FlagSpec PrecisionFlag() {
  return {"precision", true,
          "weights as f32 (the reference), bf16 (as shipped; the default for bf16 checkpoints on CPUs with "
          "AVX512-BF16), int8 (quantised at load: fast, approximate) or q4 (4-bit groups quantised at load: "
          "fastest decode, least accurate)",
          "f32|bf16|int8|q4"};
}

absl::StatusOr<std::optional<Precision>> PrecisionFromFlags(const ParsedFlags& flags) {
  std::optional<std::string> value = flags.Get("precision");
  if (!value.has_value()) return std::optional<Precision>();
  absl::StatusOr<Precision> precision = ParsePrecision(*value);
  if (!precision.ok()) return UsageError(absl::StrCat("--precision: ", precision.status().message()));
  return std::optional<Precision>(*precision);
}

absl::StatusOr<ModelLoadOptions> ModelOptionsFromFlags(const ParsedFlags& flags) {
  ModelLoadOptions options;
  LATERAL_ASSIGN_OR_RETURN(options.precision, PrecisionFromFlags(flags));
  const std::string rope = flags.GetOr("rope-frequencies", "bf16");
  if (rope == "bf16") {
    options.rope_frequencies = RopeFrequencies::kBf16Rounded;
  } else if (rope == "f32") {
    options.rope_frequencies = RopeFrequencies::kFloat32;
  } else {
    return UsageError(absl::StrCat("--rope-frequencies must be bf16 or f32, not \"", rope, "\""));
  }
  return options;
}

std::string IdsToJson(const std::vector<int32_t>& ids) { return absl::StrCat("[", absl::StrJoin(ids, ","), "]"); }

}  // namespace lateral::cli

namespace lateral::cli {

std::vector<FlagSpec> AnswerFlags() {
  std::vector<FlagSpec> flags = {
      CollectionFlag(),
      {"k", true, "passages to retrieve (default 5; config answer.passages)", "N"},
      {"mode", true, "retrieval: bm25, colbert, hybrid or rerank (default: as lateral search)", "MODE"},
      {"no-retrieval", false, "plain generation: no collection, no documents"},
      {"generator", true, "the generative model: directory or hub id (config answer.model)", "SPEC"},
      PrecisionFlag(),
      {"context", true, "use at most N tokens of context (default: the model's max_position_embeddings)", "N"},
      {"stop", true, "stop generating at this text (not shown; repeatable)", "TEXT"},
      {"json", false, "print one JSON object: answer, citations, passages, retrieval, timings"},
      {"verbose", false, "timings, tokens/s and prompt details on stderr"},
      {"show-prompt", false, "print the rendered prompt (stderr; with --json, in the object with its ids)"},
  };
  std::vector<FlagSpec> sampling = SamplingFlags();
  flags.insert(flags.end(), sampling.begin(), sampling.end());
  return flags;
}

absl::StatusOr<AnswerSetup> LoadAnswerSetup(const ParsedFlags& flags, const Settings& settings) {
  std::string spec = flags.GetOr("generator", settings.answer_model);
  if (spec.empty()) {
    return UsageError(
        "no generative model: give --generator DIR|ORG/NAME or set `model` in the [answer] section of "
        ".lateral/config.toml or ~/.config/lateral/config.toml (e.g. LiquidAI/LFM2-1.2B-RAG after `lateral pull`)");
  }
  LATERAL_ASSIGN_OR_RETURN(std::string dir, ResolveModelSpec(spec));
  LATERAL_ASSIGN_OR_RETURN(ModelLoadOptions options, ModelOptionsFromFlags(flags));
  if (!flags.Has("precision") && !settings.answer_precision.empty()) {
    LATERAL_ASSIGN_OR_RETURN(options.precision, ParsePrecision(settings.answer_precision));
  }
  absl::StatusOr<std::optional<int64_t>> context = flags.GetInt("context");
  if (!context.ok()) return UsageError(std::string(context.status().message()));
  if (context->has_value() && **context < 2) return UsageError("--context must be at least 2 tokens");
  AnswerSetup setup;
  LATERAL_ASSIGN_OR_RETURN(setup.model, answer::LoadGenerativeModel(dir, options));
  setup.settings = setup.model.settings;
  if (settings.answer_max_tokens > 0) setup.settings.max_new_tokens = static_cast<int>(settings.answer_max_tokens);
  LATERAL_RETURN_IF_ERROR(ApplySamplingFlags(flags, setup.settings));
  setup.context_tokens = setup.model.context_tokens;
  if (context->has_value()) {
    if (**context > setup.context_tokens) {
      return UsageError(absl::StrCat("--context ", **context, " is more than the model's context of ",
                                     setup.context_tokens, " tokens (", dir, "/config.json max_position_embeddings)"));
    }
    setup.context_tokens = static_cast<int>(**context);
  }
  for (const std::string& stop : flags.GetAll("stop")) {
    if (stop.empty()) return UsageError("--stop needs a non-empty text");
    setup.stop_strings.push_back(stop);
  }
  return setup;
}

absl::StatusOr<std::unique_ptr<PassageRetriever>> PassageRetriever::Open(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(CollectionPaths paths, FindCollection(flags));
  std::unique_ptr<PassageRetriever> r(new PassageRetriever);
  LATERAL_ASSIGN_OR_RETURN(r->collection_, Collection::Open(paths, /*read_only=*/true, flags));
  const Settings& s = r->collection_->settings();
  r->no_encoder_ = !r->collection_->has_encoder();
  absl::StatusOr<SearchMode> mode = ResolveSearchMode(s.mode, r->collection_->has_encoder());
  if (!mode.ok()) return UsageError(absl::StrCat("--", mode.status().message()));
  r->request_.mode = *mode;
  r->request_.weighted_fusion = s.fusion == "weighted";
  r->request_.colbert_weight = s.colbert_weight;
  r->request_.lang = s.lang;
  r->request_.k = static_cast<int>(s.answer_passages);
  absl::StatusOr<std::optional<int64_t>> k = flags.GetInt("k");
  if (!k.ok()) return UsageError(std::string(k.status().message()));
  if (k->has_value()) {
    if (**k < 1 || **k > 1000) return UsageError("-k must be in [1, 1000]");
    r->request_.k = static_cast<int>(**k);
  }
  r->searcher_ = std::make_unique<CollectionSearcher>(*r->collection_);
  std::error_code ec;
  r->cwd_ = std::filesystem::current_path(ec).string();
  return r;
}

absl::StatusOr<Retrieval> PassageRetriever::Retrieve(const std::string& question) {
  const auto start = std::chrono::steady_clock::now();
  request_.query = question;
  LATERAL_ASSIGN_OR_RETURN(SearchResponse response, searcher_->Search(request_));
  Retrieval out;
  out.mode = std::string(SearchModeName(request_.mode));
  out.no_encoder = no_encoder_;
  for (const ResultHit& hit : response.hits) {
    answer::RetrievedPassage p;
    p.text = hit.record.text;
    p.path = MetadataString(hit.record, "path");
    if (!cwd_.empty() && p.path.rfind(cwd_ + "/", 0) == 0) p.path = p.path.substr(cwd_.size() + 1);
    std::string doc = MetadataString(hit.record, "doc");
    if (!doc.empty()) p.path = absl::StrCat(p.path, "#", doc);
    p.line_begin = MetadataInteger(hit.record, "line").value_or(0);
    p.line_end = MetadataInteger(hit.record, "line_end").value_or(p.line_begin);
    p.byte_begin = MetadataInteger(hit.record, "byte").value_or(0);
    p.byte_end = MetadataInteger(hit.record, "byte_end").value_or(0);
    p.score = hit.score;
    p.doc_id = hit.record.external_id;
    out.passages.push_back(std::move(p));
  }
  out.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

absl::StatusOr<Settings> SettingsWithoutRetrieval(const ParsedFlags& flags) {
  absl::StatusOr<CollectionPaths> paths = FindCollection(flags);
  std::optional<std::string> config;
  if (paths.ok()) config = paths->config_path;
  return LoadSettings(config, flags);
}

absl::StatusOr<Answerer> OpenAnswerer(const ParsedFlags& flags) {
  Answerer answerer;
  Settings settings;
  if (flags.Has("no-retrieval")) {
    LATERAL_ASSIGN_OR_RETURN(settings, SettingsWithoutRetrieval(flags));
  } else {
    LATERAL_ASSIGN_OR_RETURN(answerer.retriever, PassageRetriever::Open(flags));
    settings = answerer.retriever->settings();
  }
  LATERAL_ASSIGN_OR_RETURN(answerer.setup, LoadAnswerSetup(flags, settings));
  if (flags.Has("verbose") && answerer.setup.model.native_template) {
    std::cerr << "note: " << answerer.setup.model.dir
              << " ships no chat template; using LFM2's chat format (its tokenizer has <|im_start|>)\n";
  }
  return answerer;
}

}  // namespace lateral::cli
