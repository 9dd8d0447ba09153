// A lateral collection as the CLI sees it: a folder holding `.lateral/`, with
// its store, its settings and the models it was built with.
//
// Layout:  <root>/.lateral/config.toml   user-editable settings (config.h)
//          <root>/.lateral/store/        the RocksDB CollectionStore
// The store also records what must never drift from the data (store
// settings): the analyser identity, chunk sizes and the ColBERT model spec;
// the manifest records the encoder identity.
//
// Commands find the collection from --collection, else $LATERAL_COLLECTION,
// else the nearest `.lateral/` in the working directory or a parent (like git).
// Collection owns the open store and the models; one per command run.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/collection/config.h"
#include "cli/flags.h"
#include "encoder/colbert/colbert_encoder.h"
#include "index/lexical/analyzer.h"
#include "storage/collection_store.h"

namespace lateral::cli {

struct CollectionPaths {
  std::string root;         // the folder that holds .lateral
  std::string state_dir;    // root/.lateral
  std::string store_dir;    // root/.lateral/store
  std::string config_path;  // root/.lateral/config.toml
};

CollectionPaths CollectionPathsAt(const std::string& root);

// --collection DIR (DIR or DIR/.lateral), $LATERAL_COLLECTION, or the nearest
// .lateral/ upwards from the working directory. NotFound with a hint to run
// `lateral init` when there is none.
absl::StatusOr<CollectionPaths> FindCollection(const ParsedFlags& flags);

// Store setting keys.
inline constexpr char kSettingAnalyzer[] = "analyzer";
inline constexpr char kSettingChunkTokens[] = "chunk_tokens";
inline constexpr char kSettingOverlapTokens[] = "overlap_tokens";
inline constexpr char kSettingModel[] = "model";

class Collection {
 public:
  // Opens the collection's store (read-only for commands that only read, so
  // they work while another process is adding files) and resolves settings:
  // defaults < user config < collection config < flags (ApplyFlags).
  static absl::StatusOr<std::unique_ptr<Collection>> Open(const CollectionPaths& paths, bool read_only,
                                                          const ParsedFlags& flags);

  const CollectionPaths& paths() const { return paths_; }
  const Settings& settings() const { return settings_; }
  CollectionStore& store() { return *store_; }
  const Analyzer& analyzer() const { return *analyzer_; }
  bool has_encoder() const { return !store_->manifest().encoder_identity.empty(); }
  int chunk_tokens() const { return chunk_tokens_; }
  int overlap_tokens() const { return overlap_tokens_; }
  const std::string& model_spec() const { return model_spec_; }

  // The ColBERT encoder (loaded on first call): the model spec from --model,
  // the config or the store, resolved through the Hugging Face cache, and
  // checked against the store's manifest. FailedPrecondition when the
  // collection has no encoder.
  absl::StatusOr<const ColbertEncoder*> Encoder();

  // What shapes stored passages (chunking, analyser, encoder); a source
  // ingested under another fingerprint is re-ingested.
  std::string SettingsFingerprint() const;

 private:
  Collection() = default;
  CollectionPaths paths_;
  Settings settings_;
  std::unique_ptr<CollectionStore> store_;
  std::unique_ptr<Analyzer> analyzer_;
  std::unique_ptr<ColbertEncoder> encoder_;
  std::string model_spec_;
  int chunk_tokens_ = 256;
  int overlap_tokens_ = 32;
};

// What InitializeStore decided.
struct StoreLayout {
  std::string model_spec;  // "" = BM25 only
  int chunk_tokens = 0;
  int overlap_tokens = 0;
  std::string analyzer_identity;
};

// Creates an empty store at `store_dir` for `settings` (model, chunking,
// stemming): the manifest (the encoder's identity when there is a model) and
// the store settings. Used by `init`, `reindex` (a new store beside the old)
// and `eval`.
absl::StatusOr<StoreLayout> InitializeStore(const std::string& store_dir, const Settings& settings, int nbits);

// A reindex replaces <store> by <store>.reindex with two renames (store ->
// store.old, store.reindex -> store). If it was killed in between, this puts
// the old store back; if only the clean-up was missed, it removes store.old.
absl::Status FinishInterruptedSwap(const std::string& store_dir);

// Resolved settings without a collection (defaults < user config < flags).
absl::StatusOr<Settings> LoadSettings(const std::optional<std::string>& collection_config, const ParsedFlags& flags);

// Flags shared by the collection commands and how they map onto Settings.
FlagSpec CollectionFlag();
absl::Status ApplyFlags(const ParsedFlags& flags, Settings& settings);

}  // namespace lateral::cli
