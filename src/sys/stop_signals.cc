#include "sys/stop_signals.h"

#include <signal.h>

namespace torchdiag {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
struct sigaction g_previous[3];

extern "C" void on_stop_signal(int sig) {
  g_signal.store(sig);
  g_stop.store(true);
  ::signal(sig, SIG_DFL);  // the next one ends the process
}

}  // namespace

StopOnSignals::StopOnSignals() {
  g_stop = false;
  g_signal = 0;
  for (size_t i = 0; i < 3; ++i) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(kSignals[i], &sa, &g_previous[i]);
  }
}

StopOnSignals::~StopOnSignals() {
  for (size_t i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
}

const std::atomic<bool>& StopOnSignals::flag() const { return g_stop; }

int StopOnSignals::signal() const { return g_signal.load(); }

}  // namespace torchdiag
