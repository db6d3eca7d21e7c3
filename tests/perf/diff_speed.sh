#!/usr/bin/env bash
# How long `torchdiag diff` takes on the two sizes the targets name.
#
#  1. Two inspect reports: node-pool-a and node-pool-b (tests/fixtures/roots/) written
#     with `inspect --root ... --format json`, diffed RUNS (50) times; prints the median
#     wall time per diff against the 20 ms target.
#  2. Two bench reports of CONFIGS (100) configurations with SAMPLES (10,000) per-call
#     latencies each (generated: the same distributions on both sides, a 10% shift on
#     every fifth configuration), diffed 5 times; prints the median wall time against
#     the 1 s target, the reports' size, and how many gaps the test found (expected:
#     the shifted ones, CONFIGS/5).
#
# Prints figures and whether each meets its target; exits 1 only when torchdiag fails.
# Run by hand.
#
# Usage: tests/perf/diff_speed.sh BUILD_DIR
# Environment: RUNS (default 50), CONFIGS (default 100), SAMPLES (default 10000).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
binary="$1/torchdiag"
runs="${RUNS:-50}"
configs="${CONFIGS:-100}"
samples="${SAMPLES:-10000}"
if [[ ! -x "$binary" ]]; then
  echo "diff_speed: $binary is not an executable (build torchdiag first)" >&2
  exit 2
fi
if ! [[ "$runs" =~ ^[1-9][0-9]*$ && "$configs" =~ ^[1-9][0-9]*$ && "$samples" =~ ^[1-9][0-9]*$ ]]; then
  echo "diff_speed: RUNS, CONFIGS and SAMPLES must be positive integers" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")/../.." && pwd)"
python=/usr/bin/python3
[[ -x "$python" ]] || python="$(command -v python3)"
work="$(mktemp -d "${TMPDIR:-/tmp}/torchdiag-diff-speed-XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Median wall time in ms of N runs of the command (exit 0 or 1 both count as success).
median_ms() {
  local n="$1"
  shift
  local times=() i start end rc
  for ((i = 0; i < n; i++)); do
    start=$(date +%s%N)
    set +e
    "$@" >/dev/null 2>"$work/err"
    rc=$?
    set -e
    end=$(date +%s%N)
    if ((rc > 1)); then
      echo "diff_speed: $* failed (exit $rc): $(cat "$work/err")" >&2
      exit 1
    fi
    times+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

for pool in a b; do
  "$binary" inspect --root "$here/tests/fixtures/roots/node-pool-$pool" --format json -o "$work/inspect-$pool.json"
done
inspect_ms=$(median_ms "$runs" "$binary" diff "$work/inspect-a.json" "$work/inspect-b.json")
awk -v t="$inspect_ms" 'BEGIN {printf "inspect diff: median %.2f ms over '"$runs"' runs (target < 20 ms: %s)\n", t, t < 20 ? "met" : "NOT met"}'

"$python" - "$work" "$configs" "$samples" <<'PY'
import json, math, random, sys
work, configs, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
def report(shifted):
    rows = []
    for i in range(configs):
        p50 = 1e-3 * (1 + i % 7) * (1.10 if shifted and i % 5 == 0 else 1.0)
        lat = [p50 * math.exp(rng.gauss(0, 0.1)) for _ in range(samples)]
        rows.append({"workload": "index_select", "model": None, "threads": 1 + i % 10, "interop_threads": 1 + i // 10,
                     "streams": 1, "allocator": "glibc", "status": "ok", "latency_s": {"p50": sorted(lat)[samples // 2]},
                     "latency_samples_s": [round(x, 9) for x in lat], "warnings": []})
    return {"schema": "torchdiag.bench/1", "context": {"cpu": {"usable_threads": 2}, "findings": []},
            "results": rows, "comparisons": [], "warnings": []}
for name, shifted in (("bench-a.json", False), ("bench-b.json", True)):
    with open(f"{work}/{name}", "w") as f:
        json.dump(report(shifted), f)
PY
size=$(du -m "$work/bench-a.json" | cut -f1)
bench_ms=$(median_ms 5 "$binary" diff "$work/bench-a.json" "$work/bench-b.json")
found=$("$binary" diff "$work/bench-a.json" "$work/bench-b.json" --format json |
  "$python" -c 'import json,sys; print(sum(c["matters"] for c in json.load(sys.stdin)["configs"]))' || true)
awk -v t="$bench_ms" -v s="$size" -v f="$found" 'BEGIN {printf "bench diff: %d configurations x %d samples (%d MiB each): median %.0f ms over 5 runs (target < 1000 ms: %s); gaps that matter: %s of %d shifted\n", '"$configs"', '"$samples"', s, t, t < 1000 ? "met" : "NOT met", f, int(('"$configs"' + 4) / 5)}'
