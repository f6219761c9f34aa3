/* match_fir.c - linear-phase FIR from a sampled magnitude response and
 * uniformly partitioned overlap-save convolution (see match_fir.h). */
#include "match_fir.h"
#include "mixdown/md_buffer.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define PARTS_PER_HALF 8 /* K = 8 P */

static void *zalloc(size_t count, size_t size)
{
    if (count == 0 || size > SIZE_MAX / count)
        return NULL;
    return md_aligned_alloc(count * size);
}

void mfir_free(mfir *f)
{
    kiss_fftr_free(f->fwd);
    kiss_fftr_free(f->inv);
    kiss_fftr_free(f->ginv);
    md_aligned_free(f->H[0]);
    md_aligned_free(f->H[1]);
    md_aligned_free(f->fdl);
    md_aligned_free(f->win);
    md_aligned_free(f->hist);
    md_aligned_free(f->outb);
    md_aligned_free(f->acc);
    md_aligned_free(f->tb);
    md_aligned_free(f->tb2);
    md_aligned_free(f->target);
    md_aligned_free(f->gspec);
    md_aligned_free(f->gt);
    md_aligned_free(f->window);
    memset(f, 0, sizeof *f);
}

int mfir_init(mfir *f, unsigned nch, double rate_hz)
{
    memset(f, 0, sizeof *f);
    unsigned k = 256;
    while (k < rate_hz / 6.0)
        k *= 2;
    f->nch = nch;
    f->half = k;
    f->part = k / PARTS_PER_HALF;
    f->nparts = 2 * k / f->part;
    f->grid = 4 * k;
    f->rate_hz = rate_hz;
    unsigned P = f->part, Q = f->nparts, bins = f->grid / 2 + 1;
    f->fwd = kiss_fftr_alloc((int)(2 * P), 0, NULL, NULL);
    f->inv = kiss_fftr_alloc((int)(2 * P), 1, NULL, NULL);
    f->ginv = kiss_fftr_alloc((int)f->grid, 1, NULL, NULL);
    for (int s = 0; s < 2; s++)
        f->H[s] = zalloc((size_t)Q * (P + 1), sizeof(kiss_fft_cpx));
    f->fdl = zalloc((size_t)nch * Q * (P + 1), sizeof(kiss_fft_cpx));
    f->win = zalloc((size_t)nch * 2 * P, sizeof(float));
    f->hmask = 2 * k - 1; /* holds K + P frames of history */
    f->hist = zalloc((size_t)nch * 2 * k, sizeof(float));
    f->outb = zalloc((size_t)nch * P, sizeof(float));
    f->acc = zalloc(P + 1, sizeof(kiss_fft_cpx));
    f->tb = zalloc(2 * P, sizeof(float));
    f->tb2 = zalloc(2 * P, sizeof(float));
    f->target = zalloc(bins, sizeof(float));
    f->gspec = zalloc(bins, sizeof(kiss_fft_cpx));
    f->gt = zalloc(f->grid, sizeof(float));
    f->window = zalloc(k, sizeof(float));
    if (!f->fwd || !f->inv || !f->ginv || !f->H[0] || !f->H[1] || !f->fdl || !f->win ||
        !f->hist || !f->outb || !f->acc || !f->tb || !f->tb2 || !f->target || !f->gspec ||
        !f->gt || !f->window) {
        mfir_free(f);
        return -1;
    }
    for (unsigned d = 0; d < k; d++)
        f->window[d] = (float)(0.5 + 0.5 * cos(M_PI * d / k));
    f->flat[0] = f->flat[1] = 1;
    mfir_reset(f);
    return 0;
}

/* Taps of f->target into design s: zero-phase response by inverse FFT, Hann
 * window, then the spectra of the Q partitions (scaled by 1 / 2P, what the
 * unnormalized FFT pair multiplies by). */
static void design_into(mfir *f, int s)
{
    unsigned G = f->grid, K = f->half, P = f->part, bins = G / 2 + 1;
    for (unsigned b = 0; b < bins; b++) {
        f->gspec[b].r = f->target[b];
        f->gspec[b].i = 0.0f;
    }
    kiss_fftri(f->ginv, f->gspec, f->gt);
    const float gscale = 1.0f / (float)G, pscale = 1.0f / (float)(2 * P);
    for (unsigned q = 0; q < f->nparts; q++) {
        for (unsigned i = 0; i < P; i++) {
            long d = (long)(q * P + i) - (long)(K - 1); /* tap offset from the centre */
            unsigned ad = (unsigned)labs(d);
            float v = 0.0f;
            if (ad < K)
                v = f->gt[d < 0 ? G - ad : ad] * gscale * f->window[ad];
            f->tb[i] = v;
            f->tb[P + i] = 0.0f;
        }
        kiss_fft_cpx *h = f->H[s] + (size_t)q * (P + 1);
        kiss_fftr(f->fwd, f->tb, h);
        for (unsigned b = 0; b <= P; b++) {
            h[b].r *= pscale;
            h[b].i *= pscale;
        }
    }
    f->flat[s] = 0;
}

void mfir_design(mfir *f, int flat)
{
    int s = f->started ? 1 - f->cur : f->cur;
    if (flat)
        f->flat[s] = 1;
    else
        design_into(f, s);
    f->pending = f->started;
}

void mfir_reset(mfir *f)
{
    unsigned P = f->part, Q = f->nparts;
    memset(f->fdl, 0, sizeof(kiss_fft_cpx) * f->nch * Q * (P + 1));
    memset(f->win, 0, sizeof(float) * f->nch * 2 * P);
    memset(f->hist, 0, sizeof(float) * f->nch * (f->hmask + 1));
    memset(f->outb, 0, sizeof(float) * f->nch * P);
    if (f->pending)
        f->cur = 1 - f->cur; /* the newest design is the one to start with */
    f->pending = 0;
    f->started = 0;
    f->head = 0;
    f->fill = 0;
    f->pos = 0;
}

/* The output partition of design s for channel c, into y (P frames), for the
 * input partition that just completed (frames pos - P .. pos - 1). */
static void partition(mfir *f, int s, unsigned c, float *y)
{
    unsigned P = f->part, Q = f->nparts;
    if (f->flat[s]) {
        const float *h = f->hist + (size_t)c * (f->hmask + 1);
        int64_t t0 = (int64_t)f->pos - P - (f->half - 1);
        for (unsigned i = 0; i < P; i++) {
            int64_t t = t0 + i;
            y[i] = t < 0 ? 0.0f : h[(uint64_t)t & f->hmask];
        }
        return;
    }
    kiss_fft_cpx *acc = f->acc;
    memset(acc, 0, sizeof(kiss_fft_cpx) * (P + 1));
    const kiss_fft_cpx *fd = f->fdl + (size_t)c * Q * (P + 1);
    for (unsigned q = 0; q < Q; q++) {
        const kiss_fft_cpx *h = f->H[s] + (size_t)q * (P + 1);
        const kiss_fft_cpx *x = fd + (size_t)((f->head + Q - q) % Q) * (P + 1);
        for (unsigned b = 0; b <= P; b++) {
            acc[b].r += h[b].r * x[b].r - h[b].i * x[b].i;
            acc[b].i += h[b].r * x[b].i + h[b].i * x[b].r;
        }
    }
    kiss_fftri(f->inv, acc, f->tb);
    memcpy(y, f->tb + P, sizeof(float) * P); /* overlap-save: the last P are valid */
}

/* An input partition is complete: transform it and compute the next output. */
static void complete(mfir *f)
{
    unsigned P = f->part, Q = f->nparts;
    for (unsigned c = 0; c < f->nch; c++) {
        float *w = f->win + (size_t)c * 2 * P;
        kiss_fftr(f->fwd, w, f->fdl + ((size_t)c * Q + f->head) * (P + 1));
        float *ob = f->outb + (size_t)c * P;
        partition(f, f->cur, c, ob);
        if (f->pending) {
            partition(f, 1 - f->cur, c, f->tb2);
            for (unsigned i = 0; i < P; i++) {
                float r = (float)(i + 1) / (float)P;
                ob[i] += r * (f->tb2[i] - ob[i]);
            }
        }
        memcpy(w, w + P, sizeof(float) * P);
    }
    f->head = (f->head + 1) % Q;
    if (f->pending) {
        f->cur = 1 - f->cur;
        f->pending = 0;
    }
}

void mfir_run(mfir *f, const float *const *in, float *const *out, unsigned frames)
{
    unsigned P = f->part;
    for (unsigned done = 0; done < frames;) {
        unsigned n = P - f->fill;
        if (n > frames - done)
            n = frames - done;
        for (unsigned c = 0; c < f->nch; c++) {
            const float *x = in[c] + done;
            float *y = out[c] + done;
            float *w = f->win + (size_t)c * 2 * P + P + f->fill;
            float *h = f->hist + (size_t)c * (f->hmask + 1);
            const float *o = f->outb + (size_t)c * P + f->fill;
            for (unsigned i = 0; i < n; i++) {
                float v = x[i]; /* read before writing y: in may alias out */
                w[i] = v;
                h[(f->pos + i) & f->hmask] = v;
                y[i] = o[i];
            }
        }
        f->fill += n;
        f->pos += n;
        done += n;
        if (n)
            f->started = 1;
        if (f->fill == P) {
            complete(f);
            f->fill = 0;
        }
    }
}
