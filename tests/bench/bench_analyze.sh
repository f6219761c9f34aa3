#!/usr/bin/env bash
# bench_analyze.sh - time `mixdown analyze` against its floor: a plain
# single-threaded libsndfile + libebur128 (I, LRA, true peak) program
# (analyze_floor.c), on 5 minutes of synthesized stereo material.
# Runs alternate (floor, mixdown, floor, mixdown ...) after a warm-up; the
# figure is the median of the per-pair ratios mixdown / floor.
#
#   bash tests/bench/bench_analyze.sh /path/to/mixdown [RUNS]
# Not a unit test: wall-clock ratios depend on the machine (2 cores assumed).
set -euo pipefail
MD=${1:?usage: bench_analyze.sh /path/to/mixdown [RUNS]}
RUNS=${2:-11}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/md_bench_analyze.XXXXXX)
trap 'rm -rf "$T"' EXIT

cc -O2 -o "$T/analyze_floor" "$HERE/analyze_floor.c" \
    $(pkg-config --cflags --libs sndfile libebur128) -lm
# 300 s, 44.1 kHz, 24-bit stereo: pink and brown noise, a slow tremolo for
# level changes, a few tones; deterministic (-R)
sox -R -D -V1 -n -r 44100 -c 2 -b 24 "$T/material.wav" \
    synth 300 pinknoise brownnoise synth 300 sine mix 110-1760 tremolo 0.25 70 vol -14dB

now() { date +%s%N; }
run() { local t0 t1; t0=$(now); "$@" > /dev/null 2>&1; t1=$(now); echo $((t1 - t0)); }
run "$T/analyze_floor" "$T/material.wav" > /dev/null
run "$MD" analyze --json "$T/material.wav" > /dev/null
ratios=()
fl=()
mdt=()
for ((i = 0; i < RUNS; i++)); do
    a=$(run "$T/analyze_floor" "$T/material.wav")
    b=$(run "$MD" analyze --json "$T/material.wav")
    fl+=("$a")
    mdt+=("$b")
    ratios+=("$(awk -v x="$b" -v y="$a" 'BEGIN { printf "%.4f", x / y }')")
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "pairs: $RUNS"
echo "ratio mixdown/floor: median $(printf '%s\n' "${ratios[@]}" | median)" \
    "min $(printf '%s\n' "${ratios[@]}" | sort -g | head -1)" \
    "max $(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)"
echo "median wall: floor $(printf '%s\n' "${fl[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }') s," \
    "mixdown $(printf '%s\n' "${mdt[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }') s"
"$T/analyze_floor" "$T/material.wav"
"$MD" analyze "$T/material.wav"
