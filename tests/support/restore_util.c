/* restore_util.c - see restore_util.h. */
#include "restore_util.h"
#include <criterion/criterion.h>
#include <kissfft/kiss_fftr.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double hz(int midi) { return 440.0 * pow(2.0, (midi - 69) / 12.0); }

/* renders one synth voice list as a mono stem of exactly `frames` frames */
static gen_sig stem(const char *spec, double (*notes)[4], unsigned count, double rate,
                    size_t frames)
{
    md_node *n = gen_node("synth", spec);
    gen_set_notes(n, count, (const double(*)[4])notes);
    gen_prepare(n, 0, rate, 4096);
    gen_sig s = gen_render(n, 4096);
    md_node_destroy(n);
    gen_sig out = gen_sig_new(1, frames);
    memcpy(out.ch[0], s.ch[0], (s.frames < frames ? s.frames : frames) * sizeof(float));
    gen_sig_free(&s);
    return out;
}

/* adds a mono stem to a stereo mix: gain in dB, pan -1..1 (constant power) */
static void add(gen_sig *mix, const gen_sig *s, double db, double pan)
{
    double g = pow(10.0, db / 20.0), a = (pan + 1.0) * M_PI / 4.0;
    float gl = (float)(g * cos(a) * M_SQRT2), gr = (float)(g * sin(a) * M_SQRT2);
    for (size_t i = 0; i < mix->frames; i++) {
        mix->ch[0][i] += gl * s->ch[0][i];
        mix->ch[1][i] += gr * s->ch[0][i];
    }
}

gen_sig restore_song(double rate, double seconds, uint64_t seed, int drums)
{
    static const int roots[4] = {45, 41, 48, 43};
    static const int triads[4][3] = {{57, 60, 64}, {57, 60, 65}, {55, 60, 64}, {55, 59, 62}};
    static const int scale[12] = {57, 59, 60, 62, 64, 65, 67, 69, 71, 72, 74, 76};
    const double beat = 0.5, bar = 2.0;
    unsigned bars = (unsigned)ceil(seconds / bar), cap = bars * 16 + 16;
    double(*kick)[4] = calloc(cap, sizeof *kick), (*snare)[4] = calloc(cap, sizeof *snare);
    double(*hat)[4] = calloc(cap, sizeof *hat), (*bass)[4] = calloc(cap, sizeof *bass);
    double(*chords)[4] = calloc(cap, sizeof *chords), (*lead)[4] = calloc(cap, sizeof *lead);
    cr_assert(kick && snare && hat && bass && chords && lead);
    unsigned nk = 0, ns = 0, nh = 0, nb = 0, nc = 0, nl = 0;
    uint64_t st = seed * 2654435761u + 1;
    for (unsigned b = 0; b < bars; b++) {
        double t = b * bar;
        unsigned ci = b % 4;
        for (unsigned k = 0; k < 4; k++) {
            double tb = t + k * beat;
            if (tb >= seconds)
                break;
            double row_k[4] = {tb, 0.3, 50, 1.0};
            memcpy(kick[nk++], row_k, sizeof row_k);
            if (k == 1 || k == 3) {
                double row[4] = {tb, 0.2, 180, 0.9};
                memcpy(snare[ns++], row, sizeof row);
            }
            double r1[4] = {tb, beat / 2 * 0.9, hz(roots[ci]), 0.9};
            double r2[4] = {tb + beat / 2, beat / 2 * 0.9, hz(roots[ci] + (k == 3 ? 12 : 0)), 0.7};
            memcpy(bass[nb++], r1, sizeof r1);
            memcpy(bass[nb++], r2, sizeof r2);
            for (unsigned h = 0; h < 2; h++) {
                double row[4] = {tb + h * beat / 2, 0.05, 8000, h == 0 ? 0.7 : 0.45};
                memcpy(hat[nh++], row, sizeof row);
            }
            /* lead: eighths from a seeded generator, some rests */
            for (unsigned h = 0; h < 2; h++) {
                st = st * 6364136223846793005u + 1442695040888963407u;
                unsigned r = (unsigned)(st >> 33);
                if (r % 5 == 0)
                    continue;
                double row[4] = {tb + h * beat / 2, beat / 2 * 0.85, hz(scale[r % 12] + 12),
                                 0.6 + (r % 4) / 10.0};
                memcpy(lead[nl++], row, sizeof row);
            }
        }
        for (unsigned m = 0; m < 3; m++) {
            double row[4] = {t, bar * 0.95, hz(triads[ci][m]), 0.5};
            memcpy(chords[nc++], row, sizeof row);
        }
    }
    size_t frames = (size_t)llround(seconds * rate);
    char spec[200];
    gen_sig mix = gen_sig_new(2, frames);
    gen_sig s;
    if (!drums)
        nk = ns = nh = 0;
    snprintf(spec, sizeof spec, "wave=kick db=-6 duration=%g", seconds);
    s = stem(spec, kick, nk, rate, frames), add(&mix, &s, -2, 0), gen_sig_free(&s);
    snprintf(spec, sizeof spec, "wave=snare db=-13 duration=%g seed=%u", seconds,
             (unsigned)seed);
    s = stem(spec, snare, ns, rate, frames), add(&mix, &s, -2, 0.05), gen_sig_free(&s);
    snprintf(spec, sizeof spec, "wave=hat db=-20 duration=%g seed=%u", seconds,
             (unsigned)seed + 1);
    s = stem(spec, hat, nh, rate, frames), add(&mix, &s, -2, 0.3), gen_sig_free(&s);
    snprintf(spec, sizeof spec,
             "wave=saw db=-7 cutoff=900 attack=3 decay=120 sustain=0.6 release=40 duration=%g",
             seconds);
    s = stem(spec, bass, nb, rate, frames), add(&mix, &s, -1, 0), gen_sig_free(&s);
    snprintf(spec, sizeof spec,
             "wave=saw db=-13 cutoff=2500 detune=7 attack=80 decay=400 sustain=0.7 "
             "release=300 duration=%g seed=%u",
             seconds, (unsigned)seed + 2);
    s = stem(spec, chords, nc, rate, frames), add(&mix, &s, -3, -0.7), gen_sig_free(&s);
    snprintf(spec, sizeof spec,
             "wave=saw db=-13 cutoff=2500 detune=-11 attack=80 decay=400 sustain=0.7 "
             "release=300 duration=%g seed=%u",
             seconds, (unsigned)seed + 3);
    s = stem(spec, chords, nc, rate, frames), add(&mix, &s, -3, 0.7), gen_sig_free(&s);
    snprintf(spec, sizeof spec,
             "wave=square db=-15 cutoff=4000 attack=5 decay=150 sustain=0.5 release=120 "
             "duration=%g",
             seconds);
    s = stem(spec, lead, nl, rate, frames), add(&mix, &s, -2, -0.2), gen_sig_free(&s);
    free(kick), free(snare), free(hat), free(bass), free(chords), free(lead);
    return mix;
}

static double xs_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((*s * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(uint64_t *s)
{
    double u = xs_uniform(s), v = xs_uniform(s);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

static void scale_to(float *x, size_t n, double rms)
{
    double e = restore_energy(x, n), g = e > 0 ? rms / sqrt(e / n) : 0.0;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] * g);
}

void restore_white(float *x, size_t n, double rms, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gauss(&s);
    scale_to(x, n, rms);
}

void restore_pink(float *x, size_t n, double rms, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 11;
    double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
    for (size_t i = 0; i < n + 4096; i++) {
        double w = gauss(&s);
        b0 = 0.99886 * b0 + w * 0.0555179;
        b1 = 0.99332 * b1 + w * 0.0750759;
        b2 = 0.96900 * b2 + w * 0.1538520;
        b3 = 0.86650 * b3 + w * 0.3104856;
        b4 = 0.55000 * b4 + w * 0.5329522;
        b5 = -0.7616 * b5 - w * 0.0168980;
        double pink = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
        b6 = w * 0.115926;
        if (i >= 4096) /* past the filter's start-up */
            x[i - 4096] = (float)pink;
    }
    scale_to(x, n, rms);
}

double restore_energy(const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e;
}

gen_sig restore_run(md_node *n, const gen_sig *in, unsigned block, size_t extra)
{
    gen_sig src = gen_sig_new(in->channels, in->frames + extra);
    for (unsigned c = 0; c < in->channels; c++)
        memcpy(src.ch[c], in->ch[c], in->frames * sizeof(float));
    gen_sig out = gen_sig_new(md_node_out(n)->channels, src.frames);
    gen_process(n, &src, &out, block);
    gen_sig_free(&src);
    return out;
}

void restore_third_octaves(const gen_sig *x, size_t xoff, const gen_sig *y, size_t yoff,
                           size_t len, double rate, restore_bands *b)
{
    enum { N = 16384 };
    memset(b, 0, sizeof *b);
    kiss_fftr_cfg cfg = kiss_fftr_alloc(N, 0, NULL, NULL);
    float *w = malloc(N * sizeof(float)), *fx = malloc(N * sizeof(float)),
          *fy = malloc(N * sizeof(float));
    kiss_fft_cpx *X = malloc((N / 2 + 1) * sizeof(kiss_fft_cpx)),
                 *Y = malloc((N / 2 + 1) * sizeof(kiss_fft_cpx));
    double *pxx = calloc(N / 2 + 1, sizeof(double)), *pyy = calloc(N / 2 + 1, sizeof(double)),
           *pxy = calloc(N / 2 + 1, sizeof(double));
    cr_assert(cfg && w && fx && fy && X && Y && pxx && pyy && pxy);
    for (unsigned i = 0; i < N; i++)
        w[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / N));
    for (unsigned c = 0; c < x->channels; c++)
        for (size_t pos = 0; pos + N <= len; pos += N / 2) {
            for (unsigned i = 0; i < N; i++) {
                fx[i] = x->ch[c][xoff + pos + i] * w[i];
                fy[i] = y->ch[c][yoff + pos + i] * w[i];
            }
            kiss_fftr(cfg, fx, X);
            kiss_fftr(cfg, fy, Y);
            for (unsigned k = 0; k <= N / 2; k++) {
                pxx[k] += (double)X[k].r * X[k].r + (double)X[k].i * X[k].i;
                pyy[k] += (double)Y[k].r * Y[k].r + (double)Y[k].i * Y[k].i;
                pxy[k] += (double)X[k].r * Y[k].r + (double)X[k].i * Y[k].i;
            }
        }
    for (int i = 0; i < RESTORE_BANDS; i++) {
        double fc = 1000.0 * pow(10.0, (i - 17) / 10.0);
        double lo = fc * pow(10.0, -0.05), hi = fc * pow(10.0, 0.05);
        b->centre[i] = fc;
        for (unsigned k = 0; k <= N / 2; k++) {
            double f = k * rate / N;
            if (f >= lo && f < hi) {
                b->xx[i] += pxx[k];
                b->yy[i] += pyy[k];
                b->xy[i] += pxy[k];
            }
        }
    }
    kiss_fftr_free(cfg);
    free(w), free(fx), free(fy), free(X), free(Y), free(pxx), free(pyy), free(pxy);
}

double restore_oracle_db(const gen_sig *song, const gen_sig *noise, size_t noise_off,
                         unsigned n, size_t from, size_t len)
{
    const unsigned hop = n / 4, bins = n / 2 + 1;
    kiss_fftr_cfg fwd = kiss_fftr_alloc((int)n, 0, NULL, NULL);
    kiss_fftr_cfg inv = kiss_fftr_alloc((int)n, 1, NULL, NULL);
    float *w = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)),
          *b = malloc(n * sizeof(float)), *y = calloc(song->frames + n, sizeof(float));
    kiss_fft_cpx *S = malloc(bins * sizeof(kiss_fft_cpx)), *N = malloc(bins * sizeof(kiss_fft_cpx));
    cr_assert(fwd && inv && w && a && b && y && S && N);
    for (unsigned i = 0; i < n; i++)
        w[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / n));
    const double norm = 1.0 / ((double)n * 1.5);
    double es = 0, en = 0, ee = 0;
    for (unsigned c = 0; c < song->channels; c++) {
        memset(y, 0, (song->frames + n) * sizeof(float));
        for (size_t start = 0; start + n <= song->frames; start += hop) {
            for (unsigned i = 0; i < n; i++) {
                a[i] = song->ch[c][start + i] * w[i];
                b[i] = noise->ch[c][noise_off + start + i] * w[i];
            }
            kiss_fftr(fwd, a, S);
            kiss_fftr(fwd, b, N);
            for (unsigned k = 0; k < bins; k++) {
                double ps = (double)S[k].r * S[k].r + (double)S[k].i * S[k].i;
                double pn = (double)N[k].r * N[k].r + (double)N[k].i * N[k].i;
                double g = ps + pn > 0 ? ps / (ps + pn) : 1.0;
                S[k].r = (float)(g * (S[k].r + N[k].r));
                S[k].i = (float)(g * (S[k].i + N[k].i));
            }
            kiss_fftri(inv, S, a);
            for (unsigned i = 0; i < n; i++)
                y[start + i] += (float)(a[i] * w[i] * norm);
        }
        for (size_t i = from; i < from + len; i++) {
            double s = song->ch[c][i], nz = noise->ch[c][noise_off + i], e = y[i] - s;
            es += s * s, en += nz * nz, ee += e * e;
        }
    }
    kiss_fftr_free(fwd), kiss_fftr_free(inv);
    free(w), free(a), free(b), free(y), free(S), free(N);
    return 10.0 * log10(en / ee);
}
