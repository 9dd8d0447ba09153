// lateral info: what a collection holds and how it is set up.
#include <filesystem>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/collection/collection.h"
#include "cli/collection/collection_search.h"
#include "cli/collection/terminal.h"
#include "cli/command.h"
#include "cli/commands/collection_io.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace {

absl::Status RunInfo(const ParsedFlags& flags) {
  LATERAL_ASSIGN_OR_RETURN(CollectionPaths paths, FindCollection(flags));
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Collection> collection, Collection::Open(paths, true, flags));
  std::unique_ptr<StoreSnapshot> snapshot = collection->store().Snapshot();
  int64_t sources = 0;
  uint64_t source_bytes = 0;
  LATERAL_RETURN_IF_ERROR(snapshot->ForEachSource([&](const SourceRecord& s) {
    ++sources;
    source_bytes += s.size;
    return absl::OkStatus();
  }));
  LATERAL_ASSIGN_OR_RETURN(LexicalStats lexical, snapshot->GetLexicalStats());
  LATERAL_ASSIGN_OR_RETURN(uint64_t disk, collection->store().DiskBytes());
  // The mapped search index is derived from the store (and rebuilt when
  // stale), so it is reported beside the store's bytes, not in them.
  std::error_code size_error;
  const uintmax_t mapped_size = std::filesystem::file_size(MappedIndexPath(paths.store_dir), size_error);
  const uint64_t search_index_bytes = size_error ? 0 : static_cast<uint64_t>(mapped_size);
  int64_t vectors = 0;
  int64_t centroids = 0;
  if (collection->has_encoder()) {
    LATERAL_ASSIGN_OR_RETURN(vectors, CountTokens(*snapshot));
    LATERAL_ASSIGN_OR_RETURN(std::optional<CodecParts> codec, snapshot->GetCodec());
    if (codec.has_value() && codec->dim > 0) centroids = static_cast<int64_t>(codec->centroids.size() / codec->dim);
  }
  const Manifest& manifest = collection->store().manifest();
  const int64_t passages = snapshot->NumDocuments();
  if (flags.Has("json")) {
    Json out = {{"collection", paths.root},
                {"store", paths.store_dir},
                {"sources", sources},
                {"source_bytes", source_bytes},
                {"passages", passages},
                {"bm25_tokens", lexical.total_length},
                {"vectors", vectors},
                {"centroids", centroids},
                {"disk_bytes", disk},
                {"search_index_bytes", search_index_bytes},
                {"bytes_per_token", lexical.total_length > 0 ? static_cast<double>(disk) / lexical.total_length : 0},
                {"bytes_per_vector", vectors > 0 ? static_cast<double>(disk) / vectors : 0},
                {"model", collection->model_spec()},
                {"encoder", manifest.encoder_identity},
                {"nbits", manifest.nbits},
                {"analyzer", collection->analyzer().Identity()},
                {"chunk_tokens", collection->chunk_tokens()},
                {"overlap_tokens", collection->overlap_tokens()}};
    std::cout << out.dump(2) << "\n";
    return absl::OkStatus();
  }
  std::cout << "collection  " << paths.root << "\n"
            << "sources     " << sources << " files, " << HumanBytes(source_bytes) << "\n"
            << "passages    " << passages << " (" << collection->chunk_tokens() << " tokens each at most, "
            << collection->overlap_tokens() << " overlapping)\n"
            << "BM25        " << lexical.total_length << " tokens; analyser " << collection->analyzer().Identity()
            << "\n";
  if (collection->has_encoder()) {
    std::cout << "ColBERT     " << collection->model_spec() << "\n"
              << "            " << manifest.encoder_identity << "\n"
              << "            " << vectors << " vectors of " << manifest.dim << " dims at " << manifest.nbits
              << " bits, " << centroids << " centroids\n";
  } else {
    std::cout << "ColBERT     none (BM25 only; add a model with `lateral reindex --model ORG/NAME`)\n";
  }
  std::cout << "disk        " << HumanBytes(disk);
  if (vectors > 0) std::cout << absl::StrFormat(", %.1f bytes per vector", static_cast<double>(disk) / vectors);
  if (lexical.total_length > 0) {
    std::cout << absl::StrFormat(", %.1f bytes per BM25 token", static_cast<double>(disk) / lexical.total_length);
  }
  if (search_index_bytes > 0) std::cout << "; mapped search index " << HumanBytes(search_index_bytes);
  std::cout << "\nsettings    " << paths.config_path << "\n";
  return absl::OkStatus();
}

}  // namespace

Command InfoCommand() {
  return Command{"info",
                 "show what the collection holds: sources, passages, tokens, size, model, settings",
                 "usage: lateral info [--json]\n\nexamples:\n  lateral info\n  lateral info --collection ~/notes "
                 "--json\n",
                 {CollectionFlag(), {"json", false, "print as JSON"}},
                 RunInfo};
}

}  // namespace lateral::cli
