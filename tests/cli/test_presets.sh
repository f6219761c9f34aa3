#!/usr/bin/env bash
# test_presets.sh - every built-in preset through `mixdown master`, measured:
# delivery (no NaN, true peak under the ceiling, loudness within 0.1 LU,
# cross-checked with FFmpeg), each preset's stated intent, every pair audibly
# different, intensity lowering the crest factor, classical keeping the
# loudness range, edm's mono bass, podcast at -16 LUFS, audiobook meeting
# ACX, --album keeping differences, --dry-run, -j, user presets, extends, and
# the errors of bad --set values, unknown presets and broken preset files.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHECK="python3 $HERE/presets_check.py $MD"
PRESETS="transparent pop rock metal hiphop edm rnb jazz classical lofi podcast audiobook"
OUT=$T/out
INFO=$T/info
mkdir -p "$OUT" "$INFO"
export XDG_CONFIG_HOME=$T/config # never the user's own presets
START=$SECONDS

# py CHECK-ARGS...: runs presets_check.py, adds its ok/FAIL lines to the counts
py() {
  local out code
  out=$($CHECK "$@" 2>&1); code=$?
  printf '%s\n' "$out"
  PASS=$((PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
  FAIL=$((FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL')))
  if [ "$code" -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL'; then bad "presets_check.py $1 crashed"; fi
}

# par CMD-FILE: runs the commands of a file (one a line), two at a time
par() { xargs -P 2 -d '\n' -n 1 bash -c < "$1"; }

# --- material -------------------------------------------------------------------
# the demo song's first 30 s; SoX music-like material when it does not render
if ! "$MD" run "$ROOT/recipes/demo.lua" -o "$T/demo.wav" --seconds 30 >/dev/null 2>&1; then
  echo "note: the demo does not render; SoX material instead"
  sox -n -r 44100 -c 2 -b 24 "$T/demo.wav" synth 30 pluck 110 pluck 165 tremolo 4 60 gain -n -8
fi
# a quiet acoustic piece: plucked notes in three sections (soft, loud, medium)
# in a room, at -30 LUFS
make_acoustic() {
  local d=$T/ac freqs=(196 220 246.94 261.63 293.66 329.63 349.23 392 440 493.88 523.25 587.33)
  mkdir -p "$d"
  local i=0 t=0 files=() v
  while (( $(echo "$t < 28" | bc) )); do
    if (( $(echo "$t < 9" | bc) )); then v=0.12; elif (( $(echo "$t < 19" | bc) )); then v=0.7; else v=0.3; fi
    v=$(echo "$v * (0.75 + 0.25 * ($i % 4) / 3)" | bc -l)
    sox -n -r 44100 -c 1 -b 32 -e float "$d/n$i.wav" synth 2.5 pluck "${freqs[$(( (i * 7 + i / 3) % 12 ))]}" \
        vol "$v" fade 0 2.5 2 pad "$t" 0
    files+=("$d/n$i.wav")
    t=$(echo "$t + 0.35 + 0.15 * ($i % 3)" | bc -l); i=$((i + 1))
  done
  sox -m "${files[@]}" -b 32 -e float "$d/mono.wav"
  sox "$d/mono.wav" -c 2 -b 24 "$d/raw.wav" remix 1 1 reverb 30 50 70 60 0 8 trim 0 30
  "$MD" master "$d/raw.wav" -o "$T/acoustic.wav" --target -30 --quiet
  rm -rf "$d"
}
make_acoustic
# speech-like material: voiced syllables (a saw through formant filters) in
# phrases, sibilant noise bursts, pauses with room tone 62 dB down
cat > "$T/voice.lua" <<'LUA'
local md = require "mixdown"
local out, seconds = arg[1], 30
local g = md.graph{rate = 44100}
local s = 12345
local function rnd() s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 end
local voiced, sib, t = {}, {}, 0.6
while t < seconds - 1.5 do
  local stop = math.min(t + 1.5 + 2.5 * rnd(), seconds - 1)
  local level = 0.5 + 0.5 * rnd()
  while t < stop do
    local d = 0.1 + 0.18 * rnd()
    voiced[#voiced + 1] = {t, d, 100 + 45 * rnd(), level * (0.6 + 0.4 * rnd())}
    if rnd() < 0.35 then sib[#sib + 1] = {t + d, 0.06 + 0.07 * rnd(), 440, level * (0.6 + 0.4 * rnd())} end
    t = t + d + 0.03 + 0.09 * rnd()
  end
  t = t + 0.8 + 0.8 * rnd()
end
local v = g:synth{wave = "saw", notes = voiced, db = -14, attack = 12, decay = 60, sustain = 0.8,
                  release = 35, duration = seconds, cutoff = 4000}
  :eq{ {type = "highpass", freq = 85}, {type = "bell", freq = 550, gain = 9, q = 2},
       {type = "bell", freq = 1300, gain = 7, q = 3}, {type = "bell", freq = 2600, gain = 7, q = 4},
       {type = "lowshelf", freq = 250, gain = -3} }
local sb = g:synth{wave = "noise", notes = sib, db = -22, attack = 4, decay = 30, sustain = 0.7,
                   release = 20, duration = seconds, seed = 7}
  :eq{ {type = "highpass", freq = 4500}, {type = "highpass", freq = 4500}, {type = "bell", freq = 7000, gain = 6, q = 1.5} }
local room = g:noise{color = "pink", db = -62, duration = seconds, seed = 3, channels = 1}
g:mix{v, sb, room}:pan{pos = 0}:write(out, {bits = 24})
g:run{progress = false}
LUA
"$MD" run "$T/voice.lua" "$T/voice.wav" || bad "voice material"
# the demo with a wide low end: a mono 55 Hz bass and anti-phase (side-only)
# noise at 35..110 Hz, so the band below 120 Hz has an L/R correlation <= 0.5
DUR=$(soxi -D "$T/demo.wav")
sox -R -n -r 44100 -c 1 -b 32 -e float "$T/bassm.wav" synth "$DUR" sine 55 tremolo 2 60 gain -n -16
sox -R -n -r 44100 -c 1 -b 32 -e float "$T/lown.wav" synth "$DUR" pinknoise sinc 35-110 gain -n -10
sox "$T/lown.wav" -c 2 "$T/side.wav" remix 1 1v-1
sox "$T/bassm.wav" -c 2 "$T/bass2.wav" remix 1 1
sox -m -v 1 "$T/demo.wav" -v 1 "$T/bass2.wav" -v 1 "$T/side.wav" -b 24 "$T/wide.wav"
rm -f "$T/bassm.wav" "$T/lown.wav" "$T/side.wav" "$T/bass2.wav"
echo "material ready after $((SECONDS - START)) s"

# --- the presets' own description ------------------------------------------------
for p in $PRESETS; do
  "$MD" presets "$p" --json > "$INFO/$p.json" || bad "presets $p --json"
done
list=$("$MD" presets)
n=$(printf '%s\n' "$list" | grep -cE "^  (${PRESETS// /|}) ")
[ "$n" -eq 12 ] && ok "presets lists the 12 built-in presets, one line each" || bad "presets lists $n of 12: $list"
first=$(printf '%s\n' "$list" | sed -n 2p)
[[ "$first" == "  audiobook "* ]] && ok "built-in presets come first" || bad "first line: $first"
out=$("$MD" presets pop)
echo "$out" | grep -q "recipes/presets/pop.lua" && echo "$out" | grep -qE "intensity +0\.\.1 +0\.5" &&
  ok "presets pop shows the file and the parameters" || bad "presets pop: $out"
for p in $PRESETS; do
  python3 -c "
import json,sys; d=json.load(open('$INFO/$p.json')); p=d['params'].get('intensity')
sys.exit(0 if p and p['default']==0.5 and p['min']==0 and p['max']==1 and (d.get('target') is not None or d.get('platform') or '$p'=='transparent') else 1)" ||
    bad "$p: intensity 0..1 (default 0.5) and a target"
done
ok "every preset has intensity 0..1 (default 0.5) and its target"

# --- every preset on the demo and on the acoustic piece -----------------------------
: > "$T/jobs"
for p in $PRESETS; do
  echo "$MD master $T/demo.wav -o $OUT/demo_$p.wav --preset $p > $OUT/demo_$p.log 2>&1; echo \$? > $OUT/demo_$p.rc" >> "$T/jobs"
  echo "$MD master $T/acoustic.wav -o $OUT/ac_$p.wav --preset $p > $OUT/ac_$p.log 2>&1; echo \$? > $OUT/ac_$p.rc" >> "$T/jobs"
  if [ "$p" != transparent ]; then
    for i in 0 1; do
      echo "$MD master $T/demo.wav -o $OUT/demo_${p}_i$i.wav --preset $p --set intensity=$i > $OUT/demo_${p}_i$i.log 2>&1; echo \$? > $OUT/demo_${p}_i$i.rc" >> "$T/jobs"
    done
  fi
done
echo "$MD master $T/wide.wav -o $OUT/wide_edm.wav --preset edm > $OUT/wide_edm.log 2>&1; echo \$? > $OUT/wide_edm.rc" >> "$T/jobs"
for p in podcast audiobook; do
  echo "$MD master $T/voice.wav -o $OUT/voice_$p.wav --preset $p > $OUT/voice_$p.log 2>&1; echo \$? > $OUT/voice_$p.rc" >> "$T/jobs"
done
par "$T/jobs"
echo "masters rendered after $((SECONDS - START)) s"
for rc in "$OUT"/*.rc; do
  name=$(basename "$rc" .rc)
  [ "$(cat "$rc")" = 0 ] && ok "master $name" || bad "master $name: exit $(cat "$rc"): $(cat "$OUT/$name.log")"
done
grep -q "demo.wav -> $OUT/demo_pop.wav: .* LUFS, .* dBTP -> -11.5 LUFS, -1.0 dBTP \[pop\]" "$OUT/demo_pop.log" &&
  ok "one-line summary per file" || bad "summary: $(cat "$OUT/demo_pop.log")"

py delivery "$INFO" "$OUT" demo $PRESETS
py delivery "$INFO" "$OUT" ac $PRESETS
pt=$(python3 -c "import json; d=json.load(open('$INFO/pop.json')); print(d['target'], d['ceiling'])")
py ffmpeg "$OUT/demo_pop.wav" $pt
py ffmpeg "$OUT/ac_metal.wav" $(python3 -c "import json; d=json.load(open('$INFO/metal.json')); print(d['target'], d['ceiling'])")
py intent "$INFO" "$OUT" demo "$T/demo.wav" $PRESETS
py pairs "$OUT" demo $PRESETS
py intensity "$OUT" demo ${PRESETS#transparent }
py lra "$T/acoustic.wav" "$OUT/ac_classical.wav" 0.7
py lowcorr "$T/wide.wav" "$OUT/wide_edm.wav"
py loudness "$OUT/voice_podcast.wav" -16
py loudness "$OUT/demo_podcast.wav" -16
py floor "$T/voice.wav"
py acx "$OUT/voice_audiobook.wav"
echo "measured after $((SECONDS - START)) s"

# --- --album ------------------------------------------------------------------------
sox "$T/demo.wav" "$T/a1.wav" trim 0 15
sox "$T/demo.wav" "$T/a2.wav" trim 15 15 gain -4
sox "$T/acoustic.wav" "$T/a3.wav" trim 0 15 gain 8
mkdir -p "$T/album" "$T/single"
expect_ok "master --album" "$MD" master "$T/a1.wav" "$T/a2.wav" "$T/a3.wav" -o "$T/album/" --album --target -18
py album 0.2 "$T/a1.wav" "$T/album/a1.wav" "$T/a2.wav" "$T/album/a2.wav" "$T/a3.wav" "$T/album/a3.wav"
python3 - "$MD" "$T/album/a1.wav" "$T/album/a2.wav" "$T/album/a3.wav" <<'PY' && ok "album loudness (energy mean) at -18 LUFS" || bad "album loudness"
import json, math, subprocess, sys
ls = [json.loads(l) for l in subprocess.run([sys.argv[1], "analyze", "--json"] + sys.argv[2:], capture_output=True, text=True).stdout.splitlines()]
e = sum(d["duration_s"] * 10 ** (d["integrated_lufs"] / 10) for d in ls) / sum(d["duration_s"] for d in ls)
print("album %.3f LUFS" % (10 * math.log10(e)))
sys.exit(0 if abs(10 * math.log10(e) + 18) <= 0.1 else 1)
PY
expect_ok "master the same tracks one by one" "$MD" master "$T/a1.wav" "$T/a2.wav" "$T/a3.wav" -o "$T/single/" --target -18 -j 2
py same 0.2 "$T/single/a1.wav" "$T/single/a2.wav" "$T/single/a3.wav"

# --- --dry-run and -j with a preset -----------------------------------------------
out=$("$MD" master "$T/a1.wav" -o "$T/dry.wav" --preset rock --set intensity=0.8 --dry-run 2>&1)
echo "$out" | grep -q "intensity = 0.8" && echo "$out" | grep -q "compressor{" && echo "$out" | grep -q -- "-9.6 LUFS" &&
  [ ! -e "$T/dry.wav" ] && ok "--dry-run shows chain, parameters and target, renders nothing" || bad "--dry-run: $out"
mkdir -p "$T/jobs2"
expect_ok "master -j 2 --preset lofi --set" "$MD" master "$T/a1.wav" "$T/a2.wav" -o "$T/jobs2/" --preset lofi --set intensity=0.2 -j 2
"$MD" master "$T/a1.wav" -o "$T/jobs2/ref.wav" --preset lofi --set intensity=0.2 --quiet
cmp -s "$T/jobs2/a1.wav" "$T/jobs2/ref.wav" && ok "-j passes --preset and --set to its workers" || bad "-j output differs"
ls -a "$T/jobs2" "$T/album" "$OUT" | grep -qE '\.(part|chain)\.' && bad "temporary files left" || ok "no temporary files left"

# --- user presets and extends ----------------------------------------------------------
mkdir -p "$T/config/mixdown/presets"
cat > "$T/config/mixdown/presets/brighter.lua" <<'LUA'
-- a user preset built on pop: one more high shelf, a parameter of its own
return {
  description = "Pop, then more air.",
  extends = "pop",
  params = {shine = {default = 3, min = 0, max = 6, unit = "dB", doc = "extra shelf at 8 kHz"}},
  build = function(x, p, base)
    return base(x, p):eq{ {type = "highshelf", freq = 8000, gain = p.shine} }
  end,
}
LUA
out=$("$MD" presets)
echo "$out" | grep -q "^Your presets" && echo "$out" | grep -qE "^  brighter +Pop, then more air" &&
  ok "presets lists the user's presets after the built-in ones" || bad "user listing: $out"
out=$("$MD" presets brighter)
echo "$out" | grep -q "extends:  pop" && echo "$out" | grep -q "shine" && echo "$out" | grep -q "intensity" &&
  echo "$out" | grep -q -- "-11.5 LUFS" && ok "presets brighter: inherited parameters and target" || bad "presets brighter: $out"
expect_ok "master with a user preset that extends pop" "$MD" master "$T/a1.wav" -o "$T/bright.wav" --preset brighter --set shine=5
"$MD" master "$T/a1.wav" -o "$T/pop1.wav" --preset pop --quiet
python3 - "$T/pop1.wav" "$T/bright.wav" <<'PY' && ok "extends: the child's shelf adds high end over pop" || bad "extends: no extra high end"
import subprocess, sys
def hi(p):
    out = subprocess.run(["sox", p, "-n", "remix", "-", "sinc", "8000", "stat"], capture_output=True, text=True).stderr
    lo = subprocess.run(["sox", p, "-n", "remix", "-", "sinc", "-1000", "stat"], capture_output=True, text=True).stderr
    rms = lambda s: float([l for l in s.splitlines() if l.startswith("RMS     amplitude")][0].split()[-1])
    return rms(out) / rms(lo)
import math
d = 20 * math.log10(hi(sys.argv[2]) / hi(sys.argv[1]))
print("above 8 kHz against below 1 kHz: %+.2f dB" % d)
sys.exit(0 if d >= 3 else 1)
PY
cat > "$T/loop_a.lua" <<'LUA'
return {extends = "loop_b.lua", build = function(x) return x end}
LUA
cat > "$T/loop_b.lua" <<'LUA'
return {extends = "loop_a.lua"}
LUA
expect_fail "extends loop refused" 1 "loops back" "$MD" presets "$T/loop_a.lua"

# --- errors: bad --set, unknown presets, broken files ------------------------------------
expect_fail "unknown preset suggests the nearest" 1 "unknown preset 'popp' \\(did you mean 'pop'\\?\\)" \
  "$MD" master "$T/a1.wav" -o "$T/e1.wav" --preset popp
expect_fail "unknown --set key suggests" 1 "pop\\.lua: --set intensty=0\\.3: preset 'pop' has no parameter 'intensty' \\(did you mean 'intensity'\\?\\)" \
  "$MD" master "$T/a1.wav" -o "$T/e2.wav" --preset pop --set intensty=0.3
expect_fail "--set out of range names the range" 1 "pop\\.lua:[0-9]+: --set intensity=2: intensity must be within 0\\.\\.1, got 2" \
  "$MD" master "$T/a1.wav" -o "$T/e3.wav" --preset pop --set intensity=2
expect_fail "--set of the wrong type" 1 "pop\\.lua:[0-9]+: --set intensity=hard: intensity must be a number" \
  "$MD" master "$T/a1.wav" -o "$T/e4.wav" --preset pop --set intensity=hard
expect_fail "--set without =" 1 "--set intensity: expected KEY=VALUE" \
  "$MD" master "$T/a1.wav" -o "$T/e5.wav" --preset pop --set intensity
printf 'return {\n  build = function(x, p)\n    return x:highpass{freq = 30\n  end,\n}\n' > "$T/syntax.lua"
expect_fail "syntax error: file and line" 1 "syntax\\.lua:[34]:" "$MD" master "$T/a1.wav" -o "$T/e6.wav" --preset "$T/syntax.lua"
printf 'return {\n  params = {drive = {default = 8, min = 0, max = 6, unit = "dB"}},\n  build = function(x, p) return x end,\n}\n' > "$T/range.lua"
expect_fail "default outside its range" 1 "range\\.lua:2: preset 'range': parameter 'drive': default 8 is outside its range 0\\.\\.6" \
  "$MD" presets "$T/range.lua"
printf 'return {\n  params = {\n    mix = {default = 0.5, min = 1, max = 0},\n  },\n  build = function(x, p) return x end,\n}\n' > "$T/minmax.lua"
expect_fail "min greater than max" 1 "minmax\\.lua:3: preset 'minmax': parameter 'mix': min 1 is greater than max 0" \
  "$MD" presets "$T/minmax.lua"
printf 'return {\n  params = {gain = {default = 0/0, min = -6, max = 6}},\n  build = function(x, p) return x end,\n}\n' > "$T/nan.lua"
expect_fail "non-finite default" 1 "nan\\.lua:2: preset 'nan': parameter 'gain': default must be a finite number" \
  "$MD" presets "$T/nan.lua"
printf 'return {\n  parms = {},\n  build = function(x, p) return x end,\n}\n' > "$T/field.lua"
expect_fail "unknown field suggests" 1 "field\\.lua:2: preset 'field': unknown field 'parms' \\(did you mean 'params'\\?\\)" \
  "$MD" presets "$T/field.lua"
printf 'return {\n  build = function(x, p)\n    return x:compressor{ratio = 0.5}\n  end,\n}\n' > "$T/engine.lua"
expect_fail "engine range error at the preset's line" 1 "engine\\.lua:3: preset 'engine': compressor: ratio must be >= 1( \\(range [^)]*\\))?, got 0\\.5" \
  "$MD" master "$T/a1.wav" -o "$T/e7.wav" --preset "$T/engine.lua"
printf 'return {\n  build = function(x, p)\n    return x:compresor{}\n  end,\n}\n' > "$T/typo.lua"
expect_fail "unknown node suggests" 1 "typo\\.lua:3: unknown node 'compresor' \\(did you mean 'compressor'\\?\\)" \
  "$MD" master "$T/a1.wav" -o "$T/e8.wav" --preset "$T/typo.lua"
printf 'return {\n  params = {amount = {default = 1, min = 0, max = 2}},\n  build = function(x, p)\n    return x:gain{db = p.amout}\n  end,\n}\n' > "$T/pname.lua"
expect_fail "misspelt parameter inside build" 1 "pname\\.lua:4: no parameter 'amout' \\(did you mean 'amount'\\?\\)" \
  "$MD" master "$T/a1.wav" -o "$T/e9.wav" --preset "$T/pname.lua"
expect_fail "missing preset file" 1 "nothere\\.lua" "$MD" master "$T/a1.wav" -o "$T/e10.wav" --preset "$T/nothere.lua"
ls "$T"/e*.wav >/dev/null 2>&1 && bad "an output was written after an error" || ok "no output after any error"
expect_fail "the input is never overwritten" 1 "is the input file" "$MD" master "$T/a1.wav" -o "$T/a1.wav" --preset pop

echo "total $((SECONDS - START)) s"
finish
