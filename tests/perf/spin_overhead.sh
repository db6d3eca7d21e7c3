#!/usr/bin/env bash
# What cpu-clock sampling (the spin column of `torchdiag bench`) costs: the p50 latency
# of `bench --workload forward --threads 2 --repetitions 5` with sampling on and with
# TORCHDIAG_NO_SAMPLING=1, in interleaved pairs so that drifting machine load hits both
# sides alike. Prints the p50 of each run, the median overhead over the pairs in
# percent (target under 5%), and the facts it ran under; asserts nothing.
#
# TOGGLE=TORCHDIAG_NO_COUNTERS measures the perf counting instead (target under 2%).
#
# Usage: [TOGGLE=VAR] tests/perf/spin_overhead.sh [BUILD_DIR] [PAIRS]
#   BUILD_DIR  directory holding the built torchdiag and torchdiag-worker (default: build)
#   PAIRS      sampled/unsampled pairs of runs (default 20, or $PAIRS). Worker-to-worker
#              spread of p50 is several percent on a 2-CPU VM, so fewer pairs mostly
#              measure noise; the interquartile range of the per-pair figures says how much.
set -euo pipefail

build_dir="${1:-build}"
pairs="${2:-${PAIRS:-20}}"
binary="$build_dir/torchdiag"

if [[ ! -x "$binary" ]]; then
  echo "spin_overhead: $binary is not an executable (build it first, or pass the build dir)" >&2
  exit 2
fi
if ! [[ "$pairs" =~ ^[1-9][0-9]*$ ]]; then
  echo "spin_overhead: PAIRS must be a positive integer" >&2
  exit 2
fi

exec python3 - "$binary" "$pairs" <<'PY'
import json
import os
import platform
import statistics
import subprocess
import sys

binary, pairs = os.path.abspath(sys.argv[1]), int(sys.argv[2])
TOGGLE = os.environ.get("TOGGLE", "TORCHDIAG_NO_SAMPLING")
ARGS = ["bench", "--workload", "forward", "--threads", "2", "--repetitions", "5", "--format", "json"]


def run(sampling):
    env = dict(os.environ)
    env.pop(TOGGLE, None)
    if not sampling:
        env[TOGGLE] = "1"
    out = subprocess.run([binary, *ARGS], env=env, stdout=subprocess.PIPE, check=True, text=True).stdout
    doc = json.loads(out)
    row = doc["results"][0]
    if row["status"] != "ok":
        sys.exit(f"spin_overhead: the bench row failed: {row['error']}")
    return doc, row


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "unknown"


on_p50, off_p50, ratios, on_rows = [], [], [], []
doc = None
for i in range(pairs):
    order = (True, False) if i % 2 == 0 else (False, True)
    p50 = {}
    for sampling in order:
        doc, row = run(sampling)
        p50[sampling] = row["latency_s"]["p50"]
        if sampling:
            on_rows.append(row)
    on_p50.append(p50[True])
    off_p50.append(p50[False])
    ratios.append(p50[True] / p50[False] - 1)

ctx = doc["context"]
last = on_rows[-1]
print("cost of cpu-clock sampling on bench p50 (target under 5%; not asserted)")
print(f"  command    torchdiag {' '.join(ARGS[:-2])}, on vs {TOGGLE}=1")
print(f"  machine    {platform.machine()}, kernel {platform.release()}, load {read('/proc/loadavg')}")
print(f"  LibTorch   {ctx.get('torch_version')}, perf_event_paranoid"
      f" {read('/proc/sys/kernel/perf_event_paranoid')}, euid {os.geteuid()}")
print(f"  sampling   {last['spin_method']}; last run: spin {last['spin_fraction']},"
      f" kernel {last['kernel_fraction']}, samples {last['spin_samples']}")
print(f"  p50 on     {' '.join(f'{1e3 * x:.3f}' for x in on_p50)} ms  (median {1e3 * statistics.median(on_p50):.3f})")
print(f"  p50 off    {' '.join(f'{1e3 * x:.3f}' for x in off_p50)} ms  (median {1e3 * statistics.median(off_p50):.3f})")
quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
print(f"  per pair   {' '.join(f'{100 * r:+.1f}%' for r in ratios)}")
print(f"  overhead   median {100 * statistics.median(ratios):+.1f}% over {pairs} pairs"
      f" (interquartile {100 * quartiles[0]:+.1f}% .. {100 * quartiles[2]:+.1f}%);"
      f" ratio of median p50s {100 * (statistics.median(on_p50) / statistics.median(off_p50) - 1):+.1f}%")
PY
