/* test_reverb.c - reverb: RT60 against `decay` (Schroeder backward
 * integration), a decorrelated tail, no metallic ringing, exact dry path,
 * honest tail, and the node contract (block sizes, reset, in-place, no
 * allocation in process). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "space_alloc.h"
#include "space_measure.h"
#include "ts_signal.h"

#define FS 44100.0
#define MAXF 4096u

/* Impulse response (2 channels) of a reverb with settings kv, fed an impulse
 * on every one of in_ch input channels. */
static float **impulse_response_at(const char *const *kv, unsigned in_ch, unsigned frames,
                                   double rate)
{
    md_node *n = sm_node("reverb", kv);
    sm_prepare(n, in_ch, rate, MAXF);
    cr_assert_eq(md_node_out(n)->channels, 2u);
    float **in = sm_alloc(in_ch, frames), **out = sm_alloc(2, frames);
    for (unsigned c = 0; c < in_ch; c++)
        in[c][0] = 1.0f;
    sm_run(n, in, out, frames, MAXF);
    sm_free(in, in_ch);
    md_node_destroy(n);
    return out;
}

static float **impulse_response(const char *const *kv, unsigned in_ch, unsigned frames)
{
    return impulse_response_at(kv, in_ch, frames, FS);
}

static double measure_rt60_at(const char *const *kv, double decay, int midband, double rate)
{
    unsigned frames = (unsigned)((2.2 * decay + 0.3) * rate);
    float **ir = impulse_response_at(kv, 1, frames, rate);
    if (midband) /* 500 Hz .. 2 kHz: 4th-order Butterworth high-pass and low-pass */
        for (unsigned c = 0; c < 2; c++) {
            sm_rbj_filter(ir[c], frames, 'h', rate, 500.0, M_SQRT1_2);
            sm_rbj_filter(ir[c], frames, 'h', rate, 500.0, M_SQRT1_2);
            sm_rbj_filter(ir[c], frames, 'l', rate, 2000.0, M_SQRT1_2);
            sm_rbj_filter(ir[c], frames, 'l', rate, 2000.0, M_SQRT1_2);
        }
    double *edc = malloc(sizeof(double) * frames);
    sm_edc((const float *const *)ir, 2, frames, edc);
    double rt = sm_rt60(edc, frames, rate, -5.0, -35.0);
    free(edc);
    sm_free(ir, 2);
    return rt;
}

static double measure_rt60(const char *const *kv, double decay, int midband)
{
    return measure_rt60_at(kv, decay, midband, FS);
}

Test(reverb, rt60_matches_decay_at_other_sample_rates)
{
    static const double rates[] = {22050.0, 48000.0, 96000.0};
    for (unsigned r = 0; r < 3; r++) {
        const char *flat[] = {"decay", "1.8", "damping", "0", "mix", "1", NULL};
        const char *damp[] = {"decay", "1.8", "mix", "1", NULL};
        double a = measure_rt60_at(flat, 1.8, 0, rates[r]);
        double b = measure_rt60_at(damp, 1.8, 1, rates[r]);
        cr_log_info("%.0f Hz: broadband (damping 0) %.3f s, mid band (damping 0.5) %.3f s",
                    rates[r], a, b);
        cr_expect(fabs(a / 1.8 - 1.0) < 0.10, "%.0f Hz broadband RT60 %.3f s", rates[r], a);
        cr_expect(fabs(b / 1.8 - 1.0) < 0.10, "%.0f Hz mid-band RT60 %.3f s", rates[r], b);
    }
}

Test(reverb, rt60_matches_decay_broadband_without_damping)
{
    static const double decays[] = {0.5, 1.8, 4.0};
    for (unsigned i = 0; i < 3; i++) {
        char d[32];
        snprintf(d, sizeof d, "%g", decays[i]);
        const char *kv[] = {"decay", d, "damping", "0", "mix", "1", "predelay", "0", NULL};
        double rt = measure_rt60(kv, decays[i], 0);
        cr_log_info("decay %g s, damping 0: T30 x 2 = %.3f s (%+.1f %%)", decays[i], rt,
                    100.0 * (rt / decays[i] - 1.0));
        cr_expect(fabs(rt / decays[i] - 1.0) < 0.10, "decay %g s: measured RT60 %.3f s", decays[i],
                  rt);
    }
}

Test(reverb, rt60_matches_decay_at_mid_frequencies_with_damping)
{
    static const double decays[] = {0.5, 1.8, 4.0};
    static const char *const damp[] = {"0.5", "1"};
    for (unsigned k = 0; k < 2; k++)
        for (unsigned i = 0; i < 3; i++) {
            char d[32];
            snprintf(d, sizeof d, "%g", decays[i]);
            const char *kv[] = {"decay", d, "damping", damp[k], "mix", "1", NULL};
            double rt = measure_rt60(kv, decays[i], 1);
            cr_log_info("decay %g s, damping %s, 500 Hz..2 kHz: RT60 = %.3f s (%+.1f %%)",
                        decays[i], damp[k], rt, 100.0 * (rt / decays[i] - 1.0));
            cr_expect(fabs(rt / decays[i] - 1.0) < 0.10,
                      "decay %g s damping %s: mid-band RT60 %.3f s", decays[i], damp[k], rt);
        }
}

Test(reverb, damping_shortens_the_high_frequencies)
{
    /* 8 kHz octave band with damping 1 decays clearly faster than decay */
    const char *kv[] = {"decay", "2", "damping", "1", "mix", "1", NULL};
    unsigned frames = (unsigned)(5.0 * FS);
    float **ir = impulse_response(kv, 1, frames);
    for (unsigned c = 0; c < 2; c++) {
        sm_rbj_filter(ir[c], frames, 'h', FS, 5657.0, M_SQRT1_2);
        sm_rbj_filter(ir[c], frames, 'h', FS, 5657.0, M_SQRT1_2);
        sm_rbj_filter(ir[c], frames, 'l', FS, 11314.0, M_SQRT1_2);
        sm_rbj_filter(ir[c], frames, 'l', FS, 11314.0, M_SQRT1_2);
    }
    double *edc = malloc(sizeof(double) * frames);
    sm_edc((const float *const *)ir, 2, frames, edc);
    double rt = sm_rt60(edc, frames, FS, -5.0, -35.0);
    cr_log_info("decay 2 s, damping 1: 8 kHz octave RT60 = %.3f s", rt);
    cr_expect(rt < 1.0, "8 kHz RT60 with damping 1 is %.3f s (decay 2 s)", rt);
    free(edc);
    sm_free(ir, 2);
}

static void check_decorrelated(const char *const *kv, unsigned in_ch, int left_only,
                               double predelay_ms)
{
    unsigned frames = (unsigned)(2.0 * FS);
    md_node *n = sm_node("reverb", kv);
    sm_prepare(n, in_ch, FS, MAXF);
    float **in = sm_alloc(in_ch, frames), **out = sm_alloc(2, frames);
    in[0][0] = 1.0f;
    if (in_ch == 2 && !left_only)
        in[1][0] = 1.0f;
    sm_run(n, in, out, frames, MAXF);
    unsigned from = (unsigned)((predelay_ms + 50.0) * 1e-3 * FS);
    double r = sm_correlation(out[0] + from, out[1] + from, frames - from);
    cr_log_info("tail L/R correlation (%u in%s): %.4f", in_ch, left_only ? ", left only" : "", r);
    cr_expect(fabs(r) < 0.3, "tail correlation %.3f (%u input channels)", r, in_ch);
    /* and the tail is there: not a trivially silent pair */
    cr_expect(ts_rms_db(out[0] + from, frames - from) > -80.0);
    sm_free(in, in_ch);
    sm_free(out, 2);
    md_node_destroy(n);
}

Test(reverb, tail_is_decorrelated_between_left_and_right)
{
    const char *kv[] = {"mix", "1", NULL};
    check_decorrelated(kv, 1, 0, 10.0);
    check_decorrelated(kv, 2, 0, 10.0);
    check_decorrelated(kv, 2, 1, 10.0);
    const char *small[] = {"mix", "1", "size", "0", "decay", "0.8", "predelay", "0", NULL};
    check_decorrelated(small, 1, 0, 0.0);
    const char *big[] = {"mix", "1", "size", "1", "decay", "6", "damping", "0", NULL};
    check_decorrelated(big, 1, 0, 10.0);
}

Test(reverb, width_zero_gives_a_mono_tail)
{
    const char *kv[] = {"mix", "1", "width", "0", NULL};
    unsigned frames = 20000;
    float **ir = impulse_response(kv, 1, frames);
    for (unsigned i = 0; i < frames; i++)
        cr_assert_eq(ir[0][i], ir[1][i], "frame %u", i);
    cr_expect(ts_rms_db(ir[0], frames) > -60.0);
    sm_free(ir, 2);
}

/* Largest bin over its 1/3-octave neighbourhood in the tail from 0.1 to 1 s. */
static double metallic_excess(const float *x, double *at)
{
    unsigned a = (unsigned)(0.1 * FS), b = (unsigned)(1.0 * FS);
    double psd[4096 / 2 + 1];
    unsigned segs = sm_welch(x + a, b - a, 4096, psd);
    cr_assert_geq(segs, 10u);
    return sm_peak_over_smooth(psd, 4096, FS, 100.0, 10000.0, at);
}

Test(reverb, tail_has_no_metallic_ringing)
{
    static const char *const settings[][9] = {
        {"mix", "1", NULL},
        {"mix", "1", "size", "0", "decay", "1", NULL},
        {"mix", "1", "size", "1", "decay", "4", "damping", "0", NULL},
        {"mix", "1", "size", "0.3", "decay", "0.5", "damping", "0.2", NULL},
        {"mix", "1", "size", "1", "decay", "0.2", "damping", "1", NULL},
    };
    for (unsigned s = 0; s < 5; s++) {
        unsigned frames = (unsigned)(1.2 * FS);
        float **ir = impulse_response((const char *const *)settings[s], 1, frames);
        for (unsigned c = 0; c < 2; c++) {
            double at = 0;
            double ex = metallic_excess(ir[c] + 441, &at);
            cr_log_info("setting %u, channel %u: largest bin %.2f dB over the 1/3-octave "
                        "smoothed tail spectrum (at %.0f Hz)",
                        s, c, ex, at);
            cr_expect(ex < 10.0, "setting %u ch %u: %.1f dB peak at %.0f Hz", s, c, ex, at);
        }
        sm_free(ir, 2);
    }
}

Test(reverb, ringing_measure_catches_a_comb)
{
    /* the measure above must be able to fail: a feedback comb (100 Hz
     * spacing, g = 0.95) rings at its teeth */
    unsigned frames = (unsigned)(1.2 * FS);
    float *x = calloc(frames, sizeof(float));
    uint64_t s = 7;
    for (unsigned i = 0; i < 2000; i++)
        x[i] = (float)(ts_rand(&s) - 0.5);
    for (unsigned i = 441; i < frames; i++)
        x[i] += 0.95f * x[i - 441];
    double at = 0, ex = metallic_excess(x, &at);
    cr_log_info("comb: %.2f dB", ex);
    cr_expect(ex > 10.0, "a comb reads only %.1f dB", ex);
    free(x);
}

Test(reverb, mix_zero_passes_the_dry_signal_exactly)
{
    unsigned frames = 50000;
    for (unsigned ich = 1; ich <= 2; ich++) {
        const char *kv[] = {"mix", "0", NULL};
        md_node *n = sm_node("reverb", kv);
        sm_prepare(n, ich, FS, MAXF);
        float **in = sm_alloc(ich, frames), **out = sm_alloc(2, frames);
        for (unsigned c = 0; c < ich; c++)
            ts_noise(in[c], frames, 0.3, 11 + c);
        sm_run(n, in, out, frames, 1000);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(out[c], in[ich == 1 ? 0 : c], frames * sizeof(float)), 0,
                         "%u input channels: output %u is not the input", ich, c);
        sm_free(in, ich);
        sm_free(out, 2);
        md_node_destroy(n);
    }
}

static void check_tail(const char *const *kv)
{
    md_node *n = sm_node("reverb", kv);
    sm_prepare(n, 2, FS, MAXF);
    unsigned tail = md_node_tail(n), noise = (unsigned)(0.5 * FS);
    unsigned frames = noise + tail + (unsigned)(0.5 * FS);
    float **in = sm_alloc(2, frames), **out = sm_alloc(2, frames);
    ts_noise(in[0], noise, 0.5, 3);
    ts_noise(in[1], noise, 0.5, 4);
    sm_run(n, in, out, frames, MAXF);
    double after = fmax(ts_peak_db(out[0] + noise + tail, frames - noise - tail),
                        ts_peak_db(out[1] + noise + tail, frames - noise - tail));
    /* honest, not padded: at half the tail the reverb is still audible above -120 dB */
    double half = ts_peak_db(out[0] + noise + tail / 2, 4410);
    cr_log_info("tail %u frames (%.2f s): peak after it %.1f dBFS, at half of it %.1f dBFS", tail,
                tail / FS, after, half);
    cr_expect(after < -120.0, "%.1f dBFS after the tail", after);
    cr_expect(half > -120.0, "the tail is over-long: %.1f dBFS halfway", half);
    sm_free(in, 2);
    sm_free(out, 2);
    md_node_destroy(n);
}

Test(reverb, output_after_tail_is_below_minus_120_dbfs)
{
    const char *a[] = {"decay", "0.5", "mix", "1", NULL};
    const char *b[] = {"decay", "4", "damping", "1", "mix", "1", "predelay", "200", NULL};
    const char *c[] = {"decay", "3", "damping", "0", "size", "1", NULL};
    check_tail(a);
    check_tail(b);
    check_tail(c);
}

Test(reverb, latency_is_zero_and_the_dry_impulse_comes_first)
{
    unsigned frames = 20000;
    md_node *n = sm_node("reverb", NULL);
    sm_prepare(n, 2, FS, MAXF);
    cr_expect_eq(md_node_latency(n), 0u);
    float **in = sm_alloc(2, frames), **out = sm_alloc(2, frames);
    in[0][1000] = in[1][1000] = 0.5f;
    sm_run(n, in, out, frames, 512);
    for (unsigned c = 0; c < 2; c++) {
        unsigned at = 0;
        for (unsigned i = 0; i < frames; i++)
            if (fabsf(out[c][i]) > fabsf(out[c][at]))
                at = i;
        cr_expect_eq(at, 1000u, "channel %u peaks at %u", c, at);
        cr_expect_float_eq(out[c][1000], 0.375f, 1e-7f, "dry share (1 - mix) x 0.5");
    }
    sm_free(in, 2);
    sm_free(out, 2);
    md_node_destroy(n);
}

/* Renders noise with a decay change at 28672 frames, in blocks of `block`. */
static void render_changing(md_node *n, float **in, float **out, unsigned frames, unsigned block,
                            int *allocs)
{
    md_error e;
    unsigned change = 28672;
    sa_count_begin();
    sm_run(n, in, out, change, block);
    int a1 = sa_count_end();
    cr_assert_eq(md_node_set_number(n, "decay", 3.5, &e), MD_OK);
    cr_assert_eq(md_node_set_number(n, "mix", 0.6, &e), MD_OK);
    float *ip[2] = {in[0] + change, in[md_node_in(n)->channels - 1] + change};
    float *op[2] = {out[0] + change, out[1] + change};
    sa_count_begin();
    sm_run(n, ip, op, frames - change, block);
    int a2 = sa_count_end();
    if (allocs)
        *allocs = a1 < 0 ? -1 : a1 + a2;
}

Test(reverb, block_size_independent_resettable_in_place_and_allocation_free)
{
    unsigned frames = 2 * 28672;
    for (unsigned ich = 1; ich <= 2; ich++) {
        const char *kv[] = {"size", "0.3", "predelay", "23", NULL};
        float **in = sm_alloc(2, frames), **ref = sm_alloc(2, frames), **out = sm_alloc(2, frames);
        ts_noise(in[0], frames, 0.3, 5);
        ts_noise(in[1], frames, 0.3, 6);
        md_node *n = sm_node("reverb", kv);
        sm_prepare(n, ich, FS, MAXF);
        int allocs = 0;
        render_changing(n, in, ref, frames, MAXF, &allocs);
        if (allocs >= 0)
            cr_expect_eq(allocs, 0, "process() allocated %d times", allocs);
        static const unsigned blocks[] = {1, 7, 64};
        for (unsigned b = 0; b < 3; b++) {
            md_node *m = sm_node("reverb", kv);
            sm_prepare(m, ich, FS, MAXF);
            render_changing(m, in, out, frames, blocks[b], NULL);
            for (unsigned c = 0; c < 2; c++)
                cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                             "%u in: blocks of %u differ from %u", ich, blocks[b], MAXF);
            md_node_destroy(m);
        }
        /* reset, parameters back, rerun: bit-identical */
        md_error e;
        md_node_set_number(n, "decay", 1.8, &e);
        md_node_set_number(n, "mix", 0.25, &e);
        md_node_reset(n);
        render_changing(n, in, out, frames, 64, NULL);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                         "%u in: reset then rerun differs", ich);
        /* in place: the output buffer holds the input */
        md_node_destroy(n);
        n = sm_node("reverb", kv);
        sm_prepare(n, ich, FS, MAXF);
        for (unsigned c = 0; c < 2; c++)
            memcpy(out[c], in[c], frames * sizeof(float));
        render_changing(n, out, out, frames, 100, NULL);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(ref[c], out[c], frames * sizeof(float)), 0,
                         "%u in: in-place output differs", ich);
        md_node_destroy(n);
        sm_free(in, 2);
        sm_free(ref, 2);
        sm_free(out, 2);
    }
}

Test(reverb, refuses_bad_values_naming_the_parameter)
{
    md_error e;
    md_node *n = sm_node("reverb", NULL);
    cr_expect_neq(md_node_set_number(n, "decay", 0.05, &e), MD_OK);
    cr_expect(strstr(e.msg, "decay"), "%s", e.msg);
    cr_expect_neq(md_node_set_number(n, "predelay", 250, &e), MD_OK);
    cr_expect(strstr(e.msg, "predelay"), "%s", e.msg);
    md_stream st = {FS, 3, MAXF};
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "reverb") && strstr(e.msg, "channels"), "%s", e.msg);
    md_node_destroy(n);
}

Test(reverb, allocation_counter_sees_allocations)
{
    /* the "no allocation in process" checks above rely on this counter */
    sa_count_begin();
    void *volatile q = malloc(64);
    free(q);
    int k = sa_count_end();
    if (k >= 0)
        cr_expect_eq(k, 2, "the interposed allocator counted %d calls for malloc + free", k);
}
