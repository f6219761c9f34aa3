/* deesser.c - deesser{freq, threshold, range, q, mode, attack, release}.
 *
 *   x ──┬──────────────────────────────────────────┬──> split: x - (1 - g) band
 *       └─> band-pass (freq, q) = band ─> peak of  │    wide:  g x
 *           the largest channel ─> dB ─> r ─> g ───┘
 *
 * The detector listens to a band-pass around freq (RBJ, 0 dB peak gain) on
 * every channel; the reduction is r = clamp(level - threshold, 0, range) dB
 * (the band is held at the threshold, never turned down by more than range),
 * smoothed by the attack/release detector of space_dyn.h; g = 10^(-r/20).
 * split: the band alone is turned down by subtracting (1 - g) times it, which
 * is Zolzer's peak filter form H = 1 + (g - 1) Hbp: a dynamic bell of depth g
 * at freq. Because an RBJ band-pass traces the circle |H - 1/2| = 1/2,
 * |1 - (1 - g) Hbp| >= g at every frequency: no frequency is cut by more
 * than range. wide: the whole signal is turned down by g while the band is
 * loud. One gain for all channels (stereo linked).
 */
#include <math.h>
#include <string.h>
#include "../internal.h"
#include "space_dyn.h"
#include "space_filter.h"

enum { P_FREQ, P_THRESHOLD, P_RANGE, P_Q, P_MODE, P_ATTACK, P_RELEASE };
enum { MODE_SPLIT, MODE_WIDE };

#define DS_CHUNK 256u /* frames per inner pass; also the grid of state flushes */

static const char *const mode_names[] = {"split", "wide", NULL};

static const md_param_desc ds_params[] = {
    [P_FREQ] = {"freq", "Hz", 1000.0, 16000.0, 6500.0,
                "centre of the band the detector listens to (and split mode turns down)",
                MD_PT_NUMBER, MD_PARAM_LOG},
    [P_THRESHOLD] = {"threshold", "dB", -80.0, 0.0, -30.0,
                     "band peak level (dBFS) above which the reduction starts", MD_PT_NUMBER,
                     MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [P_RANGE] = {"range", "dB", 0.0, 40.0, 12.0, "largest reduction", MD_PT_NUMBER,
                 MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [P_Q] = {"q", "", 0.3, 10.0, 1.5, "width of the band (RBJ Q; higher = narrower)", MD_PT_NUMBER,
             0},
    [P_MODE] = {"mode", "", 0, 1, MODE_SPLIT,
                "split: turn down the band only; wide: turn down the whole signal", MD_PT_ENUM, 0,
                mode_names},
    [P_ATTACK] = {"attack", "ms", 0.0, 100.0, 1.0,
                  "time constant of a growing reduction (63 % of a step)", MD_PT_NUMBER, 0},
    [P_RELEASE] = {"release", "ms", 1.0, 2000.0, 80.0,
                   "time constant of a shrinking reduction (63 % of a step)", MD_PT_NUMBER, 0},
    {NULL},
};

typedef struct ds_priv {
    unsigned ch;
    int wide;
    double rate_hz;
    sp_bq bp;
    sp_v2 z[MD_MAX_CHANNELS / 2][2]; /* band-pass states, channels in pairs */
    float thr, range;
    float floor; /* linear peak at the threshold: below it, no reduction */
    sd_env env;
    float *band; /* (ch + 1) x DS_CHUNK: band-passed channels */
    float *r;    /* DS_CHUNK: reduction, then gain */
    uint64_t pos;
} ds_priv;

static void ds_release(md_node *n)
{
    ds_priv *p = md_node_priv(n);
    md_aligned_free(p->band);
    md_aligned_free(p->r);
    p->band = p->r = NULL;
}

static md_status ds_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    ds_priv *p = md_node_priv(n);
    (void)out;
    double f = md_node_value(n, P_FREQ);
    if (!(f < 0.45 * in->rate_hz))
        return md_error_set(err, MD_ERR_INVALID,
                            "deesser: freq must be below %.10g Hz (0.45 x the sample rate), "
                            "got %.10g",
                            0.45 * in->rate_hz, f);
    p->ch = in->channels;
    p->rate_hz = in->rate_hz;
    p->band = md_aligned_alloc(sizeof(float) * (p->ch + 1) * DS_CHUNK);
    p->r = md_aligned_alloc(sizeof(float) * DS_CHUNK);
    if (!p->band || !p->r) {
        ds_release(n);
        return md_error_set(err, MD_ERR_NOMEM, "deesser: out of memory");
    }
    return MD_OK;
}

static void ds_update(md_node *n)
{
    ds_priv *p = md_node_priv(n);
    double f = md_node_value(n, P_FREQ);
    if (f < 0.45 * p->rate_hz) /* prepare reports a frequency out of reach */
        sp_bq_design(&p->bp, SP_BANDPASS, p->rate_hz, f, md_node_value(n, P_Q));
    p->thr = (float)md_node_value(n, P_THRESHOLD);
    p->floor = (float)pow(10.0, p->thr / 20.0);
    p->range = (float)md_node_value(n, P_RANGE);
    p->wide = (int)md_node_value(n, P_MODE) == MODE_WIDE;
    sd_env_set(&p->env, md_node_value(n, P_ATTACK), md_node_value(n, P_RELEASE), p->rate_hz);
}

static void ds_reset(md_node *n)
{
    ds_priv *p = md_node_priv(n);
    memset(p->z, 0, sizeof p->z);
    sd_env_reset(&p->env);
    p->pos = 0;
}

static unsigned ds_tail(const md_node *n)
{
    const ds_priv *p = md_node_priv(n);
    /* wide: out = g x stops with x; split: the band-pass rings on */
    return p->wide ? 0 : (unsigned)ceil(sp_bq_decay_frames(&p->bp, 1e-7));
}

static void ds_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    ds_priv *p = md_node_priv(n);
    const unsigned ch = p->ch;
    float *r = p->r;
    unsigned done = 0;
    while (done < frames) {
        unsigned nfr = DS_CHUNK - (unsigned)(p->pos % DS_CHUNK);
        if (nfr > frames - done)
            nfr = frames - done;
        /* band-pass, two channels at a time */
        for (unsigned c = 0; c < ch; c += 2) {
            const float *x0 = in[c] + done, *x1 = c + 1 < ch ? in[c + 1] + done : x0;
            float *b0 = p->band + (size_t)c * DS_CHUNK, *b1 = b0 + DS_CHUNK;
            sp_v2 *z = p->z[c / 2];
            if (c + 1 < ch) {
                for (unsigned t = 0; t < nfr; t++) {
                    sp_v2 y = sp_bq_run2(&p->bp, z, (sp_v2){x0[t], x1[t]});
                    b0[t] = (float)y[0];
                    b1[t] = (float)y[1];
                }
            } else {
                for (unsigned t = 0; t < nfr; t++)
                    b0[t] = (float)sp_bq_run2(&p->bp, z, (sp_v2){x0[t], 0.0})[0];
            }
        }
        /* wanted reduction, smoothing, then the gain; only the smoothing is
         * serial */
        for (unsigned t = 0; t < nfr; t++) {
            float peak = 0.0f;
            for (unsigned c = 0; c < ch; c++) {
                float a = fabsf(p->band[(size_t)c * DS_CHUNK + t]);
                peak = a > peak ? a : peak;
            }
            float d = peak > p->floor ? dyn_amp_to_db(peak) - p->thr : 0.0f;
            r[t] = d < 0.0f ? 0.0f : (d > p->range ? p->range : d);
        }
        for (unsigned t = 0; t < nfr; t++)
            r[t] = sd_env_run(&p->env, r[t]);
        for (unsigned t = 0; t < nfr; t++)
            r[t] = r[t] > 0.0f ? dyn_db_to_amp(-r[t]) : 1.0f; /* the gain g */
        for (unsigned c = 0; c < ch; c++) {
            const float *x = in[c] + done, *b = p->band + (size_t)c * DS_CHUNK;
            float *y = out[c] + done;
            if (p->wide)
                for (unsigned t = 0; t < nfr; t++)
                    y[t] = r[t] * x[t];
            else
                for (unsigned t = 0; t < nfr; t++)
                    y[t] = x[t] - (1.0f - r[t]) * b[t];
        }
        p->pos += nfr;
        done += nfr;
        if (p->pos % DS_CHUNK == 0)
            sp_flush((double *)(void *)p->z, 4 * ((ch + 1) / 2));
    }
}

const md_node_vtable md_node_deesser = {
    .name = "deesser",
    .doc = "Tame sibilance: listen to a band around freq and, while it is above the "
           "threshold, turn down that band (split) or the whole signal (wide), by at most "
           "range dB.",
    .params = ds_params,
    .priv_size = sizeof(ds_priv),
    .inputs = 1,
    .prepare = ds_prepare,
    .update = ds_update,
    .reset = ds_reset,
    .process = ds_process,
    .tail = ds_tail,
    .release = ds_release,
};
