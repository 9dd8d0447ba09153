// lateral: multilingual late-interaction retrieval and generation on LFM2.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace lateral::cli {
namespace {

void PrintTopLevelHelp() {
  std::cout << "lateral: multilingual search (BM25 + LFM2-ColBERT) over your files, on the CPU\n\n"
               "usage: lateral COMMAND [FLAGS]\n\n"
               "quick start:\n"
               "  lateral init                 # a collection here (add --model ORG/NAME for ColBERT)\n"
               "  lateral add docs/ notes.md   # index files and folders; re-run to pick up changes\n"
               "  lateral search \"your question, in any language\"\n\ncommands:\n";
  for (const Command& c : AllCommands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
  std::cout << "\n'lateral COMMAND --help' shows a command's flags and examples.\n"
               "exit codes: 0 success, 1 failure, 2 bad command line, 3 finished but some inputs failed,\n"
               "130 interrupted (Ctrl-C; what was written is consistent).\n";
}

int Main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    PrintTopLevelHelp();
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string name = argv[1];
  for (const Command& c : AllCommands()) {
    if (c.name != name) continue;
    std::vector<std::string> args(argv + 2, argv + argc);
    for (const std::string& a : args) {
      if (a == "--help" || a == "-h") {
        std::cout << c.usage << "\nflags:\n" << FlagsHelp(c.flags);
        return kExitOk;
      }
    }
    absl::StatusOr<ParsedFlags> flags = ParseFlags(c.flags, args);
    if (!flags.ok()) {
      std::cerr << "lateral " << name << ": " << flags.status().message() << "\n";
      return kExitUsage;
    }
    absl::Status status = c.run(*flags);
    std::cout.flush();
    if (!status.ok()) {
      std::cerr << "lateral " << name << ": " << status.message() << "\n";
      return ExitCodeFor(status);
    }
    return kExitOk;
  }
  std::cerr << "lateral: unknown command \"" << name << "\" (see lateral --help)\n";
  return kExitUsage;
}

}  // namespace
}  // namespace lateral::cli

int main(int argc, char** argv) { return lateral::cli::Main(argc, argv); }
