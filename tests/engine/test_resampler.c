/* test_resampler.c - SpeexDSP resampling between 44.1, 48 and 96 kHz (all six
 * directions): passband flatness, aliases and images, the resample node's
 * latency and block independence, and the file source's output length.
 * Measured with quality 8 (figures printed with --verbose): passband within
 * 0.0002 dB up to 0.9 x the lower Nyquist, worst alias/image -100.5 dB for
 * tones 2 % or more beyond the Nyquist frequency. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "io/io.h"
#include "io_util.h"

static const double dirs[6][2] = {
    {44100, 48000}, {48000, 44100}, {48000, 96000},
    {96000, 48000}, {44100, 96000}, {96000, 44100},
};

/* Resamples a tone of amplitude amp at freq (0.25 s, mono) with the filter
 * delay skipped and the end flushed; returns the output (*out_frames). */
static float *resample_tone(double fi, double fo, double freq, double amp, size_t *out_frames)
{
    size_t n = (size_t)(fi / 4);
    float *x = malloc(n * sizeof *x);
    cr_assert(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * M_PI * freq * (double)i / fi));
    mdi_resampler *r = mdi_resampler_create(1, fi, fo, NULL);
    cr_assert(r);
    mdi_resampler_skip_latency(r);
    size_t want = (size_t)llround((double)n * fo / fi);
    float *y = calloc(want + 64, sizeof *y);
    cr_assert(y);
    unsigned used = (unsigned)n;
    const float *in[1] = {x};
    float *out[1] = {y};
    unsigned got = mdi_resampler_process(r, in, &used, out,
                                         mdi_resampler_max_out(r, (unsigned)n));
    cr_assert_eq(used, n, "all input consumed");
    cr_assert_leq(got, want);
    out[0] = y + got;
    mdi_resampler_flush(r, out, (unsigned)(want - got));
    mdi_resampler_destroy(r);
    free(x);
    *out_frames = want;
    return y;
}

/* Level in dB of the tone at freq in the steady middle of the output (the
 * first and last eighth hold the start and end transients). */
static double tone_level_db(double fi, double fo, double freq, double *resid_db)
{
    size_t m;
    float *y = resample_tone(fi, fo, freq, 0.5, &m);
    double resid;
    double amp = io_fit_tone(y + m / 8, m - m / 4, freq, fo, &resid);
    free(y);
    if (resid_db)
        *resid_db = io_db(resid / (0.5 / sqrt(2.0))); /* re the input tone's RMS */
    return io_db(amp / 0.5);
}

Test(resampler, passband_is_flat_to_0_9_of_the_lower_nyquist)
{
    for (int d = 0; d < 6; d++) {
        double fi = dirs[d][0], fo = dirs[d][1];
        double edge = 0.9 * fmin(fi, fo) / 2.0;
        double lo = 1e9, hi = -1e9;
        const double freqs[] = {20, 100, 440, 1000, 3000, 6000, 10000, 14000, 17000, 18500};
        for (int k = 0; k <= 10; k++) {
            double f = k < 10 ? freqs[k] : edge;
            if (f > edge)
                continue;
            double db = tone_level_db(fi, fo, f, NULL);
            lo = fmin(lo, db);
            hi = fmax(hi, db);
        }
        cr_log_info("%g -> %g Hz: passband %+.4f .. %+.4f dB up to %g Hz", fi, fo, lo, hi, edge);
        cr_expect_leq(hi - lo, 0.2, "%g -> %g: ripple %.4f dB", fi, fo, hi - lo);
        cr_expect_leq(fabs(lo), 0.2, "%g -> %g: level %.4f dB", fi, fo, lo);
        cr_expect_leq(fabs(hi), 0.2, "%g -> %g: level %.4f dB", fi, fo, hi);
    }
}

Test(resampler, aliases_are_below_minus_80_db_when_downsampling)
{
    for (int d = 0; d < 6; d++) {
        double fi = dirs[d][0], fo = dirs[d][1];
        if (fo > fi)
            continue;
        /* every tone the output cannot hold, from 2 % above its Nyquist to
         * 2 % below the input's; only aliases can come out */
        double worst = -1e9, worst_f = 0;
        for (double rel = 1.02; rel * fo / 2 <= 0.98 * fi / 2; rel += 0.037) {
            double f = rel * fo / 2;
            size_t m;
            float *y = resample_tone(fi, fo, f, 0.5, &m);
            double e = 0;
            for (size_t i = m / 8; i < m - m / 8; i++)
                e += (double)y[i] * y[i];
            free(y);
            double db = io_db(sqrt(e / (double)(m - m / 4)) / (0.5 / sqrt(2.0)));
            if (db > worst) {
                worst = db;
                worst_f = f;
            }
        }
        cr_log_info("%g -> %g Hz: worst alias %.1f dB (tone at %.0f Hz)", fi, fo, worst, worst_f);
        cr_expect_leq(worst, -80.0, "%g -> %g: alias %.1f dB at %.0f Hz", fi, fo, worst, worst_f);
    }
}

Test(resampler, images_are_below_minus_80_db_when_upsampling)
{
    for (int d = 0; d < 6; d++) {
        double fi = dirs[d][0], fo = dirs[d][1];
        if (fo < fi)
            continue;
        /* tones up to 2 % below the input Nyquist: their images lie above it;
         * what the fitted tone leaves is image (and rounding) energy */
        double worst = -1e9, worst_f = 0;
        for (double f = 50; f <= 0.98 * fi / 2; f += 0.037 * fi / 2) {
            double resid;
            double lvl = tone_level_db(fi, fo, f, &resid);
            if (f <= 0.9 * fi / 2)
                cr_expect_leq(fabs(lvl), 0.2, "%g -> %g: tone at %.0f Hz %.3f dB", fi, fo, f,
                              lvl);
            if (resid > worst) {
                worst = resid;
                worst_f = f;
            }
        }
        double f = 0.98 * fi / 2, resid;
        tone_level_db(fi, fo, f, &resid);
        if (resid > worst) {
            worst = resid;
            worst_f = f;
        }
        cr_log_info("%g -> %g Hz: worst image %.1f dB (tone at %.0f Hz)", fi, fo, worst, worst_f);
        cr_expect_leq(worst, -80.0, "%g -> %g: image %.1f dB at %.0f Hz", fi, fo, worst, worst_f);
    }
}

/* A node that resamples in_hz to out_hz, prepared for mono blocks of block frames. */
static md_node *resample_node(double in_hz, double out_hz, unsigned block)
{
    md_error e;
    md_error_clear(&e);
    md_node *n = md_node_create(md_node_lookup("resample"), &e);
    cr_assert(n, "%s", e.msg);
    cr_assert_eq(md_node_set_number(n, "rate", out_hz, &e), MD_OK, "%s", e.msg);
    md_stream in = {.rate_hz = in_hz, .channels = 1, .max_frames = block};
    cr_assert_eq(md_node_prepare(n, &in, &e), MD_OK, "%s", e.msg);
    cr_assert_eq(md_node_out(n)->rate_hz, out_hz);
    return n;
}

/* Feeds x (n frames) in blocks of block frames; returns the output frames
 * written to y (capacity cap). */
static size_t run_node(md_node *nd, const float *x, size_t n, unsigned block, float *y, size_t cap)
{
    size_t got = 0;
    unsigned max_out = md_node_out(nd)->max_frames;
    float *tmp = malloc(max_out * sizeof *tmp);
    cr_assert(tmp);
    for (size_t done = 0; done < n;) {
        unsigned k = n - done < block ? (unsigned)(n - done) : block;
        const float *in[1] = {x + done};
        float *out[1] = {tmp};
        unsigned w = md_node_type(nd)->process_var(nd, in, k, out, max_out);
        cr_assert_leq(w, max_out);
        cr_assert_leq(got + w, cap);
        memcpy(y + got, tmp, w * sizeof *y);
        got += w;
        done += k;
    }
    free(tmp);
    return got;
}

Test(resampler, node_latency_equals_the_delay_of_an_impulse)
{
    for (int d = 0; d < 6; d++) {
        double fi = dirs[d][0], fo = dirs[d][1];
        md_node *nd = resample_node(fi, fo, 512);
        unsigned lat = md_node_latency(nd);
        size_t n = 8192, t0 = 3000;
        float *x = calloc(n, sizeof *x);
        float *y = calloc(4 * n, sizeof *y);
        x[t0] = 1.0f;
        size_t m = run_node(nd, x, n, 512, y, 4 * n);
        /* peak of the band-limited impulse, refined by a parabola through
         * the three samples around it */
        size_t k = 0;
        for (size_t i = 1; i < m; i++)
            if (fabsf(y[i]) > fabsf(y[k]))
                k = i;
        cr_assert(k > 0 && k + 1 < m);
        double a = y[k - 1], b = y[k], c = y[k + 1];
        double peak = (double)k + 0.5 * (a - c) / (a - 2 * b + c);
        double delay = peak - (double)t0 * fo / fi;
        cr_log_info("%g -> %g Hz: latency() %u, measured delay %.2f frames", fi, fo, lat, delay);
        cr_expect_leq(fabs(delay - lat), 1.0, "%g -> %g: latency %u, impulse delayed %.2f", fi,
                      fo, lat, delay);
        md_node_destroy(nd);
        free(x);
        free(y);
    }
}

Test(resampler, node_output_does_not_depend_on_block_size)
{
    size_t n = 20000;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.5 * sin(0.01 * (double)i) + 0.2 * sin(1.3 * (double)i));
    for (int d = 0; d < 6; d++) {
        double fi = dirs[d][0], fo = dirs[d][1];
        const unsigned blocks[] = {2048, 1, 7, 64, 1000};
        float *ref = NULL;
        size_t ref_n = 0;
        for (int b = 0; b < 5; b++) {
            md_node *nd = resample_node(fi, fo, blocks[b]);
            float *y = calloc(3 * n, sizeof *y);
            size_t m = run_node(nd, x, n, blocks[b], y, 3 * n);
            /* every call consumed all its input: the total is fixed by the ratio */
            cr_expect_leq(fabs((double)m - (double)n * fo / fi), (double)md_node_latency(nd) + 2,
                          "%g -> %g block %u: %zu frames", fi, fo, blocks[b], m);
            if (!ref) {
                ref = y;
                ref_n = m;
            } else {
                cr_expect_eq(m, ref_n, "%g -> %g block %u: %zu frames, want %zu", fi, fo,
                             blocks[b], m, ref_n);
                cr_expect(memcmp(y, ref, (m < ref_n ? m : ref_n) * sizeof *y) == 0,
                          "%g -> %g block %u: output differs", fi, fo, blocks[b]);
                free(y);
            }
            md_node_destroy(nd);
        }
        free(ref);
    }
    free(x);
}

Test(resampler, node_reset_then_rerun_is_bit_identical)
{
    size_t n = 5000;
    float *x = malloc(n * sizeof *x), *y1 = calloc(2 * n, sizeof *y1), *y2 = calloc(2 * n, 4);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)sin(0.07 * (double)i);
    md_node *nd = resample_node(44100, 48000, 256);
    size_t m1 = run_node(nd, x, n, 256, y1, 2 * n);
    md_node_reset(nd);
    size_t m2 = run_node(nd, x, n, 256, y2, 2 * n);
    cr_expect_eq(m1, m2);
    cr_expect(memcmp(y1, y2, m1 * sizeof *y1) == 0);
    md_node_destroy(nd);
    free(x);
    free(y1);
    free(y2);
}

Test(resampler, node_passes_equal_rates_through)
{
    md_node *nd = resample_node(48000, 48000, 256);
    cr_expect_eq(md_node_latency(nd), 0);
    float x[300], y[300];
    for (int i = 0; i < 300; i++)
        x[i] = (float)i / 300.0f;
    size_t m = run_node(nd, x, 300, 256, y, 300);
    cr_expect_eq(m, 300);
    cr_expect(memcmp(x, y, sizeof x) == 0);
    md_node_destroy(nd);
}

Test(resampler, node_refuses_a_missing_or_fractional_rate)
{
    md_error e;
    md_error_clear(&e);
    md_node *n = md_node_create(md_node_lookup("resample"), &e);
    md_stream in = {.rate_hz = 44100, .channels = 2, .max_frames = 512};
    cr_expect_eq(md_node_prepare(n, &in, &e), MD_ERR_INVALID);
    cr_expect_str_eq(e.msg, "resample: rate is required");
    cr_assert_eq(md_node_set_number(n, "rate", 44100.5, &e), MD_OK);
    cr_expect_eq(md_node_prepare(n, &in, &e), MD_ERR_INVALID);
    cr_expect_str_eq(e.msg, "resample: rate must be a whole number of Hz, got 44100.5");
    cr_expect_eq(md_node_set_number(n, "rate", 10, &e), MD_ERR_INVALID);
    md_node_destroy(n);
}

/* The file source resampling to the graph rate: round(in x ratio) frames
 * (+-1), aligned with the input (no filter delay), full blocks until the end. */
Test(resampler, file_source_output_length_and_alignment)
{
    char *dir = io_tmpdir();
    const double rates[3] = {44100, 48000, 96000};
    const size_t n = 23457, t0 = 9000;
    for (int a = 0; a < 3; a++) {
        float **x = io_planar(2, n);
        x[0][t0] = 0.5f; /* an impulse on the left, a tone on the right */
        for (size_t i = 0; i < n; i++)
            x[1][i] = (float)(0.25 * sin(2 * M_PI * 1000.0 * (double)i / rates[a]));
        char name[32];
        snprintf(name, sizeof name, "in%d.wav", a);
        char *path = io_join(dir, name);
        md_error e;
        cr_assert_eq(io_write(path, x, 2, n, rates[a], "float=true", 0, NULL, &e), MD_OK, "%s",
                     e.msg);
        for (int b = 0; b < 3; b++) {
            if (a == b)
                continue;
            double ratio = rates[b] / rates[a];
            unsigned ch;
            size_t m;
            float **y = io_read_source(path, rates[b], 1000, &ch, &m, &e);
            cr_assert(y, "%s", e.msg);
            cr_expect_eq(ch, 2);
            double want = (double)n * ratio;
            cr_expect_leq(fabs((double)m - want), 1.0, "%g -> %g: %zu frames, want %.1f",
                          rates[a], rates[b], m, want);
            size_t k = 0;
            for (size_t i = 1; i < m; i++)
                if (fabsf(y[0][i]) > fabsf(y[0][k]))
                    k = i;
            cr_expect_leq(fabs((double)k - (double)t0 * ratio), 1.0,
                          "%g -> %g: impulse at %zu, want %.1f", rates[a], rates[b], k,
                          (double)t0 * ratio);
            /* the tone keeps its level and phase (0 at frame 0) */
            double resid;
            size_t s0 = m / 4, len = m / 2;
            double amp = io_fit_tone(y[1] + s0, len, 1000.0, rates[b], &resid);
            cr_expect_leq(fabs(io_db(amp / 0.25)), 0.01, "%g -> %g: tone %.3f dB", rates[a],
                          rates[b], io_db(amp / 0.25));
            double ph = 2 * M_PI * 1000.0 * (double)s0 / rates[b];
            double want0 = 0.25 * sin(ph);
            cr_expect_leq(fabs(y[1][s0] - want0), 1e-3, "%g -> %g: phase", rates[a], rates[b]);
            io_free_planar(y, ch);
        }
        io_free_planar(x, 2);
        free(path);
    }
    io_rmtree(dir);
    free(dir);
}
