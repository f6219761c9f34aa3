#!/usr/bin/env bash
# test_mix.sh - `mixdown mix`: both example sessions (recipes/sessions/) render
# from the demo song's stems (generated here), by path and by built-in name;
# --bits/--rate reach the file (checked by soxi); the master limiter holds
# -1 dBTP and --target reaches its loudness (both measured by FFmpeg's ebur128);
# the edit's fade-out lands at its time; --dry-run and --dot render nothing;
# bad sessions exit 1 with one stderr line naming the file (and line), leaving
# no output and never touching a stem.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
S="$T/stems"
mkdir -p "$S"
"$MD" run "$ROOT/recipes/demo.lua" --seconds 16 --stems "$S" -o "$T/demo.wav" >/dev/null 2>&1 \
  || { bad "demo stems (recipes/demo.lua --stems)"; finish; exit 1; }

dur() { soxi -D "$1" 2>/dev/null; }
soxi() { command soxi -V1 "$@"; }
# integrated loudness and true peak by FFmpeg's ebur128 filter (independent meter)
ebur() { ffmpeg -nostdin -hide_banner -i "$1" -af ebur128=peak=true -f null - 2>&1 | tail -12; }
lufs() { ebur "$1" | awk '/I:/{v=$2} END{print v}'; }
tpeak() { ebur "$1" | awk '/Peak:/{v=$2} END{print v}'; }
# RMS level (dB) of a stretch: rms_db FILE START LENGTH
rms_db() { sox -V1 "$1" -n trim "$2" "$3" stat 2>&1 | awk '/RMS +amplitude/{ if ($3 > 0) print 20*log($3)/log(10); else print -999 }'; }
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN{d=a-b; if (d<0) d=-d; exit !(d<=t)}'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a<=b)}'; }

# --- the band session, by path -------------------------------------------------------
expect_ok "band.lua renders" "$MD" mix "$ROOT/recipes/sessions/band.lua" --stems "$S" -o "$T/band.wav" --quiet
if [ -f "$T/band.wav" ]; then
  [ "$(soxi -r "$T/band.wav")" = 44100 ] && [ "$(soxi -c "$T/band.wav")" = 2 ] && ok "band: 44.1 kHz stereo" || bad "band: $(soxi -r "$T/band.wav") Hz $(soxi -c "$T/band.wav") ch"
  [ "$(soxi -b "$T/band.wav")" = 24 ] && ok "band: 24 bits by default" || bad "band: $(soxi -b "$T/band.wav") bits"
  d=$(dur "$T/band.wav"); below 16 "$d" && ok "band: at least the stems' 16 s ($d s, tails included)" || bad "band: $d s"
  tp=$(tpeak "$T/band.wav"); below "$tp" -0.9 && ok "band: master limiter holds -1 dBTP (ffmpeg: $tp dBTP)" || bad "band: true peak $tp dBTP"
  l=$(lufs "$T/band.wav"); below -40 "$l" && ok "band: not silent ($l LUFS)" || bad "band: $l LUFS"
else
  bad "band.wav missing"
fi

# --- the edit session, by built-in name, 16-bit FLAC -------------------------------------
expect_ok "edit (built in) renders to FLAC 16-bit" "$MD" mix edit --stems "$S" -o "$T/edit.flac" --bits 16 --quiet
if [ -f "$T/edit.flac" ]; then
  [ "$(soxi -r "$T/edit.flac")" = 48000 ] && ok "edit: the session's 48 kHz (stems resampled)" || bad "edit: $(soxi -r "$T/edit.flac") Hz"
  [ "$(soxi -b "$T/edit.flac")" = 16 ] && ok "edit: --bits 16" || bad "edit: $(soxi -b "$T/edit.flac") bits"
  d=$(dur "$T/edit.flac"); below 20 "$d" && ok "edit: runs to the 20 s arrangement ($d s)" || bad "edit: $d s"
  # master volume 0 dB until 16 s, -60 dB at 20 s: the bar before 20 s is far quieter than bar 5
  mid=$(rms_db "$T/edit.flac" 8 2); late=$(rms_db "$T/edit.flac" 19.5 0.5)
  below "$late" "$(awk -v m="$mid" 'BEGIN{print m-30}')" && ok "edit: fade-out (8-10 s: $mid dB, 19.5-20 s: $late dB)" || bad "edit: fade-out $mid -> $late dB"
  # the chords' log fade-in: the first 0.5 s is far below the chords at 3-4 s
  early=$(rms_db "$T/edit.flac" 0 0.5); later=$(rms_db "$T/edit.flac" 3 1)
  below "$early" "$(awk -v m="$later" 'BEGIN{print m-20}')" && ok "edit: log fade-in (0-0.5 s: $early dB, 3-4 s: $later dB)" || bad "edit: fade-in $early -> $later dB"
else
  bad "edit.flac missing"
fi

# --- output flags, dry run, dot, solo/mute ----------------------------------------------
expect_ok "--rate 48000" "$MD" mix band --stems "$S" -o "$T/band48.wav" --rate 48000 --bits 32f --quiet
[ -f "$T/band48.wav" ] && [ "$(soxi -r "$T/band48.wav" 2>/dev/null)" = 48000 ] && [ "$(soxi -e "$T/band48.wav" 2>/dev/null)" = "Floating Point PCM" ] \
  && ok "--rate 48000 --bits 32f reach the file" || bad "--rate/--bits 32f: $(soxi -r "$T/band48.wav" 2>&1) $(soxi -e "$T/band48.wav" 2>&1)"

out=$("$MD" mix edit --stems "$S" --dry-run --dot "$T/edit.dot" 2>&1); code=$?
[ $code -eq 0 ] && printf '%s' "$out" | grep -q "^graph: [0-9]* nodes" && [ "$(printf '%s\n' "$out" | grep -c " region ")" -ge 8 ] \
  && ok "--dry-run prints the compiled plan (8 regions)" || bad "--dry-run: exit $code: $out"
grep -q digraph "$T/edit.dot" 2>/dev/null && ok "--dot writes Graphviz" || bad "--dot: no digraph"
ls "$T"/*.wav 2>/dev/null | grep -qv -e band -e demo && bad "--dry-run wrote a file" || ok "--dry-run renders nothing"

expect_ok "--solo lead" "$MD" mix band --stems "$S" -o "$T/solo.wav" --solo lead --bits 32f --quiet
full=$(rms_db "$T/band48.wav" 4 8); solo=$(rms_db "$T/solo.wav" 4 8)
below "$solo" "$(awk -v m="$full" 'BEGIN{print m-3}')" && ok "--solo lead is quieter than the full mix ($solo vs $full dB)" || bad "--solo: $solo vs $full dB"
expect_fail "--mute every track" 1 "nothing to mix: every track is muted" "$MD" mix band --stems "$S" -o "$T/none.wav" --mute drums,bass,chords,lead
[ ! -e "$T/none.wav" ] && ok "no output when nothing plays" || bad "output left when nothing plays"
expect_fail "--solo unknown track" 1 "no track or bus named 'leed' \\(did you mean 'lead'\\?\\)" "$MD" mix band --stems "$S" -o "$T/x.wav" --solo leed

# --- loudness target, presets --------------------------------------------------------------
expect_ok "--target -16" "$MD" mix band --stems "$S" -o "$T/t16.wav" --target -16 --quiet
l=$(lufs "$T/t16.wav"); within "$l" -16 0.1 && ok "--target -16 reached (ffmpeg: $l LUFS)" || bad "--target -16: $l LUFS"
if "$MD" presets pop >/dev/null 2>&1; then
  # mix --preset is the mix mastered by `mixdown master`: the same bytes
  expect_ok "--preset pop" "$MD" mix band --stems "$S" -o "$T/preset.wav" --preset pop --set intensity=0.7 --quiet
  "$MD" mix band --stems "$S" -o "$T/raw.wav" --bits 32f --quiet
  "$MD" master "$T/raw.wav" -o "$T/ref.wav" --preset pop --set intensity=0.7 --quiet >/dev/null 2>&1
  [ -f "$T/preset.wav" ] && cmp -s "$T/preset.wav" "$T/ref.wav" && ok "mix --preset pop = mix, then master --preset pop (identical files)" \
    || bad "mix --preset pop differs from mix + master"
  ls -a "$T" | grep -q "\.mix\.wav" && bad "the intermediate mix file was left behind" || ok "no intermediate file left"
  expect_fail "--set without a preset" 1 "give a preset" "$MD" mix band --stems "$S" -o "$T/x.wav" --set intensity=1
  expect_fail "--set of an unknown preset parameter" 1 "intensty" "$MD" mix band --stems "$S" -o "$T/x.wav" --preset pop --set intensty=1
  [ ! -e "$T/x.wav" ] && ok "no output after a bad --set" || bad "output left after a bad --set"
else
  expect_fail "--preset without presets in this build" 1 "no mastering presets" "$MD" mix band --stems "$S" -o "$T/preset.wav" --preset pop
fi

# --- bad sessions and bad usage ----------------------------------------------------------
printf 'return {\n  tracks = {\n    {name = "a", file = "drums.wav", volumne = -3},\n  },\n}\n' > "$T/typo.lua"
expect_fail "unknown key" 1 "typo\\.lua: track 'a': unknown key 'volumne' \\(did you mean 'volume'\\?\\)" "$MD" mix "$T/typo.lua" --stems "$S" -o "$T/o1.wav"
printf 'return {\n  tracks = {\n    {name = "a", file = "drums.wav",\n  },\n}\n' > "$T/syntax.lua"
expect_fail "syntax error names file and line" 1 "syntax\\.lua:[0-9]+:" "$MD" mix "$T/syntax.lua" --stems "$S" -o "$T/o2.wav"
printf 'return {\n  tracks = {\n    {name = "a", file = "nothere.wav"},\n  },\n}\n' > "$T/missing.lua"
expect_fail "missing stem names it" 1 "missing\\.lua: track 'a': .*nothere\\.wav" "$MD" mix "$T/missing.lua" --stems "$S" -o "$T/o3.wav"
printf 'return {\n  tracks = {\n    {name = "a", file = "drums.wav",\n     chain = function(x)\n       return x:compressor{ratio = 0.5}\n     end},\n  },\n}\n' > "$T/chain.lua"
expect_fail "bad parameter in a chain names its line" 1 "chain\\.lua:5: compressor: ratio must be >= 1" "$MD" mix "$T/chain.lua" --stems "$S" -o "$T/o4.wav"
printf 'local md = require "mixdown"\nreturn {\n  tracks = {\n    {name = "a", file = "drums.wav", volume = md.envelope{ {0, 0}, {1, 99} }},\n  },\n}\n' > "$T/env.lua"
expect_fail "envelope out of range" 1 "env\\.lua: track 'a'|gain: db must be within -120\\.\\.48 dB, got 99" "$MD" mix "$T/env.lua" --stems "$S" -o "$T/o5.wav"
for i in 1 2 3 4 5; do [ -e "$T/o$i.wav" ] && bad "output o$i.wav left after a failure"; done
ok "no output left by bad sessions"

sum=$(md5sum < "$S/drums.wav")
expect_fail "output onto a stem is refused" 1 "drums\\.wav: the output is one of the session's stems" "$MD" mix band --stems "$S" -o "$S/drums.wav"
[ "$(md5sum < "$S/drums.wav")" = "$sum" ] && ok "the stem is untouched" || bad "the stem was overwritten"
expect_fail "no output given" 1 "mix: no output" "$MD" mix band --stems "$S"
expect_fail "no session given" 1 "mix: no session given" "$MD" mix -o "$T/x.wav"
expect_fail "unknown session" 1 "nosuch: cannot open" "$MD" mix nosuch -o "$T/x.wav"
expect_fail "unknown option" 1 "mix: unknown option '--frobnicate'" "$MD" mix band --frobnicate
expect_fail "bad --bits" 1 "mix: --bits must be 16, 24, 32 or 32f, got '20'" "$MD" mix band --stems "$S" -o "$T/x.wav" --bits 20
expect_fail "output directory missing" 1 "cannot write: directory .*nodir does not exist" "$MD" mix band --stems "$S" -o "$T/nodir/x.wav"
"$MD" mix --help | grep -q "Usage: mixdown mix" && ok "mix --help" || bad "mix --help"

finish
