#!/usr/bin/env bash
# Start-up cost of `torchdiag inspect`: wall time (min, median, p90, max over repeated
# runs) and peak resident memory, for the CPU part alone (--no-torch, what container
# entrypoints run) and with the LibTorch section (which starts torchdiag-worker).
# Prints figures with the facts they were measured under; asserts nothing.
#
# Usage: tests/perf/inspect_perf.sh [BUILD_DIR] [RUNS] [TORCH_RUNS]
#   BUILD_DIR   directory holding the built torchdiag (default: build)
#   RUNS        runs of `inspect --no-torch` (default 200, or $RUNS)
#   TORCH_RUNS  runs of `inspect` with the LibTorch section (default 10, or $TORCH_RUNS;
#               0 skips it). The worker is found as torchdiag finds it (next to the
#               binary, or $TORCHDIAG_WORKER).
#
# Wall time is measured around posix_spawn + wait4 of torchdiag itself (stdout to
# /dev/null). Peak RSS comes from GNU time (/usr/bin/time, package `time`): a spawned
# child's ru_maxrss also counts the memory of the process it was forked from, so it is
# measured through that small C program rather than from this script's Python. With
# the LibTorch section the figure is the largest single process (torchdiag or its
# worker), not their sum.
set -euo pipefail

build_dir="${1:-build}"
runs="${2:-${RUNS:-200}}"
torch_runs="${3:-${TORCH_RUNS:-10}}"
binary="$build_dir/torchdiag"

if [[ ! -x "$binary" ]]; then
  echo "inspect_perf: $binary is not an executable (build it first, or pass the build dir)" >&2
  exit 2
fi
if ! [[ "$runs" =~ ^[1-9][0-9]*$ && "$torch_runs" =~ ^[0-9]+$ ]]; then
  echo "inspect_perf: RUNS must be a positive integer and TORCH_RUNS a non-negative one" >&2
  exit 2
fi

exec python3 - "$binary" "$runs" "$torch_runs" <<'PY'
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

binary, runs, torch_runs = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
GNU_TIME = "/usr/bin/time"
WARMUP = 3
RSS_RUNS = 20  # peak RSS barely varies; this many runs are enough


def fail(message):
    print(f"inspect_perf: {message}", file=sys.stderr)
    sys.exit(1)


def wall_s(argv, devnull):
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, _ = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        fail(f"{' '.join(argv)} failed ({os.waitstatus_to_exitcode(status)})")
    return elapsed


def peak_rss_kib(argv):
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run([GNU_TIME, "-f", "%M", "-o", out.name, *argv],
                       stdout=subprocess.DEVNULL, check=True)
        return int(out.read().split()[-1])


def nearest_rank(sorted_values, fraction):
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def measure(label, argv, n):
    devnull = os.open(os.devnull, os.O_WRONLY)
    for _ in range(min(WARMUP, n)):
        wall_s(argv, devnull)
    walls_ms = sorted(1000 * wall_s(argv, devnull) for _ in range(n))
    os.close(devnull)
    print(f"\n{label}\n  command    {' '.join(argv)}")
    print(f"  wall ms    median {nearest_rank(walls_ms, 0.5):.2f}   p90 {nearest_rank(walls_ms, 0.9):.2f}"
          f"   min {walls_ms[0]:.2f}   max {walls_ms[-1]:.2f}   ({n} runs)")
    if not os.access(GNU_TIME, os.X_OK):
        print(f"  peak RSS   unavailable ({GNU_TIME} not installed: apt-get install time)")
        return
    rss = sorted(peak_rss_kib(argv) for _ in range(min(RSS_RUNS, n)))
    print(f"  peak RSS   median {nearest_rank(rss, 0.5) / 1024:.1f} MiB   max {rss[-1] / 1024:.1f} MiB"
          f"   ({len(rss)} runs)")


def report(argv):
    out = subprocess.run(argv, stdout=subprocess.PIPE, check=True, text=True).stdout
    return json.loads(out)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


version = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
facts = report([binary, "inspect", "--no-torch", "--format", "json"])
cpu = facts["cpu"]
quota = "none" if cpu.get("quota_cpus") is None else f"{cpu['quota_cpus']:g} CPUs"
print("torchdiag inspect start-up cost (target for --no-torch: median < 10 ms, peak RSS < 10 MB;"
      " not asserted)")
print(f"  binary     {binary} ({version})")
print(f"  machine    {cpu_model()}, kernel {platform.release()}")
print(f"  CPUs       online {cpu.get('online')}, affinity {cpu.get('affinity')}, quota {quota},"
      f" usable threads {cpu.get('usable_threads')}")
print(f"  env        {facts.get('env') or '(no thread variables set)'}")

measure("inspect --no-torch (CPU part only)", [binary, "inspect", "--no-torch"], runs)

if torch_runs == 0:
    sys.exit(0)
torch = report([binary, "inspect", "--format", "json"]).get("torch", {})
if not torch.get("available"):
    print(f"\ninspect with the LibTorch section\n  skipped    {torch.get('reason', 'unavailable')}")
    sys.exit(0)
measure(f"inspect with the LibTorch section (LibTorch {torch.get('version')},"
        f" intra-op threads {torch.get('intra_op_threads')})", [binary, "inspect"], torch_runs)
PY
