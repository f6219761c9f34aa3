#!/usr/bin/env bash
# bench.sh - speed of mixdown against SoX, FFmpeg and the libsndfile I/O floor,
# measured side by side in one run (alternating runs, median of the pair ratios),
# plus peak memory and the memory of a 60-minute render against a 1-minute one.
#   scripts/bench.sh [PAIRS]        (default 7 pairs per comparison)
# Material: the project's own demo song (recipes/demo.lua), 5 minutes, stereo,
# 44.1 kHz, 24-bit, rendered into $MIXBENCH_DIR (default /tmp/mixdown-bench).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAIRS=${1:-7}
D=${MIXBENCH_DIR:-/tmp/mixdown-bench}
mkdir -p "$D"
"$ROOT/scripts/setup.sh"
MD="$ROOT/build/mixdown"
cc -O2 -o "$D/floor" "$ROOT/scripts/bench/floor.c" $(pkg-config --cflags --libs sndfile)

IN5=$D/demo-5min.wav
[ -f "$IN5" ] || "$MD" run "$ROOT/recipes/demo.lua" -o "$IN5" --seconds 300 --bits 24

now() { date +%s%N; }
# time_cmd CMD... -> seconds (stdout), output discarded
time_cmd() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }; t1=$(now); echo "scale=4; ($t1 - $t0) / 1000000000" | bc; }
# paired NAME_A "CMD A" NAME_B "CMD B": alternate, print median A/B ratio and medians
paired() {
  local na=$1 a=$2 nb=$3 b=$4 ratios=() tas=() tbs=()
  for ((i = 0; i < PAIRS; i++)); do
    local ta tb
    ta=$(time_cmd $a); tb=$(time_cmd $b)
    ratios+=("$(echo "scale=4; $ta / $tb" | bc)"); tas+=("$ta"); tbs+=("$tb")
  done
  local med mta mtb
  med=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
  mta=$(printf '%s\n' "${tas[@]}" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
  mtb=$(printf '%s\n' "${tbs[@]}" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
  printf '%-22s / %-18s %6.2fx   (median %s s vs %s s, %d pairs)\n' "$na" "$nb" "$med" "$mta" "$mtb" "$PAIRS"
}
peak_rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

EQ_LUA="$ROOT/scripts/bench/eq_chain.lua"
MASTER_LUA="$ROOT/scripts/bench/master_chain.lua"
SOX_EQ="sox -R $IN5 -b 24 $D/sox-eq.wav gain -3 highpass 30 bass +2 100 equalizer 300 1q -2 equalizer 3000 1q +1.5 treble +2 10000 gain 3"
SOX_MASTER="sox -R $IN5 -b 24 $D/sox-master.wav gain -3 highpass 30 bass +2 100 equalizer 300 1q -2 equalizer 3000 1q +1.5 treble +2 10000 compand 0.005,0.1 6:-70,-70,-21,-21,0,-12.6 0 -90 0 compand 0,0.05 -90,-81,-10,-1,0,-1 0 -90 0"
FF_AF="highpass=f=30,bass=g=2:f=100,equalizer=f=300:t=q:w=1:g=-2,equalizer=f=3000:t=q:w=1:g=1.5,treble=g=2:f=10000,acompressor=threshold=-18dB:ratio=2.5:attack=5:release=100,volume=6dB,alimiter=limit=-1dB:level=disabled"
FF_MASTER="ffmpeg -nostdin -hide_banner -loglevel error -y -filter_threads 1 -i $IN5 -af $FF_AF -c:a pcm_s24le $D/ffmpeg-master.wav"
FLOOR="$D/floor $IN5 $D/floor.wav"
MD_EQ="$MD run $EQ_LUA $IN5 $D/md-eq.wav"
MD_MASTER="$MD run $MASTER_LUA $IN5 $D/md-master.wav"

echo "== material: $IN5 ($(stat -c %s "$IN5") bytes)"
echo "== EQ chain (5 min stereo 44.1 kHz 24-bit)"
paired mixdown-eq "$MD_EQ" sox-eq "$SOX_EQ"
paired mixdown-eq "$MD_EQ" floor "$FLOOR"
paired sox-eq "$SOX_EQ" floor "$FLOOR"
echo "   peak RSS: mixdown $(peak_rss $MD_EQ) KiB, sox $(peak_rss $SOX_EQ) KiB, floor $(peak_rss $FLOOR) KiB"

if "$MD" nodes limiter >/dev/null 2>&1 && "$MD" nodes compressor >/dev/null 2>&1; then
  echo "== mastering chain (EQ, compressor, +6 dB, true-peak limiter -1 dBTP)"
  paired mixdown-master "$MD_MASTER" sox-master "$SOX_MASTER"
  paired mixdown-master "$MD_MASTER" ffmpeg-master-ft1 "$FF_MASTER"
  paired mixdown-master "$MD_MASTER" floor "$FLOOR"
  paired sox-master "$SOX_MASTER" floor "$FLOOR"
  paired ffmpeg-master-ft1 "$FF_MASTER" floor "$FLOOR"
  echo "   true peak (dBTP, ffmpeg ebur128 meter):"
  for f in md-master sox-master ffmpeg-master; do
    tp=$(ffmpeg -nostdin -hide_banner -i "$D/$f.wav" -af ebur128=peak=true -f null - 2>&1 | awk '/True peak:/{getline; print $2}' | tail -1)
    echo "     $f: $tp"
  done
fi

echo "== analysis (5 min) against a plain libsndfile + libebur128 program (I, LRA, true peak)"
cc -O2 -o "$D/analyze_floor" "$ROOT/tests/bench/analyze_floor.c" $(pkg-config --cflags --libs sndfile libebur128) -lm
paired analyze "$MD analyze --json $IN5" analyze-floor "$D/analyze_floor $IN5"

echo "== loudness-targeted master (closed loop) against one pass of the same chain"
printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):gain{db = 4}:limiter{ceiling = -1, true_peak = true}:write(arg[2], {bits = 24})\ng:run{progress = false}\n' > "$D/one_pass.lua"
paired master-spotify "$MD master $IN5 -o $D/md-spotify.wav --platform spotify --quiet" one-pass "$MD run $D/one_pass.lua $IN5 $D/one-pass.wav"

echo "== master -j 2 against -j 1 on 4 files (60 s each)"
mkdir -p "$D/j" "$D/j1" "$D/j2"
for k in 1 2 3 4; do [ -f "$D/j/t$k.wav" ] || sox "$IN5" "$D/j/t$k.wav" trim $((k * 50)) 60; done
paired master-j1 "$MD master $D/j/t1.wav $D/j/t2.wav $D/j/t3.wav $D/j/t4.wav -o $D/j1/ -j 1 --quiet" master-j2 "$MD master $D/j/t1.wav $D/j/t2.wav $D/j/t3.wav $D/j/t4.wav -o $D/j2/ -j 2 --quiet"

echo "== memory against length (EQ chain)"
IN1=$D/demo-1min.wav; IN60=$D/demo-60min.wav
[ -f "$IN1" ] || sox "$IN5" "$IN1" trim 0 60
[ -f "$IN60" ] || sox "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN5" "$IN60"
r1=$(peak_rss $MD run "$EQ_LUA" "$IN1" "$D/md-1min.wav")
r60=$(peak_rss $MD run "$EQ_LUA" "$IN60" "$D/md-60min.wav")
echo "   peak RSS 1 min: $r1 KiB, 60 min: $r60 KiB ($(echo "scale=1; 100 * ($r60 - $r1) / $r1" | bc)% more)"
rm -f "$D/md-60min.wav" "$IN60"

# --- Lua node (md.node, the slow path) against the same gain in C -------------------
# 60 s of stereo white noise (generated, no file I/O) into a meter; each run
# prints the CPU time of its render, and a node's cost is its median minus the
# median without it, per sample processed (the C gain is too cheap to time
# alone: 16 run in a row and count 1/16 each). Guarded: skipped, not failed,
# when this build has no md.node.
(
  set +e
  cat > "$D/has_node.lua" <<'LUA'
assert(require("mixdown").node, "no md.node")
LUA
  "$MD" run "$D/has_node.lua" >/dev/null 2>&1 || { echo "== Lua node: skipped (no md.node in this build)"; exit 0; }
  cat > "$D/luagain.lua" <<'LUA'
-- luagain.lua MODE: none | c | lua (block[c][i]) | getset (block:get/set) | rw (block:read/write)
-- prints the CPU seconds of the render
local md = require "mixdown"
local mode = arg[1]
local function gain(self) return 10 ^ (self.db / 20) end
local nodes = {
  lua = md.node{params = {db = 0}, process = function(self, b)
    local g = gain(self)
    for c = 1, b.channels do local ch = b[c]; for i = 1, b.frames do ch[i] = ch[i] * g end end
  end},
  getset = md.node{params = {db = 0}, process = function(self, b)
    local g = gain(self)
    for c = 1, b.channels do for i = 1, b.frames do b:set(c, i, b:get(c, i) * g) end end
  end},
  rw = md.node{params = {db = 0}, process = function(self, b)
    local g = gain(self)
    for c = 1, b.channels do
      local t = b:read(c)
      for i = 1, #t do t[i] = t[i] * g end
      b:write(c, t)
    end
  end},
}
local g = md.graph{rate = 48000}
local x = g:noise{duration = 60, channels = 2, db = -20}
if mode == "c" then for _ = 1, 16 do x = x:gain{db = -6 / 16} end
elseif nodes[mode] then x = nodes[mode](x, {db = -6}) end
x:meter{true_peak = false}
local t0 = os.clock()
g:run{progress = false}
print(string.format("%.4f", os.clock() - t0))
LUA
  N=$(( PAIRS < 5 ? PAIRS : 5 ))
  samples=$(( 60 * 48000 * 2 ))
  cpu_median() { for ((i = 0; i < N; i++)); do "$MD" run "$D/luagain.lua" "$1"; done | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
  ns() { echo "1000000000 * $1 / $samples" | bc -l; }
  echo "== Lua node against the same gain in C (60 s stereo noise at 48 kHz, CPU time, median of $N runs)"
  t0=$(cpu_median none); tc=$(cpu_median c)
  cc=$(echo "($tc - $t0) / 16" | bc -l)
  printf '   %-28s %7.3f s\n' "without a node" "$t0"
  printf '   %-28s %7.3f s  %8.2f ns/sample\n' "gain in C (x16)" "$tc" "$(ns "$cc")"
  for m in lua rw getset; do
    t=$(cpu_median "$m")
    c=$(echo "$t - $t0" | bc -l)
    case $m in lua) label="Lua gain (block[c][i])";; rw) label="Lua gain (block:read/write)";; *) label="Lua gain (block:get/set)";; esac
    if [ "$(echo "$cc > 0" | bc -l)" = 1 ]; then ratio=$(printf '%6.0fx the C gain' "$(echo "$c / $cc" | bc -l)"); else ratio="(C cost below timer resolution)"; fi
    printf '   %-28s %7.3f s  %8.2f ns/sample  %s\n' "$label" "$t" "$(ns "$c")" "$ratio"
  done
) || echo "== Lua node: section failed (see above); the rest of the benchmark stands"
