/* dyn_common.h - pieces shared by the dynamics nodes (compressor, limiter,
 * gate, expander): the gain-reduction meter, time constants, fast dB
 * conversions, the static curves, a sliding-window maximum and the
 * detector's high-pass. */
#ifndef MD_DYN_COMMON_H
#define MD_DYN_COMMON_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "../internal.h"
#include "mixdown/md_dynamics.h"

/* First member of every dynamics node's priv, read by md_dyn_*_db(). */
typedef struct dyn_meter {
    float gr_db;     /* current smoothed reduction, dB >= 0 */
    float gr_max_db; /* largest reduction during the last block */
} dyn_meter;

/* One-pole coefficient for a time constant: y += (1 - a) (x - y) per sample
 * reaches 63.2 % (1 - 1/e) of a step after ms milliseconds. 0 ms: a = 0. */
static inline float dyn_coef(double ms, double rate_hz)
{
    if (!(ms > 0.0))
        return 0.0f;
    return (float)exp(-1.0 / (ms * 1e-3 * rate_hz));
}

/* log2 for x > 0 (denormals and 0 clamp to -126..): mantissa reduced to
 * [sqrt(1/2), sqrt(2)) and atanh series ln(m) = 2 (s + s^3/3 + s^5/5 + s^7/7),
 * s = (m - 1)/(m + 1), |s| < 0.172: error below 3e-8 (2e-7 dB). */
static inline float dyn_log2(float x)
{
    union { float f; uint32_t u; } v = {x};
    if (!(x >= 1.17549435e-38f))
        return -126.0f;
    int e = (int)((v.u >> 23) & 0xff) - 127;
    v.u = (v.u & 0x007fffffu) | 0x3f800000u; /* m in [1, 2) */
    float m = v.f;
    if (m > 1.41421356f) {
        m *= 0.5f;
        e++;
    }
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float ln = 2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7))));
    return (float)e + ln * 1.44269504f;
}

/* 2^y for y in [-126, 126] (clamped): y = i + f, |f| <= 1/2, Taylor series of
 * e^(f ln 2) to degree 6: relative error below 2e-7. y = 0 gives exactly 1. */
static inline float dyn_exp2(float y)
{
    if (y < -126.0f)
        y = -126.0f;
    if (y > 126.0f)
        y = 126.0f;
    int ii = (int)(y + 127.5f) - 127; /* floor(y + 1/2): the sum is >= 1 */
    float fi = (float)ii;
    float f = (y - fi) * 0.693147181f;
    float p = 1.0f + f * (1.0f + f * (0.5f + f * (1.0f / 6 + f * (1.0f / 24 +
                                                     f * (1.0f / 120 + f * (1.0f / 720))))));
    union { float f; uint32_t u; } v;
    v.u = (uint32_t)(ii + 127) << 23;
    return p * v.f;
}

/* Block versions of the conversions above, written so that the compiler
 * vectorises them (no calls, no branches): dB of amplitudes, dB of mean
 * squares (scale 10 instead of 20), and amplitudes of dB. dst may be src. */
void mdi_dyn_db_block(float *dst, const float *src, unsigned frames, float scale_db);
void mdi_dyn_amp_block(float *dst, const float *src_db, unsigned frames);

/* The per-value arithmetic of those blocks, for loops that fuse it with
 * other work: the same operations as dyn_log2 x to_db (to_db = scale_db x
 * log10(2)) and dyn_db_to_amp, with selects instead of branches. */
typedef uint32_t dyn_u32_alias __attribute__((may_alias));
typedef float dyn_f32_alias __attribute__((may_alias));

static inline float dyn_db_lane(float x, float to_db)
{
    x = x >= 1.17549435e-38f ? x : 1.17549435e-38f;
    uint32_t u = *(const dyn_u32_alias *)&x;
    int e = (int)(u >> 23) - 127;
    uint32_t mu = (u & 0x007fffffu) | 0x3f800000u;
    float m = *(const dyn_f32_alias *)&mu;
    int big = m > 1.41421356f;
    m *= big ? 0.5f : 1.0f; /* a select of the factor, not of two whole paths */
    e += big;
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float ln = 2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7))));
    return ((float)e + ln * 1.44269504f) * to_db;
}

/* 2^y, the arithmetic of dyn_exp2 without branches */
static inline float dyn_exp2_lane(float y)
{
    y = y < -126.0f ? -126.0f : y;
    y = y > 126.0f ? 126.0f : y;
    int ii = (int)(y + 127.5f) - 127;
    float f = (y - (float)ii) * 0.693147181f;
    float p = 1.0f + f * (1.0f + f * (0.5f + f * (1.0f / 6 + f * (1.0f / 24 +
                                                     f * (1.0f / 120 + f * (1.0f / 720))))));
    uint32_t eu = (uint32_t)(ii + 127) << 23;
    return p * *(const dyn_f32_alias *)&eu;
}

static inline float dyn_amp_lane(float db) { return dyn_exp2_lane(db * (1.0f / 6.02059991f)); }

/* Function multiversioning for the vectorised loops (the engine builds for
 * baseline x86-64; AVX2 where the CPU has it, same results either way: no
 * FMA, the same operations per value). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define DYN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DYN_CLONES
#endif

#define DYN_DB_PER_LOG2 6.02059991f /* 20 log10(2) */
#define DYN_FLOOR_DB (-200.0f)

static inline float dyn_amp_to_db(float a) { return dyn_log2(a) * DYN_DB_PER_LOG2; }
static inline float dyn_pow_to_db(float p) { return dyn_log2(p) * (0.5f * DYN_DB_PER_LOG2); }
static inline float dyn_db_to_amp(float db) { return dyn_exp2(db * (1.0f / DYN_DB_PER_LOG2)); }

/* Compressor static curve, Giannoulis, Massberg & Reiss, "Digital dynamic
 * range compressor design - a tutorial and analysis", JAES 60(6), 2012, eq. 4:
 *   2 (x - T) < -W        y = x
 *   2 |x - T| <= W        y = x + (1/R - 1) (x - T + W/2)^2 / (2 W)
 *   2 (x - T) > W         y = T + (x - T) / R
 * Returns the gain change y - x (<= 0 dB). */
static inline float dyn_compress_gc(float x, float t, float r_inv, float w)
{
    float o = x - t;
    if (2.0f * o < -w)
        return 0.0f;
    if (2.0f * o <= w) {
        float k = o + 0.5f * w;
        return (r_inv - 1.0f) * k * k / (2.0f * w);
    }
    return (r_inv - 1.0f) * o;
}

/* Sliding-window maximum over the last len values (a monotonic deque:
 * O(1) amortised per value; Lemire, "Streaming maximum-minimum filter using
 * no more than three comparisons per element", 2006). Storage: len + 1
 * entries allocated by mdi_dyn_wmax_init. */
typedef struct dyn_wmax {
    float *val;
    uint64_t *pos;
    unsigned cap, head, count, len;
    uint64_t t;
} dyn_wmax;

int mdi_dyn_wmax_init(dyn_wmax *w, unsigned len); /* 0 or -1 (out of memory) */
void mdi_dyn_wmax_free(dyn_wmax *w);
void mdi_dyn_wmax_reset(dyn_wmax *w);

static inline float dyn_wmax_push(dyn_wmax *w, float v)
{
    /* drop smaller values from the back: they can never be the maximum again */
    unsigned b = w->head + w->count; /* one past the back, unwrapped */
    while (w->count) {
        unsigned k = b - 1 >= w->cap ? b - 1 - w->cap : b - 1;
        if (w->val[k] > v)
            break;
        w->count--;
        b--;
    }
    if (b >= w->cap)
        b -= w->cap;
    w->val[b] = v;
    w->pos[b] = w->t;
    w->count++;
    /* drop the front once it is older than the window */
    if (w->pos[w->head] + w->len <= w->t) {
        if (++w->head == w->cap)
            w->head = 0;
        w->count--;
    }
    w->t++;
    return w->val[w->head];
}

/* Second-order Butterworth high-pass (RBJ cookbook, Q = 1/sqrt(2)) for the
 * detector path, transposed direct form II in double. */
typedef struct dyn_hpf_coef {
    double b0, b1, b2, a1, a2;
} dyn_hpf_coef;

void mdi_dyn_hpf_design(dyn_hpf_coef *c, double freq_hz, double rate_hz);

static inline float dyn_hpf_run(const dyn_hpf_coef *c, double *z, float x)
{
    double y = c->b0 * x + z[0];
    z[0] = c->b1 * x - c->a1 * y + z[1];
    z[1] = c->b2 * x - c->a2 * y;
    return (float)y;
}

/* A float delay line of `delay` frames for each of `channels` channels,
 * processed in blocks of up to max_frames. */
typedef struct dyn_delay {
    float *mem;
    unsigned channels, delay, size, pos;
} dyn_delay;

int mdi_dyn_delay_init(dyn_delay *d, unsigned channels, unsigned delay, unsigned max_frames);
void mdi_dyn_delay_free(dyn_delay *d);
void mdi_dyn_delay_reset(dyn_delay *d);
/* Writes x (frames values) into channel c and reads the delayed values into
 * y (which may alias x). Call for every channel, then mdi_dyn_delay_advance. */
void mdi_dyn_delay_run(dyn_delay *d, unsigned c, const float *x, float *y, unsigned frames);
void mdi_dyn_delay_advance(dyn_delay *d, unsigned frames);

#endif
