// Ctrl-C handling for `lateral pull`: while a ScopedInterruptHandler lives,
// SIGINT only sets a flag; HttpClient's transfer callback sees it and aborts
// the transfer, so the partial blobs/<etag>.incomplete stays on disk and the
// next pull resumes it. The previous handler is restored on destruction.
// One instance at a time (process-wide signal state); the flag is an
// async-signal-safe sig_atomic_t.
#pragma once

namespace lateral::cli {

class ScopedInterruptHandler {
 public:
  ScopedInterruptHandler();
  ~ScopedInterruptHandler();
  ScopedInterruptHandler(const ScopedInterruptHandler&) = delete;
  ScopedInterruptHandler& operator=(const ScopedInterruptHandler&) = delete;
};

// True once SIGINT arrived under a ScopedInterruptHandler (until the next one is made).
bool InterruptRequested();
// Forgets an interrupt that was acted on: `lateral chat` ends the current
// answer on Ctrl-C and goes on with the conversation.
void ClearInterruptRequest();

}  // namespace lateral::cli
