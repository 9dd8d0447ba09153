#include "cli/flags.h"

#include <cerrno>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"

namespace lateral::cli {

std::vector<std::string> ParsedFlags::GetAll(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>() : it->second;
}

std::optional<std::string> ParsedFlags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string ParsedFlags::GetOr(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

absl::StatusOr<std::optional<int64_t>> ParsedFlags::GetInt(const std::string& name) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return std::nullopt;
  int64_t out;
  if (!absl::SimpleAtoi(*v, &out)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": \"", *v, "\" is not an integer"));
  }
  return out;
}

absl::StatusOr<std::optional<double>> ParsedFlags::GetDouble(const std::string& name) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return std::nullopt;
  double out;
  if (!absl::SimpleAtod(*v, &out) || !std::isfinite(out)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": \"", *v, "\" is not a number"));
  }
  return out;
}

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& args) {
  ParsedFlags parsed;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-' || arg == "-") {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      inline_value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == body) spec = &s;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg, " (see --help)"));
    }
    if (!spec->takes_value) {
      if (inline_value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", body, " takes no value"));
      }
      parsed.values_[body] = "true";
      continue;
    }
    if (inline_value.has_value()) {
      parsed.values_[body] = *inline_value;
      parsed.all_values_[body].push_back(*inline_value);
    } else if (i + 1 < args.size()) {
      parsed.values_[body] = args[++i];
      parsed.all_values_[body].push_back(args[i]);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag --", body, " needs a ", spec->value_name));
    }
  }
  return parsed;
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const FlagSpec& s : specs) {
    std::string left = absl::StrCat("  --", s.name, s.takes_value ? absl::StrCat(" ", s.value_name) : "");
    if (left.size() < 28) left.resize(28, ' ');
    else left += "  ";
    absl::StrAppend(&out, left, s.help, "\n");
  }
  return out;
}

absl::StatusOr<std::vector<int32_t>> ParseIdList(const std::string& text, const std::string& flag) {
  std::vector<int32_t> ids;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    int64_t id;
    if (!absl::SimpleAtoi(part, &id) || id < 0 || id > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": \"", std::string(part), "\" is not a token id (expected e.g. 5,17,42)"));
    }
    ids.push_back(static_cast<int32_t>(id));
  }
  if (ids.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is empty"));
  return ids;
}

}  // namespace lateral::cli
