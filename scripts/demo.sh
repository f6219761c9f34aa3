#!/usr/bin/env bash
# demo.sh - install what is missing, build, render the built-in demo song
# (drums, bass, chords, lead synthesized by recipes/demo.lua and mixed by
# mixdown) and print its measurements.
#   scripts/demo.sh [SECONDS]      (default 30) -> demo-out/demo.wav + stems
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_LEN=${1:-30}
"$ROOT/scripts/setup.sh"
MD="$ROOT/build/mixdown"
OUT="$ROOT/demo-out"
mkdir -p "$OUT/stems"
echo "== rendering the demo song ($SECONDS_LEN s): $OUT/demo.wav"
"$MD" run "$ROOT/recipes/demo.lua" -o "$OUT/demo.wav" --seconds "$SECONDS_LEN" --stems "$OUT/stems"
echo "== measurements of the mix"
"$MD" analyze "$OUT/demo.wav"
if "$MD" master --help >/dev/null 2>&1; then
  echo "== mastering it with the pop preset for Spotify: $OUT/demo.master.wav"
  "$MD" master "$OUT/demo.wav" -o "$OUT/demo.master.wav" --preset pop --platform spotify
  "$MD" analyze "$OUT/demo.master.wav"
fi
