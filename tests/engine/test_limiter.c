/* test_limiter.c - the true-peak limiter against two independent meters. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dyn_support.h"
#include "mixdown/md_dynamics.h"

#define CEILING -1.0
#define TOL 0.05

enum { SIG_SQUARE, SIG_IMPULSES, SIG_CLIPPED, SIG_FS4, SIG_COUNT };
static const char *const sig_names[] = {"square", "impulses", "clipped+12dB", "fs/4 at 45 deg"};

/* The hostile signals, stereo, 2 s. */
static void hostile(dyn_audio *a, int kind, double fs)
{
    unsigned n = (unsigned)(2.0 * fs);
    dyn_audio_alloc(a, 2, n, fs);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (unsigned c = 0; c < 2; c++) {
        float *x = a->ch[c];
        switch (kind) {
        case SIG_SQUARE: /* naive full-scale squares, 997 Hz and 3 kHz (Gibbs overshoot) */
            for (unsigned i = 0; i < n; i++) {
                double f = c == 0 ? 997.0 : 3000.0;
                x[i] = sin(2.0 * M_PI * f * i / fs) >= 0.0 ? 1.0f : -1.0f;
            }
            break;
        case SIG_IMPULSES: /* single full-scale samples, doublets and alternating pairs */
            for (unsigned i = 0; i < n; i += 997) {
                unsigned k = (i / 997) % 3;
                x[i] = c == 0 ? 1.0f : -1.0f;
                if (k == 1 && i + 1 < n)
                    x[i + 1] = x[i];
                if (k == 2 && i + 3 < n) {
                    x[i + 1] = -x[i];
                    x[i + 2] = x[i];
                    x[i + 3] = -x[i];
                }
            }
            break;
        case SIG_CLIPPED: /* a dense mix clipped at full scale, then +12 dB */
            for (unsigned i = 0; i < n; i++) {
                double t = i / fs;
                double v = 0.5 * sin(2 * M_PI * 55.0 * t) + 0.4 * sin(2 * M_PI * 220.0 * t + c) +
                           0.3 * sin(2 * M_PI * 1760.0 * t) * (fmod(t, 0.25) < 0.1) +
                           0.25 * sin(2 * M_PI * 7040.0 * t + 0.3) +
                           0.6 * (dyn_rand(&seed) - 0.5);
                v *= 1.6;
                v = v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v;
                x[i] = (float)(v * 3.98107);
            }
            break;
        case SIG_FS4: /* samples at +-0.7071, true peak 1.0: +3 dB between samples */
            dyn_sine(x, n, fs / 4.0, fs, 1.0, M_PI / 4.0 + (c ? M_PI : 0.0));
            break;
        }
    }
}

static md_node *limiter(double fs, unsigned max_frames)
{
    static const char *const kv[] = {"ceiling", "-1", "release", "50", "lookahead", "5",
                                     "true_peak", "true", NULL};
    return dyn_make("limiter", 2, fs, max_frames, 0, kv);
}

Test(limiter, true_peak_never_exceeds_ceiling_by_two_meters, .timeout = 120)
{
    char dir[64];
    dyn_tmp_make(dir, sizeof dir);
    static const double rates[] = {44100.0, 48000.0};
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < SIG_COUNT; k++) {
            double fs = rates[r];
            dyn_audio in, out;
            hostile(&in, k, fs);
            dyn_audio_alloc(&out, 2, in.frames, fs);
            md_node *n = limiter(fs, 1024);
            dyn_run(n, &in, NULL, &out, 1024);
            md_node_destroy(n);
            char path[128];
            snprintf(path, sizeof path, "%s/out_%d_%d.wav", dir, k, (int)fs);
            cr_assert(dyn_write_wav(path, &out) == 0, "write %s", path);
            double tp_in = dyn_tp_libebur128(&in);
            double tp_lib = dyn_tp_libebur128(&out);
            double tp_ff;
            int ff = dyn_tp_ffmpeg(path, &tp_ff);
            cr_log_info("%s @ %g Hz: in %.2f dBTP, out libebur128 %.3f, ffmpeg %.1f dBTP",
                        sig_names[k], fs, tp_in, tp_lib, ff == 0 ? tp_ff : NAN);
            cr_assert(tp_in > CEILING + 0.5, "%s is over the ceiling going in", sig_names[k]);
            cr_assert(ff == 0, "ffmpeg ebur128 could not measure %s (is ffmpeg installed?)",
                      path);
            cr_expect(tp_lib <= CEILING + TOL, "%s @ %g Hz: libebur128 true peak %.3f dBTP",
                      sig_names[k], fs, tp_lib);
            cr_expect(tp_ff <= CEILING + TOL, "%s @ %g Hz: ffmpeg true peak %.1f dBTP",
                      sig_names[k], fs, tp_ff);
            /* and it does limit, not mute: the output reaches near the ceiling */
            cr_expect(tp_lib > CEILING - 1.0, "%s @ %g Hz: output only %.3f dBTP", sig_names[k],
                      fs, tp_lib);
            dyn_audio_free(&in);
            dyn_audio_free(&out);
        }
    dyn_tmp_cleanup(dir);
}

/* A dense test mix (stereo), scaled so that libebur128 reads `tp_db` dBTP. */
static void mix_at(dyn_audio *a, double fs, double seconds, double tp_db)
{
    unsigned n = (unsigned)(seconds * fs);
    dyn_audio_alloc(a, 2, n, fs);
    uint64_t seed = 12345;
    for (unsigned c = 0; c < 2; c++)
        for (unsigned i = 0; i < n; i++) {
            double t = i / fs;
            a->ch[c][i] = (float)(0.4 * sin(2 * M_PI * 110.0 * t + c) +
                                  0.3 * sin(2 * M_PI * 5500.0 * t) * (fmod(t, 0.3) < 0.1) +
                                  0.3 * (dyn_rand(&seed) - 0.5));
        }
    double k = pow(10.0, (tp_db - dyn_tp_libebur128(a)) / 20.0);
    for (unsigned c = 0; c < 2; c++)
        for (unsigned i = 0; i < n; i++)
            a->ch[c][i] = (float)(a->ch[c][i] * k);
}

Test(limiter, material_under_the_ceiling_passes_unchanged)
{
    for (int r = 0; r < 2; r++) {
        double fs = r ? 48000.0 : 44100.0;
        dyn_audio in, out;
        mix_at(&in, fs, 2.0, CEILING - 3.0);
        dyn_audio_alloc(&out, 2, in.frames, fs);
        md_node *n = limiter(fs, 1024);
        dyn_run(n, &in, NULL, &out, 1000);
        unsigned lat = md_node_latency(n);
        double resid = 0.0;
        for (unsigned c = 0; c < 2; c++)
            for (unsigned i = lat; i < in.frames; i++)
                resid = fmax(resid, fabs(out.ch[c][i] - in.ch[c][i - lat]));
        cr_log_info("under the ceiling @ %g Hz: largest residual %g (%.1f dBFS)", fs, resid,
                    dyn_db(resid));
        cr_expect(resid < 1e-6, "residual after alignment %g (%.1f dBFS)", resid, dyn_db(resid));
        cr_expect(md_dyn_max_reduction_db(n) == 0.0f, "reduction reported: %g",
                  md_dyn_max_reduction_db(n));
        md_node_destroy(n);
        dyn_audio_free(&in);
        dyn_audio_free(&out);
    }
}

Test(limiter, latency_equals_the_measured_impulse_delay)
{
    static const char *const looks[] = {"0.5", "5", "20"};
    for (int k = 0; k < 3; k++) {
        const char *kv[] = {"lookahead", looks[k], NULL};
        md_node *n = dyn_make("limiter", 1, 48000.0, 256, 0, kv);
        dyn_audio in, out;
        dyn_audio_alloc(&in, 1, 4000, 48000.0);
        dyn_audio_alloc(&out, 1, 4000, 48000.0);
        in.ch[0][300] = 0.1f; /* -20 dB: passes unchanged */
        dyn_run(n, &in, NULL, &out, 256);
        unsigned at = 0;
        for (unsigned i = 0; i < out.frames; i++)
            if (fabsf(out.ch[0][i]) > fabsf(out.ch[0][at]))
                at = i;
        unsigned lat = md_node_latency(n);
        long want = lround(atof(looks[k]) * 48.0);
        cr_log_info("lookahead %s ms: latency %u frames, impulse at +%u", looks[k], lat,
                    at - 300);
        cr_expect(at - 300 == lat && out.ch[0][at] == 0.1f,
                  "lookahead %s: impulse at +%u (%g), latency() %u", looks[k], at - 300,
                  out.ch[0][at], lat);
        cr_expect(lat == (unsigned)(want > 64 ? want : 64), "lookahead %s: latency %u",
                  looks[k], lat);
        md_node_destroy(n);
        dyn_audio_free(&in);
        dyn_audio_free(&out);
    }
}

Test(limiter, steady_tone_gain_ripple_under_a_tenth_of_a_db)
{
    static const double freqs[] = {1000.0, 100.0, 55.0};
    for (int k = 0; k < 3; k++) {
        double fs = 44100.0;
        unsigned n = (unsigned)(2.0 * fs);
        dyn_audio in, out;
        dyn_audio_alloc(&in, 2, n, fs);
        dyn_audio_alloc(&out, 2, n, fs);
        for (unsigned c = 0; c < 2; c++)
            dyn_sine(in.ch[c], n, freqs[k], fs, 2.0, 0.0); /* +6 dB: 7 dB over */
        md_node *lim = limiter(fs, 1024);
        dyn_run(lim, &in, NULL, &out, 1024);
        unsigned lat = md_node_latency(lim);
        double gmin = 1e9, gmax = -1e9;
        for (unsigned i = (unsigned)(0.5 * fs); i < n; i++) {
            double x = in.ch[0][i - lat];
            if (fabs(x) < 0.5) /* gain from out / in where in is well above 0 */
                continue;
            double g = dyn_db(out.ch[0][i] / x);
            gmin = fmin(gmin, g);
            gmax = fmax(gmax, g);
        }
        cr_log_info("%g Hz tone 7 dB over: gain %.4f .. %.4f dB (ripple %.4f dB)", freqs[k],
                    gmin, gmax, gmax - gmin);
        cr_expect(gmax - gmin < 0.1, "%g Hz: gain ripple %.4f dB", freqs[k], gmax - gmin);
        cr_expect(gmax < -6.9 && gmin > -8.0, "%g Hz: gain %.3f .. %.3f dB", freqs[k], gmin,
                  gmax);
        md_node_destroy(lim);
        dyn_audio_free(&in);
        dyn_audio_free(&out);
    }
}

Test(limiter, output_independent_of_block_size_and_reset)
{
    static const unsigned blocks[] = {1, 7, 64, 1024};
    dyn_audio in, ref;
    hostile(&in, SIG_CLIPPED, 44100.0);
    in.frames = 44100;
    dyn_audio_alloc(&ref, 2, in.frames, 44100.0);
    md_node *n = limiter(44100.0, 1024);
    dyn_run(n, &in, NULL, &ref, 1024);
    for (int b = 0; b < 4; b++) {
        dyn_audio o;
        dyn_audio_alloc(&o, 2, in.frames, 44100.0);
        md_node_reset(n);
        dyn_run(n, &in, NULL, &o, blocks[b]);
        for (unsigned c = 0; c < 2; c++)
            cr_expect(memcmp(o.ch[c], ref.ch[c], sizeof(float) * o.frames) == 0,
                      "block %u (after reset) differs", blocks[b]);
        dyn_audio_free(&o);
    }
    cr_expect(md_dyn_max_reduction_db(n) > 10.0f, "clipped +12 dB: reduction %g dB",
              md_dyn_max_reduction_db(n));
    md_node_destroy(n);
    in.frames = (unsigned)(2.0 * 44100.0);
    dyn_audio_free(&in);
    dyn_audio_free(&ref);
}

Test(limiter, sample_peak_mode_holds_the_sample_ceiling)
{
    const char *kv[] = {"ceiling", "-3", "true_peak", "false", NULL};
    dyn_audio in, out;
    hostile(&in, SIG_CLIPPED, 48000.0);
    dyn_audio_alloc(&out, 2, in.frames, 48000.0);
    md_node *n = dyn_make("limiter", 2, 48000.0, 512, 0, kv);
    dyn_run(n, &in, NULL, &out, 512);
    double pk = fmax(dyn_peak(out.ch[0], out.frames), dyn_peak(out.ch[1], out.frames));
    cr_expect(dyn_db(pk) <= -3.0 + 1e-5 && dyn_db(pk) > -3.5, "sample peak %.4f dBFS",
              dyn_db(pk));
    md_node_destroy(n);
    dyn_audio_free(&in);
    dyn_audio_free(&out);
}

Test(limiter, parameters_are_validated)
{
    md_error err = {0};
    md_node *n = md_node_create(md_node_lookup("limiter"), &err);
    cr_assert(n);
    cr_expect(md_node_set_number(n, "ceiling", 0.5, &err) == MD_ERR_INVALID);
    cr_expect(strstr(err.msg, "limiter: ceiling must be <= 0") != NULL, "message: %s", err.msg);
    cr_expect(md_node_set_number(n, "lookahead", 0.1, &err) == MD_ERR_INVALID);
    cr_expect(md_node_set_string(n, "true_peak", "maybe", &err) == MD_ERR_INVALID);
    md_node_destroy(n);
}
