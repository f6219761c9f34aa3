/* test_gate.c - gate and expander static curves, hold, contract. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dyn_support.h"
#include "mixdown/md_dynamics.h"

#define FS 48000.0

/* The documented curves, coded again: gain change in dB for a peak level x. */
static double gate_curve(double x, double thr, double range)
{
    return x >= thr ? 0.0 : -range; /* steady levels: hysteresis only matters on the way down */
}

static double expander_curve(double x, int up, double thr, double ratio, double range)
{
    double g;
    if (!up) {
        g = x < thr ? (ratio - 1.0) * (x - thr) : 0.0;
        return g < -range ? -range : g;
    }
    g = x > thr ? (ratio - 1.0) * (x - thr) : 0.0;
    return g > range ? range : g;
}

/* Gain change (dB) on a steady 1 kHz sine of peak level `level`. */
static double steady_gain(const char *type, const char *const *kv, double level)
{
    unsigned n = (unsigned)FS, tail = 12000;
    dyn_audio in, out;
    dyn_audio_alloc(&in, 2, n, FS);
    dyn_audio_alloc(&out, 2, n, FS);
    for (unsigned c = 0; c < 2; c++)
        dyn_sine(in.ch[c], n, 1000.0, FS, pow(10.0, level / 20.0), c * 0.3);
    md_node *g = dyn_make(type, 2, FS, 512, 0, kv);
    dyn_run(g, &in, NULL, &out, 512);
    double got = dyn_db(dyn_rms(out.ch[0] + n - tail, tail) / dyn_rms(in.ch[0] + n - tail, tail));
    double meter = md_dyn_gain_reduction_db(g);
    cr_expect(fabs(meter + got) <= 0.2, "%s meter %.3f dB vs measured reduction %.3f", type,
              meter, -got);
    md_node_destroy(g);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
    return got;
}

Test(gate, static_curve_open_above_threshold_closed_below)
{
    const char *kv[] = {"threshold", "-40", "range", "80", "hysteresis", "3", "attack", "1",
                        "release", "20", "hold", "10", NULL};
    double worst = 0.0;
    for (int step = 0; step <= 20; step++) {
        double level = -60.0 + 3.0 * step;
        if (fabs(level - -40.0) < 1e-9)
            continue; /* exactly at the threshold: a sine's peak sits on the edge */
        double got = steady_gain("gate", kv, level), want = gate_curve(level, -40, 80);
        cr_expect(fabs(got - want) <= 0.2, "gate: %g dB in, gain %.3f dB, want %.1f", level, got,
                  want);
        worst = fmax(worst, fabs(got - want));
    }
    cr_log_info("gate static curve: largest error %.4f dB", worst);
}

static void expander_static(const char *mode, int up, double thr, double ratio, double range)
{
    char t[16], r[16], g[16];
    snprintf(t, sizeof t, "%g", thr);
    snprintf(r, sizeof r, "%g", ratio);
    snprintf(g, sizeof g, "%g", range);
    const char *kv[] = {"threshold", t, "ratio", r, "range", g, "mode", mode, "attack", "1",
                        "release", "50", NULL};
    double worst = 0.0;
    for (int step = 0; step <= 20; step++) {
        double level = -60.0 + 3.0 * step;
        double got = steady_gain("expander", kv, level);
        double want = expander_curve(level, up, thr, ratio, range);
        cr_expect(fabs(got - want) <= 0.2, "expander %s: %g dB in, gain %.3f dB, want %.3f",
                  mode, level, got, want);
        worst = fmax(worst, fabs(got - want));
    }
    cr_log_info("expander %s static curve: largest error %.4f dB", mode, worst);
}

Test(expander, static_curve_downward)
{
    expander_static("down", 0, -30.0, 2.0, 40.0);
}

Test(expander, static_curve_upward)
{
    expander_static("up", 1, -30.0, 1.5, 12.0);
}

/* Gain per sample of the gate on a DC burst over a quiet DC floor. */
static unsigned close_onset(const char *hold_ms)
{
    const char *kv[] = {"threshold", "-30", "range", "60", "hysteresis", "0", "attack", "0",
                        "release", "5", "hold", hold_ms, NULL};
    unsigned n = (unsigned)(0.6 * FS), on = 4800, off = 9600;
    dyn_audio in, out;
    dyn_audio_alloc(&in, 1, n, FS);
    dyn_audio_alloc(&out, 1, n, FS);
    for (unsigned i = 0; i < n; i++)
        in.ch[0][i] = (i >= on && i < off) ? 0.5f : 0.001f; /* -6 dB burst over -60 dB */
    md_node *g = dyn_make("gate", 1, FS, 256, 0, kv);
    dyn_run(g, &in, NULL, &out, 256);
    cr_expect(fabs(dyn_db(out.ch[0][off + 100] / in.ch[0][off + 100])) < 1e-4,
              "gate open just after the burst");
    unsigned i = off;
    while (i < n && dyn_db(out.ch[0][i] / in.ch[0][i]) > -0.1)
        i++;
    md_node_destroy(g);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
    return i - (off - 1); /* frames since the last loud sample */
}

Test(gate, hold_time_is_respected)
{
    /* the detector's 10 ms window falls 480 frames after the last loud sample;
     * the gate then holds `hold` ms before closing */
    static const double holds[] = {0, 20, 100};
    for (int k = 0; k < 3; k++) {
        char h[16];
        snprintf(h, sizeof h, "%g", holds[k]);
        unsigned got = close_onset(h);
        double ms = got / FS * 1000.0, want = 10.0 + holds[k];
        cr_log_info("hold %g ms: gate starts closing %.3f ms after the last loud sample",
                    holds[k], ms);
        cr_expect(ms >= want && ms <= want + 0.1,
                  "hold %g ms: closing began after %.3f ms, want %g", holds[k], ms, want);
    }
}

Test(gate, hysteresis_keeps_it_open_until_threshold_minus_hysteresis)
{
    /* opens on a -20 dB tone, then the tone drops to -42 dB: between -40 - 3
     * and -40 it stays open; at -46 dB it closes */
    const char *kv[] = {"threshold", "-40", "range", "80", "hysteresis", "3", "attack", "1",
                        "release", "20", "hold", "10", NULL};
    static const double lows[] = {-42.0, -46.0};
    static const double want[] = {0.0, -80.0};
    for (int k = 0; k < 2; k++) {
        unsigned n = (unsigned)FS, tail = 12000, half = n / 2;
        dyn_audio in, out;
        dyn_audio_alloc(&in, 1, n, FS);
        dyn_audio_alloc(&out, 1, n, FS);
        dyn_sine(in.ch[0], half, 1000.0, FS, 0.1, 0.0);
        dyn_sine(in.ch[0] + half, n - half, 1000.0, FS, pow(10.0, lows[k] / 20.0), 0.0);
        md_node *g = dyn_make("gate", 1, FS, 512, 0, kv);
        dyn_run(g, &in, NULL, &out, 512);
        double got =
            dyn_db(dyn_rms(out.ch[0] + n - tail, tail) / dyn_rms(in.ch[0] + n - tail, tail));
        cr_expect(fabs(got - want[k]) <= 0.2, "tone falls to %g dB: gain %.3f dB, want %g",
                  lows[k], got, want[k]);
        md_node_destroy(g);
        dyn_audio_free(&in);
        dyn_audio_free(&out);
    }
}

static void contract(const char *type, const char *const *kv)
{
    static const unsigned blocks[] = {1, 7, 64, 512};
    unsigned n = 3584 * 6;
    dyn_audio in, ref;
    dyn_audio_alloc(&in, 2, n, FS);
    dyn_audio_alloc(&ref, 2, n, FS);
    uint64_t seed = 5;
    for (unsigned i = 0; i < n; i++) {
        double env = (i / 1500) % 3 == 0 ? 0.6 : 0.003;
        in.ch[0][i] = (float)(env * (dyn_rand(&seed) - 0.5));
        in.ch[1][i] = (float)(env * sin(i * 0.07));
    }
    md_node *g = dyn_make(type, 2, FS, 512, 0, kv);
    dyn_run(g, &in, NULL, &ref, 512);
    for (int b = 0; b < 4; b++) {
        dyn_audio o;
        dyn_audio_alloc(&o, 2, n, FS);
        md_node_reset(g);
        dyn_run(g, &in, NULL, &o, blocks[b]);
        for (unsigned c = 0; c < 2; c++)
            cr_expect(memcmp(o.ch[c], ref.ch[c], sizeof(float) * n) == 0,
                      "%s: block %u (after reset) differs", type, blocks[b]);
        dyn_audio_free(&o);
    }
    cr_expect(md_node_latency(g) == 0 && md_node_tail(g) == 0);
    md_node_destroy(g);
    dyn_audio_free(&in);
    dyn_audio_free(&ref);
}

Test(gate, block_size_and_reset_independent)
{
    const char *kv[] = {"threshold", "-30", "hold", "5", NULL};
    contract("gate", kv);
}

Test(expander, block_size_and_reset_independent)
{
    const char *kv[] = {"threshold", "-30", "ratio", "3", NULL};
    contract("expander", kv);
    const char *up[] = {"threshold", "-20", "ratio", "2", "mode", "up", NULL};
    contract("expander", up);
}

Test(expander, parameters_are_validated)
{
    md_error err = {0};
    md_node *e = md_node_create(md_node_lookup("expander"), &err);
    cr_assert(e);
    cr_expect(md_node_set_number(e, "ratio", 0.5, &err) == MD_ERR_INVALID);
    cr_expect(strstr(err.msg, "expander: ratio must be >= 1") != NULL, "message: %s", err.msg);
    cr_expect(md_node_set_string(e, "mode", "sideways", &err) == MD_ERR_INVALID);
    cr_expect(strstr(err.msg, "down, up") != NULL, "message: %s", err.msg);
    md_node_destroy(e);
    md_node *g = md_node_create(md_node_lookup("gate"), &err);
    cr_expect(md_node_set_number(g, "range", -3, &err) == MD_ERR_INVALID);
    cr_expect(strstr(err.msg, "gate: range must be >= 0") != NULL, "message: %s", err.msg);
    md_node_destroy(g);
}
