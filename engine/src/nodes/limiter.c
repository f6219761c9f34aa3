/* limiter.c - limiter{ceiling, release, lookahead, true_peak}: a lookahead
 * brickwall limiter whose output never exceeds the ceiling, true peaks
 * included.
 *
 *   in ─┬─> true-peak detector (4x, TP_HALF behind) ─> needed gain
 *       │     g[q] = min(1, ceiling / peak[q])
 *       │   ─> sliding minimum over W ─> moving average over R (the ramp)
 *       │   ─> release (one-pole toward 1, follows a falling gain at once) = G
 *       └─> delay D1 ───────────────────────────────────────> (x) G ─┐
 *                                                                     │
 *   out <─ safety stage: delay S, checks the oversampled peak of the  ┘
 *          output and scales the pending samples if it is ever over
 *
 * Why it cannot overshoot: a peak at input q needs g[q]. The sliding minimum
 * holds g[q] (or less) for W frames from q, the moving average of R of them
 * is <= g[q] from q + R - 1 to q + W - 1, and the audio is delayed so that
 * sample q meets the gain computed at q + R - 1 + K: the gain is at most
 * g[q] on q - K .. q + K (K = TP_HALF, the interpolator's reach) once
 * W >= R + 2K. The ramp down is linear over R frames, before the peak. The
 * release follows the sliding minimum after a 10 ms hold (so tones down to
 * 50 Hz do not modulate it) and then rises as a one-pole with `release` as
 * time constant; it returns to exactly 1.0, so material under the ceiling
 * passes bit for bit (apart from the latency).
 *
 * The gain still varies across an interpolator's support, so the output's
 * inter-sample peaks can differ slightly from gain x input peak: the safety
 * stage computes the same 4x interpolation on the output S = TP_TAPS frames
 * before it leaves and, where a position is over the ceiling, scales the
 * TP_TAPS pending samples of its support by ceiling / peak (an instantaneous
 * correction; it is rare and small). Latency = R - 1 + K + TP_HALF + S.
 *
 * Speed (none of it changes a result): the detector skips the interpolation
 * where bound x sample peak proves no inter-sample peak reaches the ceiling,
 * the gain stages only advance their positions while every one of them is
 * at rest, the release tail is a closed form (see tail_lane) that
 * vectorises, and the safety stage skips stretches of constant gain or of
 * small samples.
 */
#include <stdlib.h>
#ifdef __SSE2__
#include <immintrin.h>
#endif
#include "dyn_common.h"
#include "truepeak.h"

enum { P_CEILING, P_RELEASE, P_LOOKAHEAD, P_TRUE_PEAK };

#define HOLD_MS 10.0
/* the gain aims 0.009 dB under the ceiling, so that the safety stage rarely acts */
#define DET_MARGIN (1.0 - 1e-3)
#define TP_METER_MARGIN_DB 0.1
#define GUARD TP_HALF
#define SAFETY TP_TAPS
#define HIST (TP_TAPS - 1)
#define SAFE_CHUNK 32
#define DET_CHUNK 48 /* frames per bound check of the detector */
#define SEG 64        /* frames per pass of the gain stages */

static const md_param_desc lim_params[] = {
    [P_CEILING] = {"ceiling", "dB", -30.0, 0.0, -1.0,
                   "highest output level: dBTP with true_peak, else dBFS sample peak",
                   MD_PT_NUMBER, MD_PARAM_DB},
    [P_RELEASE] = {"release", "ms", 1.0, 2000.0, 50.0,
                   "time constant of the gain's return toward unity", MD_PT_NUMBER, 0},
    [P_LOOKAHEAD] = {"lookahead", "ms", 0.5, 20.0, 5.0,
                     "delay that lets the gain ramp down before a peak (latency; at least "
                     "64 frames)",
                     MD_PT_NUMBER, 0},
    [P_TRUE_PEAK] = {"true_peak", "", 0, 1, 1,
                     "limit inter-sample peaks (4x oversampling, BS.1770-4 Annex 2)",
                     MD_PT_BOOL, 0},
    {NULL},
};

typedef struct lim_priv {
    dyn_meter meter; /* first: read by md_dyn_gain_reduction_db */
    unsigned ch, max_frames;
    unsigned ramp, win, lat, d1;
    int tp;
    float ceil_lin, ceil_det, a_rel;
    float skip_in;                /* bound x (1 + margin): see detect() */
    tp_filter flt;
    float *hist[MD_MAX_CHANNELS]; /* HIST + max_frames: detector input */
    float *sb[MD_MAX_CHANNELS];   /* SAFETY + max_frames: gained output, pending */
    float *pk, *v;                /* max_frames each */
    float *g;                     /* SAFETY + max_frames: the gain of each sb sample */
    /* sliding minimum of the needed gain over win frames (van Herk / Gil &
     * Werman: the current chunk's running minimum and the previous chunk's
     * suffix minima; two comparisons per frame, no branches) */
    float *wcur, *wsuf; /* win values; win + 1 suffix minima (wsuf[win] = 1) */
    unsigned wj;
    float wpre;
    int wlazy; /* wcur[0 .. wj) are 1 but not written yet */
    /* the ramp: a moving sum over `ramp` frames of 1 - min gain, in units of
     * 2^-48 so that it is exact (a float in [2^-24, 1] is a whole number of
     * them): it is 0 exactly when the ramp is back at unity */
    int64_t *box;
    unsigned box_pos;
    int64_t box_sum;
    double box_scale; /* 2^-48 / ramp */
    float gain;       /* released gain state */
    /* the release toward unity once the ramp is back at 1 (see release_tail) */
    int tail_on;      /* the previous frame's ramp was 1 */
    float tail_d;     /* 1 - the gain where the tail began */
    uint32_t tail_k;  /* frames since */
    float tail_l2;    /* log2 of the release coefficient */
    dyn_delay dl;
} lim_priv;

static md_status lim_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    lim_priv *p = md_node_priv(n);
    (void)out;
    p->ch = in->channels;
    p->max_frames = in->max_frames;
    long la = lround(md_node_value(n, P_LOOKAHEAD) * 1e-3 * in->rate_hz);
    long fixed = GUARD + TP_HALF + SAFETY - 1;
    p->ramp = la - fixed >= 1 ? (unsigned)(la - fixed) : 1u;
    p->lat = p->ramp + (unsigned)fixed;
    p->box_scale = ldexp(1.0, -48) / p->ramp;
    p->d1 = p->ramp - 1 + GUARD + TP_HALF;
    p->win = p->ramp + 2 * GUARD + (unsigned)lround(HOLD_MS * 1e-3 * in->rate_hz);
    mdi_tp_init(&p->flt);
    p->skip_in = p->flt.bound * (1.0f + 1e-4f);
    size_t mf = in->max_frames;
    for (unsigned c = 0; c < p->ch; c++) {
        p->hist[c] = md_aligned_alloc(sizeof(float) * (HIST + mf));
        p->sb[c] = md_aligned_alloc(sizeof(float) * (SAFETY + mf));
        if (!p->hist[c] || !p->sb[c])
            return md_error_set(err, MD_ERR_NOMEM, "limiter: out of memory");
    }
    p->pk = md_aligned_alloc(sizeof(float) * (mf + 1));
    p->g = md_aligned_alloc(sizeof(float) * (SAFETY + mf + 1));
    p->v = md_aligned_alloc(sizeof(float) * (mf + 1));
    p->box = md_aligned_alloc(sizeof(int64_t) * p->ramp);
    p->wcur = md_aligned_alloc(sizeof(float) * p->win);
    p->wsuf = md_aligned_alloc(sizeof(float) * (p->win + 1));
    if (!p->pk || !p->g || !p->v || !p->box || !p->wcur || !p->wsuf ||
        mdi_dyn_delay_init(&p->dl, p->ch, p->d1, in->max_frames) != 0)
        return md_error_set(err, MD_ERR_NOMEM, "limiter: out of memory");
    return MD_OK;
}

static void lim_release(md_node *n)
{
    lim_priv *p = md_node_priv(n);
    for (unsigned c = 0; c < MD_MAX_CHANNELS; c++) {
        md_aligned_free(p->hist[c]);
        md_aligned_free(p->sb[c]);
        p->hist[c] = p->sb[c] = NULL;
    }
    md_aligned_free(p->pk);
    md_aligned_free(p->g);
    md_aligned_free(p->v);
    md_aligned_free(p->box);
    p->pk = p->g = p->v = NULL;
    p->box = NULL;
    md_aligned_free(p->wcur);
    md_aligned_free(p->wsuf);
    p->wcur = p->wsuf = NULL;
    mdi_dyn_delay_free(&p->dl);
}

static void lim_update(md_node *n)
{
    lim_priv *p = md_node_priv(n);
    p->tp = md_node_value(n, P_TRUE_PEAK) != 0.0;
    /* True-peak meters (libebur128, FFmpeg) interpolate 4x with shorter filters
     * than ours and read dense, limited material up to ~0.1 dB above the true
     * inter-sample peak: in true-peak mode the limiter works TP_METER_MARGIN_DB
     * under the ceiling so that their readings stay at or under it. */
    double ceil_db = md_node_value(n, P_CEILING) - (p->tp ? TP_METER_MARGIN_DB : 0.0);
    p->ceil_lin = (float)pow(10.0, ceil_db / 20.0);
    p->ceil_det = (float)(p->ceil_lin * DET_MARGIN);
    p->a_rel = dyn_coef(md_node_value(n, P_RELEASE), md_node_out(n)->rate_hz);
    p->tail_l2 = (float)log2((double)p->a_rel);
}

static void lim_reset(md_node *n)
{
    lim_priv *p = md_node_priv(n);
    for (unsigned c = 0; c < p->ch; c++) {
        memset(p->hist[c], 0, sizeof(float) * HIST);
        memset(p->sb[c], 0, sizeof(float) * SAFETY);
    }
    for (unsigned i = 0; i < SAFETY; i++)
        p->g[i] = 1.0f;
    memset(p->box, 0, sizeof(int64_t) * p->ramp);
    p->box_pos = 0;
    p->box_sum = 0;
    p->gain = 1.0f;
    p->tail_on = 1;
    p->tail_d = 0.0f;
    p->tail_k = 0;
    for (unsigned i = 0; i <= p->win; i++)
        p->wsuf[i] = 1.0f; /* the neutral value: gains are <= 1 */
    p->wj = 0;
    p->wpre = 1.0f;
    p->wlazy = 1;
    mdi_dyn_delay_reset(&p->dl);
    p->meter.gr_db = p->meter.gr_max_db = 0.0f;
}

static unsigned lim_latency(const md_node *n)
{
    const lim_priv *p = md_node_priv(n);
    return p->lat;
}

static void fill1(float *x, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        x[i] = 1.0f;
}

/* Reductions over short spans. With SSE, x = max(a, m) is maxps(a, m),
 * which keeps m when a is NaN, like the scalar tails. */
static float min_of(const float *x, unsigned n)
{
    float m = 1.0f;
    unsigned i = 0;
#ifdef __SSE2__
    __m128 m4 = _mm_set1_ps(1.0f);
    for (; i + 4 <= n; i += 4)
        m4 = _mm_min_ps(_mm_loadu_ps(x + i), m4);
    float t[4];
    _mm_storeu_ps(t, m4);
    for (unsigned l = 0; l < 4; l++)
        m = t[l] < m ? t[l] : m;
#endif
    for (; i < n; i++)
        m = x[i] < m ? x[i] : m;
    return m;
}

/* smallest and largest of n >= 1 values */
static void min_max(const float *x, unsigned n, float *lo, float *hi)
{
    float a = x[0], b = x[0];
    unsigned i = 0;
#ifdef __SSE2__
    __m128 a4 = _mm_set1_ps(a), b4 = a4;
    for (; i + 4 <= n; i += 4) {
        __m128 v = _mm_loadu_ps(x + i);
        a4 = _mm_min_ps(v, a4);
        b4 = _mm_max_ps(v, b4);
    }
    float ta[4], tb[4];
    _mm_storeu_ps(ta, a4);
    _mm_storeu_ps(tb, b4);
    for (unsigned l = 0; l < 4; l++) {
        a = ta[l] < a ? ta[l] : a;
        b = tb[l] > b ? tb[l] : b;
    }
#endif
    for (; i < n; i++) {
        a = x[i] < a ? x[i] : a;
        b = x[i] > b ? x[i] : b;
    }
    *lo = a;
    *hi = b;
}

/* largest |x| over n values of each channel, from offset `at` */
static float abs_max(float *const *x, unsigned ch, long at, unsigned n)
{
    float m = 0.0f;
#ifdef __SSE2__
    const __m128 mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    __m128 m0 = _mm_setzero_ps(), m1 = m0;
#endif
    for (unsigned c = 0; c < ch; c++) {
        const float *y = x[c] + at;
        unsigned j = 0;
#ifdef __SSE2__
        for (; j + 8 <= n; j += 8) {
            m0 = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(y + j), mask), m0);
            m1 = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(y + j + 4), mask), m1);
        }
#endif
        for (; j < n; j++) {
            float a = fabsf(y[j]);
            m = a > m ? a : m;
        }
    }
#ifdef __SSE2__
    float t[4];
    _mm_storeu_ps(t, _mm_max_ps(m0, m1));
    for (unsigned l = 0; l < 4; l++)
        m = t[l] > m ? t[l] : m;
#endif
    return m;
}

/* Once the ramp is back at 1, the release is the one-pole's step response:
 * gain = 1 - d a_rel^k, k frames after the last frame with the ramp under 1,
 * d = 1 - the gain then. It is computed from k (the same arithmetic in the
 * vector and the scalar path, anchored to the stream, not to blocks) rather
 * than by recursion, so long tails vectorise; it ends at exactly 1 once
 * within 1e-6 of it. It is also closer to the exact curve than a float
 * recursion, whose rounding builds up to ~7e-5 over a 50 ms release (this
 * stays within 1e-7). */
static inline float tail_lane(float d, uint32_t k, float l2)
{
    return 1.0f - d * dyn_exp2_lane((float)(int32_t)k * l2);
}

#define TAIL_K_MAX (1u << 23) /* k + SEG stays exact in a float; 2^-126 long before */

/* n frames of the tail into g; returns the last gain */
DYN_CLONES
static float release_tail(lim_priv *p, float *g, unsigned n)
{
    const float d = p->tail_d, l2 = p->tail_l2;
    const uint32_t k0 = p->tail_k;
    for (unsigned i = 0; i < n; i++)
        g[i] = tail_lane(d, k0 + 1 + i, l2);
    unsigned i = 0;
    while (i < n && !(g[i] > 1.0f - 1e-6f))
        i++;
    fill1(g + i, n - i);
    p->tail_k = k0 + n < TAIL_K_MAX ? k0 + n : TAIL_K_MAX;
    if (g[n - 1] == 1.0f)
        p->tail_d = 0.0f;
    return g[n - 1];
}

/* The gain stages of `n` frames of needed gain v (<= 1) into g; n is at most
 * SEG and does not cross the end of the sliding minimum's chunk. */
static void gain_seg(lim_priv *p, const float *v, float *g, unsigned n)
{
    float w[SEG];
    int64_t sum[SEG];
    /* sliding minimum: running minimum of this chunk, then the previous
     * chunk's suffix minimum for the part of the window that lies there */
    if (p->wlazy) {
        fill1(p->wcur, p->wj);
        p->wlazy = 0;
    }
    float pre = p->wj == 0 ? 1.0f : p->wpre;
    for (unsigned k = 0; k < n; k++) {
        pre = v[k] < pre ? v[k] : pre;
        w[k] = pre;
    }
    const float *suf = p->wsuf + p->wj + 1;
    for (unsigned k = 0; k < n; k++)
        w[k] = w[k] < suf[k] ? w[k] : suf[k];
    memcpy(p->wcur + p->wj, v, sizeof(float) * n);
    p->wpre = pre;
    p->wj += n;

    /* the ramp: moving sum of 1 - w over `ramp` frames */
    int64_t s = p->box_sum;
    for (unsigned k = 0; k < n;) {
        unsigned m = p->ramp - p->box_pos < n - k ? p->ramp - p->box_pos : n - k;
        int64_t *b = p->box + p->box_pos;
        for (unsigned q = 0; q < m; q++) {
            int64_t d = (int64_t)((double)(1.0f - w[k + q]) * 281474976710656.0); /* 2^48 */
            s += d - b[q];
            b[q] = d;
            sum[k + q] = s;
        }
        k += m;
        p->box_pos += m;
        if (p->box_pos == p->ramp)
            p->box_pos = 0;
    }
    p->box_sum = s;
    const double scale = p->box_scale;
    for (unsigned k = 0; k < n; k++) {
        float a = (float)(1.0 - (double)sum[k] * scale);
        w[k] = sum[k] == 0 ? 1.0f : a < 1.0f ? a : 1.0f;
    }

    /* release: follow a falling target at once, rise toward it as a one-pole */
    const float a_rel = p->a_rel, b_rel = 1.0f - a_rel;
    float gain = p->gain;
    for (unsigned k = 0; k < n; k++) {
        float a = w[k];
        if (a < 1.0f) {
            float r = a_rel * gain + b_rel * a;
            gain = r < a ? r : a;
            p->tail_on = 0;
        } else {
            if (!p->tail_on) {
                p->tail_on = 1;
                p->tail_d = 1.0f - gain;
                p->tail_k = 0;
            }
            if (gain < 1.0f) {
                p->tail_k = p->tail_k < TAIL_K_MAX ? p->tail_k + 1 : TAIL_K_MAX;
                gain = tail_lane(p->tail_d, p->tail_k, p->tail_l2);
                gain = gain > 1.0f - 1e-6f ? 1.0f : gain; /* end exactly at unity */
            }
        }
        g[k] = gain;
    }
    p->gain = gain;
}

/* Needed gains -> sliding minimum -> ramp -> release. Where the needed gain
 * is 1 and every stage is at rest, the gain is 1 and only the stages'
 * positions move. Returns the smallest gain. */
static float gain_block(lim_priv *p, const float *need, float *g, unsigned frames)
{
    float gmin = 1.0f;
    for (unsigned i = 0; i < frames;) {
        unsigned n = frames - i < SEG ? frames - i : SEG;
        if (n > p->win - p->wj)
            n = p->win - p->wj;
        int rest = (p->wj == 0 || p->wpre == 1.0f) && p->wsuf[p->wj + 1] == 1.0f &&
                   p->box_sum == 0 && p->tail_on;
        if (rest && min_of(need + i, n) == 1.0f) {
            /* the ramp stays at 1 (wsuf is non-decreasing, the box holds only
             * zeros), the gain is 1 or on its tail; wcur is written only if
             * a later part of this chunk needs it */
            if (p->gain == 1.0f) {
                fill1(g + i, n);
            } else {
                p->gain = release_tail(p, g + i, n);
                float m = min_of(g + i, n);
                gmin = m < gmin ? m : gmin;
            }
            p->wpre = 1.0f;
            p->wj += n;
            p->box_pos = (unsigned)(((uint64_t)p->box_pos + n) % p->ramp);
        } else {
            gain_seg(p, need + i, g + i, n);
            float m = min_of(g + i, n);
            gmin = m < gmin ? m : gmin;
        }
        if (p->wj == p->win) {
            /* chunk complete: its suffix minima serve the next chunk (all 1
             * when its running minimum is) */
            if (p->wpre < 1.0f) {
                float m = 1.0f;
                for (unsigned k = p->win; k-- > 0;) {
                    m = p->wcur[k] < m ? p->wcur[k] : m;
                    p->wsuf[k] = m;
                }
            } else if (p->wsuf[0] < 1.0f) {
                fill1(p->wsuf, p->win);
            }
            p->wj = 0;
            p->wlazy = 1;
        }
        i += n;
    }
    return gmin;
}

/* Scales the support of every output position over the ceiling, from
 * position `from` on; positions are re-measured after each correction
 * (eight at a time: those before the first one over are final). */
static void safety_fix(lim_priv *p, unsigned from, unsigned frames)
{
    const float cl = p->ceil_lin;
    float v[8];
    for (unsigned i = from; i < frames;) {
        unsigned n = frames - i < 8 ? frames - i : 8;
        if (p->tp) {
            for (unsigned c = 0; c < p->ch; c++)
                mdi_tp_peak(&p->flt, p->sb[c] + SAFETY + i, v, n, c == 0);
        } else {
            for (unsigned l = 0; l < n; l++) {
                v[l] = 0.0f;
                for (unsigned c = 0; c < p->ch; c++) {
                    float a = fabsf(p->sb[c][SAFETY + i + l - TP_HALF]);
                    v[l] = a > v[l] ? a : v[l];
                }
            }
        }
        unsigned l = 0;
        while (l < n && !(v[l] > cl))
            l++;
        if (l == n) {
            i += n;
            continue;
        }
        i += l;
        float k = cl / v[l] * (1.0f - 2.4e-7f);
        for (unsigned c = 0; c < p->ch; c++) {
            float *s = p->sb[c] + SAFETY + i;
            if (!p->tp)
                s[-TP_HALF] *= k; /* sample peak: only this sample */
            else
                for (int j = -(TP_TAPS - 1); j <= 0; j++)
                    s[j] *= k;
        }
        float *g = p->g + SAFETY + i;
        if (!p->tp)
            g[-TP_HALF] *= k;
        else
            for (int j = -(TP_TAPS - 1); j <= 0; j++)
                g[j] *= k; /* keep gain x input = output for chunk_is_safe */
        i++;
    }
}

/* Output positions i0 .. i0+m-1 cannot be over the ceiling when their
 * samples are small enough (bound x max |y| under it) or when the gain
 * barely varies over their supports: with G_c the gain at a position's own
 * sample, y = G_c interp(x) + sum h_j (G_j - G_c) x_j, the first term is at
 * most ceil_det (the gain was computed for it) and the second at most
 * (Gmax - Gmin) bound max|x|, with max|x| <= max|y| / Gmin. So the exact
 * check is needed only where that can exceed ceiling - ceil_det. */
static int chunk_is_safe(const lim_priv *p, unsigned i0, unsigned m)
{
    const float *g = p->g + SAFETY + i0 - (TP_TAPS - 1);
    unsigned len = m + TP_TAPS - 1;
    float gmin, gmax;
    min_max(g, len, &gmin, &gmax);
    if (gmax == gmin)
        return 1; /* constant gain: exactly gain x input, checked by the detector */
    float ymax = abs_max(p->sb, p->ch, (long)SAFETY + i0 - (TP_TAPS - 1), len);
    if (ymax * p->skip_in <= p->ceil_lin)
        return 1;
    return (gmax - gmin) * p->flt.bound * ymax <= 0.9f * (p->ceil_lin - p->ceil_det) * gmin;
}

/* The detector: peak (true or sample) over channels, TP_HALF frames behind,
 * and the gain each frame needs, into pk. A stretch whose samples are all
 * under ceiling / bound cannot have an interpolated value over the ceiling
 * (the margin covers float rounding), so it needs no interpolation. */
static void detect(lim_priv *p, const float *const *in, unsigned frames)
{
    const unsigned ch = p->ch;
    const float cl = p->ceil_lin, cd = p->ceil_det;
    for (unsigned c = 0; c < ch; c++)
        memcpy(p->hist[c] + HIST, in[c], sizeof(float) * frames);
    unsigned i0 = 0;
    if (p->tp && abs_max(p->hist, ch, 0, HIST + frames) * p->skip_in <= cl) {
        fill1(p->pk, frames); /* the whole block at once */
        i0 = frames;
    }
    for (; i0 < frames; i0 += DET_CHUNK) {
        unsigned m = frames - i0 < DET_CHUNK ? frames - i0 : DET_CHUNK;
        if (p->tp) {
            /* the supports of positions i0 .. i0+m-1: x[i0 - HIST .. i0 + m) */
            if (abs_max(p->hist, ch, i0, HIST + m) * p->skip_in <= cl) {
                fill1(p->pk + i0, m);
                continue;
            }
            for (unsigned c = 0; c < ch; c++)
                mdi_tp_peak(&p->flt, p->hist[c] + HIST + i0, p->pk + i0, m, c == 0);
        } else {
            for (unsigned c = 0; c < ch; c++) {
                const float *x0 = p->hist[c] + HIST + i0 - TP_HALF;
                float *pk = p->pk + i0;
                for (unsigned i = 0; i < m; i++) {
                    float a = fabsf(x0[i]);
                    pk[i] = (c == 0 || a > pk[i]) ? a : pk[i];
                }
            }
        }
        float *pk = p->pk + i0;
        for (unsigned i = 0; i < m; i++)
            pk[i] = pk[i] > cl ? cd / pk[i] : 1.0f;
    }
    for (unsigned c = 0; c < ch; c++)
        memmove(p->hist[c], p->hist[c] + frames, sizeof(float) * HIST);
}

static void lim_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    lim_priv *p = md_node_priv(n);
    if (frames == 0)
        return;
    const unsigned ch = p->ch;

    /* 1. detector */
    detect(p, in, frames);

    /* 2. the gain, frame by frame */
    float gmin = gain_block(p, p->pk, p->g + SAFETY, frames);

    /* 3. delayed audio x gain, into the safety buffer */
    for (unsigned c = 0; c < ch; c++) {
        float *s = p->sb[c] + SAFETY;
        mdi_dyn_delay_run(&p->dl, c, in[c], s, frames);
        if (gmin < 1.0f) {
            const float *g = p->g + SAFETY;
            for (unsigned i = 0; i < frames; i++)
                s[i] *= g[i];
        }
    }
    mdi_dyn_delay_advance(&p->dl, frames);

    /* 4. safety: measure the output; correct from the first position over.
     * A constant gain over the block and the pending frames needs no check. */
    const float cl = p->ceil_lin;
    unsigned first = frames;
    if (p->tp) {
        float glo, ghi;
        min_max(p->g, SAFETY + frames, &glo, &ghi);
        for (unsigned i0 = 0; glo != ghi && i0 < frames && first == frames;
             i0 += SAFE_CHUNK) {
            unsigned m = frames - i0 < SAFE_CHUNK ? frames - i0 : SAFE_CHUNK;
            if (chunk_is_safe(p, i0, m))
                continue;
            for (unsigned c = 0; c < ch; c++)
                mdi_tp_peak(&p->flt, p->sb[c] + SAFETY + i0, p->v + i0, m, c == 0);
            for (unsigned i = i0; i < i0 + m; i++)
                if (p->v[i] > cl) {
                    first = i;
                    break;
                }
        }
    } else {
        for (unsigned c = 0; c < ch; c++) {
            const float *s = p->sb[c] + SAFETY - TP_HALF;
            for (unsigned i = 0; i < first; i++)
                if (fabsf(s[i]) > cl) {
                    first = i;
                    break;
                }
        }
    }
    if (first < frames)
        safety_fix(p, first, frames);

    /* 5. emit the samples SAFETY frames behind, keep the rest pending */
    for (unsigned c = 0; c < ch; c++) {
        float *s = p->sb[c];
        memcpy(out[c], s, sizeof(float) * frames);
        memmove(s, s + frames, sizeof(float) * SAFETY);
    }
    memmove(p->g, p->g + frames, sizeof(float) * SAFETY);

    p->meter.gr_db = -20.0f * log10f(p->gain);
    p->meter.gr_max_db = -20.0f * log10f(gmin);
}

const md_node_vtable md_node_limiter = {
    .name = "limiter",
    .doc = "Lookahead brickwall limiter. With true_peak the output's inter-sample peaks "
           "(4x oversampled, ITU-R BS.1770-4) stay at or under the ceiling; a final safety "
           "stage checks every output position. In true-peak mode it limits 0.1 dB under the "
           "ceiling, because the meters' own 4x interpolators (libebur128, FFmpeg) read dense "
           "limited material up to ~0.1 dB high. Material under that passes unchanged apart "
           "from the latency.",
    .params = lim_params,
    .priv_size = sizeof(lim_priv),
    .inputs = 1,
    .flags = 0,
    .prepare = lim_prepare,
    .update = lim_update,
    .reset = lim_reset,
    .process = lim_process,
    .latency = lim_latency,
    .release = lim_release,
};
