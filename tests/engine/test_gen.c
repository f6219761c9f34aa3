/* test_gen.c - the generators: sine, sweep, noise, silence, impulse.
 * Levels and frequencies are checked with DFTs, RMS and zero crossings
 * written in tests/support/gen_util.c against the formulas coded again here. */
#include "gen_util.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* --- sine -------------------------------------------------------------------- */

Test(sine, level_frequency_and_phase_match_the_formula)
{
    const double rate = 44100, f = 997, db = -6, phase_deg = 30;
    md_node *n = gen_source("sine", "freq=997 db=-6 phase=30 duration=1", rate);
    gen_sig s = gen_render(n, 4096);
    cr_assert_eq(s.frames, 44100u);
    double ph;
    /* 997 whole cycles in the window: the rectangular DFT is exact */
    double amp = gen_dft(s.ch[0], s.frames, f, rate, 0, &ph);
    cr_expect_float_eq(gen_db(amp), db, 0.01, "sine level %.4f dB, want %g", gen_db(amp), db);
    double rms_db = gen_db(gen_rms(s.ch[0], s.frames));
    cr_expect_float_eq(rms_db, db - 10 * log10(2.0), 0.01, "rms %.4f dB", rms_db);
    /* sin(w t + p) = cos(w t + p - 90 deg) */
    double got_deg = ph * 180 / M_PI, want_deg = phase_deg - 90;
    cr_expect_float_eq(got_deg, want_deg, 0.01, "phase %.4f deg, want %g", got_deg, want_deg);
    double peak_f = gen_peak_freq(s.ch[0], s.frames, rate, 900, 1100, 1.0);
    cr_expect_float_eq(peak_f, f, 0.05, "DFT peak at %.3f Hz", peak_f);
    /* every sample against the closed form */
    double a = pow(10, db / 20), worst = 0;
    for (size_t i = 0; i < s.frames; i++) {
        double want = a * sin(2 * M_PI * f * (double)i / rate + phase_deg * M_PI / 180);
        if (fabs(s.ch[0][i] - want) > worst)
            worst = fabs(s.ch[0][i] - want);
    }
    cr_expect_lt(worst, 1e-6, "sample error %g", worst);
    cr_log_info("sine: %.5f dB peak, %.5f dB rms, phase %.5f deg, peak %.5f Hz, sample error %g",
                gen_db(amp), rms_db, got_deg + 90, peak_f, worst);
    gen_sig_free(&s);
    md_node_destroy(n);
}

Test(sine, channels_are_identical_and_length_is_rounded)
{
    md_node *n = gen_source("sine", "freq=440 duration=0.1234567 channels=3", 44100);
    gen_sig s = gen_render(n, 1000);
    cr_expect_eq(s.channels, 3u);
    cr_expect_eq(s.frames, (size_t)llround(0.1234567 * 44100)); /* 5444 */
    cr_expect_eq(memcmp(s.ch[0], s.ch[2], s.frames * sizeof(float)), 0);
    gen_sig_free(&s);
    md_node_destroy(n);
}

Test(sine, refuses_a_frequency_over_nyquist)
{
    md_error e;
    md_node *n = gen_node("sine", "freq=30000");
    md_stream st = {44100, 0, 512};
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "sine: freq"), "%s", e.msg);
    md_node_destroy(n);
    n = gen_node("sine", NULL);
    cr_expect_neq(md_node_set_number(n, "channels", 9, &e), MD_OK);
    cr_expect(strstr(e.msg, "channels"), "%s", e.msg);
    md_node_destroy(n);
}

/* --- sweep ------------------------------------------------------------------- */

/* instantaneous frequency of the sweep, coded again from its definition */
static double sweep_freq(double f0, double f1, double T, int exponential, double t)
{
    return exponential ? f0 * pow(f1 / f0, t / T) : f0 + (f1 - f0) * t / T;
}

static void check_sweep(int exponential)
{
    const double rate = 48000, f0 = 100, f1 = 10000, T = 2.0;
    char spec[128];
    snprintf(spec, sizeof spec, "start=100 stop=10000 duration=2 db=-3 log=%s",
             exponential ? "true" : "false");
    md_node *n = gen_source("sweep", spec, rate);
    gen_sig s = gen_render(n, 4096);
    cr_assert_eq(s.frames, 96000u);
    /* 50 ms windows at the start and the end: frequency from zero crossings
     * against the formula at the middle of the measured span */
    size_t win = 2400;
    double mid, got = gen_zc_freq(s.ch[0], 0, win, rate, &mid);
    double want = sweep_freq(f0, f1, T, exponential, mid);
    cr_expect(fabs(got / want - 1) < 0.005, "%s start: %.2f Hz at %.4f s, want %.2f",
              exponential ? "log" : "lin", got, mid, want);
    cr_log_info("sweep %s: %.3f Hz at %.4f s (formula %.3f)", exponential ? "log" : "lin", got, mid,
                want);
    got = gen_zc_freq(s.ch[0], s.frames - win, win, rate, &mid);
    want = sweep_freq(f0, f1, T, exponential, mid);
    cr_expect(fabs(got / want - 1) < 0.005, "%s end: %.2f Hz at %.4f s, want %.2f",
              exponential ? "log" : "lin", got, mid, want);
    cr_log_info("sweep %s: %.3f Hz at %.4f s (formula %.3f)", exponential ? "log" : "lin", got, mid,
                want);
    /* phase-continuous: no step larger than the steepest slope of the sine */
    double a = pow(10, -3 / 20.0), limit = a * 2 * M_PI * f1 / rate * 1.001, worst = 0;
    for (size_t i = 1; i < s.frames; i++)
        if (fabs(s.ch[0][i] - s.ch[0][i - 1]) > worst)
            worst = fabs(s.ch[0][i] - s.ch[0][i - 1]);
    cr_expect_leq(worst, limit, "largest step %g > %g", worst, limit);
    cr_expect_float_eq(gen_peak(s.ch[0], s.frames), a, 1e-3);
    gen_sig_free(&s);
    md_node_destroy(n);
}

Test(sweep, exponential_starts_and_ends_at_the_given_frequencies)
{
    check_sweep(1);
}
Test(sweep, linear_starts_and_ends_at_the_given_frequencies)
{
    check_sweep(0);
}

/* --- noise ------------------------------------------------------------------- */

Test(noise, white_has_the_rms_level_and_a_flat_spectrum)
{
    const double rate = 48000;
    md_node *n = gen_source("noise", "color=white db=-20 duration=22 channels=2 seed=7", rate);
    gen_sig s = gen_render(n, 4096);
    for (unsigned c = 0; c < 2; c++) {
        double db = gen_db(gen_rms(s.ch[c], s.frames));
        cr_expect_float_eq(db, -20, 0.1, "white rms %.4f dBFS on channel %u", db, c);
    }
    /* channels are independent */
    double xy = 0, xx = 0, yy = 0;
    for (size_t i = 0; i < s.frames; i++) {
        xy += (double)s.ch[0][i] * s.ch[1][i];
        xx += (double)s.ch[0][i] * s.ch[0][i];
        yy += (double)s.ch[1][i] * s.ch[1][i];
    }
    cr_expect_lt(fabs(xy / sqrt(xx * yy)), 0.01, "channel correlation %g", xy / sqrt(xx * yy));
    /* power per Hz in octave bands 125 Hz .. 16 kHz within 0.5 dB of the mean */
    size_t nfft = 1u << 20;
    double *spec = gen_spectrum(s.ch[0], nfft, 1);
    double dens[8], mean = 0;
    for (int b = 0; b < 8; b++) {
        double fc = 125.0 * (1 << b), lo = fc / M_SQRT2, hi = fc * M_SQRT2;
        dens[b] = 10 * log10(gen_band_power(spec, nfft, rate, lo, hi) / (hi - lo));
        mean += dens[b] / 8;
    }
    double worst = 0;
    for (int b = 0; b < 8; b++) {
        cr_expect(fabs(dens[b] - mean) < 0.5, "white: octave %g Hz is %+.3f dB off flat",
                  125.0 * (1 << b), dens[b] - mean);
        if (fabs(dens[b] - mean) > fabs(worst))
            worst = dens[b] - mean;
    }
    cr_log_info("white: rms %.4f dBFS, worst octave %+.3f dB off flat",
                gen_db(gen_rms(s.ch[0], s.frames)), worst);
    free(spec);
    gen_sig_free(&s);
    md_node_destroy(n);
}

/* Band levels (dB) in 1/3 octaves 1000 * 2^(k/3), k = -15 (31.25 Hz) .. 12 (16 kHz),
 * and the fitted slope of the power spectral density in dB per octave. */
#define NBANDS 28
static double third_octaves(const char *color, double db, double *level, double *psd_slope,
                            double *rms_db)
{
    const double rate = 44100;
    const size_t nfft = 1u << 23; /* 190 s: enough bins in the 31 Hz band for +-0.15 dB */
    char spec_s[128];
    snprintf(spec_s, sizeof spec_s, "color=%s db=%g seed=3 duration=%.10f", color, db,
             (double)nfft / rate);
    md_node *n = gen_source("noise", spec_s, rate);
    gen_sig s = gen_render(n, 4096);
    cr_assert_eq(s.frames, nfft);
    *rms_db = gen_db(gen_rms(s.ch[0], s.frames));
    double *spec = gen_spectrum(s.ch[0], nfft, 1);
    /* psd slope: least squares of 10 log10(band power / bandwidth) on octaves */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, mean = 0;
    for (int b = 0; b < NBANDS; b++) {
        double k = b - 15, fc = 1000 * pow(2, k / 3), lo = fc * pow(2, -1 / 6.0),
               hi = fc * pow(2, 1 / 6.0);
        double p = gen_band_power(spec, nfft, rate, lo, hi);
        level[b] = 10 * log10(p);
        double x = k / 3, y = 10 * log10(p / (hi - lo));
        sx += x, sy += y, sxx += x * x, sxy += x * y;
        mean += level[b] / NBANDS;
    }
    *psd_slope = (NBANDS * sxy - sx * sy) / (NBANDS * sxx - sx * sx);
    free(spec);
    gen_sig_free(&s);
    md_node_destroy(n);
    return mean;
}

Test(noise, pink_falls_3_01_db_per_octave_within_half_a_db)
{
    double level[NBANDS], slope, rms;
    third_octaves("pink", -20, level, &slope, &rms);
    /* ideal pink has equal power in every 1/3 octave: each band against the
     * line of -3.01 dB/octave (in density) through the bands' mean */
    double mean = 0, worst = 0;
    for (int b = 0; b < NBANDS; b++)
        mean += level[b] / NBANDS;
    for (int b = 0; b < NBANDS; b++) {
        double dev = level[b] - mean;
        cr_expect(fabs(dev) < 0.5, "pink: band %.1f Hz is %+.3f dB off the -3.01 dB/oct line",
                  1000 * pow(2, (b - 15) / 3.0), dev);
        if (fabs(dev) > fabs(worst))
            worst = dev;
    }
    cr_expect_float_eq(slope, -10 * log10(2.0), 0.05, "pink psd slope %.4f dB/octave", slope);
    cr_expect_float_eq(rms, -20, 0.1, "pink rms %.4f dBFS", rms);
    cr_log_info("pink: slope %.4f dB/oct, worst band %+.3f dB, rms %.4f dBFS", slope, worst, rms);
}

Test(noise, brown_falls_6_02_db_per_octave)
{
    double level[NBANDS], slope, rms;
    third_octaves("brown", -20, level, &slope, &rms);
    /* band power of a 1/f^2 density falls 3.01 dB per octave: each band
     * against that line through the bands' mean */
    double offset = 0, worst = 0;
    for (int b = 0; b < NBANDS; b++)
        offset += (level[b] + 10 * log10(2.0) * (b - 15) / 3.0) / NBANDS;
    for (int b = 0; b < NBANDS; b++) {
        double dev = level[b] + 10 * log10(2.0) * (b - 15) / 3.0 - offset;
        if (fabs(dev) > fabs(worst))
            worst = dev;
        cr_expect(fabs(dev) < 0.5, "brown: band %.1f Hz is %+.3f dB off the -6.02 dB/oct line",
                  1000 * pow(2, (b - 15) / 3.0), dev);
    }
    cr_expect_float_eq(slope, -20 * log10(2.0), 0.1, "brown psd slope %.4f dB/octave", slope);
    cr_expect_float_eq(rms, -20, 0.3, "brown rms %.4f dBFS", rms);
    cr_log_info("brown: slope %.4f dB/oct, worst band %+.3f dB, rms %.4f dBFS", slope, worst, rms);
}

Test(noise, same_seed_same_samples_other_seed_other_samples)
{
    const char *colors[] = {"white", "pink", "brown"};
    for (int c = 0; c < 3; c++) {
        char a[96], b[96];
        snprintf(a, sizeof a, "color=%s seed=42 duration=0.5 channels=2", colors[c]);
        snprintf(b, sizeof b, "color=%s seed=43 duration=0.5 channels=2", colors[c]);
        md_node *n1 = gen_source("noise", a, 44100), *n2 = gen_source("noise", a, 44100),
                *n3 = gen_source("noise", b, 44100);
        gen_sig s1 = gen_render(n1, 4096), s2 = gen_render(n2, 4096), s3 = gen_render(n3, 4096);
        cr_expect_eq(memcmp(s1.ch[0], s2.ch[0], s1.frames * sizeof(float)), 0, "%s", colors[c]);
        cr_expect_eq(memcmp(s1.ch[1], s2.ch[1], s1.frames * sizeof(float)), 0, "%s", colors[c]);
        size_t same = 0, same_ch = 0;
        for (size_t i = 0; i < s1.frames; i++) {
            same += s1.ch[0][i] == s3.ch[0][i];
            same_ch += s1.ch[0][i] == s1.ch[1][i];
        }
        cr_expect_lt(same, s1.frames / 100, "%s: seeds 42 and 43 share %zu samples", colors[c],
                     same);
        cr_expect_lt(same_ch, s1.frames / 100, "%s: channels share %zu samples", colors[c],
                     same_ch);
        gen_sig_free(&s1);
        gen_sig_free(&s2);
        gen_sig_free(&s3);
        md_node_destroy(n1);
        md_node_destroy(n2);
        md_node_destroy(n3);
    }
}

/* --- silence, impulse -------------------------------------------------------- */

Test(silence, is_all_zero_for_the_duration)
{
    md_node *n = gen_source("silence", "duration=0.25 channels=2", 48000);
    gen_sig s = gen_render(n, 333);
    cr_expect_eq(s.frames, 12000u);
    cr_expect_eq(s.channels, 2u);
    cr_expect_eq(gen_first_nonzero(s.ch[0], s.frames), -1);
    cr_expect_eq(gen_first_nonzero(s.ch[1], s.frames), -1);
    gen_sig_free(&s);
    md_node_destroy(n);
}

Test(impulse, lands_on_the_exact_frame_at_its_level)
{
    const double rate = 44100;
    /* 0.0123456 s * 44100 = 544.44 -> 544; 0.01235 * 44100 = 544.635 -> 545 */
    const double at[] = {0, 0.0123456, 0.01235, 0.5};
    for (int k = 0; k < 4; k++) {
        char spec[96];
        snprintf(spec, sizeof spec, "at=%.10g db=-6 duration=1 channels=2", at[k]);
        md_node *n = gen_source("impulse", spec, rate);
        gen_sig s = gen_render(n, 64);
        long want = lround(at[k] * rate);
        for (unsigned c = 0; c < 2; c++) {
            cr_expect_eq(gen_first_nonzero(s.ch[c], s.frames), want, "at %g: first frame", at[k]);
            cr_expect_eq(gen_last_nonzero(s.ch[c], s.frames), want, "at %g: last frame", at[k]);
            cr_expect_float_eq(gen_db(s.ch[c][want]), -6, 1e-5);
        }
        gen_sig_free(&s);
        md_node_destroy(n);
    }
    md_error e;
    md_node *n = gen_node("impulse", "at=2 duration=1");
    md_stream st = {rate, 0, 64};
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "impulse: at"), "%s", e.msg);
    md_node_destroy(n);
}

/* --- every generator --------------------------------------------------------- */

static const char *const all_sources[][2] = {
    {"sine", "freq=1234.5 phase=17 duration=0.7 channels=2"},
    {"sweep", "start=30 stop=15000 duration=0.7 channels=2"},
    {"sweep", "start=15000 stop=30 log=false duration=0.7"},
    {"noise", "color=white duration=0.7 channels=2"},
    {"noise", "color=pink duration=0.7 channels=2"},
    {"noise", "color=brown duration=0.7 channels=3"},
    {"silence", "duration=0.7"},
    {"impulse", "at=0.3 duration=0.7"},
};

Test(generators, block_size_does_not_change_the_output)
{
    static const unsigned blocks[] = {1, 7, 64, 4096};
    for (unsigned g = 0; g < sizeof all_sources / sizeof *all_sources; g++) {
        md_node *n = gen_source(all_sources[g][0], all_sources[g][1], 44100);
        gen_sig ref = gen_render(n, 4096);
        for (unsigned b = 0; b < 4; b++) {
            md_node *m = gen_source(all_sources[g][0], all_sources[g][1], 44100);
            gen_sig s = gen_render(m, blocks[b]);
            cr_assert_eq(s.frames, ref.frames);
            for (unsigned c = 0; c < s.channels; c++)
                cr_expect_eq(memcmp(s.ch[c], ref.ch[c], s.frames * sizeof(float)), 0,
                             "%s {%s}: blocks of %u differ from 4096", all_sources[g][0],
                             all_sources[g][1], blocks[b]);
            gen_sig_free(&s);
            md_node_destroy(m);
        }
        /* reset() then a rerun is bit-identical */
        md_node_reset(n);
        gen_sig again = gen_render(n, 100);
        for (unsigned c = 0; c < again.channels; c++)
            cr_expect_eq(memcmp(again.ch[c], ref.ch[c], ref.frames * sizeof(float)), 0,
                         "%s: reset then rerun differs", all_sources[g][0]);
        gen_sig_free(&again);
        gen_sig_free(&ref);
        md_node_destroy(n);
    }
}

Test(generators, length_is_round_duration_times_rate_and_zero_is_empty)
{
    const char *types[] = {"sine", "sweep", "noise", "silence"};
    for (int t = 0; t < 4; t++) {
        md_node *n = gen_source(types[t], "duration=0.0100113", 48000); /* 480.54 -> 481 */
        cr_expect_eq(md_node_type(n)->length(n), 481, "%s", types[t]);
        md_node_destroy(n);
        n = gen_source(types[t], "duration=0", 48000);
        gen_sig s = gen_render(n, 64);
        cr_expect_eq(s.frames, 0u, "%s", types[t]);
        gen_sig_free(&s);
        md_node_destroy(n);
    }
}

Test(generators, are_registered_sources_with_duration_and_channels)
{
    const char *types[] = {"sine", "sweep", "noise", "silence", "impulse", "synth"};
    for (int t = 0; t < 6; t++) {
        const md_node_vtable *vt = md_node_lookup(types[t]);
        cr_assert(vt, "%s not registered", types[t]);
        cr_expect(vt->flags & MD_NODE_SOURCE, "%s", types[t]);
        cr_expect_eq(vt->inputs, 0u, "%s", types[t]);
        cr_expect_geq(md_param_find(vt->params, "duration"), 0, "%s", types[t]);
        int c = md_param_find(vt->params, "channels");
        cr_assert_geq(c, 0, "%s", types[t]);
        cr_expect_eq(vt->params[c].type, MD_PT_INT);
        cr_expect_eq(vt->params[c].max, 8);
    }
}

Test(generators, every_parameter_prepares_at_min_max_and_default_or_names_itself)
{
    const char *types[] = {"sine", "sweep", "noise", "silence", "impulse", "synth"};
    for (int t = 0; t < 6; t++) {
        const md_node_vtable *vt = md_node_lookup(types[t]);
        for (unsigned i = 0; vt->params[i].name; i++) {
            const md_param_desc *p = &vt->params[i];
            if (p->type != MD_PT_NUMBER && p->type != MD_PT_INT)
                continue;
            double vals[3] = {p->min, p->max, p->def};
            for (int k = 0; k < 3; k++) {
                md_error e;
                md_node *n = gen_node(types[t], "duration=0.01");
                cr_assert_eq(md_node_set_number(n, p->name, vals[k], &e), MD_OK, "%s: %s", types[t],
                             e.msg);
                md_stream st = {96000, 0, 4096};
                if (md_node_prepare(n, &st, &e) != MD_OK)
                    cr_expect(strstr(e.msg, p->name), "%s: %s = %g: %s", types[t], p->name, vals[k],
                              e.msg);
                md_node_destroy(n);
            }
            md_error e;
            md_node *n = gen_node(types[t], NULL);
            cr_expect_neq(md_node_set_number(n, p->name, p->max * 2 + 1, &e), MD_OK,
                          "%s: %s accepts a value over its range", types[t], p->name);
            cr_expect(strstr(e.msg, p->name), "%s", e.msg);
            cr_expect_neq(md_node_set_number(n, p->name, NAN, &e), MD_OK, "%s: %s accepts NaN",
                          types[t], p->name);
            md_node_destroy(n);
        }
    }
}
