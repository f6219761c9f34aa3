/* test_declick.c - declick: clicks in a tonal chord found and repaired
 * (residual against the clean signal), drums left alone (false detections
 * per minute of a drum loop), clicks between drum hits still found, crackle
 * mode, max_length, linked stereo, block-size independence and reset on
 * damaged material, sensitivity 0 = a bit-exact delay. */
#include "click_util.h"
#include "mixdown/md_restore.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100.0
#define NCLICK 100

static float *fbuf(unsigned n)
{
    float *b = calloc(n, sizeof(float));
    cr_assert(b);
    return b;
}

/* residual of click i in dB relative to the click's own energy, over its
 * frames and 4 frames either side (the repair may start and end there) */
static double click_residual(const float *out, const float *clean, const click_event *e)
{
    return click_err_db(out, clean, e->pos - 4, e->pos + e->len + 4, e->energy);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the chord with 100 clicks through declick (spec) at rate; returns how many
 * clicks are below -40 dB and prints the distribution */
static unsigned chord_run(const char *spec, double rate, uint64_t seed, uint64_t *count,
                          double *outside)
{
    const unsigned frames = (unsigned)(10 * rate);
    float *clean = fbuf(frames), *x = fbuf(frames), *y = fbuf(frames);
    click_event ev[NCLICK];
    double r[NCLICK];
    click_chord(clean, frames, rate);
    memcpy(x, clean, sizeof(float) * frames);
    click_insert(x, frames, rate, NCLICK, seed, ev);
    md_node *n = click_node("declick", spec, 1, rate, 4096);
    click_process(n, &x, &y, 1, frames, 4096);
    unsigned good = 0;
    for (unsigned i = 0; i < NCLICK; i++) {
        r[i] = click_residual(y, clean, &ev[i]);
        good += r[i] < -40.0;
    }
    /* everything more than 8 frames away from a click passes untouched */
    *outside = 0;
    for (unsigned i = 0, k = 0; i < frames; i++) {
        while (k < NCLICK && i >= ev[k].pos + ev[k].len + 8)
            k++;
        if (k < NCLICK && i + 8 >= ev[k].pos)
            continue;
        double d = fabs((double)y[i] - clean[i]);
        if (d > *outside)
            *outside = d;
    }
    *count = md_declick_count(n);
    qsort(r, NCLICK, sizeof r[0], cmp_double);
    printf("declick [%s] %g Hz seed %llu: %u/%d clicks below -40 dB (residual quartiles %.1f "
           "%.1f %.1f dB, worst %.1f dB), %llu detections\n",
           spec, rate, (unsigned long long)seed, good, NCLICK, r[NCLICK / 4], r[NCLICK / 2],
           r[3 * NCLICK / 4], r[NCLICK - 1], (unsigned long long)*count);
    md_node_destroy(n);
    free(clean);
    free(x);
    free(y);
    return good;
}

Test(declick, repairs_95_of_100_clicks_in_a_chord_to_minus_40_db)
{
    const double rates[3] = {44100.0, 48000.0, 96000.0};
    for (int k = 0; k < 3; k++) {
        uint64_t det;
        double outside;
        unsigned good = chord_run("", rates[k], 7 + k, &det, &outside);
        cr_expect_geq(good, 95, "%g Hz: only %u of %d clicks repaired below -40 dB", rates[k], good,
                      NCLICK);
        cr_expect(det >= 95 && det <= 105, "%g Hz: %llu detections for %d clicks", rates[k],
                  (unsigned long long)det, NCLICK);
        cr_expect_eq(outside, 0.0, "%g Hz: the chord changed by %g away from the clicks", rates[k],
                     outside);
    }
}

Test(declick, at_most_one_false_detection_per_minute_of_drums)
{
    const unsigned frames = (unsigned)(60 * RATE);
    float *d[2] = {fbuf(frames), fbuf(frames)}, *y[2] = {fbuf(frames), fbuf(frames)};
    click_drum_loop(d, 2, frames, RATE);
    static const char *const specs[2] = {"", "sensitivity=0.8"};
    for (int s = 0; s < 2; s++) {
        md_node *n = click_node("declick", specs[s], 2, RATE, 4096);
        click_process(n, d, y, 2, frames, 4096);
        uint64_t det = md_declick_count(n);
        double changed = 0;
        for (int c = 0; c < 2; c++)
            for (unsigned i = 0; i < frames; i++)
                changed += y[c][i] != d[c][i];
        printf("declick drums [%s]: %llu detections in 60 s of stereo, %.0f samples changed\n",
               specs[s], (unsigned long long)det, changed);
        cr_expect_leq(det, 1, "[%s] %llu false detections in a minute of drums", specs[s],
                      (unsigned long long)det);
        md_node_destroy(n);
    }
    for (int c = 0; c < 2; c++) {
        free(d[c]);
        free(y[c]);
    }
}

Test(declick, still_finds_clicks_between_drum_hits)
{
    /* a drum hit within 25 ms before (12 ms after) a click can hide it:
     * that is the price of leaving the hits alone, so not every click counts */
    const unsigned frames = (unsigned)(20 * RATE);
    float *d = fbuf(frames), *x = fbuf(frames), *y = fbuf(frames);
    click_event ev[NCLICK];
    click_drum_loop(&d, 1, frames, RATE);
    memcpy(x, d, sizeof(float) * frames);
    click_insert(x, frames, RATE, NCLICK, 5, ev);
    md_node *n = click_node("declick", "", 1, RATE, 4096);
    click_process(n, &x, &y, 1, frames, 4096);
    unsigned good = 0;
    for (unsigned i = 0; i < NCLICK; i++)
        good += click_residual(y, d, &ev[i]) < -20.0;
    uint64_t det = md_declick_count(n);
    printf("declick drums + %d clicks: %llu detections, %u clicks below -20 dB\n", NCLICK,
           (unsigned long long)det, good);
    cr_expect(det >= 70 && det <= NCLICK + 1, "%llu detections for %d clicks on drums",
              (unsigned long long)det, NCLICK);
    cr_expect_geq(good, 60, "%u clicks on drums repaired below -20 dB", good);
    md_node_destroy(n);
    free(d);
    free(x);
    free(y);
}

static double urand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

Test(declick, crackle_mode_removes_dense_small_events)
{
    /* ~200 events per second, 1..3 frames, peak 0.01..0.05 (-40..-26 dBFS),
     * 20..420 frames apart, on the chord */
    const unsigned frames = (unsigned)(10 * RATE);
    float *clean = fbuf(frames), *cr = fbuf(frames), *x = fbuf(frames), *y = fbuf(frames);
    unsigned pos[4000], len[4000], nev = 0;
    click_chord(clean, frames, RATE);
    uint64_t s = 99;
    for (unsigned i = 1000; i < frames - 1000 && nev < 4000;) {
        unsigned l = 1 + (unsigned)(urand(&s) * 3);
        double a = (0.01 + 0.04 * urand(&s)) * (urand(&s) < 0.5 ? -1 : 1);
        for (unsigned k = 0; k < l; k++)
            cr[i + k] = (float)(a * (k == 0 ? 1.0 : -0.5));
        pos[nev] = i;
        len[nev++] = l;
        i += 20 + (unsigned)(urand(&s) * 400);
    }
    for (unsigned i = 0; i < frames; i++)
        x[i] = clean[i] + cr[i];
    md_node *n = click_node("declick", "mode=crackle", 1, RATE, 4096);
    click_process(n, &x, &y, 1, frames, 4096);
    double total = 0;
    unsigned good = 0;
    for (unsigned e = 0; e < nev; e++) {
        double en = 0;
        for (unsigned k = 0; k < len[e]; k++)
            en += (double)cr[pos[e] + k] * cr[pos[e] + k];
        total += en;
        good += click_err_db(y, clean, pos[e] - 3, pos[e] + len[e] + 3, en) < -30.0;
    }
    double overall = click_err_db(y, clean, 0, frames, total);
    uint64_t det = md_declick_count(n);
    printf("declick crackle: %u events, %llu detections, %u below -30 dB, crackle energy "
           "%.1f dB after\n",
           nev, (unsigned long long)det, good, overall);
    cr_expect_geq(det, nev * 9 / 10, "crackle: %llu detections for %u events",
                  (unsigned long long)det, nev);
    cr_expect_leq(det, nev, "crackle: %llu detections for %u events", (unsigned long long)det, nev);
    cr_expect_geq(good, nev * 95 / 100, "crackle: %u of %u events below -30 dB", good, nev);
    cr_expect_lt(overall, -8.0, "crackle: energy only %.1f dB down", overall);
    md_node_destroy(n);
    free(clean);
    free(cr);
    free(x);
    free(y);
}

Test(declick, max_length_leaves_longer_bursts_alone)
{
    const unsigned frames = (unsigned)(10 * RATE);
    float *clean = fbuf(frames), *x = fbuf(frames), *y = fbuf(frames);
    click_event ev[NCLICK];
    click_chord(clean, frames, RATE);
    memcpy(x, clean, sizeof(float) * frames);
    click_insert(x, frames, RATE, NCLICK, 11, ev);
    /* 0.2 ms = 8.8 frames at 44.1 kHz */
    md_node *n = click_node("declick", "max_length=0.2", 1, RATE, 4096);
    click_process(n, &x, &y, 1, frames, 4096);
    unsigned short_n = 0, short_ok = 0, long_n = 0, long_kept = 0;
    for (unsigned i = 0; i < NCLICK; i++) {
        double r = click_residual(y, clean, &ev[i]);
        if (ev[i].len <= 6) {
            short_n++;
            short_ok += r < -40.0;
        } else if (ev[i].len >= 12) {
            long_n++;
            long_kept += r > -1.0;
        }
    }
    printf("declick max_length=0.2: %u/%u clicks of <= 6 frames repaired, %u/%u of >= 12 "
           "frames left\n",
           short_ok, short_n, long_kept, long_n);
    cr_expect_geq(short_ok * 10, short_n * 9, "%u of %u short clicks repaired", short_ok, short_n);
    cr_expect_geq(long_kept * 10, long_n * 9, "%u of %u long clicks left alone", long_kept, long_n);
    md_node_destroy(n);
    free(clean);
    free(x);
    free(y);
}

Test(declick, link_repairs_every_channel_where_one_has_a_click)
{
    const unsigned frames = (unsigned)(10 * RATE);
    float *clean = fbuf(frames), *in[2] = {fbuf(frames), fbuf(frames)};
    float *out[2] = {fbuf(frames), fbuf(frames)};
    click_event ev[NCLICK];
    click_chord(clean, frames, RATE);
    memcpy(in[0], clean, sizeof(float) * frames);
    /* the right channel: the chord and noise at -100 dBFS RMS (under anything
     * detected), so that no interpolation reproduces its samples bit for bit */
    uint64_t seed = 5;
    for (unsigned i = 0; i < frames; i++)
        in[1][i] = clean[i] + (float)(1.732e-5 * (2.0 * urand(&seed) - 1.0));
    click_insert(in[0], frames, RATE, NCLICK, 3, ev); /* clicks in the left channel only */
    for (int link = 0; link < 2; link++) {
        md_node *n = click_node("declick", link ? "link=1" : "link=0", 2, RATE, 4096);
        click_process(n, in, out, 2, frames, 4096);
        unsigned touched = 0, stray = 0;
        double worst = -INFINITY;
        for (unsigned i = 0, k = 0; i < frames; i++) {
            while (k < NCLICK && i >= ev[k].pos + ev[k].len + 8)
                k++;
            int near = k < NCLICK && i + 8 >= ev[k].pos;
            if (out[1][i] != in[1][i] && !near)
                stray++;
        }
        for (unsigned k = 0; k < NCLICK; k++) {
            int changed = 0;
            for (unsigned i = ev[k].pos - 8; i < ev[k].pos + ev[k].len + 8; i++)
                changed |= out[1][i] != in[1][i];
            touched += changed;
            double r = 10 * log10(ev[k].energy);
            double e = click_err_db(out[1], in[1], ev[k].pos - 8, ev[k].pos + ev[k].len + 8, 1.0);
            if (e - r > worst)
                worst = e - r;
        }
        printf("declick link=%d: right channel changed at %u of %d left clicks, %u stray "
               "samples, worst change %.1f dB relative to the left click\n",
               link, touched, NCLICK, stray, worst);
        cr_expect_eq(stray, 0, "link=%d: the right channel changed away from the clicks", link);
        if (link) {
            cr_expect_geq(touched, 98, "link: right channel repaired at %u clicks", touched);
            cr_expect_lt(worst, -60.0, "link: interpolating the clean right channel cost %.1f dB",
                         worst);
        } else {
            cr_expect_eq(touched, 0, "no link: the right channel changed at %u clicks", touched);
        }
        md_node_destroy(n);
    }
    free(clean);
    for (int c = 0; c < 2; c++) {
        free(in[c]);
        free(out[c]);
    }
}

/* runs n over in in blocks of `block`, raw (no latency compensation) */
static void run_raw(md_node *n, float *const *in, float *const *out, unsigned frames,
                    unsigned block)
{
    for (unsigned pos = 0; pos < frames; pos += block) {
        unsigned f = frames - pos < block ? frames - pos : block;
        const float *ip[2] = {in[0] + pos, in[1] + pos};
        float *op[2] = {out[0] + pos, out[1] + pos};
        md_node_run(n, ip, op, f);
    }
}

Test(declick, output_does_not_depend_on_block_size_and_reset_reruns_exactly)
{
    const unsigned frames = (unsigned)(3 * RATE);
    float *in[2] = {fbuf(frames), fbuf(frames)}, *ref[2] = {fbuf(frames), fbuf(frames)};
    float *out[2] = {fbuf(frames), fbuf(frames)};
    click_event ev[30];
    click_chord(in[0], frames, RATE);
    click_chord(in[1], frames, RATE);
    click_insert(in[0], frames, RATE, 30, 21, ev);
    click_insert(in[1], frames, RATE, 30, 22, ev);
    static const char *const specs[3] = {"", "link=1", "mode=crackle sensitivity=0.8"};
    static const unsigned blocks[4] = {1, 7, 64, 4096};
    for (int s = 0; s < 3; s++) {
        md_node *n = click_node("declick", specs[s], 2, RATE, 4096);
        run_raw(n, in, ref, frames, 4096);
        uint64_t det = md_declick_count(n);
        cr_expect_gt(det, 0, "[%s] nothing detected", specs[s]);
        md_node_reset(n);
        cr_expect_eq(md_declick_count(n), 0, "[%s] reset keeps the count", specs[s]);
        run_raw(n, in, out, frames, 64);
        for (int c = 0; c < 2; c++)
            cr_expect_eq(memcmp(ref[c], out[c], sizeof(float) * frames), 0,
                         "[%s] reset then a rerun differs", specs[s]);
        cr_expect_eq(md_declick_count(n), det, "[%s] rerun count", specs[s]);
        md_node_destroy(n);
        for (int b = 0; b < 4; b++) {
            n = click_node("declick", specs[s], 2, RATE, 4096);
            run_raw(n, in, out, frames, blocks[b]);
            for (int c = 0; c < 2; c++)
                cr_expect_eq(memcmp(ref[c], out[c], sizeof(float) * frames), 0,
                             "[%s] blocks of %u differ from blocks of 4096", specs[s], blocks[b]);
            cr_expect_eq(md_declick_count(n), det, "[%s] blocks of %u: count", specs[s], blocks[b]);
            md_node_destroy(n);
        }
    }
    for (int c = 0; c < 2; c++) {
        free(in[c]);
        free(ref[c]);
        free(out[c]);
    }
}

Test(declick, sensitivity_zero_is_a_bit_exact_delay)
{
    const unsigned frames = (unsigned)(2 * RATE);
    float *in[2] = {fbuf(frames), fbuf(frames)}, *out[2] = {fbuf(frames), fbuf(frames)};
    click_event ev[10];
    click_chord(in[0], frames, RATE);
    click_insert(in[0], frames, RATE, 10, 1, ev);
    for (unsigned i = 0; i < frames; i++)
        in[1][i] = (i % 1000) == 0 ? 0.9f : 0.0f; /* lone impulses */
    md_node *n = click_node("declick", "sensitivity=0", 2, RATE, 4096);
    unsigned lat = md_node_latency(n);
    cr_expect(lat > 0 && lat < 0.06 * RATE, "latency %u frames", lat);
    run_raw(n, in, out, frames, 333);
    for (int c = 0; c < 2; c++) {
        for (unsigned i = 0; i < lat; i++)
            cr_assert_eq(out[c][i], 0.0f, "ch %d frame %u before the latency is not silent", c, i);
        cr_expect_eq(memcmp(out[c] + lat, in[c], sizeof(float) * (frames - lat)), 0,
                     "ch %d: not the input delayed by %u frames", c, lat);
    }
    cr_expect_eq(md_declick_count(n), 0);
    md_node_destroy(n);
    for (int c = 0; c < 2; c++) {
        free(in[c]);
        free(out[c]);
    }
}

Test(declick, count_is_zero_for_other_nodes)
{
    md_node *g = click_node("gain", "", 1, RATE, 64);
    cr_expect_eq(md_declick_count(g), 0);
    cr_expect_eq(md_declick_count(NULL), 0);
    md_node_destroy(g);
}
