#!/usr/bin/env bash
# test_master.sh - loudness targeting measured by an independent meter (FFmpeg's
# ebur128): the demo material mastered to -23, -16, -14 and -9 LUFS under a
# -1 dBTP ceiling, to 24-bit and 16-bit WAV, OGG and Opus (checked after
# decoding), and the limiter's true-peak ceiling on the demo driven +12 dB.
source "$(dirname "$0")/lib.sh"

"$MD" run "$(dirname "$0")/../../recipes/demo.lua" -o "$T/demo.wav" --seconds 24 2>/dev/null \
  || { bad "demo render"; finish; exit 1; }

# integrated loudness and true peak by FFmpeg (summary block of ebur128)
ff_meter() {
  ffmpeg -nostdin -hide_banner -i "$1" -af ebur128=peak=true -f null - 2>&1 |
    awk '/Integrated loudness:/{f=1} f&&/ I:/{i=$2} /True peak:/{t=1} t&&/Peak:/{p=$2} END{print i, p}'
}
check() {  # name file target ceiling
  local name=$1 f=$2 target=$3 ceiling=$4 i p
  read -r i p < <(ff_meter "$f")
  if [ -z "$i" ] || [ -z "$p" ]; then bad "$name: ffmpeg could not measure $f"; return; fi
  if awk -v i="$i" -v t="$target" -v p="$p" -v c="$ceiling" \
       'BEGIN{d=i-t; if (d<0) d=-d; exit !(d <= 0.15 && p <= c + 0.05)}'; then
    ok "$name: $i LUFS, $p dBTP (ffmpeg)"
  else
    bad "$name: $i LUFS (want $target), $p dBTP (ceiling $ceiling)"
  fi
}

for target in -23 -16 -14 -9; do
  "$MD" master "$T/demo.wav" -o "$T/m$target.wav" --target "$target" --ceiling -1 --quiet \
    && check "master to $target LUFS" "$T/m$target.wav" "$target" -1 \
    || bad "master to $target exit $?"
done
"$MD" master "$T/demo.wav" -o "$T/m16bit.wav" --platform spotify --bits 16 --quiet \
  && check "spotify, 16-bit WAV" "$T/m16bit.wav" -14 -1 || bad "16-bit master"
"$MD" master "$T/demo.wav" -o "$T/m.ogg" --platform spotify --quiet \
  && check "spotify, OGG Vorbis (decoded)" "$T/m.ogg" -14 -1 || bad "ogg master"
"$MD" master "$T/demo.wav" -o "$T/m.opus" --platform apple --quiet \
  && check "apple, Opus (decoded)" "$T/m.opus" -16 -1 || bad "opus master"
rate=$(ffprobe -v error -show_entries stream=sample_rate -of csv=p=0 "$T/m.opus" 2>/dev/null)
[ "$rate" = "48000" ] && ok "opus delivered at 48 kHz" || bad "opus rate $rate"

# several platforms in one run: <stem>.<platform>.<ext>, each verified
"$MD" master "$T/demo.wav" -o "$T/" --platform spotify,ebu-r128,amazon --quiet || bad "multi-platform exit"
check "spotify of three" "$T/demo.spotify.wav" -14 -1
check "ebu-r128 of three" "$T/demo.ebu-r128.wav" -23 -1
check "amazon of three" "$T/demo.amazon.wav" -14 -2

# the JSON contract agrees with FFmpeg on the delivered file
j=$("$MD" analyze --json "$T/m-14.wav")
python3 - "$j" "$(ff_meter "$T/m-14.wav")" <<'PY' && ok "analyze --json agrees with ffmpeg" || bad "analyze vs ffmpeg"
import json, sys
d = json.loads(sys.argv[1]); i, p = map(float, sys.argv[2].split())
sys.exit(0 if abs(d["integrated_lufs"] - i) <= 0.1 and abs(d["true_peak_dbtp"] - p) <= 0.2 else 1)
PY

# the limiter alone on the demo driven +12 dB: both meters at or under the ceiling
printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):gain{db = 12}:limiter{ceiling = -1, true_peak = true}:write(arg[2], {bits = "32f"})\ng:run()\n' > "$T/hot.lua"
"$MD" run "$T/hot.lua" "$T/demo.wav" "$T/hot.wav" || bad "hot render"
read -r _ p < <(ff_meter "$T/hot.wav")
awk -v p="$p" 'BEGIN{exit !(p <= -0.95)}' && ok "limiter +12 dB: ffmpeg $p dBTP" || bad "limiter +12 dB: ffmpeg $p dBTP"
tp=$("$MD" analyze --json "$T/hot.wav" | python3 -c 'import json,sys; print(json.load(sys.stdin)["true_peak_dbtp"])')
awk -v p="$tp" 'BEGIN{exit !(p <= -0.95)}' && ok "limiter +12 dB: libebur128 $tp dBTP" || bad "limiter +12 dB: libebur128 $tp dBTP"

# an unreachable target is reported with figures, exit 1
sox -n -r 44100 -c 2 "$T/quiet.wav" synth 10 sine 1000 vol 0.001
err=$("$MD" master "$T/quiet.wav" -o "$T/sil.wav" --target -14 2>&1 >/dev/null); code=$?
if [ $code -eq 0 ]; then check "very quiet input reaches -14" "$T/sil.wav" -14 -1; else
  echo "$err" | grep -q "LUFS" && ok "unreachable target reported: $err" || bad "unreachable: $err"; fi
# two inputs that would land on the same name: refused, nothing written
mkdir -p "$T/a" "$T/b" "$T/out"
cp "$T/demo.wav" "$T/a/x.wav"; cp "$T/demo.wav" "$T/b/x.wav"
expect_fail "output name collision refused" 1 "would both be written to" "$MD" master "$T/a/x.wav" "$T/b/x.wav" -o "$T/out/" --quiet
[ -z "$(ls -A "$T/out")" ] && ok "nothing written after a collision" || bad "files written after a collision"

finish
