#!/usr/bin/env bash
# Installs everything needed to build, test, install and package torchdiag on
# Debian 12 (bookworm), from the Debian archive only.
#
# Idempotent: when every package is already installed it changes nothing and
# does not touch the network. `apt-get update` runs at most once an hour (a
# marker file records the last successful run). Uses sudo only when not root.
#
# Usage: packaging/install-deps.sh [--list]
#   --list   print the package names, one a line, and exit
#
# Environment:
#   TORCHDIAG_APT_MARKER   marker file of the last `apt-get update`
#                          (default /var/tmp/torchdiag-apt-update.stamp)
set -euo pipefail

readonly PACKAGES=(
  # compiler, build system
  build-essential cmake pkg-config
  # libraries (headers and CMake/pkg-config files)
  libtorch-dev libcli11-dev libpfm4-dev libfmt-dev libjemalloc-dev nlohmann-json3-dev
  # runtime: jemalloc for LD_PRELOAD experiments
  libjemalloc2
  # tests: Catch2 v2, helpers used by test scripts
  catch2 python3 file procps time
  # man page checks (man --warnings)
  man-db groff-base
  # packaging checks (dpkg-deb, dpkg-shlibdeps)
  dpkg-dev
  # fuzzing (-DTORCHDIAG_FUZZ=ON): clang, and its libFuzzer/ASan/UBSan runtimes, which
  # clang-14 only recommends
  clang libclang-rt-14-dev
  # plot checks (rsvg-convert renders every SVG the tool writes)
  librsvg2-bin
  # metrics checks: promtool (check metrics, check and test rules), a strict OpenMetrics
  # parser, and YAML parsing for the Kubernetes manifests
  prometheus python3-prometheus-client python3-yaml
)

readonly MARKER="${TORCHDIAG_APT_MARKER:-/var/tmp/torchdiag-apt-update.stamp}"

log() { printf 'install-deps: %s\n' "$*" >&2; }

if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
elif [[ $# -gt 0 ]]; then
  log "unknown argument '$1' (usage: $0 [--list])"
  exit 2
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    log "not root and sudo is not installed: run this script as root"
    exit 1
  fi
  SUDO=(sudo)
fi

# Prints the packages of PACKAGES that are not fully installed.
missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || printf '%s\n' "$pkg"
  done
}

apt_update_once() {
  if [[ -n "$(find "$MARKER" -maxdepth 0 -mmin -60 2>/dev/null)" ]]; then
    log "apt-get update ran within the last hour ($MARKER), skipping it"
    return
  fi
  log "running: apt-get update"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${SUDO[@]}" mkdir -p "$(dirname "$MARKER")"
  "${SUDO[@]}" touch "$MARKER"
}

mapfile -t missing < <(missing_packages)
if [[ ${#missing[@]} -eq 0 ]]; then
  log "all ${#PACKAGES[@]} packages are installed, nothing to do"
  exit 0
fi

log "missing: ${missing[*]}"
apt_update_once
log "running: apt-get install -y --no-install-recommends ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2

mapfile -t still_missing < <(missing_packages)
if [[ ${#still_missing[@]} -gt 0 ]]; then
  log "still not installed after apt-get: ${still_missing[*]}"
  exit 1
fi
log "installed: ${missing[*]}"
