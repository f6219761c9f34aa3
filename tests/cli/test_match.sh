#!/usr/bin/env bash
# test_match.sh - reference mastering end to end: lua/lib/mixdown/match.lua
# measures a reference and an input through the engine's meters and builds
# the `match` node; the results are measured here by SoX (1/6-octave spectra
# from `stat -freq`), FFmpeg (loudness) and SoX `stat` (mid/side levels), not
# by mixdown.
#
# Material: two different pieces of music with different tonal balances, both
# rendered by the engine: the demo song (recipes/demo.lua, 20 s, seed 1) and a
# second arrangement written below (other instruments, darker, narrower).
#
# Spectral distance: mean absolute difference in dB of the 1/6-octave
# long-term spectra (53 bands, 40 Hz..16 kHz; spec.py below) after removing
# their mean difference (a level change is not a tonal difference).
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 2

command -v sox >/dev/null && command -v ffmpeg >/dev/null || { bad "sox and ffmpeg are required"; finish; exit 1; }

# ---------------------------------------------------------------- material
cat > piece_b.lua <<'LUA'
-- 92 BPM in D minor: sine and triangle bass, kick, plucks, a dark pad, a
-- quiet shaker, a high shelf cut; darker and narrower than the demo song
local md = require "mixdown"
local out, seconds = arg[1], tonumber(arg[2] or "20")
local beat = 60 / 92
local bar = 4 * beat
local function hz(m) return 440 * 2 ^ ((m - 69) / 12) end
local roots = {38, 34, 41, 36}
local bass, kick, pluck_l, pluck_r, pad, shaker = {}, {}, {}, {}, {}, {}
local state = 12345
local function rand(n) state = (state * 1103515245 + 12345) % 2147483648; return (state // 65536) % n end
local scale = {62, 65, 67, 69, 72, 74}
local t = 0
while t < seconds do
  local r = roots[(math.floor(t / bar) % 4) + 1]
  for b = 0, 3 do
    local tb = t + b * beat
    kick[#kick + 1] = {tb, 0.3, 48, 1.0}
    bass[#bass + 1] = {tb, beat * 0.45, hz(r), 0.9}
    bass[#bass + 1] = {tb + beat / 2, beat * 0.45, hz(r + (b == 2 and 12 or 0)), 0.7}
    for h = 0, 3 do shaker[#shaker + 1] = {tb + h * beat / 4, 0.03, 5000, h % 2 == 0 and 0.6 or 0.35} end
    pluck_l[#pluck_l + 1] = {tb, beat * 0.3, hz(scale[rand(#scale) + 1]), 0.7}
    pluck_r[#pluck_r + 1] = {tb + beat / 2, beat * 0.3, hz(scale[rand(#scale) + 1]), 0.6}
  end
  pad[#pad + 1] = {t, bar, hz(r + 24), 0.5}
  pad[#pad + 1] = {t, bar, hz(r + 31), 0.4}
  t = t + bar
end
local g = md.graph{rate = 44100, tails = false}
local d = seconds
local function pad_layer(detune, seed, pos)
  return g:synth{wave = "saw", notes = pad, db = -26, cutoff = 1800, attack = 300, release = 500,
                 detune = detune, seed = seed, duration = d}:pan{pos = pos}
end
local mix = g:mix{
  g:synth{wave = "sine", notes = bass, db = -14, attack = 5, release = 60, duration = d}:pan{pos = 0},
  g:synth{wave = "triangle", notes = bass, db = -20, cutoff = 700, duration = d}:pan{pos = 0},
  g:synth{wave = "kick", notes = kick, db = -10, duration = d}:pan{pos = 0},
  g:synth{wave = "pluck", notes = pluck_l, db = -16, cutoff = 2500, seed = 8, duration = d}:pan{pos = -0.6},
  g:synth{wave = "pluck", notes = pluck_r, db = -16, cutoff = 2500, seed = 9, duration = d}:pan{pos = 0.6},
  pad_layer(6, 3, -0.8), pad_layer(-8, 4, 0.8),
  g:synth{wave = "hat", notes = shaker, db = -30, seed = 7, duration = d}:pan{pos = 0.2},
}:eq{ {type = "highshelf", freq = 5000, gain = -6} }:gain{db = -4}
mix:write(out, {bits = 24})
g:run{progress = false}
LUA
"$MD" run "$ROOT/recipes/demo.lua" -o A.wav --seconds 20 --seed 1 2>/dev/null &&
    "$MD" run piece_b.lua B.wav 20 || { bad "cannot render the material"; finish; exit 1; }

# match.lua from a recipe: IN REF OUT [KEY=VALUE...] (tone/width/loudness in %,
# max_boost, max_cut, smooth, refs=REF:W,REF:W); the summary's JSON into OUT.json
cat > match.lua <<'LUA'
local md = require "mixdown"
local match = require "mixdown.match"
local input, ref, out = arg[1], arg[2], arg[3]
local opts, refs = {}, {ref}
for i = 4, #arg do
  local k, v = arg[i]:match("^([%w_]+)=(.*)$")
  if k == "refs" then
    refs = {}
    for r in v:gmatch("[^,]+") do refs[#refs + 1] = r end
  elseif k == "tone" or k == "width" or k == "loudness" then opts[k] = tonumber(v) / 100
  else opts[k] = tonumber(v) end
end
local g = md.graph()
local x = g:file(input)
local y, d = match.match(x, input, refs, opts)
if d.identity then assert(y == x, "an identity design must not add a node") end
y:write(out, {bits = "32f"})
g:run{progress = false}
local f = assert(io.open(out .. ".json", "w"))
f:write(match.summary_json(d), "\n")
f:close()
print(match.summary_text(d))
LUA

# ---------------------------------------------------------------- spectra by SoX
cat > spec.py <<'PY'
# 1/6-octave long-term spectra by SoX. `stat -freq` prints the power of a
# 4096-point DFT of each block, without a window (its leakage falls only
# 20 dB/decade), so each region of the spectrum is measured on a copy that
# SoX first band-limits and resamples: 39..260 Hz at 1 kHz (0.24 Hz bins),
# 260..1700 Hz after sinc 150-2600 at 6 kHz (1.5 Hz bins), above 1700 Hz
# after sinc 1200 at the file's rate (10.8 Hz bins at 44.1 kHz). Powers are
# summed over blocks and channels; a band's level is its mean power density,
# bins weighted by the part of them inside the band; regions are joined by
# their mean difference over the bands both measure.
import json, math, subprocess, sys

REGIONS = [  # SoX effects, bands measured (Hz), first band used (Hz)
    (["rate", "-v", "1000"], (39, 450), 0),
    (["sinc", "150-2600", "rate", "-v", "6000"], (190, 2400), 260),
    (["sinc", "1200"], (1400, 16100), 1700),
]

def sox_power(path, ch, chain):
    cmd = ["sox", path, "-n", "remix", str(ch)] + chain + ["stat", "-freq"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    acc = {}
    for line in out.splitlines():
        p = line.split()
        if len(p) != 2:
            continue
        try:
            f, v = float(p[0]), float(p[1])
        except ValueError:
            continue
        acc[f] = acc.get(f, 0.0) + v
    fs = sorted(acc)
    return fs, [acc[f] for f in fs]

def centre(i):
    return 1000 * 2 ** (i / 6)

def bands(fs, p, lo_hz, hi_hz):
    df = fs[1] - fs[0]
    res = {}
    for i in range(-28, 25):  # 40 Hz .. 16 kHz
        fc = centre(i)
        if not (lo_hz <= fc <= hi_hz):
            continue
        lo, hi = fc * 2 ** (-1 / 12), fc * 2 ** (1 / 12)
        s = 0.0
        for k in range(max(0, int(lo / df) - 1), min(len(p) - 1, int(hi / df) + 2) + 1):
            a, b = max(lo, (k - 0.5) * df), min(hi, (k + 0.5) * df)
            if b > a:
                s += p[k] * (b - a)
        res[i] = 10 * math.log10(s / (hi - lo) + 1e-30)
    return res

def spectrum(path):
    n = int(subprocess.run(["soxi", "-c", path], capture_output=True, text=True, check=True).stdout)
    out = {}
    for chain, (lo, hi), first in REGIONS:
        acc = None
        for c in range(1, n + 1):
            fs, p = sox_power(path, c, chain)
            acc = p if acc is None else [a + b for a, b in zip(acc, p)]
        r = bands(fs, acc, lo, hi)
        common = [i for i in r if i in out]
        off = sum(out[i] - r[i] for i in common) / len(common) if common else 0.0
        for i in r:
            if i not in out or centre(i) >= first:
                out[i] = r[i] + off
    assert len(out) == 53, len(out)
    return [out[i] for i in sorted(out)]

cache = {}
for path in sys.argv[2:]:
    cache[path] = spectrum(path)
json.dump(cache, open(sys.argv[1], "w"))
PY
cat > dist.py <<'PY'
import json, os, sys
def distance(a, b):
    d = [x - y for x, y in zip(a, b)]
    m = sum(d) / len(d)
    return sum(abs(x - m) for x in d) / len(d)
cache = json.load(open(os.environ.get("SPECTRA", "spectra.json")))
PY

# ---------------------------------------------------------------- renders
run_match() { # NAME IN REF OUT [opts]
  local name=$1; shift
  if "$MD" run match.lua "$@" > "$3.txt" 2> "$3.err"; then return 0; fi
  bad "$name: mixdown run failed: $(cat "$3.err")"
  return 1
}
run_match "A to B" A.wav B.wav A2B.wav
run_match "B to A" B.wav A.wav B2A.wav
run_match "amounts 0" A.wav B.wav A0.wav tone=0 width=0 loudness=0
# (a smoother curve for the amount check: a band's level is then the curve's
# dB, not a power mean of a gain varying inside the band)
run_match "tone only" A.wav B.wav At.wav width=0 loudness=0 smooth=0.5
run_match "tone 50 %" A.wav B.wav At50.wav tone=50 width=0 loudness=0 smooth=0.5
run_match "max boost 3" A.wav B.wav Alim.wav width=0 loudness=0 max_boost=3 max_cut=3
run_match "width only" A.wav B.wav Aw.wav tone=0 loudness=0
run_match "two references" A.wav B.wav A2BA.wav refs=B.wav:3,A.wav:1
sed 's/^/    /' A2B.wav.txt

python3 spec.py spectra.json A.wav B.wav A2B.wav B2A.wav At.wav At50.wav Alim.wav ||
    { bad "sox spectra failed"; finish; exit 1; }

# ---------------------------------------------------------------- 3x closer
for pair in "A2B.wav A.wav B.wav" "B2A.wav B.wav A.wav"; do
  set -- $pair
  python3 - "$1" "$2" "$3" <<PY && ok "$1 is 3x closer to $3 than $2 was" || bad "$1 is not 3x closer to $3"
$(cat dist.py)
out, inp, ref = sys.argv[1:4]
before, after = distance(cache[inp], cache[ref]), distance(cache[out], cache[ref])
print("    %s -> %s: spectral distance %.2f dB -> %.2f dB (%.1fx closer)" % (inp, ref, before, after, before / after))
sys.exit(0 if before >= 3 * after and before > 3 else 1)
PY
done

# ---------------------------------------------------------------- loudness (FFmpeg)
lufs() {
  ffmpeg -nostdin -hide_banner -nostats -i "$1" -af ebur128 -f null - 2>&1 |
    awk '/Integrated loudness/ {f = 1} f && /I:/ {print $2; exit}'
}
LA=$(lufs A.wav); LB=$(lufs B.wav); LA2B=$(lufs A2B.wav); LB2A=$(lufs B2A.wav)
python3 - "$LA" "$LB" "$LA2B" "$LB2A" <<'PY' && ok "loudness 100 %: each output at its reference's loudness (FFmpeg, +-0.2 LU)" || bad "loudness 100 % misses the reference's"
import sys
la, lb, la2b, lb2a = map(float, sys.argv[1:])
print("    FFmpeg: A %.1f, B %.1f, A->B %.1f, B->A %.1f LUFS" % (la, lb, la2b, lb2a))
sys.exit(0 if abs(la2b - lb) <= 0.2 and abs(lb2a - la) <= 0.2 and abs(la - lb) > 3 else 1)
PY

# ---------------------------------------------------------------- amounts 0
sox A.wav -t raw -e signed -b 32 A.raw && sox A0.wav -t raw -e signed -b 32 A0.raw
if cmp -s A.raw A0.raw; then ok "amounts 0: the output is the input, sample for sample"
else bad "amounts 0 changed the audio"; fi
python3 - A0.wav.json <<'PY' && ok "amounts 0: the summary reports no change" || bad "amounts 0: summary $(cat A0.wav.json)"
import json, sys
s = json.load(open(sys.argv[1]))
assert all(p["gain_db"] == 0 for p in s["tone"]["curve"]), s["tone"]
assert s["width"]["factor"] == 1 and s["loudness"]["gain_db"] == 0, s
PY

# ---------------------------------------------------------------- boost limit and tone amount
python3 - <<PY && ok "max_boost/max_cut 3 dB: output/input within +-3 dB in every band, the limit reached" || bad "boost limit"
$(cat dist.py)
a, lim, full, half = cache["A.wav"], cache["Alim.wav"], cache["At.wav"], cache["At50.wav"]
d = [y - x for x, y in zip(a, lim)]
print("    limited 3 dB: output/input %+.2f .. %+.2f dB (1/6-octave bands)" % (min(d), max(d)))
dfull = [y - x for x, y in zip(a, full)]
print("    unlimited:    output/input %+.2f .. %+.2f dB" % (min(dfull), max(dfull)))
# 0.15 dB: what the FIR's and SoX's spectral smoothing may leave at the corners of the limits
sys.exit(0 if max(d) <= 3.15 and min(d) >= -3.15 and max(d) >= 2.7 and min(d) <= -2.7 and max(dfull) > 6 else 1)
PY
python3 - <<PY && ok "tone 50 %: the correction in dB is half of tone 100 %'s" || bad "tone 50 % is not half"
$(cat dist.py)
a, full, half = cache["A.wav"], cache["At.wav"], cache["At50.wav"]
errs = [abs((h - x) - 0.5 * (f - x)) for x, f, h in zip(a, full, half) if abs(f - x) < 11]
print("    |half - full/2| mean %.3f dB, max %.3f dB over %d bands" % (sum(errs) / len(errs), max(errs), len(errs)))
sys.exit(0 if sum(errs) / len(errs) < 0.05 and max(errs) < 0.2 and len(errs) > 40 else 1)
PY

# ---------------------------------------------------------------- width (SoX stat)
rms() { sox "$1" -n remix -m "$2" stat 2>&1 | awk '/RMS +amplitude/ {print $3}'; }
python3 - "$(rms A.wav 1,2)" "$(rms A.wav 1,2v-1)" "$(rms B.wav 1,2)" "$(rms B.wav 1,2v-1)" \
          "$(rms Aw.wav 1,2)" "$(rms Aw.wav 1,2v-1)" <<'PY' && ok "width 100 %: side/mid of the output is the reference's (+-0.2 dB)" || bad "width match"
import math, sys
am, as_, bm, bs, om, os_ = map(float, sys.argv[1:])
ra, rb, ro = (20 * math.log10(s / m) for s, m in ((as_, am), (bs, bm), (os_, om)))
print("    side/mid: A %.2f dB, B %.2f dB, A width-matched %.2f dB; mid level change %.3f dB" % (ra, rb, ro, 20 * math.log10(om / am)))
sys.exit(0 if abs(ro - rb) <= 0.2 and abs(ra - rb) > 3 and abs(om / am - 1) < 0.01 else 1)
PY

# ---------------------------------------------------------------- several references
python3 - A2BA.wav.json "$LA" "$LB" <<'PY' && ok "two references weighted 3:1: listed, loudness the weighted mean" || bad "two references"
import json, sys
s = json.load(open(sys.argv[1]))
la, lb = float(sys.argv[2]), float(sys.argv[3])
refs = [(r["file"], r["weight"]) for r in s["references"]]
assert refs == [("B.wav", 3), ("A.wav", 1)], refs
want = (3 * lb + la) / 4
print("    reference loudness %.2f LUFS, FFmpeg's weighted mean %.2f" % (s["loudness"]["reference_lufs"], want))
assert abs(s["loudness"]["reference_lufs"] - want) <= 0.15
PY

# ---------------------------------------------------------------- memory for a long reference
sox A.wav -b 16 ref1.wav repeat 2 && sox A.wav -b 16 ref20.wav repeat 59
cat > measure.lua <<'LUA'
local match = require "mixdown.match"
local p = match.measure({arg[1]})
print(string.format("%.0f s, %.2f LUFS", p.duration_s, p.lufs))
LUA
m1=$( { /usr/bin/time -f "%M" "$MD" run measure.lua ref1.wav > /dev/null; } 2>&1 | tail -1)
m20=$( { /usr/bin/time -f "%M" "$MD" run measure.lua ref20.wav > /dev/null; } 2>&1 | tail -1)
rm -f ref1.wav ref20.wav
python3 - "$m1" "$m20" <<'PY' && ok "a 20-minute reference takes the memory of a 1-minute one (within 10 %)" || bad "memory grows with the reference's length"
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
print("    peak RSS: 1 min %d KB, 20 min %d KB (%+.1f %%)" % (a, b, 100.0 * (b - a) / a))
sys.exit(0 if b <= a * 1.10 else 1)
PY

# ---------------------------------------------------------------- errors
expect_fail "a missing reference" 1 "nothere\.wav" "$MD" run match.lua A.wav nothere.wav out.wav
[ ! -e out.wav ] && ok "no output after a missing reference" || bad "out.wav left behind"
expect_fail "tone over 100 %" 1 "match\.lua:[0-9]+: match: tone must be 0\.\.1, got 1\.5" \
  "$MD" run match.lua A.wav B.wav out.wav tone=150
cat > parse.lua <<'LUA'
local match = require "mixdown.match"
local o = {}
local i = 1
local args = {"--reference", "a.wav:2", "--reference", "b.wav", "--match", "tone=80,width=50",
              "--match-loudness", "25", "--max-boost", "6"}
while i <= #args do i = assert(match.parse_option(o, args, i)) end
assert(o.references[1].path == "a.wav" and o.references[1].weight == 2, "weight")
assert(o.references[2].path == "b.wav" and o.references[2].weight == 1, "default weight")
assert(o.match.tone == 0.8 and o.match.width == 0.5 and o.match.loudness == 0.25, "amounts")
local mo = match.master_opts(o)
assert(mo.tone == 0.8 and mo.width == 0.5 and mo.loudness == 0 and mo.max_boost == 6 and mo.max_cut == 12, "master_opts")
assert(match.master_loudness(o) == 0.25)
assert(math.abs(match.target({lufs = -10}, -14, 0.25) - (-13)) < 1e-12, "target")
assert(match.target({lufs = -10}, -14, 0) == -14 and match.target({}, -14, 1) == -14, "target without loudness")
assert(match.parse_option(o, {"--preset", "pop"}, 1) == nil, "not ours")
local ok, err = pcall(match.parse_amounts, "tone=80,colour=3")
assert(not ok and err == "master: --match: unknown dimension 'colour' (tone, width, loudness)", err)
ok, err = pcall(match.parse_option, {}, {"--match-width", "120"}, 1)
assert(not ok and err == "master: --match-width must be a percentage 0..100, got '120'", err)
ok, err = pcall(match.parse_option, {}, {"--reference", "x.wav:heavy"}, 1)
assert(not ok and err == "master: --reference weight must be a number > 0, got 'heavy'", err)
ok, err = pcall(match.parse_option, {}, {"--max-boost", "30"}, 1)
assert(not ok and err == "master: --max-boost must be a number of dB 0..24, got '30'", err)
print("ok")
LUA
expect_ok "master's option parsing (match.parse_option)" "$MD" run parse.lua

# ---------------------------------------------------------------- mixdown master --reference
if "$MD" master --help 2>&1 | grep -q -- "--reference"; then
  if "$MD" master A.wav -o M.wav --reference B.wav --bits 24 > M.txt 2> M.err; then
    ok "master --reference exits 0"
    python3 spec.py spectra2.json A.wav B.wav M.wav
    LM=$(lufs M.wav)
    SPECTRA=spectra2.json python3 - "$LM" "$LB" <<PY && ok "master --reference: 3x closer, at the reference's loudness" || bad "master --reference result"
$(cat dist.py)
lm, lb = float(sys.argv[1]), float(sys.argv[2])
before, after = distance(cache["A.wav"], cache["B.wav"]), distance(cache["M.wav"], cache["B.wav"])
print("    master: %.2f dB -> %.2f dB; %.1f LUFS (reference %.1f)" % (before, after, lm, lb))
sys.exit(0 if before >= 3 * after and abs(lm - lb) <= 0.5 else 1)
PY
  else
    bad "master --reference: $(cat M.err)"
  fi
else
  echo "skip master --reference: not wired into master.lua yet"
fi

finish
