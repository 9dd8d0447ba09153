// `lateral search --store DIR --model DIR`: search a raw store built with
// `lateral index` (JSON Lines in, PLAID out), with --profile and the PLAID knobs.
#pragma once

#include "absl/status/status.h"
#include "cli/flags.h"

namespace lateral::cli {

absl::Status RunStoreSearch(const ParsedFlags& flags);

}  // namespace lateral::cli
