#!/usr/bin/env bash
# The cost of `recommend --quick` (and so of `--profile`, which reads one more file):
# median wall time and peak RSS over RUNS runs (target < 10 ms, < 10 MB). Prints
# figures; asserts nothing. recommend --measure: tests/perf/recommend_quality.sh.
# Usage: tests/perf/recommend_perf.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build="$(cd "${1:-build}" && pwd)"
runs="${2:-200}"
bin="$build/torchdiag"

python3 - "$bin" "$runs" <<'PY'
import os, subprocess, sys, time, tempfile, statistics
binary, runs = sys.argv[1], int(sys.argv[2])
argv = [binary, "recommend", "--quick", "--format", "shell"]
walls = []
for _ in range(runs + 3):
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    walls.append(time.perf_counter() - t)
walls = sorted(walls[3:])
with tempfile.NamedTemporaryFile("r") as out:
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv], stdout=subprocess.DEVNULL, check=True)
    rss_kib = int(out.read().split()[-1])
print(f"recommend --quick: median {1e3*statistics.median(walls):.2f} ms, p90 {1e3*walls[int(0.9*len(walls))-1]:.2f} ms "
      f"over {runs} runs (including process spawn); peak RSS {rss_kib/1024:.1f} MiB")
PY
