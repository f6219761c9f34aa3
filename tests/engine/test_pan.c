/* test_pan.c - pan{pos}: the constant-power law for mono, balance for stereo,
 * smoothing, block-size independence. */
#include "gen_util.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000.0
#define LEN 9600

static gen_sig tone(unsigned channels)
{
    gen_sig s = gen_sig_new(channels, LEN);
    for (unsigned c = 0; c < channels; c++)
        for (size_t i = 0; i < LEN; i++)
            s.ch[c][i] = (float)(0.5 * sin(2 * M_PI * 1000 * (double)i / RATE + c));
    return s;
}

static md_node *pan(double pos, unsigned in_channels)
{
    char spec[32];
    snprintf(spec, sizeof spec, "pos=%.17g", pos);
    md_node *n = gen_node("pan", spec);
    gen_prepare(n, in_channels, RATE, 1024);
    return n;
}

Test(pan, mono_center_is_minus_3_01_db_each_side)
{
    gen_sig in = tone(1), out = gen_sig_new(2, LEN);
    md_node *n = pan(0, 1);
    cr_expect_eq(md_node_out(n)->channels, 2u);
    gen_process(n, &in, &out, 1024);
    double ref = gen_rms(in.ch[0], LEN);
    for (unsigned c = 0; c < 2; c++) {
        double db = gen_db(gen_rms(out.ch[c], LEN) / ref);
        cr_expect_float_eq(db, -10 * log10(2.0), 0.01, "channel %u: %.4f dB", c, db);
    }
    cr_expect_eq(memcmp(out.ch[0], out.ch[1], LEN * sizeof(float)), 0, "center is symmetric");
    gen_sig_free(&in);
    gen_sig_free(&out);
    md_node_destroy(n);
}

Test(pan, full_left_and_right_silence_the_other_side)
{
    gen_sig in = tone(1), out = gen_sig_new(2, LEN);
    for (int side = 0; side < 2; side++) {
        md_node *n = pan(side ? 1 : -1, 1);
        gen_process(n, &in, &out, 1024);
        unsigned loud = side, quiet = 1 - side;
        cr_expect_eq(gen_first_nonzero(out.ch[quiet], LEN), -1, "pos %d: other side not silent",
                     side ? 1 : -1);
        double db = gen_db(gen_rms(out.ch[loud], LEN) / gen_rms(in.ch[0], LEN));
        cr_expect_float_eq(db, 0, 0.001, "pos %d: %.5f dB", side ? 1 : -1, db);
        md_node_destroy(n);
    }
    gen_sig_free(&in);
    gen_sig_free(&out);
}

Test(pan, mono_power_is_constant_across_positions)
{
    gen_sig in = tone(1), out = gen_sig_new(2, LEN);
    double ref = gen_rms(in.ch[0], LEN);
    for (int k = 0; k <= 10; k++) {
        double pos = -1 + 0.2 * k;
        md_node *n = pan(pos, 1);
        gen_process(n, &in, &out, 1024);
        double l = gen_rms(out.ch[0], LEN) / ref, r = gen_rms(out.ch[1], LEN) / ref;
        double total = 10 * log10(l * l + r * r);
        cr_expect_float_eq(total, 0, 0.01, "pos %.1f: total power %.5f dB", pos, total);
        /* each side against the sine/cosine law */
        double th = (pos + 1) * M_PI / 4;
        cr_expect_float_eq(l, cos(th), 1e-5, "pos %.1f: left %.6f, want %.6f", pos, l, cos(th));
        cr_expect_float_eq(r, sin(th), 1e-5, "pos %.1f: right %.6f, want %.6f", pos, r, sin(th));
        md_node_destroy(n);
    }
    gen_sig_free(&in);
    gen_sig_free(&out);
}

Test(pan, stereo_center_is_a_bit_identical_passthrough)
{
    gen_sig in = tone(2), out = gen_sig_new(2, LEN);
    md_node *n = pan(0, 2);
    gen_process(n, &in, &out, 1024);
    for (unsigned c = 0; c < 2; c++)
        cr_expect_eq(memcmp(in.ch[c], out.ch[c], LEN * sizeof(float)), 0, "channel %u", c);
    gen_sig_free(&in);
    gen_sig_free(&out);
    md_node_destroy(n);
}

Test(pan, stereo_balance_attenuates_the_far_side_only)
{
    gen_sig in = tone(2), out = gen_sig_new(2, LEN);
    const double positions[] = {0.5, -0.5, 1, -1};
    for (int k = 0; k < 4; k++) {
        double pos = positions[k];
        md_node *n = pan(pos, 2);
        gen_process(n, &in, &out, 1024);
        unsigned near = pos > 0 ? 1 : 0, far = 1 - near;
        cr_expect_eq(memcmp(in.ch[near], out.ch[near], LEN * sizeof(float)), 0,
                     "pos %g: the near side changed", pos);
        double th = (pos + 1) * M_PI / 4;
        double want = (pos > 0 ? cos(th) : sin(th)) * sqrt(2.0); /* unity at the center */
        double got = gen_rms(out.ch[far], LEN) / gen_rms(in.ch[far], LEN);
        cr_expect_float_eq(got, want, 1e-5, "pos %g: far side x%.6f, want x%.6f", pos, got, want);
        if (fabs(pos) == 1)
            cr_expect_eq(gen_first_nonzero(out.ch[far], LEN), -1, "pos %g: far side not silent",
                         pos);
        md_node_destroy(n);
    }
    gen_sig_free(&in);
    gen_sig_free(&out);
}

/* A constant mono input panned with a change of pos at frame 4096. */
static gen_sig moving(unsigned block)
{
    gen_sig in = gen_sig_new(1, LEN), out = gen_sig_new(2, LEN);
    for (size_t i = 0; i < LEN; i++)
        in.ch[0][i] = 0.5f;
    md_node *n = pan(-1, 1);
    gen_sig a = in, b = out;
    a.frames = b.frames = 4096;
    gen_process(n, &a, &b, block);
    md_error e;
    cr_assert_eq(md_node_set_number(n, "pos", 1, &e), MD_OK, "%s", e.msg);
    for (unsigned c = 0; c < 2; c++)
        b.ch[c] = out.ch[c] + 4096;
    a.ch[0] = in.ch[0] + 4096;
    a.frames = b.frames = LEN - 4096;
    gen_process(n, &a, &b, block);
    md_node_destroy(n);
    gen_sig_free(&in);
    return out;
}

Test(pan, moves_smoothly_and_independently_of_the_block_size)
{
    gen_sig ref = moving(1024);
    /* no jump: the first frame after the change is still nearly full left,
     * and the glide takes several ms */
    cr_expect_gt(ref.ch[0][4096], 0.49f, "left jumped to %g", ref.ch[0][4096]);
    cr_expect_lt(ref.ch[1][4096], 0.02f, "right jumped to %g", ref.ch[1][4096]);
    double worst = 0;
    for (size_t i = 4097; i < LEN; i++)
        worst = fmax(worst, fabs(ref.ch[1][i] - ref.ch[1][i - 1]));
    cr_expect_lt(worst, 0.01, "largest step per frame %g", worst);
    /* arrived at full right within 100 ms */
    cr_expect_lt(fabs(ref.ch[1][LEN - 1] - 0.5), 1e-4);
    cr_expect_lt(fabs(ref.ch[0][LEN - 1]), 1e-4);
    static const unsigned blocks[] = {1, 7, 64};
    for (int b = 0; b < 3; b++) {
        gen_sig s = moving(blocks[b]);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(s.ch[c], ref.ch[c], LEN * sizeof(float)), 0,
                         "blocks of %u differ from 1024", blocks[b]);
        gen_sig_free(&s);
    }
    gen_sig_free(&ref);
}

Test(pan, refuses_more_than_two_channels)
{
    md_error e;
    md_node *n = gen_node("pan", NULL);
    md_stream st = {RATE, 3, 512};
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "pan: "), "%s", e.msg);
    cr_expect_neq(md_node_set_number(n, "pos", 1.5, &e), MD_OK);
    cr_expect(strstr(e.msg, "pos"), "%s", e.msg);
    md_node_destroy(n);
}
