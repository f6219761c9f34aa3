#!/usr/bin/env bash
# test_analyze.sh - `mixdown analyze` end to end: JSON Lines contract, null for
# undefined values, agreement with FFmpeg's ebur128 filter (an independent
# meter), errors that name the file, exit codes.
#
#   bash tests/cli/test_analyze.sh /path/to/mixdown
# Needs sox, ffmpeg and python3 (nothing is skipped).
set -u
MD=${1:?usage: test_analyze.sh /path/to/mixdown}
MD=$(cd "$(dirname "$MD")" && pwd)/$(basename "$MD")
for tool in sox ffmpeg python3; do
    command -v "$tool" > /dev/null || { echo "FAIL: $tool is needed"; exit 1; }
done
T=$(mktemp -d /tmp/md_test_analyze.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

# ---------------------------------------------------------------- material
S="sox -R -D -V1"
$S -n -r 48000 -c 2 -b 24 sine.wav synth 20 sine 1000 vol -23dB
# programme-like: pink noise with a slow level swing, stereo, 44.1 kHz
$S -n -r 44100 -c 2 -b 16 noise.flac synth 30 pinknoise synth 30 sine amod 0.2 100 vol -12dB
$S -n -r 48000 -c 2 -b 24 tone.aiff synth 12 sine 440 sine 660 vol -10dB
$S -n -r 44100 -c 2 music.ogg synth 15 pinknoise tremolo 3 60 vol -14dB
$S -n -r 48000 -c 1 -b 16 mono.wav synth 10 sine 1000 vol -20dB
$S -n -r 48000 -c 2 -b 16 silent.wav trim 0 10
# 5.1 WAVEX (channel mask): a tone in Ls only (weight 1.41), then in LFE only (not measured)
$S -n -r 48000 -b 16 six_ls.wav synth 10 sine 1000 vol -20dB remix 0 0 0 0 1 0
$S -n -r 48000 -b 16 six_lfe.wav synth 10 sine 1000 vol -20dB remix 0 0 0 1 0 0
printf 'these are my notes\n' > notes.txt
cp notes.txt x.wav
# a float WAV with 3 non-finite samples (sox cannot write NaN)
python3 - <<'EOF'
import math, struct
rate, n = 48000, 48000
frames = []
for i in range(n):
    v = 0.25 * math.sin(2 * math.pi * 1000 * i / rate)
    frames.append([v, v])
frames[100][0] = float('nan'); frames[2000][1] = float('inf'); frames[3000][0] = float('-inf')
data = b''.join(struct.pack('<ff', l, r) for l, r in frames)
fmt = struct.pack('<HHIIHH', 3, 2, rate, rate * 8, 8, 32)
body = b'WAVE' + b'fmt ' + struct.pack('<I', len(fmt)) + fmt + b'data' + struct.pack('<I', len(data)) + data
open('nan.wav', 'wb').write(b'RIFF' + struct.pack('<I', len(body)) + body)
EOF
# a truncated file: the header promises 20 s, 5 s of frames are there
python3 -c '
d = open("sine.wav", "rb").read()
start = d.index(b"data") + 8
open("cut.wav", "wb").write(d[:start + 48000 * 2 * 3 * 5])
'

# ---------------------------------------------------------------- JSON lines
FILES="sine.wav noise.flac tone.aiff music.ogg mono.wav silent.wav six_ls.wav six_lfe.wav"
"$MD" analyze --json $FILES > out.jsonl 2> err.txt
rc=$?
[ $rc -eq 0 ] && pass "analyze --json exits 0" || fail "analyze --json exit $rc: $(cat err.txt)"
[ ! -s err.txt ] && pass "nothing on stderr" || fail "stderr: $(cat err.txt)"

python3 - out.jsonl $FILES <<'EOF' || fails=$((fails + 1))
import json, sys
path, files = sys.argv[1], sys.argv[2:]
lines = open(path).read().split('\n')
assert lines[-1] == '', 'output must end with a newline'
lines = lines[:-1]
assert len(lines) == len(files), f'{len(lines)} lines for {len(files)} files'
keys = ['file', 'sample_rate', 'channels', 'frames', 'duration_s', 'integrated_lufs',
        'loudness_range_lu', 'max_momentary_lufs', 'max_short_term_lufs', 'sample_peak_dbfs',
        'true_peak_dbtp', 'rms_dbfs', 'crest_db', 'dc_offset', 'clipped_samples',
        'nonfinite_samples', 'correlation']
objs = {}
for line, f in zip(lines, files):
    o = json.loads(line)   # one compact object per line
    assert ' ' not in line.replace(f, ''), f'not compact: {line[:80]}'
    for k in keys:
        assert k in o, f'{f}: key {k} missing'
    assert o['file'] == f, o['file']
    objs[f] = o
def near(a, b, tol, what):
    assert a is not None and abs(a - b) <= tol, f'{what}: {a} vs {b} (tolerance {tol})'
s = objs['sine.wav']
assert (s['sample_rate'], s['channels'], s['frames']) == (48000, 2, 960000), s
near(s['duration_s'], 20.0, 1e-9, 'sine duration')
near(s['integrated_lufs'], -23.0, 0.1, 'sine I')
near(s['sample_peak_dbfs'], -23.0, 0.01, 'sine sample peak')
near(s['rms_dbfs'], -26.01, 0.01, 'sine RMS')
near(s['crest_db'], 3.01, 0.02, 'sine crest')
near(s['correlation'], 1.0, 1e-6, 'sine correlation')
assert s['clipped_samples'] == 0 and s['nonfinite_samples'] == 0
m = objs['mono.wav']
assert m['channels'] == 1 and m['correlation'] is None, m
near(m['integrated_lufs'], -23.01, 0.1, 'mono I (one channel, not dual mono)')
z = objs['silent.wav']
for k in ['integrated_lufs', 'loudness_range_lu', 'max_momentary_lufs', 'max_short_term_lufs',
          'sample_peak_dbfs', 'true_peak_dbtp', 'rms_dbfs', 'crest_db', 'correlation']:
    assert z[k] is None, f'silence: {k} = {z[k]!r}, want null'
assert z['dc_offset'] == 0 and z['frames'] == 480000
ls, lfe = objs['six_ls.wav'], objs['six_lfe.wav']
near(ls['integrated_lufs'], -20.0 - 3.0103 + 1.4922, 0.1, 'Ls weighted 1.41 (+1.49 dB)')
assert lfe['integrated_lufs'] is None, f"LFE only: {lfe['integrated_lufs']}, want null"
near(lfe['true_peak_per_channel'][3], -20.0, 0.1, 'LFE true peak')
print('ok: JSON lines carry every contract key; silence and mono give null')
EOF

# ---------------------------------------------------------------- against FFmpeg
# FFmpeg's ebur128 filter: the last per-frame integrated value (3 decimals)
# and the summary's true peak (dBFS, 1 decimal)
for f in sine.wav noise.flac tone.aiff music.ogg mono.wav six_ls.wav; do
    ffmpeg -nostdin -hide_banner -nostats -i "$f" \
        -af "ebur128=peak=true:metadata=1,ametadata=mode=print:file=$f.meta" \
        -f null - > /dev/null 2> "$f.ff" || { fail "ffmpeg on $f"; continue; }
    ffi=$(grep 'lavfi.r128.I=' "$f.meta" | tail -1 | cut -d= -f2)
    fftp=$(grep -A1 'True peak:' "$f.ff" | tail -1 | awk '{print $2}')
    python3 - out.jsonl "$f" "$ffi" "$fftp" <<'EOF' || fails=$((fails + 1))
import json, sys
path, f, ffi, fftp = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
o = [json.loads(l) for l in open(path) if json.loads(l)['file'] == f][0]
di, dt = o['integrated_lufs'] - ffi, o['true_peak_dbtp'] - fftp
print(f"{'ok' if abs(di) <= 0.1 and abs(dt) <= 0.2 else 'FAIL'}: {f}: I {o['integrated_lufs']:.3f} "
      f"(ffmpeg {ffi:.3f}, diff {di:+.3f} LU), true peak {o['true_peak_dbtp']:.3f} "
      f"(ffmpeg {fftp:.1f}, diff {dt:+.3f} dB)")
sys.exit(0 if abs(di) <= 0.1 and abs(dt) <= 0.2 else 1)
EOF
done

# ---------------------------------------------------------------- unreadable input
"$MD" analyze --json sine.wav x.wav mono.wav > out2.jsonl 2> err2.txt
rc=$?
[ $rc -eq 1 ] && pass "a text file named x.wav: exit 1" || fail "x.wav: exit $rc, want 1"
[ "$(wc -l < err2.txt)" -eq 1 ] && pass "one line on stderr" || fail "stderr: $(cat err2.txt)"
grep -q '^mixdown: analyze: x\.wav: not an audio file libsndfile can read (.*)$' err2.txt &&
    pass "the error names x.wav: $(cat err2.txt)" || fail "error line: $(cat err2.txt)"
[ "$(wc -l < out2.jsonl)" -eq 2 ] && pass "the other two files are still measured" ||
    fail "$(wc -l < out2.jsonl) lines for the two readable files"

"$MD" analyze missing.wav > /dev/null 2> err3.txt
rc=$?
[ $rc -eq 1 ] && grep -q '^mixdown: analyze: missing\.wav: cannot open (No such file or directory)$' err3.txt &&
    pass "a missing file: exit 1, $(cat err3.txt)" || fail "missing file: exit $rc, $(cat err3.txt)"

# ---------------------------------------------------------------- non-finite, truncated
"$MD" analyze --json nan.wav > out4.jsonl 2> err4.txt
rc=$?
[ $rc -eq 0 ] && pass "non-finite samples: exit 0" || fail "nan.wav: exit $rc"
grep -qx 'mixdown: analyze: nan.wav: 3 non-finite samples (NaN/Inf) counted and ignored' err4.txt &&
    pass "warning: $(cat err4.txt)" || fail "nan.wav warning: $(cat err4.txt)"
python3 -c '
import json, sys
o = json.loads(open("out4.jsonl").read())
assert o["nonfinite_samples"] == 3, o
assert abs(o["sample_peak_dbfs"] - (-12.04)) < 0.01, o["sample_peak_dbfs"]
assert o["integrated_lufs"] is not None
' && pass "nan.wav: 3 counted, peaks unaffected" || fail "nan.wav figures: $(cat out4.jsonl)"

"$MD" analyze --json cut.wav > out5.jsonl 2> err5.txt
rc=$?
python3 -c '
import json
o = json.loads(open("out5.jsonl").read())
assert o["frames"] == 240000, o["frames"]
' && [ $rc -eq 0 ] && pass "truncated file: read to its real end (5 s)" ||
    fail "truncated: exit $rc, $(cat out5.jsonl) $(cat err5.txt)"

# ---------------------------------------------------------------- awkward names
cp mono.wav 'we"ird\ é.wav'
cp mono.wav "$(printf 'latin\351.wav')"
"$MD" analyze --json 'we"ird\ é.wav' "$(printf 'latin\351.wav')" > out6.jsonl 2> err6.txt
python3 -c '
import json
a, b = [json.loads(l) for l in open("out6.jsonl", encoding="utf-8")]
assert a["file"] == "we\"ird\\ \u00e9.wav", a["file"]
assert b["file"] == "latin\ufffd.wav", b["file"]
' && pass "file names with quotes, backslashes, UTF-8 and Latin-1 bytes give valid JSON" ||
    fail "awkward names: $(cat out6.jsonl err6.txt)"

# ---------------------------------------------------------------- table, usage
"$MD" analyze sine.wav silent.wav > table.txt 2> err6.txt
rc=$?
[ $rc -eq 0 ] && grep -q 'integrated loudness *-2[23]\.[0-9][0-9] LUFS' table.txt &&
    grep -q 'integrated loudness *n/a' table.txt && [ ! -s err6.txt ] &&
    pass "table output (no progress when stderr is not a terminal)" || fail "table: $(cat table.txt err6.txt)"

"$MD" analyze --help > help.txt 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'mixdown analyze' help.txt && grep -qi 'example' help.txt &&
    pass "--help" || fail "--help: exit $rc"
"$MD" analyze > /dev/null 2> err7.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l < err7.txt)" -eq 1 ] && pass "no file: exit 1, $(cat err7.txt)" ||
    fail "no file: exit $rc"
"$MD" analyze --jsn sine.wav > /dev/null 2> err8.txt
rc=$?
[ $rc -eq 1 ] && grep -q "unknown option '--jsn'" err8.txt && pass "unknown option: exit 1" ||
    fail "unknown option: exit $rc $(cat err8.txt)"

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all analyze CLI checks passed"
