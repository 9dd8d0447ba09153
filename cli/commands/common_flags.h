// Flag helpers shared by several commands, and the setup `lateral ask` and
// `lateral chat` share (generative model from flags/config, retrieval).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "answer/generative_model.h"
#include "answer/retrieved_passage.h"
#include "cli/collection/collection.h"
#include "cli/collection/collection_search.h"
#include "cli/flags.h"
#include "encoder/generation/generation_config.h"
#include "encoder/kernels/precision.h"
#include "encoder/model/lfm2_model.h"

namespace lateral::cli {

// The value of a required flag, or a usage error naming it.
absl::StatusOr<std::string> RequiredFlag(const ParsedFlags& flags, const std::string& name);

// The --model flag as a directory: an existing directory as given, or a hub
// id (ORG/NAME[@REV]) found in the Hugging Face cache (cli/hub/model_locator.h).
absl::StatusOr<std::string> ModelDirFlag(const ParsedFlags& flags);

// A model spec as --model and config files give it: an existing directory as
// given, else a hub id found in the Hugging Face cache.
absl::StatusOr<std::string> ResolveModelSpec(const std::string& spec);

// The sampling flags of `generate`, `ask` and `chat`: --max-tokens, --greedy,
// --temperature, --top-k, --top-p, --min-p, --repetition-penalty, --seed.
std::vector<FlagSpec> SamplingFlags();
// Applies them over `settings` (generation_config.json's defaults); bad
// values are usage errors naming the flag.
absl::Status ApplySamplingFlags(const ParsedFlags& flags, GenerationSettings& settings);

// --rope-frequencies bf16|f32 (see RopeFrequencies).
FlagSpec RopeFrequenciesFlag();
// --precision f32|bf16|int8|q4 for every command that loads a model.
FlagSpec PrecisionFlag();
// The --precision value; nullopt when not given (the runtime's default). A
// usage error (exit 2) names the flag and the accepted values.
absl::StatusOr<std::optional<Precision>> PrecisionFromFlags(const ParsedFlags& flags);
absl::StatusOr<ModelLoadOptions> ModelOptionsFromFlags(const ParsedFlags& flags);

// ---- lateral ask and lateral chat ----

// Their shared flags: collection and retrieval (-k, --mode, --no-retrieval),
// the generative model (--generator, --precision, --context), sampling,
// --stop, --json, --verbose, --show-prompt.
std::vector<FlagSpec> AnswerFlags();

// The generative model and how to run it, from flags over the settings'
// [answer] section: --generator or answer.model (a directory or hub id; a
// clear error when neither is set), --precision or answer.precision,
// --max-tokens or answer.max_tokens or generation_config.json, --context
// (lowers the model's max_position_embeddings), --stop.
struct AnswerSetup {
  answer::GenerativeModel model;
  GenerationSettings settings;            // sampling flags applied, stop token ids set
  std::vector<std::string> stop_strings;  // --stop
  int context_tokens = 0;
};
absl::StatusOr<AnswerSetup> LoadAnswerSetup(const ParsedFlags& flags, const Settings& settings);

// Passages for a question from the collection, as `lateral search` finds it
// (-k or answer.passages, --mode or search.mode; BM25 when the collection
// has no encoder).
struct Retrieval {
  std::vector<answer::RetrievedPassage> passages;  // ranked; number unset
  std::string mode;                                // "bm25" | "colbert" | "hybrid" | "rerank"
  bool no_encoder = false;                         // BM25 because the collection has no ColBERT model
  double milliseconds = 0;
};
class PassageRetriever {
 public:
  // Finds and opens the collection read-only (NotFound from FindCollection
  // when there is none).
  static absl::StatusOr<std::unique_ptr<PassageRetriever>> Open(const ParsedFlags& flags);
  const Settings& settings() const { return collection_->settings(); }
  absl::StatusOr<Retrieval> Retrieve(const std::string& question);

 private:
  std::unique_ptr<Collection> collection_;
  std::unique_ptr<CollectionSearcher> searcher_;
  SearchRequest request_;
  bool no_encoder_ = false;
  std::string cwd_;
};

// Settings for --no-retrieval: the collection's config when there is one,
// else the user's, then flags.
absl::StatusOr<Settings> SettingsWithoutRetrieval(const ParsedFlags& flags);

// What `ask` and `chat` open before the first question: the retriever (none
// under --no-retrieval) and the generative model over the settings that
// apply. Under --verbose, says on stderr when LFM2's native chat format stands
// in for a template the model does not ship.
struct Answerer {
  std::unique_ptr<PassageRetriever> retriever;
  AnswerSetup setup;
};
absl::StatusOr<Answerer> OpenAnswerer(const ParsedFlags& flags);

// Writes `text` to stdout as one JSON array of integers, e.g. [1,2,3].
std::string IdsToJson(const std::vector<int32_t>& ids);

}  // namespace lateral::cli
