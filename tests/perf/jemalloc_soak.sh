#!/usr/bin/env bash
# glibc malloc vs jemalloc on a multi-stream forward soak: jemalloc/glibc ratios of peak
# and mean RSS and of p50 latency, from `bench --allocator glibc,jemalloc --duration`.
# Also the cost of RSS sampling: p50 with sampling at the default interval vs with
# TORCHDIAG_RSS_INTERVAL_S=0 (off). Prints figures; asserts nothing.
# Usage: tests/perf/jemalloc_soak.sh [BUILD_DIR] [SECONDS] [STREAMS] [MODEL ARGS...]
set -euo pipefail
build="${1:-build}"; seconds="${2:-60}"; streams="${3:-2}"
shift $(( $# > 3 ? 3 : $# ))
bin="$build/torchdiag"
out="$(mktemp)"
"$bin" bench --workload forward --allocator glibc,jemalloc --duration "$seconds" --streams "$streams" \
  --threads 1 --vary-batch "$@" --format json --plot "${out}.svg" >"$out"
python3 - "$out" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for r in j["results"]:
    if r["status"] != "ok":
        print(f'{r["allocator"]}: {r["status"]}: {r["error"]}'); continue
    je = r["jemalloc"]
    print(f'{r["allocator"]:9} streams={r["streams"]} calls={r["iterations"]} p50={r["latency_s"]["p50"]*1e3:.2f} ms '
          f'peak RSS={r["peak_rss_bytes"]/2**20:.1f} MiB mean RSS={r["mean_rss_bytes"]/2**20:.1f} MiB '
          f'samples={len(r["rss_timeline"])}' + (f' jemalloc allocated={je["allocated_bytes"]/2**20:.1f} MiB '
          f'resident={je["resident_bytes"]/2**20:.1f} MiB' if je else ''))
for c in j["comparisons"]:
    print(f'jemalloc/glibc: peak RSS {c["peak_rss_ratio"]:.3f}, mean RSS {c["mean_rss_ratio"]:.3f}, p50 {c["p50_ratio"]:.3f}')
PY
echo "RSS plot: ${out}.svg"
p50() { python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["latency_s"]["p50"])'; }
on="$("$bin" bench --workload forward --threads 1 --min-time 3 --repetitions 5 --format json | p50)"
off="$(TORCHDIAG_RSS_INTERVAL_S=0 "$bin" bench --workload forward --threads 1 --min-time 3 --repetitions 5 --format json | p50)"
python3 -c "on,off=$on,$off; print(f'RSS sampling overhead on p50: {100*(on/off-1):+.2f}% (on {on*1e3:.3f} ms, off {off*1e3:.3f} ms)')"
