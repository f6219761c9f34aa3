/* test_compressor.c - static curve, time constants, link, sidechain, makeup,
 * mix, mid/side, validation and the node contract, against formulas coded
 * again here. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dyn_support.h"
#include "mixdown/md_dynamics.h"

#define FS 48000.0

/* Giannoulis, Massberg & Reiss 2012, eq. 4: output level for input level x. */
static double curve(double x, double t, double r, double w)
{
    if (2.0 * (x - t) < -w)
        return x;
    if (2.0 * fabs(x - t) <= w)
        return x + (1.0 / r - 1.0) * (x - t + w / 2.0) * (x - t + w / 2.0) / (2.0 * w);
    return t + (x - t) / r;
}

/* Peak level (dB) of a steady sine from its rms over the last `tail` frames. */
static double sine_level(const float *x, unsigned frames, unsigned tail)
{
    return dyn_db(dyn_rms(x + frames - tail, tail) * sqrt(2.0));
}

static void static_curve(const char *detector, double det_offset)
{
    const char *kv[] = {"threshold", "-20", "ratio", "4", "knee", "6", "attack", "5",
                        "release", "50", "detector", detector, NULL};
    unsigned n = (unsigned)FS, tail = 12000;
    double worst = 0.0;
    for (int step = 0; step <= 20; step++) {
        double level = -60.0 + 3.0 * step;
        dyn_audio in, out;
        dyn_audio_alloc(&in, 1, n, FS);
        dyn_audio_alloc(&out, 1, n, FS);
        dyn_sine(in.ch[0], n, 1000.0, FS, pow(10.0, level / 20.0), 0.0);
        md_node *c = dyn_make("compressor", 1, FS, 512, 0, kv);
        dyn_run(c, &in, NULL, &out, 512);
        double got = sine_level(out.ch[0], n, tail);
        double det = level + det_offset;
        double want = level + (curve(det, -20.0, 4.0, 6.0) - det);
        cr_expect(fabs(got - want) <= 0.2, "%s: %g dB in: out %.3f dB, formula %.3f dB",
                  detector, level, got, want);
        worst = fmax(worst, fabs(got - want));
        md_node_destroy(c);
        dyn_audio_free(&in);
        dyn_audio_free(&out);
    }
    cr_log_info("static curve, %s detector: largest error %.4f dB", detector, worst);
}

Test(compressor, static_curve_peak_detector_matches_formula)
{
    static_curve("peak", 0.0);
}

Test(compressor, static_curve_rms_detector_reads_sine_3db_lower)
{
    static_curve("rms", -3.0103);
}

/* Gain in dB per sample for a DC input: exactly out / in. */
static void step_times(double attack_ms, double release_ms, double *t_att, double *t_rel)
{
    char a[32], r[32];
    snprintf(a, sizeof a, "%g", attack_ms);
    snprintf(r, sizeof r, "%g", release_ms);
    const char *kv[] = {"threshold", "-20", "ratio", "4", "knee", "0", "attack", a,
                        "release", r, NULL};
    unsigned s1 = (unsigned)(0.2 * FS), s2 = (unsigned)(1.2 * FS), n = (unsigned)(3.0 * FS);
    dyn_audio in, out;
    dyn_audio_alloc(&in, 1, n, FS);
    dyn_audio_alloc(&out, 1, n, FS);
    for (unsigned i = 0; i < n; i++)
        in.ch[0][i] = (i >= s1 && i < s2) ? 0.5f : 0.01f;
    md_node *c = dyn_make("compressor", 1, FS, 256, 0, kv);
    dyn_run(c, &in, NULL, &out, 256);
    double g_end = dyn_db(out.ch[0][s2 - 1] / in.ch[0][s2 - 1]);
    double want = curve(dyn_db(0.5), -20, 4, 0) - dyn_db(0.5);
    cr_expect(fabs(g_end - want) < 0.01, "settled reduction %.4f dB, want %.4f", g_end, want);
    unsigned i = s1;
    while (i < s2 && dyn_db(out.ch[0][i] / in.ch[0][i]) > (1.0 - exp(-1.0)) * g_end)
        i++;
    *t_att = (i - s1) / FS * 1000.0;
    i = s2;
    while (i < n && dyn_db(out.ch[0][i] / in.ch[0][i]) < exp(-1.0) * g_end)
        i++;
    *t_rel = (i - s2) / FS * 1000.0;
    md_node_destroy(c);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
}

Test(compressor, attack_and_release_are_time_constants)
{
    static const double cases[][2] = {{10, 100}, {1, 50}, {30, 400}};
    for (int k = 0; k < 3; k++) {
        double ta, tr;
        step_times(cases[k][0], cases[k][1], &ta, &tr);
        cr_log_info("attack %g ms -> %.3f ms, release %g ms -> %.3f ms", cases[k][0], ta,
                    cases[k][1], tr);
        cr_expect(fabs(ta - cases[k][0]) <= 0.1 * cases[k][0],
                  "attack %g ms: 63%% of the gain change after %.3f ms", cases[k][0], ta);
        cr_expect(fabs(tr - cases[k][1]) <= 0.1 * cases[k][1],
                  "release %g ms: 63%% of the gain change after %.3f ms", cases[k][1], tr);
    }
}

/* Stereo run; returns the gain (dB) of each channel over the last 0.25 s. */
static void stereo_gains(const char *link, double *gl, double *gr, float *meter)
{
    const char *kv[] = {"threshold", "-20", "ratio", "4", "knee", "0", "link", link, NULL};
    unsigned n = (unsigned)FS, tail = 12000;
    dyn_audio in, out;
    dyn_audio_alloc(&in, 2, n, FS);
    dyn_audio_alloc(&out, 2, n, FS);
    dyn_sine(in.ch[0], n, 1000.0, FS, 0.5, 0.0); /* -6 dB: over the threshold */
    dyn_sine(in.ch[1], n, 1000.0, FS, 0.01, 0.0); /* -40 dB: far under it */
    md_node *c = dyn_make("compressor", 2, FS, 512, 0, kv);
    dyn_run(c, &in, NULL, &out, 512);
    *gl = sine_level(out.ch[0], n, tail) - sine_level(in.ch[0], n, tail);
    *gr = sine_level(out.ch[1], n, tail) - sine_level(in.ch[1], n, tail);
    *meter = md_dyn_gain_reduction_db(c);
    md_node_destroy(c);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
}

Test(compressor, link_one_gives_both_channels_the_same_reduction)
{
    double gl, gr;
    float meter;
    stereo_gains("1", &gl, &gr, &meter);
    double want = curve(dyn_db(0.5), -20, 4, 0) - dyn_db(0.5);
    cr_expect(fabs(gl - want) <= 0.2, "left gain %.3f dB, formula %.3f", gl, want);
    cr_expect(fabs(gr - gl) <= 0.1, "link 1: right gain %.3f dB, left %.3f dB", gr, gl);
    cr_log_info("link 1: left %.4f dB, right %.4f dB, meter %.4f dB", gl, gr, meter);
    cr_expect(fabs(meter + gl) <= 0.2, "reported reduction %.3f dB, measured %.3f", meter, -gl);
}

Test(compressor, link_zero_leaves_the_quiet_channel_alone)
{
    double gl, gr;
    float meter;
    stereo_gains("0", &gl, &gr, &meter);
    cr_expect(fabs(gr) <= 0.01, "link 0: right gain %.4f dB", gr);
    cr_log_info("link 0: left %.4f dB, right %.5f dB", gl, gr);
    cr_expect(gl < -8.0, "link 0: left still compressed, %.3f dB", gl);
}

Test(compressor, sidechain_drives_the_reduction)
{
    /* main: stereo -30 dB tone (under the threshold alone); sidechain: mono,
     * silent for 1 s, then a -6 dB tone: the main signal is reduced by the
     * curve at the sidechain's level */
    const char *kv[] = {"threshold", "-20", "ratio", "4", "knee", "0", NULL};
    unsigned n = (unsigned)(2 * FS), half = (unsigned)FS, tail = 12000;
    dyn_audio in, sc, out;
    dyn_audio_alloc(&in, 2, n, FS);
    dyn_audio_alloc(&sc, 1, n, FS);
    dyn_audio_alloc(&out, 2, n, FS);
    for (unsigned c = 0; c < 2; c++)
        dyn_sine(in.ch[c], n, 1000.0, FS, 0.0316228, 0.0);
    dyn_sine(sc.ch[0] + half, n - half, 300.0, FS, 0.5, 0.0);
    md_node *c = dyn_make("compressor", 2, FS, 512, 1, kv);
    dyn_run(c, &in, &sc, &out, 512);
    double want = curve(dyn_db(0.5), -20, 4, 0) - dyn_db(0.5);
    for (unsigned ch = 0; ch < 2; ch++) {
        double g1 = dyn_db(dyn_rms(out.ch[ch] + half - tail, tail) /
                           dyn_rms(in.ch[ch] + half - tail, tail));
        double g2 = sine_level(out.ch[ch], n, tail) - sine_level(in.ch[ch], n, tail);
        cr_log_info("sidechain: silent %.5f dB, -6 dB tone %.4f dB (formula %.4f)", g1, g2, want);
        cr_expect(fabs(g1) <= 0.01, "silent sidechain: gain %.4f dB", g1);
        cr_expect(fabs(g2 - want) <= 0.2, "sidechain at -6 dB: gain %.3f dB, formula %.3f", g2,
                  want);
    }
    md_node_destroy(c);
    dyn_audio_free(&in);
    dyn_audio_free(&sc);
    dyn_audio_free(&out);
}

static double hpf_gain(const char *hpf)
{
    const char *kv[] = {"threshold", "-20", "ratio", "4", "knee", "0", "sidechain_hpf", hpf,
                        NULL};
    unsigned n = (unsigned)FS, tail = 12000;
    dyn_audio in, out;
    dyn_audio_alloc(&in, 1, n, FS);
    dyn_audio_alloc(&out, 1, n, FS);
    dyn_sine(in.ch[0], n, 50.0, FS, 0.5, 0.0); /* a -6 dB bass note */
    md_node *c = dyn_make("compressor", 1, FS, 512, 0, kv);
    dyn_run(c, &in, NULL, &out, 512);
    double g = sine_level(out.ch[0], n, tail) - sine_level(in.ch[0], n, tail);
    md_node_destroy(c);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
    return g;
}

Test(compressor, sidechain_hpf_keeps_bass_out_of_the_detector)
{
    /* 12 dB/oct at 500 Hz takes a 50 Hz tone down 40 dB: -46 dB, under -20 */
    double off = hpf_gain("0"), on = hpf_gain("500");
    cr_log_info("50 Hz at -6 dB: gain %.3f dB without hpf, %.5f dB with hpf 500 Hz", off, on);
    cr_expect(off < -8.0, "no hpf: 50 Hz at -6 dB is compressed, gain %.3f dB", off);
    cr_expect(fabs(on) <= 0.05, "hpf 500 Hz: gain %.4f dB", on);
}

Test(compressor, makeup_auto_brings_full_scale_back_to_full_scale)
{
    /* auto makeup = -(curve(0) - 0) = 15 dB for threshold -20, ratio 4 */
    const char *kv[] = {"threshold", "-20", "ratio", "4", "knee", "0", "makeup", "auto", NULL};
    static const double levels[] = {0.0, -30.0};
    static const double want[] = {0.0, -15.0};
    unsigned n = (unsigned)FS, tail = 12000;
    for (int k = 0; k < 2; k++) {
        dyn_audio in, out;
        dyn_audio_alloc(&in, 1, n, FS);
        dyn_audio_alloc(&out, 1, n, FS);
        dyn_sine(in.ch[0], n, 1000.0, FS, pow(10.0, levels[k] / 20.0), 0.0);
        md_node *c = dyn_make("compressor", 1, FS, 512, 0, kv);
        dyn_run(c, &in, NULL, &out, 512);
        double got = sine_level(out.ch[0], n, tail);
        cr_log_info("auto makeup: %g dB in -> %.4f dB out", levels[k], got);
        cr_expect(fabs(got - want[k]) <= 0.2, "auto makeup: %g dB in, %.3f dB out, want %g",
                  levels[k], got, want[k]);
        md_node_destroy(c);
        dyn_audio_free(&in);
        dyn_audio_free(&out);
    }
}

static void run_mix(const char *mix, dyn_audio *in, dyn_audio *out)
{
    const char *kv[] = {"threshold", "-30", "ratio", "8", "mix", mix, "lookahead", "2", NULL};
    dyn_audio_alloc(out, 1, in->frames, FS);
    md_node *c = dyn_make("compressor", 1, FS, 512, 0, kv);
    dyn_run(c, in, NULL, out, 512);
    md_node_destroy(c);
}

Test(compressor, mix_half_is_the_average_of_dry_and_wet)
{
    unsigned n = (unsigned)(0.5 * FS), lat = 96; /* 2 ms */
    dyn_audio in, wet, dry, half;
    dyn_audio_alloc(&in, 1, n, FS);
    uint64_t seed = 7;
    for (unsigned i = 0; i < n; i++)
        in.ch[0][i] = (float)(0.8 * (dyn_rand(&seed) - 0.5));
    run_mix("1", &in, &wet);
    run_mix("0", &in, &dry);
    run_mix("0.5", &in, &half);
    double err = 0.0, dry_err = 0.0, diff = 0.0;
    for (unsigned i = 0; i < n; i++) {
        double avg = 0.5 * ((double)wet.ch[0][i] + dry.ch[0][i]);
        err = fmax(err, fabs(half.ch[0][i] - avg));
        if (i >= lat)
            dry_err = fmax(dry_err, fabs(dry.ch[0][i] - in.ch[0][i - lat]));
        diff = fmax(diff, fabs(wet.ch[0][i] - dry.ch[0][i]));
    }
    cr_log_info("mix 0.5 vs (dry+wet)/2: %g; wet-dry %g", err, diff);
    cr_expect(err <= 1e-6, "mix 0.5 differs from (dry + wet)/2 by %g", err);
    cr_expect(dry_err == 0.0, "mix 0 is not the delayed input (%g)", dry_err);
    cr_expect(diff > 0.05, "wet and dry should differ (%g)", diff);
    dyn_audio_free(&in);
    dyn_audio_free(&wet);
    dyn_audio_free(&dry);
    dyn_audio_free(&half);
}

static double ms_change(const char *channel, float sign)
{
    const char *kv[] = {"threshold", "-30", "ratio", "10", "channel", channel, NULL};
    unsigned n = (unsigned)(0.5 * FS);
    dyn_audio in, out;
    dyn_audio_alloc(&in, 2, n, FS);
    dyn_audio_alloc(&out, 2, n, FS);
    dyn_sine(in.ch[0], n, 440.0, FS, 0.7, 0.0);
    for (unsigned i = 0; i < n; i++)
        in.ch[1][i] = sign * in.ch[0][i];
    md_node *c = dyn_make("compressor", 2, FS, 512, 0, kv);
    dyn_run(c, &in, NULL, &out, 512);
    double d = 0.0;
    for (unsigned ch = 0; ch < 2; ch++)
        for (unsigned i = 0; i < n; i++)
            d = fmax(d, fabs(out.ch[ch][i] - in.ch[ch][i]));
    md_node_destroy(c);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
    return d;
}

Test(compressor, mid_side_compresses_only_its_component)
{
    cr_expect(ms_change("mid", -1.0f) <= 1e-7, "channel mid on pure side changed it by %g",
              ms_change("mid", -1.0f));
    cr_expect(ms_change("side", 1.0f) <= 1e-7, "channel side on pure mid changed it by %g",
              ms_change("side", 1.0f));
    cr_expect(ms_change("mid", 1.0f) > 0.1, "channel mid on pure mid must compress");
    cr_expect(ms_change("side", -1.0f) > 0.1, "channel side on pure side must compress");
}

Test(compressor, parameters_are_validated_by_the_table)
{
    md_error err = {0};
    md_node *c = md_node_create(md_node_lookup("compressor"), &err);
    cr_assert(c);
    cr_expect(md_node_set_number(c, "ratio", 0.5, &err) == MD_ERR_INVALID);
    cr_expect(strstr(err.msg, "compressor: ratio must be >= 1") && strstr(err.msg, "got 0.5"),
              "message: %s", err.msg);
    cr_expect(md_node_set_number(c, "threshold", 3, &err) == MD_ERR_INVALID, "threshold 3");
    cr_expect(md_node_set_string(c, "detector", "peek", &err) == MD_ERR_INVALID);
    cr_expect(strstr(err.msg, "peak, rms") != NULL, "message: %s", err.msg);
    cr_expect(md_node_set_number(c, "link", 1.5, &err) == MD_ERR_INVALID, "link 1.5");
    cr_expect(md_node_set_number(c, "lookahead", 25, &err) == MD_ERR_INVALID, "lookahead 25");
    cr_expect(md_node_set_string(c, "makeup", "auto", &err) == MD_OK, "%s", err.msg);
    /* mid/side needs a stereo input */
    cr_expect(md_node_set_string(c, "channel", "mid", &err) == MD_OK);
    md_stream mono = {FS, 1, 256};
    cr_expect(md_node_prepare(c, &mono, &err) != MD_OK);
    cr_expect(strstr(err.msg, "compressor: channel mid needs 2 channels, got 1") != NULL,
              "message: %s", err.msg);
    md_node_destroy(c);
    cr_expect(isnan(md_dyn_gain_reduction_db(NULL)));
}

/* Runs the contract signal with the given block size; a threshold change at
 * frame `change` (a multiple of every block size). */
static void contract_run(unsigned block, dyn_audio *out, md_node **keep)
{
    const char *kv[] = {"threshold", "-24", "ratio", "3", "lookahead", "5", "detector", "rms",
                        "sidechain_hpf", "80", "link", "0.5", "makeup", "3", NULL};
    unsigned n = 3584 * 8, change = 3584 * 4;
    dyn_audio in;
    dyn_audio_alloc(&in, 2, n, FS);
    uint64_t seed = 99;
    for (unsigned i = 0; i < n; i++) {
        double env = (i / 2000) % 2 ? 0.9 : 0.05;
        in.ch[0][i] = (float)(env * (dyn_rand(&seed) - 0.5));
        in.ch[1][i] = (float)(0.3 * sin(i * 0.05));
    }
    dyn_audio_alloc(out, 2, n, FS);
    md_node *c = *keep ? *keep : dyn_make("compressor", 2, FS, 512, 0, kv);
    md_error err;
    dyn_audio a = in, b = in;
    a.frames = change;
    dyn_audio oa = *out;
    oa.frames = change;
    dyn_run(c, &a, NULL, &oa, block);
    cr_assert(md_node_set_number(c, "threshold", -30, &err) == MD_OK);
    for (unsigned ch = 0; ch < 2; ch++) {
        b.ch[ch] = in.ch[ch] + change;
        oa.ch[ch] = out->ch[ch] + change;
    }
    b.frames = n - change;
    oa.frames = n - change;
    dyn_run(c, &b, NULL, &oa, block);
    cr_assert(md_node_set_number(c, "threshold", -24, &err) == MD_OK);
    *keep = c;
    dyn_audio_free(&in);
}

Test(compressor, output_is_independent_of_block_size_and_reset)
{
    static const unsigned blocks[] = {1, 7, 64, 512};
    dyn_audio ref;
    md_node *c = NULL;
    contract_run(512, &ref, &c);
    for (int b = 0; b < 4; b++) {
        dyn_audio o;
        md_node *d = NULL;
        contract_run(blocks[b], &o, &d);
        for (unsigned ch = 0; ch < 2; ch++)
            cr_expect(memcmp(o.ch[ch], ref.ch[ch], sizeof(float) * o.frames) == 0,
                      "block %u differs", blocks[b]);
        md_node_destroy(d);
        dyn_audio_free(&o);
    }
    md_node_reset(c);
    dyn_audio again;
    contract_run(512, &again, &c);
    for (unsigned ch = 0; ch < 2; ch++)
        cr_expect(memcmp(again.ch[ch], ref.ch[ch], sizeof(float) * ref.frames) == 0,
                  "reset then rerun differs");
    md_node_destroy(c);
    dyn_audio_free(&ref);
    dyn_audio_free(&again);
}

Test(compressor, latency_is_the_lookahead_and_measured)
{
    const char *kv[] = {"lookahead", "5", NULL};
    md_node *c = dyn_make("compressor", 1, FS, 512, 0, kv);
    unsigned n = 2000;
    dyn_audio in, out;
    dyn_audio_alloc(&in, 1, n, FS);
    dyn_audio_alloc(&out, 1, n, FS);
    in.ch[0][100] = 0.01f; /* -40 dB: under the threshold, passes untouched */
    dyn_run(c, &in, NULL, &out, 64);
    unsigned at = 0;
    for (unsigned i = 0; i < n; i++)
        if (fabsf(out.ch[0][i]) > fabsf(out.ch[0][at]))
            at = i;
    cr_expect(md_node_latency(c) == 240, "latency %u, want 240", md_node_latency(c));
    cr_expect(at - 100 == md_node_latency(c), "impulse delayed by %u, latency() says %u",
              at - 100, md_node_latency(c));
    cr_expect(out.ch[0][at] == 0.01f, "impulse changed: %g", out.ch[0][at]);
    md_node_destroy(c);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
}
