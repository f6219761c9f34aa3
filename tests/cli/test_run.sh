#!/usr/bin/env bash
# test_run.sh - `mixdown run` with the core node names, and bad input:
# exit 1, one stderr line naming the file or parameter, no output file.
source "$(dirname "$0")/lib.sh"

sox -n -r 44100 -c 2 -b 24 "$T/sine.wav" synth 3 sine 1000 vol 0.5 || { bad "sox missing"; finish; exit 1; }

# gain{db = -6} lowers a sine by 6.00 +- 0.01 dB (20 log10 of the amplitude ratio), measured by an independent reader (python)
cat > "$T/gain.lua" <<LUA
local md = require "mixdown"
local g = md.graph()
g:file(arg[1]):gain{db = -6}:write(arg[2], {bits = 24})
g:run()
LUA
expect_ok "run gain script" "$MD" run "$T/gain.lua" "$T/sine.wav" "$T/g6.wav"
python3 - "$T/sine.wav" "$T/g6.wav" <<'PY' && ok "gain -6 dB measured" || bad "gain -6 dB measured"
import sys, math, subprocess, array
def rms(path):
    # decoded by SoX, not by us: 32-bit signed raw
    raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "32", "-"],
                         check=True, capture_output=True).stdout
    a = array.array("i"); a.frombytes(raw)
    return 10 * math.log10(sum(float(v) * v for v in a) / len(a))
d = rms(sys.argv[2]) - rms(sys.argv[1])
print("level change %.4f dB" % d)
sys.exit(0 if abs(d - (-6.0)) <= 0.01 else 1)
PY
# the DESIGN sketch's chain runs with only core node names
cat > "$T/sketch.lua" <<LUA
local md = require "mixdown"
local g  = md.graph()
local x  = g:file(arg[1])
x = x:highpass{freq = 30}
     :eq{ {type = "lowshelf", freq = 100, gain = 2},
          {type = "bell", freq = 300, gain = -2, q = 1} }
     :pan{pos = 0}
     :lowpass{freq = 18000, order = 4}
x:write(arg[2], {bits = 16})
assert(g:dot():match("digraph"))
g:run()
LUA
if "$MD" nodes pan >/dev/null 2>&1; then
  expect_ok "design sketch chain" "$MD" run "$T/sketch.lua" "$T/sine.wav" "$T/sketch.wav"
  [ -f "$T/sketch.wav" ] && ok "sketch output written" || bad "sketch output missing"
fi


# the SoX chain of the foundation issue, run by SoX and by a Lua recipe on the same
# noise: residual at least 80 dB under the signal (SoX is required: missing, this fails)
sox -R -n -r 44100 -c 2 -b 32 -e floating-point "$T/noise.wav" synth 5 whitenoise vol 0.1
sox -R "$T/noise.wav" -b 24 "$T/sox-chain.wav" highpass 80 0.7071q equalizer 2000 2q 4 bass 3 150 0.7071q treble -3 6000 0.7071q lowpass 16000 0.7071q
cat > "$T/chain.lua" <<LUA
local md = require "mixdown"
local g = md.graph()
g:file(arg[1]):highpass{freq = 80, q = 0.7071}
 :eq{ {type = "bell", freq = 2000, gain = 4, q = 2},
      {type = "lowshelf", freq = 150, gain = 3, q = 0.7071},
      {type = "highshelf", freq = 6000, gain = -3, q = 0.7071} }
 :lowpass{freq = 16000, q = 0.7071}
 :write(arg[2], {bits = 24})
g:run()
LUA
expect_ok "lua chain like sox" "$MD" run "$T/chain.lua" "$T/noise.wav" "$T/md-chain.wav"
python3 - "$T/sox-chain.wav" "$T/md-chain.wav" <<'PY' && ok "sox chain residual under -80 dB" || bad "sox chain residual"
import sys, math, subprocess, array
def samples(path):
    raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "32", "-"],
                         check=True, capture_output=True).stdout
    a = array.array("i"); a.frombytes(raw); return a
a, b = samples(sys.argv[1]), samples(sys.argv[2])
n = min(len(a), len(b))
sig = sum(float(v) * v for v in a[:n])
res = sum((float(x) - y) ** 2 for x, y in zip(a[:n], b[:n]))
db = 10 * math.log10(res / sig + 1e-300)
print("residual %.1f dB" % db)
sys.exit(0 if db <= -80 else 1)
PY

# --- bad input ----------------------------------------------------------------
printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):write(arg[2])\ng:run()\n' > "$T/copy.lua"
expect_fail "missing input file" 1 "nothere\\.wav.*(No such file|cannot open)" "$MD" run "$T/copy.lua" "$T/nothere.wav" "$T/o1.wav"
[ ! -e "$T/o1.wav" ] && ok "no output after missing input" || bad "output left after missing input"

echo "this is not audio" > "$T/text.wav"
expect_fail "non-audio file" 1 "text\\.wav" "$MD" run "$T/copy.lua" "$T/text.wav" "$T/o2.wav"
[ ! -e "$T/o2.wav" ] && ok "no output after non-audio input" || bad "output left after non-audio input"

expect_fail "output directory missing" 1 "nodir" "$MD" run "$T/copy.lua" "$T/sine.wav" "$T/nodir/o3.wav"
[ ! -e "$T/nodir" ] && ok "no directory created" || bad "directory created"

printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):compresor{}:write(arg[2])\ng:run()\n' > "$T/unknown.lua"
expect_fail "unknown node" 1 "unknown\\.lua:3: unknown node .compresor. \\(did you mean .compressor.\\?\\)" "$MD" run "$T/unknown.lua" "$T/sine.wav" "$T/o4.wav"
[ ! -e "$T/o4.wav" ] && ok "no output after unknown node" || bad "output left after unknown node"

printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):highpass{freq = "low"}:write(arg[2])\ng:run()\n' > "$T/type.lua"
expect_fail "wrong parameter type" 1 "type\\.lua:3: highpass: freq must be a number, got string" "$MD" run "$T/type.lua" "$T/sine.wav" "$T/o5.wav"

printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):gain{db = 500}:write(arg[2])\ng:run()\n' > "$T/range.lua"
expect_fail "parameter out of range" 1 "range\\.lua:3: gain: db must be <= 48" "$MD" run "$T/range.lua" "$T/sine.wav" "$T/o6.wav"
[ ! -e "$T/o6.wav" ] && ok "no output after range error" || bad "output left after range error"

printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):highpass{frq = 30}:write(arg[2])\ng:run()\n' > "$T/name.lua"
expect_fail "misspelt parameter suggests" 1 "name\\.lua:3: highpass: unknown parameter 'frq' \\(did you mean 'freq'\\?\\)" "$MD" run "$T/name.lua" "$T/sine.wav" "$T/o7.wav"

printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):highpass{freq = 30000}:write(arg[2])\ng:run()\n' > "$T/nyq.lua"
expect_fail "frequency above Nyquist" 1 "highpass: freq" "$MD" run "$T/nyq.lua" "$T/sine.wav" "$T/o8.wav"
[ ! -e "$T/o8.wav" ] && ok "no output after Nyquist error" || bad "output left after Nyquist error"

expect_fail "missing script" 1 "nothere\\.lua" "$MD" run "$T/nothere.lua"
printf 'local x = = 1\n' > "$T/syntax.lua"
expect_fail "syntax error names file and line" 1 "syntax\\.lua:1:" "$MD" run "$T/syntax.lua"
expect_fail "unknown verb" 1 "unknown command 'mastr'" "$MD" mastr x.wav
expect_fail "run without a script" 1 "no script" "$MD" run

# --help and --version everywhere
for v in run nodes master; do
  out=$("$MD" $v --help 2>&1) && echo "$out" | grep -q "Usage: mixdown $v" && ok "$v --help" || bad "$v --help: $out"
done
"$MD" --version | grep -qE '^mixdown [0-9]+\.[0-9]+' && ok "--version" || bad "--version"
for v in master mix run analyze presets nodes; do
  "$MD" $v --version | grep -qE '^mixdown [0-9]+\.[0-9]+' && ok "$v --version" || bad "$v --version"
done
"$MD" --help | grep -q "mixdown master" && ok "--help" || bad "--help"
"$MD" nodes eq | grep -q "lowshelf" && ok "nodes eq lists band types" || bad "nodes eq"
expect_fail "nodes unknown suggests" 1 "did you mean 'limiter'" "$MD" nodes limter

# a traceback only with --debug
out=$("$MD" run "$T/range.lua" "$T/sine.wav" "$T/o9.wav" --debug 2>&1 >/dev/null)
echo "$out" | grep -q "stack traceback" && ok "--debug prints a traceback" || bad "--debug: $out"

# piped stdin runs as a script
out=$(echo 'print(1 + 1)' | "$MD" 2>&1) && [ "$out" = "2" ] && ok "piped stdin script" || bad "piped stdin: $out"
out=$(echo 'print(require("mixdown").version)' | "$MD" - 2>&1) && [ -n "$out" ] && ok "mixdown - reads stdin" || bad "mixdown -: $out"

# an output that is the input (also through a symlink or a hard link) is refused
cp "$T/sine.wav" "$T/keep.wav"; before=$(md5sum < "$T/keep.wav")
ln -s "$T/keep.wav" "$T/link.wav"; ln "$T/keep.wav" "$T/hard.wav"
expect_fail "output = input refused" 1 "is the input file" "$MD" run "$T/copy.lua" "$T/keep.wav" "$T/keep.wav"
expect_fail "output = input via symlink refused" 1 "is the input file" "$MD" run "$T/copy.lua" "$T/keep.wav" "$T/link.wav"
expect_fail "output = input via hard link refused" 1 "is the input file" "$MD" run "$T/copy.lua" "$T/keep.wav" "$T/hard.wav"
[ "$(md5sum < "$T/keep.wav")" = "$before" ] && ok "input untouched" || bad "input changed"

# Ctrl-C (SIGINT) and SIGTERM during a render: exit 130, no output, no temporary file
sox -R -n -r 44100 -c 2 -b 16 "$T/long.wav" synth 300 pinknoise vol 0.3
# a slow chain (8x oversampled saturation), so the render is still running when the signal comes
printf 'local md = require "mixdown"\nlocal g = md.graph()\ng:file(arg[1]):saturate{drive = 12}:saturate{drive = 6}:write(arg[2])\ng:run()\n' > "$T/slow.lua"
for sig in INT TERM; do
  echo old > "$T/int.wav"
  "$MD" run "$T/slow.lua" "$T/long.wav" "$T/int.wav" 2>"$T/int.err" &
  pid=$!
  sleep 0.4
  kill -$sig $pid
  wait $pid; code=$?
  [ "$code" -eq 130 ] && ok "SIG$sig exits 130" || bad "SIG$sig exit $code ($(cat "$T/int.err"))"
  [ "$(cat "$T/int.wav")" = "old" ] && ok "SIG$sig leaves the earlier file untouched" || bad "SIG$sig changed the output"
  ls -a "$T" | grep -q '^\.int\.wav' && bad "SIG$sig left a temporary file" || ok "SIG$sig left no temporary file"
done

# a file-size limit (as a full disk would): exit 1, one line, no partial file
expect_fail "file-size limit" 1 "write failed: File too large" bash -c "ulimit -f 200; exec \"$MD\" run \"$T/gain.lua\" \"$T/long.wav\" \"$T/big.wav\""
[ ! -e "$T/big.wav" ] && ! ls -a "$T" | grep -q '^\.big\.wav' && ok "no partial file after EFBIG" || bad "partial file left after EFBIG"

finish
