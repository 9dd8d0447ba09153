// Placeholder while `lateral pull` is written (cli/hub/); replaced in this session.
#include "cli/command.h"

namespace lateral::cli {
Command PullCommand() {
  return Command{"pull", "download a model from the Hugging Face hub", "usage: lateral pull ORG/NAME", {},
                 [](const ParsedFlags&) { return absl::UnimplementedError("not written yet"); }};
}
}  // namespace lateral::cli
