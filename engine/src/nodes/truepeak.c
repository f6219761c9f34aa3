/* truepeak.c - polyphase oversampling peak detector (BS.1770-4 Annex 2). */
#include <math.h>
#include <string.h>
#include "truepeak.h"

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

void mdi_tp_init(tp_filter *f)
{
    f->bound = 1.0f;
    for (int k = 1; k < TP_PHASES; k++) {
        double h[TP_TAPS], sum = 0.0, abs_sum = 0.0;
        for (int j = 0; j < TP_TAPS; j++) {
            /* distance from the interpolated position to tap j's sample */
            double t = (double)k / TP_PHASES - (double)(j - (TP_HALF - 1));
            double u = t / TP_HALF;
            double w = bessel_i0(TP_BETA * sqrt(fmax(0.0, 1.0 - u * u))) / bessel_i0(TP_BETA);
            h[j] = sin(M_PI * t) / (M_PI * t) * w;
            sum += h[j];
        }
        for (int j = 0; j < TP_TAPS; j++) {
            f->h[k - 1][j] = (float)(h[j] / sum);
            abs_sum += fabs(h[j] / sum);
        }
        if (abs_sum > f->bound)
            f->bound = (float)abs_sum;
    }
}

/* Eight frames at a time with the accumulators in registers (GCC/Clang
 * vector extensions: AVX where the clone allows it, two SSE halves
 * otherwise). Each lane sums the taps in order 0..TP_TAPS-1 with separate
 * multiply and add, exactly like the scalar tail, so every frame gets the
 * same value whichever path computed it (block-size independence). */
typedef float v8 __attribute__((vector_size(32)));

/* an unaligned load (a macro: passing AVX vectors between functions would
 * depend on the caller's ABI) */
#define LOAD8(v, p) memcpy(&(v), (p), sizeof(v8))

static inline float scalar_at(const tp_filter *f, const float *x, unsigned i)
{
    const float *xb = x + i - (TP_TAPS - 1);
    float v = fabsf(x[(long)i - TP_HALF]);
    for (unsigned k = 0; k < TP_PHASES - 1; k++) {
        float s = 0.0f;
        for (unsigned j = 0; j < TP_TAPS; j++)
            s = s + f->h[k][j] * xb[j];
        float a = fabsf(s);
        v = a > v ? a : v;
    }
    return v;
}

/* peak[0..7] from the phase accumulators and the samples themselves */
static inline void finish8(const v8 *acc, const float *x, float *pk, int first)
{
    float a[TP_PHASES - 1][8];
    memcpy(a, acc, sizeof a);
    const float *x0 = x - TP_HALF;
    for (unsigned l = 0; l < 8; l++) {
        float v = fabsf(x0[l]);
        for (unsigned k = 0; k < TP_PHASES - 1; k++) {
            float m = fabsf(a[k][l]);
            v = m > v ? m : v;
        }
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
        v8 acc[3][TP_PHASES - 1];
        memset(acc, 0, sizeof acc);
        for (unsigned j = 0; j < TP_TAPS; j++) {
            v8 x0, x1, x2;
            LOAD8(x0, xb + j);
            LOAD8(x1, xb + j + 8);
            LOAD8(x2, xb + j + 16);
            for (unsigned k = 0; k < TP_PHASES - 1; k++) {
                const float h = f->h[k][j];
                acc[0][k] = acc[0][k] + h * x0;
                acc[1][k] = acc[1][k] + h * x1;
                acc[2][k] = acc[2][k] + h * x2;
            }
        }
        for (unsigned b = 0; b < 3; b++)
            finish8(acc[b], x + i + 8 * b, peak + i + 8 * b, first);
    }
    for (; i + 8 <= frames; i += 8) {
        const float *xb = x + i - (TP_TAPS - 1);
        v8 acc[TP_PHASES - 1];
        memset(acc, 0, sizeof acc);
        for (unsigned j = 0; j < TP_TAPS; j++) {
            v8 xv;
            LOAD8(xv, xb + j);
            for (unsigned k = 0; k < TP_PHASES - 1; k++)
                acc[k] = acc[k] + f->h[k][j] * xv;
        }
        finish8(acc, x + i, peak + i, first);
    }
    for (; i < frames; i++) {
        float v = scalar_at(f, x, i);
        peak[i] = (!first && peak[i] > v) ? peak[i] : v;
    }
}

float mdi_tp_peak_at(const tp_filter *f, const float *x, unsigned i)
{
    return scalar_at(f, x, i);
}
