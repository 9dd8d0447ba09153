// A lateral subcommand: its flags, help text and entry point.
//
// Commands print results on stdout and diagnostics on stderr, and return an
// exit code from ExitCode so that scripts can rely on it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/flags.h"

namespace lateral::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,   // the command ran and failed (bad model file, I/O error, ...)
  kExitUsage = 2,     // the command line itself is wrong
  kExitPartial = 3,   // the command finished, but some inputs failed (listed on stderr)
  kExitInterrupted = 130,  // stopped by Ctrl-C (SIGINT) after leaving everything consistent
};

struct Command {
  std::string name;
  std::string summary;       // one line for `lateral --help`
  std::string usage;         // synopsis and examples for `lateral NAME --help`
  std::vector<FlagSpec> flags;
  std::function<absl::Status(const ParsedFlags&)> run;
};

// Every command, in the order `lateral --help` lists them.
const std::vector<Command>& AllCommands();

// Commands, defined one per file in cli/commands/.
Command TokenizeCommand();
Command RunCommand();
Command GenerateCommand();
Command EncodeCommand();
Command InspectCommand();
Command ScoreCommand();
Command IndexCommand();
Command SearchCommand();
Command PullCommand();
Command InitCommand();
Command AddCommand();
Command RmCommand();
Command LsCommand();
Command InfoCommand();
Command ReindexCommand();
Command EvalCommand();
Command AskCommand();
Command ChatCommand();

// Maps a failure to its exit code: InvalidArgument from flag checks is a
// usage error only when the command marks it so (see UsageError).
absl::Status UsageError(const std::string& message);
bool IsUsageError(const absl::Status& status);

// The exit code for a failed command's status: usage errors 2, partial
// failures 3, interruptions 130, anything else 1.
absl::Status PartialFailure(const std::string& message);
absl::Status Interrupted(const std::string& message);
int ExitCodeFor(const absl::Status& status);

}  // namespace lateral::cli
