#!/usr/bin/env bash
# What `torchdiag watch` costs the process it watches, and what it costs itself.
#
# (a) Throughput of torchdiag_busy_threads (OMP_NUM_THREADS = the CPUs this shell may
#     use, so every CPU is busy and any CPU the watch takes shows) alone, beside
#     `watch --pid P --no-spin`, and beside `watch --pid P` with spin sampling on, in
#     interleaved rounds whose order rotates so that drifting machine load hits every
#     side alike. Prints the median change in iterations/s over the rounds.
#     Targets: under 1% without spin sampling, under 3% with it.
# (b) watch's own CPU time ((user + sys) / elapsed) and maximum RSS, from /usr/bin/time,
#     while it watches a 100-thread busy_threads process (OMP_NUM_THREADS=100) for
#     WATCH_SECONDS, with spin sampling off and on. Targets: under 2% of one CPU, under
#     15 MiB.
#
# Prints figures and whether each meets its target; asserts nothing. Run by hand.
#
# Usage: tests/perf/watch_overhead.sh BUILD_DIR [SECONDS] [PAIRS]
#   BUILD_DIR  holds torchdiag and tests/torchdiag_busy_threads (built with OpenMP)
#   SECONDS    length of each throughput run in (a) (default 10)
#   PAIRS      rounds of (alone, --no-spin, spin) in (a) (default 5)
# Environment: THREADS (team size in (a)), INTERVAL (watch --interval, default 1, the
# command's default), WATCH_SECONDS (length of (b), default 10).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [SECONDS] [PAIRS]" >&2
  exit 2
fi
build_dir="$1"
seconds="${2:-10}"
pairs="${3:-5}"
binary="$build_dir/torchdiag"
busy="$build_dir/tests/torchdiag_busy_threads"

for exe in "$binary" "$busy"; do
  if [[ ! -x "$exe" ]]; then
    echo "watch_overhead: $exe is not an executable (build torchdiag and torchdiag_busy_threads first)" >&2
    exit 2
  fi
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ && "$pairs" =~ ^[1-9][0-9]*$ ]]; then
  echo "watch_overhead: SECONDS and PAIRS must be positive integers" >&2
  exit 2
fi

exec python3 - "$binary" "$busy" "$seconds" "$pairs" <<'PY'
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time

binary, busy = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
seconds, pairs = int(sys.argv[3]), int(sys.argv[4])
threads = int(os.environ.get("THREADS", len(os.sched_getaffinity(0))))
interval = os.environ.get("INTERVAL", "1")
watch_seconds = float(os.environ.get("WATCH_SECONDS", "10"))


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def env_with_threads(n):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(n)
    return env


def wait_for_threads(pid, n, timeout=20):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        try:
            if len(os.listdir(f"/proc/{pid}/task")) >= n:
                return
        except FileNotFoundError:
            break
        time.sleep(0.005)
    sys.exit(f"watch_overhead: the busy target {pid} never had {n} threads")


def start_watch(pid, duration, spin):
    args = [binary, "watch", "--pid", str(pid), "--duration", str(duration), "--interval", interval,
            "--format", "json", "--output", "/dev/null"]
    if not spin:
        args.append("--no-spin")
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop_watch(watch):
    """SIGINT ends a watch early, with its report."""
    if watch.poll() is None:
        watch.send_signal(signal.SIGINT)
    err = watch.communicate()[1].decode(errors="replace")
    if watch.returncode != 0:
        sys.exit(f"watch_overhead: watch failed ({watch.returncode}): {err}")


def throughput(mode):
    """iterations/s of one busy run: mode is 'alone', 'no-spin' or 'spin'."""
    target = subprocess.Popen([busy, str(seconds)], env=env_with_threads(threads), stdout=subprocess.PIPE)
    watch = None
    if mode != "alone":
        wait_for_threads(target.pid, threads)
        watch = start_watch(target.pid, seconds + 5, spin=(mode == "spin"))
    out, _ = target.communicate()
    if watch is not None:
        stop_watch(watch)
    if target.returncode != 0:
        sys.exit(f"watch_overhead: {busy} failed ({target.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])["iterations_per_s"]


def quartiles(xs):
    return statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3


def verdict(ok):
    return "meets target" if ok else "OVER TARGET"


print("torchdiag watch overhead (targets: <1% without spin, <3% with; own CPU <2%, RSS <15 MiB; not asserted)")
print(f"  machine    {platform.machine()}, {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable),"
      f" kernel {platform.release()}, load {read('/proc/loadavg')}")
print(f"  settings   perf_event_paranoid {read('/proc/sys/kernel/perf_event_paranoid')}, euid {os.geteuid()},"
      f" watch --interval {interval}")

# (a) the watched process's throughput
modes = ["alone", "no-spin", "spin"]
rates = {m: [] for m in modes}
change = {"no-spin": [], "spin": []}
for i in range(pairs):
    order = modes[i % 3:] + modes[:i % 3]
    got = {m: throughput(m) for m in order}
    for m in modes:
        rates[m].append(got[m])
    for m in change:
        change[m].append(got[m] / got["alone"] - 1)

print(f"\n(a) busy_threads throughput, OMP_NUM_THREADS={threads}, {seconds} s per run, {pairs} rounds")
for m in modes:
    print(f"  {m:<9}  {' '.join(f'{r:.1f}' for r in rates[m])} iterations/s (median {statistics.median(rates[m]):.1f})")
for m, target in (("no-spin", 0.01), ("spin", 0.03)):
    med = statistics.median(change[m])
    q = quartiles(change[m])
    print(f"  {m:<9}  change per round {' '.join(f'{100 * c:+.2f}%' for c in change[m])}")
    print(f"             median {100 * med:+.2f}% (interquartile {100 * q[0]:+.2f}% .. {100 * q[2]:+.2f}%);"
          f" target under {100 * target:.0f}%: {verdict(-med < target)}")

# (b) watch's own cost beside a 100-thread process. /usr/bin/time measures it: wait4
# from here would count this Python process's RSS too (the kernel keeps the high-water
# mark of the image a child had before exec).
print(f"\n(b) watch's own cost watching a 100-thread busy_threads process for {watch_seconds:g} s")
if not os.access("/usr/bin/time", os.X_OK):
    print("  skipped: /usr/bin/time is not installed (apt-get install time)")
    sys.exit(0)
target = subprocess.Popen([busy, str(int(watch_seconds) + 30)], env=env_with_threads(100), stdout=subprocess.DEVNULL)
try:
    wait_for_threads(target.pid, 100)
    for spin in (False, True):
        args = [binary, "watch", "--pid", str(target.pid), "--duration", str(watch_seconds), "--interval", interval,
                "--format", "json", "--output", "/dev/null"] + ([] if spin else ["--no-spin"])
        timed = subprocess.run(["/usr/bin/time", "-f", "%U %S %e %M", *args], stdin=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        lines = timed.stderr.strip().splitlines()
        if timed.returncode != 0 or not lines:
            sys.exit(f"watch_overhead: watch failed ({timed.returncode}): {timed.stderr}")
        user, system, elapsed, rss_kib = (float(x) for x in lines[-1].split())
        share = (user + system) / elapsed
        rss_mib = rss_kib / 1024
        label = "spin on " if spin else "--no-spin"
        print(f"  {label}  CPU {user:.2f} s user + {system:.2f} s sys over {elapsed:.2f} s"
              f" = {100 * share:.2f}% of one CPU ({verdict(share < 0.02)});"
              f" max RSS {rss_mib:.1f} MiB ({verdict(rss_mib < 15)})")
finally:
    target.send_signal(signal.SIGTERM)
    try:
        target.wait(timeout=10)
    except subprocess.TimeoutExpired:
        target.kill()
        target.wait()
PY
