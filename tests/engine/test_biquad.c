/* test_biquad.c - the filters' responses, measured from rendered impulse
 * responses, against formulas coded again here:
 *  - every eq band type vs the RBJ Audio-EQ-Cookbook (magnitude and phase);
 *  - highpass/lowpass orders 1..8 vs the Butterworth prototype through the
 *    bilinear warp, |H|^2 = 1 / (1 + (tan(pi f/fs) / tan(pi fc/fs))^(2N));
 *  - the errors for bad parameters, message text included. */
#include <complex.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filters_util.h"

#define NFREQ 32
static const double rates[] = {44100.0, 48000.0, 96000.0};

/* --- the cookbook, coded again (independently of engine/src/nodes/biquad.c) */

typedef struct rbj {
    double b[3], a[3];
} rbj;

static rbj cookbook(const char *type, double fs, double f0, double db_gain, double Q)
{
    double A = pow(10.0, db_gain / 40.0);
    double w0 = 2.0 * M_PI * f0 / fs;
    double cs = cos(w0), sn = sin(w0);
    double alpha = sn / (2.0 * Q);
    double sq = sqrt(A);
    rbj r;
    if (!strcmp(type, "lowpass")) {
        r = (rbj){{(1 - cs) / 2, 1 - cs, (1 - cs) / 2}, {1 + alpha, -2 * cs, 1 - alpha}};
    } else if (!strcmp(type, "highpass")) {
        r = (rbj){{(1 + cs) / 2, -(1 + cs), (1 + cs) / 2}, {1 + alpha, -2 * cs, 1 - alpha}};
    } else if (!strcmp(type, "bandpass")) { /* constant 0 dB peak gain */
        r = (rbj){{alpha, 0, -alpha}, {1 + alpha, -2 * cs, 1 - alpha}};
    } else if (!strcmp(type, "notch")) {
        r = (rbj){{1, -2 * cs, 1}, {1 + alpha, -2 * cs, 1 - alpha}};
    } else if (!strcmp(type, "allpass")) {
        r = (rbj){{1 - alpha, -2 * cs, 1 + alpha}, {1 + alpha, -2 * cs, 1 - alpha}};
    } else if (!strcmp(type, "bell")) {
        r = (rbj){{1 + alpha * A, -2 * cs, 1 - alpha * A}, {1 + alpha / A, -2 * cs, 1 - alpha / A}};
    } else if (!strcmp(type, "lowshelf")) {
        r = (rbj){{A * ((A + 1) - (A - 1) * cs + 2 * sq * alpha), 2 * A * ((A - 1) - (A + 1) * cs),
                   A * ((A + 1) - (A - 1) * cs - 2 * sq * alpha)},
                  {(A + 1) + (A - 1) * cs + 2 * sq * alpha, -2 * ((A - 1) + (A + 1) * cs),
                   (A + 1) + (A - 1) * cs - 2 * sq * alpha}};
    } else if (!strcmp(type, "highshelf")) {
        r = (rbj){{A * ((A + 1) + (A - 1) * cs + 2 * sq * alpha), -2 * A * ((A - 1) + (A + 1) * cs),
                   A * ((A + 1) + (A - 1) * cs - 2 * sq * alpha)},
                  {(A + 1) - (A - 1) * cs + 2 * sq * alpha, 2 * ((A - 1) - (A + 1) * cs),
                   (A + 1) - (A - 1) * cs - 2 * sq * alpha}};
    } else {
        cr_assert_fail("unknown type %s", type);
    }
    return r;
}

static double complex rbj_response(const rbj *r, double w)
{
    double complex z1 = cexp(-I * w), z2 = cexp(-2.0 * I * w);
    return (r->b[0] + r->b[1] * z1 + r->b[2] * z2) / (r->a[0] + r->a[1] * z1 + r->a[2] * z2);
}

static double log_freq(unsigned i, double fs)
{
    double lo = 20.0, hi = 0.45 * fs;
    return lo * pow(hi / lo, (double)i / (NFREQ - 1));
}

static double db(double m) { return 20.0 * log10(m); }

static double wrap_deg(double d)
{
    while (d > 180.0)
        d -= 360.0;
    while (d <= -180.0)
        d += 360.0;
    return d;
}

/* The impulse response of n (prepared mono), long enough to decay: the
 * node's tail, checked here to be below -120 dB. */
static float *long_ir(md_node *n, size_t *len_out, const char *what)
{
    size_t tail = md_node_tail(n);
    size_t len = tail + 4096;
    if (len < 8192)
        len = 8192;
    cr_assert_lt(len, (size_t)4 << 20, "%s: tail of %zu frames", what, tail);
    float *h = filt_impulse_response(n, len);
    for (size_t k = tail; k < len; k++)
        cr_assert_lt(fabsf(h[k]), 1e-6f, "%s: IR at %zu (tail %zu) is %g, above -120 dB", what,
                     k, tail, h[k]);
    *len_out = len;
    return h;
}

typedef struct setting {
    double f0, gain, q;
} setting;

static const setting settings[] = {
    {40.0, 12.0, 4.0}, {250.0, -9.0, 0.7071}, {1000.0, 6.0, 1.0},
    {4000.0, -3.0, 0.5}, {12000.0, 9.0, 2.5},
};
static const char *const types[] = {"bell",  "lowshelf", "highshelf", "highpass",
                                    "lowpass", "notch",  "bandpass",  "allpass"};

static void check_type(const char *type)
{
    unsigned checked = 0;
    double worst_db = 0, worst_deg = 0;
    for (unsigned ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
        double fs = rates[ri];
        for (unsigned si = 0; si < sizeof settings / sizeof *settings; si++) {
            const setting *st = &settings[si];
            md_node *n = filt_node("eq");
            filt_eq_bands(n, 1);
            filt_eq_band(n, 0, type, st->f0, st->gain, st->q, NULL);
            filt_prepare(n, fs, 1, 4096);
            char what[128];
            snprintf(what, sizeof what, "%s f0=%g gain=%g q=%g fs=%g", type, st->f0, st->gain,
                     st->q, fs);
            size_t len;
            float *h = long_ir(n, &len, what);
            rbj ref = cookbook(type, fs, st->f0, st->gain, st->q);
            for (unsigned i = 0; i < NFREQ; i++) {
                double f = log_freq(i, fs), w = 2.0 * M_PI * f / fs;
                double complex want = rbj_response(&ref, w);
                double re, im;
                filt_dft(h, len, w, &re, &im);
                double complex got = re + I * im;
                if (db(cabs(want)) < -60.0)
                    continue; /* float output: measurable to about -60 dB */
                cr_assert_float_eq(db(cabs(got)), db(cabs(want)), 0.01,
                                   "%s: magnitude at %.1f Hz: got %.4f dB, want %.4f dB", what,
                                   f, db(cabs(got)), db(cabs(want)));
                double dphi = wrap_deg((carg(got) - carg(want)) * 180.0 / M_PI);
                cr_assert_lt(fabs(dphi), 0.5, "%s: phase at %.1f Hz off by %.3f degrees", what,
                             f, dphi);
                worst_db = fmax(worst_db, fabs(db(cabs(got)) - db(cabs(want))));
                worst_deg = fmax(worst_deg, fabs(dphi));
                checked++;
            }
            free(h);
            md_node_destroy(n);
        }
    }
    cr_log_info("%s: %u points, worst %.2e dB, %.2e degrees", type, checked, worst_db,
                worst_deg);
    /* most points must have been compared, not skipped */
    cr_assert_gt(checked, 3 * 5 * NFREQ / 2, "%s: only %u points compared", type, checked);
}

Test(biquad, bell_matches_rbj) { check_type("bell"); }
Test(biquad, lowshelf_matches_rbj_q_form) { check_type("lowshelf"); }
Test(biquad, highshelf_matches_rbj_q_form) { check_type("highshelf"); }
Test(biquad, highpass_band_matches_rbj) { check_type("highpass"); }
Test(biquad, lowpass_band_matches_rbj) { check_type("lowpass"); }
Test(biquad, notch_matches_rbj) { check_type("notch"); }
Test(biquad, bandpass_matches_rbj) { check_type("bandpass"); }
Test(biquad, allpass_matches_rbj) { check_type("allpass"); }

Test(biquad, every_type_is_covered)
{
    /* the table lists exactly the types tested above */
    const md_node_vtable *vt = md_node_lookup("eq");
    cr_assert_not_null(vt);
    const md_param_desc *type = &vt->params[0].fields[0];
    cr_assert_str_eq(type->name, "type");
    unsigned n = 0;
    while (type->choices[n])
        n++;
    cr_assert_eq(n, sizeof types / sizeof *types);
    for (unsigned i = 0; i < n; i++)
        cr_assert_str_eq(type->choices[i], types[i]);
}

/* --- Butterworth ----------------------------------------------------------- */

static void check_butterworth(const char *kind)
{
    static const double cutoffs[] = {50.0, 1000.0, 9000.0};
    int hp = !strcmp(kind, "highpass");
    double worst = 0;
    for (unsigned ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
        double fs = rates[ri];
        for (unsigned order = 1; order <= 8; order++) {
            for (unsigned ci = 0; ci < sizeof cutoffs / sizeof *cutoffs; ci++) {
                double fc = cutoffs[ci];
                md_node *n = filt_node(kind);
                md_error err = {0};
                cr_assert_eq(md_node_set_number(n, "freq", fc, &err), MD_OK, "%s", err.msg);
                cr_assert_eq(md_node_set_number(n, "order", order, &err), MD_OK, "%s", err.msg);
                filt_prepare(n, fs, 1, 4096);
                char what[96];
                snprintf(what, sizeof what, "%s order %u fc=%g fs=%g", kind, order, fc, fs);
                size_t len;
                float *h = long_ir(n, &len, what);
                unsigned checked = 0;
                for (unsigned i = 0; i < NFREQ; i++) {
                    double f = log_freq(i, fs), w = 2.0 * M_PI * f / fs;
                    double ratio = tan(M_PI * f / fs) / tan(M_PI * fc / fs);
                    if (hp)
                        ratio = 1.0 / ratio;
                    double want = -10.0 * log10(1.0 + pow(ratio, 2.0 * order));
                    if (want < -60.0)
                        continue;
                    double re, im;
                    filt_dft(h, len, w, &re, &im);
                    double got = 10.0 * log10(re * re + im * im);
                    cr_assert_float_eq(got, want, 0.05, "%s: at %.1f Hz got %.4f dB, want %.4f dB",
                                       what, f, got, want);
                    worst = fmax(worst, fabs(got - want));
                    checked++;
                }
                cr_assert_geq(checked, 4, "%s: only %u points in range", what, checked);
                free(h);
                md_node_destroy(n);
            }
        }
    }
    cr_log_info("%s orders 1..8: worst %.2e dB", kind, worst);
}

Test(biquad, highpass_orders_1_to_8_are_butterworth) { check_butterworth("highpass"); }
Test(biquad, lowpass_orders_1_to_8_are_butterworth) { check_butterworth("lowpass"); }

Test(biquad, order_2_q_is_the_rbj_q)
{
    const char *kinds[] = {"highpass", "lowpass"};
    for (int k = 0; k < 2; k++) {
        md_node *n = filt_node(kinds[k]);
        md_error err = {0};
        cr_assert_eq(md_node_set_number(n, "freq", 700.0, &err), MD_OK);
        cr_assert_eq(md_node_set_number(n, "q", 3.0, &err), MD_OK);
        filt_prepare(n, 48000.0, 1, 4096);
        size_t len;
        float *h = long_ir(n, &len, kinds[k]);
        rbj ref = cookbook(kinds[k], 48000.0, 700.0, 0.0, 3.0);
        for (unsigned i = 0; i < NFREQ; i++) {
            double f = log_freq(i, 48000.0), w = 2.0 * M_PI * f / 48000.0;
            double complex want = rbj_response(&ref, w);
            if (db(cabs(want)) < -60.0)
                continue;
            double re, im;
            filt_dft(h, len, w, &re, &im);
            cr_assert_float_eq(10.0 * log10(re * re + im * im), db(cabs(want)), 0.01,
                               "%s q=3 at %.1f Hz", kinds[k], f);
        }
        free(h);
        md_node_destroy(n);
    }
}

/* --- errors ------------------------------------------------------------------ */

static void expect_prepare_error(md_node *n, double rate, unsigned ch, const char *msg)
{
    md_stream s = {rate, ch, 256};
    md_error err = {0};
    cr_assert_eq(md_node_prepare(n, &s, &err), MD_ERR_INVALID, "prepare should fail: %s", msg);
    cr_assert_str_eq(err.msg, msg);
}

Test(biquad, freq_at_or_above_nyquist_is_refused)
{
    md_node *n = filt_node("highpass");
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "freq", 30000.0, &err), MD_OK);
    expect_prepare_error(n, 44100.0, 2,
                         "highpass: freq must be below 22050 Hz (half the sample rate), got 30000");
    cr_assert_eq(md_node_set_number(n, "freq", 22050.0, &err), MD_OK);
    expect_prepare_error(n, 44100.0, 2,
                         "highpass: freq must be below 22050 Hz (half the sample rate), got 22050");
    md_node_destroy(n);

    n = filt_node("lowpass");
    cr_assert_eq(md_node_set_number(n, "freq", 24000.0, &err), MD_OK);
    expect_prepare_error(n, 48000.0, 1,
                         "lowpass: freq must be below 24000 Hz (half the sample rate), got 24000");
    md_node_destroy(n);

    n = filt_node("eq");
    filt_eq_bands(n, 2);
    filt_eq_band(n, 0, "bell", 1000.0, 3.0, 1.0, NULL);
    filt_eq_band(n, 1, "highshelf", 25000.0, 3.0, 1.0, NULL);
    expect_prepare_error(n, 48000.0, 2,
                         "eq: bands 2: freq must be below 24000 Hz (half the sample rate), got "
                         "25000");
    md_node_destroy(n);
}

Test(biquad, q_with_an_order_other_than_2_is_refused)
{
    md_node *n = filt_node("lowpass");
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "freq", 5000.0, &err), MD_OK);
    cr_assert_eq(md_node_set_number(n, "q", 1.0, &err), MD_OK);
    cr_assert_eq(md_node_set_number(n, "order", 3.0, &err), MD_OK);
    expect_prepare_error(n, 44100.0, 2,
                         "lowpass: q only applies to order 2 (higher orders are Butterworth), "
                         "got q = 1 with order = 3");
    cr_assert_eq(md_node_set_number(n, "order", 2.0, &err), MD_OK);
    md_stream s = {44100.0, 2, 256};
    cr_assert_eq(md_node_prepare(n, &s, &err), MD_OK, "%s", err.msg);
    md_node_destroy(n);
}

Test(biquad, order_outside_1_to_8_is_refused)
{
    md_node *n = filt_node("highpass");
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "order", 9.0, &err), MD_ERR_INVALID);
    cr_assert_str_eq(err.msg, "highpass: order must be <= 8 (range 1..8), got 9");
    md_node_destroy(n);
}

Test(biquad, unknown_band_type_or_channel_is_refused)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 2);
    md_error err = {0};
    cr_assert_eq(md_node_set_item_string(n, "bands", 1, "type", "peaking", &err),
                 MD_ERR_INVALID);
    cr_assert_str_eq(err.msg, "eq: bands 2: type must be one of bell, lowshelf, highshelf, "
                              "highpass, lowpass, notch, bandpass, allpass, got 'peaking'");
    cr_assert_eq(md_node_set_item_string(n, "bands", 0, "channel", "center", &err),
                 MD_ERR_INVALID);
    cr_assert_str_eq(err.msg,
                     "eq: bands 1: channel must be one of all, left, right, mid, side, got "
                     "'center'");
    md_node_destroy(n);
}

Test(biquad, gain_outside_48_db_is_refused)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 1);
    md_error err = {0};
    cr_assert_eq(md_node_set_item_number(n, "bands", 0, "gain", 60.0, &err), MD_ERR_INVALID);
    cr_assert_str_eq(err.msg, "eq: bands 1: gain must be <= 48 dB (range -48..48), got 60");
    md_node_destroy(n);
}
