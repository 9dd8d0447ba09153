#include "cli/collection/ingest_setup.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace lateral::cli {
namespace {


}  // namespace

std::vector<FlagSpec> ExtractionFlags() {
  return {
      {"format", true, "read every file as this format: txt, md, html, jsonl, csv, pdf (default: by extension)",
       "NAME"},
      {"encoding", true, "text encoding of the files, e.g. windows-1252 (default: detect)", "NAME"},
      {"text-field", true, "JSON Lines / CSV field holding the text (default: text)", "FIELD"},
      {"id-field", true, "JSON Lines / CSV field holding a record id (default: id)", "FIELD"},
      {"title-field", true, "JSON Lines / CSV field holding a title (default: title)", "FIELD"},
      {"metadata-fields", true, "JSON Lines / CSV fields kept as metadata for --where, comma-separated; * for all",
       "A,B"},
  };
}

std::vector<FlagSpec> WalkFlags() {
  return {
      {"include", true, "only files matching these globs (comma-separated, gitignore syntax)", "GLOBS"},
      {"exclude", true, "skip files and folders matching these globs", "GLOBS"},
      {"hidden", false, "also take hidden files and folders"},
      {"no-ignore", false, "do not honour .gitignore, .ignore and .lateralignore files"},
      {"follow", false, "follow symbolic links"},
      {"max-file-mb", true, "skip files larger than this (default 256)", "N"},
  };
}

absl::StatusOr<ExtractionChoice> ExtractionFromFlags(const ParsedFlags& flags, const Settings& settings) {
  ExtractionChoice choice;
  if (auto v = flags.Get("format")) {
    absl::StatusOr<ingest::Format> format = ingest::ParseFormatName(*v);
    if (!format.ok()) return UsageError(absl::StrCat("--format: ", format.status().message()));
    choice.forced_format = *format;
  }
  choice.extract.encoding = settings.encoding;
  if (auto v = flags.Get("text-field")) choice.extract.fields.text_field = *v;
  if (auto v = flags.Get("id-field")) choice.extract.fields.id_field = *v;
  if (auto v = flags.Get("title-field")) choice.extract.fields.title_field = *v;
  if (auto v = flags.Get("metadata-fields")) choice.extract.fields.metadata_fields = SplitCommaList(*v);
  return choice;
}

absl::StatusOr<ingest::IngestOptions> MakeIngestOptions(Collection& collection, const ExtractionChoice& choice) {
  const Settings& s = collection.settings();
  ingest::IngestOptions options;
  options.walk.include = s.include;
  options.walk.exclude = s.exclude;
  options.walk.use_ignore_files = s.ignore_files;
  options.walk.include_hidden = s.hidden;
  options.walk.follow_symlinks = s.follow_symlinks;
  options.walk.max_file_bytes = static_cast<uint64_t>(s.max_file_mb) << 20;
  options.extract = choice.extract;
  options.forced_format = choice.forced_format;
  options.chunk_tokens = collection.chunk_tokens();
  options.overlap_tokens = collection.overlap_tokens();
  options.analyzer = &collection.analyzer();
  if (collection.has_encoder()) {
    LATERAL_ASSIGN_OR_RETURN(options.encoder, collection.Encoder());
  }
  options.settings_fingerprint = SourceFingerprint(collection, choice);
  const Collection* c = &collection;
  options.fingerprint_for_format = [c, choice](ingest::Format format) { return SourceFingerprint(*c, choice, format); };
  return options;
}

std::string SourceFingerprint(const Collection& collection, const ExtractionChoice& choice,
                              std::optional<ingest::Format> format) {
  const ingest::RecordFields& f = choice.extract.fields;
  const bool records = !format.has_value() || *format == ingest::Format::kJsonl || *format == ingest::Format::kCsv;
  const bool text = !format.has_value() || *format != ingest::Format::kPdf;
  Json json = {
      {"collection", collection.SettingsFingerprint()},
      {"format", choice.forced_format.has_value() ? std::string(ingest::FormatName(*choice.forced_format)) : ""},
      {"encoding", text ? choice.extract.encoding : ""},
  };
  ingest::RecordFields defaults;
  json["fields"] = records ? Json{{"text", f.text_field}, {"id", f.id_field}, {"title", f.title_field},
                                  {"metadata", f.metadata_fields}}
                           : Json{{"text", defaults.text_field}, {"id", defaults.id_field},
                                  {"title", defaults.title_field}, {"metadata", Json::array()}};
  return json.dump();
}

absl::StatusOr<ExtractionChoice> ExtractionFromFingerprint(const std::string& fingerprint, const std::string& path) {
  LATERAL_ASSIGN_OR_RETURN(Json json, ParseJson(fingerprint, absl::StrCat(path, " (stored source settings)")));
  JsonObjectReader reader(json, absl::StrCat(path, " (stored source settings)"));
  ExtractionChoice choice;
  LATERAL_ASSIGN_OR_RETURN(std::string format, reader.GetString("format"));
  if (!format.empty()) {
    LATERAL_ASSIGN_OR_RETURN(choice.forced_format, ingest::ParseFormatName(format));
  }
  LATERAL_ASSIGN_OR_RETURN(choice.extract.encoding, reader.GetString("encoding"));
  LATERAL_ASSIGN_OR_RETURN(const Json* fields, reader.GetOptionalObject("fields"));
  if (fields != nullptr) {
    JsonObjectReader f(*fields, reader.source());
    LATERAL_ASSIGN_OR_RETURN(choice.extract.fields.text_field, f.GetString("text"));
    LATERAL_ASSIGN_OR_RETURN(choice.extract.fields.id_field, f.GetString("id"));
    LATERAL_ASSIGN_OR_RETURN(choice.extract.fields.title_field, f.GetString("title"));
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> metadata, f.GetOptionalStringArray("metadata"));
    if (metadata.has_value()) choice.extract.fields.metadata_fields = *metadata;
  }
  return choice;
}

}  // namespace lateral::cli
