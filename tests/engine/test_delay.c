/* test_delay.c - delay{ms, feedback, mix, bpm, note, pingpong}: exact frame
 * delays, echo levels, tempo sync, ping-pong, tail, block-size independence. */
#include "gen_util.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100.0

static md_node *delay(const char *spec, unsigned channels)
{
    md_node *n = gen_node("delay", spec);
    gen_prepare(n, channels, RATE, 4096);
    return n;
}

static gen_sig impulse(unsigned channels, size_t frames, size_t at, float v)
{
    gen_sig s = gen_sig_new(channels, frames);
    for (unsigned c = 0; c < channels; c++)
        s.ch[c][at] = v;
    return s;
}

Test(delay, ten_ms_moves_an_impulse_by_exactly_441_frames)
{
    gen_sig in = impulse(2, 20000, 1000, 1), out = gen_sig_new(2, 20000);
    md_node *n = delay("ms=10", 2);
    cr_expect_eq(md_node_latency(n), 0u, "the delay is the effect, not latency");
    cr_expect(md_node_type(n)->flags & MD_NODE_EXTENDS);
    gen_process(n, &in, &out, 512);
    for (unsigned c = 0; c < 2; c++) {
        cr_expect_eq(gen_first_nonzero(out.ch[c], out.frames), 1441);
        cr_expect_eq(gen_last_nonzero(out.ch[c], out.frames), 1441);
        cr_expect_eq(out.ch[c][1441], 1.0f);
    }
    cr_expect_eq(md_node_tail(n), 441u, "no feedback: the tail is the delay");
    gen_sig_free(&in);
    gen_sig_free(&out);
    md_node_destroy(n);
}

Test(delay, feedback_half_gives_echoes_6_02_db_apart)
{
    gen_sig in = impulse(1, 20000, 100, 1), out = gen_sig_new(1, 20000);
    md_node *n = delay("ms=10 feedback=0.5", 1);
    gen_process(n, &in, &out, 333);
    double prev = 0;
    for (int j = 1; j <= 10; j++) {
        size_t at = 100 + 441 * (size_t)j;
        double db = gen_db(out.ch[0][at]);
        if (j > 1)
            cr_expect_float_eq(prev - db, 20 * log10(2.0), 0.01, "echo %d: step %.4f dB", j,
                               prev - db);
        prev = db;
        /* nothing between the echoes */
        cr_expect_eq(gen_first_nonzero(out.ch[0] + at - 440, 440), -1, "between echoes %d", j);
    }
    gen_sig_free(&in);
    gen_sig_free(&out);
    md_node_destroy(n);
}

Test(delay, tail_covers_the_decay_to_minus_120_db)
{
    const double fbs[] = {0.5, 0.9, 0.98};
    for (int k = 0; k < 3; k++) {
        char spec[64];
        snprintf(spec, sizeof spec, "ms=5 feedback=%g", fbs[k]);
        md_node *n = delay(spec, 1);
        unsigned tail = md_node_tail(n), d = 221; /* 5 ms = 220.5 -> 221 frames */
        /* the echoes, coded again: echo j at j d frames, fb^(j-1) */
        unsigned want_echoes = 1;
        while (pow(fbs[k], want_echoes) >= 1e-6)
            want_echoes++;
        cr_expect_eq(tail, want_echoes * d, "fb %g: tail %u, want %u", fbs[k], tail,
                     want_echoes * d);
        size_t len = 1000 + (size_t)tail + 5000;
        gen_sig in = impulse(1, len, 999, 1), out = gen_sig_new(1, len);
        gen_process(n, &in, &out, 4096);
        /* input ends at frame 1000: after tail frames, below -120 dBFS */
        double after = gen_peak(out.ch[0] + 1000 + tail, len - 1000 - tail);
        cr_expect_lt(after, 1e-6, "fb %g: %.1f dBFS after the tail", fbs[k], gen_db(after));
        /* and the tail is not much longer than needed: the last echo in it is audible
         * at -120 dB */
        double last = fabs(out.ch[0][999 + tail]);
        cr_expect_geq(last, 1e-6 * 0.999, "fb %g: last echo in the tail %.1f dB", fbs[k],
                      gen_db(last));
        gen_sig_free(&in);
        gen_sig_free(&out);
        md_node_destroy(n);
    }
}

Test(delay, mix_blends_dry_and_wet)
{
    gen_sig in = impulse(1, 4000, 10, 1), out = gen_sig_new(1, 4000);
    md_node *n = delay("ms=20 mix=0.3", 1);
    gen_process(n, &in, &out, 64);
    cr_expect_float_eq(out.ch[0][10], 0.7f, 1e-6);
    cr_expect_float_eq(out.ch[0][10 + 882], 0.3f, 1e-6);
    cr_expect_float_eq(gen_rms(out.ch[0], 4000) * gen_rms(out.ch[0], 4000) * 4000,
                       0.7 * 0.7 + 0.3 * 0.3, 1e-6);
    gen_sig_free(&in);
    gen_sig_free(&out);
    md_node_destroy(n);
}

Test(delay, bpm_and_note_set_the_time)
{
    /* 60 / bpm s per quarter: 120 bpm 1/8. = 0.375 s = 16537.5 -> 16538 frames;
     * 100 bpm 1/4t = 0.4 s = 17640; 90 bpm 1/16 = 1/6 s = 7350; ms is ignored */
    const char *specs[] = {"bpm=120 note=1/8. ms=5", "bpm=100 note=1/4t", "bpm=90 note=1/16",
                           "bpm=60 note=1/1"};
    const long want[] = {16538, 17640, 7350, 176400};
    for (int k = 0; k < 4; k++) {
        gen_sig in = impulse(1, 200000, 0, 1), out = gen_sig_new(1, 200000);
        md_node *n = delay(specs[k], 1);
        gen_process(n, &in, &out, 4096);
        cr_expect_eq(gen_first_nonzero(out.ch[0], out.frames), want[k], "%s: %ld", specs[k],
                     gen_first_nonzero(out.ch[0], out.frames));
        gen_sig_free(&in);
        gen_sig_free(&out);
        md_node_destroy(n);
    }
    md_error e;
    md_node *n = gen_node("delay", "bpm=20 note=1/1");
    md_stream st = {RATE, 1, 512};
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK, "12 s is over the 10 s maximum");
    cr_expect(strstr(e.msg, "delay: "), "%s", e.msg);
    md_node_destroy(n);
}

Test(delay, pingpong_alternates_sides)
{
    gen_sig in = gen_sig_new(2, 10000), out = gen_sig_new(2, 10000);
    in.ch[0][0] = 1; /* left only */
    md_node *n = delay("ms=10 feedback=0.5 pingpong=true", 2);
    gen_process(n, &in, &out, 100);
    /* the mono sum (1/2) enters the left line; each hop is fb quieter */
    for (int j = 1; j <= 6; j++) {
        unsigned side = (j % 2) ? 0 : 1;
        float want = 0.5f * powf(0.5f, (float)(j - 1));
        cr_expect_float_eq(out.ch[side][441 * j], want, 1e-7, "echo %d on %s", j,
                           side ? "right" : "left");
        cr_expect_eq(out.ch[1 - side][441 * j], 0.0f, "echo %d leaked", j);
    }
    md_error e;
    md_node *m = gen_node("delay", "pingpong=true");
    md_stream st = {RATE, 1, 512};
    cr_expect_neq(md_node_prepare(m, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "pingpong"), "%s", e.msg);
    md_node_destroy(m);
    gen_sig_free(&in);
    gen_sig_free(&out);
    md_node_destroy(n);
}

static gen_sig run_with_change(const char *spec, unsigned channels, unsigned block, int inplace)
{
    gen_sig in = gen_sig_new(channels, 30000);
    uint64_t s = 99;
    for (unsigned c = 0; c < channels; c++)
        for (size_t i = 0; i < 8000; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            in.ch[c][i] = (float)((double)(s >> 40) / 16777216.0 - 0.5);
        }
    gen_sig out = inplace ? in : gen_sig_new(channels, 30000);
    md_node *n = delay(spec, channels);
    gen_sig a = in, b = out;
    a.frames = b.frames = 14336; /* a multiple of every block size */
    gen_process(n, &a, &b, block);
    md_error e;
    cr_assert_eq(md_node_set_number(n, "feedback", 0.3, &e), MD_OK);
    cr_assert_eq(md_node_set_number(n, "mix", 0.6, &e), MD_OK);
    for (unsigned c = 0; c < channels; c++) {
        a.ch[c] = in.ch[c] + 14336;
        b.ch[c] = out.ch[c] + 14336;
    }
    a.frames = b.frames = 30000 - 14336;
    gen_process(n, &a, &b, block);
    md_node_destroy(n);
    if (!inplace)
        gen_sig_free(&in);
    return out;
}

Test(delay, block_size_and_in_place_do_not_change_the_output)
{
    const char *specs[] = {"ms=37 feedback=0.7 mix=0.5", "ms=13 feedback=0.6 pingpong=true",
                           "ms=0 feedback=0.5 mix=0.5"};
    static const unsigned blocks[] = {1, 7, 64};
    for (int k = 0; k < 3; k++) {
        gen_sig ref = run_with_change(specs[k], 2, 4096, 0);
        for (int b = 0; b < 3; b++)
            for (int ip = 0; ip < 2; ip++) {
                gen_sig s = run_with_change(specs[k], 2, blocks[b], ip);
                for (unsigned c = 0; c < 2; c++)
                    cr_expect_eq(memcmp(s.ch[c], ref.ch[c], 30000 * sizeof(float)), 0,
                                 "%s: blocks of %u%s differ", specs[k], blocks[b],
                                 ip ? " in place" : "");
                gen_sig_free(&s);
            }
        gen_sig_free(&ref);
    }
}

Test(delay, reset_forgets_the_echoes)
{
    gen_sig in = impulse(1, 2000, 0, 1), out = gen_sig_new(1, 2000);
    md_node *n = delay("ms=30 feedback=0.9", 1);
    gen_process(n, &in, &out, 500);
    md_node_reset(n);
    gen_sig zero = gen_sig_new(1, 20000), out2 = gen_sig_new(1, 20000);
    gen_process(n, &zero, &out2, 500);
    cr_expect_eq(gen_first_nonzero(out2.ch[0], out2.frames), -1, "echoes survived reset()");
    gen_sig_free(&in);
    gen_sig_free(&out);
    gen_sig_free(&zero);
    gen_sig_free(&out2);
    md_node_destroy(n);
}
