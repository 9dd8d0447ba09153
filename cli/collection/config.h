// Settings of a collection, from defaults, the user's config file, the
// collection's config file and flags, in that order of precedence (later wins).
//
// Files use a small TOML subset: `[section]` headers, `key = value` lines with
// strings ("..." with \" \\ \n \t \uXXXX escapes, or '...' literal), integers,
// floats, booleans and one-line arrays of strings, and `#` comments. Every
// key is checked against the schema below, so a typo is an error naming the
// file, line and key instead of a silently ignored setting.
//
// User config: $XDG_CONFIG_HOME/lateral/config.toml, else
// ~/.config/lateral/config.toml (absent is fine). Collection config:
// <collection>/.lateral/config.toml, written by `lateral init`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral::cli {

// One parsed value. Arrays hold strings only (globs, names).
using ConfigValue = std::variant<std::string, int64_t, double, bool, std::vector<std::string>>;

// "section.key" -> value, with where each value came from (for `lateral info`
// and error messages).
struct ConfigEntries {
  std::map<std::string, ConfigValue> values;
  std::map<std::string, std::string> origins;  // "section.key" -> "FILE:LINE"
};

// Parses `text` (the contents of `source`). Errors are InvalidArgument naming
// source:line: syntax errors, unknown sections or keys, values of the wrong
// type, keys given twice.
absl::StatusOr<ConfigEntries> ParseConfig(std::string_view text, const std::string& source);

// Reads and parses a file; a missing file gives empty entries.
absl::StatusOr<ConfigEntries> ReadConfigFile(const std::string& path);

// The resolved settings every command uses.
struct Settings {
  // [model]
  std::string colbert_model;  // directory or hub id ORG/NAME[@REV]; "" = BM25 only
  // [ingest]
  std::vector<std::string> include;  // globs; empty = every supported file
  std::vector<std::string> exclude;
  int64_t chunk_tokens = 0;          // 0 = the encoder's document length (BM25 only: 256)
  int64_t overlap_tokens = -1;       // -1 = chunk_tokens / 8
  std::string encoding;              // "" = detect
  int64_t max_file_mb = 256;
  bool hidden = false;
  bool follow_symlinks = false;
  bool ignore_files = true;          // honour .gitignore / .ignore / .lateralignore
  bool stemming = true;
  // [model] precision: "" = the runtime's default (bf16 for bf16 checkpoints
  // on CPUs with AVX512-BF16, else f32), or f32 | bf16 | int8.
  std::string precision;
  // [search]
  int64_t k = 10;
  std::string mode;                  // "" = hybrid with an encoder, else bm25
  std::string fusion = "rrf";        // rrf | weighted
  double colbert_weight = 0.5;       // for fusion = weighted
  std::string lang;                  // query language for stemming; "" = from the text's script
  // [output]
  std::string color = "auto";        // auto | always | never
  // [answer]: lateral ask / lateral chat
  std::string answer_model;          // generative model: directory or hub id; "" = none configured
  std::string answer_precision;      // "" = the runtime's default, or f32 | bf16 | int8
  int64_t answer_max_tokens = 0;     // 0 = generation_config.json's max_new_tokens (else 256)
  int64_t answer_passages = 5;       // passages retrieved per question
};

// Applies `entries` over `settings` (values not in `entries` are left alone).
// Checks value ranges and enumerations, naming the key and its origin.
absl::Status ApplyConfig(const ConfigEntries& entries, Settings& settings);

// "a, b,,c" -> {"a", "b", "c"}: how list flags (--include, --metadata-fields) are written.
std::vector<std::string> SplitCommaList(const std::string& text);

// The user config file's path ("" when no home directory is known).
std::string UserConfigPath();

// A commented config file for `lateral init`, with the model line filled in.
std::string DefaultCollectionConfig(const std::string& colbert_model);

}  // namespace lateral::cli
