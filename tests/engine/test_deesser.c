/* test_deesser.c - deesser: a sibilant burst is turned down, a low tone is
 * left alone (split) or ducked with it (wide), the reduction never exceeds
 * range, the split-band depth matches Zolzer's peak-filter formula, and the
 * node contract (block sizes, reset, in-place, no allocation, tail). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "space_alloc.h"
#include "space_measure.h"
#include "ts_signal.h"

#define FS 44100.0
#define MAXF 4096u

/* 500 Hz at amp_low for 1.5 s, plus a burst at f_burst (amp_burst) from 0.5
 * to 1.0 s with 5 ms raised-cosine edges; stereo, the same in both channels. */
static float **make_signal(unsigned *frames, double amp_low, double f_burst, double amp_burst)
{
    unsigned L = (unsigned)(1.5 * FS), a = (unsigned)(0.5 * FS), b = (unsigned)(1.0 * FS);
    unsigned ramp = (unsigned)(0.005 * FS);
    float **x = sm_alloc(2, L);
    float *t = malloc(sizeof(float) * L);
    ts_sine(x[0], L, 500.0, FS, amp_low, 0.2);
    ts_sine(t, L, f_burst, FS, amp_burst, 0.9);
    for (unsigned i = a; i < b; i++) {
        double w = 1.0;
        if (i - a < ramp)
            w = 0.5 - 0.5 * cos(M_PI * (i - a) / ramp);
        if (b - i < ramp)
            w = 0.5 - 0.5 * cos(M_PI * (b - i) / ramp);
        x[0][i] += (float)(w * t[i]);
    }
    memcpy(x[1], x[0], sizeof(float) * L);
    free(t);
    *frames = L;
    return x;
}

static float **run_deesser(const char *const *kv, float **in, unsigned frames)
{
    md_node *n = sm_node("deesser", kv);
    sm_prepare(n, 2, FS, MAXF);
    float **out = sm_alloc(2, frames);
    sm_run(n, in, out, frames, 512);
    md_node_destroy(n);
    return out;
}

/* Level (dB) of the tone at f in x over the steady part of the burst
 * (0.6..0.95 s), or of the lone tone (0.05..0.45 s) when burst = 0. */
static double level(const float *x, double f, int burst)
{
    unsigned a = (unsigned)((burst ? 0.6 : 0.05) * FS), len = (unsigned)(0.35 * FS);
    return ts_tone_db(x + a, len, f, FS);
}

Test(deesser, split_turns_down_a_sibilant_burst_and_leaves_a_low_tone)
{
    unsigned L;
    float **in = make_signal(&L, 0.316, 7000.0, 0.316); /* both at -10 dBFS */
    const char *kv[] = {"mode", "split", "range", "12", NULL};
    float **out = run_deesser(kv, in, L);
    double red = level(in[0], 7000.0, 1) - level(out[0], 7000.0, 1);
    double low_burst = level(out[0], 500.0, 1) - level(in[0], 500.0, 1);
    double low_alone = level(out[0], 500.0, 0) - level(in[0], 500.0, 0);
    cr_log_info("split: 7 kHz reduced %.2f dB; 500 Hz moves %+.4f dB with the burst, %+.4f "
                "dB alone",
                red, low_burst, low_alone);
    cr_expect(red >= 6.0, "7 kHz burst reduced by only %.2f dB", red);
    cr_expect(red <= 12.0 + 0.05, "7 kHz burst reduced by %.2f dB, over range", red);
    cr_expect(fabs(low_burst) < 0.1, "500 Hz moved %.3f dB during the burst", low_burst);
    cr_expect(fabs(low_alone) < 0.1, "500 Hz moved %.3f dB alone", low_alone);
    /* before the burst nothing is above the threshold: bit-exact pass-through */
    unsigned pre = (unsigned)(0.49 * FS);
    cr_expect_eq(memcmp(in[0], out[0], pre * sizeof(float)), 0, "a quiet signal was changed");
    sm_free(in, 2);
    sm_free(out, 2);
}

Test(deesser, a_low_tone_alone_at_the_same_level_is_untouched)
{
    unsigned L;
    float **in = make_signal(&L, 0.316, 7000.0, 0.0);
    const char *kv[] = {NULL};
    float **out = run_deesser(kv, in, L);
    double d = ts_rms_db(out[0], L) - ts_rms_db(in[0], L);
    cr_expect(fabs(d) < 0.1, "500 Hz at -10 dBFS changed by %.3f dB", d);
    cr_expect_eq(memcmp(in[0], out[0], L * sizeof(float)), 0);
    sm_free(in, 2);
    sm_free(out, 2);
}

Test(deesser, wide_turns_down_everything_while_the_sibilant_lasts)
{
    unsigned L;
    float **in = make_signal(&L, 0.316, 7000.0, 0.316);
    const char *kv[] = {"mode", "wide", "range", "12", NULL};
    float **out = run_deesser(kv, in, L);
    double low_burst = level(in[0], 500.0, 1) - level(out[0], 500.0, 1);
    double sib = level(in[0], 7000.0, 1) - level(out[0], 7000.0, 1);
    double low_alone = level(out[0], 500.0, 0) - level(in[0], 500.0, 0);
    cr_log_info("wide: 500 Hz reduced %.2f dB during the burst (7 kHz %.2f dB), %+.4f dB "
                "before it",
                low_burst, sib, low_alone);
    cr_expect(low_burst >= 6.0, "wide mode reduced 500 Hz by only %.2f dB", low_burst);
    cr_expect(low_burst <= 12.05 && sib <= 12.05, "over range: %.2f / %.2f dB", low_burst, sib);
    cr_expect(fabs(sib - low_burst) < 0.1, "wide gain differs by frequency: %.2f vs %.2f", sib,
              low_burst);
    cr_expect(fabs(low_alone) < 0.1, "500 Hz moved %.3f dB without sibilance", low_alone);
    sm_free(in, 2);
    sm_free(out, 2);
}

Test(deesser, never_reduces_more_than_range)
{
    /* a loud burst far over the threshold, at several frequencies around
     * freq, in both modes; the largest short-term drop of any 10 ms window
     * stays within range */
    static const double freqs[] = {3000.0, 5000.0, 6500.0, 8000.0, 12000.0};
    static const char *const modes[] = {"split", "wide"};
    for (unsigned m = 0; m < 2; m++)
        for (unsigned k = 0; k < 5; k++) {
            unsigned L;
            float **in = make_signal(&L, 0.1, freqs[k], 0.9);
            const char *kv[] = {"mode", modes[m], "range", "6", "threshold", "-60", NULL};
            float **out = run_deesser(kv, in, L);
            double worst = 0.0;
            unsigned w = (unsigned)(0.01 * FS);
            for (unsigned i = 0; i + w <= L; i += w / 2) {
                double d = ts_rms_db(in[0] + i, w) - ts_rms_db(out[0] + i, w);
                if (d > worst)
                    worst = d;
            }
            double tone = level(in[0], freqs[k], 1) - level(out[0], freqs[k], 1);
            cr_log_info("%s, %.0f Hz burst: steady reduction %.3f dB, largest 10 ms drop %.3f dB",
                        modes[m], freqs[k], tone, worst);
            cr_expect(tone <= 6.0 + 0.02, "%s %.0f Hz: %.3f dB of reduction (range 6)", modes[m],
                      freqs[k], tone);
            cr_expect(worst <= 6.0 + 0.1, "%s %.0f Hz: a 10 ms window dropped %.3f dB", modes[m],
                      freqs[k], worst);
            sm_free(in, 2);
            sm_free(out, 2);
        }
}

Test(deesser, split_depth_follows_the_peak_filter_formula)
{
    /* far above the threshold the gain is g = 10^(-range/20); split mode is
     * H = 1 - (1 - g) Hbp with the RBJ band-pass (0 dB peak) at freq, q:
     * coded here again and evaluated at each tone */
    static const double freqs[] = {2000.0, 4500.0, 6500.0, 9000.0, 14000.0};
    const double f0 = 6500.0, q = 1.5, range = 10.0, g = pow(10.0, -range / 20.0);
    for (unsigned k = 0; k < 5; k++) {
        unsigned L;
        float **in = make_signal(&L, 0.0, freqs[k], 0.0);
        /* a steady tone only: 6.5 kHz keeps the detector over the threshold */
        float *t = malloc(sizeof(float) * L);
        ts_sine(t, L, f0, FS, 0.5, 0.0);
        ts_sine(in[0], L, freqs[k], FS, 0.05, 0.4);
        for (unsigned i = 0; i < L; i++)
            in[0][i] += freqs[k] == f0 ? 0.0f : t[i];
        memcpy(in[1], in[0], sizeof(float) * L);
        const char *kv[] = {"range", "10", "threshold", "-50", NULL};
        float **out = run_deesser(kv, in, L);
        double w = 2.0 * M_PI * freqs[k] / FS, w0 = 2.0 * M_PI * f0 / FS;
        double al = sin(w0) / (2.0 * q), a0 = 1.0 + al;
        /* Hbp(e^jw) = (al - al e^-2jw) / (a0 - 2 cos w0 e^-jw + (1 - al) e^-2jw) */
        double nr = al - al * cos(2 * w), ni = al * sin(2 * w);
        double dr = a0 - 2 * cos(w0) * cos(w) + (1 - al) * cos(2 * w),
               di = 2 * cos(w0) * sin(w) - (1 - al) * sin(2 * w);
        double den = dr * dr + di * di;
        double hr = (nr * dr + ni * di) / den, hi = (ni * dr - nr * di) / den;
        double want = 20.0 * log10(hypot(1.0 - (1.0 - g) * hr, -(1.0 - g) * hi));
        unsigned a = (unsigned)(0.3 * FS), len = (unsigned)(1.0 * FS);
        double got =
            ts_tone_db(out[0] + a, len, freqs[k], FS) - ts_tone_db(in[0] + a, len, freqs[k], FS);
        cr_log_info("%.0f Hz: %.3f dB (formula %.3f)", freqs[k], got, want);
        cr_expect(fabs(got - want) < 0.1, "%.0f Hz: %.3f dB, formula %.3f", freqs[k], got, want);
        cr_expect(got >= -range - 0.02, "%.0f Hz cut %.3f dB, over range", freqs[k], -got);
        free(t);
        sm_free(in, 2);
        sm_free(out, 2);
    }
}

Test(deesser, quiet_sibilance_below_threshold_passes)
{
    unsigned L;
    float **in = make_signal(&L, 0.1, 7000.0, 0.01); /* -40 dBFS burst, threshold -30 */
    const char *kv[] = {NULL};
    float **out = run_deesser(kv, in, L);
    cr_expect_eq(memcmp(in[0], out[0], L * sizeof(float)), 0);
    sm_free(in, 2);
    sm_free(out, 2);
}

static void render_changing(md_node *n, float **in, float **out, unsigned frames, unsigned block,
                            int *allocs)
{
    md_error e;
    unsigned change = 28672;
    sa_count_begin();
    sm_run(n, in, out, change, block);
    int a1 = sa_count_end();
    cr_assert_eq(md_node_set_number(n, "threshold", -40.0, &e), MD_OK);
    cr_assert_eq(md_node_set_number(n, "freq", 5000.0, &e), MD_OK);
    float *ip[2] = {in[0] + change, in[1] + change}, *op[2] = {out[0] + change, out[1] + change};
    sa_count_begin();
    sm_run(n, ip, op, frames - change, block);
    int a2 = sa_count_end();
    if (allocs)
        *allocs = a1 < 0 ? -1 : a1 + a2;
}

Test(deesser, block_size_independent_resettable_in_place_and_allocation_free)
{
    static const char *const modes[] = {"split", "wide"};
    unsigned frames = 2 * 28672;
    for (unsigned m = 0; m < 2; m++) {
        const char *kv[] = {"mode", modes[m], "threshold", "-35", NULL};
        float **in = sm_alloc(2, frames), **ref = sm_alloc(2, frames), **out = sm_alloc(2, frames);
        ts_noise(in[0], frames, 0.2, 21);
        ts_noise(in[1], frames, 0.1, 22);
        md_node *n = sm_node("deesser", kv);
        sm_prepare(n, 2, FS, MAXF);
        int allocs;
        render_changing(n, in, ref, frames, MAXF, &allocs);
        if (allocs >= 0)
            cr_expect_eq(allocs, 0, "process() allocated %d times", allocs);
        static const unsigned blocks[] = {1, 7, 64};
        for (unsigned b = 0; b < 3; b++) {
            md_node *x = sm_node("deesser", kv);
            sm_prepare(x, 2, FS, MAXF);
            render_changing(x, in, out, frames, blocks[b], NULL);
            for (unsigned c = 0; c < 2; c++)
                cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                             "%s: blocks of %u differ", modes[m], blocks[b]);
            md_node_destroy(x);
        }
        md_error e;
        md_node_set_number(n, "threshold", -35.0, &e);
        md_node_set_number(n, "freq", 6500.0, &e);
        md_node_reset(n);
        render_changing(n, in, out, frames, 64, NULL);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                         "%s: reset then rerun differs", modes[m]);
        md_node_destroy(n);
        n = sm_node("deesser", kv);
        sm_prepare(n, 2, FS, MAXF);
        for (unsigned c = 0; c < 2; c++)
            memcpy(out[c], in[c], frames * sizeof(float));
        render_changing(n, out, out, frames, 100, NULL);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                         "%s: in-place output differs", modes[m]);
        /* latency 0; after the tail, silence */
        cr_expect_eq(md_node_latency(n), 0u);
        unsigned tail = md_node_tail(n), noise = 8820, L = noise + tail + 10000;
        float **a = sm_alloc(2, L), **o = sm_alloc(2, L);
        ts_noise(a[0], noise, 0.5, 1);
        ts_noise(a[1], noise, 0.5, 2);
        md_node_reset(n);
        sm_run(n, a, o, L, 1024);
        double after = fmax(ts_peak_db(o[0] + noise + tail, L - noise - tail),
                            ts_peak_db(o[1] + noise + tail, L - noise - tail));
        cr_log_info("%s: tail %u frames, then %.1f dBFS", modes[m], tail, after);
        cr_expect(after < -120.0, "%s: %.1f dBFS after the tail", modes[m], after);
        sm_free(a, 2);
        sm_free(o, 2);
        md_node_destroy(n);
        sm_free(in, 2);
        sm_free(ref, 2);
        sm_free(out, 2);
    }
}

Test(deesser, refuses_bad_values_naming_the_parameter)
{
    md_error e;
    md_node *n = sm_node("deesser", NULL);
    cr_expect_neq(md_node_set_number(n, "range", -3, &e), MD_OK);
    cr_expect(strstr(e.msg, "range"), "%s", e.msg);
    cr_expect_neq(md_node_set_string(n, "mode", "narrow", &e), MD_OK);
    cr_expect(strstr(e.msg, "mode") && strstr(e.msg, "split"), "%s", e.msg);
    cr_expect_eq(md_node_set_number(n, "freq", 12000, &e), MD_OK);
    md_stream st = {22050.0, 2, MAXF};
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "deesser") && strstr(e.msg, "freq"), "%s", e.msg);
    md_node_destroy(n);
}
