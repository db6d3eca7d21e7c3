#!/usr/bin/env bash
# Checks the deployment files against the tools that will read them and against the
# torchdiag binary they run:
#   - packaging/prometheus/*.rules.yml: `promtool check rules`;
#   - packaging/prometheus/*.test.yml: `promtool test rules` (the alerts' unit tests);
#   - packaging/k8s/*.yaml: parsed with python3-yaml and checked by
#     tests/packaging/check_manifests.py (required fields, keys the Kubernetes API
#     knows, the DaemonSet's hostPID, host /sys and textfile hostPath, least-privilege
#     securityContext, the Job's restart policy) and every torchdiag command line in
#     them against `BUILD_DIR/torchdiag SUB --help` (each option must be there);
#   - packaging/docker/: the Dockerfile's RUN, ENTRYPOINT and COPY lines and the
#     entrypoint script, by tests/packaging/check_commands.py (commands and torchdiag
#     options exist, COPY sources are in the build context). Docker itself is not run.
# Prints one line per check ("ok   ..." or "FAIL ...") and a closing count; exits 1
# when a check failed, 2 on bad usage.
#
# Usage: tests/packaging/check_packaging.sh BUILD_DIR
#   BUILD_DIR   a build directory holding the torchdiag binary (e.g. build)
#
# Needs promtool (Debian package prometheus) and python3 with yaml (python3-yaml);
# packaging/install-deps.sh installs both.
set -euo pipefail

usage() { sed -n '/^# Usage:/,/^# packaging/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  usage
  exit 0
fi
if [[ $# -ne 1 ]]; then
  echo "check_packaging: expected one argument, BUILD_DIR" >&2
  usage >&2
  exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="$(cd "$1" 2>/dev/null && pwd)" || {
  echo "check_packaging: BUILD_DIR '$1' is not a directory" >&2
  exit 2
}
binary="$build_dir/torchdiag"
cd "$repo"

passed=0
failed=0
pass() {
  printf 'ok   %s\n' "$1"
  passed=$((passed + 1))
}
fail() {
  printf 'FAIL %s\n' "$1"
  local line
  if [[ -n "${2:-}" ]]; then
    while IFS= read -r line; do printf '     | %s\n' "$line"; done <<<"$2"
  fi
  failed=$((failed + 1))
}
# Runs a command; one line for it, with its output when it fails.
run_check() {
  local what="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    pass "$what"
  else
    fail "$what" "$out"
  fi
}

if command -v promtool >/dev/null 2>&1; then
  pass "promtool is installed ($(promtool --version 2>&1 | head -n1))"
  shopt -s nullglob
  rules=(packaging/prometheus/*.rules.yml)
  tests=(packaging/prometheus/*.test.yml)
  shopt -u nullglob
  if [[ ${#rules[@]} -gt 0 ]]; then pass "rule files found: ${rules[*]}"; else fail "rule files found: none matches packaging/prometheus/*.rules.yml"; fi
  if [[ ${#tests[@]} -gt 0 ]]; then pass "rule test files found: ${tests[*]}"; else fail "rule test files found: none matches packaging/prometheus/*.test.yml"; fi
  for f in "${rules[@]}"; do
    run_check "promtool check rules $f" promtool check rules "$f"
  done
  for f in "${tests[@]}"; do
    run_check "promtool test rules $f" promtool test rules "$f"
  done
else
  fail "promtool is installed" "promtool not found: install the Debian package prometheus (packaging/install-deps.sh does)"
fi

if ! command -v python3 >/dev/null 2>&1; then
  fail "python3 is installed" "python3 not found: packaging/install-deps.sh installs it"
elif ! python3 -c 'import yaml' 2>/dev/null; then
  fail "python3 can import yaml" "install the Debian package python3-yaml (packaging/install-deps.sh does)"
else
  pass "python3 can import yaml"
  shopt -s nullglob
  manifests=(packaging/k8s/*.yaml packaging/k8s/*.yml)
  shopt -u nullglob
  if [[ ${#manifests[@]} -eq 0 ]]; then
    fail "manifests found under packaging/k8s"
  else
    # check_manifests.py prints its own lines and a closing count.
    set +e
    report="$(python3 tests/packaging/check_manifests.py "$binary" "${manifests[@]}" 2>&1)"
    status=$?
    set -e
    grep -v '^manifests: ' <<<"$report" || true
    summary="$(grep '^manifests: ' <<<"$report" | tail -n1)"
    if [[ "$summary" =~ ^manifests:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      passed=$((passed + BASH_REMATCH[1]))
      failed=$((failed + BASH_REMATCH[2]))
      [[ $status -eq 0 || ${BASH_REMATCH[2]} -gt 0 ]] || fail "check_manifests.py exited $status"
    else
      fail "check_manifests.py ran to the end (exit $status)"
    fi
  fi
fi

run_check "packaging/docker: Dockerfile and entrypoint.sh commands, options and COPY sources" \
  python3 tests/packaging/check_commands.py "$binary" --dockerfile packaging/docker/Dockerfile \
  --script packaging/docker/entrypoint.sh

echo "packaging: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
