#!/usr/bin/env bash
# test_report.sh - reports, manifests and delivery metadata end to end:
#   A. `analyze FILE... --report FILE.html`: the same figures on stdout as the
#      C command, a self-contained page that opens in headless Chromium without
#      console errors, every plot with labelled axes (units) and a legend, and
#      plotted extremes equal to `analyze --json` (short-term maximum within
#      0.1 LU, sample peak within 0.05 dB), the spectrum of a sine peaking at
#      its frequency, its 1/3-octave band at the level computed here;
#   B. what `master --report/--manifest/--tag/--isrc` does (the same module
#      calls, tests/report/master_fixture.lua): tags carried over and added
#      (ffprobe), the BWF bext loudness fields read from the file's bytes here
#      equal to `analyze --json` of the delivered file, the before/after page
#      with the gain reduction plot, the manifest's hashes equal to sha256sum.
#
#   bash tests/cli/test_report.sh /path/to/mixdown
# Needs sox, ffmpeg, ffprobe, python3, sha256sum, node + npm and Debian's
# chromium (scripts/setup.sh installs them); playwright-core comes from npm
# into the build tree (never a browser download). MD_REPORT_SHOTS=DIR keeps
# the screenshots.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
MD=$(cd "$(dirname "$MD")" && pwd)/$(basename "$MD")
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
for tool in sox ffmpeg ffprobe python3 sha256sum node npm "$CHROMIUM"; do
    command -v "$tool" > /dev/null || { echo "FAIL: $tool is needed (run scripts/setup.sh)"; exit 1; }
done

# ---------------------------------------------------------------- playwright-core
PW_VERSION=${MD_PLAYWRIGHT_VERSION:-1.65.1}
PW_DIR=${MD_PLAYWRIGHT_DIR:-$(dirname "$MD")/npm-cache/playwright-$PW_VERSION}
if [ ! -f "$PW_DIR/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$PW_DIR"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$PW_DIR" --no-audit --no-fund \
        --silent "playwright-core@$PW_VERSION" > "$T/npm.log" 2>&1 ||
        { echo "FAIL: npm install playwright-core: $(tail -3 "$T/npm.log")"; exit 1; }
fi
export NODE_PATH="$PW_DIR/node_modules" CHROMIUM
check_page() { # HTML PNG OUT.json
    node "$here/../report/check_report.js" "$1" "$2" > "$3" 2> "$3.err"
}
keep_shot() {
    [ -n "${MD_REPORT_SHOTS:-}" ] && mkdir -p "$MD_REPORT_SHOTS" && cp "$1" "$MD_REPORT_SHOTS/"
    return 0
}
cd "$T"

# ---------------------------------------------------------------- material
S="sox -R -D -V1"
# 1 kHz: 4 s at -20 dBFS, then 6 s at -8 dBFS (stereo, 48 kHz)
$S -n -r 48000 -c 2 -b 24 q.wav synth 4 sine 1000 vol -20dB
$S -n -r 48000 -c 2 -b 24 l.wav synth 6 sine 1000 vol -8dB
$S q.wav l.wav tone.wav
# programme-like: pink noise with a slow level swing (44.1 kHz FLAC)
$S -n -r 44100 -c 2 -b 16 noise.flac synth 20 pinknoise synth 20 sine amod 0.3 100 vol -10dB
# the master input, with tags (LIST/INFO) written by FFmpeg
$S -n -r 44100 -c 2 -b 16 music.wav synth 15 pinknoise synth 15 sine amod 0.4 100 vol -14dB
ffmpeg -v error -y -i music.wav -metadata title="Test Song" -metadata artist="The Testers" \
    -metadata album="Reports" -c copy tagged.wav

# ---------------------------------------------------------------- A. analyze --report
"$MD" analyze --json tone.wav noise.flac --report a.html > lua.jsonl 2> a.err
rc=$?
"$MD" analyze --json tone.wav noise.flac > c.jsonl 2>/dev/null
if [ $rc -eq 0 ] && [ -s a.html ]; then ok "analyze --report exits 0 and writes the page"
else bad "analyze --report: exit $rc, $(cat a.err)"; fi
if cmp -s lua.jsonl c.jsonl; then ok "--report prints the same JSON lines as analyze --json"
else bad "--report JSON differs: $(diff lua.jsonl c.jsonl | head -4)"; fi
"$MD" analyze tone.wav --report a2.html > lua.txt 2>/dev/null
"$MD" analyze tone.wav > c.txt 2>/dev/null
cmp -s lua.txt c.txt && ok "--report prints the same table" || bad "table differs: $(diff lua.txt c.txt | head -4)"

python3 - a.html <<'EOF' && ok "the page is self-contained (no script, no external URL)" || bad "the page is not self-contained"
import re, sys
h = open(sys.argv[1]).read()
problems = []
for m in re.finditer(r'<script([^>]*)>', h):
    if 'type="application/json"' not in m.group(1): problems.append('script ' + m.group(0))
for m in re.finditer(r'(?:src|href)="([^"]*)"', h):
    if not m.group(1).startswith('data:') and not m.group(1).startswith('#'): problems.append(m.group(0))
for m in re.finditer(r'https?://[^"\s)]*', h):
    if m.group(0) != 'http://www.w3.org/2000/svg': problems.append(m.group(0))
if re.search(r'@import|url\((?!#)', h): problems.append('css url/import')
print(problems[:5]) if problems else None
sys.exit(1 if problems else 0)
EOF

if check_page a.html a.png a.json; then
    ok "the page opens in headless Chromium"
    keep_shot a.png
    python3 - a.json c.jsonl a.png <<'EOF'
import json, math, re, struct, sys
page = json.load(open(sys.argv[1]))
ref = [json.loads(l) for l in open(sys.argv[2])]
png = open(sys.argv[3], 'rb').read(32)
passed = failed = 0
def check(cond, msg):
    global passed, failed
    if cond: passed += 1; print('ok   ' + msg)
    else: failed += 1; print('FAIL ' + msg)
check(page['errors'] == [], 'no console errors, failed or network requests: %s' % page['errors'][:3])
check(page['scripts'] == 0, 'no JavaScript in the page')
check(page['scroll_width'] <= 1280, 'no horizontal scrolling at 1280 px (%d)' % page['scroll_width'])
w, h = struct.unpack('>II', png[16:24])
check(png[:8] == b'\x89PNG\r\n\x1a\n' and w == 1280 and h > 8 * 330, 'screenshot %dx%d holds 8 plots' % (w, h))
plots = {p['id']: p for p in page['plots']}
check(len(plots) == 8, '4 plots per file, got %s' % sorted(plots))
for p in page['plots']:
    unit = re.compile(r'\(.+\)$')
    check(unit.search(p['x_label'] or '') and unit.search(p['y_label'] or ''),
          '%s: axis labels with units: "%s", "%s"' % (p['id'], p['x_label'], p['y_label']))
    check(p['axis_texts'] == [p['x_label'], p['y_label']], '%s: both axis labels drawn' % p['id'])
    names = [s['name'] for s in p['series']]
    check(len(p['legend']) >= 1 and all(n in p['legend'] for n in names),
          '%s: legend %s names every series' % (p['id'], p['legend']))
    check(p['tick_count'] >= 6, '%s: %d tick labels' % (p['id'], p['tick_count']))
    check(p['width'] >= 1100, '%s: %.0f px wide at 1280' % (p['id'], p['width']))
    for s in p['series']:
        check(s['points'] > 0 and abs(s['plotted_max'] - s['data_max']) < 0.02,
              '%s/%s: plotted max %.3f = data-max %.3f' % (p['id'], s['name'], s['plotted_max'], s['data_max']))
def series(pid, role):
    return [s for s in plots[pid]['series'] if s['role'] == role][0]
for i, r in enumerate(ref, 1):
    f = 'f%d' % i
    st = series(f + '-loudness', 'short_term')['plotted_max']
    check(abs(st - r['max_short_term_lufs']) <= 0.1,
          '%s: plotted short-term max %.3f vs JSON %.3f (0.1 LU)' % (r['file'], st, r['max_short_term_lufs']))
    mo = series(f + '-loudness', 'momentary')['plotted_max']
    check(abs(mo - r['max_momentary_lufs']) <= 0.1,
          '%s: plotted momentary max %.3f vs JSON %.3f (0.1 LU)' % (r['file'], mo, r['max_momentary_lufs']))
    pk = series(f + '-envelope', 'peak')['plotted_max']
    check(abs(pk - r['sample_peak_dbfs']) <= 0.05,
          '%s: plotted envelope peak %.3f vs sample peak %.3f (0.05 dB)' % (r['file'], pk, r['sample_peak_dbfs']))
    tab = page['table']
    for key in ('integrated_lufs', 'true_peak_dbtp', 'loudness_range_lu', 'rms_dbfs'):
        got = tab[key][i - 1]
        check(got is not None and abs(got - r[key]) < 1e-3, '%s: table %s %s = JSON %s' % (r['file'], key, got, r[key]))
    d = page['data']['files'][i - 1]['measurements']
    check(abs(d['integrated_lufs'] - r['integrated_lufs']) < 1e-3, '%s: embedded JSON integrated' % r['file'])
# tone.wav: a 1 kHz sine
sp = series('f1-spectrum', 'spectrum')
check(abs(math.log2(sp['plotted_max_x'] / 1000.0)) <= 1 / 24.0,
      'sine: spectrum peaks at %.1f Hz (1 kHz within 1/24 octave)' % sp['plotted_max_x'])
bd = series('f1-bands', 'bands')
band = int(bd['plotted_max_x'])
# the long-term average of 4 s at -20 dBFS and 6 s at -8 dBFS
want = 10 * math.log10((4 * 10 ** (-20 / 10) + 6 * 10 ** (-8 / 10)) / 10)
# sine-calibrated bins: the level, less up to 1.42 dB between two bins (Hann)
check(want - 1.5 <= sp['plotted_max'] <= want + 0.1,
      'sine: spectrum peak %.2f dB, the average level %.2f dB less 0..1.42' % (sp['plotted_max'], want))
check(band == 17, 'sine: the loudest band is 1 kHz (index %d)' % band)
check(abs(bd['plotted_max'] - want) <= 0.3,
      'sine: 1 kHz band %.2f dB vs %.2f dB (mean power of 4 s at -20 and 6 s at -8)' % (bd['plotted_max'], want))
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
EOF
    if [ $? -eq 0 ]; then ok "analysis page: axes, legends and plotted values"; else bad "analysis page checks"; fi
else
    bad "chromium could not open the page: $(cat a.json.err)"
fi

expect_fail "a missing file: no page" 1 "nope.wav.*not written" "$MD" analyze tone.wav nope.wav --report miss.html
[ ! -e miss.html ] && ok "no page after a failure" || bad "miss.html was written"
expect_fail "--report needs a file name" 1 "report needs a file name" "$MD" analyze tone.wav --report

# ---------------------------------------------------------------- B. master report, metadata, manifest
if "$MD" run "$here/../report/master_fixture.lua" tagged.wav out.wav out.flac m.html m.json hashes.txt \
    two.html > fixture.log 2>&1; then
    ok "master fixture renders"
else
    bad "master fixture: $(tail -3 fixture.log)"
fi
# recall: the same recipe, parameters and seed give the same bytes (bext and tags included)
mkdir -p again
"$MD" run "$here/../report/master_fixture.lua" tagged.wav again/out.wav again/out.flac again/m.html \
    again/m.json again/hashes.txt > again/log 2>&1
if [ "$(sha256sum < out.wav)" = "$(sha256sum < again/out.wav)" ] &&
   [ "$(sha256sum < out.flac)" = "$(sha256sum < again/out.flac)" ]; then
    ok "rendering again gives the same bytes (WAV with bext, FLAC)"
else
    bad "a second render differs"
fi
"$MD" analyze --json out.wav tagged.wav > m.jsonl 2>/dev/null

# tags: carried over from the input, --tag album overrides, --isrc in the bext Description
for f in out.wav out.flac; do
    ffprobe -v error -show_format -of json "$f" > "$f.json"
done
python3 - out.wav.json out.flac.json <<'EOF' && ok "tags carried over and added (ffprobe)" || bad "tags"
import json, sys
for path in sys.argv[1:]:
    tags = {k.lower(): v for k, v in json.load(open(path))['format'].get('tags', {}).items()}
    want = {'title': 'Test Song', 'artist': 'The Testers', 'album': 'Override'}
    for k, v in want.items():
        if tags.get(k) != v: print(path, k, tags.get(k), '!=', v); sys.exit(1)
    if 'ISRC:GBAAA2500001' not in tags.get('comment', ''): print(path, 'comment', tags.get('comment')); sys.exit(1)
    if 'Lavf' in tags.get('software', '') or 'Lavf' in tags.get('encoder', ''): print(path, 'software carried'); sys.exit(1)
EOF

# the bext chunk, read from the bytes here (EBU Tech 3285 v2 layout)
python3 - out.wav m.jsonl <<'EOF' && ok "bext v2 loudness fields equal analyze --json of the delivered file" || bad "bext fields"
import json, struct, sys
d = open(sys.argv[1], 'rb').read()
ref = json.loads(open(sys.argv[2]).readline())
assert d[:4] == b'RIFF' and d[8:12] == b'WAVE'
at, bext = 12, None
while at + 8 <= len(d):
    cid, size = d[at:at + 4], struct.unpack('<I', d[at + 4:at + 8])[0]
    if cid == b'bext': bext = d[at + 8:at + 8 + size]; break
    at += 8 + size + (size & 1)
assert bext is not None, 'no bext chunk'
desc = bext[:256].split(b'\0')[0].decode()
version = struct.unpack('<H', bext[346:348])[0]
lv, lr, tp, mm, ms = struct.unpack('<5h', bext[412:422])
print('bext: version %d, "%s", loudness %d, range %d, true peak %d, momentary %d, short-term %d'
      % (version, desc, lv, lr, tp, mm, ms))
ok = version == 2 and desc == 'ISRC:GBAAA2500001'
for got, key in ((lv, 'integrated_lufs'), (lr, 'loudness_range_lu'), (tp, 'true_peak_dbtp'),
                 (mm, 'max_momentary_lufs'), (ms, 'max_short_term_lufs')):
    want = round(ref[key] * 100)
    if abs(got - want) > 1: print(key, got, 'want', want); ok = False
sys.exit(0 if ok else 1)
EOF

if check_page m.html m.png mp.json; then
    ok "the master page opens in headless Chromium"
    keep_shot m.png
    python3 - mp.json m.jsonl <<'EOF'
import json, re, sys
page = json.load(open(sys.argv[1]))
after, before = [json.loads(l) for l in open(sys.argv[2])]
passed = failed = 0
def check(cond, msg):
    global passed, failed
    if cond: passed += 1; print('ok   ' + msg)
    else: failed += 1; print('FAIL ' + msg)
check(page['errors'] == [], 'no console errors: %s' % page['errors'][:3])
plots = {p['id']: p for p in page['plots']}
check(sorted(plots) == ['bands', 'envelope', 'gain-reduction', 'loudness', 'spectrum'], 'plots %s' % sorted(plots))
for p in page['plots']:
    check(re.search(r'\(.+\)$', p['x_label']) and re.search(r'\(.+\)$', p['y_label']), '%s: units on both axes' % p['id'])
    check(all(s['name'] in p['legend'] for s in p['series']), '%s: legend %s' % (p['id'], p['legend']))
def role(pid, r, name=None):
    return [s for s in plots[pid]['series'] if s['role'] == r and (name is None or name in s['name'])]
for which, ref in (('before', before), ('after', after)):
    st = role('loudness', 'short_term', which)[0]['plotted_max']
    check(abs(st - ref['max_short_term_lufs']) <= 0.1, '%s: short-term max %.3f vs JSON %.3f' % (which, st, ref['max_short_term_lufs']))
    pk = role('envelope', 'peak', which)[0]['plotted_max']
    check(abs(pk - ref['sample_peak_dbfs']) <= 0.05, '%s: envelope peak %.3f vs %.3f' % (which, pk, ref['sample_peak_dbfs']))
gr = {g['name']: g['max_reduction_db'] for g in page['data']['gain_reduction']}
check(sorted(gr) == ['compressor #1', 'limiter #2'], 'gain reduction of %s' % sorted(gr))
for s in role('gain-reduction', 'gain_reduction'):
    check(abs(-s['plotted_min'] - gr[s['name']]) <= 0.05,
          '%s: deepest plotted reduction %.2f dB = recorded %.2f dB' % (s['name'], -s['plotted_min'], gr[s['name']]))
check(gr.get('compressor #1', 0) > 3 and gr.get('limiter #2', 0) > 0.5, 'both processors worked: %s' % gr)
check(abs(page['table']['integrated_lufs'][1] - after['integrated_lufs']) < 1e-3, 'after table = JSON')
check(abs(page['table']['integrated_lufs'][0] - before['integrated_lufs']) < 1e-3, 'before table = JSON')
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
EOF
    if [ $? -eq 0 ]; then ok "master page: before/after, gain reduction"; else bad "master page checks"; fi
    grep -q 'compressor{threshold = -30, ratio = 4, attack = 5, release = 150}' m.html &&
        ok "the recipe is listed with its parameters" || bad "recipe listing"
else
    bad "chromium could not open the master page: $(cat mp.json.err)"
fi

# several deliveries on one page: a section each, plot ids kept apart
if check_page two.html two.png two.json; then
    python3 - two.json <<'EOF' && ok "two deliveries: 10 plots with distinct ids, no errors" || bad "two deliveries page"
import json, sys
p = json.load(open(sys.argv[1]))
ids = [q['id'] for q in p['plots']]
ok = p['errors'] == [] and len(ids) == 10 and len(set(ids)) == 10 and len(p['data']['deliveries']) == 2
print(ids, p['errors'][:2]) if not ok else None
sys.exit(0 if ok else 1)
EOF
else
    bad "chromium could not open two.html: $(cat two.json.err)"
fi

# manifest: versions, hashes (sha256sum) and measurements
python3 - m.json m.jsonl "$("$MD" --version)" \
    "$(sha256sum tagged.wav | cut -d' ' -f1)" "$(sha256sum out.wav | cut -d' ' -f1)" \
    "$(sha256sum "$here/../report/master_fixture.lua" | cut -d' ' -f1)" <<'EOF' && ok "manifest: version, hashes, parameters, measurements" || bad "manifest"
import json, sys
m = json.load(open(sys.argv[1]))
after, before = [json.loads(l) for l in open(sys.argv[2])]
version, h_in, h_out, h_recipe = sys.argv[3].split()[-1], sys.argv[4], sys.argv[5], sys.argv[6]
problems = []
def want(cond, msg):
    if not cond: problems.append(msg)
want(m['schema'] == 'mixdown-manifest/1', 'schema')
want(m['mixdown_version'] == version, 'version %s vs %s' % (m['mixdown_version'], version))
want(m['recipe']['sha256'] == h_recipe, 'recipe hash')
want(m['inputs'][0]['sha256'] == h_in, 'input hash')
want(m['outputs'][0]['sha256'] == h_out, 'output hash (after the bext fields were filled)')
want(m['parameters'] == {'ratio': 4, 'threshold': -30}, 'parameters %s' % m['parameters'])
want(m['render']['seed'] == 1 and m['render']['dither'] == 'tpdf', 'dither seed')
want(len(m['chain']) == 4 and m['chain'][1].startswith('compressor{'), 'chain %s' % m['chain'])
for k in ('integrated_lufs', 'true_peak_dbtp', 'loudness_range_lu', 'max_short_term_lufs'):
    want(abs(m['inputs'][0]['measurements'][k] - before[k]) < 1e-3, 'before ' + k)
    want(abs(m['outputs'][0]['measurements'][k] - after[k]) < 1e-3, 'after ' + k)
want(m['inputs'][0]['measurements']['dc_offset'] is not None, 'dc_offset')
print(problems) if problems else None
sys.exit(1 if problems else 0)
EOF

# SHA-256 of awkward lengths (FIPS 180-4 padding edges) against sha256sum
bad_hash=0
while read -r h name; do
    case $name in
        abc) want=$(printf abc | sha256sum | cut -d' ' -f1) ;;
        empty) want=$(printf '' | sha256sum | cut -d' ' -f1) ;;
        *) want=$(sha256sum "$name" | cut -d' ' -f1) ;;
    esac
    [ "$h" = "$want" ] || { bad_hash=1; echo "  $name: $h, sha256sum $want"; }
done < hashes.txt
[ $bad_hash -eq 0 ] && [ "$(wc -l < hashes.txt)" -eq 14 ] && ok "fs.hash equals sha256sum on 14 inputs" || bad "fs.hash"

finish
