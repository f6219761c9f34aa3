#!/usr/bin/env bash
# setup.sh - install what is missing (Debian 12, as root) and build mixdown.
#   scripts/setup.sh [--sanitize]   build/ (Release) or build-asan/ (ASan+UBSan)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

PKGS=(build-essential cmake pkg-config git
      liblua5.4-dev libsndfile1-dev libspeexdsp-dev libebur128-dev libkissfft-dev
      libedit-dev libcriterion-dev
      sox libsox-fmt-all ffmpeg python3 tmux hyperfine time bc chromium)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm (report tests drive Chromium with playwright-core): any install will do,
# e.g. a nodesource nodejs that bundles npm; otherwise Debian's packages
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build() {  # $1 = dir, rest = cmake options
  local dir=$1; shift
  cmake -S "$ROOT" -B "$ROOT/$dir" "$@" >/dev/null
  cmake --build "$ROOT/$dir" -j"$(nproc)" 2>&1 | grep -E "warning|error|Error" || true
  [ -x "$ROOT/$dir/mixdown" ] || { echo "setup: build failed in $dir" >&2; exit 2; }
}

if [ "${1:-}" = "--sanitize" ]; then
  build build-asan -DCMAKE_BUILD_TYPE=Debug -DMD_SANITIZE=ON
else
  build build -DCMAKE_BUILD_TYPE=Release
fi
