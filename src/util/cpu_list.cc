#include "util/cpu_list.h"

#include <algorithm>
#include <iterator>

#include "util/strings.h"

namespace torchdiag {
namespace {

/// Marks CPUs in a bitmap and lists them sorted: linear time, memory bounded by kMaxCpus.
class CpuMarks {
 public:
  void add_range(long long lo, long long hi) {
    if (marks_.size() <= static_cast<size_t>(hi)) marks_.resize(static_cast<size_t>(hi) + 1, 0);
    std::fill(marks_.begin() + lo, marks_.begin() + hi + 1, 1);
  }
  CpuSet list() const {
    CpuSet out;
    for (size_t i = 0; i < marks_.size(); ++i) {
      if (marks_[i]) out.push_back(static_cast<int>(i));
    }
    return out;
  }

 private:
  std::vector<unsigned char> marks_;
};

CpuSetParse failed(std::string why) {
  CpuSetParse out;
  out.error = std::move(why);
  return out;
}

}  // namespace

CpuSetParse parse_cpu_list(std::string_view text) {
  const auto body = trim(text);
  if (body.empty()) return {};
  CpuMarks marks;
  for (const auto raw : split(body, ',')) {
    const auto item = trim(raw);
    const auto dash = item.find('-');
    const auto lo = parse_int(item.substr(0, dash));
    const auto hi = dash == std::string_view::npos ? lo : parse_int(item.substr(dash + 1));
    if (!lo || !hi || *lo < 0 || *hi < *lo) {
      return failed("bad CPU list item '" + std::string(item.substr(0, 40)) + "'");
    }
    if (*hi >= kMaxCpus) {
      return failed("CPU list item '" + std::string(item.substr(0, 40)) + "' is beyond CPU " +
                    std::to_string(kMaxCpus - 1));
    }
    marks.add_range(*lo, *hi);
  }
  return {marks.list(), ""};
}

CpuSetParse parse_cpu_mask(std::string_view text) {
  const auto body = trim(text);
  if (body.empty()) return failed("empty CPU mask");
  CpuSetParse out;
  const auto words = split(body, ',');
  long long bit = 0;  // least significant first, so the list comes out sorted
  for (auto w = words.rbegin(); w != words.rend(); ++w) {
    if (w->empty()) return failed("empty word in CPU mask");
    for (auto c = w->rbegin(); c != w->rend(); ++c, bit += 4) {
      const int nibble = hex_digit(*c);
      if (nibble < 0) return failed("bad hex digit '" + std::string(1, *c) + "' in CPU mask");
      if (nibble == 0) continue;
      if (bit >= kMaxCpus) return failed("CPU mask sets a CPU beyond " + std::to_string(kMaxCpus - 1));
      for (int b = 0; b < 4; ++b) {
        if (nibble & (1 << b)) out.cpus.push_back(static_cast<int>(bit + b));
      }
    }
  }
  return out;
}

std::string format_cpu_list(const CpuSet& cpus) {
  std::string out;
  size_t i = 0;
  while (i < cpus.size()) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

CpuSet intersect(const CpuSet& a, const CpuSet& b) {
  CpuSet out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace torchdiag
