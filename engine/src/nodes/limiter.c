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
 */
#include <stdlib.h>
#include "dyn_common.h"
#include "truepeak.h"

enum { P_CEILING, P_RELEASE, P_LOOKAHEAD, P_TRUE_PEAK };

#define HOLD_MS 10.0
/* the gain aims 0.009 dB under the ceiling, so that the safety stage rarely acts */
#define DET_MARGIN (1.0 - 1e-3)
#define GUARD TP_HALF
#define SAFETY TP_TAPS
#define HIST (TP_TAPS - 1)
#define SAFE_CHUNK 32

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
    float *box;                   /* ramp entries of 1 - min gain */
    unsigned box_pos, box_nonzero;
    double box_sum, inv_ramp;
    float gain;                   /* released gain state */
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
    p->inv_ramp = 1.0 / p->ramp;
    p->d1 = p->ramp - 1 + GUARD + TP_HALF;
    p->win = p->ramp + 2 * GUARD + (unsigned)lround(HOLD_MS * 1e-3 * in->rate_hz);
    mdi_tp_init(&p->flt);
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
    p->box = md_aligned_alloc(sizeof(float) * p->ramp);
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
    p->pk = p->g = p->v = p->box = NULL;
    md_aligned_free(p->wcur);
    md_aligned_free(p->wsuf);
    p->wcur = p->wsuf = NULL;
    mdi_dyn_delay_free(&p->dl);
}

static void lim_update(md_node *n)
{
    lim_priv *p = md_node_priv(n);
    p->ceil_lin = (float)pow(10.0, md_node_value(n, P_CEILING) / 20.0);
    p->ceil_det = (float)(p->ceil_lin * DET_MARGIN);
    p->a_rel = dyn_coef(md_node_value(n, P_RELEASE), md_node_out(n)->rate_hz);
    p->tp = md_node_value(n, P_TRUE_PEAK) != 0.0;
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
    memset(p->box, 0, sizeof(float) * p->ramp);
    p->box_pos = p->box_nonzero = 0;
    p->box_sum = 0.0;
    p->gain = 1.0f;
    for (unsigned i = 0; i <= p->win; i++)
        p->wsuf[i] = 1.0f; /* the neutral value: gains are <= 1 */
    p->wj = 0;
    p->wpre = 1.0f;
    mdi_dyn_delay_reset(&p->dl);
    p->meter.gr_db = p->meter.gr_max_db = 0.0f;
}

static unsigned lim_latency(const md_node *n)
{
    const lim_priv *p = md_node_priv(n);
    return p->lat;
}

/* Needed gains (in place over pk) -> sliding minimum -> ramp -> release. */
static float gain_block(lim_priv *p, float *pk, float *g, unsigned frames)
{
    const float cl = p->ceil_lin, cd = p->ceil_det;
    for (unsigned i = 0; i < frames; i++)
        pk[i] = pk[i] > cl ? cd / pk[i] : 1.0f;

    unsigned wj = p->wj;
    float pre = p->wpre;
    for (unsigned i = 0; i < frames; i++) {
        float v = pk[i];
        pre = (wj == 0 || v < pre) ? v : pre;
        p->wcur[wj] = v;
        float s = p->wsuf[wj + 1];
        pk[i] = pre < s ? pre : s;
        if (++wj == p->win) {
            /* chunk complete: its suffix minima serve the next chunk */
            float m = 1.0f;
            for (unsigned k = p->win; k-- > 0;) {
                m = p->wcur[k] < m ? p->wcur[k] : m;
                p->wsuf[k] = m;
            }
            wj = 0;
        }
    }
    p->wj = wj;
    p->wpre = pre;

    const float a_rel = p->a_rel;
    float gain = p->gain, gmin = 1.0f;
    for (unsigned i = 0; i < frames; i++) {
        float d = 1.0f - pk[i], old = p->box[p->box_pos];
        p->box[p->box_pos] = d;
        if (++p->box_pos == p->ramp)
            p->box_pos = 0;
        p->box_nonzero += (d != 0.0f) - (old != 0.0f);
        float a;
        if (p->box_nonzero == 0) {
            p->box_sum = 0.0; /* exact: the ramp is back to unity */
            a = 1.0f;
        } else {
            p->box_sum += (double)d - (double)old;
            a = (float)(1.0 - p->box_sum * p->inv_ramp);
            a = a > 1.0f ? 1.0f : a;
        }
        /* follow a falling target at once, rise toward it as a one-pole */
        float r = a + a_rel * (gain - a);
        gain = r < a ? r : a;
        gain = (a == 1.0f && gain > 1.0f - 1e-6f) ? 1.0f : gain; /* end exactly at unity */
        g[i] = gain;
        gmin = gain < gmin ? gain : gmin;
    }
    p->gain = gain;
    return gmin;
}

/* Scales the support of every output position over the ceiling, from
 * position `from` on; positions are re-measured after each correction. */
static void safety_fix(lim_priv *p, unsigned from, unsigned frames)
{
    const float cl = p->ceil_lin;
    for (unsigned i = from; i < frames; i++) {
        float v = 0.0f;
        for (unsigned c = 0; c < p->ch; c++) {
            float a = p->tp ? mdi_tp_peak_at(&p->flt, p->sb[c] + SAFETY, i)
                            : fabsf(p->sb[c][SAFETY + i - TP_HALF]);
            v = a > v ? a : v;
        }
        if (v > cl) {
            float k = cl / v * (1.0f - 2.4e-7f);
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
        }
    }
}

/* Output positions i0 .. i0+m-1 cannot be over the ceiling when the gain
 * barely varies over their supports: with G_c the gain at a position's own
 * sample, y = G_c interp(x) + sum h_j (G_j - G_c) x_j, the first term is at
 * most ceil_det (the gain was computed for it) and the second at most
 * (Gmax - Gmin) bound max|x|, with max|x| <= max|y| / Gmin. So the exact
 * check is needed only where that can exceed ceiling - ceil_det. */
static int chunk_is_safe(const lim_priv *p, unsigned i0, unsigned m)
{
    const float *g = p->g + SAFETY + i0 - (TP_TAPS - 1);
    unsigned len = m + TP_TAPS - 1;
    float gmin = g[0], gmax = g[0];
    for (unsigned j = 1; j < len; j++) {
        gmin = g[j] < gmin ? g[j] : gmin;
        gmax = g[j] > gmax ? g[j] : gmax;
    }
    if (gmax == gmin)
        return 1; /* constant gain: exactly gain x input, checked by the detector */
    float ymax = 0.0f;
    for (unsigned c = 0; c < p->ch; c++) {
        const float *y = p->sb[c] + SAFETY + i0 - (TP_TAPS - 1);
        for (unsigned j = 0; j < len; j++) {
            float a = fabsf(y[j]);
            ymax = a > ymax ? a : ymax;
        }
    }
    return (gmax - gmin) * p->flt.bound * ymax <= 0.9f * (p->ceil_lin - p->ceil_det) * gmin;
}

static void lim_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    lim_priv *p = md_node_priv(n);
    if (frames == 0)
        return;
    const unsigned ch = p->ch;

    /* 1. detector: peak (true or sample) over channels, TP_HALF frames behind */
    for (unsigned c = 0; c < ch; c++) {
        float *h = p->hist[c];
        memcpy(h + HIST, in[c], sizeof(float) * frames);
        if (p->tp) {
            mdi_tp_peak(&p->flt, h + HIST, p->pk, frames, c == 0);
        } else {
            const float *x0 = h + HIST - TP_HALF;
            for (unsigned i = 0; i < frames; i++) {
                float a = fabsf(x0[i]);
                p->pk[i] = (c == 0 || a > p->pk[i]) ? a : p->pk[i];
            }
        }
        memmove(h, h + frames, sizeof(float) * HIST);
    }

    /* 2. the gain, frame by frame */
    float gmin = gain_block(p, p->pk, p->g + SAFETY, frames);

    /* 3. delayed audio x gain, into the safety buffer */
    for (unsigned c = 0; c < ch; c++) {
        float *s = p->sb[c] + SAFETY;
        mdi_dyn_delay_run(&p->dl, c, in[c], s, frames);
        const float *g = p->g + SAFETY;
        for (unsigned i = 0; i < frames; i++)
            s[i] *= g[i];
    }
    mdi_dyn_delay_advance(&p->dl, frames);

    /* 4. safety: measure the output; correct from the first position over */
    const float cl = p->ceil_lin;
    unsigned first = frames;
    if (p->tp) {
        for (unsigned i0 = 0; i0 < frames; i0 += SAFE_CHUNK) {
            unsigned m = frames - i0 < SAFE_CHUNK ? frames - i0 : SAFE_CHUNK;
            if (chunk_is_safe(p, i0, m)) {
                memset(p->v + i0, 0, sizeof(float) * m);
                continue;
            }
            for (unsigned c = 0; c < ch; c++)
                mdi_tp_peak(&p->flt, p->sb[c] + SAFETY + i0, p->v + i0, m, c == 0);
        }
        for (unsigned i = 0; i < frames; i++)
            if (p->v[i] > cl) {
                first = i;
                break;
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
           "stage checks every output position. Material under the ceiling passes unchanged "
           "apart from the latency.",
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
