// Command-line flags for lateral's subcommands.
//
// Each command declares its flags up front (name, whether it takes a value,
// help text); Parse rejects unknown flags and missing values with a message
// naming the flag, so a typo never silently changes behaviour.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral::cli {

struct FlagSpec {
  std::string name;       // without dashes
  bool takes_value = true;
  std::string help;
  std::string value_name = "VALUE";
};

class ParsedFlags {
 public:
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value given (a flag given twice keeps the second).
  std::optional<std::string> Get(const std::string& name) const;
  // Every value given, in order, for flags that may repeat (--stop A --stop B).
  std::vector<std::string> GetAll(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  absl::StatusOr<std::optional<int64_t>> GetInt(const std::string& name) const;
  absl::StatusOr<std::optional<double>> GetDouble(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>&, const std::vector<std::string>&);
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positional_;
};

// Accepts --name value, --name=value, and bare --name for flags without values;
// "--" ends flag parsing. `args` excludes the program and command names.
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& args);

// Help text listing the flags, for --help.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

// Parses "5,17,42" (spaces allowed) into ids; errors name `flag`.
absl::StatusOr<std::vector<int32_t>> ParseIdList(const std::string& text, const std::string& flag);

}  // namespace lateral::cli
