#include "cli/collection/collection.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/commands/collection_io.h"
#include "cli/hub/model_locator.h"
#include "common/status_macros.h"
#include "encoder/kernels/precision.h"

namespace lateral::cli {
namespace {

namespace fs = std::filesystem;

bool IsCollectionRoot(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / ".lateral" / "store", ec) || fs::is_directory(dir / ".lateral" / "store.old", ec);
}

absl::StatusOr<int> IntSetting(const StoreSnapshot& snapshot, const char* key, int fallback,
                               const std::string& store_dir) {
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value, snapshot.GetSetting(key));
  if (!value.has_value()) return fallback;
  int parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed)) {
    return absl::DataLossError(absl::StrCat(store_dir, ": store setting \"", key, "\" is \"", *value,
                                            "\", not an integer"));
  }
  return parsed;
}


}  // namespace

absl::Status FinishInterruptedSwap(const std::string& store_dir) {
  std::error_code ec;
  const std::string old_dir = store_dir + ".old";
  if (!fs::exists(old_dir, ec)) return absl::OkStatus();
  if (!fs::exists(store_dir, ec)) {
    // Killed between the two renames of a reindex: the old store is complete.
    fs::rename(old_dir, store_dir, ec);
  } else {
    fs::remove_all(old_dir, ec);  // the swap finished; only the clean-up did not
  }
  if (ec) return absl::InternalError(absl::StrCat(old_dir, ": cannot finish an interrupted reindex: ", ec.message()));
  return absl::OkStatus();
}

CollectionPaths CollectionPathsAt(const std::string& root) {
  CollectionPaths paths;
  paths.root = root;
  paths.state_dir = (fs::path(root) / ".lateral").string();
  paths.store_dir = (fs::path(paths.state_dir) / "store").string();
  paths.config_path = (fs::path(paths.state_dir) / "config.toml").string();
  return paths;
}

absl::StatusOr<CollectionPaths> FindCollection(const ParsedFlags& flags) {
  std::optional<std::string> given = flags.Get("collection");
  const char* env = std::getenv("LATERAL_COLLECTION");
  if (!given.has_value() && env != nullptr && env[0] != '\0') given = env;
  if (given.has_value()) {
    fs::path dir = fs::absolute(*given).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path();
    if (dir.filename() == ".lateral") dir = dir.parent_path();
    if (!IsCollectionRoot(dir)) {
      return absl::NotFoundError(absl::StrCat(*given, ": not a lateral collection (no .lateral/store inside); ",
                                              "create one with `lateral init ", *given, "`"));
    }
    return CollectionPathsAt(dir.string());
  }
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  if (ec) return absl::FailedPreconditionError("cannot read the working directory");
  for (fs::path d = dir;; d = d.parent_path()) {
    if (IsCollectionRoot(d)) return CollectionPathsAt(d.string());
    if (d == d.parent_path()) break;
  }
  return absl::NotFoundError(absl::StrCat(
      "no lateral collection in ", dir.string(), " or its parents; create one with `lateral init`, ",
      "or name one with --collection DIR or LATERAL_COLLECTION"));
}

FlagSpec CollectionFlag() {
  return {"collection", true, "the collection folder (default: the nearest one holding .lateral/, or "
                              "$LATERAL_COLLECTION)", "DIR"};
}

absl::Status ApplyFlags(const ParsedFlags& flags, Settings& s) {
  auto int_flag = [&](const char* name, int64_t& out, int64_t lo) -> absl::Status {
    absl::StatusOr<std::optional<int64_t>> v = flags.GetInt(name);
    if (!v.ok()) return UsageError(std::string(v.status().message()));
    if (!v->has_value()) return absl::OkStatus();
    if (**v < lo) return UsageError(absl::StrCat("--", name, " must be at least ", lo, ", not ", **v));
    out = **v;
    return absl::OkStatus();
  };
  if (auto v = flags.Get("model")) s.colbert_model = *v;
  if (auto v = flags.Get("include")) s.include = SplitCommaList(*v);
  if (auto v = flags.Get("exclude")) s.exclude = SplitCommaList(*v);
  if (auto v = flags.Get("encoding")) s.encoding = *v;
  if (flags.Has("hidden")) s.hidden = true;
  if (flags.Has("no-ignore")) s.ignore_files = false;
  if (flags.Has("follow")) s.follow_symlinks = true;
  if (flags.Has("no-stemming")) s.stemming = false;
  LATERAL_RETURN_IF_ERROR(int_flag("chunk-tokens", s.chunk_tokens, 16));
  LATERAL_RETURN_IF_ERROR(int_flag("overlap-tokens", s.overlap_tokens, 0));
  LATERAL_RETURN_IF_ERROR(int_flag("max-file-mb", s.max_file_mb, 1));
  LATERAL_RETURN_IF_ERROR(int_flag("k", s.k, 1));
  if (auto v = flags.Get("mode")) {
    if (*v != "bm25" && *v != "colbert" && *v != "hybrid" && *v != "rerank") {
      return UsageError(absl::StrCat("--mode is \"", *v, "\"; expected bm25, colbert, hybrid or rerank"));
    }
    s.mode = *v;
  }
  if (auto v = flags.Get("precision")) {
    absl::StatusOr<Precision> precision = ParsePrecision(*v);
    if (!precision.ok()) return UsageError(absl::StrCat("--precision: ", precision.status().message()));
    s.precision = PrecisionName(*precision);
  }
  if (auto v = flags.Get("fusion")) {
    if (*v != "rrf" && *v != "weighted") {
      return UsageError(absl::StrCat("--fusion is \"", *v, "\"; expected rrf or weighted"));
    }
    s.fusion = *v;
  }
  absl::StatusOr<std::optional<double>> weight = flags.GetDouble("colbert-weight");
  if (!weight.ok()) return UsageError(std::string(weight.status().message()));
  if (weight->has_value()) {
    if (!(**weight >= 0 && **weight <= 1)) return UsageError("--colbert-weight must be in [0, 1]");
    s.colbert_weight = **weight;
  }
  if (auto v = flags.Get("lang")) s.lang = *v;
  if (auto v = flags.Get("color")) {
    if (*v != "auto" && *v != "always" && *v != "never") {
      return UsageError(absl::StrCat("--color is \"", *v, "\"; expected auto, always or never"));
    }
    s.color = *v;
  }
  if (s.overlap_tokens >= 0 && s.chunk_tokens > 0 && s.overlap_tokens >= s.chunk_tokens) {
    return UsageError("--overlap-tokens must be smaller than --chunk-tokens");
  }
  return absl::OkStatus();
}

absl::StatusOr<Settings> LoadSettings(const std::optional<std::string>& collection_config, const ParsedFlags& flags) {
  Settings settings;
  std::string user = UserConfigPath();
  if (!user.empty()) {
    LATERAL_ASSIGN_OR_RETURN(ConfigEntries entries, ReadConfigFile(user));
    LATERAL_RETURN_IF_ERROR(ApplyConfig(entries, settings));
  }
  if (collection_config.has_value()) {
    LATERAL_ASSIGN_OR_RETURN(ConfigEntries entries, ReadConfigFile(*collection_config));
    LATERAL_RETURN_IF_ERROR(ApplyConfig(entries, settings));
  }
  LATERAL_RETURN_IF_ERROR(ApplyFlags(flags, settings));
  return settings;
}

absl::StatusOr<std::unique_ptr<Collection>> Collection::Open(const CollectionPaths& paths, bool read_only,
                                                             const ParsedFlags& flags) {
  std::unique_ptr<Collection> c(new Collection);
  c->paths_ = paths;
  LATERAL_RETURN_IF_ERROR(FinishInterruptedSwap(paths.store_dir));
  LATERAL_ASSIGN_OR_RETURN(c->settings_, LoadSettings(paths.config_path, flags));
  StoreOptions options;
  options.read_only = read_only;
  LATERAL_ASSIGN_OR_RETURN(c->store_, CollectionStore::Open(paths.store_dir, std::nullopt, options));
  std::unique_ptr<StoreSnapshot> snapshot = c->store_->Snapshot();
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> analyzer, snapshot->GetSetting(kSettingAnalyzer));
  if (!analyzer.has_value()) {
    return absl::DataLossError(absl::StrCat(paths.store_dir, ": store setting \"analyzer\" is missing; ",
                                            "this store was not made by `lateral init`"));
  }
  LATERAL_ASSIGN_OR_RETURN(c->analyzer_, Analyzer::FromIdentity(*analyzer));
  LATERAL_ASSIGN_OR_RETURN(c->chunk_tokens_, IntSetting(*snapshot, kSettingChunkTokens, 256, paths.store_dir));
  LATERAL_ASSIGN_OR_RETURN(c->overlap_tokens_, IntSetting(*snapshot, kSettingOverlapTokens, 32, paths.store_dir));
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> model, snapshot->GetSetting(kSettingModel));
  // The collection's own model unless --model names another copy of it (the
  // identity check in Encoder() keeps that honest).
  c->model_spec_ = flags.Get("model").value_or(model.value_or(""));
  return c;
}

absl::StatusOr<const ColbertEncoder*> Collection::Encoder() {
  if (encoder_ != nullptr) return encoder_.get();
  if (!has_encoder()) {
    return absl::FailedPreconditionError(absl::StrCat(
        paths_.root, ": this collection has no ColBERT model (BM25 only); add one with `lateral reindex --model ",
        "ORG/NAME`"));
  }
  if (model_spec_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(paths_.root, ": the collection's model is not recorded; ",
                                                      "pass --model (expected encoder ",
                                                      store_->manifest().encoder_identity, ")"));
  }
  LATERAL_ASSIGN_OR_RETURN(std::string dir, ResolveModelPath(model_spec_));
  std::optional<Precision> precision;
  if (!settings_.precision.empty()) {
    LATERAL_ASSIGN_OR_RETURN(Precision p, ParsePrecision(settings_.precision));
    precision = p;
  }
  LATERAL_ASSIGN_OR_RETURN(encoder_, LoadColbert(dir, precision));
  LATERAL_RETURN_IF_ERROR(CheckStoreEncoder(*store_, paths_.store_dir, *encoder_, dir));
  return encoder_.get();
}

std::string Collection::SettingsFingerprint() const {
  return absl::StrCat("analyzer=", analyzer_->Identity(), ";chunk=", chunk_tokens_, ";overlap=", overlap_tokens_,
                      ";encoder=", store_->manifest().encoder_identity);
}

namespace {
// Without a model, passages are sized in approximate tokens (words, CJK characters).
constexpr int kDefaultChunkTokensWithoutModel = 256;
// The encoder adds BOS and the document marker (and may add EOS) to a passage.
constexpr int kSpecialTokensPerPassage = 3;
}  // namespace

absl::StatusOr<StoreLayout> InitializeStore(const std::string& store_dir, const Settings& settings, int nbits) {
  StoreLayout layout;
  std::unique_ptr<ColbertEncoder> encoder;
  layout.model_spec = settings.colbert_model;
  if (!layout.model_spec.empty()) {
    LATERAL_ASSIGN_OR_RETURN(std::string dir, ResolveModelPath(layout.model_spec));
    LATERAL_ASSIGN_OR_RETURN(encoder, LoadColbert(dir));
  }
  const int model_limit = encoder != nullptr ? encoder->config().document_length - kSpecialTokensPerPassage : 0;
  layout.chunk_tokens = static_cast<int>(settings.chunk_tokens);
  if (layout.chunk_tokens == 0) layout.chunk_tokens = encoder != nullptr ? model_limit : kDefaultChunkTokensWithoutModel;
  if (encoder != nullptr && layout.chunk_tokens > model_limit) {
    return UsageError(absl::StrCat("--chunk-tokens ", layout.chunk_tokens, " exceeds what the model encodes (",
                                   model_limit, " tokens per passage)"));
  }
  layout.overlap_tokens =
      settings.overlap_tokens >= 0 ? static_cast<int>(settings.overlap_tokens) : layout.chunk_tokens / 8;
  if (layout.overlap_tokens >= layout.chunk_tokens) {
    return UsageError("--overlap-tokens must be smaller than the passage length");
  }
  AnalyzerOptions analyzer_options;
  analyzer_options.stemming = settings.stemming;
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Analyzer> analyzer, Analyzer::Create(analyzer_options));
  layout.analyzer_identity = analyzer->Identity();
  Manifest manifest;
  if (encoder != nullptr) manifest = ManifestFor(*encoder, nbits);
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, CollectionStore::Open(store_dir, manifest));
  LATERAL_RETURN_IF_ERROR(store->PutSetting(kSettingAnalyzer, layout.analyzer_identity));
  LATERAL_RETURN_IF_ERROR(store->PutSetting(kSettingChunkTokens, absl::StrCat(layout.chunk_tokens)));
  LATERAL_RETURN_IF_ERROR(store->PutSetting(kSettingOverlapTokens, absl::StrCat(layout.overlap_tokens)));
  if (!layout.model_spec.empty()) LATERAL_RETURN_IF_ERROR(store->PutSetting(kSettingModel, layout.model_spec));
  return layout;
}

}  // namespace lateral::cli
