/* test_declip.c - declip: sines clipped at 80% of their peak reconstructed
 * (error energy over the clipped samples relative to the clean sine's energy
 * over the same samples), a clipped chord, peaks above 0 dBFS, asymmetric
 * clipping, an explicit threshold, max_length, unclipped material passing
 * bit for bit, block-size independence and reset. */
#include "click_util.h"
#include "mixdown/md_restore.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100.0

static float *fbuf(unsigned n)
{
    float *b = calloc(n, sizeof(float));
    cr_assert(b);
    return b;
}

static void sine(float *x, unsigned n, double freq, double rate, double amp)
{
    for (unsigned i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * M_PI * freq * i / rate + 0.3));
}

/* runs of >= 2 samples at +-level in x (counted here, independently of the node) */
static unsigned count_runs(const float *x, unsigned n, float level)
{
    unsigned runs = 0;
    for (unsigned i = 0; i < n;) {
        int s = x[i] >= level ? 1 : x[i] <= -level ? -1 : 0;
        unsigned j = i + 1;
        if (s)
            while (j < n && (s > 0 ? x[j] >= level : x[j] <= -level))
                j++;
        runs += s && j - i >= 2;
        i = j;
    }
    return runs;
}

typedef struct result {
    double clipped_db, overall_db, peak, clean_peak;
    uint64_t runs;
} result;

/* clips clean at +-level, runs declip (spec), and measures the error against
 * clean: over the clipped samples (relative to clean's energy there) and
 * overall (relative to clean's whole energy), 0.1 s trimmed at each end */
static result run(const float *clean, unsigned frames, double rate, float level, const char *spec)
{
    float *x = fbuf(frames), *y = fbuf(frames);
    memcpy(x, clean, sizeof(float) * frames);
    click_clip(x, frames, level);
    md_node *n = click_node("declip", spec, 1, rate, 4096);
    click_process(n, &x, &y, 1, frames, 4096);
    double ec = 0, sc = 0, ea = 0, sa = 0, pk = 0, cpk = 0;
    const unsigned edge = (unsigned)(0.1 * rate);
    for (unsigned i = edge; i < frames - edge; i++) {
        double d = (double)y[i] - clean[i], c2 = (double)clean[i] * clean[i];
        ea += d * d;
        sa += c2;
        if (fabsf(x[i]) >= level) {
            ec += d * d;
            sc += c2;
        }
        if (fabs(y[i]) > pk)
            pk = fabs(y[i]);
        if (fabsf(clean[i]) > cpk)
            cpk = fabsf(clean[i]);
    }
    result r = {10 * log10(ec / sc), 10 * log10(ea / sa), pk, cpk, md_declip_count(n)};
    md_node_destroy(n);
    free(x);
    free(y);
    return r;
}

Test(declip, sine_clipped_at_80_percent_is_reconstructed_within_minus_30_db)
{
    static const double freqs[] = {100, 250, 500, 1000, 1500, 2000, 3000};
    static const double rates[] = {44100, 48000};
    for (int r = 0; r < 2; r++)
        for (unsigned f = 0; f < sizeof freqs / sizeof freqs[0]; f++) {
            const unsigned frames = (unsigned)(2 * rates[r]);
            float *clean = fbuf(frames), *x = fbuf(frames);
            sine(clean, frames, freqs[f], rates[r], 0.9);
            const float level = 0.72f; /* 80% of the peak */
            memcpy(x, clean, sizeof(float) * frames);
            click_clip(x, frames, level);
            unsigned want = count_runs(x, frames, level);
            result res = run(clean, frames, rates[r], level, "");
            printf("declip %g Hz at %g Hz: error %.1f dB over the clipped samples, %.1f dB "
                   "overall, sample peak %.4f (clean %.4f), %llu of %u runs\n",
                   freqs[f], rates[r], res.clipped_db, res.overall_db, res.peak, res.clean_peak,
                   (unsigned long long)res.runs, want);
            cr_expect_lt(res.clipped_db, -30.0,
                         "%g Hz at %g Hz: error %.1f dB over the clipped "
                         "samples",
                         freqs[f], rates[r], res.clipped_db);
            cr_expect_lt(fabs(20 * log10(res.peak / res.clean_peak)), 0.1,
                         "%g Hz: peak %.4f, clean %.4f", freqs[f], res.peak, res.clean_peak);
            cr_expect_eq(res.runs, want, "%g Hz: %llu runs repaired, %u in the input", freqs[f],
                         (unsigned long long)res.runs, want);
            free(clean);
            free(x);
        }
}

Test(declip, explicit_threshold_works_like_auto)
{
    const unsigned frames = (unsigned)(2 * RATE);
    float *clean = fbuf(frames);
    sine(clean, frames, 700, RATE, 0.9);
    result a = run(clean, frames, RATE, 0.72f, "");
    result t = run(clean, frames, RATE, 0.72f, "threshold=0.72");
    printf("declip 700 Hz: auto %.1f dB, threshold=0.72 %.1f dB\n", a.clipped_db, t.clipped_db);
    cr_expect_lt(t.clipped_db, -30.0, "threshold=0.72: %.1f dB", t.clipped_db);
    cr_expect_eq(t.runs, a.runs, "threshold: %llu runs, auto %llu", (unsigned long long)t.runs,
                 (unsigned long long)a.runs);
    free(clean);
}

Test(declip, clipped_chord_is_reconstructed_within_minus_30_db)
{
    const unsigned frames = (unsigned)(5 * RATE);
    float *clean = fbuf(frames);
    click_chord(clean, frames, RATE);
    for (unsigned i = 0; i < frames; i++)
        clean[i] *= 4.0f; /* peak 1.0 */
    static const float levels[2] = {0.8f, 0.6f};
    for (int k = 0; k < 2; k++) {
        result r = run(clean, frames, RATE, levels[k], "");
        printf("declip chord clipped at %.0f%%: error %.1f dB over the clipped samples "
               "(%llu runs)\n",
               100 * levels[k], r.clipped_db, (unsigned long long)r.runs);
        cr_expect_lt(r.clipped_db, -30.0, "chord at %g: %.1f dB", levels[k], r.clipped_db);
        cr_expect_gt(r.runs, 0);
    }
    free(clean);
}

Test(declip, peaks_come_back_above_full_scale)
{
    /* a 440 Hz sine of peak 1.25 clipped at full scale: the output goes back
     * to 1.25 (+1.9 dBFS); a limiter or gain must follow */
    const unsigned frames = (unsigned)(2 * RATE);
    float *clean = fbuf(frames);
    sine(clean, frames, 440, RATE, 1.25);
    result r = run(clean, frames, RATE, 1.0f, "");
    printf("declip full scale: peak %.4f (clean %.4f), error %.1f dB\n", r.peak, r.clean_peak,
           r.clipped_db);
    cr_expect_gt(r.peak, 1.2, "peak %.4f", r.peak);
    cr_expect_lt(fabs(20 * log10(r.peak / r.clean_peak)), 0.1, "peak %.4f, clean %.4f", r.peak,
                 r.clean_peak);
    cr_expect_lt(r.clipped_db, -30.0);
    free(clean);
}

Test(declip, asymmetric_clipping_is_found_per_polarity)
{
    const unsigned frames = (unsigned)(2 * RATE);
    float *clean = fbuf(frames), *x = fbuf(frames), *y = fbuf(frames);
    sine(clean, frames, 300, RATE, 0.9);
    for (unsigned i = 0; i < frames; i++)
        x[i] = clean[i] > 0.6f ? 0.6f : clean[i] < -0.8f ? -0.8f : clean[i];
    md_node *n = click_node("declip", "", 1, RATE, 4096);
    click_process(n, &x, &y, 1, frames, 4096);
    double ep = 0, sp = 0, en = 0, sn = 0;
    for (unsigned i = 4410; i < frames - 4410; i++) {
        double d = (double)y[i] - clean[i];
        if (x[i] >= 0.6f)
            ep += d * d, sp += (double)clean[i] * clean[i];
        if (x[i] <= -0.8f)
            en += d * d, sn += (double)clean[i] * clean[i];
    }
    printf("declip asymmetric: positive %.1f dB, negative %.1f dB\n", 10 * log10(ep / sp),
           10 * log10(en / sn));
    cr_expect_lt(10 * log10(ep / sp), -30.0);
    cr_expect_lt(10 * log10(en / sn), -30.0);
    md_node_destroy(n);
    free(clean);
    free(x);
    free(y);
}

Test(declip, runs_longer_than_max_length_stay)
{
    /* 100 Hz clipped at 80%: runs of 90 frames (2.0 ms) */
    const unsigned frames = (unsigned)(2 * RATE);
    float *clean = fbuf(frames), *x = fbuf(frames), *y = fbuf(frames);
    sine(clean, frames, 100, RATE, 0.9);
    memcpy(x, clean, sizeof(float) * frames);
    click_clip(x, frames, 0.72f);
    md_node *n = click_node("declip", "max_length=1.5", 1, RATE, 4096);
    click_process(n, &x, &y, 1, frames, 4096);
    cr_expect_eq(md_declip_count(n), 0, "%llu runs repaired",
                 (unsigned long long)md_declip_count(n));
    cr_expect_eq(memcmp(x, y, sizeof(float) * frames), 0, "max_length=1.5 changed the signal");
    md_node_destroy(n);
    result r = run(clean, frames, RATE, 0.72f, "max_length=2.5");
    cr_expect_lt(r.clipped_db, -30.0, "max_length=2.5: %.1f dB", r.clipped_db);
    free(clean);
    free(x);
    free(y);
}

Test(declip, unclipped_material_passes_bit_for_bit)
{
    const unsigned frames = (unsigned)(20 * RATE);
    float *in[2] = {fbuf(frames), fbuf(frames)}, *out[2] = {fbuf(frames), fbuf(frames)};
    click_chord(in[0], frames, RATE);
    click_drum_loop(&in[1], 1, frames, RATE);
    md_node *n = click_node("declip", "", 2, RATE, 4096);
    click_process(n, in, out, 2, frames, 4096);
    for (int c = 0; c < 2; c++)
        cr_expect_eq(memcmp(in[c], out[c], sizeof(float) * frames), 0,
                     "channel %d changed without clipping", c);
    cr_expect_eq(md_declip_count(n), 0, "%llu runs found", (unsigned long long)md_declip_count(n));
    md_node_destroy(n);
    for (int c = 0; c < 2; c++) {
        free(in[c]);
        free(out[c]);
    }
}

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

Test(declip, output_does_not_depend_on_block_size_and_reset_reruns_exactly)
{
    const unsigned frames = (unsigned)(2 * RATE);
    float *in[2] = {fbuf(frames), fbuf(frames)}, *ref[2] = {fbuf(frames), fbuf(frames)};
    float *out[2] = {fbuf(frames), fbuf(frames)};
    click_chord(in[0], frames, RATE);
    sine(in[1], frames, 1234, RATE, 0.9);
    for (unsigned i = 0; i < frames; i++)
        in[0][i] *= 4.0f;
    click_clip(in[0], frames, 0.7f);
    click_clip(in[1], frames, 0.7f);
    static const unsigned blocks[4] = {1, 7, 64, 4096};
    static const char *const specs[2] = {"", "threshold=0.7 max_length=1"};
    for (int s = 0; s < 2; s++) {
        md_node *n = click_node("declip", specs[s], 2, RATE, 4096);
        run_raw(n, in, ref, frames, 4096);
        uint64_t runs = md_declip_count(n), samples = md_declip_samples(n);
        cr_expect_gt(runs, 0);
        md_node_reset(n);
        cr_expect_eq(md_declip_count(n), 0, "reset keeps the count");
        run_raw(n, in, out, frames, 64);
        for (int c = 0; c < 2; c++)
            cr_expect_eq(memcmp(ref[c], out[c], sizeof(float) * frames), 0,
                         "[%s] reset then a rerun differs", specs[s]);
        md_node_destroy(n);
        for (int b = 0; b < 4; b++) {
            n = click_node("declip", specs[s], 2, RATE, 4096);
            run_raw(n, in, out, frames, blocks[b]);
            for (int c = 0; c < 2; c++)
                cr_expect_eq(memcmp(ref[c], out[c], sizeof(float) * frames), 0,
                             "[%s] blocks of %u differ from blocks of 4096", specs[s], blocks[b]);
            cr_expect_eq(md_declip_count(n), runs);
            cr_expect_eq(md_declip_samples(n), samples);
            md_node_destroy(n);
        }
    }
    for (int c = 0; c < 2; c++) {
        free(in[c]);
        free(ref[c]);
        free(out[c]);
    }
}

Test(declip, counts_are_zero_for_other_nodes)
{
    md_node *g = click_node("gain", "", 1, RATE, 64);
    cr_expect_eq(md_declip_count(g), 0);
    cr_expect_eq(md_declip_samples(g), 0);
    cr_expect_eq(md_declip_count(NULL), 0);
    md_node_destroy(g);
}
