/* test_spectrum.c - what the meter keeps for reports (plots = true): the
 * long-term average spectrum, 1/3-octave bands, the decimating loudness
 * series and the waveform envelope.
 *
 * Independent references: sines of known frequency and level; pink noise
 * made here in the frequency domain (the power of each of its DFT bins is
 * set, so the power of any band is a sum computed in the test); the mean
 * square of the signal (Parseval); sample peaks and RMS computed directly;
 * the analyzer's own maximum short-term loudness. */
#include "meters/plots.h"
#include "mixdown/md.h"
#include "ts_signal.h"
#include <criterion/criterion.h>
#include <kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers ----------------------------------------------------------------------- */

static md_node *make_meter(double rate, unsigned ch, int plots)
{
    md_error e;
    md_node *m = md_node_create(md_node_lookup("meter"), &e);
    cr_assert(m, "%s", e.msg);
    cr_assert_eq(md_node_set_number(m, "plots", plots, &e), MD_OK, "%s", e.msg);
    cr_assert_eq(md_node_set_number(m, "true_peak", 0, &e), MD_OK, "%s", e.msg);
    md_stream s = {rate, ch, 4096};
    cr_assert_eq(md_node_prepare(m, &s, &e), MD_OK, "%s", e.msg);
    return m;
}

/* feeds x[c][0..frames) in blocks of varying size, like a render */
static void feed(md_node *m, float **x, unsigned ch, size_t frames)
{
    static const unsigned sizes[] = {4096, 1, 777, 4096, 64, 2500};
    size_t done = 0;
    unsigned k = 0;
    md_error e;
    while (done < frames) {
        unsigned n = sizes[k++ % 6];
        if (n > frames - done)
            n = (unsigned)(frames - done);
        const float *in[MD_MAX_CHANNELS];
        for (unsigned c = 0; c < ch; c++)
            in[c] = x[c] + done;
        cr_assert_eq(md_node_type(m)->consume(m, in, n, &e), MD_OK, "%s", e.msg);
        done += n;
    }
}

static float **planar(unsigned ch, size_t frames)
{
    float **x = calloc(ch, sizeof *x);
    for (unsigned c = 0; c < ch; c++)
        x[c] = calloc(frames, sizeof(float));
    return x;
}

static void free_planar(float **x, unsigned ch)
{
    for (unsigned c = 0; c < ch; c++)
        free(x[c]);
    free(x);
}

static double *spectrum(md_node *m, unsigned *bins, double *bin_hz)
{
    md_error e;
    cr_assert_eq(md_meter_spectrum(m, NULL, 0, bins, bin_hz, &e), MD_OK, "%s", e.msg);
    double *db = malloc(sizeof(double) * *bins);
    cr_assert_eq(md_meter_spectrum(m, db, *bins, bins, bin_hz, &e), MD_OK, "%s", e.msg);
    return db;
}

static unsigned argmax(const double *v, unsigned n)
{
    unsigned best = 0;
    for (unsigned i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* --- spectrum ------------------------------------------------------------------------ */

Test(spectrum, a_sine_on_a_bin_peaks_at_its_frequency_and_level)
{
    const double rate = 48000, bin = rate / 16384;
    const double f = 341 * bin; /* 999.02 Hz, centred on bin 341 */
    const size_t n = 5 * 48000;
    float **x = planar(2, n);
    ts_sine(x[0], (unsigned)n, f, rate, 0.5, 0.0);
    ts_sine(x[1], (unsigned)n, f, rate, 0.5, 1.0);
    md_node *m = make_meter(rate, 2, 1);
    feed(m, x, 2, n);
    unsigned bins;
    double hz;
    double *db = spectrum(m, &bins, &hz);
    cr_assert_eq(bins, 16384 / 2 + 1);
    cr_assert_float_eq(hz, bin, 1e-9);
    unsigned k = argmax(db, bins);
    cr_log_info("sine %.3f Hz: peak bin %u (%.3f Hz) at %.3f dB", f, k, k * hz, db[k]);
    cr_expect_eq(k, 341u, "peak at bin %u, want 341", k);
    cr_expect_float_eq(db[k], 20 * log10(0.5), 0.05, "peak %.3f dB, want -6.02", db[k]);
    /* Hann: the neighbours hold 1/4 of the peak's power (-6.02 dB) */
    cr_expect_float_eq(db[k - 1] - db[k], -6.02, 0.05, "left neighbour %.3f dB", db[k - 1] - db[k]);
    double far = -INFINITY;
    for (unsigned i = 0; i < bins; i++)
        if ((i + 50 < k || i > k + 50) && db[i] > far)
            far = db[i];
    cr_log_info("highest bin 50+ bins away: %.1f dB", far);
    cr_expect(far < db[k] - 90, "leakage %.1f dB 50 bins away", far - db[k]);
    free(db);
    md_node_destroy(m);
    free_planar(x, 2);
}

Test(spectrum, a_sine_between_bins_peaks_within_a_bin_and_1_5_db)
{
    const double rate = 44100;
    const size_t n = 4 * 44100;
    float **x = planar(1, n);
    ts_sine(x[0], (unsigned)n, 3001.7, rate, 0.25, 0.0);
    md_node *m = make_meter(rate, 1, 1);
    feed(m, x, 1, n);
    unsigned bins;
    double hz;
    double *db = spectrum(m, &bins, &hz);
    unsigned k = argmax(db, bins);
    cr_log_info("3001.7 Hz: peak at %.2f Hz (bins of %.3f Hz), %.3f dB", k * hz, hz, db[k]);
    cr_expect(fabs(k * hz - 3001.7) <= hz / 2 + 1e-9, "peak at %.2f Hz", k * hz);
    cr_expect(db[k] <= 20 * log10(0.25) + 0.01 && db[k] >= 20 * log10(0.25) - 1.5,
              "peak %.3f dB, want -12.04 .. -13.54", db[k]);
    free(db);
    md_node_destroy(m);
    free_planar(x, 1);
}

Test(spectrum, bins_sum_to_the_mean_square_of_noise)
{
    const double rate = 48000;
    const size_t n = 10 * 48000;
    float **x = planar(2, n);
    ts_noise(x[0], (unsigned)n, 0.1, 7);
    ts_noise(x[1], (unsigned)n, 0.05, 8);
    /* the periodogram averages whole frames: compare over exactly what they cover */
    double ms = 0.0;
    size_t covered = ((n - 16384) / 8192) * 8192 + 16384; /* whole frames, hop 8192 */
    for (unsigned c = 0; c < 2; c++)
        for (size_t i = 0; i < covered; i++)
            ms += (double)x[c][i] * x[c][i];
    ms /= 2.0 * covered;
    md_node *m = make_meter(rate, 2, 1);
    feed(m, x, 2, n);
    unsigned bins;
    double hz;
    double *db = spectrum(m, &bins, &hz);
    double sum = 0.0;
    for (unsigned k = 0; k < bins; k++)
        sum += pow(10.0, db[k] / 10.0) / 3.0; /* undo the sine calibration */
    cr_log_info("sum of bins %.6g, mean square %.6g (%.3f dB)", sum, ms, 10 * log10(sum / ms));
    /* Hann frames weigh samples unevenly: a few % at most on stationary noise */
    cr_expect(fabs(10 * log10(sum / ms)) < 0.1, "Parseval off by %.3f dB", 10 * log10(sum / ms));
    free(db);
    md_node_destroy(m);
    free_planar(x, 2);
}

Test(spectrum, a_stream_shorter_than_one_fft_still_shows_its_tone)
{
    const double rate = 48000;
    float **x = planar(1, 3000);
    ts_sine(x[0], 3000, 2000.0, rate, 0.5, 0.0);
    md_node *m = make_meter(rate, 1, 1);
    feed(m, x, 1, 3000);
    unsigned bins;
    double hz;
    double *db = spectrum(m, &bins, &hz);
    unsigned k = argmax(db, bins);
    /* one Hann window of 3000 frames zero-padded to 16384: the bins keep
     * their power per 2.9 Hz, a tone spreads over 16384/3000 times more bins */
    double want = 20 * log10(0.5) + 10 * log10(3000.0 / 16384.0);
    cr_log_info("3000 frames of 2 kHz: peak at %.1f Hz, %.2f dB (want %.2f)", k * hz, db[k], want);
    cr_expect(fabs(k * hz - 2000.0) < 16.0, "peak at %.1f Hz", k * hz);
    cr_expect_float_eq(db[k], want, 0.2, "peak %.2f dB", db[k]);
    md_meter_band_levels b;
    md_error e;
    cr_assert_eq(md_meter_bands(m, &b, &e), MD_OK, "%s", e.msg);
    cr_log_info("its 2 kHz band: %.3f dB", b.db[20]);
    cr_expect_float_eq(b.db[20], 20 * log10(0.5), 0.1, "2 kHz band %.3f dB", b.db[20]);
    free(db);
    md_node_destroy(m);
    free_planar(x, 1);
}

/* --- 1/3-octave bands ---------------------------------------------------------------- */

#define PINK_N (1u << 21) /* 43.7 s at 48 kHz */

/* Pink noise by design: DFT bin k (k >= 1) of power 1/k with a random phase;
 * power_of_band() sums the same powers between band edges. Periodic, so
 * the Welch frames see it without edge effects. */
static float *pink(double *scale_out)
{
    kiss_fftr_cfg cfg = kiss_fftr_alloc(PINK_N, 1, NULL, NULL);
    kiss_fft_cpx *X = calloc(PINK_N / 2 + 1, sizeof *X);
    float *x = malloc(sizeof(float) * PINK_N);
    uint64_t st = 12345;
    for (unsigned k = 1; k <= PINK_N / 2; k++) {
        double a = 1.0 / sqrt((double)k), ph = 2 * M_PI * ts_rand(&st);
        X[k].r = (float)(a * cos(ph));
        X[k].i = (float)(a * sin(ph));
    }
    X[PINK_N / 2].i = 0;
    kiss_fftri(cfg, X, x);
    double ms = 0;
    for (unsigned i = 0; i < PINK_N; i++)
        ms += (double)x[i] * x[i];
    ms /= PINK_N;
    double scale = 0.1 / sqrt(ms); /* -20 dBFS RMS */
    for (unsigned i = 0; i < PINK_N; i++)
        x[i] = (float)(x[i] * scale);
    *scale_out = scale;
    free(X);
    kiss_fftr_free(cfg);
    return x;
}

/* Mean-square power between f1 and f2 of the designed pink noise: bins
 * k of 1/k, doubled (one-sided), times the inverse FFT's scale. */
static double power_of_band(double f1, double f2, double rate, double scale)
{
    double df = rate / PINK_N, sum = 0;
    for (unsigned k = (unsigned)ceil(f1 / df); k <= PINK_N / 2 && k * df < f2; k++)
        sum += 2.0 / k;
    /* kissfft's inverse has no 1/N: sum_n x_n^2 = N sum_k |X_k|^2, so the
     * mean square is sum_k |X_k|^2 */
    return sum * scale * scale;
}

Test(bands, pink_noise_is_flat_within_1_db_and_matches_its_design)
{
    const double rate = 48000;
    double scale;
    float *x = pink(&scale);
    float *chans[1] = {x};
    md_node *m = make_meter(rate, 1, 1);
    feed(m, chans, 1, PINK_N);
    md_meter_band_levels b;
    md_error e;
    cr_assert_eq(md_meter_bands(m, &b, &e), MD_OK, "%s", e.msg);
    double mean = 0;
    for (unsigned i = 0; i < MD_METER_BANDS; i++)
        mean += b.db[i];
    mean /= MD_METER_BANDS;
    double worst = 0, worst_design = 0;
    for (unsigned i = 0; i < MD_METER_BANDS; i++) {
        double fm = b.exact_hz[i];
        double want =
            10 * log10(2.0 * power_of_band(fm * pow(10, -0.05), fm * pow(10, 0.05), rate, scale));
        cr_log_info("band %7.1f Hz (%.2f): %.2f dB, design %.2f dB", b.nominal_hz[i], fm, b.db[i],
                    want);
        if (fabs(b.db[i] - mean) > worst)
            worst = fabs(b.db[i] - mean);
        if (fabs(b.db[i] - want) > worst_design)
            worst_design = fabs(b.db[i] - want);
        cr_expect(fabs(b.db[i] - mean) <= 1.0, "band %g Hz: %.2f dB, mean %.2f", b.nominal_hz[i],
                  b.db[i], mean);
        cr_expect(fabs(b.db[i] - want) <= 0.5, "band %g Hz: %.2f dB, designed %.2f",
                  b.nominal_hz[i], b.db[i], want);
    }
    cr_log_info("pink: bands within +-%.2f dB of their mean, +-%.2f dB of the design", worst,
                worst_design);
    cr_expect_float_eq(b.nominal_hz[0], 20.0, 1e-9);
    cr_expect_float_eq(b.nominal_hz[17], 1000.0, 1e-9);
    cr_expect_float_eq(b.nominal_hz[30], 20000.0, 1e-9);
    cr_expect_float_eq(b.exact_hz[17], 1000.0, 1e-9);
    cr_expect_float_eq(b.exact_hz[0], 1000.0 * pow(10, -1.7), 1e-9);
    md_node_destroy(m);
    free(x);
}

Test(bands, a_sine_reads_its_level_in_its_band_and_bands_past_nyquist_are_nan)
{
    const double rate = 32000;
    const size_t n = 4 * 32000;
    float **x = planar(2, n);
    ts_sine(x[0], (unsigned)n, 1000.0, rate, 0.3, 0.0);
    ts_sine(x[1], (unsigned)n, 1000.0, rate, 0.3, 0.0);
    md_node *m = make_meter(rate, 2, 1);
    feed(m, x, 2, n);
    md_meter_band_levels b;
    md_error e;
    cr_assert_eq(md_meter_bands(m, &b, &e), MD_OK, "%s", e.msg);
    cr_log_info("1 kHz at %.3f dB: band 1k %.3f dB, 800 Hz %.1f dB, 1250 Hz %.1f dB",
                20 * log10(0.3), b.db[17], b.db[16], b.db[18]);
    cr_expect_float_eq(b.db[17], 20 * log10(0.3), 0.05, "1 kHz band %.3f dB", b.db[17]);
    cr_expect(b.db[16] < b.db[17] - 60 && b.db[18] < b.db[17] - 60, "neighbouring bands");
    cr_expect(!isnan(b.db[29]), "16 kHz band (centre 15.85 kHz) is below Nyquist");
    cr_expect(isnan(b.db[30]), "20 kHz band is past the 16 kHz Nyquist: %g", b.db[30]);
    md_node_destroy(m);
    free_planar(x, 2);
}

/* --- loudness series ------------------------------------------------------------------ */

Test(series, decimates_in_fixed_memory_and_keeps_the_maximum)
{
    mdi_series s;
    md_error e;
    cr_assert_eq(mdi_series_init(&s, 2000, 1, 0, &e), MD_OK);
    double top = -INFINITY;
    uint64_t st = 99;
    for (unsigned i = 0; i < 123457; i++) {
        double v = -30 + 20 * ts_rand(&st);
        if (v > top)
            top = v;
        mdi_series_push(&s, 0.1 * (i + 1), v, 1.0, 1);
        unsigned c = mdi_series_count(&s);
        cr_assert(c <= 2000, "count %u after %u inputs", c, i + 1);
    }
    unsigned c = mdi_series_count(&s);
    double got = -INFINITY, t_prev = 0, sum = 0, t, a, b;
    uint64_t n, ntot = 0;
    for (unsigned i = 0; i < c; i++) {
        mdi_series_get(&s, i, &t, &a, &b, &n);
        cr_assert(t > t_prev, "times increase");
        t_prev = t;
        if (a > got)
            got = a;
        sum += b;
        ntot += n;
    }
    cr_log_info("123457 inputs -> %u points of %u inputs each", c, s.per_point);
    cr_expect(c >= 1000 && c <= 2000, "%u points", c);
    cr_expect_eq(got, top, "maximum %g, want %g", got, top);
    cr_expect_float_eq(sum, 123457.0, 1e-6, "sums add up: %g", sum);
    cr_expect_eq(ntot, 123457u);
    cr_expect_float_eq(t_prev, 12345.7, 1e-6, "the last point ends at the last input");
    mdi_series_deinit(&s);
}

Test(series, short_term_series_of_the_meter_reaches_the_analyzer_maximum)
{
    const double rate = 48000;
    const size_t n = 20 * 48000;
    float **x = planar(2, n);
    /* a level that rises and falls: -30 dBFS, -14 dBFS for 6 s, -24 dBFS */
    for (size_t i = 0; i < n; i++) {
        double amp = i < 5 * 48000 ? 0.0316 : i < 11 * 48000 ? 0.2 : 0.063;
        double v = amp * sin(2 * M_PI * 1000.0 * i / rate);
        x[0][i] = x[1][i] = (float)v;
    }
    md_node *m = make_meter(rate, 2, 1);
    feed(m, x, 2, n);
    md_analysis r;
    md_error e;
    cr_assert_eq(md_meter_result(m, &r, &e), MD_OK, "%s", e.msg);
    md_meter_loudness_point pts[MD_METER_SERIES_MAX];
    unsigned count;
    cr_assert_eq(md_meter_series(m, pts, MD_METER_SERIES_MAX, &count, &e), MD_OK, "%s", e.msg);
    double smax = -INFINITY, mmax = -INFINITY;
    for (unsigned i = 0; i < count; i++) {
        if (pts[i].short_term_lufs > smax)
            smax = pts[i].short_term_lufs;
        if (pts[i].momentary_lufs > mmax)
            mmax = pts[i].momentary_lufs;
    }
    cr_log_info("%u points; short-term max %.3f (analyzer %.3f), momentary max %.3f (%.3f)", count,
                smax, r.max_short_term_lufs, mmax, r.max_momentary_lufs);
    cr_expect_eq(count, 200u, "20 s every 100 ms: %u points", count);
    cr_expect_float_eq(pts[0].t_s, 0.1, 1e-9);
    cr_expect_float_eq(pts[count - 1].t_s, 20.0, 1e-9);
    cr_expect(fabs(smax - r.max_short_term_lufs) <= 0.1, "short-term max %.3f vs %.3f", smax,
              r.max_short_term_lufs);
    cr_expect(fabs(mmax - r.max_momentary_lufs) <= 0.1, "momentary max %.3f vs %.3f", mmax,
              r.max_momentary_lufs);
    /* BS.1770: a 1 kHz sine of peak A in L and R reads 20 log10(A) LUFS */
    cr_expect_float_eq(smax, 20 * log10(0.2), 0.05, "steady -13.98 dBFS stereo sine: %.3f", smax);
    md_node_destroy(m);
    free_planar(x, 2);
}

/* --- envelope ------------------------------------------------------------------------- */

Test(envelope, columns_hold_peak_and_rms_and_the_highest_peak_is_the_sample_peak)
{
    const double rate = 44100;
    const size_t n = 100 * 44100 + 123; /* 1.7 M frames: 68906 base columns */
    float **x = planar(2, n);
    uint64_t st = 3;
    for (size_t i = 0; i < n; i++) {
        /* 440 Hz sine, level ramping from 0 to 0.8 over the file, a click at 61 s */
        double amp = 0.8 * (double)i / n;
        x[0][i] = (float)(amp * sin(2 * M_PI * 440.0 * i / rate));
        x[1][i] = (float)(0.5 * amp * (2 * ts_rand(&st) - 1));
    }
    x[1][61 * 44100] = -0.95f;
    x[0][1000] = NAN; /* left out */
    md_node *m = make_meter(rate, 2, 1);
    feed(m, x, 2, n);
    static md_meter_envelope_point pts[MD_METER_ENVELOPE_MAX];
    unsigned count;
    double span;
    md_error e;
    cr_assert_eq(md_meter_envelope(m, pts, MD_METER_ENVELOPE_MAX, &count, &span, &e), MD_OK, "%s",
                 e.msg);
    cr_log_info("%zu frames -> %u columns of %.4f s", n, count, span);
    cr_expect(count >= 1024 && count <= 2048, "%u columns", count);
    cr_expect_float_eq(span, 64.0 * 64 / rate, 1e-12, "span %.5f s", span); /* 64 base columns */
    double top = -INFINITY;
    unsigned at = 0;
    for (unsigned i = 0; i < count; i++)
        if (pts[i].peak_dbfs > top) {
            top = pts[i].peak_dbfs;
            at = i;
        }
    cr_expect_float_eq(top, 20 * log10(0.95f), 1e-6, "highest peak %.4f dB", top);
    cr_expect(pts[at].t_s <= 61.0 && 61.0 < pts[at].t_s + span, "click's column starts at %.3f",
              pts[at].t_s);
    /* a column in the middle: RMS over both channels, computed here */
    unsigned c = count / 2;
    size_t f0 = (size_t)llround(pts[c].t_s * rate), f1 = f0 + (size_t)llround(span * rate);
    double s2 = 0, pk = 0;
    for (size_t i = f0; i < f1; i++)
        for (unsigned ch = 0; ch < 2; ch++) {
            s2 += (double)x[ch][i] * x[ch][i];
            if (fabs(x[ch][i]) > pk)
                pk = fabs(x[ch][i]);
        }
    double rms_db = 10 * log10(s2 / (2.0 * (f1 - f0)));
    cr_expect_float_eq(pts[c].rms_dbfs, rms_db, 1e-4, "column %u rms %.4f vs %.4f", c,
                       pts[c].rms_dbfs, rms_db);
    cr_expect_float_eq(pts[c].peak_dbfs, 20 * log10(pk), 1e-4, "column %u peak", c);
    cr_expect_float_eq(pts[count - 1].t_s, (count - 1) * span, 1e-9);
    md_node_destroy(m);
    free_planar(x, 2);
}

Test(envelope, silence_is_nan_and_a_short_stream_has_a_column_per_64_frames)
{
    md_node *m = make_meter(48000, 1, 1);
    float **x = planar(1, 1000);
    for (unsigned i = 640; i < 1000; i++)
        x[0][i] = 0.5f;
    feed(m, x, 1, 1000);
    md_meter_envelope_point pts[32];
    unsigned count;
    md_error e;
    cr_assert_eq(md_meter_envelope(m, pts, 32, &count, NULL, &e), MD_OK, "%s", e.msg);
    cr_expect_eq(count, 16u, "1000 frames: 15 full columns and a partial one, got %u", count);
    cr_expect(isnan(pts[0].peak_dbfs) && isnan(pts[0].rms_dbfs), "silence is NAN");
    cr_expect_float_eq(pts[15].peak_dbfs, 20 * log10(0.5), 1e-6);
    cr_expect_float_eq(pts[15].rms_dbfs, 20 * log10(0.5), 1e-6);
    md_node_destroy(m);
    free_planar(x, 1);
}

/* --- errors --------------------------------------------------------------------------- */

Test(plots, are_refused_without_plots_or_on_another_node)
{
    md_node *m = make_meter(48000, 2, 0);
    float **x = planar(2, 4800);
    feed(m, x, 2, 4800);
    md_error e;
    unsigned bins;
    cr_expect_eq(md_meter_spectrum(m, NULL, 0, &bins, NULL, &e), MD_ERR_STATE);
    cr_expect(strstr(e.msg, "plots = true") != NULL, "%s", e.msg);
    md_meter_band_levels b;
    cr_expect_eq(md_meter_bands(m, &b, &e), MD_ERR_STATE);
    md_node *g = md_node_create(md_node_lookup("gain"), &e);
    cr_expect_eq(md_meter_bands(g, &b, &e), MD_ERR_INVALID);
    cr_expect_str_eq(e.msg, "meter: not a meter node");
    md_node *m2 = make_meter(48000, 2, 1);
    feed(m2, x, 2, 4800);
    double small[16];
    cr_expect_eq(md_meter_spectrum(m2, small, 16, &bins, NULL, &e), MD_ERR_INVALID);
    cr_expect(strstr(e.msg, "8193") != NULL, "%s", e.msg);
    md_node_destroy(g);
    md_node_destroy(m);
    md_node_destroy(m2);
    free_planar(x, 2);
}
