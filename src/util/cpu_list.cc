#include "util/cpu_list.h"

#include <algorithm>
#include <iterator>

#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr long long kMaxCpu = 1 << 20;

void normalize(CpuSet& cpus) {
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

CpuSetParse parse_cpu_list(std::string_view text) {
  CpuSetParse out;
  const auto body = trim(text);
  if (body.empty()) return out;
  for (const auto raw : split(body, ',')) {
    const auto item = trim(raw);
    const auto dash = item.find('-');
    const auto lo = parse_int(item.substr(0, dash));
    const auto hi = dash == std::string_view::npos ? lo : parse_int(item.substr(dash + 1));
    if (!lo || !hi || *lo < 0 || *hi < *lo || *hi > kMaxCpu) {
      out.error = "bad CPU list item '" + std::string(item) + "'";
      out.cpus.clear();
      return out;
    }
    for (long long cpu = *lo; cpu <= *hi; ++cpu) out.cpus.push_back(static_cast<int>(cpu));
  }
  normalize(out.cpus);
  return out;
}

CpuSetParse parse_cpu_mask(std::string_view text) {
  CpuSetParse out;
  const auto body = trim(text);
  if (body.empty()) {
    out.error = "empty CPU mask";
    return out;
  }
  const auto words = split(body, ',');
  int bit = 0;
  for (auto w = words.rbegin(); w != words.rend(); ++w) {
    if (w->empty()) {
      out.error = "empty word in CPU mask";
      out.cpus.clear();
      return out;
    }
    for (auto c = w->rbegin(); c != w->rend(); ++c) {
      const int nibble = hex_digit(*c);
      if (nibble < 0) {
        out.error = "bad hex digit '" + std::string(1, *c) + "' in CPU mask";
        out.cpus.clear();
        return out;
      }
      for (int b = 0; b < 4; ++b) {
        if (nibble & (1 << b)) out.cpus.push_back(bit + b);
      }
      bit += 4;
    }
  }
  normalize(out.cpus);
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
