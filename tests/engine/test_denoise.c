/* test_denoise.c - denoise: noise removed from music, the music kept, no
 * musical noise; the tracked estimate, amount/floor, `noise` points, spans
 * and the latency they add, the speech mode (SpeexDSP), errors.
 *
 * Material: restore_song (the demo song's instruments - drums with hats,
 * saw bass, two detuned saw pads, square lead - from the synth node), 2 s of
 * noise alone, then song + noise at 20 dB SNR (noise power = song power /
 * 100 over the song's span; white, or pink by Kellet's filter). The output is
 * aligned by the node's reported latency; 0.5 s at each end of the song is
 * left out.
 *
 * Figures, each with what it measures:
 *   SNR (Hagerman)  the node runs on song + noise and on song - noise; half
 *                   the sum of the outputs is the processed song, half the
 *                   difference the processed noise (Hagerman and Olofsson,
 *                   Acta Acustica 90, 2004: the usual way to measure a
 *                   non-linear noise reducer). Improvement = their ratio
 *                   minus the input SNR.
 *   error SNR       song / (output - song): counts what was taken from the
 *                   song as noise too.
 *   oracle          the error SNR of an ideal Wiener mask computed from the
 *                   song and noise themselves (restore_oracle_db), a bound no
 *                   real denoiser passes: about +8 dB (white) and +5 dB
 *                   (pink) here, because drums (hats, snare) and the dense
 *                   partials of detuned saws cover the noise in many cells.
 *                   Issue 7 asks for 10 dB; on this material that is out of
 *                   reach for any mask, so the node is held to figures a
 *                   few dB under the oracle instead (asserted below).
 *   song bands      1/3-octave band energies (Welch) of the processed song
 *                   (Hagerman sum) against the clean song's, in bands where
 *                   the song leads the noise (band SNR of the input >= 6 dB:
 *                   within 1 dB; >= 0 dB: within 1.5 dB), 40 Hz - 16 kHz.
 *   pops            musical noise: on the noise-alone lead, the fraction of
 *                   1024-point STFT cells of the output over 10x their bin's
 *                   mean (Gaussian noise: 4.5e-5; isolated tones coming and
 *                   going: 1e-2 and more).
 */
#include <criterion/criterion.h>
#include <kissfft/kiss_fftr.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "restore_util.h"

#define RATE 44100.0
#define LEAD_S 2.0
#define SONG_S 14.0

typedef struct case_result {
    double snr_in_db;
    double snr_out_db;    /* Hagerman: processed song / processed noise */
    double err_snr_db;    /* song / (output - song) */
    double oracle_db;     /* error SNR improvement of the ideal Wiener mask */
    double worst0_db;     /* largest |band change| of the song, bands with SNR >= 0 dB */
    double worst6_db;     /* ... with SNR >= 6 dB */
    int judged0, judged6;
    double pops;          /* on the noise alone */
    double residual_db;   /* the noise alone, output re input */
} case_result;

/* Fraction of 1024-point STFT cells (Hann, hop 256) of x[0..len) whose power
 * exceeds ten times the mean of their bin. */
static double pop_fraction(const float *x, size_t len)
{
    enum { N = 1024, B = N / 2 + 1 };
    kiss_fftr_cfg cfg = kiss_fftr_alloc(N, 0, NULL, NULL);
    size_t frames = (len - N) / (N / 4) + 1;
    float *pw = malloc(sizeof(float) * frames * B), buf[N];
    double mean[B] = {0};
    kiss_fft_cpx X[B];
    cr_assert(cfg && pw);
    for (size_t f = 0; f < frames; f++) {
        for (unsigned i = 0; i < N; i++)
            buf[i] = x[f * (N / 4) + i] * (float)(0.5 - 0.5 * cos(2 * M_PI * i / N));
        kiss_fftr(cfg, buf, X);
        for (unsigned k = 0; k < B; k++) {
            pw[f * B + k] = X[k].r * X[k].r + X[k].i * X[k].i;
            mean[k] += pw[f * B + k] / frames;
        }
    }
    size_t over = 0, cells = 0;
    for (size_t f = 0; f < frames; f++)
        for (unsigned k = 2; k < B - 2; k++, cells++)
            over += pw[f * B + k] > 10 * mean[k];
    free(pw);
    kiss_fftr_free(cfg);
    return (double)over / cells;
}

/* lead frames of noise alone, then song + sign x noise */
static gen_sig noisy(const gen_sig *song, const gen_sig *noise, size_t lead, double sign)
{
    gen_sig x = gen_sig_new(2, lead + song->frames);
    for (unsigned c = 0; c < 2; c++) {
        for (size_t i = 0; i < x.frames; i++)
            x.ch[c][i] = (float)(sign * noise->ch[c][i]);
        for (size_t i = 0; i < song->frames; i++)
            x.ch[c][lead + i] += song->ch[c][i];
    }
    return x;
}

static gen_sig make_noise(size_t frames, double rms, int pink)
{
    gen_sig noise = gen_sig_new(2, frames);
    for (unsigned c = 0; c < 2; c++) {
        if (pink)
            restore_pink(noise.ch[c], frames, rms, 77 + c);
        else
            restore_white(noise.ch[c], frames, rms, 33 + c);
    }
    return noise;
}

/* Runs fresh nodes from make() over song +- noise; see the figures above. */
static case_result run_case(md_node *(*make)(void), int pink, const char *label)
{
    size_t lead = (size_t)(LEAD_S * RATE);
    gen_sig song = restore_song(RATE, SONG_S, 1, 1);
    double es_all = 0;
    for (unsigned c = 0; c < 2; c++)
        es_all += restore_energy(song.ch[c], song.frames);
    gen_sig noise = make_noise(lead + song.frames, sqrt(es_all / (2.0 * song.frames) / 100.0),
                               pink);
    gen_sig y[2];
    unsigned lat = 0;
    for (int k = 0; k < 2; k++) {
        gen_sig x = noisy(&song, &noise, lead, k ? -1.0 : 1.0);
        md_node *n = make();
        gen_prepare(n, 2, RATE, 4096);
        lat = md_node_latency(n);
        y[k] = restore_run(n, &x, 4096, lat);
        md_node_destroy(n);
        gen_sig_free(&x);
    }
    gen_sig sp = gen_sig_new(2, song.frames), nin = gen_sig_new(2, song.frames);
    double eo = 0;
    size_t from = (size_t)(0.5 * RATE), len = song.frames - 2 * from;
    for (unsigned c = 0; c < 2; c++)
        for (size_t i = 0; i < song.frames; i++) {
            float a = y[0].ch[c][lead + i + lat], b = y[1].ch[c][lead + i + lat];
            sp.ch[c][i] = 0.5f * (a + b);
            nin.ch[c][i] = noise.ch[c][lead + i];
            if (i >= from && i < from + len)
                eo += 0.25 * ((double)a - b) * ((double)a - b);
        }
    case_result r = {0};
    double es = 0, en = 0, ee = 0, eso = 0;
    for (unsigned c = 0; c < 2; c++)
        for (size_t i = from; i < from + len; i++) {
            double s = song.ch[c][i], e = y[0].ch[c][lead + i + lat] - s;
            es += s * s, ee += e * e, eso += (double)sp.ch[c][i] * sp.ch[c][i];
            en += (double)nin.ch[c][i] * nin.ch[c][i];
        }
    r.snr_in_db = 10 * log10(es / en);
    r.snr_out_db = 10 * log10(eso / eo);
    r.err_snr_db = 10 * log10(es / ee);
    r.oracle_db = restore_oracle_db(&song, &noise, lead, 4096, from, len);
    size_t a = (size_t)(0.25 * RATE), l = lead - 2 * a;
    r.pops = pop_fraction(y[0].ch[0] + a + lat, l);
    r.residual_db = 10 * log10(restore_energy(y[0].ch[0] + a + lat, l) /
                               restore_energy(noise.ch[0] + a, l));

    restore_bands bs, bn;
    restore_third_octaves(&song, from, &sp, from, len, RATE, &bs);
    restore_third_octaves(&song, from, &nin, from, len, RATE, &bn);
    for (int b = 0; b < RESTORE_BANDS; b++) {
        double fc = bs.centre[b];
        double band_snr = 10 * log10(bs.xx[b] / bn.yy[b]);
        double change = 10 * log10(bs.yy[b] / bs.xx[b]);
        int in_range = fc >= 39 && fc <= 16500;
        cr_log_info("%s %7.1f Hz: band SNR in %6.1f dB, song part %+6.2f dB%s",
                    pink ? "pink" : "white", fc, band_snr, change,
                    in_range && band_snr >= 0 ? "" : " (not judged)");
        if (in_range && band_snr >= 0) {
            r.judged0++;
            r.worst0_db = fmax(r.worst0_db, fabs(change));
        }
        if (in_range && band_snr >= 6) {
            r.judged6++;
            r.worst6_db = fmax(r.worst6_db, fabs(change));
        }
    }
    gen_sig_free(&song), gen_sig_free(&noise), gen_sig_free(&y[0]), gen_sig_free(&y[1]);
    gen_sig_free(&sp), gen_sig_free(&nin);
    cr_log_info("%s, %s: input SNR %.2f dB; Hagerman %+.2f dB, error SNR %+.2f dB (ideal Wiener "
                "%+.2f dB); song bands within %.2f dB (%d bands >= 6 dB SNR), %.2f dB (%d bands "
                ">= 0 dB); noise alone %.1f dB, pops %.5f",
                label, pink ? "pink" : "white", r.snr_in_db, r.snr_out_db - r.snr_in_db,
                r.err_snr_db - r.snr_in_db, r.oracle_db, r.worst6_db, r.judged6, r.worst0_db,
                r.judged0, r.residual_db, r.pops);
    return r;
}

static void set_span(md_node *n, double a, double b)
{
    md_error e;
    cr_assert_eq(md_node_set_list_count(n, "profile", 2, &e), MD_OK, "%s", e.msg);
    cr_assert_eq(md_node_set_item_number(n, "profile", 0, "t", a, &e), MD_OK, "%s", e.msg);
    cr_assert_eq(md_node_set_item_number(n, "profile", 1, "t", b, &e), MD_OK, "%s", e.msg);
}

static md_node *make_profiled(void)
{
    md_node *n = gen_node("denoise", "amount=1");
    set_span(n, 0.0, LEAD_S);
    return n;
}

static md_node *make_tracked(void) { return gen_node("denoise", "amount=1"); }

static void expect_music_case(const case_result *r, double hagerman, double err, double oracle)
{
    cr_expect_float_eq(r->snr_in_db, 20.0, 0.05, "input SNR %.2f dB", r->snr_in_db);
    cr_expect_geq(r->snr_out_db - r->snr_in_db, hagerman, "SNR (Hagerman) improved by %.2f dB",
                  r->snr_out_db - r->snr_in_db);
    cr_expect_geq(r->err_snr_db - r->snr_in_db, err, "error SNR improved by %.2f dB",
                  r->err_snr_db - r->snr_in_db);
    cr_expect_geq(r->oracle_db, oracle - 1.5, "ideal Wiener %+.2f dB", r->oracle_db);
    cr_expect_leq(r->oracle_db, oracle + 1.5, "ideal Wiener %+.2f dB", r->oracle_db);
    cr_expect_lt(r->worst6_db, 1.0, "a band of the song changed by %.2f dB", r->worst6_db);
    cr_expect_lt(r->worst0_db, 1.5, "a band of the song changed by %.2f dB", r->worst0_db);
    cr_expect_geq(r->judged6, 15, "only %d bands judged", r->judged6);
}

Test(denoise, white_noise_at_20_db_is_removed_and_the_song_kept)
{
    case_result r = run_case(make_profiled, 0, "profile");
    expect_music_case(&r, 6.0, 4.5, 8.0);
    /* the profile is right: noise alone goes down to the floor, evenly */
    cr_expect_float_eq(r.residual_db, -24.0, 1.0, "noise alone: %.2f dB", r.residual_db);
    cr_expect_lt(r.pops, 1e-3, "musical noise: %.5f of the cells pop out", r.pops);
}

Test(denoise, pink_noise_at_20_db_is_removed_and_the_song_kept)
{
    case_result r = run_case(make_profiled, 1, "profile");
    expect_music_case(&r, 3.5, 3.0, 5.0);
    cr_expect_float_eq(r.residual_db, -24.0, 1.0, "noise alone: %.2f dB", r.residual_db);
    cr_expect_lt(r.pops, 1e-3, "musical noise: %.5f of the cells pop out", r.pops);
}

Test(denoise, tracked_noise_keeps_the_song_bands_within_a_db)
{
    case_result r = run_case(make_tracked, 0, "tracked");
    cr_expect_geq(r.snr_out_db - r.snr_in_db, 5.0, "SNR (Hagerman) improved by %.2f dB",
                  r.snr_out_db - r.snr_in_db);
    cr_expect_lt(r.worst6_db, 1.0, "a band of the song changed by %.2f dB", r.worst6_db);
}

/* noise alone for `seconds`, through n; level of the output over the last
 * `measure` seconds re the input's, in dB */
static double residual_db(md_node *n, int pink, double seconds, double measure)
{
    size_t len = (size_t)(seconds * RATE), m = (size_t)(measure * RATE);
    gen_sig x = make_noise(len, 0.01, pink);
    gen_prepare(n, 2, RATE, 4096);
    unsigned lat = md_node_latency(n);
    gen_sig y = restore_run(n, &x, 4096, lat);
    double r = 10 * log10((restore_energy(y.ch[0] + len - m + lat, m) +
                           restore_energy(y.ch[1] + len - m + lat, m)) /
                          (restore_energy(x.ch[0] + len - m, m) + restore_energy(x.ch[1] + len - m, m)));
    gen_sig_free(&x), gen_sig_free(&y);
    return r;
}

/* White noise reaches the floor once the tracker has a full window. Pink
 * noise keeps its part below ~130 Hz (the median window is not centred
 * there, so bass and kick are not taken for noise; pink noise has a third of
 * its power down there): -9 dB measured. */
Test(denoise, tracked_estimate_takes_steady_noise_down_to_the_floor)
{
    for (int pink = 0; pink < 2; pink++) {
        md_node *n = gen_node("denoise", "amount=1");
        double r = residual_db(n, pink, 10.0, 2.0);
        md_node_destroy(n);
        cr_log_info("tracked, %s noise alone: %.2f dB after 8 s", pink ? "pink" : "white", r);
        if (pink)
            cr_expect_lt(r, -7.0, "pink noise alone: %.2f dB", r);
        else
            cr_expect_float_eq(r, -24.0, 1.5, "white noise alone: %.2f dB", r);
    }
}

Test(denoise, amount_scales_the_reduction_in_db_and_floor_bounds_it)
{
    static const struct {
        const char *spec;
        double want;
    } cases[] = {
        {"amount=1 floor=-24", -24.0}, {"amount=0.5 floor=-24", -12.0},
        {"amount=1 floor=-12", -12.0}, {"amount=0.25 floor=-40", -10.0},
        {"amount=0", 0.0},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        md_node *n = gen_node("denoise", cases[i].spec);
        set_span(n, 0.0, 1.0);
        double r = residual_db(n, 0, 4.0, 2.0);
        md_node_destroy(n);
        cr_expect_float_eq(r, cases[i].want, cases[i].want == 0 ? 0.01 : 0.8,
                           "%s: noise alone %.2f dB", cases[i].spec, r);
    }
}

Test(denoise, noise_points_give_the_profile_in_db_per_hz)
{
    /* white noise of RMS r per channel: one-sided PSD r^2 / (fs / 2) per Hz */
    const double rms = 0.01, psd_db = 10 * log10(rms * rms / (RATE / 2));
    static const double offsets[] = {0.0, -10.0};
    double got[2];
    for (int k = 0; k < 2; k++) {
        md_node *n = gen_node("denoise", "amount=1");
        md_error e;
        cr_assert_eq(md_node_set_list_count(n, "noise", 2, &e), MD_OK, "%s", e.msg);
        double f[2] = {20.0, 20000.0};
        for (unsigned i = 0; i < 2; i++) {
            cr_assert_eq(md_node_set_item_number(n, "noise", i, "freq", f[i], &e), MD_OK);
            cr_assert_eq(md_node_set_item_number(n, "noise", i, "db", psd_db + offsets[k], &e),
                         MD_OK);
        }
        got[k] = residual_db(n, 0, 3.0, 2.0);
        md_node_destroy(n);
    }
    cr_expect_float_eq(got[0], -24.0, 1.0, "noise given at its level: %.2f dB", got[0]);
    /* given 10 dB too low, most of the noise is taken for signal */
    cr_expect_gt(got[1], -6.0, "noise given 10 dB low: %.2f dB", got[1]);
}

static gen_sig impulse_signal(size_t frames, size_t at)
{
    gen_sig x = gen_sig_new(2, frames);
    x.ch[0][at] = 0.5f;
    x.ch[1][at] = 0.5f;
    return x;
}

static size_t peak_at(const float *x, size_t n)
{
    size_t at = 0;
    for (size_t i = 1; i < n; i++)
        if (fabsf(x[i]) > fabsf(x[at]))
            at = i;
    return at;
}

Test(denoise, a_profile_span_adds_its_stop_to_the_latency)
{
    md_node *n = gen_node("denoise", "");
    gen_prepare(n, 2, RATE, 4096);
    unsigned plain = md_node_latency(n);
    cr_expect_eq(plain, 4096u, "latency without a span: %u", plain);
    md_node_destroy(n);

    n = gen_node("denoise", "");
    set_span(n, 0.5, 1.0);
    gen_prepare(n, 2, RATE, 4096);
    unsigned lat = md_node_latency(n);
    /* stop = 44100 frames, rounded down to the 1024-frame hop grid */
    cr_expect_eq(lat, 4096u + 44032u, "latency with span {0.5, 1}: %u", lat);
    /* the span is silence: the impulse after it passes whole, lat frames late */
    gen_sig x = impulse_signal(3 * 44100, 100000);
    gen_sig y = restore_run(n, &x, 512, lat + 4096);
    size_t at = peak_at(y.ch[0], y.frames);
    cr_expect_eq(at, 100000 + (size_t)lat, "impulse came out at %zu", at);
    cr_expect_float_eq(y.ch[0][at], 0.5f, 1e-4, "impulse peak %g", y.ch[0][at]);
    gen_sig_free(&x), gen_sig_free(&y);
    md_node_destroy(n);
}

/* output of a fresh node over x in blocks of `block` (ref: 4096) */
static int same_for_blocks(const char *spec, int span, const gen_sig *x)
{
    static const unsigned blocks[] = {4096, 1, 7, 64, 1000};
    gen_sig ref = {0};
    int same = 1;
    for (unsigned b = 0; b < 5; b++) {
        md_node *n = gen_node("denoise", spec);
        if (span)
            set_span(n, 0.2, 0.6);
        gen_prepare(n, 2, RATE, 4096);
        gen_sig y = restore_run(n, x, blocks[b], 0);
        if (b == 0) {
            ref = y;
            /* reset, then the same again */
            md_node_reset(n);
            gen_sig z = restore_run(n, x, 4096, 0);
            for (unsigned c = 0; c < 2; c++)
                same &= memcmp(z.ch[c], ref.ch[c], x->frames * sizeof(float)) == 0;
            gen_sig_free(&z);
        } else {
            for (unsigned c = 0; c < 2; c++)
                same &= memcmp(y.ch[c], ref.ch[c], x->frames * sizeof(float)) == 0;
            gen_sig_free(&y);
        }
        md_node_destroy(n);
    }
    gen_sig_free(&ref);
    return same;
}

Test(denoise, spans_and_speech_mode_do_not_depend_on_blocks)
{
    gen_sig song = restore_song(RATE, 1.5, 3, 1);
    gen_sig x = make_noise(song.frames, 0.01, 0);
    for (unsigned c = 0; c < 2; c++)
        for (size_t i = (size_t)(0.7 * RATE); i < song.frames; i++)
            x.ch[c][i] += song.ch[c][i];
    cr_expect(same_for_blocks("amount=0.8", 1, &x), "music mode with a span");
    cr_expect(same_for_blocks("mode=speech amount=0.8", 0, &x), "speech mode");
    gen_sig_free(&song), gen_sig_free(&x);
}

Test(denoise, speech_mode_reduces_steady_noise_with_speex)
{
    md_node *n = gen_node("denoise", "mode=speech amount=1 floor=-24");
    gen_prepare(n, 2, RATE, 4096);
    /* frames of 1024 at 44.1 kHz: one for framing, one inside SpeexDSP */
    cr_expect_eq(md_node_latency(n), 2048u, "speech latency %u", md_node_latency(n));
    md_node_destroy(n);
    n = gen_node("denoise", "mode=speech amount=1 floor=-24");
    double r = residual_db(n, 0, 6.0, 2.0);
    md_node_destroy(n);
    cr_log_info("speech mode, white noise alone: %.2f dB after 4 s", r);
    cr_expect_lt(r, -12.0, "speech mode on noise alone: %.2f dB", r);
    cr_expect_gt(r, -30.0, "speech mode on noise alone: %.2f dB (below its floor?)", r);

    /* a voiced sound (a pulse train around 150 Hz with jitter, so its
     * autocorrelation has one peak, through a 700 Hz resonance, at a
     * syllable rate) comes out where the latency says: correlation peak */
    size_t len = (size_t)(3 * RATE);
    gen_sig v = gen_sig_new(2, len);
    double y1 = 0, y2 = 0, w0 = 2 * M_PI * 700 / RATE, rr = 0.995;
    uint64_t seed = 99;
    size_t next = 0;
    for (size_t i = 0; i < len; i++) {
        double pulse = 0.0;
        if (i == next) {
            pulse = 1.0;
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            next = i + 250 + (size_t)((seed >> 33) % 100);
        }
        double yv = pulse + 2 * rr * cos(w0) * y1 - rr * rr * y2;
        y2 = y1, y1 = yv;
        double env = 0.5 - 0.5 * cos(2 * M_PI * 4.0 * i / RATE);
        v.ch[0][i] = v.ch[1][i] = (float)(0.02 * yv * env);
    }
    n = gen_node("denoise", "mode=speech amount=1");
    gen_prepare(n, 2, RATE, 4096);
    unsigned lat = md_node_latency(n);
    gen_sig out = restore_run(n, &v, 4096, lat);
    long best = 0;
    double bestc = -1e300;
    for (long d = 0; d < 4096; d++) {
        double c = 0;
        for (size_t i = RATE; i < 2 * RATE; i++)
            c += (double)v.ch[0][i] * out.ch[0][i + d];
        if (c > bestc)
            bestc = c, best = d;
    }
    cr_expect_eq(best, (long)lat, "voice came out %ld frames late, latency %u", best, lat);
    gen_sig_free(&v), gen_sig_free(&out);
    md_node_destroy(n);
}

Test(denoise, bad_settings_are_refused_naming_them)
{
    md_error e;
    md_node *n = gen_node("denoise", "");
    md_stream st = {RATE, 2, 4096};
    cr_assert_eq(md_node_set_list_count(n, "profile", 1, &e), MD_OK);
    cr_expect_eq(md_node_prepare(n, &st, &e), MD_ERR_INVALID);
    cr_expect(strstr(e.msg, "denoise: profile"), "%s", e.msg);
    set_span(n, 1.0, 1.05);
    cr_expect_eq(md_node_prepare(n, &st, &e), MD_ERR_INVALID);
    cr_expect(strstr(e.msg, "profile") && strstr(e.msg, "got {1, 1.05}"), "%s", e.msg);
    set_span(n, 2.0, 1.0);
    cr_expect_eq(md_node_prepare(n, &st, &e), MD_ERR_INVALID, "stop before start");
    md_node_destroy(n);

    n = gen_node("denoise", "");
    cr_assert_eq(md_node_set_list_count(n, "noise", 2, &e), MD_OK);
    md_node_set_item_number(n, "noise", 0, "freq", 1000, &e);
    md_node_set_item_number(n, "noise", 1, "freq", 500, &e);
    cr_expect_eq(md_node_prepare(n, &st, &e), MD_ERR_INVALID);
    cr_expect(strstr(e.msg, "noise points must rise in freq, got 500"), "%s", e.msg);
    md_node_destroy(n);

    n = gen_node("denoise", "mode=speech");
    md_stream odd = {4000, 1, 512};
    cr_expect_eq(md_node_prepare(n, &odd, &e), MD_ERR_INVALID);
    cr_expect(strstr(e.msg, "speech mode") && strstr(e.msg, "got 4000"), "%s", e.msg);
    md_node_destroy(n);

    n = gen_node("denoise", "");
    cr_expect_neq(md_node_set_number(n, "amount", 1.5, &e), MD_OK);
    cr_expect(strstr(e.msg, "amount"), "%s", e.msg);
    cr_expect_neq(md_node_set_string(n, "mode", "voice", &e), MD_OK);
    cr_expect(strstr(e.msg, "mode"), "%s", e.msg);
    md_node_destroy(n);
}
