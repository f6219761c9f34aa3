/* test_multiband.c - multiband: flat sum for 2..5 bands (IIR and linear
 * phase), band isolation, solo and bypass against the LR4 magnitude formula,
 * linear-phase latency, tail, validation, and the node contract. */
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

typedef struct band_cfg {
    double threshold, ratio, attack, release;
    int solo, bypass;
} band_cfg;

/* A multiband with nx crossovers at f[] and per-band settings (NULL: defaults). */
static md_node *make_mb(unsigned nx, const double *f, const band_cfg *bands, int linear)
{
    md_error e;
    md_node *n = sm_node("multiband", NULL);
    cr_assert_eq(md_node_set_list_count(n, "crossovers", nx, &e), MD_OK, "%s", e.msg);
    for (unsigned k = 0; k < nx; k++)
        cr_assert_eq(md_node_set_item_number(n, "crossovers", k, "freq", f[k], &e), MD_OK, "%s",
                     e.msg);
    if (bands) {
        cr_assert_eq(md_node_set_list_count(n, "bands", nx + 1, &e), MD_OK, "%s", e.msg);
        for (unsigned b = 0; b <= nx; b++) {
            md_node_set_item_number(n, "bands", b, "threshold", bands[b].threshold, &e);
            md_node_set_item_number(n, "bands", b, "ratio", bands[b].ratio, &e);
            md_node_set_item_number(n, "bands", b, "attack", bands[b].attack, &e);
            md_node_set_item_number(n, "bands", b, "release", bands[b].release, &e);
            md_node_set_item_string(n, "bands", b, "solo", bands[b].solo ? "true" : "false", &e);
            md_node_set_item_string(n, "bands", b, "bypass", bands[b].bypass ? "true" : "false",
                                    &e);
        }
    }
    md_node_set_string(n, "linear_phase", linear ? "true" : "false", &e);
    return n;
}

static const double xovers[4][4] = {
    {1000.0},
    {200.0, 2000.0},
    {120.0, 800.0, 5000.0},
    {80.0, 300.0, 1500.0, 7000.0},
};

/* Largest deviation (dB) of the magnitude response from 0 dB, 20 Hz..20 kHz,
 * from the FFT of the response to an impulse of 0.25 on both channels. */
static double flatness(md_node *n, unsigned *peak_at)
{
    const unsigned L = 65536;
    float **in = sm_alloc(2, L), **out = sm_alloc(2, L);
    in[0][0] = in[1][0] = 0.25f;
    sm_run(n, in, out, L, MAXF);
    double *mag = malloc(sizeof(double) * (L / 2 + 1));
    double worst = 0.0;
    for (unsigned c = 0; c < 2; c++) {
        sm_spectrum_db(out[c], L, L, mag);
        for (unsigned k = 1; k <= L / 2; k++) {
            double f = k * FS / L;
            if (f < 20.0 || f > 20000.0)
                continue;
            double dev = fabs(mag[k] - 20.0 * log10(0.25));
            if (dev > worst)
                worst = dev;
        }
    }
    if (peak_at) {
        unsigned at = 0;
        for (unsigned i = 0; i < L; i++)
            if (fabsf(out[0][i]) > fabsf(out[0][at]))
                at = i;
        *peak_at = at;
    }
    free(mag);
    sm_free(in, 2);
    sm_free(out, 2);
    return worst;
}

static void check_flat(int linear)
{
    band_cfg active[5];
    for (unsigned b = 0; b < 5; b++)
        active[b] = (band_cfg){-3.0, 4.0, 5.0, 100.0, 0, 0}; /* compressing, never reached */
    for (unsigned nx = 1; nx <= 4; nx++) {
        md_node *n = make_mb(nx, xovers[nx - 1], active, linear);
        sm_prepare(n, 2, FS, MAXF);
        double dev = flatness(n, NULL);
        cr_log_info("%s, %u bands: largest deviation %.5f dB (20 Hz..20 kHz)",
                    linear ? "linear phase" : "LR4", nx + 1, dev);
        cr_expect(dev < 0.01, "%u bands (%s): %.4f dB off flat", nx + 1,
                  linear ? "linear phase" : "LR4", dev);
        md_node_destroy(n);
    }
}

Test(multiband, lr4_bands_sum_flat_for_2_to_5_bands)
{
    check_flat(0);
}
Test(multiband, linear_phase_bands_sum_flat_for_2_to_5_bands)
{
    check_flat(1);
}

Test(multiband, defaults_give_three_flat_bands)
{
    md_node *n = sm_node("multiband", NULL);
    sm_prepare(n, 2, FS, MAXF);
    double dev = flatness(n, NULL);
    cr_expect(dev < 0.01, "default multiband: %.4f dB off flat", dev);
    md_node_destroy(n);
}

Test(multiband, linear_phase_latency_is_the_impulse_delay)
{
    for (unsigned nx = 1; nx <= 4; nx++) {
        md_node *n = make_mb(nx, xovers[nx - 1], NULL, 1);
        sm_prepare(n, 2, FS, MAXF);
        unsigned lat = md_node_latency(n), at = 0;
        flatness(n, &at);
        cr_log_info("linear phase, %u bands: latency %u frames (%.1f ms), impulse at %u", nx + 1,
                    lat, 1e3 * lat / FS, at);
        cr_expect_eq(at, lat, "%u bands: latency %u but the impulse comes out at %u", nx + 1, lat,
                     at);
        md_node_destroy(n);
    }
    md_node *n = make_mb(2, xovers[1], NULL, 0);
    sm_prepare(n, 2, FS, MAXF);
    cr_expect_eq(md_node_latency(n), 0u);
    md_node_destroy(n);
}

/* Level (dB) of a tone at f in channel 0 of out, over the last second. */
static double tone_db(float **out, unsigned frames, double f)
{
    unsigned len = (unsigned)FS;
    return ts_tone_db(out[0] + frames - len, len, f, FS);
}

/* Renders 80 Hz (-6 dB) + 1 kHz (-20 dB) + 8 kHz (-6 dB), 2.5 s, stereo. */
static float **render_tones(md_node *n, unsigned *frames)
{
    unsigned lat = md_node_latency(n);
    unsigned L = (unsigned)(2.5 * FS) + lat;
    float **in = sm_alloc(2, L), **out = sm_alloc(2, L);
    float *t = malloc(sizeof(float) * L);
    for (unsigned c = 0; c < 2; c++) {
        ts_sine(in[c], L, 80.0, FS, 0.5, 0.3);
        ts_sine(t, L, 1000.0, FS, 0.1, 1.1);
        for (unsigned i = 0; i < L; i++)
            in[c][i] += t[i];
        ts_sine(t, L, 8000.0, FS, 0.5, 0.7);
        for (unsigned i = 0; i < L; i++)
            in[c][i] += t[i];
    }
    sm_run(n, in, out, L, 1000);
    free(t);
    sm_free(in, 2);
    *frames = L;
    return out;
}

static const double iso_x[2] = {300.0, 3000.0};

/* Crossovers with the 1 kHz tone well inside band 2: LR4 skirts overlap (at
 * 1 kHz band 1 and band 3 still carry -56 dB each), and that overlap is all
 * a compressor in band 1 or 3 can take away from the tone. */
static const double wide_x[2] = {200.0, 5000.0};

static void check_isolation(int linear)
{
    band_cfg off[3], hard[3];
    for (unsigned b = 0; b < 3; b++)
        off[b] = hard[b] = (band_cfg){0.0, 1.0, 5.0, 100.0, 0, 0};
    hard[0] = hard[2] = (band_cfg){-30.0, 10.0, 1.0, 50.0, 0, 0};
    unsigned la, lb;
    md_node *a = make_mb(2, wide_x, off, linear), *b = make_mb(2, wide_x, hard, linear);
    sm_prepare(a, 2, FS, MAXF);
    sm_prepare(b, 2, FS, MAXF);
    float **oa = render_tones(a, &la), **ob = render_tones(b, &lb);
    double mid_a = tone_db(oa, la, 1000.0), mid_b = tone_db(ob, lb, 1000.0);
    double low_a = tone_db(oa, la, 80.0), low_b = tone_db(ob, lb, 80.0);
    double hi_a = tone_db(oa, la, 8000.0), hi_b = tone_db(ob, lb, 8000.0);
    cr_log_info("%s: 1 kHz %.3f -> %.3f dB; 80 Hz %.2f -> %.2f dB; 8 kHz %.2f -> %.2f dB",
                linear ? "linear phase" : "LR4", mid_a, mid_b, low_a, low_b, hi_a, hi_b);
    cr_expect(fabs(mid_b - mid_a) < 0.1, "1 kHz moved %.3f dB while bands 1 and 3 compress",
              mid_b - mid_a);
    cr_expect(low_a - low_b > 10.0, "band 1 did not compress: %.2f dB", low_a - low_b);
    cr_expect(hi_a - hi_b > 10.0, "band 3 did not compress: %.2f dB", hi_a - hi_b);
    /* with compression off the bands sum to an allpass: every tone passes
     * at its level (-6.02, -20, -6.02 dB) */
    cr_expect(fabs(mid_a - (-20.0)) < 0.01, "1 kHz %.3f dB", mid_a);
    cr_expect(fabs(low_a - 20.0 * log10(0.5)) < 0.01, "80 Hz %.3f dB", low_a);
    cr_expect(fabs(hi_a - 20.0 * log10(0.5)) < 0.01, "8 kHz %.3f dB", hi_a);
    sm_free(oa, 2);
    sm_free(ob, 2);
    md_node_destroy(a);
    md_node_destroy(b);
}

Test(multiband, compression_in_one_band_leaves_a_tone_in_another_alone)
{
    check_isolation(0);
    check_isolation(1);
}

/* LR4 magnitudes: IIR (bilinear transform: frequencies warped through tan)
 * and the linear-phase design (analog magnitudes sampled directly). */
static double lr4_lp(double f, double fc, int linear)
{
    double r = linear ? f / fc : tan(M_PI * f / FS) / tan(M_PI * fc / FS);
    return 1.0 / (1.0 + r * r * r * r);
}

static double band2_gain(double f, int linear)
{
    if (linear) /* band 2 = LP(f2) - LP(f1), zero phase */
        return lr4_lp(f, iso_x[1], 1) - lr4_lp(f, iso_x[0], 1);
    return (1.0 - lr4_lp(f, iso_x[0], 0)) * lr4_lp(f, iso_x[1], 0); /* |HP1| |LP2| */
}

static void check_solo(int linear)
{
    band_cfg s[3];
    for (unsigned b = 0; b < 3; b++)
        s[b] = (band_cfg){0.0, 1.0, 5.0, 100.0, 0, 0};
    s[1].solo = 1;
    md_node *n = make_mb(2, iso_x, s, linear);
    sm_prepare(n, 2, FS, MAXF);
    unsigned L;
    float **o = render_tones(n, &L);
    double mid = tone_db(o, L, 1000.0), low = tone_db(o, L, 80.0), hi = tone_db(o, L, 8000.0);
    double want_mid = -20.0 + 20.0 * log10(band2_gain(1000.0, linear));
    double want_low = -6.0 + 20.0 * log10(fabs(band2_gain(80.0, linear)));
    double want_hi = -6.0 + 20.0 * log10(fabs(band2_gain(8000.0, linear)));
    cr_log_info("%s solo band 2: 1 kHz %.3f (formula %.3f), 80 Hz %.2f (%.2f), 8 kHz %.2f "
                "(%.2f) dB",
                linear ? "linear phase" : "LR4", mid, want_mid, low, want_low, hi, want_hi);
    cr_expect(fabs(mid - want_mid) < 0.1, "soloed band 2 passes 1 kHz at %.3f dB, want %.3f", mid,
              want_mid);
    cr_expect(low < -35.0 && hi < -30.0, "other bands leak: 80 Hz %.1f dB, 8 kHz %.1f dB", low, hi);
    cr_expect(fabs(low - want_low) < 1.0 && fabs(hi - want_hi) < 1.0,
              "skirts: 80 Hz %.2f (formula %.2f), 8 kHz %.2f (formula %.2f)", low, want_low, hi,
              want_hi);
    sm_free(o, 2);
    md_node_destroy(n);
}

Test(multiband, solo_passes_only_that_band)
{
    check_solo(0);
    check_solo(1);
}

Test(multiband, bypass_passes_a_band_unprocessed)
{
    band_cfg s[3];
    for (unsigned b = 0; b < 3; b++)
        s[b] = (band_cfg){-40.0, 20.0, 1.0, 50.0, 0, 0};
    s[0].bypass = 1;
    s[1].ratio = 1.0; /* band 2 overlaps band 1 at 80 Hz by -46 dB: keep it still */
    md_node *n = make_mb(2, iso_x, s, 0);
    sm_prepare(n, 2, FS, MAXF);
    md_error e;
    md_node_set_item_number(n, "bands", 0, "gain", -12.0, &e); /* ignored when bypassed */
    unsigned L;
    float **o = render_tones(n, &L);
    double low = tone_db(o, L, 80.0), hi = tone_db(o, L, 8000.0);
    cr_log_info("bypassed band 1: 80 Hz %.3f dB; compressed band 3: 8 kHz %.2f dB", low, hi);
    cr_expect(fabs(low - 20.0 * log10(0.5)) < 0.01, "bypassed band: 80 Hz at %.3f dB", low);
    cr_expect(hi < -12.0, "band 3 should compress, 8 kHz at %.2f dB", hi);
    sm_free(o, 2);
    md_node_destroy(n);
}

Test(multiband, band_gain_and_makeup_scale_the_band)
{
    band_cfg s[3];
    for (unsigned b = 0; b < 3; b++)
        s[b] = (band_cfg){0.0, 1.0, 5.0, 100.0, 0, 0};
    md_node *n = make_mb(2, iso_x, s, 0);
    md_error e;
    md_node_set_item_number(n, "bands", 2, "gain", -9.0, &e);
    md_node_set_item_number(n, "bands", 2, "makeup", 3.0, &e);
    sm_prepare(n, 2, FS, MAXF);
    unsigned L;
    float **o = render_tones(n, &L);
    double hi = tone_db(o, L, 8000.0), mid = tone_db(o, L, 1000.0);
    /* 8 kHz reaches the sum through band 3 (x 10^(-6/20)) and band 2's skirt;
     * LR4 low and high outputs are in phase, so their magnitudes add */
    double lp = lr4_lp(8000.0, 3000.0, 0);
    double want = 20.0 * log10(0.5 * (pow(10.0, -6.0 / 20.0) * (1.0 - lp) + lp));
    cr_log_info("band 3 at -6 dB: 8 kHz %.3f dB (formula %.3f), 1 kHz %.3f dB", hi, want, mid);
    cr_expect(fabs(hi - want) < 0.02, "8 kHz at %.3f dB, want %.3f", hi, want);
    double lp1 = lr4_lp(1000.0, 3000.0, 0);
    double want_mid = -20.0 + 20.0 * log10(pow(10.0, -6.0 / 20.0) * (1.0 - lp1) + lp1);
    cr_expect(fabs(mid - want_mid) < 0.01, "1 kHz at %.3f dB, want %.3f", mid, want_mid);
    sm_free(o, 2);
    md_node_destroy(n);
}

static void check_tail(int linear)
{
    band_cfg s[4];
    for (unsigned b = 0; b < 4; b++)
        s[b] = (band_cfg){-20.0, 3.0, 5.0, 100.0, 0, 0};
    double f[3] = {40.0, 500.0, 6000.0};
    md_node *n = make_mb(3, f, s, linear);
    md_error e;
    md_node_set_item_number(n, "bands", 0, "makeup", 12.0, &e);
    sm_prepare(n, 2, FS, MAXF);
    unsigned lat = md_node_latency(n), tail = md_node_tail(n), noise = 8820;
    unsigned L = noise + lat + tail + 20000;
    float **in = sm_alloc(2, L), **out = sm_alloc(2, L);
    ts_noise(in[0], noise, 0.3, 1);
    ts_noise(in[1], noise, 0.3, 2);
    sm_run(n, in, out, L, MAXF);
    unsigned from = noise + lat + tail;
    double after = fmax(ts_peak_db(out[0] + from, L - from), ts_peak_db(out[1] + from, L - from));
    cr_log_info("%s: latency %u, tail %u frames; after them %.1f dBFS",
                linear ? "linear phase" : "LR4", lat, tail, after);
    cr_expect(after < -120.0, "%.1f dBFS after latency + tail", after);
    sm_free(in, 2);
    sm_free(out, 2);
    md_node_destroy(n);
}

Test(multiband, output_after_latency_and_tail_is_below_minus_120_dbfs)
{
    check_tail(0);
    check_tail(1);
}

Test(multiband, refuses_mismatched_or_unordered_lists_naming_them)
{
    md_error e;
    md_stream st = {FS, 2, MAXF};
    md_node *n = make_mb(2, iso_x, NULL, 0);
    md_node_set_list_count(n, "bands", 4, &e);
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "multiband") && strstr(e.msg, "bands") && strstr(e.msg, "crossovers"),
              "%s", e.msg);
    md_node_destroy(n);

    double bad[2] = {3000.0, 300.0};
    n = make_mb(2, bad, NULL, 0);
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "crossovers") && strstr(e.msg, "freq"), "%s", e.msg);
    md_node_destroy(n);

    double high[1] = {15000.0};
    n = make_mb(1, high, NULL, 0);
    md_stream low_rate = {32000.0, 2, MAXF};
    cr_expect_neq(md_node_prepare(n, &low_rate, &e), MD_OK);
    cr_expect(strstr(e.msg, "freq"), "%s", e.msg);
    md_node_destroy(n);

    n = sm_node("multiband", NULL);
    md_node_set_list_count(n, "bands", 1, &e);
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "bands"), "%s", e.msg);
    cr_expect_neq(md_node_set_list_count(n, "crossovers", 5, &e), MD_OK);
    cr_expect(strstr(e.msg, "crossovers"), "%s", e.msg);
    cr_expect_neq(md_node_set_list_count(n, "bands", 1, &e) == MD_OK &&
                      md_node_set_item_number(n, "bands", 0, "ratio", 0.5, &e) == MD_OK,
                  1);
    cr_expect(strstr(e.msg, "ratio"), "%s", e.msg);
    md_node_destroy(n);
}

/* Renders in blocks of `block` with a change of band 1's threshold at 28672. */
static void render_changing(md_node *n, float **in, float **out, unsigned frames, unsigned block,
                            int *allocs)
{
    md_error e;
    unsigned change = 28672;
    sa_count_begin();
    sm_run(n, in, out, change, block);
    int a1 = sa_count_end();
    cr_assert_eq(md_node_set_item_number(n, "bands", 0, "threshold", -30.0, &e), MD_OK);
    float *ip[2] = {in[0] + change, in[1] + change}, *op[2] = {out[0] + change, out[1] + change};
    sa_count_begin();
    sm_run(n, ip, op, frames - change, block);
    int a2 = sa_count_end();
    if (allocs)
        *allocs = a1 < 0 ? -1 : a1 + a2;
}

static void check_contract(int linear)
{
    unsigned frames = 2 * 28672;
    band_cfg s[4];
    for (unsigned b = 0; b < 4; b++)
        s[b] = (band_cfg){-20.0, 3.0, 2.0, 80.0, 0, 0};
    double f[3] = {150.0, 1200.0, 6000.0};
    float **in = sm_alloc(2, frames), **ref = sm_alloc(2, frames), **out = sm_alloc(2, frames);
    ts_noise(in[0], frames, 0.2, 8);
    ts_noise(in[1], frames, 0.2, 9);
    md_node *n = make_mb(3, f, s, linear);
    sm_prepare(n, 2, FS, MAXF);
    int allocs;
    render_changing(n, in, ref, frames, MAXF, &allocs);
    if (allocs >= 0)
        cr_expect_eq(allocs, 0, "process() allocated %d times", allocs);
    static const unsigned blocks[] = {1, 7, 64};
    for (unsigned b = 0; b < 3; b++) {
        md_node *m = make_mb(3, f, s, linear);
        sm_prepare(m, 2, FS, MAXF);
        render_changing(m, in, out, frames, blocks[b], NULL);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                         "%s: blocks of %u differ", linear ? "linear" : "LR4", blocks[b]);
        md_node_destroy(m);
    }
    md_error e;
    md_node_set_item_number(n, "bands", 0, "threshold", -20.0, &e);
    md_node_reset(n);
    render_changing(n, in, out, frames, 64, NULL);
    for (unsigned c = 0; c < 2; c++)
        cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                     "%s: reset then rerun differs", linear ? "linear" : "LR4");
    md_node_destroy(n);
    n = make_mb(3, f, s, linear);
    sm_prepare(n, 2, FS, MAXF);
    for (unsigned c = 0; c < 2; c++)
        memcpy(out[c], in[c], frames * sizeof(float));
    render_changing(n, out, out, frames, 333, NULL);
    for (unsigned c = 0; c < 2; c++)
        cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                     "%s: in-place output differs", linear ? "linear" : "LR4");
    md_node_destroy(n);
    sm_free(in, 2);
    sm_free(ref, 2);
    sm_free(out, 2);
}

Test(multiband, block_size_independent_resettable_in_place_and_allocation_free)
{
    check_contract(0);
    check_contract(1);
}

Test(multiband, mono_and_odd_channel_counts_work)
{
    /* channels run in pairs: a lone last channel must not be disturbed */
    for (unsigned ch = 1; ch <= 3; ch++) {
        md_node *n = make_mb(2, iso_x, NULL, 0);
        sm_prepare(n, ch, FS, MAXF);
        const unsigned L = 65536;
        float **in = sm_alloc(ch, L), **out = sm_alloc(ch, L);
        for (unsigned c = 0; c < ch; c++)
            in[c][0] = 0.25f;
        sm_run(n, in, out, L, MAXF);
        for (unsigned c = 1; c < ch; c++)
            cr_expect_eq(memcmp(out[0], out[c], L * sizeof(float)), 0, "%u ch: channel %u", ch, c);
        double *mag = malloc(sizeof(double) * (L / 2 + 1));
        sm_spectrum_db(out[ch - 1], L, L, mag);
        double worst = 0;
        for (unsigned k = 30; k < 30000; k++)
            worst = fmax(worst, fabs(mag[k] - 20.0 * log10(0.25)));
        cr_expect(worst < 0.01, "%u ch: %.4f dB off flat", ch, worst);
        free(mag);
        sm_free(in, ch);
        sm_free(out, ch);
        md_node_destroy(n);
    }
}
