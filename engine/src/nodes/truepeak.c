/* truepeak.c - polyphase oversampling peak detector (BS.1770-4 Annex 2). */
#include <math.h>
#include <string.h>
#include "truepeak.h"

_Static_assert(TP_PHASES == 4 && TP_TAPS % 2 == 0, "the kernel is written for 4 phases");

static double bessel_i0(double x)
{
    double s = 1.0, t = 1.0;
    for (int k = 1; k < 50; k++) {
        t *= (x / (2.0 * k)) * (x / (2.0 * k));
        s += t;
        if (t < 1e-17 * s)
            break;
    }
    return s;
}

/* phase k/4 of the interpolator, normalised to unit DC gain */
static void design_phase(double *h, int k)
{
    double sum = 0.0;
    for (int j = 0; j < TP_TAPS; j++) {
        /* distance from the interpolated position to tap j's sample */
        double t = (double)k / TP_PHASES - (double)(j - (TP_HALF - 1));
        double u = t / TP_HALF;
        double w = bessel_i0(TP_BETA * sqrt(fmax(0.0, 1.0 - u * u))) / bessel_i0(TP_BETA);
        h[j] = sin(M_PI * t) / (M_PI * t) * w;
        sum += h[j];
    }
    for (int j = 0; j < TP_TAPS; j++)
        h[j] /= sum;
}

void mdi_tp_init(tp_filter *f)
{
    double h1[TP_TAPS], h2[TP_TAPS], l1 = 0.0, l2 = 0.0;
    design_phase(h1, 1); /* phase 3 is its mirror image */
    design_phase(h2, 2); /* symmetric */
    for (int j = 0; j < TP_HALF; j++) {
        f->e[j] = (float)(0.5 * (h1[j] + h1[TP_TAPS - 1 - j]));
        f->o[j] = (float)(0.5 * (h1[j] - h1[TP_TAPS - 1 - j]));
        f->h2[j] = (float)(0.5 * (h2[j] + h2[TP_TAPS - 1 - j]));
    }
    for (int j = 0; j < TP_TAPS; j++) {
        l1 += fabs(h1[j]);
        l2 += fabs(h2[j]);
    }
    f->bound = (float)fmax(1.0, fmax(l1, l2));
}

/* Eight frames per vector, one frame per lane (GCC/Clang vector extensions:
 * AVX where the clone allows it, two SSE halves otherwise), no FMA
 * contraction (ISO C mode): every lane does the same operations in the same
 * order, so a frame's value does not depend on which pass computed it. */
typedef float v8 __attribute__((vector_size(32)));

/* an unaligned load (a macro: passing AVX vectors between functions would
 * depend on the caller's ABI) */
#define LOAD8(v, p) memcpy(&(v), (p), sizeof(v8))

/* the three sums for the 8 frames whose newest taps are xb[TP_TAPS-1 ..] */
#define TP_ACC(E, O, M, xb)                                                                  \
    do {                                                                                     \
        for (unsigned j = 0; j < TP_HALF; j++) {                                             \
            v8 lo_, hi_;                                                                     \
            LOAD8(lo_, (xb) + j);                                                            \
            LOAD8(hi_, (xb) + (TP_TAPS - 1) - j);                                            \
            v8 a_ = lo_ + hi_, b_ = lo_ - hi_;                                               \
            E = E + f->e[j] * a_;                                                            \
            O = O + f->o[j] * b_;                                                            \
            M = M + f->h2[j] * a_;                                                           \
        }                                                                                    \
    } while (0)

/* peak[0..n-1] from the phase sums and the samples themselves (phase 0) */
static inline void finish8(const v8 *E, const v8 *O, const v8 *M, const float *x, float *pk,
                           unsigned n, int first)
{
    float e[8], o[8], m[8];
    memcpy(e, E, sizeof e);
    memcpy(o, O, sizeof o);
    memcpy(m, M, sizeof m);
    const float *x0 = x - TP_HALF;
    for (unsigned l = 0; l < n; l++) {
        float v = fabsf(x0[l]);
        float a1 = fabsf(e[l] + o[l]), a2 = fabsf(m[l]), a3 = fabsf(e[l] - o[l]);
        v = a1 > v ? a1 : v;
        v = a2 > v ? a2 : v;
        v = a3 > v ? a3 : v;
        if (!first && pk[l] > v)
            v = pk[l];
        pk[l] = v;
    }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void mdi_tp_peak(const tp_filter *f, const float *x, float *peak, unsigned frames, int first)
{
    unsigned i = 0;
    /* 24 frames per pass: nine independent accumulator chains hide the
     * latency of the adds */
    for (; i + 24 <= frames; i += 24) {
        const float *xb = x + i - (TP_TAPS - 1);
        v8 E0 = {0}, O0 = {0}, M0 = {0}, E1 = {0}, O1 = {0}, M1 = {0}, E2 = {0}, O2 = {0},
           M2 = {0};
        for (unsigned j = 0; j < TP_HALF; j++) {
            v8 l0, h0, l1, h1, l2, h2;
            LOAD8(l0, xb + j);
            LOAD8(h0, xb + (TP_TAPS - 1) - j);
            LOAD8(l1, xb + 8 + j);
            LOAD8(h1, xb + 8 + (TP_TAPS - 1) - j);
            LOAD8(l2, xb + 16 + j);
            LOAD8(h2, xb + 16 + (TP_TAPS - 1) - j);
            v8 a0 = l0 + h0, b0 = l0 - h0, a1 = l1 + h1, b1 = l1 - h1, a2 = l2 + h2,
               b2 = l2 - h2;
            const float e = f->e[j], o = f->o[j], m = f->h2[j];
            E0 = E0 + e * a0;
            O0 = O0 + o * b0;
            M0 = M0 + m * a0;
            E1 = E1 + e * a1;
            O1 = O1 + o * b1;
            M1 = M1 + m * a1;
            E2 = E2 + e * a2;
            O2 = O2 + o * b2;
            M2 = M2 + m * a2;
        }
        finish8(&E0, &O0, &M0, x + i, peak + i, 8, first);
        finish8(&E1, &O1, &M1, x + i + 8, peak + i + 8, 8, first);
        finish8(&E2, &O2, &M2, x + i + 16, peak + i + 16, 8, first);
    }
    for (; i + 8 <= frames; i += 8) {
        v8 E = {0}, O = {0}, M = {0};
        TP_ACC(E, O, M, x + i - (TP_TAPS - 1));
        finish8(&E, &O, &M, x + i, peak + i, 8, first);
    }
    if (i < frames) {
        /* the last 1..7 frames: the same lanes on a zero-padded copy */
        float tmp[TP_TAPS - 1 + 8] = {0};
        unsigned n = frames - i;
        memcpy(tmp, x + i - (TP_TAPS - 1), sizeof(float) * (TP_TAPS - 1 + n));
        v8 E = {0}, O = {0}, M = {0};
        TP_ACC(E, O, M, tmp);
        finish8(&E, &O, &M, tmp + TP_TAPS - 1, peak + i, n, first);
    }
}
