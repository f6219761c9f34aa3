/* test_width.c - width{amount, bass_mono}, ms_encode, ms_decode: mid/side
 * arithmetic checked against M = (L+R)/2, S = (L-R)/2 coded here again;
 * bass_mono against the Linkwitz-Riley magnitude formula and by the L/R
 * correlation of the output's low band. */
#include "color_test.h"
#include "mixdown/md.h"
#include "ts_signal.h"
#include <criterion/criterion.h>
#include <kiss_fftr.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100.0

static color_sig stereo_noise(unsigned frames, uint64_t seed)
{
    color_sig s = color_sig_new(2, frames);
    ts_noise(s.x[0], frames, 0.1, seed);
    ts_noise(s.x[1], frames, 0.1, seed + 77);
    return s;
}

static color_sig process(const char *name, const char *const *set, const color_sig *in)
{
    md_node *n = color_make(name, 2, RATE, set);
    color_sig out = color_sig_new(2, in->frames);
    color_run(n, in, &out, 1024, NULL, 0);
    md_node_destroy(n);
    return out;
}

Test(width, amount_0_is_mono_left_equals_right)
{
    color_sig in = stereo_noise(20000, 1);
    const char *set[] = {"amount=0", NULL};
    color_sig out = process("width", set, &in);
    for (unsigned i = 0; i < in.frames; i++) {
        cr_assert(out.x[0][i] == out.x[1][i], "L != R at %u: %g %g", i, out.x[0][i], out.x[1][i]);
        double m = 0.5 * ((double)in.x[0][i] + in.x[1][i]);
        cr_assert(fabs(out.x[0][i] - m) <= 1e-7 * (fabs(m) + 1e-30), "M at %u", i);
    }
    color_sig_free(&in);
    color_sig_free(&out);
}

Test(width, amount_1_passes_bit_for_bit)
{
    color_sig in = stereo_noise(20000, 2);
    color_sig out = process("width", NULL, &in);
    for (unsigned c = 0; c < 2; c++)
        cr_assert(memcmp(in.x[c], out.x[c], sizeof(float) * in.frames) == 0, "channel %u changed",
                  c);
    color_sig_free(&in);
    color_sig_free(&out);
}

static void check_side_scale(double amount)
{
    char a[32];
    snprintf(a, sizeof a, "amount=%g", amount);
    const char *set[] = {a, NULL};
    color_sig in = stereo_noise(20000, 3);
    color_sig out = process("width", set, &in);
    double worst_m = 0, worst_s = 0;
    for (unsigned i = 0; i < in.frames; i++) {
        double l = in.x[0][i], r = in.x[1][i], lo = out.x[0][i], ro = out.x[1][i];
        worst_m = fmax(worst_m, fabs((lo + ro) / 2 - (l + r) / 2));
        worst_s = fmax(worst_s, fabs((lo - ro) / 2 - amount * (l - r) / 2));
    }
    cr_assert(worst_m < 1e-7, "amount %g: mid changed by %g", amount, worst_m);
    cr_assert(worst_s < 1e-7, "amount %g: side off by %g", amount, worst_s);
    color_sig_free(&in);
    color_sig_free(&out);
}

Test(width, amount_2_doubles_the_side)
{
    check_side_scale(2.0);
}
Test(width, amount_half_halves_the_side)
{
    check_side_scale(0.5);
}

static void to_zero(md_node *n)
{
    cr_assert_eq(md_node_set_number(n, "amount", 0.0, NULL), MD_OK);
}

Test(width, amount_changes_glide_over_10_ms)
{
    /* left only: S = L / 2 throughout, so the side's gain is S_out / S_in */
    unsigned frames = 8192, at = 4096;
    color_sig in = color_sig_new(2, frames);
    ts_sine(in.x[0], frames, 997.0, RATE, 0.5, 0.3);
    md_node *n = color_make("width", 2, RATE, NULL);
    color_sig out = color_sig_new(2, frames);
    color_run(n, &in, &out, 64, to_zero, at);
    md_node_destroy(n);
    /* a one-pole glide with a 10 ms time constant, from 1 to 0 */
    for (unsigned k = 1; k < 3000; k += 37) {
        unsigned i = at + k;
        if (fabs(in.x[0][i]) < 0.05)
            continue;
        double got = (out.x[0][i] - out.x[1][i]) / in.x[0][i];
        double want = exp(-(double)(k + 1) / (0.010 * RATE));
        cr_assert(fabs(got - want) < 2e-3, "%u frames after the change: gain %g, want %g", k, got,
                  want);
    }
    color_sig_free(&in);
    color_sig_free(&out);
}

/* Correlation of the two channels over the bins between lo_hz and hi_hz,
 * from cross-spectra of 50 %-overlapped Hann-windowed segments. */
static double band_correlation(const color_sig *s, unsigned start, double lo_hz, double hi_hz)
{
    const unsigned n = 16384;
    kiss_fftr_cfg cfg = kiss_fftr_alloc(n, 0, NULL, NULL);
    float *w = malloc(sizeof(float) * n);
    kiss_fft_cpx *a = malloc(sizeof(kiss_fft_cpx) * (n / 2 + 1));
    kiss_fft_cpx *b = malloc(sizeof(kiss_fft_cpx) * (n / 2 + 1));
    double sab = 0, saa = 0, sbb = 0;
    for (unsigned seg = start; seg + n <= s->frames; seg += n / 2) {
        for (int c = 0; c < 2; c++) {
            for (unsigned i = 0; i < n; i++)
                w[i] = (float)(s->x[c][seg + i] * (0.5 - 0.5 * cos(2 * M_PI * i / n)));
            kiss_fftr(cfg, w, c ? b : a);
        }
        for (unsigned k = 1; k < n / 2; k++) {
            double f = k * RATE / n;
            if (f < lo_hz || f > hi_hz)
                continue;
            sab += (double)a[k].r * b[k].r + (double)a[k].i * b[k].i;
            saa += (double)a[k].r * a[k].r + (double)a[k].i * a[k].i;
            sbb += (double)b[k].r * b[k].r + (double)b[k].i * b[k].i;
        }
    }
    kiss_fftr_free(cfg);
    free(w);
    free(a);
    free(b);
    return sab / sqrt(saa * sbb);
}

Test(width, bass_mono_makes_the_low_band_mono)
{
    const double fc = 150.0;
    color_sig in = stereo_noise(10 * 16384, 4);
    const char *set[] = {"bass_mono=150", NULL};
    color_sig out = process("width", set, &in);
    double in_low = band_correlation(&in, 0, 10.0, fc / 2);
    double out_low = band_correlation(&out, 8192, 10.0, fc / 2);
    double out_below = band_correlation(&out, 8192, 10.0, fc);
    double in_high = band_correlation(&in, 0, 4 * fc, 20000.0);
    double out_high = band_correlation(&out, 8192, 4 * fc, 20000.0);
    fprintf(stderr,
            "[color] width bass_mono 150 Hz: L/R correlation 10-75 Hz %.4f (input %.4f), "
            "10-150 Hz %.4f; 600 Hz-20 kHz %.4f (input %.4f)\n",
            out_low, in_low, out_below, out_high, in_high);
    cr_assert(fabs(in_low) < 0.1, "the input's low band should be decorrelated: %g", in_low);
    cr_assert(out_low >= 0.99, "correlation below the crossover %g < 0.99", out_low);
    cr_assert(fabs(out_high - in_high) < 0.05, "above the crossover the image changed: %g -> %g",
              in_high, out_high);
    color_sig_free(&in);
    color_sig_free(&out);
}

Test(width, bass_mono_side_follows_the_linkwitz_riley_high_pass)
{
    const double fc = 120.0;
    const double freqs[] = {30, 60, 90, 120, 180, 300, 1000, 8000};
    for (unsigned k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
        double f = freqs[k];
        color_sig in = color_sig_new(2, 32768 + 65536);
        ts_sine(in.x[0], in.frames, f, RATE, 0.4, 0.0);
        ts_sine(in.x[1], in.frames, f, RATE, -0.4, 0.0); /* pure side */
        const char *set[] = {"bass_mono=120", NULL};
        color_sig out = process("width", set, &in);
        color_sig side = color_sig_new(1, 65536);
        for (unsigned i = 0; i < 65536; i++)
            side.x[0][i] = (out.x[0][32768 + i] - out.x[1][32768 + i]) / 2;
        double got = color_line_db(side.x[0], 65536, f, RATE) - 20 * log10(0.4);
        /* LR4 = Butterworth 2nd order squared: |H| = r^4 / (1 + r^4), r the
         * bilinear-prewarped frequency ratio */
        double r = tan(M_PI * f / RATE) / tan(M_PI * fc / RATE);
        double want = 20 * log10(pow(r, 4) / (1 + pow(r, 4)));
        cr_assert(fabs(got - want) < 0.05, "side at %g Hz: %.3f dB, LR4 says %.3f dB", f, got,
                  want);
        color_sig_free(&in);
        color_sig_free(&out);
        color_sig_free(&side);
    }
}

Test(width, bass_mono_keeps_the_mid_flat)
{
    const double freqs[] = {20, 40, 80, 120, 160, 250, 500, 2000, 10000, 19000};
    double worst = 0;
    for (unsigned k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
        double f = freqs[k];
        color_sig in = color_sig_new(2, 32768 + 65536);
        ts_sine(in.x[0], in.frames, f, RATE, 0.5, 0.0);
        ts_sine(in.x[1], in.frames, f, RATE, 0.2, 1.0); /* mid and side, out of phase */
        const char *set[] = {"bass_mono=120", "amount=1.5", NULL};
        color_sig out = process("width", set, &in);
        color_sig mi = color_sig_new(1, 65536), mo = color_sig_new(1, 65536);
        for (unsigned i = 0; i < 65536; i++) {
            mi.x[0][i] = (in.x[0][32768 + i] + in.x[1][32768 + i]) / 2;
            mo.x[0][i] = (out.x[0][32768 + i] + out.x[1][32768 + i]) / 2;
        }
        double d = color_line_db(mo.x[0], 65536, f, RATE) - color_line_db(mi.x[0], 65536, f, RATE);
        worst = fmax(worst, fabs(d));
        cr_assert(fabs(d) < 0.1, "mid at %g Hz changed by %.3f dB", f, d);
        color_sig_free(&in);
        color_sig_free(&out);
        color_sig_free(&mi);
        color_sig_free(&mo);
    }
    fprintf(stderr, "[color] width bass_mono 120 Hz: mid magnitude within %.4f dB\n", worst);
}

static void expect_stereo_error(const char *name)
{
    md_error err = {0};
    md_node *n = md_node_create(md_node_lookup(name), &err);
    cr_assert_not_null(n);
    md_stream st = {RATE, 1, 256};
    cr_assert_eq(md_node_prepare(n, &st, &err), MD_ERR_GRAPH, "%s accepted mono", name);
    char want[96];
    snprintf(want, sizeof want, "%s: needs 2 channels (left and right), got 1", name);
    cr_assert_str_eq(err.msg, want);
    md_node_destroy(n);
}

Test(width, mono_input_is_an_error_naming_the_node)
{
    expect_stereo_error("width");
    expect_stereo_error("ms_encode");
    expect_stereo_error("ms_decode");
}

Test(width, bass_mono_above_the_band_is_refused)
{
    md_error err = {0};
    md_node *n = md_node_create(md_node_lookup("width"), &err);
    cr_assert_eq(md_node_set_number(n, "bass_mono", 2000, &err), MD_OK);
    md_stream st = {4000.0, 2, 256};
    cr_assert_eq(md_node_prepare(n, &st, &err), MD_ERR_INVALID);
    cr_assert(strstr(err.msg, "width: bass_mono must be below") == err.msg, "%s", err.msg);
    md_node_destroy(n);
}

Test(ms, encode_gives_mid_and_side_and_decode_inverts_it)
{
    color_sig in = stereo_noise(20000, 5);
    color_sig ms = process("ms_encode", NULL, &in);
    color_sig back = process("ms_decode", NULL, &ms);
    for (unsigned i = 0; i < in.frames; i++) {
        double l = in.x[0][i], r = in.x[1][i];
        cr_assert(fabs(ms.x[0][i] - (l + r) / 2) <= 6e-8 * fabs((l + r) / 2), "M at %u", i);
        cr_assert(fabs(ms.x[1][i] - (l - r) / 2) <= 6e-8 * fabs((l - r) / 2), "S at %u", i);
        cr_assert(fabs(back.x[0][i] - l) <= 1e-7 * (fabs(l) + fabs(r)), "L at %u", i);
        cr_assert(fabs(back.x[1][i] - r) <= 1e-7 * (fabs(l) + fabs(r)), "R at %u", i);
    }
    color_sig_free(&in);
    color_sig_free(&ms);
    color_sig_free(&back);
}

/* --- contract ------------------------------------------------------------------ */

static md_node *make_width(void)
{
    const char *set[] = {"amount=1.7", NULL};
    return color_make("width", 2, RATE, set);
}
static md_node *make_width_bass(void)
{
    const char *set[] = {"amount=0.6", "bass_mono=100", NULL};
    return color_make("width", 2, RATE, set);
}
static md_node *make_enc(void)
{
    return color_make("ms_encode", 2, RATE, NULL);
}
static md_node *make_dec(void)
{
    return color_make("ms_decode", 2, RATE, NULL);
}
static void amount_change(md_node *n)
{
    cr_assert_eq(md_node_set_number(n, "amount", 0.2, NULL), MD_OK);
}

Test(width, contract)
{
    color_sig in = stereo_noise(3 * 28672, 6);
    color_contract("width", make_width, amount_change, &in);
    color_contract("width bass_mono", make_width_bass, amount_change, &in);
    color_contract("ms_encode", make_enc, NULL, &in);
    color_contract("ms_decode", make_dec, NULL, &in);
    color_sig_free(&in);
}

Test(width, parameters_are_validated)
{
    color_check_params("width", 2, 96000.0);
    color_check_params("ms_encode", 2, 96000.0);
    color_check_params("ms_decode", 2, 96000.0);
}
