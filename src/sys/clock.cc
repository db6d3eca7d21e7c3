#include "sys/clock.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace torchdiag {

double steady_now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool sleep_until(double deadline_s, const std::atomic<bool>* stop) {
  while (true) {
    if (stop && stop->load()) return true;
    const double now = steady_now_s();
    if (now >= deadline_s) return false;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.05, deadline_s - now)));
  }
}

}  // namespace torchdiag
