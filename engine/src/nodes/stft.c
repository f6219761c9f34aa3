/* stft.c - streaming STFT with weighted overlap-add (stft.h). */
#include "stft.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void mdi_stft_free(mdi_stft *s)
{
    if (s->fwd)
        kiss_fftr_free(s->fwd);
    if (s->inv)
        kiss_fftr_free(s->inv);
    free(s->mem);
    memset(s, 0, sizeof *s);
}

/* carves an aligned piece of `bytes` out of *p */
static void *take(unsigned char **p, size_t bytes)
{
    void *r = *p;
    *p += (bytes + 63) & ~(size_t)63;
    return r;
}

int mdi_stft_init(mdi_stft *s, unsigned n, unsigned hop, unsigned channels)
{
    memset(s, 0, sizeof *s);
    if (n < 16 || n > (1u << 20) || (n & (n - 1)) || hop == 0 || (hop & (hop - 1)) ||
        n / hop < 4 || channels == 0 || channels > 64)
        return -1;
    s->n = n;
    s->hop = hop;
    s->bins = n / 2 + 1;
    s->channels = channels;
    size_t pad = 64;
    size_t bytes = 3 * (n * sizeof(float) + pad) +
                   channels * (2 * (n * sizeof(float) + pad) + hop * sizeof(float) + pad +
                               s->bins * sizeof(kiss_fft_cpx) + pad) +
                   4 * (channels * sizeof(void *) + pad) + pad;
    s->mem = calloc(1, bytes);
    s->fwd = kiss_fftr_alloc((int)n, 0, NULL, NULL);
    s->inv = kiss_fftr_alloc((int)n, 1, NULL, NULL);
    if (!s->mem || !s->fwd || !s->inv) {
        mdi_stft_free(s);
        return -1;
    }
    unsigned char *p = (unsigned char *)(((uintptr_t)s->mem + 63) & ~(uintptr_t)63);
    s->win = take(&p, n * sizeof(float));
    s->swin = take(&p, n * sizeof(float));
    s->frame = take(&p, n * sizeof(float));
    s->in = take(&p, channels * sizeof(void *));
    s->acc = take(&p, channels * sizeof(void *));
    s->ready = take(&p, channels * sizeof(void *));
    s->spec = take(&p, channels * sizeof(void *));
    for (unsigned c = 0; c < channels; c++) {
        s->in[c] = take(&p, n * sizeof(float));
        s->acc[c] = take(&p, n * sizeof(float));
        s->ready[c] = take(&p, hop * sizeof(float));
        s->spec[c] = take(&p, s->bins * sizeof(kiss_fft_cpx));
    }
    /* periodic Hann; sum over overlapping frames of hann^2 = (3/8) (n / hop),
     * and kissfft's inverse is unnormalised (a factor n) */
    double norm = 1.0 / ((double)n * 0.375 * (double)(n / hop));
    for (unsigned i = 0; i < n; i++) {
        double w = 0.5 - 0.5 * cos(2.0 * M_PI * i / n);
        s->win[i] = (float)w;
        s->swin[i] = (float)(w * norm);
    }
    return 0;
}

void mdi_stft_reset(mdi_stft *s)
{
    s->pos = 0;
    for (unsigned c = 0; c < s->channels; c++) {
        memset(s->in[c], 0, s->n * sizeof(float));
        memset(s->acc[c], 0, s->n * sizeof(float));
        memset(s->ready[c], 0, s->hop * sizeof(float));
    }
}

void mdi_stft_analyse(mdi_stft *s, const float *x, kiss_fft_cpx *spec)
{
    float *restrict f = s->frame;
    const float *restrict w = s->win;
    for (unsigned i = 0; i < s->n; i++)
        f[i] = x[i] * w[i];
    kiss_fftr(s->fwd, f, spec);
}

static void one_frame(mdi_stft *s, mdi_stft_fn fn, void *user)
{
    const unsigned n = s->n, hop = s->hop;
    for (unsigned c = 0; c < s->channels; c++)
        mdi_stft_analyse(s, s->in[c], s->spec[c]);
    if (fn)
        fn(user, s->spec, s->channels, s->bins);
    for (unsigned c = 0; c < s->channels; c++) {
        float *restrict f = s->frame;
        float *restrict a = s->acc[c];
        const float *restrict w = s->swin;
        kiss_fftri(s->inv, s->spec[c], f);
        for (unsigned i = 0; i < n; i++)
            a[i] += f[i] * w[i];
        memcpy(s->ready[c], a, hop * sizeof(float));
        memmove(a, a + hop, (n - hop) * sizeof(float));
        memset(a + n - hop, 0, hop * sizeof(float));
        memmove(s->in[c], s->in[c] + hop, (n - hop) * sizeof(float));
    }
}

void mdi_stft_run(mdi_stft *s, const float *const *in, float *const *out, unsigned frames,
                  mdi_stft_fn fn, void *user)
{
    unsigned done = 0;
    while (done < frames) {
        unsigned k = s->hop - s->pos;
        if (k > frames - done)
            k = frames - done;
        for (unsigned c = 0; c < s->channels; c++) {
            /* in may alias out: take the input before writing the output */
            memcpy(s->in[c] + s->n - s->hop + s->pos, in[c] + done, k * sizeof(float));
            memcpy(out[c] + done, s->ready[c] + s->pos, k * sizeof(float));
        }
        s->pos += k;
        done += k;
        if (s->pos == s->hop) {
            one_frame(s, fn, user);
            s->pos = 0;
        }
    }
}
