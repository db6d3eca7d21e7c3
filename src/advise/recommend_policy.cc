#include "advise/recommend_policy.h"

#include <algorithm>

#include <fmt/format.h>

#include "advise/capacity_rules.h"
#include "advise/findings.h"
#include "util/cpu_list.h"
#include "util/strings.h"

namespace torchdiag {
namespace {

constexpr const char* kOmp = "OMP_NUM_THREADS";
constexpr const char* kMkl = "MKL_NUM_THREADS";

std::string count(long long n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

/// workers x streams, capped so that products with a thread count cannot overflow.
long long demand(const RecommendFacts& f) {
  constexpr long long kCap = 1000000000000LL;
  return std::min(kCap, static_cast<long long>(std::max(1, f.workers)) * std::max(1, f.streams));
}

/// "usable threads limited by quota; quota 1.50 CPUs (cpu.max); affinity 0-3 (4 CPUs)"
std::string capacity_evidence(const RecommendFacts& f) {
  std::string out =
      fmt::format("usable threads limited by {}", f.limited_by);
  out += f.quota_cpus ? fmt::format("; quota {:.2f} CPUs ({})", *f.quota_cpus, f.quota_source)
                      : std::string("; no CPU quota");
  out += f.affinity
             ? fmt::format("; affinity {} ({})", *f.affinity, count(f.affinity_cpus, "CPU", "CPUs"))
             : std::string("; affinity unknown");
  return out;
}

std::string share_formula(const RecommendFacts& f, int threads) {
  return fmt::format("{} = max(1, {} / ({} x {}))", threads,
                     count(f.usable_threads, "usable thread", "usable threads"),
                     count(f.workers, "worker", "workers"), count(f.streams, "stream", "streams"));
}

std::string oversubscription_note(const RecommendFacts& f) {
  return fmt::format(
      "{} x {} = {} exceed the {}: 1 thread each, the CPUs are oversubscribed by "
      "processes/streams",
      count(f.workers, "worker", "workers"), count(f.streams, "stream", "streams"), demand(f),
      count(f.usable_threads, "usable thread", "usable threads"));
}

/// Why a count above the usable threads is wrong, by what limited them.
std::string verdict_above_usable(const RecommendFacts& f) {
  if (f.limited_by == LimitedBy::kQuota) {
    return "rejected: threads beyond the quota stall OpenMP barriers when the quota runs out";
  }
  if (f.limited_by == LimitedBy::kPhysicalCores) {
    return "rejected: SMT siblings share one core's execution units";
  }
  return "rejected: more threads than CPUs this process may run on";
}

void add_candidates(const RecommendFacts& f, ThreadDecision& c) {
  c.candidates.push_back({c.threads, "usable threads / (workers x streams)",
                          "chosen: each of the workers x streams gets an equal share", true});
  if (demand(f) > 1) {
    c.candidates.push_back(
        {f.usable_threads, "usable threads (one process, one stream)",
         fmt::format("rejected: {} x {} share them", count(f.workers, "worker", "workers"),
                     count(f.streams, "stream", "streams"))});
  }
  if (f.allowed_cpus > f.usable_threads) {
    c.candidates.push_back(
        {f.allowed_cpus, "allowed CPUs (quota rounded up)", verdict_above_usable(f)});
  }
  if (f.affinity_cpus > f.usable_threads) {
    c.candidates.push_back({f.affinity_cpus, "CPUs in the affinity mask", verdict_above_usable(f)});
  }
  if (f.online_cpus && *f.online_cpus > std::max(f.usable_threads, f.affinity_cpus)) {
    c.candidates.push_back({*f.online_cpus, "online CPUs (near LibTorch's default)",
                            "rejected: LibTorch sizes its pool from the host and ignores quotas"});
  }
}

/// A variable as found in the environment.
struct Existing {
  bool present = false;
  std::string raw;
  std::optional<int> value;  ///< set when `raw` is a positive integer
};

Existing find_existing(const std::map<std::string, std::string>& env, const std::string& name) {
  Existing e;
  const auto it = env.find(name);
  if (it == env.end()) return e;
  e.present = true;
  e.raw = it->second;
  e.value = parse_thread_count(e.raw);
  return e;
}

std::string computed_reason(const std::string& name, const ThreadDecision& choice) {
  if (name == kOmp) return choice.reason;
  return choice.reason +
         "; the same value as OMP_NUM_THREADS, because LibTorch reads MKL_NUM_THREADS first";
}

EnvSetting computed(const std::string& name, const ThreadDecision& choice, const Existing& mine) {
  EnvSetting s{name, std::to_string(choice.threads), SettingSource::kComputed,
               computed_reason(name, choice)};
  if (mine.present && mine.raw != s.value) {
    s.reason += fmt::format("; replaces '{}' from the environment", mine.raw);
  }
  return s;
}

void warn_if_kept_too_high(const std::string& name, int kept, int computed_threads,
                           Recommendation& rec) {
  const auto& f = rec.facts;
  // kept x demand > usable, without overflow for any demand
  if (!f.capacity_known || kept <= f.usable_threads / demand(f)) return;
  const auto usable = count(f.usable_threads, "usable thread", "usable threads");
  const std::string what = demand(f) == 1
                               ? fmt::format("exceeds the {} (limited by {})", usable, f.limited_by)
                               : fmt::format("x {} x {} = {} threads exceed the {} (limited by {})",
                                             count(f.workers, "worker", "workers"),
                                             count(f.streams, "stream", "streams"),
                                             kept * demand(f), usable, f.limited_by);
  rec.warnings.push_back({"env-kept-too-high", fmt::format("{}={} kept from the environment {}; use --override to set {}",
                                                           name, kept, what, computed_threads)});
}

EnvSetting resolve_var(const std::string& name, const std::string& partner,
                       const RecommendInputs& in, const ThreadDecision& choice, Recommendation& rec) {
  const auto mine = find_existing(in.env, name);
  if (in.override_env) return computed(name, choice, mine);
  if (mine.value) {
    warn_if_kept_too_high(name, *mine.value, choice.threads, rec);
    return {name, std::to_string(*mine.value), SettingSource::kEnvironment,
            fmt::format("kept from the environment (use --override to replace it); torchdiag would "
                        "set {}: {}",
                        choice.threads, choice.reason)};
  }
  const auto other = find_existing(in.env, partner);
  EnvSetting s = computed(name, choice, mine);
  if (other.value) {
    s = {name, std::to_string(*other.value), SettingSource::kFollows,
         fmt::format("follows {}={} kept from the environment, so that LibTorch and OpenMP size "
                     "their pools alike",
                     partner, *other.value)};
  }
  if (mine.present) {
    rec.problems.push_back({fmt::format("{}='{}' in the environment is not a positive integer; "
                                        "replaced by {}",
                                        name, mine.raw, s.value),
                            true});
  }
  return s;
}

void check_kept_agreement(Recommendation& rec) {
  const auto& omp = rec.env[0];
  const auto& mkl = rec.env[1];
  if (omp.value == mkl.value) return;
  rec.warnings.push_back({"mkl-omp-disagree",
                          fmt::format("MKL_NUM_THREADS={} and OMP_NUM_THREADS={} (kept from the "
                                      "environment) disagree; LibTorch sizes its intra-op pool from "
                                      "MKL_NUM_THREADS",
                                      mkl.value, omp.value)});
}

}  // namespace

int intra_op_share(int usable_threads, int workers, int streams) {
  const long long share = static_cast<long long>(std::max(1, usable_threads)) /
                          (static_cast<long long>(std::max(1, workers)) * std::max(1, streams));
  return static_cast<int>(std::max(1LL, share));
}

RecommendInputs inputs_from_report(const InspectReport& r, const RecommendRequest& request) {
  RecommendInputs in;
  auto& f = in.facts;
  f.usable_threads = r.capacity.usable_threads;
  f.allowed_cpus = r.capacity.allowed_cpus;
  f.limited_by = r.capacity.limited_by;
  f.quota_cpus = r.cgroup.quota_cpus;
  f.quota_source = r.cgroup.quota_source;
  if (r.cpu.affinity.ok()) f.affinity = format_cpu_list(*r.cpu.affinity.value);
  f.affinity_cpus = affinity_count(r.cpu, r.cgroup);
  if (r.cpu.online.ok()) f.online_cpus = static_cast<int>(r.cpu.online.value->size());
  f.workers = std::max(1, request.workers);
  f.streams = std::max(1, request.streams);
  f.capacity_known = r.cpu.affinity.ok() || r.cgroup.cpuset.ok() || r.cpu.online.ok();
  if (!f.capacity_known) {
    f.usable_threads = f.allowed_cpus = 1;
    f.limited_by = LimitedBy::kUnknown;
    in.problems.push_back({fmt::format("CPU count unknown (affinity {}; online CPUs {})",
                                       r.cpu.affinity.why(), r.cpu.online.why())});
  } else if (!r.cpu.affinity.ok()) {
    in.warnings.push_back({"affinity-unavailable", fmt::format("affinity {}; counting {} CPUs instead",
                                                                r.cpu.affinity.why(),
                                                                r.cgroup.cpuset.ok() ? "cpuset" : "online")});
  }
  for (const auto& w : r.cgroup.warnings) in.problems.push_back({w});
  in.env = r.env.vars;
  if (!r.env.error.empty()) {
    in.warnings.push_back({"environment-unreadable",
                           fmt::format("environment unreadable ({}: {}); no variable is kept from it",
                                       r.env.source, r.env.error)});
  }
  in.override_env = request.override_env;
  return in;
}

RecommendInputs fallback_inputs(const Problem& why, const std::map<std::string, std::string>& env,
                                const RecommendRequest& request) {
  RecommendInputs in;
  in.facts.capacity_known = false;
  in.facts.limited_by = LimitedBy::kUnknown;
  in.facts.workers = std::max(1, request.workers);
  in.facts.streams = std::max(1, request.streams);
  in.env = env;
  in.override_env = request.override_env;
  in.problems.push_back(why);
  return in;
}

ThreadDecision choose_threads(const RecommendFacts& f) {
  ThreadDecision c;
  if (!f.capacity_known) {
    c.reason = "1 = the safe minimum: the CPU facts could not be read";
    c.candidates.push_back({1, "safe minimum", "chosen: nothing is known about the CPUs", true});
    return c;
  }
  c.threads = intra_op_share(f.usable_threads, f.workers, f.streams);
  c.reason = share_formula(f, c.threads) + "; " + capacity_evidence(f);
  if (demand(f) > f.usable_threads) {
    c.reason += "; " + oversubscription_note(f);
  } else if (f.usable_threads % demand(f) != 0) {
    c.reason += fmt::format("; {} left idle by the equal split",
                            count(f.usable_threads % demand(f), "thread", "threads"));
  }
  add_candidates(f, c);
  return c;
}

Recommendation recommend(const RecommendInputs& in) {
  Recommendation rec;
  rec.facts = in.facts;
  rec.facts.workers = std::max(1, rec.facts.workers);
  rec.facts.streams = std::max(1, rec.facts.streams);
  rec.problems = in.problems;
  rec.warnings = in.warnings;
  const auto choice = in.measured ? in.measured->decision : choose_threads(rec.facts);
  if (in.measured) {
    rec.mode = in.measured->mode;
    rec.facts.workers = in.measured->chosen.workers;
    rec.facts.streams = in.measured->chosen.streams;
    rec.interop_threads = in.measured->chosen.interop;
    rec.search = in.measured->search;
    rec.profile = in.measured->profile;
  }
  rec.candidates = choice.candidates;
  if (rec.facts.capacity_known && demand(rec.facts) > rec.facts.usable_threads) {
    rec.warnings.push_back({"oversubscription", oversubscription_note(rec.facts) +
                                                    "; start fewer workers or streams, or give the container more CPUs"});
  }
  rec.env.push_back(resolve_var(kOmp, kMkl, in, choice, rec));
  rec.env.push_back(resolve_var(kMkl, kOmp, in, choice, rec));
  check_kept_agreement(rec);
  if (in.measured) {
    for (const auto& extra : in.measured->extra) rec.env.push_back(extra);
  }
  rec.omp_num_threads = static_cast<int>(parse_int(rec.env[0].value).value_or(choice.threads));
  return rec;
}

}  // namespace torchdiag
