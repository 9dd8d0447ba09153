#include "cli/command.h"

namespace lateral::cli {
namespace {
// Usage errors carry this payload so that main() can return kExitUsage.
constexpr char kUsagePayload[] = "lateral.usage";
}  // namespace

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      TokenizeCommand(), RunCommand(), GenerateCommand(), EncodeCommand(), ScoreCommand(), IndexCommand(),
      SearchCommand(), InspectCommand(), PullCommand(),
  };
  return *commands;
}

absl::Status UsageError(const std::string& message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

}  // namespace lateral::cli
