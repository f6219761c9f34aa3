/* test_analyze.c - md_analyzer: levels against formulas coded again here,
 * loudness against libebur128 driven directly (another path through the
 * library: its own momentary/short-term windows and its list-mode gating),
 * edge cases (silence, one frame, mono, 6 channels, NaN) and error paths. */
#include "mixdown/md.h"
#include <criterion/criterion.h>
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000.0

/* ---------------------------------------------------------------- helpers */

typedef struct sig {
    unsigned channels;
    size_t frames;
    float *ch[8];
} sig;

static sig sig_new(unsigned channels, size_t frames)
{
    sig s = {channels, frames, {0}};
    for (unsigned c = 0; c < channels; c++) {
        s.ch[c] = calloc(frames ? frames : 1, sizeof(float));
        cr_assert_not_null(s.ch[c]);
    }
    return s;
}

static void sig_free(sig *s)
{
    for (unsigned c = 0; c < s->channels; c++)
        free(s->ch[c]);
}

static double urand(uint64_t *st) /* xorshift64*, [0, 1) */
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return (double)((*st * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void sine(float *x, size_t n, double freq, double peak)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(peak * sin(2.0 * M_PI * freq * (double)i / RATE));
}

/* programme-like material: white noise whose level jumps every 0.7 s
 * between -45 and -10 dBFS, plus a 220 Hz tone on channel 1 */
static sig programme(double seconds, uint64_t seed)
{
    sig s = sig_new(2, (size_t)(seconds * RATE));
    uint64_t st = seed;
    double g = 0.1;
    for (size_t i = 0; i < s.frames; i++) {
        if (i % 33600 == 0)
            g = pow(10.0, (-45.0 + 35.0 * urand(&st)) / 20.0);
        double n0 = 2.0 * urand(&st) - 1.0, n1 = 2.0 * urand(&st) - 1.0;
        s.ch[0][i] = (float)(g * n0);
        s.ch[1][i] =
            (float)(g * (0.5 * n1 + 0.3 * n0) + 0.02 * sin(2.0 * M_PI * 220.0 * (double)i / RATE));
    }
    return s;
}

static md_analysis measure_flags(const sig *s, const int *map, unsigned block, unsigned flags)
{
    md_error err = {0};
    md_analyzer *a = md_analyzer_create(RATE, s->channels, map, flags, &err);
    cr_assert_not_null(a, "create: %s", err.msg);
    const float *p[8];
    for (size_t done = 0; done < s->frames;) {
        unsigned n = s->frames - done < block ? (unsigned)(s->frames - done) : block;
        for (unsigned c = 0; c < s->channels; c++)
            p[c] = s->ch[c] + done;
        cr_assert_eq(md_analyzer_add(a, p, n, &err), MD_OK, "%s", err.msg);
        done += n;
    }
    md_analysis r;
    cr_assert_eq(md_analyzer_result(a, &r), MD_OK);
    md_analyzer_destroy(a);
    return r;
}

static md_analysis measure(const sig *s, const int *map)
{
    return measure_flags(s, map, 1024, 0);
}

static double db20(double x)
{
    return 20.0 * log10(x);
}

/* ---------------------------------------------------------------- silence and size */

Test(analyze, silence_gives_nan_loudness_levels_and_correlation)
{
    sig s = sig_new(2, 10 * (size_t)RATE);
    md_analysis r = measure(&s, NULL);
    cr_assert_eq(r.frames, 10 * (uint64_t)RATE);
    cr_assert_float_eq(r.duration_s, 10.0, 1e-12);
    cr_assert(isnan(r.integrated_lufs), "integrated %g", r.integrated_lufs);
    cr_assert(isnan(r.loudness_range_lu), "lra %g", r.loudness_range_lu);
    cr_assert(isnan(r.max_momentary_lufs) && isnan(r.max_short_term_lufs));
    cr_assert(isnan(r.true_peak_dbtp) && isnan(r.true_peak_ch_dbtp[0]));
    cr_assert(isnan(r.sample_peak_dbfs) && isnan(r.rms_dbfs) && isnan(r.crest_db));
    cr_assert(isnan(r.correlation), "correlation %g", r.correlation);
    cr_assert(isnan(r.balance_db));
    cr_assert_eq(r.dc_offset, 0.0);
    cr_assert_eq(r.clipped_samples, 0);
    cr_assert_eq(r.nonfinite_samples, 0);
    sig_free(&s);
}

Test(analyze, empty_stream_is_all_undefined)
{
    md_analyzer *a = md_analyzer_create(RATE, 2, NULL, 0, NULL);
    md_analysis r;
    cr_assert_eq(md_analyzer_result(a, &r), MD_OK);
    cr_assert_eq(r.frames, 0);
    cr_assert(isnan(r.integrated_lufs) && isnan(r.sample_peak_dbfs) && isnan(r.dc_offset));
    md_analyzer_destroy(a);
}

Test(analyze, one_frame)
{
    sig s = sig_new(2, 1);
    s.ch[0][0] = 0.5f;
    s.ch[1][0] = -0.25f;
    md_analysis r = measure(&s, NULL);
    cr_assert_eq(r.frames, 1);
    cr_assert_float_eq(r.duration_s, 1.0 / RATE, 1e-15);
    cr_assert(isnan(r.integrated_lufs), "no 400 ms block: %g", r.integrated_lufs);
    cr_assert(isnan(r.loudness_range_lu));
    cr_assert_float_eq(r.sample_peak_dbfs, db20(0.5), 1e-6);
    cr_assert_float_eq(r.rms_dbfs, 10.0 * log10((0.25 + 0.0625) / 2.0), 1e-6);
    cr_assert_float_eq(r.dc_offset, 0.5, 1e-9);
    cr_assert(isnan(r.correlation), "one frame has no variance");
    sig_free(&s);
}

/* ---------------------------------------------------------------- levels */

Test(analyze, sine_rms_and_crest)
{
    sig s = sig_new(2, 5 * (size_t)RATE);
    sine(s.ch[0], s.frames, 1000.0, 0.5);
    sine(s.ch[1], s.frames, 1000.0, 0.5);
    md_analysis r = measure(&s, NULL);
    /* RMS of a sine of peak A is A / sqrt(2) */
    cr_assert_float_eq(r.rms_dbfs, db20(0.5 / sqrt(2.0)), 0.001, "rms %.4f", r.rms_dbfs);
    cr_assert_float_eq(r.crest_db, 10.0 * log10(2.0), 0.01, "crest %.4f", r.crest_db);
    cr_assert_float_eq(r.sample_peak_dbfs, db20(0.5), 0.001);
    printf("figure: sine crest %.4f dB rms %.4f dBFS\n", r.crest_db, r.rms_dbfs);
    sig_free(&s);
}

Test(analyze, dc_offset_is_largest_abs_mean)
{
    sig s = sig_new(2, 2 * (size_t)RATE);
    for (size_t i = 0; i < s.frames; i++) {
        s.ch[0][i] = 0.1f;
        s.ch[1][i] = 0.05f;
    }
    md_analysis r = measure(&s, NULL);
    cr_assert_float_eq(r.dc_offset, 0.1, 1e-7, "dc %.9f", r.dc_offset);
    cr_assert(isnan(r.correlation), "DC only: no variance");

    /* a sine around -0.2 in one channel: its mean is -0.2, |mean| wins */
    sine(s.ch[1], s.frames, 1000.0, 0.3);
    for (size_t i = 0; i < s.frames; i++)
        s.ch[1][i] -= 0.2f;
    r = measure(&s, NULL);
    cr_assert_float_eq(r.dc_offset, 0.2, 1e-6, "dc %.9f", r.dc_offset);
    sig_free(&s);
}

Test(analyze, clipped_counts_runs_of_two_or_more)
{
    const float fs = 1.0f, edge = (float)(1.0 - 1.0 / 32768.0), below = 0.99995f;
    sig s = sig_new(1, 200);
    size_t k = 10;
    s.ch[0][k] = fs; /* lone +FS: 0 */
    k += 5;
    s.ch[0][k] = -fs; /* lone -FS: 0 */
    k += 5;
    for (int i = 0; i < 3; i++) /* run of 3: 3 */
        s.ch[0][k++] = fs;
    k += 5;
    s.ch[0][k++] = -edge; /* run of 2 at exactly the threshold: 2 */
    s.ch[0][k++] = -edge;
    k += 5;
    for (int i = 0; i < 4; i++) /* just under the threshold: 0 */
        s.ch[0][k++] = below;
    k += 5;
    for (int i = 0; i < 4; i++) /* +FS -FS +FS -FS: sign flips, not a flat top: 0 */
        s.ch[0][k++] = i % 2 ? -fs : fs;
    k += 5;
    s.ch[0][k++] = fs; /* FS NaN FS: the NaN breaks the run: 0 */
    s.ch[0][k++] = NAN;
    s.ch[0][k++] = fs;
    k += 5;
    for (int i = 0; i < 5; i++) /* 1.5 (float file over full scale): 5 */
        s.ch[0][k++] = 1.5f;
    for (unsigned block = 1; block <= 1024; block *= 4) {
        md_analysis r = measure_flags(&s, NULL, block, 0);
        cr_assert_eq(r.clipped_samples, 10, "block %u: %llu clipped", block,
                     (unsigned long long)r.clipped_samples);
        cr_assert_eq(r.nonfinite_samples, 1);
    }
    sig_free(&s);
}

Test(analyze, nonfinite_counted_and_left_out)
{
    sig s = sig_new(2, 10 * (size_t)RATE), ref = sig_new(2, 10 * (size_t)RATE);
    for (unsigned c = 0; c < 2; c++) {
        sine(s.ch[c], s.frames, 1000.0, 0.25);
        sine(ref.ch[c], s.frames, 1000.0, 0.25);
    }
    s.ch[0][1000] = NAN;
    s.ch[1][50000] = INFINITY;
    s.ch[0][90000] = -INFINITY;
    ref.ch[0][1000] = ref.ch[1][50000] = ref.ch[0][90000] = 0.0f; /* what libebur128 is fed */
    md_analysis r = measure(&s, NULL), w = measure(&ref, NULL);
    cr_assert_eq(r.nonfinite_samples, 3);
    cr_assert_float_eq(r.sample_peak_dbfs, db20(0.25), 0.001);
    cr_assert_float_eq(r.rms_dbfs, db20(0.25 / sqrt(2.0)), 0.001, "NaN left out of RMS");
    cr_assert_float_eq(r.integrated_lufs, w.integrated_lufs, 1e-9, "NaN measured as 0");
    cr_assert_float_eq(r.true_peak_dbtp, w.true_peak_dbtp, 1e-9);
    cr_assert_float_eq(r.correlation, 1.0, 1e-6);
    sig_free(&s);
    sig_free(&ref);
}

Test(analyze, correlation_and_balance)
{
    sig s = sig_new(2, 5 * (size_t)RATE);
    uint64_t st = 7;
    for (size_t i = 0; i < s.frames; i++)
        s.ch[0][i] = s.ch[1][i] = (float)(0.3 * (2.0 * urand(&st) - 1.0));
    md_analysis r = measure(&s, NULL);
    cr_assert_float_eq(r.correlation, 1.0, 1e-9, "L = R: %.12f", r.correlation);
    cr_assert_float_eq(r.balance_db, 0.0, 1e-9);

    for (size_t i = 0; i < s.frames; i++)
        s.ch[1][i] = -s.ch[0][i];
    r = measure(&s, NULL);
    cr_assert_float_eq(r.correlation, -1.0, 1e-9, "L = -R: %.12f", r.correlation);

    for (size_t i = 0; i < s.frames; i++) /* independent noise, right 6.02 dB lower */
        s.ch[1][i] = (float)(0.15 * (2.0 * urand(&st) - 1.0));
    r = measure(&s, NULL);
    cr_assert_lt(fabs(r.correlation), 0.01, "independent: %.4f", r.correlation);
    cr_assert_float_eq(r.balance_db, db20(2.0), 0.05, "balance %.3f", r.balance_db);

    memset(s.ch[1], 0, s.frames * sizeof(float));
    r = measure(&s, NULL);
    cr_assert(isnan(r.correlation), "silent right channel");
    cr_assert(isnan(r.balance_db));
    sig_free(&s);
}

/* ---------------------------------------------------------------- channels */

Test(analyze, mono_is_one_channel_of_weight_one)
{
    sig s = sig_new(1, 10 * (size_t)RATE);
    sine(s.ch[0], s.frames, 1000.0, 0.1);
    md_analysis r = measure(&s, NULL);
    /* BS.1770: 10 log10(A^2 / 2) + K(1 kHz) - 0.691 = -20 - 3.01 */
    cr_assert_float_eq(r.integrated_lufs, -20.0 - 10.0 * log10(2.0), 0.05, "I %.3f",
                       r.integrated_lufs);
    cr_assert(isnan(r.correlation) && isnan(r.balance_db));
    cr_assert_eq(r.channels, 1);
    printf("figure: mono -20 dBFS sine I %.3f LUFS\n", r.integrated_lufs);
    sig_free(&s);
}

/* I of a 1 kHz sine of peak 0.1 in channel `which` only */
static md_analysis one_channel(unsigned channels, const int *map, unsigned which)
{
    sig s = sig_new(channels, 5 * (size_t)RATE);
    sine(s.ch[which], s.frames, 1000.0, 0.1);
    md_analysis r = measure(&s, map);
    sig_free(&s);
    return r;
}

Test(analyze, six_channels_default_and_file_maps)
{
    const double front = -20.0 - 10.0 * log10(2.0); /* weight 1.0 */
    const double surround = front + 10.0 * log10(1.41);
    /* default L R C LFE Ls Rs */
    md_analysis r = one_channel(6, NULL, 2);
    cr_assert_float_eq(r.integrated_lufs, front, 0.05, "C: %.3f", r.integrated_lufs);
    r = one_channel(6, NULL, 4);
    cr_assert_float_eq(r.integrated_lufs, surround, 0.05, "Ls: %.3f", r.integrated_lufs);
    r = one_channel(6, NULL, 3);
    cr_assert(isnan(r.integrated_lufs), "LFE is not measured: %.3f", r.integrated_lufs);
    cr_assert_float_eq(r.sample_peak_dbfs, -20.0, 0.01, "but its peaks are");
    cr_assert_float_eq(r.true_peak_ch_dbtp[3], -20.0, 0.1);

    /* a file's map (WAVEX order differs: LFE first here) */
    static const int map[6] = {SF_CHANNEL_MAP_LFE,         SF_CHANNEL_MAP_FRONT_LEFT,
                               SF_CHANNEL_MAP_FRONT_RIGHT, SF_CHANNEL_MAP_FRONT_CENTER,
                               SF_CHANNEL_MAP_REAR_LEFT,   SF_CHANNEL_MAP_REAR_RIGHT};
    r = one_channel(6, map, 0);
    cr_assert(isnan(r.integrated_lufs), "mapped LFE");
    r = one_channel(6, map, 3);
    cr_assert_float_eq(r.integrated_lufs, front, 0.05, "mapped C: %.3f", r.integrated_lufs);
    r = one_channel(6, map, 5);
    cr_assert_float_eq(r.integrated_lufs, surround, 0.05, "mapped Rs");

    /* 7.1: with side channels the rear pair is at 135 degrees (1.0), sides 1.41 */
    static const int map71[8] = {SF_CHANNEL_MAP_FRONT_LEFT,   SF_CHANNEL_MAP_FRONT_RIGHT,
                                 SF_CHANNEL_MAP_FRONT_CENTER, SF_CHANNEL_MAP_LFE,
                                 SF_CHANNEL_MAP_REAR_LEFT,    SF_CHANNEL_MAP_REAR_RIGHT,
                                 SF_CHANNEL_MAP_SIDE_LEFT,    SF_CHANNEL_MAP_SIDE_RIGHT};
    r = one_channel(8, map71, 4);
    cr_assert_float_eq(r.integrated_lufs, front, 0.05, "7.1 rear: %.3f", r.integrated_lufs);
    r = one_channel(8, map71, 7);
    cr_assert_float_eq(r.integrated_lufs, surround, 0.05, "7.1 side: %.3f", r.integrated_lufs);
}

/* ---------------------------------------------------------------- against libebur128 */

typedef struct series {
    unsigned n;
    double t[2000], m[2000], s[2000];
} series;

static void on_series(void *user, double t, double m, double s)
{
    series *x = user;
    if (x->n < 2000) {
        x->t[x->n] = t;
        x->m[x->n] = m;
        x->s[x->n] = s;
    }
    x->n++;
}

Test(analyze, momentary_short_term_equal_libebur128_windows)
{
    sig s = programme(20.0, 11);
    series *x = calloc(1, sizeof *x);
    md_analyzer *a = md_analyzer_create(RATE, 2, NULL, 0, NULL);
    md_analyzer_set_series(a, on_series, x);

    /* the reference: libebur128's own momentary/short-term, queried after
     * every 5 ms (240 frames) */
    ebur128_state *st = ebur128_init(2, (unsigned long)RATE, EBUR128_MODE_S);
    float il[2 * 240];
    double max_m = -HUGE_VAL, max_s = -HUGE_VAL, worst = 0.0;
    unsigned k = 0;
    for (size_t done = 0; done + 240 <= s.frames; done += 240) {
        const float *p[2] = {s.ch[0] + done, s.ch[1] + done};
        md_analyzer_add(a, p, 240, NULL);
        for (unsigned i = 0; i < 240; i++) {
            il[2 * i] = s.ch[0][done + i];
            il[2 * i + 1] = s.ch[1][done + i];
        }
        ebur128_add_frames_float(st, il, 240);
        double m, sh;
        ebur128_loudness_momentary(st, &m);
        ebur128_loudness_shortterm(st, &sh);
        if (m > max_m)
            max_m = m;
        if (sh > max_s)
            max_s = sh;
        if ((done / 240 + 1) % 20 == 0) { /* a 100 ms tick of the series */
            cr_assert_lt(k, x->n);
            double dm = fabs(x->m[k] - m), ds = fabs(x->s[k] - sh);
            if (isfinite(m) && dm > worst)
                worst = dm;
            if (isfinite(sh) && ds > worst)
                worst = ds;
            cr_assert_float_eq(x->t[k], (double)(done + 240) / RATE, 1e-9);
            k++;
        }
    }
    md_analysis r;
    md_analyzer_result(a, &r);
    printf("figure: max M %.6f (libebur128 %.6f) max S %.6f (%.6f) worst series diff %.2e LU\n",
           r.max_momentary_lufs, max_m, r.max_short_term_lufs, max_s, worst);
    cr_assert_float_eq(r.max_momentary_lufs, max_m, 1e-6);
    cr_assert_float_eq(r.max_short_term_lufs, max_s, 1e-6);
    cr_assert_lt(worst, 1e-6, "series differ by %.3g LU", worst);
    cr_assert_eq(x->n, 200u);
    ebur128_destroy(&st);
    md_analyzer_destroy(a);
    free(x);
    sig_free(&s);
}

/* libebur128 in its list mode (exact, allocating) over the same signal */
static void reference_i_lra(const sig *s, double rate, double *i, double *lra)
{
    ebur128_state *st =
        ebur128_init(s->channels, (unsigned long)rate, EBUR128_MODE_I | EBUR128_MODE_LRA);
    float *il = malloc(sizeof(float) * s->channels * s->frames);
    for (size_t f = 0; f < s->frames; f++)
        for (unsigned c = 0; c < s->channels; c++)
            il[f * s->channels + c] = s->ch[c][f];
    ebur128_add_frames_float(st, il, s->frames);
    ebur128_loudness_global(st, i);
    ebur128_loudness_range(st, lra);
    free(il);
    ebur128_destroy(&st);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Tech 3342 v3 coded again: libebur128's short-term loudness every 100 ms
 * from 3 s on, gates at -70 LUFS and 20 LU under the gated mean energy,
 * 95th minus 10th percentile (nearest rank) */
static double reference_lra_10hz(const sig *s)
{
    ebur128_state *st = ebur128_init(2, (unsigned long)RATE, EBUR128_MODE_S);
    size_t nv = 0, hop = (size_t)(RATE / 10);
    double *v = malloc(sizeof(double) * (s->frames / hop + 1));
    float *il = malloc(sizeof(float) * 2 * hop);
    for (size_t done = 0; done + hop <= s->frames; done += hop) {
        for (size_t i = 0; i < hop; i++) {
            il[2 * i] = s->ch[0][done + i];
            il[2 * i + 1] = s->ch[1][done + i];
        }
        ebur128_add_frames_float(st, il, hop);
        double l;
        ebur128_loudness_shortterm(st, &l);
        if (done + hop >= 3 * (size_t)RATE && l > -70.0)
            v[nv++] = l;
    }
    double e = 0.0;
    for (size_t i = 0; i < nv; i++)
        e += pow(10.0, (v[i] + 0.691) / 10.0);
    double gate = -0.691 + 10.0 * log10(e / (double)nv) - 20.0;
    size_t m = 0;
    for (size_t i = 0; i < nv; i++)
        if (v[i] >= gate)
            v[m++] = v[i];
    qsort(v, m, sizeof *v, cmp_double);
    double lra =
        v[(size_t)llround((double)(m - 1) * 0.95)] - v[(size_t)llround((double)(m - 1) * 0.10)];
    free(v);
    free(il);
    ebur128_destroy(&st);
    return lra;
}

Test(analyze, integrated_and_lra_agree_with_references)
{
    sig s = programme(60.0, 3);
    md_analysis r = measure(&s, NULL);
    double i, lra, lra10 = reference_lra_10hz(&s);
    reference_i_lra(&s, RATE, &i, &lra);
    printf("figure: programme I %.4f (libebur128 %.4f) LRA %.3f (10 Hz reference %.3f, "
           "libebur128 1 Hz %.3f)\n",
           r.integrated_lufs, i, r.loudness_range_lu, lra10, lra);
    cr_assert_float_eq(r.integrated_lufs, i, 0.01, "I %.4f vs %.4f", r.integrated_lufs, i);
    cr_assert_float_eq(r.loudness_range_lu, lra10, 0.02, "LRA %.3f vs %.3f", r.loudness_range_lu,
                       lra10);
    /* libebur128 takes a short-term block every 1 s (Tech 3342 v1): close, not equal */
    cr_assert_float_eq(r.loudness_range_lu, lra, 1.0, "LRA %.3f vs %.3f", r.loudness_range_lu, lra);
    sig_free(&s);
}

Test(analyze, other_rates)
{
    /* 44.1 kHz: 10 ms pieces, exact windows; 22.05 kHz: windows 0.2 % short */
    static const double rates[] = {44100.0, 22050.0, 96000.0};
    for (int k = 0; k < 3; k++) {
        double rate = rates[k];
        sig s = sig_new(2, (size_t)(8 * rate));
        for (size_t n = 0; n < s.frames; n++)
            s.ch[0][n] = s.ch[1][n] = (float)(0.1 * sin(2.0 * M_PI * 997.0 * (double)n / rate));
        md_analyzer *a = md_analyzer_create(rate, 2, NULL, 0, NULL);
        const float *p[2] = {s.ch[0], s.ch[1]};
        md_analyzer_add(a, p, (unsigned)s.frames, NULL);
        md_analysis r;
        md_analyzer_result(a, &r);
        md_analyzer_destroy(a);
        double i, lra;
        reference_i_lra(&s, rate, &i, &lra);
        cr_assert_float_eq(r.integrated_lufs, i, 0.01, "%g Hz: I %.4f vs %.4f", rate,
                           r.integrated_lufs, i);
        cr_assert_float_eq(r.max_momentary_lufs, i, 0.02, "%g Hz: max M %.4f", rate,
                           r.max_momentary_lufs);
        cr_assert_float_eq(r.true_peak_dbtp, -20.0, 0.1, "%g Hz: TP", rate);
        sig_free(&s);
    }
}

/* ---------------------------------------------------------------- invariance */

static void assert_same(md_analysis a, md_analysis b, double tol, const char *what)
{
#define SAME(f)                                                                                    \
    cr_assert((isnan(a.f) && isnan(b.f)) || fabs(a.f - b.f) <= tol, "%s: " #f " %.12g vs %.12g",   \
              what, a.f, b.f)
    SAME(integrated_lufs);
    SAME(loudness_range_lu);
    SAME(max_momentary_lufs);
    SAME(max_short_term_lufs);
    SAME(true_peak_dbtp);
    SAME(sample_peak_dbfs);
    SAME(rms_dbfs);
    SAME(dc_offset);
    SAME(correlation);
    SAME(balance_db);
#undef SAME
    cr_assert_eq(a.frames, b.frames);
    cr_assert_eq(a.clipped_samples, b.clipped_samples);
}

Test(analyze, block_size_and_thread_do_not_change_results)
{
    sig s = programme(12.0, 5);
    md_analysis ref = measure_flags(&s, NULL, 4096, 0);
    static const unsigned blocks[] = {1, 7, 240, 1000, 65536};
    for (int k = 0; k < 5; k++) {
        char what[32];
        snprintf(what, sizeof what, "block %u", blocks[k]);
        assert_same(measure_flags(&s, NULL, blocks[k], 0), ref, 1e-9, what);
    }
    md_analysis single = measure_flags(&s, NULL, 4096, MD_ANALYZE_NO_THREAD);
    assert_same(single, ref, 0.0, "no thread");
    md_analysis notp = measure_flags(&s, NULL, 4096, MD_ANALYZE_NO_TRUE_PEAK);
    cr_assert(isnan(notp.true_peak_dbtp));
    cr_assert_eq(notp.integrated_lufs, ref.integrated_lufs);
    sig_free(&s);
}

Test(analyze, interleaved_equals_planar)
{
    sig s = programme(8.0, 21);
    s.ch[1][12345] = NAN; /* one block takes the copying path */
    size_t n = s.frames;
    float *il = malloc(sizeof(float) * 2 * n);
    for (size_t i = 0; i < n; i++) {
        il[2 * i] = s.ch[0][i];
        il[2 * i + 1] = s.ch[1][i];
    }
    md_analyzer *a = md_analyzer_create(RATE, 2, NULL, 0, NULL);
    for (size_t done = 0; done < n; done += 3000) {
        unsigned k = n - done < 3000 ? (unsigned)(n - done) : 3000;
        cr_assert_eq(md_analyzer_add_interleaved(a, il + 2 * done, k, NULL), MD_OK);
    }
    md_analysis r;
    md_analyzer_result(a, &r);
    md_analyzer_destroy(a);
    md_analysis ref = measure(&s, NULL);
    assert_same(r, ref, 1e-9, "interleaved");
    cr_assert_eq(r.nonfinite_samples, 1);
    free(il);
    sig_free(&s);
}

Test(analyze, result_midway_then_more)
{
    sig s = programme(10.0, 9);
    md_analyzer *a = md_analyzer_create(RATE, 2, NULL, 0, NULL);
    const float *p[2] = {s.ch[0], s.ch[1]};
    md_analysis mid, end;
    md_analyzer_add(a, p, (unsigned)s.frames / 2, NULL);
    md_analyzer_result(a, &mid);
    p[0] += s.frames / 2;
    p[1] += s.frames / 2;
    md_analyzer_add(a, p, (unsigned)(s.frames - s.frames / 2), NULL);
    md_analyzer_result(a, &end);
    md_analyzer_destroy(a);
    cr_assert_eq(mid.frames, s.frames / 2);
    assert_same(end, measure(&s, NULL), 1e-9, "after a midway result");
    sig_free(&s);
}

/* ---------------------------------------------------------------- errors */

Test(analyze, create_refuses_bad_arguments)
{
    md_error err = {0};
    cr_assert_null(md_analyzer_create(999.0, 2, NULL, 0, &err));
    cr_assert_eq(err.status, MD_ERR_INVALID);
    cr_assert(strstr(err.msg, "got 999"), "%s", err.msg);
    cr_assert_null(md_analyzer_create(44100.5, 2, NULL, 0, &err));
    cr_assert_null(md_analyzer_create(NAN, 2, NULL, 0, &err));
    cr_assert_null(md_analyzer_create(2e6, 2, NULL, 0, &err));
    cr_assert_null(md_analyzer_create(48000.0, 0, NULL, 0, &err));
    cr_assert_eq(err.status, MD_ERR_INVALID);
    cr_assert_null(md_analyzer_create(48000.0, 65, NULL, 0, &err));
    cr_assert(strstr(err.msg, "got 65"), "%s", err.msg);
    cr_assert_null(md_analyzer_create(48000.0, 2, NULL, 0x100, &err));
    md_analyzer_destroy(NULL);

    md_analyzer *a = md_analyzer_create(MD_MIN_RATE, 64, NULL, 0, &err);
    cr_assert_not_null(a, "64 channels at the lowest rate: %s", err.msg);
    cr_assert_eq(md_analyzer_add(a, NULL, 0, &err), MD_OK);
    cr_assert_eq(md_analyzer_add(a, NULL, 5, &err), MD_ERR_INVALID);
    md_analyzer_destroy(a);
}
