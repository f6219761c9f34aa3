/* space_firbank.c - linear-phase crossover bank: zero-phase LR4 magnitudes as
 * FIR low-passes, run by uniformly partitioned overlap-save convolution
 * (see space_xover.h). */
#include <math.h>
#include <string.h>
#include "mixdown/md_buffer.h"
#include "space_xover.h"

/* Partition length: about 1024 frames at 44.1 kHz (23 ms), rounded up so
 * that the 2 P real FFT is a fast kissfft size. */
static unsigned part_frames(double rate_hz)
{
    int target = (int)ceil(1024.0 * rate_hz / 44100.0);
    if (target < 32)
        target = 32;
    return (unsigned)kiss_fftr_next_fast_size_real(2 * target) / 2;
}

static unsigned pow2_at_least(unsigned v)
{
    unsigned p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

int sx_fir_init(sx_fir *b, unsigned nch, double rate_hz)
{
    memset(b, 0, sizeof *b);
    b->nch = nch;
    b->rate_hz = rate_hz;
    b->part = part_frames(rate_hz);
    b->half = 2 * b->part - 1; /* N = 4 P - 1: four partitions, the last one full */
    b->taps = 2 * b->half + 1;
    b->nparts = (b->taps + b->part - 1) / b->part;
    b->grid = pow2_at_least(4 * b->taps);
    b->hlen = pow2_at_least(b->half + b->part + 1);
    size_t P = b->part, Q = b->nparts, bins = P + 1;
    size_t tb = 2 * P > b->grid ? 2 * P : b->grid;
    size_t accn = bins > b->grid / 2 + 1 ? bins : b->grid / 2 + 1;
    b->fwd = kiss_fftr_alloc((int)(2 * P), 0, NULL, NULL);
    b->inv = kiss_fftr_alloc((int)(2 * P), 1, NULL, NULL);
    b->design = kiss_fftr_alloc((int)b->grid, 1, NULL, NULL);
    b->H = md_aligned_alloc(sizeof(kiss_fft_cpx) * SX_MAX_XOVERS * Q * bins);
    b->fdl = md_aligned_alloc(sizeof(kiss_fft_cpx) * nch * Q * bins);
    b->acc = md_aligned_alloc(sizeof(kiss_fft_cpx) * accn);
    b->tbuf = md_aligned_alloc(sizeof(float) * tb);
    b->win = md_aligned_alloc(sizeof(float) * nch * 2 * P);
    b->hist = md_aligned_alloc(sizeof(float) * nch * b->hlen);
    b->outb = md_aligned_alloc(sizeof(float) * nch * SX_MAX_BANDS * P);
    if (!b->fwd || !b->inv || !b->design || !b->H || !b->fdl || !b->acc || !b->tbuf || !b->win ||
        !b->hist || !b->outb) {
        sx_fir_free(b);
        return -1;
    }
    return 0;
}

void sx_fir_free(sx_fir *b)
{
    kiss_fftr_free(b->fwd);
    kiss_fftr_free(b->inv);
    kiss_fftr_free(b->design);
    md_aligned_free(b->H);
    md_aligned_free(b->fdl);
    md_aligned_free(b->acc);
    md_aligned_free(b->tbuf);
    md_aligned_free(b->win);
    md_aligned_free(b->hist);
    md_aligned_free(b->outb);
    memset(b, 0, sizeof *b);
}

void sx_fir_reset(sx_fir *b)
{
    size_t P = b->part;
    memset(b->fdl, 0, sizeof(kiss_fft_cpx) * b->nch * b->nparts * (P + 1));
    memset(b->win, 0, sizeof(float) * b->nch * 2 * P);
    memset(b->hist, 0, sizeof(float) * b->nch * b->hlen);
    memset(b->outb, 0, sizeof(float) * b->nch * SX_MAX_BANDS * P);
    b->hpos = b->fill = b->slot = 0;
}

/* Designs low-pass k at fc into b->H (its Q partitions' spectra). */
static void design_lowpass(sx_fir *b, unsigned k, double fc)
{
    const unsigned G = b->grid, D = b->half, P = b->part, Q = b->nparts;
    kiss_fft_cpx *spec = b->acc;
    float *t = b->tbuf;
    /* zero-phase LR4 magnitude on the grid; the inverse gives the circular,
     * even impulse response (times G) */
    for (unsigned m = 0; m <= G / 2; m++) {
        double r = m * b->rate_hz / G / fc;
        r *= r;
        spec[m].r = (float)(1.0 / (1.0 + r * r));
        spec[m].i = 0.0f;
    }
    kiss_fftri(b->design, spec, t);
    /* taps h[i] = IR(i - D) x Blackman window, normalised to unity at DC;
     * stored in double first (in spec, reused as scratch) */
    double *h = (double *)(void *)b->acc; /* (G/2 + 1) complex floats >= N doubles */
    double sum = 0.0;
    for (unsigned i = 0; i < b->taps; i++) {
        int n = (int)i - (int)D;
        double v = t[(unsigned)(n + (int)G) % G] / (double)G;
        double a = M_PI * n / (D + 1.0);
        v *= 0.42 + 0.5 * cos(a) + 0.08 * cos(2.0 * a);
        h[i] = v;
        sum += v;
    }
    /* partitions: taps [qP, qP + P) zero-padded to 2 P, transformed; the
     * 1 / (2 P) of kissfft's unnormalised inverse folded in */
    double scale = 1.0 / (sum * 2.0 * P);
    for (unsigned q = 0; q < Q; q++) {
        for (unsigned i = 0; i < 2 * P; i++) {
            unsigned j = q * P + i;
            t[i] = (i < P && j < b->taps) ? (float)(h[j] * scale) : 0.0f;
        }
        kiss_fftr(b->fwd, t, b->H + ((size_t)k * Q + q) * (P + 1));
    }
}

void sx_fir_set(sx_fir *b, unsigned nx, const double *freq_hz)
{
    b->nx = nx;
    for (unsigned k = 0; k < nx; k++)
        design_lowpass(b, k, freq_hz[k]);
}

/* One full block of P input frames is in win: convolve, and turn the
 * low-pass outputs into bands in outb. */
static void run_block(sx_fir *b)
{
    const unsigned P = b->part, Q = b->nparts, bins = P + 1, nx = b->nx;
    for (unsigned c = 0; c < b->nch; c++) {
        float *w = b->win + (size_t)c * 2 * P;
        kiss_fft_cpx *fdl = b->fdl + (size_t)c * Q * bins;
        kiss_fftr(b->fwd, w, fdl + (size_t)b->slot * bins);
        float *ob = b->outb + (size_t)c * SX_MAX_BANDS * P;
        for (unsigned k = 0; k < nx; k++) {
            kiss_fft_cpx *acc = b->acc;
            memset(acc, 0, sizeof *acc * bins);
            for (unsigned q = 0; q < Q; q++) {
                const kiss_fft_cpx *X = fdl + (size_t)((b->slot + Q - q) % Q) * bins;
                const kiss_fft_cpx *H = b->H + ((size_t)k * Q + q) * bins;
                for (unsigned m = 0; m < bins; m++) {
                    acc[m].r += X[m].r * H[m].r - X[m].i * H[m].i;
                    acc[m].i += X[m].r * H[m].i + X[m].i * H[m].r;
                }
            }
            kiss_fftri(b->inv, acc, b->tbuf);
            memcpy(ob + (size_t)k * P, b->tbuf + P, sizeof(float) * P); /* overlap-save */
        }
        /* the input delayed by D, for the top band; the block's first frame
         * was written at hpos - P */
        const float *hist = b->hist + (size_t)c * b->hlen;
        float *top = ob + (size_t)nx * P;
        const float *low = ob + (size_t)(nx - 1) * P;
        unsigned mask = b->hlen - 1, start = b->hpos + b->hlen - P - b->half;
        for (unsigned i = 0; i < P; i++)
            top[i] = hist[(start + i) & mask] - low[i];
        for (unsigned k = nx - 1; k > 0; k--) {
            float *hi = ob + (size_t)k * P;
            const float *lo = ob + (size_t)(k - 1) * P;
            for (unsigned i = 0; i < P; i++)
                hi[i] -= lo[i];
        }
        memcpy(w, w + P, sizeof(float) * P);
    }
    b->slot = (b->slot + 1) % Q;
}

void sx_fir_run(sx_fir *b, const float *const *x, float *const *const *bands, unsigned n)
{
    const unsigned P = b->part, mask = b->hlen - 1;
    unsigned done = 0;
    while (done < n) {
        unsigned chunk = P - b->fill;
        if (chunk > n - done)
            chunk = n - done;
        for (unsigned c = 0; c < b->nch; c++) {
            const float *ob = b->outb + (size_t)c * SX_MAX_BANDS * P + b->fill;
            float *w = b->win + (size_t)c * 2 * P + P + b->fill;
            float *hist = b->hist + (size_t)c * b->hlen;
            const float *xc = x[c] + done;
            memcpy(w, xc, sizeof(float) * chunk);
            for (unsigned i = 0; i < chunk; i++)
                hist[(b->hpos + i) & mask] = xc[i];
            for (unsigned k = 0; k <= b->nx; k++)
                memcpy(bands[k][c] + done, ob + (size_t)k * P, sizeof(float) * chunk);
        }
        b->hpos = (b->hpos + chunk) & mask;
        b->fill += chunk;
        done += chunk;
        if (b->fill == P) {
            run_block(b);
            b->fill = 0;
        }
    }
}
