/* match_support.c - see match_support.h. */
#include "match_support.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define FRAME_LOG2 15
#define FRAME (1u << FRAME_LOG2)

/* In-place iterative radix-2 FFT (decimation in time) of n = 2^m points. */
static void fft(double *re, double *im, unsigned m, const double *cw, const double *sw)
{
    unsigned n = 1u << m;
    for (unsigned i = 1, j = 0; i < n; i++) { /* bit reversal */
        unsigned bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (unsigned len = 2; len <= n; len <<= 1) {
        unsigned step = n / len;
        for (unsigned i = 0; i < n; i += len)
            for (unsigned k = 0; k < len / 2; k++) {
                double wr = cw[k * step], wi = -sw[k * step];
                unsigned a = i + k, b = a + len / 2;
                double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
    }
}

ms_spectrum ms_measure(const gen_sig *s, double rate_hz)
{
    ms_spectrum out;
    memset(&out, 0, sizeof out);
    const unsigned n = FRAME, bins = n / 2 + 1;
    double *re = malloc(n * sizeof(double)), *im = malloc(n * sizeof(double));
    double *cw = malloc(n / 2 * sizeof(double)), *sw = malloc(n / 2 * sizeof(double));
    double *win = malloc(n * sizeof(double)), *acc = calloc(bins, sizeof(double));
    cr_assert(re && im && cw && sw && win && acc);
    for (unsigned k = 0; k < n / 2; k++) {
        cw[k] = cos(2.0 * M_PI * k / n);
        sw[k] = sin(2.0 * M_PI * k / n);
    }
    for (unsigned i = 0; i < n; i++)
        win[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / n);
    unsigned frames = 0;
    for (unsigned c = 0; c < s->channels; c++)
        for (size_t start = 0; start + n <= s->frames; start += n / 2) {
            for (unsigned i = 0; i < n; i++) {
                re[i] = win[i] * s->ch[c][start + i];
                im[i] = 0.0;
            }
            fft(re, im, FRAME_LOG2, cw, sw);
            for (unsigned k = 0; k < bins; k++)
                acc[k] += re[k] * re[k] + im[k] * im[k];
            frames++;
        }
    cr_assert(frames > 0, "ms_measure: shorter than one frame");
    const double dk = rate_hz / n;
    for (int i = -28; i <= 24; i++) {
        double fc = 1000.0 * pow(2.0, i / 6.0);
        double lo = fc * pow(2.0, -1.0 / 12.0), hi = fc * pow(2.0, 1.0 / 12.0);
        double sum = 0.0;
        for (unsigned k = (unsigned)floor(lo / dk); k <= (unsigned)ceil(hi / dk) + 1 && k < bins; k++) {
            double a = fmax(lo, (k - 0.5) * dk), b = fmin(hi, (k + 0.5) * dk);
            if (b > a)
                sum += acc[k] * (b - a);
        }
        out.hz[out.count] = fc;
        out.db[out.count] = 10.0 * log10(sum / (hi - lo) / frames + 1e-30);
        out.count++;
    }
    free(re);
    free(im);
    free(cw);
    free(sw);
    free(win);
    free(acc);
    return out;
}

double ms_distance(const ms_spectrum *a, const ms_spectrum *b)
{
    cr_assert_eq(a->count, b->count);
    double mean = 0.0;
    for (unsigned i = 0; i < a->count; i++)
        mean += a->db[i] - b->db[i];
    mean /= a->count;
    double d = 0.0;
    for (unsigned i = 0; i < a->count; i++)
        d += fabs(a->db[i] - b->db[i] - mean);
    return d / a->count;
}

double ms_response_db(const float *h, size_t n, double freq_hz, double rate_hz)
{
    double re = 0.0, im = 0.0, w = 2.0 * M_PI * freq_hz / rate_hz;
    for (size_t i = 0; i < n; i++) {
        re += h[i] * cos(w * (double)i);
        im -= h[i] * sin(w * (double)i);
    }
    return 10.0 * log10(re * re + im * im);
}

/* --- material ------------------------------------------------------------------ */

static double midi_hz(int m) { return 440.0 * pow(2.0, (m - 69) / 12.0); }

/* Renders a synth with spec and notes, adds it to st panned at pos (equal
 * power) with linear gain g. */
static void add_voice(gen_sig *st, double rate, const char *spec, unsigned count,
                      const double (*notes)[4], double pos, double g)
{
    md_node *n = gen_node("synth", spec);
    gen_set_notes(n, count, notes);
    gen_prepare(n, 0, rate, 4096);
    gen_sig v = gen_render(n, 4096);
    md_node_destroy(n);
    double a = (pos + 1.0) * M_PI / 4.0, gl = g * cos(a), gr = g * sin(a);
    size_t len = v.frames < st->frames ? v.frames : st->frames;
    for (size_t i = 0; i < len; i++) {
        st->ch[0][i] += (float)(gl * v.ch[0][i]);
        st->ch[1][i] += (float)(gr * v.ch[0][i]);
    }
    gen_sig_free(&v);
}

#define MAX_NOTES 4096

gen_sig ms_piece(int which, double seconds, double rate_hz)
{
    gen_sig st = gen_sig_new(2, (size_t)(seconds * rate_hz));
    static double notes[MAX_NOTES][4];
    unsigned k;
    char spec[256];
    if (which == 0) {
        /* bright: 128 BPM, C Am F G; open saw pads, square lead, hats, snare */
        static const int chords[4][3] = {{60, 64, 67}, {57, 60, 64}, {53, 57, 60}, {55, 59, 62}};
        double beat = 60.0 / 128.0, bar = 4 * beat;
        for (int layer = 0; layer < 2; layer++) {
            k = 0;
            for (double t = 0; t < seconds && k + 3 <= MAX_NOTES; t += bar)
                for (int j = 0; j < 3; j++) {
                    int c = (int)(t / bar) % 4;
                    double row[4] = {t, bar * 0.9, midi_hz(chords[c][j] + 12 * layer), 0.7};
                    memcpy(notes[k++], row, sizeof row);
                }
            snprintf(spec, sizeof spec, "wave=saw db=-20 cutoff=9000 detune=%d attack=20 "
                     "release=200 seed=%d duration=%g", layer ? -9 : 8, 3 + layer, seconds);
            add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, layer ? 0.6 : -0.6, 1.0);
        }
        k = 0;
        unsigned r = 7;
        for (double t = 0; t < seconds && k < MAX_NOTES; t += beat / 2) {
            r = r * 1103515245u + 12345u;
            static const int scale[7] = {72, 74, 76, 77, 79, 81, 84};
            double row[4] = {t, beat * 0.4, midi_hz(scale[(r >> 16) % 7]), 0.8};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=square db=-22 cutoff=7000 duration=%g", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.2, 1.0);
        k = 0;
        for (double t = 0; t < seconds && k < MAX_NOTES; t += beat / 4) {
            double row[4] = {t, 0.04, 9000, 0.9};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=hat db=-16 duration=%g seed=5", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.4, 1.0);
        k = 0;
        for (double t = beat; t < seconds && k < MAX_NOTES; t += 2 * beat) {
            double row[4] = {t, 0.2, 200, 0.9};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=snare db=-14 duration=%g seed=6", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.0, 1.0);
        k = 0;
        for (double t = 0; t < seconds && k < MAX_NOTES; t += beat) {
            int c = (int)(t / bar) % 4;
            double row[4] = {t, beat * 0.8, midi_hz(chords[c][0] - 24), 0.6};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=triangle db=-20 duration=%g", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.0, 1.0);
        k = 0;
        for (double t = 0; t < seconds && k < MAX_NOTES; t += 2 * beat) {
            double row[4] = {t, 0.2, 55, 0.8};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=kick db=-16 duration=%g", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.0, 1.0);
    } else {
        /* dark: 90 BPM, D minor; sine and triangle bass, kick, low-passed plucks */
        static const int roots[4] = {38, 34, 41, 36};
        double beat = 60.0 / 90.0, bar = 4 * beat;
        k = 0;
        for (double t = 0; t < seconds && k < MAX_NOTES; t += beat / 2) {
            int c = (int)(t / bar) % 4;
            double row[4] = {t, beat * 0.45, midi_hz(roots[c]), 0.9};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=sine db=-17 attack=5 release=60 duration=%g", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.0, 1.0);
        snprintf(spec, sizeof spec, "wave=triangle db=-18 cutoff=600 duration=%g", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.0, 1.0);
        k = 0;
        for (double t = 0; t < seconds && k < MAX_NOTES; t += beat) {
            double row[4] = {t, 0.3, 48, 1.0};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=kick db=-12 duration=%g", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, 0.0, 1.0);
        for (int side = 0; side < 2; side++) {
            k = 0;
            unsigned r = 11 + side;
            for (double t = side * beat / 4; t < seconds && k < MAX_NOTES; t += beat / 2) {
                r = r * 1103515245u + 12345u;
                static const int scale[5] = {62, 65, 67, 69, 72};
                double row[4] = {t, beat * 0.3, midi_hz(scale[(r >> 16) % 5]), 0.7};
                memcpy(notes[k++], row, sizeof row);
            }
            snprintf(spec, sizeof spec, "wave=pluck db=-16 cutoff=5000 seed=%d duration=%g",
                     8 + side, seconds);
            add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, side ? 0.5 : -0.5, 1.0);
        }
        k = 0;
        for (double t = 0; t < seconds && k + 2 <= MAX_NOTES; t += bar)
            for (int j = 0; j < 2; j++) {
                int c = (int)(t / bar) % 4;
                double row[4] = {t, bar, midi_hz(roots[c] + 24 + 7 * j), 0.5};
                memcpy(notes[k++], row, sizeof row);
            }
        snprintf(spec, sizeof spec, "wave=saw db=-24 cutoff=4000 attack=300 release=500 "
                 "detune=6 duration=%g", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, -0.3, 1.0);
        k = 0;
        for (double t = beat / 2; t < seconds && k < MAX_NOTES; t += beat) {
            double row[4] = {t, 0.03, 6000, 0.6};
            memcpy(notes[k++], row, sizeof row);
        }
        snprintf(spec, sizeof spec, "wave=hat db=-24 duration=%g seed=7", seconds);
        add_voice(&st, rate_hz, spec, k, (const double(*)[4])notes, -0.4, 1.0);
    }
    return st;
}
