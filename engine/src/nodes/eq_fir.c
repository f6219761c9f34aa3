/* eq_fir.c - linear-phase eq: FIR design from the biquads' |H| and uniformly
 * partitioned overlap-save convolution (see eq_fir.h). */
#include <math.h>
#include <string.h>
#include "eq_dynamic.h"
#include "eq_fir.h"
#include "mixdown/md_buffer.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define PARTS_PER_HALF 16   /* K = 16 P */
#define CHECK_DB 0.05       /* a length is good enough when within this of |H| */
#define CHECK_FLOOR 0.01    /* ... where |H| is above -40 dB */
#define CHECK_LO_HZ 20.0
#define CHECK_HI_HZ 20000.0

/* |H(e^jw)| of one biquad from cos w:
 * |B|^2 = b0^2 + b1^2 + b2^2 + 2 (b0 b1 + b1 b2) cos w + 2 b0 b2 cos 2w,
 * |A|^2 likewise with a0 = 1. */
static double mag(const mdi_bq_coef *c, double cw)
{
    double c2w = 2.0 * cw * cw - 1.0;
    double num = c->b0 * c->b0 + c->b1 * c->b1 + c->b2 * c->b2 +
                 2.0 * (c->b0 * c->b1 + c->b1 * c->b2) * cw + 2.0 * c->b0 * c->b2 * c2w;
    double den = 1.0 + c->a1 * c->a1 + c->a2 * c->a2 + 2.0 * (c->a1 + c->a1 * c->a2) * cw +
                 2.0 * c->a2 * c2w;
    return num > 0.0 && den > 0.0 ? sqrt(num / den) : 0.0;
}

/* Zero-phase responses of the bands on the grid: f->target, one row per filter
 * (2 x 2: row 2 o + i takes input i to output o). */
static void targets(eqf *f, const eqf_band *b, unsigned nb)
{
    unsigned bins = f->grid / 2 + 1;
    for (unsigned k = 0; k < bins; k++) {
        double cw = f->cw[k];
        if (f->nfilt == 1) {
            double t = 1.0;
            for (unsigned i = 0; i < nb; i++)
                if (b[i].ch == EQD_ALL)
                    t *= mag(&b[i].c, cw);
            f->target[k] = (float)t;
            continue;
        }
        double m[2][2] = {{1.0, 0.0}, {0.0, 1.0}};
        for (unsigned i = 0; i < nb; i++) {
            double h = mag(&b[i].c, cw);
            switch (b[i].ch) {
            case EQD_ALL:
                for (int r = 0; r < 2; r++)
                    m[r][0] *= h, m[r][1] *= h;
                break;
            case EQD_LEFT:
            case EQD_RIGHT: {
                int r = b[i].ch == EQD_RIGHT;
                m[r][0] *= h;
                m[r][1] *= h;
                break;
            }
            default: { /* L' = a L + d R, R' = d L + a R: T^-1 diag(hm, hs) T */
                double hm = b[i].ch == EQD_MID ? h : 1.0, hs = b[i].ch == EQD_SIDE ? h : 1.0;
                double a = 0.5 * (hm + hs), d = 0.5 * (hm - hs);
                for (int col = 0; col < 2; col++) {
                    double l = m[0][col], r = m[1][col];
                    m[0][col] = a * l + d * r;
                    m[1][col] = d * l + a * r;
                }
                break;
            }
            }
        }
        for (unsigned r = 0; r < 4; r++)
            f->target[(size_t)r * bins + k] = (float)m[r / 2][r % 2];
    }
}

/* Windowed taps of filter row from its target (f->taps, 2 K, centred on K). */
static void make_taps(eqf *f, unsigned row)
{
    unsigned G = f->grid, bins = G / 2 + 1, K = f->half;
    const float *t = f->target + (size_t)row * bins;
    for (unsigned k = 0; k < bins; k++)
        f->gspec[k] = (kiss_fft_cpx){t[k] / (float)G, 0.0f};
    kiss_fftri(f->ginv, f->gspec, f->gt);
    /* the response is even: average the two halves so the taps are exactly
     * symmetric whatever the FFT's rounding */
    f->taps[0] = 0.0f;
    f->taps[K] = f->window[0] * f->gt[0];
    for (unsigned n = 1; n < K; n++) {
        float v = f->window[n] * 0.5f * (f->gt[n] + f->gt[G - n]);
        f->taps[K + n] = v;
        f->taps[K - n] = v;
    }
}

/* Largest deviation of the taps' response from row's target, as a ratio
 * (1 + err = 10^(dB/20)), over the checked range. */
static double taps_error(eqf *f, unsigned row)
{
    unsigned G = f->grid, bins = G / 2 + 1, K = f->half;
    const float *t = f->target + (size_t)row * bins;
    memset(f->gt, 0, sizeof(float) * G);
    for (unsigned m = 1; m < 2 * K; m++) /* tap K at time 0: zero phase */
        f->gt[(m + G - K) % G] = f->taps[m];
    kiss_fftr(f->gfwd, f->gt, f->gspec);
    double hi = fmin(CHECK_HI_HZ, 0.45 * f->rate_hz), worst = 0.0;
    unsigned k0 = (unsigned)ceil(CHECK_LO_HZ * G / f->rate_hz);
    unsigned k1 = (unsigned)(hi * G / f->rate_hz);
    for (unsigned k = k0; k <= k1 && k < bins; k++) {
        double want = t[k], got = f->gspec[k].r;
        double e = fabs(got - want) / fmax(fabs(want), CHECK_FLOOR);
        if (e > worst)
            worst = e;
    }
    return worst;
}

/* Designs the bands into set s; *err (if not NULL) gets the largest error. */
static void design_set(eqf *f, int s, const eqf_band *b, unsigned nb, double *err)
{
    unsigned G = f->grid, bins = G / 2 + 1, P = f->part, Q = f->nparts;
    const float scale = 1.0f / (float)(2 * P); /* kissfft's inverse is unscaled */
    targets(f, b, nb);
    if (err)
        *err = 0.0;
    for (unsigned r = 0; r < f->nfilt; r++) {
        const float *t = f->target + (size_t)r * bins;
        int nonzero = 0;
        for (unsigned k = 0; k < bins && !nonzero; k++)
            nonzero = t[k] != 0.0f;
        f->nz[s][r] = (unsigned char)nonzero;
        if (!nonzero)
            continue;
        make_taps(f, r);
        kiss_fft_cpx *H = f->H[s] + (size_t)r * Q * (P + 1);
        for (unsigned q = 0; q < Q; q++) {
            for (unsigned i = 0; i < P; i++)
                f->tb[i] = f->taps[q * P + i] * scale;
            memset(f->tb + P, 0, sizeof(float) * P);
            kiss_fftr(f->fwd, f->tb, H + (size_t)q * (P + 1));
        }
        if (err) {
            double e = taps_error(f, r);
            if (e > *err)
                *err = e;
        }
    }
    unsigned n = nb < EQF_MAX_BANDS ? nb : EQF_MAX_BANDS;
    for (unsigned i = 0; i < n; i++)
        f->last[i] = b[i];
    f->nlast = n;
}

void eqf_free(eqf *f)
{
    kiss_fftr_free(f->fwd);
    kiss_fftr_free(f->inv);
    kiss_fftr_free(f->gfwd);
    kiss_fftr_free(f->ginv);
    md_aligned_free(f->H[0]);
    md_aligned_free(f->H[1]);
    md_aligned_free(f->fdl);
    md_aligned_free(f->win);
    md_aligned_free(f->outb);
    md_aligned_free(f->acc);
    md_aligned_free(f->tb);
    md_aligned_free(f->tb2);
    md_aligned_free(f->cw);
    md_aligned_free(f->target);
    md_aligned_free(f->gt);
    md_aligned_free(f->gspec);
    md_aligned_free(f->taps);
    md_aligned_free(f->window);
    memset(f, 0, sizeof *f);
}

/* Allocates for partitions of P frames. */
static int alloc_for(eqf *f, unsigned nch, unsigned nfilt, unsigned P, double rate_hz)
{
    memset(f, 0, sizeof *f);
    f->nch = nch;
    f->nfilt = nfilt;
    f->part = P;
    f->half = PARTS_PER_HALF * P;
    f->nparts = 2 * PARTS_PER_HALF;
    f->grid = 4 * f->half;
    f->rate_hz = rate_hz;
    size_t Q = f->nparts, bins = P + 1, G = f->grid, gb = G / 2 + 1, K = f->half;
    f->fwd = kiss_fftr_alloc((int)(2 * P), 0, NULL, NULL);
    f->inv = kiss_fftr_alloc((int)(2 * P), 1, NULL, NULL);
    f->gfwd = kiss_fftr_alloc((int)G, 0, NULL, NULL);
    f->ginv = kiss_fftr_alloc((int)G, 1, NULL, NULL);
    for (int s = 0; s < 2; s++)
        f->H[s] = md_aligned_alloc(sizeof(kiss_fft_cpx) * nfilt * Q * bins);
    f->fdl = md_aligned_alloc(sizeof(kiss_fft_cpx) * nch * Q * bins);
    f->win = md_aligned_alloc(sizeof(float) * nch * 2 * P);
    f->outb = md_aligned_alloc(sizeof(float) * nch * P);
    f->acc = md_aligned_alloc(sizeof(kiss_fft_cpx) * bins);
    f->tb = md_aligned_alloc(sizeof(float) * 2 * P);
    f->tb2 = md_aligned_alloc(sizeof(float) * 2 * P);
    f->cw = md_aligned_alloc(sizeof(double) * gb);
    f->target = md_aligned_alloc(sizeof(float) * nfilt * gb);
    f->gt = md_aligned_alloc(sizeof(float) * G);
    f->gspec = md_aligned_alloc(sizeof(kiss_fft_cpx) * gb);
    f->taps = md_aligned_alloc(sizeof(float) * 2 * K);
    f->window = md_aligned_alloc(sizeof(float) * K);
    if (!f->fwd || !f->inv || !f->gfwd || !f->ginv || !f->H[0] || !f->H[1] || !f->fdl ||
        !f->win || !f->outb || !f->acc || !f->tb || !f->tb2 || !f->cw || !f->target ||
        !f->gt || !f->gspec || !f->taps || !f->window) {
        eqf_free(f);
        return -1;
    }
    for (size_t k = 0; k < gb; k++)
        f->cw[k] = cos(2.0 * M_PI * (double)k / (double)G);
    /* 4-term Blackman-Harris of period 2 K, centred: w(0) = 1 */
    static const double a[4] = {0.35875, 0.48829, 0.14128, 0.01168};
    for (size_t n = 0; n < K; n++) {
        double x = M_PI * (double)n / (double)K;
        f->window[n] = (float)(a[0] + a[1] * cos(x) + a[2] * cos(2.0 * x) + a[3] * cos(3.0 * x));
    }
    return 0;
}

int eqf_init(eqf *f, unsigned nch, int matrix, double rate_hz, const eqf_band *b, unsigned nb)
{
    unsigned nfilt = matrix ? 4 : 1;
    int e2 = (int)lround(log2(256.0 * rate_hz / 44100.0));
    unsigned p0 = 1u << (e2 < 5 ? 5 : e2); /* 256 at 44.1 and 48 kHz, at least 32 */
    const double good = pow(10.0, CHECK_DB / 20.0) - 1.0;
    for (unsigned P = p0; P <= 4 * p0; P *= 2) {
        if (alloc_for(f, nch, nfilt, P, rate_hz) != 0)
            return -1;
        double err;
        design_set(f, 0, b, nb, &err);
        if (err <= good || P == 4 * p0)
            break;
        eqf_free(f);
    }
    f->cur = 0;
    f->pending = 0;
    eqf_reset(f);
    return 0;
}

static int same_bands(const eqf_band *a, const eqf_band *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (a[i].ch != b[i].ch || a[i].c.b0 != b[i].c.b0 || a[i].c.b1 != b[i].c.b1 ||
            a[i].c.b2 != b[i].c.b2 || a[i].c.a1 != b[i].c.a1 || a[i].c.a2 != b[i].c.a2)
            return 0;
    return 1;
}

void eqf_design(eqf *f, const eqf_band *b, unsigned nb)
{
    if (nb > EQF_MAX_BANDS)
        nb = EQF_MAX_BANDS;
    if (nb == f->nlast && same_bands(b, f->last, nb))
        return;
    design_set(f, f->cur ^ 1, b, nb, NULL);
    if (f->started) {
        f->pending = 1;
    } else {
        f->cur ^= 1;
        f->pending = 0;
    }
}

void eqf_reset(eqf *f)
{
    size_t P = f->part, Q = f->nparts;
    memset(f->fdl, 0, sizeof(kiss_fft_cpx) * f->nch * Q * (P + 1));
    memset(f->win, 0, sizeof(float) * f->nch * 2 * P);
    memset(f->outb, 0, sizeof(float) * f->nch * P);
    f->fill = 0;
    f->head = 0;
    f->started = 0;
    if (f->pending) {
        f->cur ^= 1;
        f->pending = 0;
    }
}

/* Function multiversioning for the hot loop (the engine builds for baseline
 * x86-64): AVX2 where the CPU has it, the same operations per value (no FMA),
 * so the same results either way. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define FIR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FIR_CLONES
#endif

/* acc += h x, bin by bin */
FIR_CLONES static void cmac(kiss_fft_cpx *restrict acc, const kiss_fft_cpx *restrict h,
                            const kiss_fft_cpx *restrict x, size_t bins)
{
    for (size_t k = 0; k < bins; k++) {
        acc[k].r += h[k].r * x[k].r - h[k].i * x[k].i;
        acc[k].i += h[k].r * x[k].i + h[k].i * x[k].r;
    }
}

/* Output partition o with set s into dst (2 P; the last P frames are valid).
 * Returns 0 when no filter reaches output o. */
static int convolve(eqf *f, int s, unsigned o, float *dst)
{
    size_t P = f->part, Q = f->nparts, bins = P + 1;
    memset(f->acc, 0, sizeof(kiss_fft_cpx) * bins);
    int any = 0;
    unsigned ni = f->nfilt == 1 ? 1 : 2;
    for (unsigned i = 0; i < ni; i++) {
        unsigned r = f->nfilt == 1 ? 0 : 2 * o + i, ch = f->nfilt == 1 ? o : i;
        if (!f->nz[s][r])
            continue;
        any = 1;
        const kiss_fft_cpx *H = f->H[s] + (size_t)r * Q * bins;
        const kiss_fft_cpx *X = f->fdl + (size_t)ch * Q * bins;
        for (size_t q = 0; q < Q; q++)
            cmac(f->acc, H + q * bins, X + ((f->head + Q - q) % Q) * bins, bins);
    }
    if (any)
        kiss_fftri(f->inv, f->acc, dst);
    return any;
}

/* A complete input partition: spectra in, one output partition out. */
static void partition(eqf *f)
{
    size_t P = f->part, Q = f->nparts, bins = P + 1;
    for (unsigned c = 0; c < f->nch; c++) {
        float *w = f->win + (size_t)c * 2 * P;
        kiss_fftr(f->fwd, w, f->fdl + ((size_t)c * Q + f->head) * bins);
        memcpy(w, w + P, sizeof(float) * P);
    }
    for (unsigned o = 0; o < f->nch; o++) {
        float *y = f->outb + (size_t)o * P;
        int a = convolve(f, f->cur, o, f->tb);
        if (f->pending) {
            int b = convolve(f, f->cur ^ 1, o, f->tb2);
            for (size_t i = 0; i < P; i++) {
                float u = a ? f->tb[P + i] : 0.0f, v = b ? f->tb2[P + i] : 0.0f;
                float t = ((float)i + 0.5f) / (float)P;
                y[i] = u + t * (v - u);
            }
        } else if (a) {
            memcpy(y, f->tb + P, sizeof(float) * P);
        } else {
            memset(y, 0, sizeof(float) * P);
        }
    }
    if (f->pending) {
        f->cur ^= 1;
        f->pending = 0;
    }
    f->head = (unsigned)((f->head + 1) % Q);
}

void eqf_run(eqf *f, const float *const *in, float *const *out, unsigned frames)
{
    unsigned P = f->part, done = 0;
    while (done < frames) {
        unsigned m = P - f->fill;
        if (m > frames - done)
            m = frames - done;
        for (unsigned c = 0; c < f->nch; c++) {
            /* take the input before writing the output: they may be one buffer */
            memcpy(f->win + (size_t)c * 2 * P + P + f->fill, in[c] + done, sizeof(float) * m);
            memcpy(out[c] + done, f->outb + (size_t)c * P + f->fill, sizeof(float) * m);
        }
        f->fill += m;
        done += m;
        if (f->fill == P) {
            partition(f);
            f->fill = 0;
        }
    }
    if (frames)
        f->started = 1;
}
