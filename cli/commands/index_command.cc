// lateral index: build, grow, shrink, inspect and re-cluster a collection store.
//
// One command with subcommands (create, add, delete, stats, recluster), since
// they share the store and model flags; each subcommand accepts only its own
// flags, so a flag meant for another one is an error rather than ignored.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "cli/commands/collection_io.h"
#include "cli/commands/common_flags.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "index/index_builder.h"
#include "index/recluster.h"

namespace lateral::cli {
namespace {

namespace fs = std::filesystem;

// Documents per EncodeDocuments call and per atomic store write: large enough
// for the encoder to fill its batches, small enough for a lively progress bar.
constexpr int64_t kDefaultBatch = 256;

using SubcommandFn = absl::Status (*)(const ParsedFlags& flags, const std::vector<std::string>& ids);

struct Subcommand {
  std::string name;
  std::vector<std::string> flags;  // the flags it accepts
  bool takes_ids = false;          // positional arguments after the subcommand
  SubcommandFn run;
};

absl::StatusOr<int> NbitsFlag(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> nbits, flags.GetInt("nbits"));
  const int64_t value = nbits.value_or(2);
  if (value != 1 && value != 2 && value != 4) {
    return UsageError(absl::StrCat("--nbits must be 1, 2 or 4, not ", value));
  }
  return static_cast<int>(value);
}

absl::StatusOr<BuildOptions> BuildOptionsFromFlags(const ParsedFlags& flags) {
  BuildOptions options;
  options.batch_documents = kDefaultBatch;
  absl::StatusOr<std::optional<int64_t>> batch = flags.GetInt("batch");
  if (!batch.ok()) return UsageError(std::string(batch.status().message()));
  if (batch->has_value()) {
    if (**batch <= 0) return UsageError(absl::StrCat("--batch must be positive, not ", **batch));
    options.batch_documents = **batch;
  }
  absl::StatusOr<std::optional<int64_t>> centroids = flags.GetInt("centroids");
  if (!centroids.ok()) return UsageError(std::string(centroids.status().message()));
  if (centroids->has_value()) {
    if (**centroids <= 0 || **centroids > (int64_t{1} << 24)) {
      return UsageError(absl::StrCat("--centroids must be between 1 and 16777216, not ", **centroids));
    }
    options.codec.num_centroids = static_cast<int>(**centroids);
  }
  return options;
}

// "1.23 s", or "45 ms" below a second, so that small builds do not read "0.00 s".
std::string Seconds(double s) { return s < 1 ? absl::StrFormat("%.0f ms", s * 1000) : absl::StrFormat("%.2f s", s); }

void PrintBuildSummary(const BuildStats& stats, uint64_t disk_bytes, int64_t store_tokens) {
  const double seconds = stats.total_seconds;
  std::cout << absl::StrFormat("documents    %d\n", stats.documents)
            << absl::StrFormat("tokens       %d\n", stats.tokens)
            << absl::StrFormat("centroids    %d\n", stats.centroids);
  std::string time = absl::StrCat("time         ", Seconds(seconds));
  if (stats.train_seconds > 0) {
    absl::StrAppend(&time, " (sampling ", Seconds(stats.sample_seconds), ", training ", Seconds(stats.train_seconds),
                    ", encoding ", Seconds(stats.encode_seconds), ")");
  }
  std::cout << time << "\n";
  // End to end, model included: what a user waits for. The builder's own
  // tokens_per_second leaves the model out (compression and writing only).
  std::cout << absl::StrFormat("tokens/s     %.0f (model %s; compression and writes %.0f tokens/s)\n",
                               seconds > 0 ? stats.tokens / seconds : 0, Seconds(stats.source_seconds),
                               stats.tokens_per_second());
  std::cout << absl::StrFormat("disk         %s (%d bytes)\n", HumanBytes(disk_bytes), disk_bytes);
  if (store_tokens > 0) {
    std::cout << absl::StrFormat("bytes/token  %.1f\n", static_cast<double>(disk_bytes) / store_tokens);
  }
}

// `index create` must not mix a new build with documents already there.
absl::Status RefuseNonEmptyStore(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec) || (fs::is_directory(path, ec) && fs::is_empty(path, ec))) return absl::OkStatus();
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, CollectionStore::Open(path, std::nullopt));
  const int64_t documents = store->Snapshot()->NumDocuments();
  if (documents != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " already holds ", documents < 0 ? std::string("documents") : absl::StrCat(documents, " documents"),
        "; use `lateral index add` to add to it, or remove the directory to rebuild"));
  }
  return absl::OkStatus();
}

absl::Status Create(const ParsedFlags& flags, const std::vector<std::string>&) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(std::string store_path, RequiredFlag(flags, "store"));
  LATERAL_ASSIGN_OR_RETURN(std::string input, RequiredFlag(flags, "input"));
  LATERAL_ASSIGN_OR_RETURN(int nbits, NbitsFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(BuildOptions options, BuildOptionsFromFlags(flags));
  options.codec.nbits = nbits;
  // Everything that can be checked is checked before the store is touched.
  LATERAL_ASSIGN_OR_RETURN(std::vector<DocumentRecord> records, ReadDocumentsJsonl(input));
  LATERAL_RETURN_IF_ERROR(RefuseNonEmptyStore(store_path));
  LATERAL_ASSIGN_OR_RETURN(std::optional<Precision> precision, PrecisionFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<ColbertEncoder> encoder, LoadColbert(model_dir, precision));

  std::error_code ec;
  const bool existed = fs::exists(store_path, ec);
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store,
                           CollectionStore::Open(store_path, ManifestFor(*encoder, nbits)));
  EncoderDocumentSource source(*encoder, records);
  ProgressPrinter progress;
  options.progress = [&progress](const BuildProgress& p) { progress.Update(p); };
  absl::StatusOr<BuildStats> stats = BuildIndex(*store, source, options);
  progress.Finish();
  if (!stats.ok()) {
    // A half-built store of our own making would only block the next attempt.
    if (!existed) {
      store.reset();
      fs::remove_all(store_path, ec);
    }
    return stats.status();
  }
  LATERAL_RETURN_IF_ERROR(store->Compact());
  LATERAL_ASSIGN_OR_RETURN(uint64_t disk_bytes, store->DiskBytes());
  std::cout << "created " << store_path << "\n";
  PrintBuildSummary(*stats, disk_bytes, stats->tokens);
  return absl::OkStatus();
}

absl::Status Add(const ParsedFlags& flags, const std::vector<std::string>&) {
  LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
  LATERAL_ASSIGN_OR_RETURN(std::string store_path, RequiredFlag(flags, "store"));
  LATERAL_ASSIGN_OR_RETURN(std::string input, RequiredFlag(flags, "input"));
  LATERAL_ASSIGN_OR_RETURN(BuildOptions options, BuildOptionsFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::vector<DocumentRecord> records, ReadDocumentsJsonl(input));
  LATERAL_ASSIGN_OR_RETURN(std::optional<Precision> precision, PrecisionFromFlags(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<ColbertEncoder> encoder, LoadColbert(model_dir, precision));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, OpenExistingStore(store_path));
  LATERAL_RETURN_IF_ERROR(CheckStoreEncoder(*store, store_path, *encoder, model_dir));
  int64_t replaced = 0;
  {
    std::unique_ptr<StoreSnapshot> snapshot = store->Snapshot();
    for (const DocumentRecord& r : records) {
      LATERAL_ASSIGN_OR_RETURN(std::optional<uint32_t> id, snapshot->LookupExternalId(r.external_id));
      replaced += id.has_value();
    }
  }
  EncoderDocumentSource source(*encoder, records);
  ProgressPrinter progress;
  options.progress = [&progress](const BuildProgress& p) { progress.Update(p); };
  absl::StatusOr<BuildStats> stats = AddDocuments(*store, source, options);
  progress.Finish();
  if (!stats.ok()) return stats.status();
  LATERAL_ASSIGN_OR_RETURN(uint64_t disk_bytes, store->DiskBytes());
  std::cout << absl::StrFormat("added %d documents to %s (%d new, %d replaced), now %d in all\n", stats->documents,
                               store_path, stats->documents - replaced, replaced, store->Snapshot()->NumDocuments());
  PrintBuildSummary(*stats, disk_bytes, /*store_tokens=*/0);
  return absl::OkStatus();
}

absl::Status Delete(const ParsedFlags& flags, const std::vector<std::string>& ids) {
  LATERAL_ASSIGN_OR_RETURN(std::string store_path, RequiredFlag(flags, "store"));
  if (ids.empty()) return UsageError("give the ids to delete, e.g. lateral index delete --store DIR doc-1 doc-2");
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, OpenExistingStore(store_path));
  LATERAL_RETURN_IF_ERROR(store->Delete(ids));
  const size_t distinct = std::set<std::string>(ids.begin(), ids.end()).size();
  std::cout << absl::StrFormat("deleted %d documents from %s, %d left\n", distinct, store_path,
                               store->Snapshot()->NumDocuments());
  return absl::OkStatus();
}

std::string DriftAdvice(const DriftReport& drift, int nbits, const std::string& store_path) {
  if (nbits == 1) return "no advice with 1-bit residuals (every component is in an outer bucket)";
  if (!drift.recluster_advised) return "the centroids still fit; no re-clustering needed";
  return absl::StrCat("the vectors drifted from the centroids; re-cluster: ",
                      "lateral index recluster --model DIR --store ", store_path);
}

absl::Status Stats(const ParsedFlags& flags, const std::vector<std::string>&) {
  LATERAL_ASSIGN_OR_RETURN(std::string store_path, RequiredFlag(flags, "store"));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, OpenExistingStore(store_path));
  std::unique_ptr<StoreSnapshot> snapshot = store->Snapshot();
  const Manifest& m = store->manifest();
  const int64_t documents = snapshot->NumDocuments();
  LATERAL_ASSIGN_OR_RETURN(std::optional<CodecParts> codec, snapshot->GetCodec());
  const int64_t centroids = codec.has_value() && codec->dim > 0 ? codec->centroids.size() / codec->dim : 0;
  LATERAL_ASSIGN_OR_RETURN(int64_t tokens, CountTokens(*snapshot));
  LATERAL_ASSIGN_OR_RETURN(uint64_t disk_bytes, store->DiskBytes());
  const double bytes_per_token = tokens > 0 ? static_cast<double>(disk_bytes) / tokens : 0;
  std::optional<DriftReport> drift;
  if (codec.has_value() && documents > 0) {
    LATERAL_ASSIGN_OR_RETURN(drift, EstimateDrift(*snapshot));
  }

  if (flags.Has("json")) {
    Json out = {{"store", store_path},          {"encoder_identity", m.encoder_identity},
                {"dim", m.dim},                 {"nbits", m.nbits},
                {"format_version", m.format_version}, {"documents", documents},
                {"tokens", tokens},             {"centroids", centroids},
                {"disk_bytes", disk_bytes},     {"bytes_per_token", bytes_per_token}};
    if (drift.has_value()) {
      out["drift"] = {{"sampled_documents", drift->documents},
                      {"sampled_tokens", drift->sampled_tokens},
                      {"outer_fraction", drift->outer_fraction},
                      {"expected_outer_fraction", drift->expected_outer_fraction},
                      {"recluster_advised", drift->recluster_advised}};
    }
    std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    return absl::OkStatus();
  }
  std::cout << absl::StrFormat("store        %s\n", store_path)
            << absl::StrFormat("encoder      %s\n", m.encoder_identity)
            << absl::StrFormat("dim          %d\n", m.dim)
            << absl::StrFormat("nbits        %d\n", m.nbits)
            << absl::StrFormat("format       %d\n", m.format_version)
            << absl::StrFormat("documents    %d\n", documents)
            << absl::StrFormat("tokens       %d\n", tokens)
            << absl::StrFormat("centroids    %d%s\n", centroids, codec.has_value() ? "" : " (no codec yet)")
            << absl::StrFormat("disk         %s (%d bytes)\n", HumanBytes(disk_bytes), disk_bytes)
            << absl::StrFormat("bytes/token  %.1f\n", bytes_per_token);
  if (drift.has_value()) {
    std::cout << absl::StrFormat("drift        %.1f%% of residual components in the outer buckets, %.1f%% expected\n",
                                 100 * drift->outer_fraction, 100 * drift->expected_outer_fraction)
              << absl::StrFormat("             %s\n", DriftAdvice(*drift, m.nbits, store_path));
  }
  return absl::OkStatus();
}

absl::Status ReclusterStore(const ParsedFlags& flags, const std::vector<std::string>&) {
  LATERAL_ASSIGN_OR_RETURN(std::string store_path, RequiredFlag(flags, "store"));
  const bool from_codes = flags.Has("from-codes");
  if (from_codes && flags.Has("model")) {
    return UsageError("--from-codes re-clusters the stored codes without a model; drop --model, or drop "
                      "--from-codes to re-encode the texts");
  }
  LATERAL_ASSIGN_OR_RETURN(BuildOptions build, BuildOptionsFromFlags(flags));
  std::unique_ptr<ColbertEncoder> encoder;
  if (!from_codes) {
    LATERAL_ASSIGN_OR_RETURN(std::string model_dir, ModelDirFlag(flags));
    LATERAL_ASSIGN_OR_RETURN(std::optional<Precision> precision, PrecisionFromFlags(flags));
    LATERAL_ASSIGN_OR_RETURN(encoder, LoadColbert(model_dir, precision));
    // Recluster opens the store itself; it only has to be closed again by then.
    LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, OpenExistingStore(store_path));
    LATERAL_RETURN_IF_ERROR(CheckStoreEncoder(*store, store_path, *encoder, model_dir));
  }
  ReclusterOptions options;
  options.build = build;
  options.keep_previous = flags.Has("keep-previous");
  if (encoder != nullptr) {
    options.revectorize = [&encoder](const std::vector<const DocumentRecord*>& records,
                                     std::vector<std::vector<float>>& vectors) -> absl::Status {
      std::vector<std::string> texts;
      for (const DocumentRecord* record : records) texts.push_back(record->text);
      LATERAL_ASSIGN_OR_RETURN(std::vector<TokenEmbeddings> encoded, encoder->EncodeDocuments(texts));
      for (size_t i = 0; i < encoded.size() && i < vectors.size(); ++i) vectors[i] = std::move(encoded[i].vectors);
      return absl::OkStatus();
    };
  }
  ProgressPrinter progress;
  options.build.progress = [&progress](const BuildProgress& p) { progress.Update(p); };
  absl::StatusOr<ReclusterStats> stats = Recluster(store_path, options);
  progress.Finish();
  if (!stats.ok()) return stats.status();
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<CollectionStore> store, OpenExistingStore(store_path));
  LATERAL_ASSIGN_OR_RETURN(uint64_t disk_bytes, store->DiskBytes());
  std::cout << "re-clustered " << store_path << (from_codes ? " from the stored codes" : " from the re-encoded texts")
            << "\n";
  PrintBuildSummary(stats->build, disk_bytes, stats->build.tokens);
  if (!stats->previous_store.empty()) std::cout << "previous     " << stats->previous_store << "\n";
  return absl::OkStatus();
}

const std::vector<Subcommand>& Subcommands() {
  static const std::vector<Subcommand>* subcommands = new std::vector<Subcommand>{
      {"create", {"model", "precision", "store", "input", "nbits", "batch", "centroids"}, false, Create},
      {"add", {"model", "precision", "store", "input", "batch"}, false, Add},
      {"delete", {"store"}, true, Delete},
      {"stats", {"store", "json"}, false, Stats},
      {"recluster", {"model", "precision", "store", "from-codes", "keep-previous", "batch", "centroids"}, false, ReclusterStore},
  };
  return *subcommands;
}

std::vector<FlagSpec> IndexFlags() {
  return {{"model", true, "ColBERT model directory (PyLate layout)", "DIR"},
       PrecisionFlag(),
          {"store", true, "the collection store directory", "DIR"},
          {"input", true, "documents as JSON Lines, - for stdin (create, add)", "FILE"},
          {"nbits", true, "bits per residual dimension: 1, 2 (default) or 4 (create)", "N"},
          {"batch", true, "documents per encoder call and store write (default 256)", "N"},
          {"centroids", true, "number of centroids (default: PLAID's rule from the token count)", "K"},
          {"json", false, "print stats as one JSON object (stats)"},
          {"from-codes", false, "re-cluster the decompressed stored codes instead of re-encoding (recluster)"},
          {"keep-previous", false, "keep the old store at DIR.previous (recluster)"}};
}

absl::Status Run(const ParsedFlags& flags) {
  const std::vector<std::string>& args = flags.positional();
  std::vector<std::string> names;
  for (const Subcommand& s : Subcommands()) names.push_back(s.name);
  if (args.empty()) return UsageError(absl::StrCat("give a subcommand: ", absl::StrJoin(names, ", ")));
  for (const Subcommand& s : Subcommands()) {
    if (s.name != args[0]) continue;
    for (const FlagSpec& spec : IndexFlags()) {
      if (flags.Has(spec.name) && std::find(s.flags.begin(), s.flags.end(), spec.name) == s.flags.end()) {
        return UsageError(absl::StrCat("--", spec.name, " does not apply to `lateral index ", s.name, "`"));
      }
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (!s.takes_ids && !rest.empty()) {
      return UsageError(absl::StrCat("unexpected argument \"", rest[0], "\" for `lateral index ", s.name, "`"));
    }
    return s.run(flags, rest);
  }
  return UsageError(absl::StrCat("unknown subcommand \"", args[0], "\" (one of ", absl::StrJoin(names, ", "), ")"));
}

}  // namespace

Command IndexCommand() {
  return Command{
      "index",
      "low-level: raw ColBERT stores from JSON Lines (create, add, delete, stats, recluster)",
      "usage:\n"
      "  lateral index create --model DIR --store DIR --input FILE.jsonl [--nbits 1|2|4] [--batch N] [--centroids K]\n"
      "  lateral index add --model DIR --store DIR --input FILE.jsonl [--batch N]\n"
      "  lateral index delete --store DIR ID...\n"
      "  lateral index stats --store DIR [--json]\n"
      "  lateral index recluster (--model DIR | --from-codes) --store DIR [--keep-previous]\n\n"
      "Input is JSON Lines, one document per line; metadata is optional and its\n"
      "values are strings or numbers (filter on them with `lateral search --filter`):\n"
      "  {\"id\": \"doc-1\", \"text\": \"The giant panda...\", \"metadata\": {\"lang\": \"en\", \"year\": 2020}}\n"
      "The whole file is checked first: a bad line or an id given twice is an\n"
      "error naming FILE:LINE, and nothing is written.\n\n"
      "create   trains the centroids on a sample, encodes every document, and\n"
      "         prints documents, tokens, time, throughput and bytes per token.\n"
      "         The store must be new or empty.\n"
      "add      encodes documents against the existing centroids (no retraining).\n"
      "         Upsert semantics: a document whose id is already in the store\n"
      "         replaces it.\n"
      "delete   removes documents by id; if any id is unknown, nothing is deleted.\n"
      "stats    the manifest, sizes, and whether the collection drifted from its\n"
      "         centroids (after many adds) enough to re-cluster.\n"
      "recluster  retrains the centroids on what the collection holds now and\n"
      "         rewrites it beside the old one, swapping at the end. It re-encodes\n"
      "         the stored texts with --model (exact), or with --from-codes\n"
      "         decompresses the stored codes (no model, quantised twice).\n\n"
      "examples:\n"
      "  lateral index create --model LFM2-ColBERT-350M --store wiki.lateral --input wiki.jsonl\n"
      "  lateral index add --model LFM2-ColBERT-350M --store wiki.lateral --input updates.jsonl\n"
      "  lateral index delete --store wiki.lateral doc-17 doc-42\n"
      "  lateral index stats --store wiki.lateral --json\n"
      "  lateral index recluster --model LFM2-ColBERT-350M --store wiki.lateral\n",
      IndexFlags(),
      Run};
}

}  // namespace lateral::cli
