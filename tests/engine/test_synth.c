/* test_synth.c - the note synthesizer: timing to the frame, pitch, aliasing,
 * envelope, polyphony and voice stealing, determinism, block-size independence. */
#include "gen_util.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100.0
#define U NAN /* leave a note field unset */

static const char *const all_waves[] = {"sine", "saw",   "square", "triangle", "noise",
                                        "kick", "snare", "hat",    "pluck"};
#define NWAVES 9

static md_node *synth(const char *spec, unsigned count, const double (*notes)[4])
{
    md_node *n = gen_node("synth", spec);
    gen_set_notes(n, count, notes);
    gen_prepare(n, 0, RATE, 4096);
    return n;
}

Test(synth, a_note_starts_on_frame_round_time_times_rate)
{
    /* 0.0123 s = 542.43 frames -> 542; 0.01235 s = 544.635 -> 545; 1.00001 s = 44100.44 -> 44100 */
    const double times[] = {0.0123, 0.01235, 1.00001};
    for (int w = 0; w < NWAVES; w++)
        for (int t = 0; t < 3; t++) {
            const double notes[1][4] = {{times[t], 0.1, 220, U}};
            char spec[64];
            snprintf(spec, sizeof spec, "wave=%s", all_waves[w]);
            md_node *n = synth(spec, 1, notes);
            gen_sig s = gen_render(n, 256);
            long want = lround(times[t] * RATE);
            cr_expect_eq(gen_first_nonzero(s.ch[0], s.frames), want,
                         "%s at %g s: first non-zero frame %ld, want %ld", all_waves[w], times[t],
                         gen_first_nonzero(s.ch[0], s.frames), want);
            /* the note is gone after release: dur 0.1 s + release 100 ms */
            long end = lround((times[t] + 0.1) * RATE) + lround(0.1 * RATE);
            cr_expect_lt(gen_last_nonzero(s.ch[0], s.frames), end, "%s: sounds past its release",
                         all_waves[w]);
            cr_expect_eq((long)s.frames, end, "%s: default duration", all_waves[w]);
            gen_sig_free(&s);
            md_node_destroy(n);
        }
}

Test(synth, the_fundamental_is_at_the_note_frequency)
{
    const char *waves[] = {"sine", "saw", "square", "triangle", "pluck"};
    const double freqs[] = {261.63, 110.0, 1234.5};
    double worst = 0;
    for (int w = 0; w < 5; w++)
        for (int f = 0; f < 3; f++) {
            const double notes[1][4] = {{0, 1.2, freqs[f], 1}};
            char spec[96];
            snprintf(spec, sizeof spec, "wave=%s attack=0 decay=0 sustain=1", waves[w]);
            md_node *n = synth(spec, 1, notes);
            gen_sig s = gen_render(n, 4096);
            /* a 1 s window after the start; the peak search spans two octaves */
            double got =
                gen_peak_freq(s.ch[0] + 2048, 44100, RATE, freqs[f] * 0.7, freqs[f] * 1.4, 1.0);
            cr_expect(fabs(got - freqs[f]) < 0.05, "%s: peak at %.3f Hz, want %g", waves[w], got,
                      freqs[f]);
            worst = fmax(worst, fabs(got - freqs[f]));
            gen_sig_free(&s);
            md_node_destroy(n);
        }
    cr_log_info("synth: fundamental within %.4f Hz of the note frequency", worst);
}

/* Largest spectral line that is not a harmonic of f0, relative to the
 * fundamental: Blackman-Harris window over 2^16 frames of a steady tone. */
static double worst_alias_db(const char *wave, double f0, double *where)
{
    const double notes[1][4] = {{0, 2.0, f0, 1}};
    char spec[96];
    snprintf(spec, sizeof spec, "wave=%s attack=0 decay=0 sustain=1", wave);
    md_node *n = synth(spec, 1, notes);
    gen_sig s = gen_render(n, 4096);
    const size_t nfft = 1u << 16;
    double *p = gen_spectrum(s.ch[0] + 4096, nfft, 2);
    double df = RATE / nfft, fund = 0, worst = 0;
    for (int k = -2; k <= 2; k++) /* peak bin against peak bin */
        fund = fmax(fund, p[(size_t)lround(f0 / df) + k]);
    *where = 0;
    for (size_t k = 1; k <= nfft / 2; k++) {
        double f = k * df, h = round(f / f0);
        if (fabs(f - h * f0) < 6 * df) /* the main lobe of a harmonic (BH: +-4 bins) */
            continue;
        if (p[k] > worst) {
            worst = p[k];
            *where = f;
        }
    }
    free(p);
    gen_sig_free(&s);
    md_node_destroy(n);
    return 10 * log10(worst / fund);
}

Test(synth, saw_aliasing_at_5_khz_is_more_than_40_db_down)
{
    double where, db = worst_alias_db("saw", 5000, &where);
    cr_expect_lt(db, -40, "saw 5 kHz: alias at %.0f Hz only %.1f dB down", where, db);
    cr_log_info("saw 5 kHz @ 44.1 kHz: worst non-harmonic line %.1f dB at %.0f Hz", db, where);
    db = worst_alias_db("square", 5000, &where);
    cr_expect_lt(db, -40, "square 5 kHz: alias at %.0f Hz only %.1f dB down", where, db);
    cr_log_info("square 5 kHz @ 44.1 kHz: worst non-harmonic line %.1f dB at %.0f Hz", db, where);
    db = worst_alias_db("triangle", 5000, &where);
    cr_expect_lt(db, -40, "triangle 5 kHz: alias at %.0f Hz only %.1f dB down", where, db);
    cr_log_info("triangle 5 kHz @ 44.1 kHz: worst non-harmonic line %.1f dB at %.0f Hz", db, where);
}

Test(synth, saw_and_square_have_the_right_harmonics)
{
    /* saw: every harmonic at 1/k; square: odd harmonics at 1/k, even ones absent */
    const double f0 = 441, notes[1][4] = {{0, 1.2, f0, 1}};
    const char *waves[] = {"saw", "square"};
    for (int w = 0; w < 2; w++) {
        char spec[96];
        snprintf(spec, sizeof spec, "wave=%s attack=0 decay=0 sustain=1", waves[w]);
        md_node *n = synth(spec, 1, notes);
        gen_sig s = gen_render(n, 4096);
        /* 44100 frames = 441 whole cycles from frame 4410: the rectangular DFT is exact */
        const float *x = s.ch[0] + 4410;
        double a1 = gen_dft(x, 44100, f0, RATE, 0, NULL);
        cr_expect_float_eq(gen_db(a1), gen_db(0.25 * (w ? 4 / M_PI : 2 / M_PI)), 0.05,
                           "%s fundamental %.3f dB", waves[w], gen_db(a1));
        for (int k = 2; k <= 6; k++) {
            double ak = gen_dft(x, 44100, k * f0, RATE, 0, NULL);
            double want = (w == 1 && k % 2 == 0) ? -INFINITY : -20 * log10(k);
            if (isinf(want))
                cr_expect_lt(gen_db(ak / a1), -60, "%s harmonic %d at %.1f dB", waves[w], k,
                             gen_db(ak / a1));
            else
                cr_expect_float_eq(gen_db(ak / a1), want, 0.05, "%s harmonic %d: %.3f dB", waves[w],
                                   k, gen_db(ak / a1));
        }
        gen_sig_free(&s);
        md_node_destroy(n);
    }
}

/* The ADSR as documented, coded again: linear segments, k frames after the
 * start, the first attack frame at 1/attack; the release falls linearly from
 * the level of the last gated frame. */
static double adsr(long k, long a, long d, double s, long gate, long r)
{
    long kk = k < gate ? k : gate - 1;
    double g =
        kk < a ? (double)(kk + 1) / a : (kk - a < d ? 1 - (1 - s) * (double)(kk - a + 1) / d : s);
    if (k < gate)
        return g;
    return k - gate < r ? g * (1 - (double)(k - gate + 1) / r) : 0;
}

Test(synth, envelope_follows_attack_decay_sustain_release)
{
    /* 1025 Hz: sin(2 pi (k + 1) f / rate) = 1 at k = 440, the end of the attack */
    const double f = 1025, vel = 0.5, notes[1][4] = {{0.1, 0.5, f, vel}};
    md_node *n = synth("wave=sine attack=10 decay=20 sustain=0.5 release=50", 1, notes);
    gen_sig s = gen_render(n, 100);
    const long on = 4410, gate = 22050, a = 441, d = 882, r = 2205;
    const double level = pow(10, -12 / 20.0);
    cr_assert_eq((long)s.frames, on + gate + r, "default duration: end of the release");
    double worst = 0;
    for (long k = -on; k < gate + r; k++) {
        double want = k < 0 ? 0
                            : level * vel * adsr(k, a, d, 0.5, gate, r) *
                                  sin(2 * M_PI * (double)(k + 1) * f / RATE);
        worst = fmax(worst, fabs(s.ch[0][on + k] - want));
    }
    cr_expect_lt(worst, 1e-6, "envelope x sine differs from the formula by %g", worst);
    /* the landmarks in dB: full level at the end of the attack, sustain, silence after */
    cr_expect_float_eq(gen_db(gen_peak(s.ch[0] + on, 2 * a)), -12 + gen_db(vel), 0.01,
                       "attack peak %.4f dBFS", gen_db(gen_peak(s.ch[0] + on, 2 * a)));
    double sus = gen_peak(s.ch[0] + on + a + d, gate - a - d);
    cr_expect_float_eq(gen_db(sus), -12 + gen_db(vel * 0.5), 0.01, "sustain %.4f dBFS",
                       gen_db(sus));
    cr_expect_lt(gen_last_nonzero(s.ch[0], s.frames), on + gate + r);
    gen_sig_free(&s);
    md_node_destroy(n);
}

Test(synth, overlapping_notes_sum)
{
    const double a[1][4] = {{0.05, 0.4, 330, 0.7}}, b[1][4] = {{0.2, 0.4, 495, 0.9}},
                 both[2][4] = {{0.2, 0.4, 495, 0.9}, {0.05, 0.4, 330, 0.7}};
    for (int w = 0; w < NWAVES; w++) {
        char spec[96];
        snprintf(spec, sizeof spec, "wave=%s duration=1 cutoff=3000 detune=7", all_waves[w]);
        md_node *na = synth(spec, 1, a), *nb = synth(spec, 1, b), *nab = synth(spec, 2, both);
        gen_sig sa = gen_render(na, 512), sb = gen_render(nb, 512), sab = gen_render(nab, 512);
        double worst = 0;
        for (size_t i = 0; i < sab.frames; i++) {
            double d = fabs((double)sab.ch[0][i] - ((double)sa.ch[0][i] + sb.ch[0][i]));
            if (d > worst)
                worst = d;
        }
        /* noise is seeded by each note's start and pitch, so the sum is exact for it too */
        cr_expect_lt(worst, 1e-6, "%s: two notes differ from the sum by %g", all_waves[w], worst);
        gen_sig_free(&sa);
        gen_sig_free(&sb);
        gen_sig_free(&sab);
        md_node_destroy(na);
        md_node_destroy(nb);
        md_node_destroy(nab);
    }
}

Test(synth, more_than_32_voices_cut_the_oldest)
{
    /* 40 long notes starting 1 ms apart: once all have started, only the last
     * 32 sound, so the output equals the sum of notes 9..40 played alone */
    double notes[40][4];
    for (int i = 0; i < 40; i++) {
        notes[i][0] = 0.001 * i;
        notes[i][1] = 1.0;
        notes[i][2] = 100 + 37.0 * i;
        notes[i][3] = 0.5;
    }
    md_node *all = synth("wave=saw duration=0.5", 40, (const double(*)[4])notes);
    gen_sig sall = gen_render(all, 4096);
    double *sum = calloc(sall.frames, sizeof(double));
    for (int i = 0; i < 40; i++) {
        md_node *one = synth("wave=saw duration=0.5", 1, (const double(*)[4]) & notes[i]);
        gen_sig s = gen_render(one, 4096);
        if (i >= 8)
            for (size_t k = 0; k < s.frames; k++)
                sum[k] += s.ch[0][k];
        gen_sig_free(&s);
        md_node_destroy(one);
    }
    size_t from = (size_t)lround(0.039 * RATE);
    double worst = 0, ref = 0;
    for (size_t k = from; k < sall.frames; k++) {
        worst = fmax(worst, fabs(sall.ch[0][k] - sum[k]));
        ref = fmax(ref, fabs(sum[k]));
    }
    cr_expect_lt(worst, 1e-5 * ref, "differs from the 32 newest notes by %g (peak %g)", worst, ref);
    /* before the 33rd note, all notes so far sound */
    cr_expect_gt(ref, 0.1);
    free(sum);
    gen_sig_free(&sall);
    md_node_destroy(all);
}

Test(synth, kick_pitch_falls_from_150_to_45_hz)
{
    const double notes[1][4] = {{0, 0.6, U, 1}};
    md_node *n = synth("wave=kick attack=0 decay=0 sustain=1 release=10", 1, notes);
    gen_sig s = gen_render(n, 64);
    double mid, early = gen_zc_freq(s.ch[0], 0, 441 * 2, RATE, &mid);
    /* the pitch formula, coded again: 45 + 105 exp(-t / 35 ms) */
    double want = 45 + 105 * exp(-mid / 0.035);
    cr_expect(fabs(early / want - 1) < 0.1, "kick early %.1f Hz at %.4f s, want ~%.1f", early, mid,
              want);
    double late = gen_zc_freq(s.ch[0], (size_t)(0.3 * RATE), (size_t)(0.2 * RATE), RATE, &mid);
    cr_expect(fabs(late - 45) < 0.5, "kick late %.2f Hz", late);
    gen_sig_free(&s);
    md_node_destroy(n);
}

Test(synth, seeds_make_noise_repeatable)
{
    const double notes[2][4] = {{0, 0.3, U, U}, {0.1, 0.3, U, U}};
    const char *waves[] = {"noise", "snare", "hat", "pluck"};
    for (int w = 0; w < 4; w++) {
        char s1[64], s2[64];
        snprintf(s1, sizeof s1, "wave=%s seed=5", waves[w]);
        snprintf(s2, sizeof s2, "wave=%s seed=6", waves[w]);
        md_node *a = synth(s1, 2, notes), *b = synth(s1, 2, notes), *c = synth(s2, 2, notes);
        gen_sig sa = gen_render(a, 4096), sb = gen_render(b, 4096), sc = gen_render(c, 4096);
        cr_expect_eq(memcmp(sa.ch[0], sb.ch[0], sa.frames * sizeof(float)), 0, "%s", waves[w]);
        cr_expect_neq(memcmp(sa.ch[0], sc.ch[0], sa.frames * sizeof(float)), 0, "%s", waves[w]);
        gen_sig_free(&sa);
        gen_sig_free(&sb);
        gen_sig_free(&sc);
        md_node_destroy(a);
        md_node_destroy(b);
        md_node_destroy(c);
    }
}

Test(synth, block_size_does_not_change_the_output)
{
    static const unsigned blocks[] = {1, 7, 64, 4096};
    double notes[24][4];
    for (int i = 0; i < 24; i++) { /* overlapping notes, some on block boundaries */
        notes[i][0] = (i * 1531 % 4096 + 64.0 * i) / RATE;
        notes[i][1] = 0.05 + 0.01 * (i % 5);
        notes[i][2] = 80 * pow(2, i / 7.0);
        notes[i][3] = 0.3 + 0.02 * i;
    }
    for (int w = 0; w < NWAVES; w++) {
        char spec[128];
        snprintf(spec, sizeof spec, "wave=%s channels=2 detune=9 cutoff=2500 release=30",
                 all_waves[w]);
        md_node *n = synth(spec, 24, (const double(*)[4])notes);
        gen_sig ref = gen_render(n, 4096);
        cr_assert_gt(gen_peak(ref.ch[0], ref.frames), 0.01, "%s is silent", all_waves[w]);
        for (int b = 0; b < 4; b++) {
            md_node *m = synth(spec, 24, (const double(*)[4])notes);
            gen_sig s = gen_render(m, blocks[b]);
            for (unsigned c = 0; c < 2; c++)
                cr_expect_eq(memcmp(s.ch[c], ref.ch[c], ref.frames * sizeof(float)), 0,
                             "%s: blocks of %u differ", all_waves[w], blocks[b]);
            gen_sig_free(&s);
            md_node_destroy(m);
        }
        md_node_reset(n);
        gen_sig again = gen_render(n, 333);
        cr_expect_eq(memcmp(again.ch[1], ref.ch[1], ref.frames * sizeof(float)), 0,
                     "%s: reset then rerun differs", all_waves[w]);
        gen_sig_free(&again);
        gen_sig_free(&ref);
        md_node_destroy(n);
    }
}

Test(synth, refuses_notes_it_cannot_play)
{
    md_error e;
    md_stream st = {RATE, 0, 512};
    const double hi[1][4] = {{0, 1, 30000, U}}, lo[1][4] = {{0, 1, 10, U}};
    md_node *n = gen_node("synth", "wave=saw");
    gen_set_notes(n, 1, hi);
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "synth: note 1 freq"), "%s", e.msg);
    md_node_destroy(n);
    n = gen_node("synth", "wave=pluck");
    gen_set_notes(n, 1, lo);
    cr_expect_neq(md_node_prepare(n, &st, &e), MD_OK);
    cr_expect(strstr(e.msg, "freq"), "%s", e.msg);
    md_node_destroy(n);
    n = gen_node("synth", NULL);
    cr_expect_neq(md_node_set_string(n, "wave", "organ", &e), MD_OK);
    cr_expect(strstr(e.msg, "wave"), "%s", e.msg);
    cr_expect_neq(md_node_set_list_count(n, "notes", 100001, &e), MD_OK);
    md_node_destroy(n);
}

Test(synth, no_notes_is_empty_and_duration_overrides)
{
    md_node *n = gen_source("synth", NULL, RATE);
    cr_expect_eq(md_node_type(n)->length(n), 0);
    md_node_destroy(n);
    const double notes[1][4] = {{0.5, 2, 220, U}};
    n = synth("duration=1", 1, notes);
    gen_sig s = gen_render(n, 4096);
    cr_expect_eq(s.frames, 44100u);
    cr_expect_gt(gen_peak(s.ch[0] + 44000, 100), 0.01, "cut at the duration, not before");
    gen_sig_free(&s);
    md_node_destroy(n);
}
