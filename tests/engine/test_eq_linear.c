/* test_eq_linear.c - eq{linear_phase = true}, measured from rendered impulse
 * responses against the RBJ Audio-EQ-Cookbook coded again here:
 *  - the magnitude equals the biquad cascade's |H| within 0.1 dB from 30 Hz
 *    to 20 kHz (a typical 5-band setting, 44.1 and 48 kHz);
 *  - linear phase: the response is symmetric around the reported latency,
 *    whose sample is the peak, and the phase after removing that delay is
 *    within 1 degree of 0 wherever |H| > -40 dB;
 *  - per-channel bands (left, right, mid, side) on stereo;
 *  - block-size independence with a parameter change, reset, the crossfade
 *    to a new design, the tail, the FIR length, and the refusals. */
#include <complex.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "filters_util.h"
#include "mixdown/md_eq.h"

/* --- no allocation while rendering ------------------------------------------------ */

/* malloc and friends, interposed: counted while `watching` (not under
 * AddressSanitizer, which owns malloc) */
#if defined(__SANITIZE_ADDRESS__)
#define INTERPOSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INTERPOSE 0
#endif
#endif
#ifndef INTERPOSE
#define INTERPOSE 1
#endif

static volatile int watching, allocations;
#if INTERPOSE
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n) { allocations += watching; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations += watching; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations += watching; return __libc_realloc(p, n); }
void free(void *p) { allocations += watching; __libc_free(p); }
#endif

/* --- the cookbook, coded again (independently of engine/src/nodes) ------------ */

typedef struct band {
    const char *type;
    double f0, gain, q;
    const char *ch; /* NULL = all */
} band;

static double complex cookbook(const band *b, double fs, double w)
{
    double A = pow(10.0, b->gain / 40.0), w0 = 2.0 * M_PI * b->f0 / fs;
    double cs = cos(w0), alpha = sin(w0) / (2.0 * b->q), sq = 2.0 * sqrt(A) * alpha;
    double B[3], Ad[3];
    if (!strcmp(b->type, "bell")) {
        B[0] = 1 + alpha * A, B[1] = -2 * cs, B[2] = 1 - alpha * A;
        Ad[0] = 1 + alpha / A, Ad[1] = -2 * cs, Ad[2] = 1 - alpha / A;
    } else if (!strcmp(b->type, "lowshelf")) {
        B[0] = A * ((A + 1) - (A - 1) * cs + sq), B[1] = 2 * A * ((A - 1) - (A + 1) * cs);
        B[2] = A * ((A + 1) - (A - 1) * cs - sq);
        Ad[0] = (A + 1) + (A - 1) * cs + sq, Ad[1] = -2 * ((A - 1) + (A + 1) * cs);
        Ad[2] = (A + 1) + (A - 1) * cs - sq;
    } else if (!strcmp(b->type, "highshelf")) {
        B[0] = A * ((A + 1) + (A - 1) * cs + sq), B[1] = -2 * A * ((A - 1) + (A + 1) * cs);
        B[2] = A * ((A + 1) + (A - 1) * cs - sq);
        Ad[0] = (A + 1) - (A - 1) * cs + sq, Ad[1] = 2 * ((A - 1) - (A + 1) * cs);
        Ad[2] = (A + 1) - (A - 1) * cs - sq;
    } else if (!strcmp(b->type, "highpass")) {
        B[0] = (1 + cs) / 2, B[1] = -(1 + cs), B[2] = (1 + cs) / 2;
        Ad[0] = 1 + alpha, Ad[1] = -2 * cs, Ad[2] = 1 - alpha;
    } else if (!strcmp(b->type, "lowpass")) {
        B[0] = (1 - cs) / 2, B[1] = 1 - cs, B[2] = (1 - cs) / 2;
        Ad[0] = 1 + alpha, Ad[1] = -2 * cs, Ad[2] = 1 - alpha;
    } else {
        cr_assert_fail("type %s not coded here", b->type);
        return 0;
    }
    double complex z1 = cexp(-I * w), z2 = cexp(-2.0 * I * w);
    return (B[0] + B[1] * z1 + B[2] * z2) / (Ad[0] + Ad[1] * z1 + Ad[2] * z2);
}

static double cascade_mag(const band *b, unsigned nb, double fs, double f)
{
    double m = 1.0;
    for (unsigned i = 0; i < nb; i++)
        m *= cabs(cookbook(&b[i], fs, 2.0 * M_PI * f / fs));
    return m;
}

static double db(double m) { return 20.0 * log10(m); }

/* A typical mastering/mix setting: rumble filter, warmth, mud cut, presence, air. */
static const band typical[] = {
    {"highpass", 30.0, 0.0, 0.7071, NULL},   {"lowshelf", 120.0, 3.0, 0.7071, NULL},
    {"bell", 350.0, -4.0, 1.4, NULL},        {"bell", 3000.0, 2.5, 1.0, NULL},
    {"highshelf", 10000.0, 3.0, 0.7071, NULL},
};

static md_node *linear_eq(const band *b, unsigned nb, double fs, unsigned nch, unsigned block)
{
    md_node *n = filt_node("eq");
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "linear_phase", 1, &err), MD_OK, "%s", err.msg);
    filt_eq_bands(n, nb);
    for (unsigned i = 0; i < nb; i++)
        filt_eq_band(n, i, b[i].type, b[i].f0, b[i].gain, b[i].q, b[i].ch);
    filt_prepare(n, fs, nch, block);
    return n;
}

/* Impulse response of channel `out` for an impulse on channel `in` (stereo,
 * or mono with in = out = 0), len frames. */
static float *ir_of(md_node *n, unsigned nch, unsigned in, unsigned out, size_t len,
                    unsigned block)
{
    float **x = filt_alloc(nch, len);
    x[in][0] = 1.0f;
    md_node_reset(n);
    filt_run(n, x, x, nch, len, block);
    float *h = malloc(len * sizeof *h);
    memcpy(h, x[out], len * sizeof *h);
    filt_free(x, nch);
    return h;
}

static double log_freq(unsigned i, unsigned count, double lo, double hi)
{
    return lo * pow(hi / lo, (double)i / (count - 1));
}

/* --- magnitude and phase ------------------------------------------------------ */

static void check_typical(double fs)
{
    md_node *n = linear_eq(typical, 5, fs, 1, 4096);
    unsigned lat = md_node_latency(n), taps = md_eq_fir_taps(n);
    cr_assert_eq(taps, 2 * lat + 1, "taps %u, latency %u", taps, lat);
    size_t len = taps + 4096;
    float *h = ir_of(n, 1, 0, 0, len, 4096);
    double worst_db = 0, worst_deg = 0, worst_f = 0;
    unsigned checked = 0;
    for (unsigned i = 0; i < 240; i++) {
        double f = log_freq(i, 240, 30.0, 20000.0), w = 2.0 * M_PI * f / fs;
        double re, im;
        filt_dft(h, len, w, &re, &im);
        double complex got = (re + I * im) * cexp(I * w * lat); /* the delay removed */
        double want = cascade_mag(typical, 5, fs, f);
        double e = fabs(db(cabs(got)) - db(want));
        if (e > worst_db)
            worst_db = e, worst_f = f;
        cr_assert_leq(e, 0.1, "fs %g: |H| at %.1f Hz: %.4f dB, the cascade %.4f dB", fs, f,
                      db(cabs(got)), db(want));
        if (db(want) > -40.0) {
            double deg = fabs(carg(got)) * 180.0 / M_PI;
            worst_deg = fmax(worst_deg, deg);
            cr_assert_lt(deg, 1.0, "fs %g: phase at %.1f Hz is %.3f degrees after the delay",
                         fs, f, deg);
            checked++;
        }
    }
    cr_assert_gt(checked, 200);
    cr_log_info("fs %g: %u taps, latency %u; worst %.4f dB (at %.1f Hz), %.2e degrees", fs,
                taps, lat, worst_db, worst_f, worst_deg);
    free(h);
    md_node_destroy(n);
}

Test(eq_linear, magnitude_is_the_rbj_cascade_and_phase_is_linear_at_44100)
{
    check_typical(44100.0);
}

Test(eq_linear, magnitude_is_the_rbj_cascade_and_phase_is_linear_at_48000)
{
    check_typical(48000.0);
}

Test(eq_linear, impulse_response_is_symmetric_around_the_latency_and_peaks_there)
{
    double fs = 44100.0;
    md_node *n = linear_eq(typical, 5, fs, 1, 1000);
    unsigned lat = md_node_latency(n);
    size_t len = 2 * (size_t)lat + 5000;
    float *h = ir_of(n, 1, 0, 0, len, 1000);
    size_t peak = 0;
    for (size_t i = 0; i < len; i++)
        if (fabsf(h[i]) > fabsf(h[peak]))
            peak = i;
    cr_assert_eq(peak, lat, "latency() is %u, the impulse peaks at %zu", lat, peak);
    double asym = 0, energy = 0;
    for (size_t k = 1; k <= lat; k++) {
        asym = fmax(asym, fabs((double)h[lat + k] - h[lat - k]));
        energy += (double)h[lat + k] * h[lat + k];
    }
    /* FFT convolution in float: symmetric to rounding, far below -100 dB */
    cr_assert_lt(asym, 1e-5 * fabsf(h[peak]), "asymmetry %g (peak %g)", asym, h[peak]);
    cr_assert_gt(energy, 1e-4, "the response is a bare delay: nothing to be symmetric");
    /* nothing after the last tap */
    float after = 0;
    for (size_t i = 2 * (size_t)lat + 1; i < len; i++)
        after = fmaxf(after, fabsf(h[i]));
    cr_assert_lt(after, 1e-6f, "%g after the FIR's last tap", after);
    cr_log_info("peak %.6f at %zu = latency; largest asymmetry %.2e", h[peak], peak, asym);
    free(h);
    md_node_destroy(n);
}

Test(eq_linear, fir_length_follows_the_lowest_narrowest_band)
{
    /* a band at 1 kHz needs the shortest FIR, a 30 Hz high-pass and a narrow
     * bell at 60 Hz need longer ones; 8191 to 32767 nonzero taps at 44.1 kHz */
    static const band mid[] = {{"bell", 1000.0, 6.0, 1.0, NULL}};
    static const band low[] = {{"bell", 60.0, 6.0, 4.0, NULL}};
    double fs = 44100.0;
    md_node *a = linear_eq(mid, 1, fs, 1, 512), *b = linear_eq(typical, 5, fs, 1, 512),
            *c = linear_eq(low, 1, fs, 1, 512);
    unsigned ta = md_eq_fir_taps(a), tb = md_eq_fir_taps(b), tc = md_eq_fir_taps(c);
    cr_log_info("taps: 1 kHz bell %u, typical %u, 60 Hz q4 bell %u", ta, tb, tc);
    /* N = 2 (K + P) + 1 with K = 16 P and P = 256, 512 or 1024 */
    cr_assert_eq(ta, 2 * (4096 + 256) + 1);
    cr_assert_gt(tb, ta);
    cr_assert_eq(tc, 2 * (16384 + 1024) + 1);
    cr_assert_eq(md_node_latency(a), (ta - 1) / 2);
    /* a minimum-phase eq has no FIR and no latency; other nodes read 0 */
    md_node *d = filt_node("eq");
    filt_prepare(d, fs, 1, 512);
    cr_assert_eq(md_eq_fir_taps(d), 0);
    cr_assert_eq(md_node_latency(d), 0);
    md_node *g = filt_node("gain");
    cr_assert_eq(md_eq_fir_taps(g), 0);
    cr_assert_eq(md_eq_fir_taps(NULL), 0);
    md_node_destroy(a);
    md_node_destroy(b);
    md_node_destroy(c);
    md_node_destroy(d);
    md_node_destroy(g);
}

/* --- per-channel bands ---------------------------------------------------------- */

Test(eq_linear, left_band_filters_left_only)
{
    double fs = 48000.0;
    static const band b[] = {{"bell", 1000.0, 6.0, 1.0, "left"},
                             {"highshelf", 6000.0, -3.0, 0.7071, NULL}};
    md_node *n = linear_eq(b, 2, fs, 2, 1024);
    unsigned lat = md_node_latency(n);
    size_t len = 2 * (size_t)lat + 2048;
    float *ll = ir_of(n, 2, 0, 0, len, 1024), *lr = ir_of(n, 2, 0, 1, len, 1024);
    float *rr = ir_of(n, 2, 1, 1, len, 1024);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(lr[i], 0.0f, "left leaks into right at %zu: %g", i, lr[i]);
    for (unsigned i = 0; i < 60; i++) {
        double f = log_freq(i, 60, 30.0, 20000.0), w = 2.0 * M_PI * f / fs, re, im;
        filt_dft(ll, len, w, &re, &im);
        double want = cascade_mag(b, 2, fs, f);
        cr_assert_float_eq(db(hypot(re, im)), db(want), 0.1, "left at %.1f Hz", f);
        filt_dft(rr, len, w, &re, &im);
        want = cascade_mag(b + 1, 1, fs, f);
        cr_assert_float_eq(db(hypot(re, im)), db(want), 0.1, "right at %.1f Hz", f);
    }
    free(ll);
    free(lr);
    free(rr);
    md_node_destroy(n);
}

Test(eq_linear, mid_and_side_bands_act_on_mid_and_side)
{
    /* L = R: only the mid band acts, and the output stays L = R; L = -R: only
     * the side band acts */
    double fs = 44100.0;
    static const band b[] = {{"bell", 800.0, 6.0, 1.0, "mid"}, {"bell", 5000.0, -6.0, 2.0, "side"}};
    md_node *n = linear_eq(b, 2, fs, 2, 1024);
    unsigned lat = md_node_latency(n);
    size_t len = 2 * (size_t)lat + 2048;
    for (int sign = 1; sign >= -1; sign -= 2) {
        float **x = filt_alloc(2, len);
        x[0][0] = 0.5f;
        x[1][0] = 0.5f * (float)sign;
        md_node_reset(n);
        filt_run(n, x, x, 2, len, 1024);
        double d = 0;
        for (size_t i = 0; i < len; i++)
            d = fmax(d, fabs((double)x[0][i] - sign * x[1][i]));
        cr_assert_lt(d, 1e-6, "sign %d: the output is no longer L = %sR (%g)", sign,
                     sign > 0 ? "" : "-", d);
        const band *which = sign > 0 ? &b[0] : &b[1];
        for (unsigned i = 0; i < 60; i++) {
            double f = log_freq(i, 60, 30.0, 20000.0), w = 2.0 * M_PI * f / fs, re, im;
            filt_dft(x[0], len, w, &re, &im);
            double want = 0.5 * cascade_mag(which, 1, fs, f);
            cr_assert_float_eq(db(hypot(re, im)), db(want), 0.1, "%s band at %.1f Hz",
                               sign > 0 ? "mid" : "side", f);
        }
        filt_free(x, 2);
    }
    md_node_destroy(n);
}

/* --- streaming ------------------------------------------------------------------- */

static void set_item(md_node *n, unsigned item, const char *field, double v)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_item_number(n, "bands", item, field, v, &err), MD_OK, "%s",
                 err.msg);
}

#define SLEN 120000
#define CHANGE 50001

/* Noise through the typical setting in blocks of `block`; at CHANGE the bell
 * at 3 kHz moves to 5 kHz, +6 dB. */
static void render(md_node *n, float **x, float **y, unsigned block)
{
    md_node_reset(n);
    set_item(n, 3, "freq", 3000.0);
    set_item(n, 3, "gain", 2.5);
    md_node_reset(n);
    for (size_t done = 0; done < SLEN;) {
        if (done == CHANGE) {
            set_item(n, 3, "freq", 5000.0);
            set_item(n, 3, "gain", 6.0);
        }
        size_t end = done + block < SLEN ? done + block : SLEN;
        if (done < CHANGE && end > CHANGE)
            end = CHANGE;
        const float *ip[2] = {x[0] + done, x[1] + done};
        float *op[2] = {y[0] + done, y[1] + done};
        md_node_run(n, ip, op, (unsigned)(end - done));
        done = end;
    }
}

Test(eq_linear, output_does_not_depend_on_block_size_and_reset_reruns_identically)
{
    float **x = filt_alloc(2, SLEN), **ref = filt_alloc(2, SLEN), **y = filt_alloc(2, SLEN);
    filt_noise(x[0], SLEN, 5, 0.1);
    filt_noise(x[1], SLEN, 6, 0.1);
    md_node *n = linear_eq(typical, 5, 44100.0, 2, 4096);
    render(n, x, ref, 4096);
    static const unsigned blocks[] = {1, 7, 64, 1000, 4096};
    for (unsigned b = 0; b < 5; b++) {
        render(n, x, y, blocks[b]);
        for (int c = 0; c < 2; c++)
            cr_assert_eq(memcmp(ref[c], y[c], SLEN * sizeof(float)), 0,
                         "blocks of %u differ from blocks of 4096 (channel %d)", blocks[b], c);
    }
    /* in place equals out of place */
    float **z = filt_alloc(2, SLEN);
    memcpy(z[0], x[0], SLEN * sizeof(float));
    memcpy(z[1], x[1], SLEN * sizeof(float));
    render(n, z, z, 333);
    for (int c = 0; c < 2; c++)
        cr_assert_eq(memcmp(ref[c], z[c], SLEN * sizeof(float)), 0, "in place differs");
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(ref, 2);
    filt_free(y, 2);
    filt_free(z, 2);
}

Test(eq_linear, a_change_crossfades_to_the_new_design)
{
    /* after the change has gone through the whole FIR, the output is that of
     * an eq made with the new setting from the start; before the change,
     * that of the old one */
    float **x = filt_alloc(2, SLEN), **y = filt_alloc(2, SLEN), **want = filt_alloc(2, SLEN);
    filt_noise(x[0], SLEN, 15, 0.1);
    filt_noise(x[1], SLEN, 16, 0.1);
    md_node *n = linear_eq(typical, 5, 44100.0, 2, 1024);
    unsigned taps = md_eq_fir_taps(n), lat = md_node_latency(n);
    cr_assert_lt(CHANGE + 2 * (size_t)taps, SLEN);
    render(n, x, y, 1024);
    band after[5];
    memcpy(after, typical, sizeof after);
    after[3].f0 = 5000.0;
    after[3].gain = 6.0;
    md_node *o = linear_eq(typical, 5, 44100.0, 2, 1024);
    md_node *m = linear_eq(after, 5, 44100.0, 2, 1024);
    cr_assert_eq(md_node_latency(m), lat, "the new setting would need another length");
    filt_run(o, x, want, 2, SLEN, 1024);
    double before = 0;
    for (size_t i = 0; i < CHANGE; i++)
        before = fmax(before, fabs((double)y[0][i] - want[0][i]));
    filt_run(m, x, want, 2, SLEN, 1024);
    double late = 0;
    for (size_t i = CHANGE + taps + 1024; i < SLEN; i++)
        late = fmax(late, fabs((double)y[0][i] - want[0][i]));
    /* and the switch is smooth: no sample jumps more than the signal does */
    double step = 0, step_ref = 0;
    for (size_t i = CHANGE; i < CHANGE + taps; i++) {
        step = fmax(step, fabs((double)y[0][i] - y[0][i - 1]));
        step_ref = fmax(step_ref, fabs((double)want[0][i] - want[0][i - 1]));
    }
    cr_log_info("before: %.2e, after the FIR: %.2e; largest step %.3f (new setting %.3f)",
                before, late, step, step_ref);
    cr_assert_eq(before, 0.0, "the output changed before the change");
    cr_assert_lt(late, 1e-6, "the new design did not arrive: %g", late);
    cr_assert_lt(step, 1.5 * step_ref, "a jump at the switch: %g vs %g", step, step_ref);
    md_node_destroy(n);
    md_node_destroy(o);
    md_node_destroy(m);
    filt_free(x, 2);
    filt_free(y, 2);
    filt_free(want, 2);
}

Test(eq_linear, output_is_silent_after_latency_plus_tail)
{
    md_node *n = linear_eq(typical, 5, 44100.0, 2, 2048);
    unsigned lat = md_node_latency(n), tail = md_node_tail(n);
    size_t noisy = 10000, len = noisy + lat + tail + 5000;
    float **x = filt_alloc(2, len);
    filt_noise(x[0], noisy, 7, 0.3);
    filt_noise(x[1], noisy, 8, 0.3);
    filt_run(n, x, x, 2, len, 2048);
    float last = 0, late = 0;
    for (size_t i = noisy; i < noisy + lat + tail; i++)
        last = fmaxf(last, fabsf(x[0][i]));
    for (size_t i = noisy + lat + tail; i < len; i++)
        late = fmaxf(late, fmaxf(fabsf(x[0][i]), fabsf(x[1][i])));
    cr_assert_gt(last, 1e-3f, "no output at all");
    cr_assert_lt(late, 1e-6f, "%.1f dBFS after latency %u + tail %u", 20 * log10f(late), lat,
                 tail);
    filt_free(x, 2);
    md_node_destroy(n);
}

Test(eq_linear, no_bands_is_a_pure_delay)
{
    md_node *n = filt_node("eq");
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "linear_phase", 1, &err), MD_OK);
    filt_prepare(n, 44100.0, 1, 256);
    unsigned lat = md_node_latency(n);
    cr_assert_gt(lat, 0);
    float *h = ir_of(n, 1, 0, 0, 2 * (size_t)lat + 100, 256);
    for (size_t i = 0; i < 2 * (size_t)lat + 100; i++)
        cr_assert_float_eq(h[i], i == lat ? 1.0f : 0.0f, 1e-6, "frame %zu: %g", i, h[i]);
    free(h);
    md_node_destroy(n);
}

/* --- refusals --------------------------------------------------------------------- */

Test(eq_linear, a_dynamic_band_is_refused)
{
    md_node *n = filt_node("eq");
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "linear_phase", 1, &err), MD_OK);
    filt_eq_bands(n, 2);
    filt_eq_band(n, 0, "bell", 300.0, -3.0, 1.0, NULL);
    filt_eq_band(n, 1, "bell", 3000.0, -6.0, 2.0, NULL);
    set_item(n, 1, "threshold", -20.0);
    md_stream s = {44100.0, 2, 512};
    cr_assert_eq(md_node_prepare(n, &s, &err), MD_ERR_INVALID);
    cr_assert_str_eq(err.msg, "eq: bands 2: a dynamic band (threshold) cannot be linear phase, "
                              "got linear_phase = true");
    md_node_destroy(n);
}

Test(eq_linear, channel_bands_need_stereo)
{
    static const band b[] = {{"bell", 1000.0, 3.0, 1.0, "side"}};
    md_node *n = filt_node("eq");
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "linear_phase", 1, &err), MD_OK);
    filt_eq_bands(n, 1);
    filt_eq_band(n, 0, b[0].type, b[0].f0, b[0].gain, b[0].q, b[0].ch);
    md_stream s = {44100.0, 1, 512};
    cr_assert_eq(md_node_prepare(n, &s, &err), MD_ERR_INVALID);
    cr_assert_str_eq(err.msg, "eq: bands 1: channel side needs a stereo input (2 channels), "
                              "got 1 channel");
    md_node_destroy(n);
}

Test(eq_linear, rendering_and_redesigning_do_not_allocate)
{
    /* a parameter change redesigns the FIR inside md_node_run (update) */
    if (!INTERPOSE)
        cr_skip_test("malloc is AddressSanitizer's");
    float **x = filt_alloc(2, SLEN);
    filt_noise(x[0], SLEN, 25, 0.1);
    filt_noise(x[1], SLEN, 26, 0.1);
    md_node *n = linear_eq(typical, 5, 44100.0, 2, 1024);
    md_error err = {0};
    for (size_t done = 0; done < SLEN; done += 1000) {
        unsigned len = SLEN - done < 1000 ? (unsigned)(SLEN - done) : 1000;
        if (done == 30000) /* set between blocks, as hosts do; applied in the next run */
            md_node_set_item_number(n, "bands", 2, "gain", -8.0, &err);
        const float *ip[2] = {x[0] + done, x[1] + done};
        float *op[2] = {x[0] + done, x[1] + done};
        watching = 1;
        md_node_run(n, ip, op, len);
        watching = 0;
    }
    cr_assert_eq(allocations, 0, "%d allocations while rendering", allocations);
    md_node_destroy(n);
    filt_free(x, 2);
}
