#!/usr/bin/env bash
# Runs every libFuzzer harness of tests/fuzz/ for a fixed time. Each starts from seeds
# cut from the snapshot fixtures (tests/fixtures/roots/*/: every mountinfo for
# fuzz_mountinfo, every CPU list file for fuzz_cpu_list, whole roots encoded as records
# for fuzz_inspect_root, ...) plus tests/fuzz/regressions/<harness>-*, the inputs that
# once failed, and uses the tokens of tests/fuzz/dict/. Prints, per harness, the
# executions done (libFuzzer's final stats) and whether it failed; exits 1 if any
# harness crashed, leaked, timed out or ran out of memory, naming it and the file the
# failing input was saved to.
#
# Usage: tests/perf/fuzz.sh [SECONDS_PER_HARNESS] [BUILD_DIR]
#   SECONDS_PER_HARNESS  fuzzing time of each harness (default 60)
#   BUILD_DIR            build directory configured with -DTORCHDIAG_FUZZ=ON (default
#                        build-fuzz); build it first:
#     CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
#       -DTORCHDIAG_FUZZ=ON -DTORCHDIAG_TESTS=OFF
#     cmake --build build-fuzz --target torchdiag_fuzzers
#
# Environment:
#   FUZZ_HARNESSES        space-separated subset to run, e.g. "cpu_list status"
#   TORCHDIAG_FUZZ_OUT    where crash inputs and logs go (default: a new directory
#                         ${TMPDIR:-/tmp}/torchdiag-fuzz.XXXXXX, kept and printed)
#   TORCHDIAG_FUZZ_TMPDIR where the file-writing harnesses make their scratch roots
#                         (default /dev/shm when writable: much faster than disk)
# Each harness runs with -timeout=10 -rss_limit_mb=2048. Seed corpora are built in a
# temporary directory and removed at exit; the new inputs libFuzzer finds go there too.
# To replay a saved input: BUILD_DIR/tests/fuzz/fuzz_<harness> FILE
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
roots="$repo/tests/fixtures/roots"
regressions="$repo/tests/fuzz/regressions"
# One harness per tests/fuzz/fuzz_<name>.cc; a name make_seeds does not know runs unseeded.
ALL_HARNESSES=()
for src in "$repo"/tests/fuzz/fuzz_*.cc; do
  src="${src##*/fuzz_}"
  ALL_HARNESSES+=("${src%.cc}")
done

usage() { sed -n '/^# Usage:/,/^# To replay/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
usage_error() {
  echo "fuzz: $*" >&2
  usage >&2
  exit 2
}
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  usage
  exit 0
fi
seconds="${1:-60}"
build_dir="${2:-build-fuzz}"

[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage_error "SECONDS_PER_HARNESS must be a positive integer, not '$seconds'"
read -r -a harnesses <<<"${FUZZ_HARNESSES:-${ALL_HARNESSES[*]}}"
for h in "${harnesses[@]}"; do
  [[ " ${ALL_HARNESSES[*]} " == *" $h "* ]] || usage_error "unknown harness '$h' (known: ${ALL_HARNESSES[*]})"
  [[ -x "$build_dir/tests/fuzz/fuzz_$h" ]] ||
    usage_error "$build_dir/tests/fuzz/fuzz_$h is not built (configure with -DTORCHDIAG_FUZZ=ON and build the target torchdiag_fuzzers)"
done

out="${TORCHDIAG_FUZZ_OUT:-}"
if [[ -z "$out" ]]; then
  out="$(mktemp -d "${TMPDIR:-/tmp}/torchdiag-fuzz.XXXXXX")"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
corpora="$(mktemp -d "${TMPDIR:-/tmp}/torchdiag-fuzz-corpus.XXXXXX")"
# The harnesses' scratch roots live in a directory of this run, so that those of a
# harness that crashed (it cannot clean up) go away with it.
scratch_base="${TORCHDIAG_FUZZ_TMPDIR:-}"
if [[ -z "$scratch_base" ]]; then
  scratch_base="${TMPDIR:-/tmp}"
  [[ -w /dev/shm && -x /dev/shm ]] && scratch_base=/dev/shm
fi
scratch="$(mktemp -d "$scratch_base/torchdiag-fuzz-scratch.XXXXXX")"
export TORCHDIAG_FUZZ_TMPDIR="$scratch"
trap 'rm -rf "$corpora" "$scratch"' EXIT

# Copies every file matching the pattern under each fixture root into corpus $1, named
# after the root and the path.
seed_from_roots() {
  local corpus="$corpora/$1" pattern="$2" root file rel
  for root in "$roots"/*/; do
    while IFS= read -r -d '' file; do
      rel="${file#"$root"}"
      cp "$file" "$corpus/$(basename "$root")__${rel//\//_}"
    done < <(find "$root" -type f -path "$root$pattern" -print0)
  done
}

# Each line of a status field as a seed of its own: short seeds focus the mutations.
seed_status_lines() {
  local corpus="$corpora/$1" root line n
  for root in "$roots"/*/; do
    n=0
    while IFS= read -r line; do
      n=$((n + 1))
      printf '%s\n' "$line" >"$corpus/$(basename "$root")__line$n"
    done < <(grep -E "^($2):" "$root/proc/self/status")
  done
  return 0
}

# A status field's value as its own seed (Cpus_allowed masks for the cpu_list harness).
seed_status_field() {
  local corpus="$corpora/$1" field="$2" root value
  for root in "$roots"/*/; do
    value="$(awk -F'\t' -v f="$field:" '$1 == f { print $2 }' "$root/proc/self/status")"
    [[ -n "$value" ]] && printf '%s\n' "$value" >"$corpus/$(basename "$root")__$field"
  done
  return 0
}

make_seeds() {
  local h root name
  for h in "${harnesses[@]}"; do mkdir -p "$corpora/$h"; done
  for h in "${harnesses[@]}"; do
    case "$h" in
      cpu_list)
        for name in online cpulist cpuset.cpus.effective cpuset.effective_cpus cpuset.cpus; do
          seed_from_roots cpu_list "*/$name"
        done
        seed_status_field cpu_list Cpus_allowed
        seed_status_field cpu_list Cpus_allowed_list ;;
      mountinfo) seed_from_roots mountinfo "proc/self/mountinfo" ;;
      proc_cgroup) seed_from_roots proc_cgroup "proc/self/cgroup" ;;
      status)
        seed_from_roots status "proc/self/status"
        seed_status_lines status 'VmRSS|Cpus_allowed|Cpus_allowed_list|CapEff|Seccomp' ;;
      environ) seed_from_roots environ "proc/self/environ" ;;
      cgroup_files)
        for name in cpu.max cpu.stat cpu.pressure; do seed_from_roots cgroup_files "*/$name"; done
        seed_from_roots cgroup_files "proc/pressure/cpu"
        # The harness reads the first line as cpu.cfs_quota_us and the rest as the period.
        while IFS= read -r -d '' name; do
          [[ -f "${name%_quota_us}_period_us" ]] || continue
          cat "$name" "${name%_quota_us}_period_us" >"$corpora/cgroup_files/cfs_$(cksum <"$name" | cut -d' ' -f1)_${#name}"
        done < <(find "$roots" -type f -name cpu.cfs_quota_us -print0) ;;
      maps)
        # No fixture has a maps file: this process's own, and the shapes the classifier knows.
        cat /proc/self/maps >"$corpora/maps/live_self_maps"
        printf '%s\n' \
          '7f0000000000-7f0000001000 r-xp 00000000 08:01 42 /opt/venv/torch/lib/libgomp-a34b3233.so.1' \
          '7f0000001000-7f0000002000 r--p 00000000 08:01 43 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2' \
          '7f0000002000-7f0000003000 r-xp 00000000 08:01 44 /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3' \
          '7f0000003000-7f0000004000 r-xp 00000000 08:01 45 /srv/my models/libiomp5.so (deleted)' \
          '7f0000004000-7f0000005000 rw-p 00000000 00:00 0 [heap]' >"$corpora/maps/libraries" ;;
      task_files)
        # Live thread files of this shell, and the odd shapes the parsers must survive.
        for name in stat schedstat sched status cmdline; do
          cat "/proc/$$/$name" >"$corpora/task_files/live_$name" 2>/dev/null || true
        done
        printf '%s\n' '42 (a) (b)) R 1 1 1 0 -1 4194560 0 0 0 0 7 3 0 0 20 0 3 0 1234 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0' \
          >"$corpora/task_files/comm_with_parens"
        printf '123 456 7\n' >"$corpora/task_files/schedstat" ;;
      profile) cp "$repo"/tests/fixtures/profiles/*.json "$corpora/profile/" ;;
      node_facts)
        for name in proc/cmdline proc/cpuinfo etc/os-release sys/kernel/mm/transparent_hugepage/enabled \
          proc/self/cgroup; do
          seed_from_roots node_facts "$name"
        done ;;
      report_diff)
        cp "$repo/tests/fixtures/reports/"*.json "$corpora/report_diff/"
        printf '%s\n' '{"schema": "torchdiag.inspect/1", "cpu": {"usable_threads": 4, "online_list": "0-47"},
          "env": {}, "node": {"cpu": {"frequency": [{"cpus": "0-47", "governor": "powersave"}]}},
          "findings": [{"id": "quota-without-thread-env", "severity": "warning", "message": "m", "fix": "f",
          "subject": null}]}' >"$corpora/report_diff/inspect"
        printf '%s\n' '{"schema": "torchdiag.watch/1", "processes": [{"pid": 1, "comm": "python3",
          "env": {"OMP_NUM_THREADS": "8"}, "verdict": "oversubscribed"}, {"pid": 2, "comm": "python3"}],
          "cgroups": [{"path": "/kubepods/x", "pids": [1, 2]}], "findings": []}' >"$corpora/report_diff/watch" ;;
      inspect_root)
        for root in "$roots"/*/; do
          TORCHDIAG_FUZZ_ENCODE_ROOT="$root" "$build_dir/tests/fuzz/fuzz_inspect_root" \
            >"$corpora/inspect_root/$(basename "$root")" 2>/dev/null
        done ;;
    esac
    # Inputs that failed once come first in every run, so a regression fails at once.
    for name in "$regressions/$h"-*; do
      [[ -f "$name" ]] && cp "$name" "$corpora/$h/"
    done
  done
  return 0
}

# One harness: prints "name executions status [artifact]" on stdout, logs in $out.
run_harness() {
  local h="$1" log="$out/$1.log" dict="$corpora/$1.dict" rc=0 execs artifact what
  mkdir -p "$out/$h"
  cat "$repo/tests/fuzz/dict/common.dict" >"$dict"
  [[ -f "$repo/tests/fuzz/dict/$h.dict" ]] && cat "$repo/tests/fuzz/dict/$h.dict" >>"$dict"
  "$build_dir/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict="$dict" -print_final_stats=1 -artifact_prefix="$out/$h/" "$corpora/$h" >"$log" 2>&1 || rc=$?
  execs="$(awk '/^stat::number_of_executed_units:/ { n = $NF } END { print n + 0 }' "$log")"
  if [[ "$rc" -eq 0 ]]; then
    printf '%-14s %10s executions  ok\n' "$h" "$execs"
    return 0
  fi
  artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)"
  what="$(grep -m1 -E '^(==[0-9]+== ?)?ERROR: |runtime error: |fuzz invariant violated' "$log" ||
    echo "exit status $rc")"
  printf '%-14s %10s executions  FAILED: %s\n' "$h" "$execs" "${what#==*== }"
  printf '%14s input saved to %s\n' "" "${artifact:-(none: see the log)}"
  printf '%14s log: %s\n' "" "$log"
  return 1
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

make_seeds
echo "fuzz: ${#harnesses[@]} harness(es), ${seconds}s each, build $build_dir; crash inputs and logs in $out"
failed=()
for h in "${harnesses[@]}"; do
  run_harness "$h" || failed+=("$h")
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs and logs in $out; replay: $build_dir/tests/fuzz/fuzz_<harness> FILE)" >&2
  exit 1
fi
echo "fuzz: all ${#harnesses[@]} harnesses ran ${seconds}s without a failure"
