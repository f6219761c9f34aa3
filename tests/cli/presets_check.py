#!/usr/bin/env python3
"""presets_check.py - measurements for test_presets.sh, independent of mixdown's
own DSP where it matters: long-term 1/3-octave spectra from SoX's DFT
(`sox FILE -n remix - stat -freq`), low-band correlation and ACX figures from
raw samples decoded by SoX, loudness from `mixdown analyze --json` (libebur128)
cross-checked against FFmpeg's ebur128 filter.

Usage: presets_check.py MIXDOWN COMMAND ARGS...
Prints "ok ..." / "FAIL ..." lines; exits with the number of failures (max 100).
"""
import array
import json
import math
import re
import subprocess
import sys

MD = sys.argv[1]
BANDS = [63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600,
         2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500]
failures = 0


def ok(msg):
    print("ok   " + msg)


def bad(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def check(cond, msg):
    (ok if cond else bad)(msg)


def analyze(paths):
    out = subprocess.run([MD, "analyze", "--json"] + list(paths), capture_output=True, text=True)
    res = {}
    for line in out.stdout.splitlines():
        d = json.loads(line)
        res[d["file"]] = d
    return res


def spectrum(path):
    """Long-term 1/3-octave band levels (dB), relative to their mean: the
    shape of the spectrum, independent of the level."""
    p = subprocess.run(["sox", path, "-n", "remix", "-", "stat", "-freq"], capture_output=True, text=True)
    acc = {}
    for line in p.stderr.splitlines():
        parts = line.split()
        if len(parts) != 2:
            continue
        try:
            f, v = float(parts[0]), float(parts[1])
        except ValueError:
            continue
        acc[f] = acc.get(f, 0.0) + v
    levels = []
    for fc in BANDS:
        lo, hi = fc * 2 ** (-1 / 6), fc * 2 ** (1 / 6)
        e = sum(v for f, v in acc.items() if lo <= f < hi)
        levels.append(10 * math.log10(max(e, 1e-30)))
    mean = sum(levels) / len(levels)
    return [l - mean for l in levels]


def tilt(spec):
    """Least-squares slope of the band levels against log2(frequency): dB/octave."""
    xs = [math.log2(f) for f in BANDS]
    mx, my = sum(xs) / len(xs), sum(spec) / len(spec)
    return sum((x - mx) * (y - my) for x, y in zip(xs, spec)) / sum((x - mx) ** 2 for x in xs)


def samples(path, *effects):
    raw = subprocess.run(["sox", path, "-t", "raw", "-e", "float", "-b", "32", "-"] + list(effects),
                         capture_output=True, check=True).stdout
    a = array.array("f")
    a.frombytes(raw)
    return a


def low_correlation(path, fc=120):
    """L/R correlation of the band below fc Hz: resampled to 2 kHz, then SoX's
    FIR low-pass with a 20 Hz transition band (at 44.1 kHz its default
    transition would reach past 200 Hz)."""
    a = samples(path, "rate", "2000", "sinc", "-%d" % fc, "-t", "20")
    l, r = a[0::2], a[1::2]
    sll = sum(x * x for x in l)
    srr = sum(x * x for x in r)
    slr = sum(x * y for x, y in zip(l, r))
    return slr / math.sqrt(sll * srr)


def acx(path):
    """ACX figures: RMS (dB, all samples), sample peak (dBFS), noise floor
    (the quietest 500 ms window's RMS)."""
    info = subprocess.run(["soxi", "-c", path], capture_output=True, text=True, check=True)
    ch = int(info.stdout.strip())
    rate = int(subprocess.run(["soxi", "-r", path], capture_output=True, text=True, check=True).stdout.strip())
    a = samples(path)
    rms = 10 * math.log10(sum(x * x for x in a) / len(a))
    peak = 20 * math.log10(max(abs(x) for x in a))
    w = rate // 2 * ch
    floor = min(10 * math.log10(max(1e-30, sum(x * x for x in a[i:i + w]) / w))
                for i in range(0, len(a) - w, w // 4))
    return rms, peak, floor


def ffmpeg_loudness(path):
    err = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", path, "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    tail = err[err.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", tail).group(1))
    tp = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", tail).group(1))
    return i, tp


def has_nan(path):
    """SoX's stat prints nan/inf when the decoded samples hold them."""
    err = subprocess.run(["sox", path, "-n", "stat"], capture_output=True, text=True).stderr.lower()
    return "nan" in err or "inf" in err


def load_json(path):
    with open(path) as f:
        return json.load(f)


# --- commands ------------------------------------------------------------------------

def cmd_delivery(info_dir, out_dir, material, names):
    """Every preset's master of `material`: no NaN, true peak under the
    ceiling, integrated loudness within 0.1 LU of the target (audiobook: the
    ACX figures)."""
    files = ["%s/%s_%s.wav" % (out_dir, material, n) for n in names]
    meas = analyze(files)
    for n, f in zip(names, files):
        info = load_json("%s/%s.json" % (info_dir, n))
        m = meas.get(f)
        if m is None:
            bad("%s/%s: no output to measure" % (material, n))
            continue
        check(m["nonfinite_samples"] == 0 and not has_nan(f), "%s/%s: no NaN or Inf" % (material, n))
        if info.get("platform") == "audiobook-acx":
            rms, peak, floor = acx(f)
            check(-23 <= rms <= -18 and peak <= -3.0 + 1e-3,
                  "%s/%s: ACX RMS %.2f dB in -23..-18, sample peak %.2f <= -3 dBFS" % (material, n, rms, peak))
            continue
        target = info["target"] if info.get("target") is not None else -14.0
        ceiling = info["ceiling"] if info.get("ceiling") is not None else -1.0
        check(m["true_peak_dbtp"] <= ceiling + 1e-3,
              "%s/%s: true peak %.2f dBTP <= ceiling %g" % (material, n, m["true_peak_dbtp"], ceiling))
        check(abs(m["integrated_lufs"] - target) <= 0.1,
              "%s/%s: integrated %.3f LUFS within 0.1 of %g" % (material, n, m["integrated_lufs"], target))


def cmd_ffmpeg(path, target, ceiling):
    i, tp = ffmpeg_loudness(path)
    target, ceiling = float(target), float(ceiling)
    # FFmpeg prints one decimal: allow its rounding on top of the 0.1 LU
    check(abs(i - target) <= 0.15, "ffmpeg ebur128: %s integrated %.1f LUFS, target %g" % (path, i, target))
    check(tp <= ceiling + 0.15, "ffmpeg ebur128: %s true peak %.1f dBTP, ceiling %g" % (path, tp, ceiling))


def cmd_intent(info_dir, out_dir, material, inp, names):
    """Each preset's stated intent (crest, tilt, LRA relative to the input)."""
    files = ["%s/%s_%s.wav" % (out_dir, material, n) for n in names]
    meas = analyze(files + [inp])
    a = meas[inp]
    t_in = tilt(spectrum(inp))
    for n, f in zip(names, files):
        intent = load_json("%s/%s.json" % (info_dir, n)).get("intent")
        if not intent:
            bad("%s: states no intent" % n)
            continue
        b = meas[f]
        figs = {
            "crest": b["crest_db"] - a["crest_db"],
            "tilt": tilt(spectrum(f)) - t_in,
            "lra": b["loudness_range_lu"] / a["loudness_range_lu"],
        }
        for k in ("crest", "tilt", "lra"):
            if k not in intent:
                bad("%s: intent has no %s" % (n, k))
                continue
            lo, hi = intent[k]
            check(lo <= figs[k] <= hi, "%s: %s %+.3f within its stated %g..%g" % (n, k, figs[k], lo, hi))


def cmd_pairs(out_dir, material, names):
    """Every pair of presets differs: 1/3-octave shape by >= 1 dB in some band,
    or crest factor by >= 1 dB."""
    files = {n: "%s/%s_%s.wav" % (out_dir, material, n) for n in names}
    meas = analyze(files.values())
    spec = {n: spectrum(f) for n, f in files.items()}
    worst = None
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            d = max(abs(x - y) for x, y in zip(spec[a], spec[b]))
            c = abs(meas[files[a]]["crest_db"] - meas[files[b]]["crest_db"])
            score = max(d, c)
            if worst is None or score < worst[0]:
                worst = (score, a, b, d, c)
            if score < 1.0:
                bad("%s vs %s: spectra differ by %.2f dB at most, crest by %.2f dB" % (a, b, d, c))
    ok("closest pair %s vs %s: %.2f dB (band) / %.2f dB (crest); every pair >= 1 dB unless listed" % worst[1:])


def cmd_intensity(out_dir, material, names):
    """Intensity 0 -> 0.5 -> 1 lowers the crest factor monotonically, by >= 2 dB."""
    files = []
    for n in names:
        files += ["%s/%s_%s_i%s.wav" % (out_dir, material, n, i) for i in ("0", "1")]
    files += ["%s/%s_%s.wav" % (out_dir, material, n) for n in names]
    meas = analyze(files)
    for n in names:
        c = [meas["%s/%s_%s_i0.wav" % (out_dir, material, n)]["crest_db"],
             meas["%s/%s_%s.wav" % (out_dir, material, n)]["crest_db"],
             meas["%s/%s_%s_i1.wav" % (out_dir, material, n)]["crest_db"]]
        check(c[0] > c[1] > c[2] and c[0] - c[2] >= 2.0,
              "%s: crest %.2f / %.2f / %.2f dB at intensity 0 / 0.5 / 1 (falls by %.2f)" % (n, c[0], c[1], c[2], c[0] - c[2]))


def cmd_lra(inp, out, ratio):
    m = analyze([inp, out])
    r = m[out]["loudness_range_lu"] / m[inp]["loudness_range_lu"]
    check(r >= float(ratio), "%s: loudness range %.2f LU, %.0f %% of the input's %.2f (>= %g %%)" % (
        out, m[out]["loudness_range_lu"], 100 * r, m[inp]["loudness_range_lu"], 100 * float(ratio)))


def cmd_lowcorr(inp, out):
    ci, co = low_correlation(inp), low_correlation(out)
    check(ci <= 0.5, "input below 120 Hz is wide: L/R correlation %.3f <= 0.5" % ci)
    check(co >= 0.99, "%s below 120 Hz is mono: L/R correlation %.4f >= 0.99" % (out, co))


def cmd_acx(path):
    rms, peak, floor = acx(path)
    check(-23 <= rms <= -18, "%s: ACX RMS %.2f dB within -23..-18" % (path, rms))
    check(peak <= -3.0 + 1e-3, "%s: ACX sample peak %.2f dBFS <= -3" % (path, peak))
    check(floor <= -60, "%s: ACX noise floor %.2f dBFS <= -60" % (path, floor))


def cmd_floor(path):
    print("info %s: noise floor %.2f dBFS" % (path, acx(path)[2]))


def cmd_loudness(path, target):
    m = analyze([path])[path]
    check(abs(m["integrated_lufs"] - float(target)) <= 0.1,
          "%s: integrated %.3f LUFS within 0.1 of %s" % (path, m["integrated_lufs"], target))


def cmd_album(tol, *pairs):
    """pairs: input output ...; the output loudness differences equal the
    input's within tol LU."""
    ins, outs = pairs[0::2], pairs[1::2]
    m = analyze(list(ins) + list(outs))
    li = [m[p]["integrated_lufs"] for p in ins]
    lo = [m[p]["integrated_lufs"] for p in outs]
    for k in range(1, len(ins)):
        di, do = li[k] - li[0], lo[k] - lo[0]
        check(abs(do - di) <= float(tol), "album: %s - %s: %.2f LU in, %.2f LU out (within %s)" % (
            outs[k], outs[0], di, do, tol))


def cmd_same(tol, *outs):
    """Without --album every track lands on the target: differences under tol."""
    m = analyze(list(outs))
    lo = [m[p]["integrated_lufs"] for p in outs]
    check(max(lo) - min(lo) <= float(tol), "per-track mastering: loudness spread %.3f LU <= %s" % (max(lo) - min(lo), tol))


def main():
    cmd, args = sys.argv[2], sys.argv[3:]
    fn = globals()["cmd_" + cmd]
    if cmd in ("delivery",):
        fn(args[0], args[1], args[2], args[3:])
    elif cmd == "intent":
        fn(args[0], args[1], args[2], args[3], args[4:])
    elif cmd in ("pairs", "intensity"):
        fn(args[0], args[1], args[2:])
    else:
        fn(*args)
    sys.exit(min(failures, 100))


if __name__ == "__main__":
    main()
