/* test_match.c - the match node: its curve as a linear-phase FIR (response
 * by direct DFT of the impulse response against the interpolation coded
 * again here), limits, amount, width and gain against their definitions, a
 * flat curve as an exact delay, curve changes, and matching one synthesized
 * piece of music to another (1/6-octave distance, measured by
 * match_support.c's own FFT). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "match_support.h"
#include "mixdown/md.h"

#define RATE 44100.0

static void set_curve(md_node *n, unsigned np, const double (*pts)[2])
{
    md_error e;
    cr_assert_eq(md_node_set_list_count(n, "curve", np, &e), MD_OK, "%s", e.msg);
    for (unsigned i = 0; i < np; i++) {
        cr_assert_eq(md_node_set_item_number(n, "curve", i, "freq", pts[i][0], &e), MD_OK, "%s",
                     e.msg);
        cr_assert_eq(md_node_set_item_number(n, "curve", i, "gain", pts[i][1], &e), MD_OK, "%s",
                     e.msg);
    }
}

static md_node *make(const char *spec, unsigned np, const double (*pts)[2], unsigned ch)
{
    md_node *n = gen_node("match", spec);
    set_curve(n, np, pts);
    gen_prepare(n, ch, RATE, 4096);
    return n;
}

/* The curve as the node documents it, coded again: linear in log f between
 * points (sorted), held beyond the ends, times amount, limited. */
static double want_db(unsigned np, const double (*pts)[2], double f, double amount, double boost,
                      double cut)
{
    double g;
    if (f <= pts[0][0])
        g = pts[0][1];
    else if (f >= pts[np - 1][0])
        g = pts[np - 1][1];
    else {
        unsigned i = 0;
        while (pts[i + 1][0] < f)
            i++;
        double t = (log(f) - log(pts[i][0])) / (log(pts[i + 1][0]) - log(pts[i][0]));
        g = pts[i][1] + t * (pts[i + 1][1] - pts[i][1]);
    }
    g *= amount;
    return fmax(-cut, fmin(boost, g));
}

/* Impulse response of a mono node: lat + 2 K frames from an impulse at 0. */
static gen_sig impulse_response(md_node *n)
{
    unsigned lat = md_node_latency(n), tail = md_node_tail(n);
    gen_sig x = gen_sig_new(1, lat + tail + 4096);
    x.ch[0][0] = 1.0f;
    gen_sig y = gen_sig_new(1, x.frames);
    gen_process(n, &x, &y, 1000);
    gen_sig_free(&x);
    return y;
}

static gen_sig stereo_noise(double seconds, uint64_t seed)
{
    gen_sig s = gen_sig_new(2, (size_t)(seconds * RATE));
    for (unsigned c = 0; c < 2; c++) {
        uint64_t st = seed + c * 7919;
        for (size_t i = 0; i < s.frames; i++) {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            s.ch[c][i] = (float)(0.25 * ((double)(st >> 11) / 9007199254740992.0 - 0.5));
        }
    }
    return s;
}

Test(match, a_flat_curve_is_an_exact_delay)
{
    static const double pts[3][2] = {{100, 6}, {1000, -4}, {8000, 9}};
    static const double zero[2][2] = {{100, 0}, {5000, 0}};
    gen_sig in = stereo_noise(1.0, 99);
    struct { const char *spec; unsigned np; const double (*pts)[2]; } cases[] = {
        {"", 0, NULL}, {"amount=0", 3, pts}, {"", 2, zero}, {"width=1 gain=0", 0, NULL}};
    for (unsigned k = 0; k < 4; k++) {
        md_node *n = make(cases[k].spec, cases[k].np, cases[k].pts, 2);
        unsigned lat = md_node_latency(n);
        cr_assert_eq(lat, 8191u + 1024u, "latency %u at 44.1 kHz", lat);
        gen_sig out = gen_sig_new(2, in.frames);
        gen_process(n, &in, &out, 333);
        for (unsigned c = 0; c < 2; c++) {
            cr_assert_eq(gen_last_nonzero(out.ch[c], lat), -1, "case %u: output before the latency", k);
            cr_assert_eq(memcmp(out.ch[c] + lat, in.ch[c], (in.frames - lat) * sizeof(float)), 0,
                         "case %u: channel %u is not the input delayed by %u frames", k, c, lat);
        }
        gen_sig_free(&out);
        md_node_destroy(n);
    }
    gen_sig_free(&in);
}

Test(match, the_response_is_the_curve_interpolated_in_log_frequency)
{
    /* a smooth curve given on a 1/3-octave grid, 25 Hz .. 20 kHz, +-6 dB */
    double pts[31][2];
    for (int i = 0; i < 31; i++) {
        double f = 25.0 * pow(2.0, i / 3.0);
        pts[i][0] = f;
        pts[i][1] = 6.0 * sin(1.3 * log2(f / 100.0));
    }
    md_node *n = make("", 31, (const double(*)[2])pts, 1);
    unsigned lat = md_node_latency(n);
    gen_sig h = impulse_response(n);
    double worst = 0, worst_f = 0, worst_lo = 0;
    for (int i = -28; i <= 24; i++) { /* 1/6-octave points 40 Hz .. 16 kHz */
        double f = 1000.0 * pow(2.0, i / 6.0);
        double got = ms_response_db(h.ch[0], h.frames, f, RATE);
        double want = want_db(31, (const double(*)[2])pts, f, 1, 12, 12);
        double err = fabs(got - want);
        if (f < 100 && err > worst_lo)
            worst_lo = err;
        if (f >= 100 && err > worst) {
            worst = err;
            worst_f = f;
        }
    }
    cr_log_info("match: response within %.4f dB of the curve 100 Hz..16 kHz (worst at %.0f Hz), "
                "%.4f dB 40..100 Hz", worst, worst_f, worst_lo);
    cr_expect_lt(worst, 0.05, "%.4f dB off at %.0f Hz", worst, worst_f);
    cr_expect_lt(worst_lo, 0.2, "%.4f dB off below 100 Hz", worst_lo);
    /* linear phase: symmetric about the latency, which is where the peak is */
    double asym = 0, peak = 0;
    for (unsigned d = 0; d < 8192; d++) {
        double a = h.ch[0][lat + d], b = h.ch[0][lat - d];
        asym = fmax(asym, fabs(a - b));
        peak = fmax(peak, fabs(a));
    }
    cr_expect_lt(asym, 1e-6 * peak, "impulse response not symmetric: %g (peak %g)", asym, peak);
    gen_sig_free(&h);
    md_node_destroy(n);
}

Test(match, boost_and_cut_are_limited_after_amount)
{
    static const double pts[3][2] = {{100, -30}, {1000, 20}, {5000, 20}};
    struct { const char *spec; double amount, boost, cut; } cases[] = {
        {"", 1, 12, 12},
        {"max_boost=3 max_cut=6", 1, 3, 6},
        {"amount=0.5", 0.5, 12, 12},
        {"amount=0.25 max_cut=24", 0.25, 12, 24},
        {"max_boost=24 max_cut=48", 1, 24, 48},
    };
    static const double freqs[] = {40, 70, 300, 2000, 10000};
    for (unsigned k = 0; k < 5; k++) {
        md_node *n = make(cases[k].spec, 3, pts, 1);
        gen_sig h = impulse_response(n);
        for (unsigned j = 0; j < 5; j++) {
            double got = ms_response_db(h.ch[0], h.frames, freqs[j], RATE);
            double want = want_db(3, pts, freqs[j], cases[k].amount, cases[k].boost, cases[k].cut);
            cr_expect(fabs(got - want) < 0.1, "%s: %.3f dB at %g Hz, want %.3f", cases[k].spec,
                      got, freqs[j], want);
            cr_expect(got < cases[k].boost + 0.1 && got > -cases[k].cut - 0.1,
                      "%s: %.3f dB at %g Hz beyond the limits", cases[k].spec, got, freqs[j]);
        }
        gen_sig_free(&h);
        md_node_destroy(n);
    }
}

/* mean square of (a +- b) / 2 over a range */
static double ms_power(const gen_sig *s, size_t from, size_t to, int side)
{
    double acc = 0;
    for (size_t i = from; i < to; i++) {
        double v = 0.5 * (s->ch[0][i] + (side ? -1.0 : 1.0) * s->ch[1][i]);
        acc += v * v;
    }
    return acc / (double)(to - from);
}

Test(match, width_scales_the_side_and_gain_the_level)
{
    gen_sig in = stereo_noise(2.0, 5);
    struct { const char *spec; double mid_db, side_db; } cases[] = {
        {"width=0.5", 0.0, 20 * log10(0.5)},
        {"width=1.7", 0.0, 20 * log10(1.7)},
        {"width=0", 0.0, -INFINITY},
        {"gain=6", 6.0, 6.0},
        {"gain=-4.5 width=1.25", -4.5, -4.5 + 20 * log10(1.25)},
    };
    for (unsigned k = 0; k < 5; k++) {
        md_node *n = make(cases[k].spec, 0, NULL, 2);
        unsigned lat = md_node_latency(n);
        gen_sig out = gen_sig_new(2, in.frames);
        gen_process(n, &in, &out, 4096);
        size_t from = 4410, to = in.frames - lat; /* after 0.1 s: smoothing settled */
        double mid = 10 * log10(ms_power(&out, from + lat, to + lat, 0) / ms_power(&in, from, to, 0));
        double side = 10 * log10(ms_power(&out, from + lat, to + lat, 1) / ms_power(&in, from, to, 1));
        cr_expect(fabs(mid - cases[k].mid_db) < 0.001, "%s: mid %+.4f dB, want %+.4f",
                  cases[k].spec, mid, cases[k].mid_db);
        if (isinf(cases[k].side_db))
            cr_expect(side < -140, "%s: side %+.1f dB, want none", cases[k].spec, side);
        else
            cr_expect(fabs(side - cases[k].side_db) < 0.001, "%s: side %+.4f dB, want %+.4f",
                      cases[k].spec, side, cases[k].side_db);
        gen_sig_free(&out);
        md_node_destroy(n);
    }
    /* a mono input ignores width */
    md_node *n = make("width=0.3", 0, NULL, 1);
    unsigned lat = md_node_latency(n);
    gen_sig mono = {1, in.frames, {in.ch[0]}};
    gen_sig out = gen_sig_new(1, in.frames);
    gen_process(n, &mono, &out, 4096);
    cr_expect_eq(memcmp(out.ch[0] + lat, in.ch[0], (in.frames - lat) * sizeof(float)), 0,
                 "width changed a mono input");
    gen_sig_free(&out);
    md_node_destroy(n);
    gen_sig_free(&in);
}

/* Renders in through n in blocks of `block`, changing the curve to pts2 when
 * `at` frames have gone through. */
static void render_change(md_node *n, const gen_sig *in, gen_sig *out, unsigned block, size_t at,
                          unsigned np2, const double (*pts2)[2])
{
    const float *ip[2];
    float *op[2];
    for (size_t pos = 0; pos < in->frames;) {
        size_t f = in->frames - pos < block ? in->frames - pos : block;
        if (pos < at && pos + f > at)
            f = at - pos;
        if (pos == at)
            set_curve(n, np2, pts2);
        for (unsigned c = 0; c < 2; c++) {
            ip[c] = in->ch[c] + pos;
            op[c] = out->ch[c] + pos;
        }
        md_node_run(n, ip, op, (unsigned)f);
        pos += f;
    }
}

Test(match, a_curve_change_takes_effect_at_the_next_partition_whatever_the_blocks)
{
    static const double a[2][2] = {{200, 5}, {3000, -5}};
    static const double b[3][2] = {{80, -6}, {800, 4}, {10000, 7}};
    gen_sig in = stereo_noise(2.0, 17);
    const size_t at = 30001;
    gen_sig ref = gen_sig_new(2, in.frames), out = gen_sig_new(2, in.frames);
    md_node *n = make("", 2, a, 2);
    render_change(n, &in, &ref, 4096, at, 3, b);
    md_node_destroy(n);
    static const unsigned blocks[] = {1, 7, 64, 1000};
    for (unsigned k = 0; k < 4; k++) {
        n = make("", 2, a, 2);
        render_change(n, &in, &out, blocks[k], at, 3, b);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(out.ch[c], ref.ch[c], in.frames * sizeof(float)), 0,
                         "blocks of %u differ from blocks of 4096", blocks[k]);
        md_node_destroy(n);
    }
    /* after the partition that crossfades, the output is the new curve's, bit
     * for bit: a node made with curve b from the start */
    n = make("", 3, b, 2);
    gen_process(n, &in, &out, 4096);
    const unsigned P = 1024;
    size_t from = (at / P + 1) * P + P; /* the crossfaded partition is played up to here */
    for (unsigned c = 0; c < 2; c++)
        cr_expect_eq(memcmp(out.ch[c] + from, ref.ch[c] + from, (in.frames - from) * sizeof(float)),
                     0, "channel %u after the change is not the new curve's output", c);
    /* and before it, the old curve's */
    md_node_destroy(n);
    n = make("", 2, a, 2);
    gen_process(n, &in, &out, 4096);
    size_t until = (at / P + 1) * P; /* the first partition computed after the change plays here */
    for (unsigned c = 0; c < 2; c++)
        cr_expect_eq(memcmp(out.ch[c], ref.ch[c], until * sizeof(float)), 0,
                     "channel %u before the change is not the old curve's output", c);
    md_node_destroy(n);
    gen_sig_free(&in);
    gen_sig_free(&ref);
    gen_sig_free(&out);
}

/* The curve that takes a's spectrum to b's: (b - a) minus its mean. */
static unsigned diff_curve(const ms_spectrum *a, const ms_spectrum *b, double (*pts)[2])
{
    double mean = 0;
    for (unsigned i = 0; i < a->count; i++)
        mean += b->db[i] - a->db[i];
    mean /= a->count;
    for (unsigned i = 0; i < a->count; i++) {
        pts[i][0] = a->hz[i];
        pts[i][1] = b->db[i] - a->db[i] - mean;
    }
    return a->count;
}

Test(match, one_piece_is_matched_to_another_3x_closer)
{
    gen_sig piece[2] = {ms_piece(0, 20.0, RATE), ms_piece(1, 20.0, RATE)};
    ms_spectrum sp[2] = {ms_measure(&piece[0], RATE), ms_measure(&piece[1], RATE)};
    double before = ms_distance(&sp[0], &sp[1]);
    cr_log_info("match: the two pieces are %.2f dB apart (1/6 octave, 40 Hz..16 kHz)", before);
    cr_assert_gt(before, 3.0, "the pieces are too alike (%.2f dB) for this test", before);
    for (int k = 0; k < 2; k++) {
        const ms_spectrum *in = &sp[k], *ref = &sp[1 - k];
        double pts[MS_MAX_BANDS][2];
        unsigned np = diff_curve(in, ref, pts);
        double span = 0;
        for (unsigned i = 0; i < np; i++)
            span = fmax(span, fabs(pts[i][1]));
        md_node *n = make("max_boost=24 max_cut=24", np, (const double(*)[2])pts, 2);
        unsigned lat = md_node_latency(n);
        gen_sig x = gen_sig_new(2, piece[k].frames + lat), y = gen_sig_new(2, x.frames);
        for (unsigned c = 0; c < 2; c++)
            memcpy(x.ch[c], piece[k].ch[c], piece[k].frames * sizeof(float));
        gen_process(n, &x, &y, 4096);
        gen_sig aligned = {2, piece[k].frames, {y.ch[0] + lat, y.ch[1] + lat}};
        ms_spectrum got = ms_measure(&aligned, RATE);
        double after = ms_distance(&got, ref);
        cr_log_info("match: piece %d -> piece %d: %.2f dB -> %.2f dB (%.1fx closer; curve up to "
                    "%.1f dB)", k, 1 - k, before, after, before / after, span);
        cr_expect(after * 3 <= before, "piece %d: %.2f dB -> %.2f dB, not 3x closer", k, before,
                  after);
        gen_sig_free(&x);
        gen_sig_free(&y);
        md_node_destroy(n);
    }
    gen_sig_free(&piece[0]);
    gen_sig_free(&piece[1]);
}
