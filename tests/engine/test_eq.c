/* test_eq.c - eq's channel routing (left/right/mid/side), block-size
 * independence with parameter changes, glides without clicks, and the node
 * contract (reset, in-place, zero frames) for eq, highpass and lowpass. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "filters_util.h"

#define RATE 48000.0

static float **stereo_noise(size_t frames, uint64_t seed, int identical)
{
    float **x = filt_alloc(2, frames);
    filt_noise(x[0], frames, seed, 0.1);
    if (identical)
        memcpy(x[1], x[0], frames * sizeof(float));
    else
        filt_noise(x[1], frames, seed + 1, 0.1);
    return x;
}

static double energy(const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

Test(eq, left_band_leaves_right_channel_bit_identical)
{
    size_t frames = 48000;
    float **x = stereo_noise(frames, 11, 0);
    float **y = filt_alloc(2, frames);
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 2);
    filt_eq_band(n, 0, "bell", 1000.0, 9.0, 1.0, "left");
    filt_eq_band(n, 1, "highpass", 300.0, 0.0, 0.7071, "left");
    filt_prepare(n, RATE, 2, 512);
    filt_run(n, x, y, 2, frames, 512);
    cr_assert_eq(memcmp(x[1], y[1], frames * sizeof(float)), 0, "right channel changed");
    double change_db = 10 * log10(energy(y[0], frames) / energy(x[0], frames));
    cr_assert_gt(fabs(change_db), 0.5, "left channel unchanged (%.3f dB)", change_db);
    /* in place too */
    md_node_reset(n);
    float **z = stereo_noise(frames, 11, 0);
    filt_run(n, z, z, 2, frames, 512);
    cr_assert_eq(memcmp(z[1], x[1], frames * sizeof(float)), 0, "right channel changed in place");
    cr_assert_eq(memcmp(z[0], y[0], frames * sizeof(float)), 0, "in place differs");
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
    filt_free(z, 2);
}

Test(eq, right_band_leaves_left_channel_bit_identical)
{
    size_t frames = 24000;
    float **x = stereo_noise(frames, 12, 0);
    float **y = filt_alloc(2, frames);
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 1);
    filt_eq_band(n, 0, "lowshelf", 200.0, -6.0, 0.7071, "right");
    filt_prepare(n, RATE, 2, 1024);
    filt_run(n, x, y, 2, frames, 1024);
    cr_assert_eq(memcmp(x[0], y[0], frames * sizeof(float)), 0, "left channel changed");
    cr_assert_gt(max_diff(x[1], y[1], frames), 1e-3, "right channel unchanged");
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

/* bands as {type, freq, gain, q}, all on channel ch */
static md_node *eq_of(const char *ch, unsigned nb, const double (*bands)[3],
                      const char *const *types)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, nb);
    for (unsigned b = 0; b < nb; b++)
        filt_eq_band(n, b, types[b], bands[b][0], bands[b][1], bands[b][2], ch);
    filt_prepare(n, RATE, 2, 1024);
    return n;
}

Test(eq, mid_band_on_identical_channels_equals_band_on_both)
{
    size_t frames = 48000;
    static const char *const types[] = {"bell", "lowshelf", "lowpass"};
    static const double bands[][3] = {{2000, 5, 2}, {200, -4, 0.7071}, {9000, 0, 0.9}};
    float **x = stereo_noise(frames, 21, 1);
    float **ym = filt_alloc(2, frames), **ya = filt_alloc(2, frames);
    md_node *mid = eq_of("mid", 3, bands, types), *all = eq_of("all", 3, bands, types);
    filt_run(mid, x, ym, 2, frames, 1024);
    filt_run(all, x, ya, 2, frames, 1024);
    for (int c = 0; c < 2; c++) {
        double d = max_diff(ym[c], ya[c], frames);
        cr_assert_leq(d, 1e-6, "channel %d: mid band differs from the band on both by %g", c, d);
        cr_log_info("mid vs all, channel %d: max difference %.3g", c, d);
    }
    cr_assert_gt(max_diff(ya[0], x[0], frames), 1e-2, "the bands did nothing");
    md_node_destroy(mid);
    md_node_destroy(all);
    filt_free(x, 2);
    filt_free(ym, 2);
    filt_free(ya, 2);
}

Test(eq, side_band_on_identical_channels_changes_nothing)
{
    size_t frames = 48000;
    static const char *const types[] = {"bell", "highshelf", "highpass"};
    static const double bands[][3] = {{3000, 9, 1}, {8000, 6, 0.7071}, {500, 0, 0.7071}};
    float **x = stereo_noise(frames, 31, 1);
    float **y = filt_alloc(2, frames);
    md_node *n = eq_of("side", 3, bands, types);
    filt_run(n, x, y, 2, frames, 1024);
    for (int c = 0; c < 2; c++)
        cr_assert_eq(memcmp(x[c], y[c], frames * sizeof(float)), 0,
                     "channel %d changed by up to %g", c, max_diff(x[c], y[c], frames));
    /* and on a stereo signal the same bands do act */
    float **s = stereo_noise(frames, 32, 0);
    md_node_reset(n);
    filt_run(n, s, y, 2, frames, 1024);
    cr_assert_gt(max_diff(s[0], y[0], frames), 1e-2, "side bands did nothing on stereo input");
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
    filt_free(s, 2);
}

Test(eq, mid_side_decode_restores_left_and_right)
{
    /* a side band changes L and R by opposite amounts: L+R is untouched */
    size_t frames = 24000;
    float **x = stereo_noise(frames, 41, 0);
    float **y = filt_alloc(2, frames);
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 1);
    filt_eq_band(n, 0, "bell", 1500.0, 6.0, 1.0, "side");
    filt_prepare(n, RATE, 2, 1024);
    filt_run(n, x, y, 2, frames, 1024);
    double m = 0;
    for (size_t i = 0; i < frames; i++)
        m = fmax(m, fabs((double)(y[0][i] + y[1][i]) - (double)(x[0][i] + x[1][i])));
    cr_assert_leq(m, 1e-6, "L+R changed by %g", m);
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

Test(eq, stereo_bands_need_two_channels)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 2);
    filt_eq_band(n, 0, "bell", 1000.0, 3.0, 1.0, NULL);
    filt_eq_band(n, 1, "bell", 1000.0, 3.0, 1.0, "mid");
    md_stream s = {RATE, 1, 256};
    md_error err = {0};
    cr_assert_eq(md_node_prepare(n, &s, &err), MD_ERR_INVALID);
    cr_assert_str_eq(err.msg, "eq: bands 2: channel mid needs a stereo input (2 channels), got 1 "
                              "channel");
    md_node_destroy(n);
}

/* --- block-size independence with parameter changes ------------------------- */

typedef struct event {
    size_t at; /* absolute frame */
    void (*apply)(md_node *n);
} event;

static void render_events(md_node *n, float **x, float **y, unsigned nch, size_t frames,
                          unsigned block, const event *ev, unsigned nev)
{
    md_node_reset(n);
    size_t done = 0;
    unsigned e = 0;
    while (done < frames) {
        while (e < nev && ev[e].at == done)
            ev[e++].apply(n);
        size_t end = done + block < frames ? done + block : frames;
        if (e < nev && ev[e].at < end)
            end = ev[e].at;
        const float *ip[3];
        float *op[3];
        for (unsigned c = 0; c < nch; c++) {
            ip[c] = x[c] + done;
            op[c] = y[c] + done;
        }
        md_node_run(n, ip, op, (unsigned)(end - done));
        done = end;
    }
}

static void set_item(md_node *n, unsigned item, const char *field, double v)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_item_number(n, "bands", item, field, v, &err), MD_OK, "%s",
                 err.msg);
}

static void ev_boost(md_node *n)
{
    set_item(n, 0, "gain", 9.0);
    set_item(n, 4, "freq", 3500.0);
}
static void ev_more_bands(md_node *n)
{
    /* grow the "all" cascade by one band (glides in from identity) */
    filt_eq_bands(n, 8);
    filt_eq_band(n, 0, "bell", 300.0, 9.0, 1.0, NULL);
    filt_eq_band(n, 1, "lowshelf", 120.0, 4.0, 0.7071, NULL);
    filt_eq_band(n, 2, "bell", 2500.0, -6.0, 3.0, "left");
    filt_eq_band(n, 3, "highshelf", 7000.0, 3.0, 0.7071, "right");
    filt_eq_band(n, 4, "bell", 3500.0, 4.0, 1.5, "mid");
    filt_eq_band(n, 5, "notch", 6000.0, 0.0, 4.0, "side");
    filt_eq_band(n, 6, "highpass", 40.0, 0.0, 0.7071, NULL);
    filt_eq_band(n, 7, "lowpass", 15000.0, 0.0, 0.7071, NULL);
}
static void ev_fewer_bands(md_node *n)
{
    filt_eq_bands(n, 7);
    filt_eq_band(n, 0, "bell", 300.0, -3.0, 1.0, NULL);
    filt_eq_band(n, 1, "lowshelf", 120.0, 4.0, 0.7071, NULL);
    filt_eq_band(n, 2, "bell", 2500.0, -6.0, 3.0, "left");
    filt_eq_band(n, 3, "highshelf", 7000.0, 3.0, 0.7071, "right");
    filt_eq_band(n, 4, "bell", 3500.0, 4.0, 1.5, "mid");
    filt_eq_band(n, 5, "notch", 6000.0, 0.0, 4.0, "side");
    filt_eq_band(n, 6, "highpass", 40.0, 0.0, 0.7071, NULL);
}

static md_node *mixed_eq(void)
{
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 7);
    filt_eq_band(n, 0, "bell", 300.0, 3.0, 1.0, NULL);
    filt_eq_band(n, 1, "lowshelf", 120.0, 4.0, 0.7071, NULL);
    filt_eq_band(n, 2, "bell", 2500.0, -6.0, 3.0, "left");
    filt_eq_band(n, 3, "highshelf", 7000.0, 3.0, 0.7071, "right");
    filt_eq_band(n, 4, "bell", 1000.0, 4.0, 1.5, "mid");
    filt_eq_band(n, 5, "notch", 6000.0, 0.0, 4.0, "side");
    filt_eq_band(n, 6, "highpass", 40.0, 0.0, 0.7071, NULL);
    filt_prepare(n, RATE, 2, 1024);
    return n;
}

/* make(nch) builds a fresh node (events change its parameters) */
static void check_block_sizes(md_node *(*make)(unsigned), unsigned nch, const event *ev,
                              unsigned nev, const char *what)
{
    size_t frames = 100000, noisy = 80000; /* noise, then silence (denormal flushing) */
    float **x = filt_alloc(3, frames);
    for (unsigned c = 0; c < 3; c++)
        filt_noise(x[c], noisy, 51 + c, 0.1);
    float **ref = filt_alloc(3, frames), **y = filt_alloc(3, frames);
    md_node *n = make(nch);
    render_events(n, x, ref, nch, frames, 1024, ev, nev);
    md_node_destroy(n);
    static const unsigned blocks[] = {1, 7, 64, 1000};
    for (unsigned b = 0; b < 4; b++) {
        for (unsigned c = 0; c < nch; c++)
            memset(y[c], 0xff, frames * sizeof(float));
        n = make(nch);
        render_events(n, x, y, nch, frames, blocks[b], ev, nev);
        md_node_destroy(n);
        for (unsigned c = 0; c < nch; c++) {
            size_t i = 0;
            while (i < frames && memcmp(&y[c][i], &ref[c][i], sizeof(float)) == 0)
                i++;
            cr_assert_eq(i, frames,
                         "%s: blocks of %u differ from blocks of 1024 at frame %zu, channel %u "
                         "(%.9g vs %.9g)",
                         what, blocks[b], i, c, i < frames ? y[c][i] : 0.0,
                         i < frames ? ref[c][i] : 0.0);
        }
    }
    /* the silence really decays to zero (no stuck denormals) */
    for (unsigned c = 0; c < nch; c++)
        cr_assert_eq(ref[c][frames - 1], 0.0f, "%s: channel %u ends at %g", what, c,
                     ref[c][frames - 1]);
    filt_free(x, 3);
    filt_free(ref, 3);
    filt_free(y, 3);
}

static md_node *make_mixed_eq(unsigned nch)
{
    (void)nch;
    return mixed_eq();
}

Test(eq, output_does_not_depend_on_block_size)
{
    static const event ev[] = {{3001, ev_boost}, {20000, ev_more_bands}, {20500, ev_boost},
                               {45123, ev_fewer_bands}};
    check_block_sizes(make_mixed_eq, 2, ev, 4, "eq");
}

static md_node *make_long_eq(unsigned nch)
{
    /* 12 bands on every channel: two fused groups (8 + 4) */
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 12);
    for (unsigned b = 0; b < 12; b++)
        filt_eq_band(n, b, b % 3 ? "bell" : "allpass", 60.0 * pow(1.6, b), b % 2 ? 4.0 : -5.0,
                     0.5 + 0.3 * b, NULL);
    filt_prepare(n, RATE, nch, 1024);
    return n;
}

static void ev_long_change(md_node *n)
{
    set_item(n, 3, "gain", -12.0);
    set_item(n, 9, "freq", 9000.0);
}

Test(eq, long_cascades_do_not_depend_on_block_size)
{
    static const event ev[] = {{30001, ev_long_change}};
    for (unsigned nch = 1; nch <= 3; nch++)
        check_block_sizes(make_long_eq, nch, ev, 1, "12-band eq");
}

static void ev_order5(md_node *n)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "order", 5, &err), MD_OK);
    cr_assert_eq(md_node_set_number(n, "freq", 900, &err), MD_OK);
}
static void ev_order1(md_node *n)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "order", 1, &err), MD_OK);
}

static md_node *make_pass(const char *kind, unsigned nch)
{
    md_node *n = filt_node(kind);
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, "freq", 200, &err), MD_OK);
    filt_prepare(n, RATE, nch, 1024);
    return n;
}
static md_node *make_highpass(unsigned nch) { return make_pass("highpass", nch); }
static md_node *make_lowpass(unsigned nch) { return make_pass("lowpass", nch); }

Test(eq, highpass_and_lowpass_do_not_depend_on_block_size)
{
    static const event ev[] = {{5000, ev_order5}, {5100, ev_order1}, {33333, ev_order5}};
    for (unsigned nch = 1; nch <= 2; nch++) {
        check_block_sizes(make_highpass, nch, ev, 3, "highpass");
        check_block_sizes(make_lowpass, nch, ev, 3, "lowpass");
    }
}

/* --- glides ------------------------------------------------------------------- */

static void ev_open_up(md_node *n) { set_item(n, 0, "freq", 8000.0); }

Test(eq, cutoff_change_glides_without_a_click)
{
    /* a 300 Hz sine through a lowpass band whose cutoff jumps from 500 Hz to
     * 8 kHz: switching a TDF2's coefficients at once leaves its state
     * inconsistent with the new filter and the output jumps; with the glide
     * the second difference (a click detector) stays near its steady value */
    size_t frames = 24000, at = 6007;
    float **x = filt_alloc(1, frames), **y = filt_alloc(1, frames);
    for (size_t i = 0; i < frames; i++)
        x[0][i] = (float)(0.1 * sin(2 * M_PI * 300.0 * i / RATE));
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 1);
    filt_eq_band(n, 0, "lowpass", 500.0, 0.0, 0.7071, NULL);
    filt_prepare(n, RATE, 1, 512);
    event ev = {at, ev_open_up};
    render_events(n, x, y, 1, frames, 512, &ev, 1);
    double steady = 0, trans = 0;
    for (size_t i = frames - 2000; i < frames; i++)
        steady = fmax(steady, fabs(y[0][i] - 2.0 * y[0][i - 1] + y[0][i - 2]));
    for (size_t i = at - 4; i < at + 4000; i++)
        trans = fmax(trans, fabs(y[0][i] - 2.0 * y[0][i - 1] + y[0][i - 2]));
    cr_log_info("second difference: %.4g during the glide, %.4g steady", trans, steady);
    cr_assert_leq(trans, 1.25 * steady, "click: second difference %g during the glide, %g steady",
                  trans, steady);
    /* and the new cutoff did arrive: 300 Hz through a lowpass at 8 kHz */
    double e_end = energy(y[0] + frames - 4800, 4800), e_in = energy(x[0] + frames - 4800, 4800);
    cr_assert_float_eq(10 * log10(e_end / e_in), 0.0, 0.01);
    md_node_destroy(n);
    filt_free(x, 1);
    filt_free(y, 1);
}

/* --- contract ----------------------------------------------------------------- */

Test(eq, reset_rerun_is_bit_identical_and_zero_frames_are_harmless)
{
    size_t frames = 30000;
    float **x = stereo_noise(frames, 61, 0);
    float **a = filt_alloc(2, frames), **b = filt_alloc(2, frames);
    md_node *n = mixed_eq();
    cr_assert_eq(md_node_latency(n), 0);
    filt_run(n, x, a, 2, frames, 1024);
    md_node_reset(n);
    const float *ip[2] = {x[0], x[1]};
    float *op[2] = {b[0], b[1]};
    md_node_run(n, ip, op, 0);
    filt_run(n, x, b, 2, frames, 1024);
    for (int c = 0; c < 2; c++)
        cr_assert_eq(memcmp(a[c], b[c], frames * sizeof(float)), 0, "channel %d differs", c);
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(a, 2);
    filt_free(b, 2);
}

Test(eq, tail_covers_the_impulse_response)
{
    /* a stereo eq with bands on every path: after tail() frames, < -120 dB */
    md_node *n = mixed_eq();
    size_t tail = md_node_tail(n), len = tail + 20000;
    cr_assert_gt(tail, 100);
    cr_assert_lt(tail, 480000, "tail of %zu frames is implausibly long", tail);
    float **x = filt_alloc(2, len);
    x[0][0] = 1.0f;
    x[1][0] = -0.5f;
    md_node_reset(n);
    filt_run(n, x, x, 2, len, 1024);
    for (int c = 0; c < 2; c++)
        for (size_t i = tail; i < len; i++)
            cr_assert_lt(fabsf(x[c][i]), 1e-6f, "channel %d frame %zu (tail %zu): %g", c, i,
                         tail, x[c][i]);
    md_node_destroy(n);
    filt_free(x, 2);
}

Test(eq, a_nan_in_the_input_is_forgotten)
{
    size_t frames = 4096;
    float **x = stereo_noise(frames, 91, 0), **y = filt_alloc(2, frames);
    x[0][100] = NAN;
    x[1][101] = INFINITY;
    md_node *n = mixed_eq();
    filt_run(n, x, y, 2, frames, 64);
    for (int c = 0; c < 2; c++)
        for (size_t i = 1024; i < frames; i++)
            cr_assert(isfinite(y[c][i]), "channel %d frame %zu is %g", c, i, y[c][i]);
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

Test(eq, no_bands_is_a_copy)
{
    size_t frames = 5000;
    float **x = stereo_noise(frames, 71, 0), **y = filt_alloc(2, frames);
    md_node *n = filt_node("eq");
    filt_prepare(n, RATE, 2, 1024);
    filt_run(n, x, y, 2, frames, 1024);
    for (int c = 0; c < 2; c++)
        cr_assert_eq(memcmp(x[c], y[c], frames * sizeof(float)), 0);
    cr_assert_eq(md_node_tail(n), 0);
    md_node_destroy(n);
    filt_free(x, 2);
    filt_free(y, 2);
}

Test(eq, many_channels_share_the_fast_path)
{
    /* 5 channels (two pairs and a single) give the same as each channel alone */
    size_t frames = 10000;
    float **x = filt_alloc(5, frames), **y = filt_alloc(5, frames), **m = filt_alloc(1, frames);
    for (int c = 0; c < 5; c++)
        filt_noise(x[c], frames, 80 + c, 0.1);
    md_node *n = filt_node("eq");
    filt_eq_bands(n, 2);
    filt_eq_band(n, 0, "bell", 800.0, 5.0, 2.0, NULL);
    filt_eq_band(n, 1, "highshelf", 5000.0, -4.0, 0.7071, NULL);
    filt_prepare(n, RATE, 5, 1024);
    filt_run(n, x, y, 5, frames, 1024);
    md_node *mono = filt_node("eq");
    filt_eq_bands(mono, 2);
    filt_eq_band(mono, 0, "bell", 800.0, 5.0, 2.0, NULL);
    filt_eq_band(mono, 1, "highshelf", 5000.0, -4.0, 0.7071, NULL);
    filt_prepare(mono, RATE, 1, 1024);
    for (int c = 0; c < 5; c++) {
        md_node_reset(mono);
        filt_run(mono, &x[c], m, 1, frames, 1024);
        cr_assert_eq(memcmp(m[0], y[c], frames * sizeof(float)), 0, "channel %d differs", c);
    }
    md_node_destroy(n);
    md_node_destroy(mono);
    filt_free(x, 5);
    filt_free(y, 5);
    filt_free(m, 1);
}
