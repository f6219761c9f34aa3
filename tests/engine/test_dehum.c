/* test_dehum.c - dehum: mains hum and its harmonics notched out of music,
 * the rest of the spectrum left alone, 50/60 Hz found by freq = auto, the
 * notches against the RBJ cookbook formula, amount, blocks, errors.
 *
 * Material: restore_song (the demo's instruments) + hum: a sine at each of
 * f, 2f, ... 5f, each 30 dB under the song's RMS (so a -30 dB hum with 5
 * harmonics), the same on both channels. A harmonic's level is the Hann
 * DFT magnitude at its exact frequency over 2..12 s (after the notches have
 * settled: their time constant is q / (pi f) = 0.19 s at 50 Hz).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "restore_util.h"

#define RATE 44100.0
#define SONG_S 12.0

static double song_rms(const gen_sig *s)
{
    return sqrt((restore_energy(s->ch[0], s->frames) + restore_energy(s->ch[1], s->frames)) /
                (2.0 * s->frames));
}

/* adds h harmonics of f, each of amplitude a, with fixed phases */
static void add_hum(gen_sig *x, double f, unsigned h, double a)
{
    for (unsigned c = 0; c < x->channels; c++)
        for (size_t i = 0; i < x->frames; i++) {
            double v = 0;
            for (unsigned k = 1; k <= h; k++)
                v += a * sin(2 * M_PI * k * f * i / RATE + 0.7 * k);
            x->ch[c][i] += (float)v;
        }
}

static gen_sig copy_sig(const gen_sig *s)
{
    gen_sig d = gen_sig_new(s->channels, s->frames);
    for (unsigned c = 0; c < s->channels; c++)
        memcpy(d.ch[c], s->ch[c], s->frames * sizeof(float));
    return d;
}

/* runs a fresh node made from spec over x; *lat gets its latency */
static gen_sig run(const char *spec, const gen_sig *x, unsigned block, unsigned *lat)
{
    md_node *n = gen_node("dehum", spec);
    gen_prepare(n, x->channels, RATE, 4096);
    *lat = md_node_latency(n);
    gen_sig y = restore_run(n, x, block, *lat);
    md_node_destroy(n);
    return y;
}

/* level (amplitude) of the component at f in x[from .. from + len), channel 0 */
static double level(const float *x, size_t len, double f)
{
    return gen_dft(x, len, f, RATE, 1, NULL);
}

/* 1/3-octave bands of out (aligned by lat) against song, over bands away
 * from the harmonics of f (up to h): no harmonic within 3 notch half-widths
 * (3 x k f / (2 q)) of the band; returns the largest |change| in dB */
static double worst_band_change(const gen_sig *song, const gen_sig *out, unsigned lat, double f,
                                unsigned h, double q, int *judged)
{
    size_t from = (size_t)(2 * RATE), len = song->frames - from;
    restore_bands b;
    restore_third_octaves(song, from, out, from + lat, len, RATE, &b);
    double worst = 0;
    *judged = 0;
    for (int i = 0; i < RESTORE_BANDS; i++) {
        double fc = b.centre[i], lo = fc * pow(10, -0.05), hi = fc * pow(10, 0.05);
        int near = 0;
        for (unsigned k = 1; k <= h; k++) {
            double guard = 3 * k * f / (2 * q);
            near |= k * f + guard >= lo && k * f - guard < hi;
        }
        double d = 10 * log10(b.yy[i] / b.xx[i]);
        cr_log_info("band %7.1f Hz: %+.3f dB%s", fc, d, near ? " (near a harmonic)" : "");
        if (near || fc < 39 || fc > 16500)
            continue;
        (*judged)++;
        worst = fmax(worst, fabs(d));
    }
    return worst;
}

Test(dehum, fifty_hz_hum_with_five_harmonics_comes_down_30_db)
{
    gen_sig song = restore_song(RATE, SONG_S, 1, 1);
    double a = sqrt(2.0) * song_rms(&song) * pow(10, -30 / 20.0);
    gen_sig x = copy_sig(&song);
    add_hum(&x, 50, 5, a);
    unsigned lat, lat2;
    gen_sig y = run("freq=50 harmonics=5 q=30", &x, 4096, &lat);
    gen_sig ys = run("freq=50 harmonics=5 q=30", &song, 4096, &lat2);
    cr_expect_eq(lat, 0u, "latency %u", lat);
    /* the node is linear and time-invariant: out(song + hum) - out(song) is
     * what became of the hum alone */
    size_t from = (size_t)(2 * RATE), len = x.frames - from;
    gen_sig d = gen_sig_new(2, x.frames);
    for (size_t i = 0; i < x.frames; i++)
        d.ch[0][i] = y.ch[0][i] - ys.ch[0][i];
    for (unsigned k = 1; k <= 5; k++) {
        double left = level(d.ch[0] + from, len, 50.0 * k);
        double direct = level(y.ch[0] + from, len, 50.0 * k);
        double cut = 20 * log10(a / left);
        cr_log_info("50 Hz hum, harmonic %u (%g Hz): down %.1f dB (output at that frequency, "
                    "music included: %.1f dB under the hum)",
                    k, 50.0 * k, cut, 20 * log10(a / direct));
        cr_expect_geq(cut, 30.0, "harmonic %u reduced by only %.1f dB", k, cut);
    }
    int judged;
    double worst = worst_band_change(&song, &y, lat, 50, 5, 30, &judged);
    cr_log_info("bands without a harmonic: within %.3f dB over %d bands", worst, judged);
    cr_expect_lt(worst, 0.5, "a band away from the harmonics changed by %.3f dB", worst);
    cr_expect_geq(judged, 20, "only %d bands", judged);
    cr_log_info("%d bands judged", judged);
    gen_sig_free(&song), gen_sig_free(&x), gen_sig_free(&y), gen_sig_free(&ys),
        gen_sig_free(&d);
}

static double described_freq(md_node *n)
{
    char buf[200];
    md_node_type(n)->describe(n, buf, sizeof buf);
    cr_log_info("describe: %s", buf);
    const char *p = strstr(buf, "auto: ");
    return p ? atof(p + 6) : NAN;
}

Test(dehum, auto_finds_60_hz_hum_in_the_first_3_s_and_notches_it)
{
    gen_sig song = restore_song(RATE, SONG_S, 2, 1);
    double a = sqrt(2.0) * song_rms(&song) * pow(10, -30 / 20.0);
    gen_sig x = copy_sig(&song);
    add_hum(&x, 60, 5, a);
    /* xb: the same first 3 s (so the same decision), no hum after them; the
     * node is linear and time-invariant once it has decided, so
     * out(x) - out(xb) is what became of the hum from 3 s on */
    gen_sig xb = copy_sig(&song);
    const size_t decide = (size_t)(3 * RATE);
    for (unsigned c = 0; c < 2; c++)
        memcpy(xb.ch[c], x.ch[c], decide * sizeof(float));
    md_node *n = gen_node("dehum", "freq=auto");
    gen_prepare(n, 2, RATE, 4096);
    unsigned lat = md_node_latency(n);
    cr_expect_eq(lat, 3u * 44100u, "auto: latency %u (3 s)", lat);
    gen_sig y = restore_run(n, &x, 1000, lat);
    double f = described_freq(n);
    md_node_reset(n);
    gen_sig yb = restore_run(n, &xb, 1000, lat);
    cr_expect_float_eq(described_freq(n), f, 0, "the same decision twice");
    md_node_destroy(n);
    cr_log_info("auto found %.4f Hz", f);
    cr_expect(fabs(f - 60.0) < 0.01, "found %.4f Hz", f);
    size_t from = decide + (size_t)(1 * RATE), len = song.frames - from;
    gen_sig d = gen_sig_new(1, len);
    for (size_t i = 0; i < len; i++)
        d.ch[0][i] = y.ch[0][from + i + lat] - yb.ch[0][from + i + lat];
    for (unsigned k = 1; k <= 5; k++) {
        double cut = 20 * log10(a / level(d.ch[0], len, 60.0 * k));
        double direct = 20 * log10(a / level(y.ch[0] + from + lat, len, 60.0 * k));
        cr_log_info("60 Hz hum (auto), harmonic %u: down %.1f dB (output at that frequency, "
                    "music included: %.1f dB under the hum)",
                    k, cut, direct);
        cr_expect_geq(cut, 30.0, "harmonic %u reduced by only %.1f dB", k, cut);
    }
    int judged;
    double worst = worst_band_change(&song, &y, lat, 60, 5, 30, &judged);
    cr_log_info("auto, bands without a harmonic: within %.3f dB over %d bands", worst, judged);
    cr_expect_lt(worst, 0.5, "a band away from the harmonics changed by %.3f dB", worst);
    gen_sig_free(&song), gen_sig_free(&x), gen_sig_free(&xb), gen_sig_free(&y),
        gen_sig_free(&yb), gen_sig_free(&d);
}

Test(dehum, auto_tells_50_from_60_and_finds_an_off_nominal_mains)
{
    gen_sig song = restore_song(RATE, 4.0, 4, 1);
    double a = sqrt(2.0) * song_rms(&song) * pow(10, -30 / 20.0);
    /* (the kick's steady 50 Hz line sits on a 50 Hz hum; off-nominal hums
     * are tried at 60 Hz, where the music has no line) */
    static const double hums[] = {50.0, 60.0, 59.93, 60.08};
    for (unsigned i = 0; i < sizeof hums / sizeof hums[0]; i++) {
        gen_sig x = copy_sig(&song);
        add_hum(&x, hums[i], 5, a);
        md_node *n = gen_node("dehum", "freq=auto");
        gen_prepare(n, 2, RATE, 4096);
        gen_sig y = restore_run(n, &x, 4096, 0);
        double f = described_freq(n);
        cr_log_info("hum at %g Hz: auto found %.4f Hz", hums[i], f);
        cr_expect(fabs(f - hums[i]) < 0.01, "hum at %g Hz: found %.4f Hz", hums[i], f);
        md_node_destroy(n);
        gen_sig_free(&x), gen_sig_free(&y);
    }
    gen_sig_free(&song);
}

Test(dehum, auto_without_hum_passes_audio_unchanged)
{
    /* without drums: the demo's kick is a steady 50 Hz line (see dehum.c) */
    gen_sig song = restore_song(RATE, 4.0, 5, 0);
    md_node *n = gen_node("dehum", "freq=auto");
    gen_prepare(n, 2, RATE, 4096);
    unsigned lat = md_node_latency(n);
    gen_sig y = restore_run(n, &song, 777, lat);
    char buf[200];
    md_node_type(n)->describe(n, buf, sizeof buf);
    cr_log_info("music without hum: %s", buf);
    cr_expect(strstr(buf, "no hum found"), "%s", buf);
    for (unsigned c = 0; c < 2; c++)
        cr_expect_eq(memcmp(y.ch[c] + lat, song.ch[c], song.frames * sizeof(float)), 0,
                     "channel %u is not the input delayed by %u frames", c, lat);
    md_node_destroy(n);
    gen_sig_free(&song), gen_sig_free(&y);
}

/* |H(f)| of the RBJ cookbook notch at f0 with Q, coded here from the
 * cookbook: H(z) = (1 - 2 cos w0 z^-1 + z^-2) / ((1 + a) - 2 cos w0 z^-1 + (1 - a) z^-2),
 * a = sin(w0) / (2 Q) */
static double rbj_notch_mag(double f, double f0, double q)
{
    double w0 = 2 * M_PI * f0 / RATE, al = sin(w0) / (2 * q), w = 2 * M_PI * f / RATE;
    double c = cos(w0);
    double nr = 1 - 2 * c * cos(w) + cos(2 * w), ni = 2 * c * sin(w) - sin(2 * w);
    double dr = (1 + al) - 2 * c * cos(w) + (1 - al) * cos(2 * w);
    double di = 2 * c * sin(w) - (1 - al) * sin(2 * w);
    return sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
}

Test(dehum, notches_match_the_rbj_cookbook_and_amount_blends)
{
    static const double freqs[] = {30, 45, 49, 50.5, 52, 75, 99, 100.4, 140, 1000, 5000};
    const size_t len = (size_t)(8 * RATE), from = (size_t)(4 * RATE);
    for (unsigned i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
        gen_sig x = gen_sig_new(1, len);
        for (size_t t = 0; t < len; t++)
            x.ch[0][t] = (float)(0.5 * sin(2 * M_PI * freqs[i] * t / RATE));
        unsigned lat;
        gen_sig y = run("freq=50 harmonics=2 q=20", &x, 4096, &lat);
        double got = 20 * log10(level(y.ch[0] + from, len - from, freqs[i]) / 0.5);
        double want = 20 * log10(rbj_notch_mag(freqs[i], 50, 20) * rbj_notch_mag(freqs[i], 100, 20));
        cr_expect_float_eq(got, want, 0.02, "%g Hz: %.3f dB, cookbook %.3f dB", freqs[i], got,
                           want);
        gen_sig_free(&y);
        gen_sig_free(&x);
    }
    /* at the notch: amount 1 removes it, 0.5 halves it (-6.02 dB), 0 keeps it */
    static const struct {
        const char *spec;
        double want;
    } am[] = {{"freq=50 amount=1", -200}, {"freq=50 amount=0.5", -6.02}, {"freq=50 amount=0", 0}};
    for (unsigned i = 0; i < 3; i++) {
        gen_sig x = gen_sig_new(1, len);
        for (size_t t = 0; t < len; t++)
            x.ch[0][t] = (float)(0.5 * sin(2 * M_PI * 50.0 * t / RATE));
        unsigned lat;
        gen_sig y = run(am[i].spec, &x, 4096, &lat);
        double got = 20 * log10(level(y.ch[0] + from, len - from, 50.0) / 0.5);
        if (am[i].want < -100)
            cr_expect_lt(got, -60.0, "%s: %.2f dB at 50 Hz", am[i].spec, got);
        else
            cr_expect_float_eq(got, am[i].want, 0.02, "%s: %.3f dB at 50 Hz", am[i].spec, got);
        gen_sig_free(&x), gen_sig_free(&y);
    }
}

Test(dehum, auto_mode_does_not_depend_on_blocks_and_resets)
{
    gen_sig song = restore_song(RATE, 4.0, 6, 1);
    double a = sqrt(2.0) * song_rms(&song) * pow(10, -30 / 20.0);
    add_hum(&song, 50, 4, a);
    unsigned lat;
    gen_sig ref = run("freq=auto", &song, 4096, &lat);
    static const unsigned blocks[] = {1, 7, 64, 1000};
    for (unsigned b = 0; b < 4; b++) {
        gen_sig y = run("freq=auto", &song, blocks[b], &lat);
        for (unsigned c = 0; c < 2; c++)
            cr_expect_eq(memcmp(y.ch[c], ref.ch[c], ref.frames * sizeof(float)), 0,
                         "blocks of %u differ", blocks[b]);
        gen_sig_free(&y);
    }
    md_node *n = gen_node("dehum", "freq=auto");
    gen_prepare(n, 2, RATE, 4096);
    gen_sig y = restore_run(n, &song, 333, lat);
    md_node_reset(n);
    gen_sig_free(&y);
    y = restore_run(n, &song, 4096, lat);
    for (unsigned c = 0; c < 2; c++)
        cr_expect_eq(memcmp(y.ch[c], ref.ch[c], ref.frames * sizeof(float)), 0,
                     "reset then a rerun differs");
    md_node_destroy(n);
    gen_sig_free(&y), gen_sig_free(&ref), gen_sig_free(&song);
}

Test(dehum, bad_settings_are_refused_naming_them)
{
    md_error e;
    md_node *n = gen_node("dehum", "freq=1000");
    md_stream st = {2000, 1, 256};
    cr_expect_eq(md_node_prepare(n, &st, &e), MD_ERR_INVALID);
    cr_expect(strstr(e.msg, "dehum: freq must be below") && strstr(e.msg, "got 1000"), "%s",
              e.msg);
    md_node_destroy(n);
    n = gen_node("dehum", "freq=auto");
    md_stream low = {800, 1, 256};
    cr_expect_eq(md_node_prepare(n, &low, &e), MD_ERR_INVALID);
    cr_expect(strstr(e.msg, "freq = auto") && strstr(e.msg, "got 800"), "%s", e.msg);
    cr_expect_neq(md_node_set_number(n, "harmonics", 21, &e), MD_OK);
    cr_expect(strstr(e.msg, "harmonics"), "%s", e.msg);
    cr_expect_neq(md_node_set_number(n, "freq", 5, &e), MD_OK);
    cr_expect(strstr(e.msg, "freq"), "%s", e.msg);
    md_node_destroy(n);
}
