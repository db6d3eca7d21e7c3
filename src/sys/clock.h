#pragma once
// Time for sampling loops: a monotonic clock in seconds, and a wait that a stop
// signal (sys/stop_signals.h) cuts short.
#include <atomic>

namespace torchdiag {

/// The steady (monotonic) clock, in seconds from an arbitrary origin.
double steady_now_s();

/// Sleeps until steady_now_s() reaches `deadline_s`, in steps of at most 50 ms so that
/// `*stop` (when given) ends the wait early. True when it ended because of `*stop`.
bool sleep_until(double deadline_s, const std::atomic<bool>* stop);

}  // namespace torchdiag
