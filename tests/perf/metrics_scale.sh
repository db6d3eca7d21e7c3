#!/usr/bin/env bash
# What one `torchdiag watch --format openmetrics` round costs on a crowded node.
#
# Starts PROCESSES (200) Python processes of THREADS (10) threads each, about 2,000
# threads in total, that sleep (a busy team of that size would swamp a small machine and
# measure the scheduler, not torchdiag), all with a marker on their command line. Then
# runs one round of
#   torchdiag watch --all --match MARKER --duration 5 --format openmetrics
# under /usr/bin/time, with the default --max-series (50), and prints its CPU time
# (user + sys), maximum RSS and the size of the metrics, each against its target:
# under 1 s of CPU, under 30 MiB, under 200 KB. Also says whether promtool accepts the
# metrics, when it is installed. Every child is killed on exit.
#
# Prints figures and whether each meets its target; exits 1 only when torchdiag fails.
# Run by hand.
#
# Usage: tests/perf/metrics_scale.sh BUILD_DIR
#   BUILD_DIR  holds torchdiag
# Environment: PROCESSES (default 200), THREADS (threads per process, default 10),
# DURATION (watch --duration, default 5), EXTRA_ARGS (more watch options, split on
# spaces, e.g. "--no-spin" to see what spin sampling costs).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
binary="$1/torchdiag"
processes="${PROCESSES:-200}"
threads="${THREADS:-10}"
duration="${DURATION:-5}"
if [[ ! -x "$binary" ]]; then
  echo "metrics_scale: $binary is not an executable (build torchdiag first)" >&2
  exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "metrics_scale: /usr/bin/time is missing (Debian package time)" >&2
  exit 2
fi
if ! [[ "$processes" =~ ^[1-9][0-9]*$ && "$threads" =~ ^[1-9][0-9]*$ ]]; then
  echo "metrics_scale: PROCESSES and THREADS must be positive integers" >&2
  exit 2
fi
python=/usr/bin/python3
[[ -x "$python" ]] || python="$(command -v python3)"

work="$(mktemp -d "${TMPDIR:-/tmp}/torchdiag-metrics-scale-XXXXXX")"
marker="torchdiag-metrics-scale-$$"
# The bracket keeps the pattern from matching its own text on /usr/bin/time's command line.
pattern="[t]${marker:1}"
children=()

cleanup() {
  local pid
  for pid in ${children[@]+"${children[@]}"}; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in ${children[@]+"${children[@]}"}; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# THREADS - 1 threads asleep beside the main thread, which sleeps too.
sleeper='import sys, threading, time
for _ in range(int(sys.argv[2]) - 1):
    threading.Thread(target=time.sleep, args=(86400,), daemon=True).start()
time.sleep(86400)'

echo "starting $processes processes x $threads threads ..."
for ((i = 0; i < processes; i++)); do
  "$python" -c "$sleeper" "$marker" "$threads" </dev/null >/dev/null 2>&1 &
  children+=("$!")
done

# Wait until every child has all its threads (at most 120 s).
total=0
for ((tick = 0; tick < 1200; tick++)); do
  total=0
  ready=0
  for pid in "${children[@]}"; do
    n="$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
    total=$((total + ${n:-0}))
    if [[ "${n:-0}" -ge "$threads" ]]; then ready=$((ready + 1)); fi
  done
  if [[ "$ready" -eq "$processes" ]]; then break; fi
  sleep 0.1
done
if [[ "$ready" -ne "$processes" ]]; then
  echo "metrics_scale: only $ready of $processes processes reached $threads threads" >&2
  exit 1
fi
echo "running: $processes processes, $total threads"

status=0
/usr/bin/time -f '%U %S %M %e' -o "$work/time" \
  "$binary" watch --all --match "$pattern" --duration "$duration" --format openmetrics ${EXTRA_ARGS:-} \
  >"$work/metrics.prom" 2>"$work/stderr.txt" || status=$?
if [[ "$status" -ne 0 ]]; then
  echo "metrics_scale: torchdiag watch exited with status $status:" >&2
  cat "$work/stderr.txt" >&2
  exit 1
fi

read -r user sys rss_kb elapsed <"$work/time"
bytes="$(stat -c %s "$work/metrics.prom")"
watched="$(awk '$1 == "torchdiag_watch_processes" {print $2}' "$work/metrics.prom")"
dropped="$(awk '$1 == "torchdiag_watch_processes_dropped" {print $2}' "$work/metrics.prom")"
series="$(grep -vc '^#' "$work/metrics.prom" || true)"

verdict() { if [[ "$1" == 1 ]]; then echo "meets"; else echo "MISSES"; fi; }
cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')"
cpu_ok="$(awk -v c="$cpu" 'BEGIN {print (c < 1.0) ? 1 : 0}')"
rss_mib="$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k / 1024}')"
rss_ok="$(awk -v k="$rss_kb" 'BEGIN {print (k < 30 * 1024) ? 1 : 0}')"
size_kb="$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1000}')"
size_ok="$(awk -v b="$bytes" 'BEGIN {print (b < 200 * 1000) ? 1 : 0}')"

echo "watch --all --match MARKER --duration $duration --format openmetrics ${EXTRA_ARGS:+$EXTRA_ARGS }(default --max-series 50):"
echo "  processes watched:  ${watched:-?} (${dropped:-?} left out of the metrics), $series series"
echo "  wall time:          ${elapsed} s"
echo "  CPU time:           ${cpu} s (user ${user} + sys ${sys})   target < 1 s: $(verdict "$cpu_ok")"
echo "  max RSS:            ${rss_mib} MiB                          target < 30 MiB: $(verdict "$rss_ok")"
echo "  metrics size:       ${size_kb} KB (${bytes} bytes)           target < 200 KB: $(verdict "$size_ok")"
if command -v promtool >/dev/null 2>&1; then
  if promtool check metrics <"$work/metrics.prom" >"$work/promtool.txt" 2>&1; then
    echo "  promtool check metrics: ok"
  else
    echo "  promtool check metrics: FAILED"
    sed 's/^/    /' "$work/promtool.txt"
  fi
fi
