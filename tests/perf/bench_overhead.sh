#!/usr/bin/env bash
# Does bench distort what it measures? Compares bench's p50 for index_select and for a
# forward of the built-in model with a minimal hand-written LibTorch loop doing the same
# calls under the same thread setting. Target: within 3%. Also times a default
# `torchdiag bench`. Prints figures; asserts nothing.
#   tests/perf/bench_overhead.sh [BUILD_DIR] [THREADS]
set -euo pipefail
build="${1:-build}"
threads="${2:-2}"
cmake --build "$build" --target torchdiag_minimal_loop -j2 >/dev/null
export OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
p50_of_bench() {
  "$build/torchdiag" bench --workload "$1" --threads "$threads" --min-time "$2" --repetitions 3 --format json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["latency_s"]["p50"])'
}
p50_of_loop() {
  "$build/tests/torchdiag_minimal_loop" "$1" "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["p50_s"])'
}
echo "machine: $(nproc) CPUs, $(uname -r), threads=$threads"
for spec in "index_select 3 30" "forward 2 600"; do
  read -r workload min_time calls <<<"$spec"
  for round in 1 2 3; do
    b="$(p50_of_bench "$workload" "$min_time")"
    l="$(p50_of_loop "$workload" "$calls")"
    python3 -c "b,l=$b,$l; print(f'$workload round $round: bench p50 {b*1e3:.3f} ms, minimal loop p50 {l*1e3:.3f} ms, bench/loop {b/l:.3f}')"
  done
done
unset OMP_NUM_THREADS MKL_NUM_THREADS
start=$(date +%s.%N)
"$build/torchdiag" bench >/dev/null
echo "default 'torchdiag bench' wall time: $(python3 -c "print(f'{$(date +%s.%N)-$start:.1f} s')")"
