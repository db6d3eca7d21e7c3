#!/usr/bin/env bash
# What `bench --profile` costs: the timed window must not change, and the profiled
# calls plus the trace files must add under 2 s per configuration.
#
# Runs ROUNDS (3) pairs of the same sweep, with and without --profile, interleaved
# (forward on the built-in model and index_select, THREADS 1,2), and prints:
#  - per configuration, the median over rounds of p50 with / p50 without (target:
#    within noise, that is near 1.0; the rows' cv is printed beside it);
#  - the extra wall time per configuration: (wall with - wall without) / configurations,
#    median over rounds (target < 2 s).
#
# Prints figures and whether each meets its target; exits 1 only when torchdiag fails.
# Run by hand, on an otherwise idle machine.
#
# Usage: tests/perf/profile_overhead.sh BUILD_DIR
# Environment: ROUNDS (default 3), THREADS (default 1,2), EXTRA_ARGS (more bench options,
# split on spaces, e.g. "--model m.pt --input 1x3x224x224 --workload forward").
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
binary="$1/torchdiag"
rounds="${ROUNDS:-3}"
threads="${THREADS:-1,2}"
if [[ ! -x "$binary" ]]; then
  echo "profile_overhead: $binary is not an executable (build torchdiag first)" >&2
  exit 2
fi
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "profile_overhead: ROUNDS must be a positive integer" >&2
  exit 2
fi
python=/usr/bin/python3
[[ -x "$python" ]] || python="$(command -v python3)"
work="$(mktemp -d "${TMPDIR:-/tmp}/torchdiag-profile-overhead-XXXXXX")"
trap 'rm -rf "$work"' EXIT
read -r -a extra <<<"${EXTRA_ARGS:-}"

run() {  # run NAME [bench options...]: the JSON report to $work/NAME.json, wall seconds to $work/NAME.wall
  local name="$1"
  shift
  local start end
  start=$(date +%s%N)
  if ! "$binary" bench --threads "$threads" --format json -o "$work/$name.json" "${extra[@]}" "$@" 2>"$work/$name.err"; then
    echo "profile_overhead: torchdiag bench failed: $(tail -1 "$work/$name.err")" >&2
    exit 1
  fi
  end=$(date +%s%N)
  echo "$(((end - start) / 1000000))" >"$work/$name.wall"
}

for ((i = 1; i <= rounds; i++)); do
  echo "round $i of $rounds ..."
  run "plain-$i"
  run "profiled-$i" --profile "$work/traces-$i"
done

"$python" - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def rows(name):
    return {(r["workload"], r["threads_label"]): r for r in json.load(open(f"{work}/{name}.json"))["results"]}
ratios, extra = {}, []
for i in range(1, rounds + 1):
    plain, prof = rows(f"plain-{i}"), rows(f"profiled-{i}")
    for key, r in plain.items():
        p = prof.get(key)
        if r["status"] == "ok" and p and p["status"] == "ok":
            ratios.setdefault(key, []).append((p["latency_s"]["p50"] / r["latency_s"]["p50"], r["cv"], p["cv"]))
    wall = lambda n: int(open(f"{work}/{n}.wall").read())
    extra.append((wall(f"profiled-{i}") - wall(f"plain-{i}")) / 1000 / len(plain))
print("p50 with --profile / without (median over rounds; cv without, with):")
for (workload, threads), vals in sorted(ratios.items()):
    m = statistics.median(v[0] for v in vals)
    cv = statistics.median(v[1] for v in vals), statistics.median(v[2] for v in vals)
    print(f"  {workload:<13} threads={threads:<8} {m:.3f}   cv {100*cv[0]:.1f}% / {100*cv[1]:.1f}%")
e = statistics.median(extra)
print(f"extra wall time per configuration: median {e:.2f} s over {rounds} rounds "
      f"(target < 2 s: {'met' if e < 2 else 'NOT met'})")
PY
