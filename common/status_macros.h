// Error-propagation helpers for absl::Status / absl::StatusOr.
//
// lateral never throws across module boundaries: every fallible function returns
// absl::Status or absl::StatusOr<T>, and callers propagate with these macros.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LATERAL_CONCAT_INNER(a, b) a##b
#define LATERAL_CONCAT(a, b) LATERAL_CONCAT_INNER(a, b)

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define LATERAL_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status lateral_status_ = (expr);           \
    if (!lateral_status_.ok()) return lateral_status_; \
  } while (0)

// `LATERAL_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from an OK StatusOr,
// or returns its error.
#define LATERAL_ASSIGN_OR_RETURN(lhs, expr) \
  LATERAL_ASSIGN_OR_RETURN_IMPL(LATERAL_CONCAT(lateral_statusor_, __LINE__), lhs, expr)

#define LATERAL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
