// How `lateral add`, `lateral reindex` and `lateral eval` turn settings and
// flags into ingest options, and the per-source fingerprint that records them.
//
// The fingerprint is JSON: {"collection": <Collection::SettingsFingerprint>,
// "format": "...", "encoding": "...", "fields": {...}}. It is stored with
// every source, so a change of any of these re-ingests the file, and reindex
// can read the extraction options back to re-read each file the same way.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/collection/collection.h"
#include "cli/flags.h"
#include "ingest/pipeline/ingester.h"

namespace lateral::cli {

// Flags of `add` that shape extraction (--format, --text-field, ...).
std::vector<FlagSpec> ExtractionFlags();
// Flags of `add` that shape the walk (--include, --hidden, ...).
std::vector<FlagSpec> WalkFlags();

struct ExtractionChoice {
  ingest::ExtractOptions extract;
  std::optional<ingest::Format> forced_format;
};

absl::StatusOr<ExtractionChoice> ExtractionFromFlags(const ParsedFlags& flags, const Settings& settings);

// Ingest options for `collection` (analyser, chunking, walk settings, the
// encoder when it has one) with `choice`'s extraction.
absl::StatusOr<ingest::IngestOptions> MakeIngestOptions(Collection& collection, const ExtractionChoice& choice);

// `format` is the file's format: only the options that affect it are
// recorded (encoding for text formats, record fields for JSON Lines / CSV).
std::string SourceFingerprint(const Collection& collection, const ExtractionChoice& choice,
                              std::optional<ingest::Format> format = std::nullopt);
// The extraction options recorded in a fingerprint (for reindex).
absl::StatusOr<ExtractionChoice> ExtractionFromFingerprint(const std::string& fingerprint, const std::string& path);

}  // namespace lateral::cli
