#!/usr/bin/env bash
# recommend's cost and quality. Prints figures; asserts nothing.
#  1. `recommend --quick`: median wall time and peak RSS over RUNS runs (target < 10 ms, < 10 MB).
#  2. `recommend --measure` total wall time at the default budget (15 s).
#  3. Quality, with no limit and under 1.0 and 0.5 CPU quotas (cgroup v1, needs root):
#     throughput of the measured recommendation against the best of a full sweep
#     (target >= 97%) and the speed-up over LibTorch's default ('current').
# Usage: tests/perf/recommend_perf.sh [BUILD_DIR] [RUNS] [WORKLOAD]
set -euo pipefail
build="$(cd "${1:-build}" && pwd)"
runs="${2:-200}"
workload="${3:-index_select}"
bin="$build/torchdiag"
cg_root=/sys/fs/cgroup/cpu

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

start=$(date +%s.%N)
"$bin" recommend --measure --format shell >/dev/null 2>&1
echo "recommend --measure (default budget 15 s, built-in model): $(python3 -c "print(f'{$(date +%s.%N)-$start:.1f} s')") wall"

# Runs "$@" inside cgroup $1 (a name under $cg_root, or "" for none).
in_cgroup() {
  local cg="$1"; shift
  if [[ -z "$cg" ]]; then "$@"; return; fi
  sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg_root/$cg" "$@"
}

quality() {
  local label="$1" quota_us="$2" cg=""
  if [[ "$quota_us" != none ]]; then
    cg="torchdiag-perf-$$-$quota_us"
    mkdir "$cg_root/$cg"
    echo 100000 >"$cg_root/$cg/cpu.cfs_period_us"
    echo "$quota_us" >"$cg_root/$cg/cpu.cfs_quota_us"
  fi
  local rec sweep
  rec="$(in_cgroup "$cg" "$bin" recommend --measure --workload "$workload" --objective throughput --format json 2>/dev/null)"
  sweep="$(in_cgroup "$cg" env -u OMP_NUM_THREADS -u MKL_NUM_THREADS "$bin" bench --workload "$workload" \
    --threads 1,2,current --min-time 2 --repetitions 3 --format json 2>/dev/null)"
  [[ -n "$cg" ]] && rmdir "$cg_root/$cg"
  python3 - "$label" "$rec" "$sweep" <<'PY'
import json, sys
label, rec, sweep = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
n = rec["omp_num_threads"]
rows = [r for r in sweep["results"] if r["status"] == "ok"]
tput = {r["threads_label"]: r["throughput_per_s"] for r in rows}
explicit = {k: v for k, v in tput.items() if k != "current"}
best_label = max(explicit, key=explicit.get)
chosen = tput.get(str(n))
cur = tput.get("current")
cur_threads = next((r["intra_op_threads_actual"] for r in rows if r["threads_label"] == "current"), None)
print(f"{label}: recommended {n} thread(s); sweep " + ", ".join(f"{k}={v:.2f}/s" for k, v in tput.items()) +
      f"; recommended/best explicit setting {chosen/explicit[best_label]:.1%} (best: {best_label})" +
      (f"; speed-up over LibTorch default ({cur_threads} thread(s)) {chosen/cur:.2f}x" if cur else ""))
PY
}

if [[ -w "$cg_root" ]]; then
  quality "no limit" none
  quality "quota 1.0 CPU" 100000
  quality "quota 0.5 CPU" 50000
else
  echo "quality: skipped ($cg_root is not writable; needs root and cgroup v1)"
fi
