#!/usr/bin/env bash
# Start-up of two torchdiag builds side by side: `inspect --no-torch` and
# `recommend --quick` (what container entrypoints run) on this machine, and
# `inspect --no-torch --root` on a fixture snapshot (the rooted reader's walk), runs interleaved A, B, A, B... so
# that machine noise hits both alike. Prints per build and command the median and p90
# wall time and the peak RSS, and the B/A ratio of the medians; asserts nothing.
#
# Usage: tests/perf/startup_compare.sh BUILD_A BUILD_B [RUNS]
#   BUILD_A, BUILD_B  directories holding a built torchdiag (e.g. a build of the previous
#                     commit and the current one)
#   RUNS              runs per build and command (default 200)
#
# Wall time is measured around spawning torchdiag (stdout to /dev/null); peak RSS comes
# from GNU time (/usr/bin/time, package `time`) over a few extra runs.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
a="$1/torchdiag"
b="$2/torchdiag"
runs="${3:-200}"
for bin in "$a" "$b"; do
  [[ -x "$bin" ]] || { echo "startup_compare: $bin is not an executable" >&2; exit 2; }
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "startup_compare: RUNS must be a positive integer" >&2; exit 2; }

fixture="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/roots/k8s-v2-cgroupns" && pwd)"

exec python3 - "$a" "$b" "$runs" "$fixture" <<'PY'
import platform
import statistics
import subprocess
import sys
import time

a, b, runs, fixture = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
commands = {"inspect --no-torch": ["inspect", "--no-torch"], "recommend --quick": ["recommend", "--quick"],
            "inspect --no-torch --root (fixture)": ["inspect", "--no-torch", "--root", fixture]}


def wall(binary, args):
    t0 = time.perf_counter()
    subprocess.run([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def peak_rss_kib(binary, args):
    out = subprocess.run(["/usr/bin/time", "-f", "%M", binary] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=False).stderr.strip().splitlines()
    return int(out[-1])


print(f"startup_compare: {runs} interleaved runs per build and command on {platform.node()}, "
      f"kernel {platform.release()}")
print(f"  A = {a}\n  B = {b}")
for label, args in commands.items():
    times = {a: [], b: []}
    for _ in range(runs):
        for binary in (a, b):
            times[binary].append(wall(binary, args))
    print(f"{label}:")
    medians = {}
    for name, binary in (("A", a), ("B", b)):
        t = sorted(times[binary])
        medians[binary] = statistics.median(t)
        p90 = t[int(0.9 * (len(t) - 1))]
        rss = max(peak_rss_kib(binary, args) for _ in range(5))
        print(f"  {name}: median {medians[binary] * 1e3:.2f} ms, p90 {p90 * 1e3:.2f} ms, "
              f"peak RSS {rss / 1024:.1f} MiB")
    print(f"  B/A median ratio: {medians[b] / medians[a]:.3f}")
PY
