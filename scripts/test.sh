#!/usr/bin/env bash
# test.sh - install what is missing, build, and run every test through ctest.
#   scripts/test.sh              the fast unit tests under ASan+UBSan, then the whole
#                                suite in the Release build (ends with ctest's summary)
#   scripts/test.sh --sanitize   the whole suite under ASan+UBSan
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=$(nproc)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

"$ROOT/scripts/setup.sh" --sanitize
if [ "${1:-}" = "--sanitize" ]; then
  cd "$ROOT/build-asan"
  exec ctest --output-on-failure -j"$JOBS"
fi

echo "== unit tests under ASan+UBSan"
(cd "$ROOT/build-asan" && ctest --output-on-failure -j"$JOBS" -L unit)

"$ROOT/scripts/setup.sh"
echo "== every test (Release)"
cd "$ROOT/build"
ctest --output-on-failure -j"$JOBS"
