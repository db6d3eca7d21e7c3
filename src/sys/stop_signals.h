#pragma once
// Ending a long-running command cleanly on Ctrl-C, SIGTERM or SIGHUP: the first signal
// only sets a flag that the command's loop checks (so it can still report what it saw);
// a second one terminates as usual.
#include <atomic>

namespace torchdiag {

class StopOnSignals {
 public:
  /// Installs the handlers for SIGINT, SIGTERM and SIGHUP (one instance at a time).
  StopOnSignals();
  /// Restores the previous handlers.
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

  /// Set once a signal arrived.
  const std::atomic<bool>& flag() const;
  /// The signal that arrived (0 when none).
  int signal() const;
};

}  // namespace torchdiag
