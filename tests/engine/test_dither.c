/* test_dither.c - word-length reduction in the sink: TPDF error level,
 * linearity on a very quiet sine, seeds, and noise shaping. Files are
 * written through the sink node and read back with libsndfile. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <kiss_fftr.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io_util.h"

static char *dir;

static void setup(void) { dir = io_tmpdir(); }
static void teardown(void)
{
    io_rmtree(dir);
    free(dir);
}

TestSuite(dither, .init = setup, .fini = teardown);

/* Writes mono x at rate as 16-bit WAV with opts, returns the samples read
 * back as floats in units of full scale (exactly int16 / 32768). */
static double *write_read16(const char *name, const float *x, size_t n, double rate,
                            const char *opts)
{
    char *path = io_join(dir, name);
    float *ch[1] = {(float *)x};
    md_error e;
    char o[128];
    snprintf(o, sizeof o, "bits=16 %s", opts);
    cr_assert_eq(io_write(path, ch, 1, n, rate, o, 0, NULL, &e), MD_OK, "%s", e.msg);
    SF_INFO info;
    int32_t *d = io_read_int(path, &info);
    cr_assert_eq((size_t)info.frames, n);
    double *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(d[i] & 0xffff, 0, "16-bit words in the top bits");
        y[i] = (double)(d[i] >> 16) / 32768.0;
    }
    free(d);
    free(path);
    return y;
}

static float *sine(size_t n, double amp, double freq, double rate)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * M_PI * freq * (double)i / rate));
    return x;
}

/* Power spectrum of e (Hann window), n/2+1 bins; n even. */
static double *power_spectrum(const double *e, size_t n)
{
    kiss_fftr_cfg cfg = kiss_fftr_alloc((int)n, 0, NULL, NULL);
    cr_assert(cfg);
    float *in = malloc(n * sizeof *in);
    kiss_fft_cpx *out = malloc((n / 2 + 1) * sizeof *out);
    for (size_t i = 0; i < n; i++)
        in[i] = (float)(e[i] * (0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n)));
    kiss_fftr(cfg, in, out);
    double *p = malloc((n / 2 + 1) * sizeof *p);
    for (size_t k = 0; k <= n / 2; k++)
        p[k] = (double)out[k].r * out[k].r + (double)out[k].i * out[k].i;
    kiss_fftr_free(cfg);
    free(in);
    free(out);
    return p;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(dither, tpdf_error_at_16_bits_is_minus_96_3_dbfs)
{
    const size_t n = 96000;
    float *x = sine(n, 0.1, 997.0, 48000.0); /* -20 dBFS */
    double *y = write_read16("tpdf.wav", x, n, 48000.0, "dither=tpdf");
    double e2 = 0, ex = 0, xx = 0, emax = 0;
    for (size_t i = 0; i < n; i++) {
        double e = y[i] - x[i];
        e2 += e * e;
        ex += e * x[i];
        xx += (double)x[i] * x[i];
        emax = fmax(emax, fabs(e));
    }
    double rms_db = io_db(sqrt(e2 / n));
    /* rounding LSB^2/12 plus TPDF LSB^2/6 = LSB^2/4: RMS = LSB/2 = 2^-16 */
    double want = io_db(ldexp(1.0, -16));
    cr_log_info("TPDF 16-bit error %.2f dBFS (theory %.2f)", rms_db, want);
    cr_expect_float_eq(rms_db, -96.33, 0.5, "error %.2f dBFS", rms_db);
    cr_expect_float_eq(rms_db, want, 0.5);
    /* dither peak 1 LSB + rounding 0.5 LSB */
    cr_expect_leq(emax * 32768.0, 1.5 + 1e-9, "largest error %.3f LSB", emax * 32768.0);
    /* the error does not follow the signal */
    double rho = ex / sqrt(e2 * xx);
    cr_expect_leq(fabs(rho), 0.01, "error/signal correlation %.4f", rho);
    free(x);
    free(y);
}

/* Harmonics (2..10 kHz) of a dithered -80 dBFS 1 kHz sine against the noise
 * floor around each: returns the largest excess in dB. */
static double worst_harmonic_db(const char *opts, double *fund_db)
{
    const double rate = 48000.0, amp = 1e-4; /* -80 dBFS: 3.3 LSB at 16 bits */
    const size_t n = 72000, fade = 12000;     /* 1.5 s, 0.25 s raised-cosine fades */
    float *x = malloc(n * sizeof *x);
    double wg = 0, w = 0; /* the envelope's mean under the analysis window */
    for (size_t i = 0; i < n; i++) {
        double g = 1.0;
        if (i < fade)
            g = 0.5 - 0.5 * cos(M_PI * (double)i / fade);
        else if (i >= n - fade)
            g = 0.5 - 0.5 * cos(M_PI * (double)(n - 1 - i) / fade);
        x[i] = (float)(g * amp * sin(2.0 * M_PI * 1000.0 * (double)i / rate));
        double hann = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n);
        wg += hann * g;
        w += hann;
    }
    double *y = write_read16("quiet.wav", x, n, rate, opts);
    double *p = power_spectrum(y, n);
    const size_t per_khz = n / 48; /* bins per kHz: 1 kHz is bin 1500 */
    double worst = -1e9;
    for (int h = 2; h <= 10; h++) {
        size_t k0 = per_khz * (size_t)h;
        double tone = p[k0 - 1] + p[k0] + p[k0 + 1];
        double around[400];
        unsigned m = 0;
        for (size_t k = k0 - 200; k <= k0 + 200; k++)
            if (k + 5 < k0 || k > k0 + 5)
                around[m++] = p[k];
        qsort(around, m, sizeof around[0], cmp_double);
        /* 3 bins of noise: 3 x mean; the mean of exponential bins is
         * median / ln 2 (noise only, no harmonic: ratio ~0 dB) */
        double noise3 = 3.0 * around[m / 2] / log(2.0);
        double excess = 10.0 * log10((tone + 1e-300) / (noise3 + 1e-300));
        if (excess > worst)
            worst = excess;
    }
    /* the fundamental: Hann gain for a bin-centred tone is n/4 per side,
     * 1.5 x that in power over the three bins; the fades lower it by wg/w */
    double f = p[per_khz - 1] + p[per_khz] + p[per_khz + 1];
    *fund_db = 10.0 * log10(f / 1.5) - io_db((double)n / 4.0 * wg / w);
    free(x);
    free(y);
    free(p);
    return worst;
}

Test(dither, tpdf_leaves_no_harmonics_on_a_faded_minus_80_dbfs_sine)
{
    double fund;
    double worst = worst_harmonic_db("dither=tpdf", &fund);
    cr_log_info("tpdf: fundamental %.2f dBFS, worst harmonic %.1f dB re the noise around it",
                fund, worst);
    cr_expect_leq(worst, 6.0, "a harmonic stands %.1f dB above the noise", worst);
    /* the tone itself comes through at its level */
    cr_expect_float_eq(fund, -80.0, 0.5, "fundamental %.2f dBFS", fund);

    /* control: without dither the same signal has strong harmonics, so the
     * measurement above can fail */
    double worst_none = worst_harmonic_db("dither=none", &fund);
    cr_log_info("none: worst harmonic %.1f dB re the noise around it", worst_none);
    cr_expect_geq(worst_none, 20.0, "undithered harmonics %.1f dB", worst_none);
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    cr_assert(fa && fb);
    int same = 1, ca, cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        if (ca != cb)
            same = 0;
    } while (same && ca != EOF);
    fclose(fa);
    fclose(fb);
    return same;
}

Test(dither, same_seed_same_bytes_other_seed_other_bytes)
{
    const size_t n = 20000;
    float **x = io_planar(2, n);
    for (size_t i = 0; i < n; i++) {
        x[0][i] = (float)(0.3 * sin(0.05 * (double)i));
        x[1][i] = (float)(0.2 * sin(0.021 * (double)i));
    }
    const char *modes[] = {"tpdf", "shaped"};
    for (int m = 0; m < 2; m++) {
        char *a = io_join(dir, "a.wav"), *b = io_join(dir, "b.wav"), *c = io_join(dir, "c.wav");
        char oa[64], oc[64];
        md_error e;
        snprintf(oa, sizeof oa, "bits=16 dither=%s seed=7", modes[m]);
        snprintf(oc, sizeof oc, "bits=16 dither=%s seed=8", modes[m]);
        cr_assert_eq(io_write(a, x, 2, n, 44100, oa, 1000, NULL, &e), MD_OK, "%s", e.msg);
        /* other block sizes: the dither sequence does not depend on them */
        cr_assert_eq(io_write(b, x, 2, n, 44100, oa, 333, NULL, &e), MD_OK, "%s", e.msg);
        cr_assert_eq(io_write(c, x, 2, n, 44100, oc, 1000, NULL, &e), MD_OK, "%s", e.msg);
        cr_expect(same_file(a, b), "%s: seed 7 twice gives different bytes", modes[m]);
        cr_expect(!same_file(a, c), "%s: seeds 7 and 8 give the same bytes", modes[m]);
        free(a);
        free(b);
        free(c);
    }
    io_free_planar(x, 2);
}

Test(dither, silence_stays_silent)
{
    const size_t n = 10000;
    float *x = calloc(n, sizeof *x);
    /* a burst of music first: the shaping filter's memory must not leak
     * into the silence that follows */
    for (size_t i = 0; i < 2000; i++)
        x[i] = (float)(0.5 * sin(0.1 * (double)i));
    const char *modes[] = {"dither=tpdf", "dither=shaped", "dither=none"};
    for (int m = 0; m < 3; m++) {
        double *y = write_read16("silence.wav", x, n, 44100, modes[m]);
        for (size_t i = 2000; i < n; i++)
            cr_assert_eq(y[i], 0.0, "%s: sample %zu is %g", modes[m], i, y[i] * 32768);
        free(y);
    }
    free(x);
}

/* Fraction of the error power in bins at or above f_hz, and the error power
 * below 5 kHz, from the written file. */
static void error_spectrum(const char *opts, double rate, double *frac_above_10k,
                           double *below_5k, double *total)
{
    const size_t n = 1 << 17;
    float *x = sine(n, 0.1, 1000.0, rate);
    for (size_t i = 0; i < n; i++) /* a second tone, so the error is not periodic */
        x[i] += (float)(0.05 * sin(2.0 * M_PI * 4321.0 * (double)i / rate));
    double *y = write_read16("shaped.wav", x, n, rate, opts);
    for (size_t i = 0; i < n; i++)
        y[i] -= x[i];
    double *p = power_spectrum(y, n);
    double above = 0, below = 0, all = 0;
    for (size_t k = 1; k < n / 2; k++) {
        double f = (double)k * rate / (double)n;
        all += p[k];
        if (f >= 10000.0)
            above += p[k];
        if (f < 5000.0)
            below += p[k];
    }
    *frac_above_10k = above / all;
    *below_5k = below;
    *total = all;
    free(x);
    free(y);
    free(p);
}

Test(dither, shaped_noise_lies_mostly_above_10_khz)
{
    const double rate = 44100.0;
    double fs, bs, ts, ft, bt, tt;
    error_spectrum("dither=shaped", rate, &fs, &bs, &ts);
    error_spectrum("dither=tpdf", rate, &ft, &bt, &tt);
    /* theory (dither.c): NTF = 1 - 2 cos(w0) z^-1 + z^-2, w0 = 2 pi 3 kHz / fs;
     * |NTF|^2 = 4 (cos w - cos w0)^2, whose mean over 0..pi is 4 (1/2 + cos^2 w0) and
     * whose integral from 0 to w is 4 (w/2 + sin(2w)/4 - 2 c0 sin w + c0^2 w) */
    double c0 = cos(2.0 * M_PI * 3000.0 / rate);
    double gain = 4.0 * (0.5 + c0 * c0);
    double w10 = 2.0 * M_PI * 10000.0 / rate;
    double below10 = 4.0 * (w10 / 2 + sin(2 * w10) / 4 - 2 * c0 * sin(w10) + c0 * c0 * w10);
    double want_frac = 1.0 - below10 / (M_PI * gain);
    cr_log_info("shaped: %.1f %% of the error power above 10 kHz (theory %.1f %%), "
                "tpdf: %.1f %% (white: %.1f %%)",
                100 * fs, 100 * want_frac, 100 * ft, 100 * (1 - 10000.0 / (rate / 2)));
    cr_log_info("shaped/tpdf: total %+.2f dB (theory %+.2f), below 5 kHz %+.1f dB",
                10 * log10(ts / tt), 10 * log10(gain), 10 * log10(bs / bt));
    cr_expect_geq(fs, 0.9, "shaped: %.3f of the power above 10 kHz", fs);
    cr_expect_float_eq(fs, want_frac, 0.02);
    cr_expect_float_eq(ft, 1 - 10000.0 / (rate / 2), 0.02, "tpdf is white: %.3f", ft);
    cr_expect_float_eq(10 * log10(ts / tt), 10 * log10(gain), 0.5);
    cr_expect_leq(10 * log10(bs / bt), -10.0, "shaping lowers the noise below 5 kHz");
}

Test(dither, shaped_loop_recovers_after_clipping)
{
    const size_t n = 44100;
    float *x = sine(n, 0.1, 1000.0, 44100.0);
    for (size_t i = 0; i < 4410; i++) /* 0.1 s of a +-1.5 square wave */
        x[i] = (i / 50) % 2 ? 1.5f : -1.5f;
    double *y = write_read16("clip.wav", x, n, 44100.0, "dither=shaped");
    for (size_t i = 0; i < 4410; i++)
        cr_assert(y[i] == 32767.0 / 32768.0 || y[i] == -1.0, "clamped, not wrapped: %g",
                  y[i]);
    double e2 = 0;
    for (size_t i = n / 2; i < n; i++)
        e2 += (y[i] - x[i]) * (y[i] - x[i]);
    double db = io_db(sqrt(e2 / (n / 2)));
    /* LSB/2 white, times the NTF's power gain (+7.2 dB at 44.1 kHz) */
    double c0 = cos(2.0 * M_PI * 3000.0 / 44100.0);
    double want = io_db(ldexp(1.0, -16)) + 10 * log10(4.0 * (0.5 + c0 * c0));
    cr_expect_float_eq(db, want, 1.0, "error after clipping %.2f dBFS, want %.2f", db, want);
    free(x);
    free(y);
}
