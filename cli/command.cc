#include "cli/command.h"

namespace lateral::cli {
namespace {
// Usage errors carry this payload so that main() can return kExitUsage.
constexpr char kUsagePayload[] = "lateral.usage";
constexpr char kPartialPayload[] = "lateral.partial";
constexpr char kInterruptedPayload[] = "lateral.interrupted";
}  // namespace

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      // Collections: what most people use.
      InitCommand(), AddCommand(), SearchCommand(), AskCommand(), ChatCommand(), LsCommand(), RmCommand(), InfoCommand(),
      ReindexCommand(), EvalCommand(), PullCommand(),
      // Models and raw stores: for inspecting and scripting the pieces.
      TokenizeCommand(), RunCommand(), GenerateCommand(), EncodeCommand(), ScoreCommand(), IndexCommand(),
      InspectCommand(),
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

absl::Status PartialFailure(const std::string& message) {
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kPartialPayload, absl::Cord("1"));
  return status;
}

absl::Status Interrupted(const std::string& message) {
  absl::Status status = absl::CancelledError(message);
  status.SetPayload(kInterruptedPayload, absl::Cord("1"));
  return status;
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (IsUsageError(status)) return kExitUsage;
  if (status.GetPayload(kPartialPayload).has_value()) return kExitPartial;
  if (status.GetPayload(kInterruptedPayload).has_value()) return kExitInterrupted;
  return kExitFailure;
}

}  // namespace lateral::cli
