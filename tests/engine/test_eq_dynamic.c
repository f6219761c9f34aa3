/* test_eq_dynamic.c - eq bands with a threshold (dynamic EQ), against the
 * documented static curve and time constants coded again here:
 *  - a tone in the band below the threshold passes within 0.1 dB; above it
 *    the band cuts by max(gain, -(L - T)(1 - 1/ratio)) within 0.3 dB once
 *    settled (peak and rms detectors); a boost band lifts a quiet band by
 *    min(gain, (T - L)(1 - 1/ratio));
 *  - a tone outside the band at the same level is not changed (0.1 dB), alone
 *    or next to a tone that the band cuts;
 *  - attack and release: 63 % of the gain change after the set time
 *    constant, within 10 %, read from md_eq_band_gain_db() and from the
 *    output's envelope;
 *  - channel sets: linked across channels for "all", left-only leaves the
 *    right channel bit-identical, mid/side detect and act on M/S;
 *  - block-size independence with parameter changes, reset, and refusals. */
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

#define RATE 48000.0
#define F0 2000.0 /* the band's centre: 24 frames per period at 48 kHz */

static double db(double m) { return 20.0 * log10(m); }

static void set_item(md_node *n, unsigned item, const char *field, double v)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_item_number(n, "bands", item, field, v, &err), MD_OK, "%s",
                 err.msg);
}

static void set_item_s(md_node *n, unsigned item, const char *field, const char *v)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_item_string(n, "bands", item, field, v, &err), MD_OK, "%s",
                 err.msg);
}

typedef struct dyn {
    const char *type;
    double freq, gain, q, threshold, ratio, attack, release;
    const char *detector, *channel;
} dyn;

/* One dynamic band (plus nothing else), prepared for nch channels. */
static md_node *dyn_eq(const dyn *d, unsigned nch)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 1);
    filt_eq_band(n, 0, d->type, d->freq, d->gain, d->q, d->channel);
    set_item(n, 0, "threshold", d->threshold);
    set_item(n, 0, "ratio", d->ratio);
    set_item(n, 0, "attack", d->attack);
    set_item(n, 0, "release", d->release);
    if (d->detector)
        set_item_s(n, 0, "detector", d->detector);
    filt_prepare(n, RATE, nch, 1024);
    return n;
}

static const dyn cut = {"bell", F0, -12.0, 2.0, -30.0, 4.0, 5.0, 100.0, NULL, NULL};

/* The documented static curve, coded again. */
static double curve(double level, double t, double ratio, double gain)
{
    double g;
    if (gain < 0) {
        g = level > t ? -(level - t) * (1.0 - 1.0 / ratio) : 0.0;
        return g < gain ? gain : g;
    }
    g = level < t ? (t - level) * (1.0 - 1.0 / ratio) : 0.0;
    return g > gain ? gain : g;
}

static void tone(float *x, size_t n, double f, double peak_db, size_t from)
{
    double a = pow(10.0, peak_db / 20.0);
    for (size_t i = from; i < n; i++)
        x[i] += (float)(a * sin(2.0 * M_PI * f * (double)i / RATE + 0.3));
}

/* Amplitude of the component at f over frames [from, from + len). */
static double amp(const float *x, size_t from, size_t len, double f)
{
    double re, im;
    filt_dft(x + from, len, 2.0 * M_PI * f / RATE, &re, &im);
    return 2.0 * hypot(re, im) / (double)len;
}

/* Output / input level in dB at f over the last 0.1 s of frames frames. */
static double change_db(float *in, float *out, size_t frames, double f)
{
    size_t len = 4800, from = frames - len;
    return db(amp(out, from, len, f) / amp(in, from, len, f));
}

/* --- the static curve ------------------------------------------------------------ */

static double run_tone(const dyn *d, double level, double f)
{
    size_t frames = 48000; /* 1 s: settled after 10 release time constants */
    float **x = filt_alloc(1, frames), **y = filt_alloc(1, frames);
    tone(x[0], frames, f, level, 0);
    md_node *n = dyn_eq(d, 1);
    filt_run(n, x, y, 1, frames, 512);
    double c = change_db(x[0], y[0], frames, f);
    md_node_destroy(n);
    filt_free(x, 1);
    filt_free(y, 1);
    return c;
}

Test(eq_dynamic, tone_below_the_threshold_passes)
{
    static const double levels[] = {-60.0, -40.0, -33.0, -31.0};
    for (unsigned i = 0; i < 4; i++) {
        double c = run_tone(&cut, levels[i], F0);
        cr_log_info("tone at %.0f dBFS (threshold -30): %.4f dB", levels[i], c);
        cr_assert_float_eq(c, 0.0, 0.1, "tone at %g dBFS changed by %.3f dB", levels[i], c);
    }
}

Test(eq_dynamic, tone_above_the_threshold_follows_the_static_curve)
{
    static const double levels[] = {-27.0, -22.0, -18.0, -14.0, -6.0, 0.0};
    double worst = 0;
    for (unsigned i = 0; i < 6; i++) {
        double c = run_tone(&cut, levels[i], F0);
        double want = curve(levels[i], cut.threshold, cut.ratio, cut.gain);
        cr_log_info("tone at %.0f dBFS: %.3f dB (curve %.3f)", levels[i], c, want);
        cr_assert_float_eq(c, want, 0.3, "tone at %g dBFS: %.3f dB, the curve says %.3f",
                           levels[i], c, want);
        worst = fmax(worst, fabs(c - want));
    }
    cr_log_info("peak detector: worst deviation %.3f dB", worst);
}

Test(eq_dynamic, rms_detector_reads_a_sine_3_dB_lower)
{
    dyn d = cut;
    d.gain = -18.0;
    d.detector = "rms";
    static const double levels[] = {-29.0, -24.0, -10.0};
    for (unsigned i = 0; i < 3; i++) {
        double c = run_tone(&d, levels[i], F0);
        double want = curve(levels[i] - 10.0 * log10(2.0), d.threshold, d.ratio, d.gain);
        cr_log_info("rms, tone at %.0f dBFS: %.3f dB (curve %.3f)", levels[i], c, want);
        cr_assert_float_eq(c, want, 0.3, "rms: tone at %g dBFS: %.3f dB, want %.3f", levels[i],
                           c, want);
    }
}

Test(eq_dynamic, boost_band_lifts_a_band_below_the_threshold)
{
    dyn d = {"bell", F0, 6.0, 2.0, -30.0, 2.0, 5.0, 100.0, NULL, NULL};
    static const double levels[] = {-50.0, -36.0, -32.0, -20.0};
    for (unsigned i = 0; i < 4; i++) {
        double c = run_tone(&d, levels[i], F0);
        double want = curve(levels[i], d.threshold, d.ratio, d.gain);
        cr_log_info("boost, tone at %.0f dBFS: %.3f dB (curve %.3f)", levels[i], c, want);
        cr_assert_float_eq(c, want, 0.3, "boost: tone at %g dBFS: %.3f dB, want %.3f",
                           levels[i], c, want);
    }
}

Test(eq_dynamic, shelf_bands_listen_to_their_side_of_the_shelf)
{
    /* a highshelf cut at 4 kHz: a 10 kHz tone is cut by the curve, a 300 Hz
     * tone at the same level is neither detected nor cut */
    dyn d = {"highshelf", 4000.0, -9.0, 0.7071, -30.0, 3.0, 5.0, 100.0, NULL, NULL};
    double hi = run_tone(&d, -12.0, 10000.0), lo = run_tone(&d, -12.0, 300.0);
    /* at 10 kHz the 12 dB/octave highpass detector reads about -0.2 dB, the
     * shelf gives nearly all its gain: compare with the curve at the level read */
    double want = curve(-12.0 + db(1.0 / sqrt(1.0 + pow(4000.0 / 10000.0, 4))), -30.0, 3.0, -9.0);
    cr_log_info("highshelf: 10 kHz %.3f dB (curve %.3f), 300 Hz %.4f dB", hi, want, lo);
    cr_assert_float_eq(hi, want, 0.3);
    cr_assert_float_eq(lo, 0.0, 0.1);
}

/* --- other frequencies -------------------------------------------------------------- */

/* |H| of an RBJ bell, coded again */
static double bell_mag(double f, double f0, double gain, double q)
{
    double A = pow(10.0, gain / 40.0), w0 = 2.0 * M_PI * f0 / RATE, w = 2.0 * M_PI * f / RATE;
    double alpha = sin(w0) / (2.0 * q), cs = cos(w0);
    double complex z1 = cexp(-I * w), z2 = cexp(-2.0 * I * w);
    return cabs((1 + alpha * A - 2 * cs * z1 + (1 - alpha * A) * z2) /
                (1 + alpha / A - 2 * cs * z1 + (1 - alpha / A) * z2));
}

Test(eq_dynamic, tone_outside_the_band_is_not_changed)
{
    /* alone, at the level that makes an in-band tone cut fully */
    double alone = run_tone(&cut, -6.0, 200.0);
    cr_log_info("200 Hz tone alone at -6 dBFS: %.4f dB", alone);
    cr_assert_float_eq(alone, 0.0, 0.1);
    /* next to an in-band tone that the band cuts: only the bell's own skirt */
    size_t frames = 48000;
    float **x = filt_alloc(1, frames), **y = filt_alloc(1, frames);
    tone(x[0], frames, 200.0, -6.0, 0);
    tone(x[0], frames, F0, -10.0, 0);
    md_node *n = dyn_eq(&cut, 1);
    filt_run(n, x, y, 1, frames, 512);
    double in_band = change_db(x[0], y[0], frames, F0);
    double out_band = change_db(x[0], y[0], frames, 200.0);
    double skirt = db(bell_mag(200.0, F0, in_band, cut.q));
    cr_log_info("both tones: 2 kHz %.3f dB, 200 Hz %.4f dB (the bell's skirt there %.4f dB)",
                in_band, out_band, skirt);
    cr_assert_lt(in_band, -6.0, "the in-band tone was not cut (%.3f dB)", in_band);
    cr_assert_float_eq(out_band, 0.0, 0.1, "the 200 Hz tone changed by %.3f dB", out_band);
    cr_assert_float_eq(out_band, skirt, 0.02);
    md_node_destroy(n);
    filt_free(x, 1);
    filt_free(y, 1);
}

/* --- time constants ----------------------------------------------------------------- */

/* Time in frames from `from` at which g[] crosses the 63.2 % point from g0
 * to g_end, interpolated, searching from frame `search` on. */
static double t63_from(const double *g, size_t from, size_t search, size_t to, double g0,
                       double g_end)
{
    double target = g0 + (1.0 - exp(-1.0)) * (g_end - g0);
    for (size_t i = search; i < to; i++)
        if ((g_end < g0 && g[i] <= target) || (g_end > g0 && g[i] >= target)) {
            double a = g[i - 1], b = g[i];
            double frac = b != a ? (target - a) / (b - a) : 1.0;
            return (double)(i - 1) + frac - (double)from;
        }
    return INFINITY;
}

/* The same from g[from - 1], searching from `from`. */
static double t63(const double *g, size_t from, size_t to, double g_end)
{
    return t63_from(g, from, from, to, g[from - 1], g_end) + 1.0;
}

Test(eq_dynamic, attack_and_release_time_constants_of_the_gain)
{
    /* -40 dBFS (below the threshold), then -6 dBFS (the full cut), then
     * -40 again: the band's gain read after every frame */
    static const double times[][2] = {{5.0, 100.0}, {20.0, 300.0}};
    for (unsigned k = 0; k < 2; k++) {
        dyn d = cut;
        d.attack = times[k][0];
        d.release = times[k][1];
        size_t up = 4800, down = up + 48000, frames = down + 96000;
        float **x = filt_alloc(1, frames);
        for (size_t i = 0; i < frames; i++) {
            double a = pow(10.0, (i >= up && i < down ? -6.0 : -40.0) / 20.0);
            x[0][i] = (float)(a * sin(2.0 * M_PI * F0 * (double)i / RATE));
        }
        md_node *n = dyn_eq(&d, 1);
        double *g = malloc(frames * sizeof *g);
        for (size_t i = 0; i < frames; i++) {
            const float *ip[1] = {x[0] + i};
            float v, *op[1] = {&v};
            md_node_run(n, ip, op, 1);
            g[i] = md_eq_band_gain_db(n, 0);
        }
        cr_assert_float_eq(g[up - 1], 0.0, 1e-6);
        cr_assert_float_eq(g[down - 1], -12.0, 0.05);
        double ta = t63(g, up, down, -12.0) / RATE * 1e3;
        double tr = t63(g, down, frames, 0.0) / RATE * 1e3;
        cr_log_info("gain: attack %.3f ms (set %.0f), release %.3f ms (set %.0f)", ta,
                    d.attack, tr, d.release);
        cr_assert_float_eq(ta, d.attack, 0.1 * d.attack, "attack %.3f ms, set %g", ta, d.attack);
        cr_assert_float_eq(tr, d.release, 0.1 * d.release, "release %.3f ms, set %g", tr,
                           d.release);
        free(g);
        md_node_destroy(n);
        filt_free(x, 1);
    }
}

Test(eq_dynamic, attack_and_release_time_constants_of_the_output)
{
    /* the same step, measured on the audio: the tone's level in the output
     * minus in the input (a one-period quadrature demodulation) */
    dyn d = cut;
    d.attack = 20.0;
    d.release = 200.0;
    size_t up = 9600, down = up + 48000, frames = down + 96000, P = 24; /* one period */
    float **x = filt_alloc(1, frames), **y = filt_alloc(1, frames);
    for (size_t i = 0; i < frames; i++) {
        double a = pow(10.0, (i >= up && i < down ? -6.0 : -40.0) / 20.0);
        x[0][i] = (float)(a * sin(2.0 * M_PI * F0 * (double)i / RATE));
    }
    md_node *n = dyn_eq(&d, 1);
    filt_run(n, x, y, 1, frames, 64);
    /* the level of the period that ends at frame i, centred on i - P/2 */
    double *g = calloc(frames, sizeof *g);
    for (size_t i = P; i < frames; i++)
        g[i - P / 2] = db(amp(y[0], i - P, P, F0) / amp(x[0], i - P, P, F0));
    /* the level of a period across a step is meaningless, and when the input
     * drops, the bell still rings with the loud tone for a millisecond: the
     * crossings are searched for from 5 ms after each step, from the settled
     * levels before it */
    size_t skip = 240;
    double g_lo = g[down - P], g_hi = g[frames - P - 1];
    double ta = t63_from(g, up, up + skip, down - P, g[up - P], g_lo) / RATE * 1e3;
    double tr = t63_from(g, down, down + skip, frames - P, g_lo, g_hi) / RATE * 1e3;
    cr_log_info("output: attack %.3f ms (set 20), release %.3f ms (set 200), settled at %.3f dB",
                ta, tr, g_lo);
    cr_assert_float_eq(g_lo, -12.0, 0.1);
    cr_assert_float_eq(ta, d.attack, 0.1 * d.attack);
    cr_assert_float_eq(tr, d.release, 0.1 * d.release);
    free(g);
    md_node_destroy(n);
    filt_free(x, 1);
    filt_free(y, 1);
}

/* --- channels ----------------------------------------------------------------------- */

Test(eq_dynamic, bands_on_all_channels_are_linked)
{
    /* a loud tone on the left only; the right's quiet in-band tone gets the
     * same cut */
    size_t frames = 48000;
    float **x = filt_alloc(2, frames), **y = filt_alloc(2, frames);
    tone(x[0], frames, F0, -10.0, 0);
    tone(x[1], frames, F0, -45.0, 0);
    md_node *n = dyn_eq(&cut, 2);
    filt_run(n, x, y, 2, frames, 512);
    double l = change_db(x[0], y[0], frames, F0), r = change_db(x[1], y[1], frames, F0);
    cr_log_info("linked: left %.3f dB, right %.3f dB", l, r);
    cr_assert_float_eq(l, curve(-10.0, -30.0, 4.0, -12.0), 0.3);
    cr_assert_float_eq(r, l, 0.1, "right %.3f dB, left %.3f dB", r, l);
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

Test(eq_dynamic, left_band_leaves_the_right_channel_alone)
{
    size_t frames = 48000;
    float **x = filt_alloc(2, frames), **y = filt_alloc(2, frames);
    tone(x[0], frames, F0, -10.0, 0);
    tone(x[1], frames, F0, -10.0, 0);
    filt_noise(x[1], frames, 3, 0.05);
    dyn d = cut;
    d.channel = "left";
    md_node *n = dyn_eq(&d, 2);
    filt_run(n, x, y, 2, frames, 512);
    cr_assert_eq(memcmp(x[1], y[1], frames * sizeof(float)), 0, "right channel changed");
    double l = change_db(x[0], y[0], frames, F0);
    cr_assert_float_eq(l, curve(-10.0, -30.0, 4.0, -12.0), 0.3);
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

Test(eq_dynamic, mid_and_side_bands_detect_and_act_on_mid_and_side)
{
    /* L = R = a tone: mid is the tone, side is silent */
    size_t frames = 48000;
    float **x = filt_alloc(2, frames), **y = filt_alloc(2, frames);
    tone(x[0], frames, F0, -10.0, 0);
    tone(x[1], frames, F0, -10.0, 0);
    dyn d = cut;
    d.channel = "mid";
    md_node *n = dyn_eq(&d, 2);
    filt_run(n, x, y, 2, frames, 512);
    for (int c = 0; c < 2; c++)
        cr_assert_float_eq(change_db(x[c], y[c], frames, F0), curve(-10.0, -30.0, 4.0, -12.0),
                           0.3, "mid band, channel %d", c);
    md_node_destroy(n);
    d.channel = "side";
    n = dyn_eq(&d, 2);
    filt_run(n, x, y, 2, frames, 512);
    for (int c = 0; c < 2; c++)
        cr_assert_float_eq(change_db(x[c], y[c], frames, F0), 0.0, 0.01,
                           "side band on a mono signal, channel %d", c);
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

/* --- streaming ---------------------------------------------------------------------- */

typedef struct event {
    size_t at;
    void (*apply)(md_node *n);
} event;

static void ev_threshold(md_node *n)
{
    set_item(n, 0, "threshold", -36.0);
    set_item(n, 2, "gain", 4.0);
}
static void ev_more(md_node *n)
{
    filt_eq_bands(n, 5);
    filt_eq_band(n, 4, "bell", 700.0, -6.0, 1.0, "side");
    set_item(n, 4, "threshold", -40.0);
    set_item(n, 4, "attack", 1.0);
}
static void ev_static(md_node *n)
{
    /* a dynamic band turns static (its threshold goes): rebuild from scratch */
    filt_eq_bands(n, 4);
    filt_eq_band(n, 0, "bell", F0, -8.0, 2.0, NULL);
    filt_eq_band(n, 1, "highshelf", 6000.0, 5.0, 0.7071, "left");
    set_item(n, 1, "threshold", -20.0);
    filt_eq_band(n, 2, "bell", 300.0, 2.0, 1.0, NULL);
    filt_eq_band(n, 3, "lowshelf", 150.0, -6.0, 0.7071, "mid");
    set_item(n, 3, "threshold", -35.0);
    set_item_s(n, 3, "detector", "rms");
}

static md_node *mixed(void)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 4);
    filt_eq_band(n, 0, "bell", F0, -8.0, 2.0, NULL);
    set_item(n, 0, "threshold", -30.0);
    filt_eq_band(n, 1, "highshelf", 6000.0, 5.0, 0.7071, "left");
    set_item(n, 1, "threshold", -20.0);
    filt_eq_band(n, 2, "bell", 300.0, 2.0, 1.0, NULL);
    filt_eq_band(n, 3, "lowshelf", 150.0, -6.0, 0.7071, "mid");
    set_item(n, 3, "threshold", -35.0);
    set_item_s(n, 3, "detector", "rms");
    filt_prepare(n, RATE, 2, 1024);
    return n;
}

static void render_events(md_node *n, float **x, float **y, size_t frames, unsigned block,
                          const event *ev, unsigned nev)
{
    size_t done = 0;
    unsigned e = 0;
    while (done < frames) {
        while (e < nev && ev[e].at == done)
            ev[e++].apply(n);
        size_t end = done + block < frames ? done + block : frames;
        if (e < nev && ev[e].at < end)
            end = ev[e].at;
        const float *ip[2] = {x[0] + done, x[1] + done};
        float *op[2] = {y[0] + done, y[1] + done};
        md_node_run(n, ip, op, (unsigned)(end - done));
        done = end;
    }
}

Test(eq_dynamic, output_does_not_depend_on_block_size)
{
    static const event ev[] = {{20011, ev_threshold}, {40000, ev_more}, {70005, ev_static}};
    size_t frames = 100000, loud = 85000;
    float **x = filt_alloc(2, frames), **ref = filt_alloc(2, frames), **y = filt_alloc(2, frames);
    filt_noise(x[0], loud, 77, 0.05);
    filt_noise(x[1], loud, 78, 0.05);
    /* a tone that swells through the thresholds */
    for (size_t i = 0; i < loud; i++) {
        double a = 0.3 * (0.5 - 0.5 * cos(2.0 * M_PI * (double)i / 30000.0));
        x[0][i] += (float)(a * sin(2.0 * M_PI * F0 * (double)i / RATE));
        x[1][i] += (float)(0.5 * a * sin(2.0 * M_PI * 150.0 * (double)i / RATE));
    }
    md_node *n = mixed();
    render_events(n, x, ref, frames, 1024, ev, 3);
    md_node_destroy(n);
    static const unsigned blocks[] = {1, 7, 64, 1000};
    for (unsigned b = 0; b < 4; b++) {
        n = mixed();
        render_events(n, x, y, frames, blocks[b], ev, 3);
        for (int c = 0; c < 2; c++) {
            size_t i = 0;
            while (i < frames && memcmp(&y[c][i], &ref[c][i], sizeof(float)) == 0)
                i++;
            cr_assert_eq(i, frames, "blocks of %u differ from blocks of 1024 at frame %zu, "
                         "channel %d", blocks[b], i, c);
        }
        md_node_destroy(n);
    }
    /* the dynamic bands did act, and silence decays to zero */
    double d = 0;
    for (size_t i = 0; i < loud; i++)
        d = fmax(d, fabs((double)ref[0][i] - x[0][i]));
    cr_assert_gt(d, 1e-2);
    cr_assert_eq(ref[0][frames - 1], 0.0f);
    cr_assert_eq(ref[1][frames - 1], 0.0f);
    /* reset, then a rerun is bit-identical */
    n = mixed();
    render_events(n, x, y, frames, 512, NULL, 0);
    md_node_reset(n);
    render_events(n, x, ref, frames, 333, NULL, 0);
    md_node *m = mixed();
    render_events(m, x, y, frames, 1024, NULL, 0);
    for (int c = 0; c < 2; c++)
        cr_assert_eq(memcmp(y[c], ref[c], frames * sizeof(float)), 0, "rerun differs");
    md_node_destroy(n);
    md_node_destroy(m);
    filt_free(x, 2);
    filt_free(ref, 2);
    filt_free(y, 2);
}

Test(eq_dynamic, a_band_without_threshold_is_static)
{
    /* ratio, attack, release and detector alone change nothing */
    size_t frames = 20000;
    float **x = filt_alloc(1, frames), **a = filt_alloc(1, frames), **b = filt_alloc(1, frames);
    filt_noise(x[0], frames, 9, 0.2);
    md_node *n = filt_node("eq"), *m = filt_node("eq");
    filt_eq_bands(n, 1);
    filt_eq_band(n, 0, "bell", 1000.0, -6.0, 1.0, NULL);
    set_item(n, 0, "ratio", 8.0);
    set_item(n, 0, "attack", 1.0);
    set_item(n, 0, "release", 10.0);
    filt_eq_bands(m, 1);
    filt_eq_band(m, 0, "bell", 1000.0, -6.0, 1.0, NULL);
    filt_prepare(n, RATE, 1, 512);
    filt_prepare(m, RATE, 1, 512);
    filt_run(n, x, a, 1, frames, 512);
    filt_run(m, x, b, 1, frames, 512);
    cr_assert_eq(memcmp(a[0], b[0], frames * sizeof(float)), 0);
    cr_assert_float_eq(md_eq_band_gain_db(n, 0), -6.0, 1e-6);
    md_node_destroy(n);
    md_node_destroy(m);
    filt_free(x, 1);
    filt_free(a, 1);
    filt_free(b, 1);
}

Test(eq_dynamic, a_nan_in_the_input_is_forgotten)
{
    size_t frames = 8192;
    float **x = filt_alloc(2, frames), **y = filt_alloc(2, frames);
    filt_noise(x[0], frames, 10, 0.2);
    filt_noise(x[1], frames, 11, 0.2);
    x[0][100] = NAN;
    x[1][101] = INFINITY;
    md_node *n = mixed();
    filt_run(n, x, y, 2, frames, 64);
    for (int c = 0; c < 2; c++)
        for (size_t i = 2048; i < frames; i++)
            cr_assert(isfinite(y[c][i]), "channel %d frame %zu is %g", c, i, y[c][i]);
    cr_assert(isfinite(md_eq_band_gain_db(n, 0)));
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

/* --- reading and refusing ----------------------------------------------------------- */

Test(eq_dynamic, band_gain_reads_nan_where_there_is_no_gain)
{
    md_node *n = mixed();
    cr_assert_float_eq(md_eq_band_gain_db(n, 0), 0.0, 1e-9, "a cut band starts at 0 dB");
    cr_assert_float_eq(md_eq_band_gain_db(n, 1), 5.0, 1e-9, "a boost band starts at its gain");
    cr_assert_float_eq(md_eq_band_gain_db(n, 2), 2.0, 1e-9, "a static band reads its gain");
    cr_assert(isnan(md_eq_band_gain_db(n, 4)), "no band 5");
    md_node *g = filt_node("gain");
    cr_assert(isnan(md_eq_band_gain_db(g, 0)));
    cr_assert(isnan(md_eq_band_gain_db(NULL, 0)));
    md_node *h = filt_node("eq");
    filt_eq_bands(h, 1);
    filt_eq_band(h, 0, "highpass", 100.0, 0.0, 0.7071, NULL);
    filt_prepare(h, RATE, 1, 256);
    cr_assert(isnan(md_eq_band_gain_db(h, 0)));
    md_node_destroy(n);
    md_node_destroy(g);
    md_node_destroy(h);
}

Test(eq_dynamic, threshold_needs_a_bell_or_a_shelf)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 2);
    filt_eq_band(n, 0, "bell", 1000.0, -3.0, 1.0, NULL);
    filt_eq_band(n, 1, "notch", 3000.0, 0.0, 4.0, NULL);
    set_item(n, 1, "threshold", -20.0);
    md_stream s = {RATE, 1, 256};
    md_error err = {0};
    cr_assert_eq(md_node_prepare(n, &s, &err), MD_ERR_INVALID);
    cr_assert_str_eq(err.msg, "eq: bands 2: threshold needs a bell, lowshelf or highshelf band, "
                              "got notch");
    md_error e2 = {0};
    cr_assert_neq(md_node_set_item_number(n, "bands", 0, "ratio", 0.5, &e2), MD_OK);
    cr_assert(strstr(e2.msg, "ratio"), "%s", e2.msg);
    md_node_destroy(n);
}

Test(eq_dynamic, rendering_does_not_allocate)
{
    if (!INTERPOSE)
        cr_skip_test("malloc is AddressSanitizer's");
    size_t frames = 60000;
    float **x = filt_alloc(2, frames);
    filt_noise(x[0], frames, 35, 0.2);
    filt_noise(x[1], frames, 36, 0.2);
    md_node *n = mixed();
    for (size_t done = 0; done < frames; done += 777) {
        unsigned len = frames - done < 777 ? (unsigned)(frames - done) : 777;
        if (done == 777 * 30)
            ev_more(n); /* a new dynamic band, on the side */
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
