#include "cli/hub/interrupt.h"

#include <csignal>

namespace lateral::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
struct sigaction g_previous;

void OnSigint(int) { g_interrupted = 1; }

}  // namespace

ScopedInterruptHandler::ScopedInterruptHandler() {
  g_interrupted = 0;
  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: let a blocking poll return early
  sigaction(SIGINT, &action, &g_previous);
}

ScopedInterruptHandler::~ScopedInterruptHandler() { sigaction(SIGINT, &g_previous, nullptr); }

bool InterruptRequested() { return g_interrupted != 0; }

void ClearInterruptRequest() { g_interrupted = 0; }

}  // namespace lateral::cli
