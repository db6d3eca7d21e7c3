#include "torch/op_profiler.h"

#include <ATen/record_function.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

namespace torchdiag {
namespace {

namespace legacy = torch::autograd::profiler;

std::string shapes_text(const std::vector<std::vector<int64_t>>& shapes) {
  if (shapes.empty()) return "";
  std::string out = "[";
  for (size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + fmt::format("[{}]", fmt::join(shapes[i], ", "));
  return out + "]";
}

/// Pairs each thread's push and pop events (they nest) into ranges.
void collect_ranges(const legacy::thread_event_lists& lists, ProfileSample& out) {
  double origin_us = -1;
  for (const auto& list : lists) {
    for (const auto& e : list) {
      if (e.kind() == legacy::EventKind::PushRange && (origin_us < 0 || e.cpuUs() < origin_us)) origin_us = e.cpuUs();
    }
  }
  // The profiler's thread ids, renumbered: 0 for the calling thread (the one with the
  // call ranges), then in order of appearance.
  std::map<uint64_t, int> thread_index;
  for (const auto& list : lists) {
    for (const auto& e : list) {
      if (e.kind() == legacy::EventKind::PushRange && std::string_view(e.name()) == kCallRangeName) {
        thread_index.emplace(e.threadId(), 0);
        break;
      }
    }
    if (!thread_index.empty()) break;
  }
  for (const auto& list : lists) {
    std::vector<std::pair<const legacy::LegacyEvent*, size_t>> open;  // push event, index in out.events
    for (const auto& e : list) {
      if (e.kind() == legacy::EventKind::PushRange) {
        if (out.events.size() >= kMaxProfileEvents) {
          out.truncated = true;
          continue;
        }
        const auto tid = thread_index.emplace(e.threadId(), static_cast<int>(thread_index.size())).first->second;
        out.events.push_back({e.name(), tid, e.cpuUs() - origin_us, 0, static_cast<int>(open.size()),
                              shapes_text(e.shapes())});
        open.emplace_back(&e, out.events.size() - 1);
      } else if (e.kind() == legacy::EventKind::PopRange && !open.empty()) {
        out.events[open.back().second].dur_us = open.back().first->cpuElapsedUs(e);
        open.pop_back();
      }
    }
  }
  std::stable_sort(out.events.begin(), out.events.end(), [](const OpEvent& a, const OpEvent& b) {
    return std::tie(a.thread, a.start_us) < std::tie(b.thread, b.start_us);
  });
}

}  // namespace

ProfileSample profile_calls(const std::function<void()>& op, int max_calls, double max_s, bool shapes) {
  ProfileSample out;
  legacy::thread_event_lists lists;
  {
    legacy::TLSLegacyProfilerGuard guard(
        torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU, shapes),
        [&lists](const legacy::thread_event_lists& recorded) { lists = recorded; });
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < std::max(max_calls, 1); ++i) {
      {
        RECORD_USER_SCOPE(kCallRangeName);
        op();
      }
      ++out.calls;
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= max_s) break;
    }
  }
  collect_ranges(lists, out);
  return out;
}

}  // namespace torchdiag
