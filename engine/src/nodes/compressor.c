/* compressor.c - compressor{threshold, ratio, attack, release, knee, makeup,
 * detector, lookahead, link, sidechain, sidechain_hpf, mix, channel}.
 *
 * Feed-forward (Giannoulis, Massberg & Reiss, JAES 2012):
 *
 *   in ──┬─────────────── lookahead delay ──────────────┬──(x)──> mix ──> out
 *        │                                              │   ^      ^
 *   sidechain? ─> mid/side? ─> high-pass ─> detector ─> dB ─> static curve
 *        ─> reduction ─> [peak hold, release] ─> [attack] ─> dB→gain x makeup
 *
 * Detector: peak = |x|; rms = mean square over a 20 ms one-pole window (a
 * sine reads 3.01 dB lower). The reduction r = -(curve(level) - level) >= 0
 * goes through two one-pole stages in dB: stage 1 takes any larger r at once
 * and falls toward the current r with the release time constant; stage 2
 * follows a falling stage 1 at once and a rising one with the attack time
 * constant. So a step reaches 63 % of its gain change after `attack` ms
 * (more reduction) or `release` ms (less), and a steady tone is held at its
 * peak level instead of rippling at its own frequency.
 *
 * link blends each channel's reduction with the largest: r_c' = link max(r) +
 * (1 - link) r_c. A sidechain with as many channels as the input keeps the
 * per-channel detectors; any other count is linked into one detector. makeup
 * "auto" is -gc(0 dBFS): a 0 dBFS detector level comes out at 0 dBFS (the
 * tutorial's rule). mix blends the (delayed) dry signal: out = dry (1 - mix)
 * + wet mix. channel = mid|side (stereo only) compresses M = (L+R)/2 or
 * S = (L-R)/2, detected on that same component, and leaves the other one
 * untouched.
 */
#include <stdlib.h>
#include "dyn_common.h"

enum {
    P_THRESHOLD, P_RATIO, P_ATTACK, P_RELEASE, P_KNEE, P_MAKEUP, P_DETECTOR, P_LOOKAHEAD,
    P_LINK, P_SIDECHAIN, P_SIDECHAIN_HPF, P_MIX, P_CHANNEL
};
enum { DET_PEAK, DET_RMS };
enum { CH_ALL, CH_MID, CH_SIDE };

static const char *const detector_names[] = {"peak", "rms", NULL};
static const char *const channel_names[] = {"all", "mid", "side", NULL};

#define RMS_WINDOW_MS 20.0

static const md_param_desc comp_params[] = {
    [P_THRESHOLD] = {"threshold", "dB", -80.0, 0.0, -18.0,
                     "level (dBFS, as the detector reads it) where compression starts",
                     MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [P_RATIO] = {"ratio", "", 1.0, 100.0, 2.0,
                 "input dB over the threshold per output dB (1 = no compression)", MD_PT_NUMBER,
                 MD_PARAM_AUTOMATABLE},
    [P_ATTACK] = {"attack", "ms", 0.0, 1000.0, 10.0,
                  "time constant of a growing reduction (63 % of a step)", MD_PT_NUMBER, 0},
    [P_RELEASE] = {"release", "ms", 1.0, 5000.0, 100.0,
                   "time constant of a shrinking reduction (63 % of a step)", MD_PT_NUMBER, 0},
    [P_KNEE] = {"knee", "dB", 0.0, 40.0, 6.0,
                "width of the soft knee around the threshold (0 = hard)",
                MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [P_MAKEUP] = {"makeup", "dB", -24.0, 48.0, 0.0,
                  "gain after compression, or \"auto\": a 0 dBFS level comes out at 0 dBFS",
                  MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB | MD_PARAM_AUTO},
    [P_DETECTOR] = {"detector", "", 0, 1, DET_PEAK,
                    "level detector: peak, or rms (20 ms; a sine reads 3.01 dB lower)",
                    MD_PT_ENUM, 0, detector_names},
    [P_LOOKAHEAD] = {"lookahead", "ms", 0.0, 20.0, 0.0,
                     "delay of the audio behind the detector (reported as latency)",
                     MD_PT_NUMBER, 0},
    [P_LINK] = {"link", "", 0.0, 1.0, 1.0,
                "stereo link: 1 = every channel gets the largest reduction, 0 = independent",
                MD_PT_NUMBER, 0},
    [P_SIDECHAIN] = {"sidechain", "", 0, 0, 0, "node whose level drives the reduction",
                     MD_PT_NODE, 0},
    [P_SIDECHAIN_HPF] = {"sidechain_hpf", "Hz", 0.0, 2000.0, 0.0,
                         "12 dB/oct high-pass on the detector path (0 = off)", MD_PT_NUMBER,
                         0},
    [P_MIX] = {"mix", "", 0.0, 1.0, 1.0, "wet share for parallel compression (0 = dry)",
               MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [P_CHANNEL] = {"channel", "", 0, 2, CH_ALL,
                   "what to compress: all channels, or the mid or side of a stereo pair",
                   MD_PT_ENUM, 0, channel_names},
    {NULL},
};

typedef struct comp_priv {
    dyn_meter meter; /* first: read by md_dyn_gain_reduction_db */
    unsigned ch, nd;  /* output channels; detector channels */
    int per_channel;  /* one gain per channel (else one shared gain) */
    int mode, rms;
    float thr, rinv, knee, a_att, a_rel, a_rms, link;
    int hpf_on;
    dyn_hpf_coef hpf;
    double hz[MD_MAX_CHANNELS][2];
    float ms[MD_MAX_CHANNELS];
    float y1[MD_MAX_CHANNELS], y2[MD_MAX_CHANNELS];
    unsigned look;
    dyn_delay dl;
    float *det;  /* nd x max_frames detector signal (when it must be computed) */
    const float *dp[MD_MAX_CHANNELS]; /* this block's detector channels */
    float *gain; /* ch x max_frames linear gain (without makeup) */
    float *mk, *mx;
} comp_priv;

static md_status comp_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    comp_priv *p = md_node_priv(n);
    unsigned sc = md_node_sidechain_channels(n);
    (void)out;
    p->ch = in->channels;
    p->mode = (int)md_node_value(n, P_CHANNEL);
    if (p->mode != CH_ALL && p->ch != 2)
        return md_error_set(err, MD_ERR_GRAPH, "compressor: channel %s needs 2 channels, got %u",
                            channel_names[p->mode], p->ch);
    double hpf = md_node_value(n, P_SIDECHAIN_HPF);
    if (hpf > 0.0 && !(hpf < 0.45 * in->rate_hz))
        return md_error_set(err, MD_ERR_INVALID,
                            "compressor: sidechain_hpf must be below 0.45 x the sample rate "
                            "(%g Hz), got %g",
                            0.45 * in->rate_hz, hpf);
    unsigned src = sc ? sc : p->ch;
    if (p->mode != CH_ALL)
        p->nd = src == 2 ? 1 : src;
    else
        p->nd = src;
    p->per_channel = p->mode == CH_ALL && p->nd == p->ch;
    p->look = (unsigned)lround(md_node_value(n, P_LOOKAHEAD) * 1e-3 * in->rate_hz);
    size_t mf = (size_t)in->max_frames + 1;
    p->det = md_aligned_alloc(sizeof(float) * mf * p->nd);
    p->gain = md_aligned_alloc(sizeof(float) * mf * p->ch);
    p->mk = md_aligned_alloc(sizeof(float) * mf);
    p->mx = md_aligned_alloc(sizeof(float) * mf);
    if (!p->det || !p->gain || !p->mk || !p->mx ||
        mdi_dyn_delay_init(&p->dl, p->ch, p->look, in->max_frames) != 0)
        return md_error_set(err, MD_ERR_NOMEM, "compressor: out of memory");
    return MD_OK;
}

static void comp_release(md_node *n)
{
    comp_priv *p = md_node_priv(n);
    md_aligned_free(p->det);
    md_aligned_free(p->gain);
    md_aligned_free(p->mk);
    md_aligned_free(p->mx);
    mdi_dyn_delay_free(&p->dl);
    p->det = p->gain = p->mk = p->mx = NULL;
}

static void comp_update(md_node *n)
{
    comp_priv *p = md_node_priv(n);
    double fs = md_node_out(n)->rate_hz;
    p->thr = (float)md_node_value(n, P_THRESHOLD);
    p->rinv = (float)(1.0 / md_node_value(n, P_RATIO));
    p->knee = (float)md_node_value(n, P_KNEE);
    p->a_att = dyn_coef(md_node_value(n, P_ATTACK), fs);
    p->a_rel = dyn_coef(md_node_value(n, P_RELEASE), fs);
    p->a_rms = dyn_coef(RMS_WINDOW_MS, fs);
    p->rms = (int)md_node_value(n, P_DETECTOR) == DET_RMS;
    p->link = (float)md_node_value(n, P_LINK);
    double hpf = md_node_value(n, P_SIDECHAIN_HPF);
    p->hpf_on = hpf > 0.0;
    if (p->hpf_on)
        mdi_dyn_hpf_design(&p->hpf, hpf, fs);
}

static void comp_reset(md_node *n)
{
    comp_priv *p = md_node_priv(n);
    memset(p->hz, 0, sizeof p->hz);
    memset(p->ms, 0, sizeof p->ms);
    memset(p->y1, 0, sizeof p->y1);
    memset(p->y2, 0, sizeof p->y2);
    p->meter.gr_db = p->meter.gr_max_db = 0.0f;
    mdi_dyn_delay_reset(&p->dl);
}

static unsigned comp_latency(const md_node *n)
{
    const comp_priv *p = md_node_priv(n);
    return p->look;
}

/* Reduction (dB >= 0) from the static curve, for a block of levels in dB
 * (in place); branch-free so that it vectorises. */
static inline float curve_lane(float x, float thr, float rinv, float w, float inv2w, float half)
{
    float o = x - thr, k = o + half;
    float soft = (1.0f - rinv) * k * k * inv2w, hard = (1.0f - rinv) * o;
    float v = 2.0f * o <= w ? soft : hard;
    return 2.0f * o < -w ? 0.0f : v;
}

/* r = reduction for linear levels lvl (in place allowed): dB and curve in one pass */
DYN_CLONES
static void curve_block(float *r, const float *lvl, unsigned frames, float scale_db, float thr,
                        float rinv, float w)
{
    const float inv2w = w > 0.0f ? 1.0f / (2.0f * w) : 0.0f, half = 0.5f * w;
    const float to_db = scale_db * 0.301029996f;
    for (unsigned i = 0; i < frames; i++)
        r[i] = curve_lane(dyn_db_lane(lvl[i], to_db), thr, rinv, w, inv2w, half);
}

/* y *= the gain with makeup, blended with the dry signal by mix */
DYN_CLONES
static void apply_gain(float *y, const float *g, const float *mk, const float *mx,
                       unsigned frames)
{
    for (unsigned i = 0; i < frames; i++)
        y[i] *= 1.0f + mx[i] * (g[i] * mk[i] - 1.0f);
}

/* largest |x| of the channels, per frame */
DYN_CLONES
static void abs_max_block(float *lvl, const float *const *d, unsigned k0, unsigned k1,
                          unsigned frames)
{
    const float *d0 = d[k0];
    for (unsigned i = 0; i < frames; i++)
        lvl[i] = fabsf(d0[i]);
    for (unsigned k = k0 + 1; k < k1; k++) {
        const float *dk = d[k];
        for (unsigned i = 0; i < frames; i++) {
            float a = fabsf(dk[i]);
            lvl[i] = a > lvl[i] ? a : lvl[i];
        }
    }
}

/* The two smoothing stages (see the top of the file), in dB of reduction. */
static inline float smooth(float r, float *y1, float *y2, float a_att, float a_rel)
{
    float s1 = a_rel * *y1 + (1.0f - a_rel) * r;
    if (s1 < r)
        s1 = r;
    if (s1 < 1e-12f)
        s1 = 0.0f; /* no denormals on the way back to 0 */
    float s2 = *y2;
    s2 = s1 > s2 ? a_att * s2 + (1.0f - a_att) * s1 : s1;
    *y1 = s1;
    *y2 = s2;
    return s2;
}

/* Linear level of detector channels k0..k1-1 (largest), into lvl: |x| for
 * peak, the 20 ms mean square for rms. */
static void level_block(comp_priv *p, unsigned k0, unsigned k1, float *lvl, unsigned frames)
{
    if (!p->rms) {
        abs_max_block(lvl, p->dp, k0, k1, frames);
        return;
    }
    const float c = 1.0f - p->a_rms;
    for (unsigned k = k0; k < k1; k++) {
        const float *d = p->dp[k];
        float m = p->ms[k];
        for (unsigned i = 0; i < frames; i++) {
            m += c * (d[i] * d[i] - m);
            if (m < 1e-30f)
                m = 0.0f;
            lvl[i] = (k == k0 || m > lvl[i]) ? m : lvl[i];
        }
        p->ms[k] = m;
    }
}

/* Points p->dp at the signal the detectors listen to: the input or the
 * sidechain as they are, or their mid/side and high-passed versions in p->det. */
static void build_detector(comp_priv *p, const float *const *in, unsigned sc, unsigned frames)
{
    const float *const *src = sc ? in + p->ch : in;
    unsigned nsrc = sc ? sc : p->ch;
    if (p->mode != CH_ALL && nsrc == 2) {
        float s = p->mode == CH_MID ? 1.0f : -1.0f;
        for (unsigned i = 0; i < frames; i++)
            p->det[i] = 0.5f * (src[0][i] + s * src[1][i]);
        p->dp[0] = p->det;
    } else {
        for (unsigned k = 0; k < nsrc; k++) {
            if (p->hpf_on) {
                memcpy(p->det + (size_t)k * frames, src[k], sizeof(float) * frames);
                p->dp[k] = p->det + (size_t)k * frames;
            } else {
                p->dp[k] = src[k];
            }
        }
    }
    if (p->hpf_on)
        for (unsigned k = 0; k < p->nd; k++) {
            float *d = p->det + (size_t)k * frames;
            double *z = p->hz[k];
            for (unsigned i = 0; i < frames; i++)
                d[i] = dyn_hpf_run(&p->hpf, z, d[i]);
            if (fabs(z[0]) < 1e-30 && fabs(z[1]) < 1e-30)
                z[0] = z[1] = 0.0; /* at these sizes this changes no float output */
        }
}

static void comp_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    comp_priv *p = md_node_priv(n);
    if (frames == 0)
        return;
    unsigned sc = md_node_sidechain_channels(n);
    build_detector(p, in, sc, frames);

    const float a_att = p->a_att, a_rel = p->a_rel;
    const float scale_db = p->rms ? 10.0f : 20.0f; /* rms levels are mean squares */
    const int split = p->per_channel && p->link < 1.0f;
    float grmax = 0.0f;
    if (split) {
        /* a reduction per channel, blended with the largest */
        for (unsigned c = 0; c < p->ch; c++) {
            float *r = p->gain + (size_t)c * frames;
            level_block(p, c, c + 1, r, frames);
            curve_block(r, r, frames, scale_db, p->thr, p->rinv, p->knee);
        }
        const float link = p->link;
        for (unsigned i = 0; i < frames; i++) {
            float rmax = 0.0f;
            for (unsigned c = 0; c < p->ch; c++)
                rmax = p->gain[(size_t)c * frames + i] > rmax ? p->gain[(size_t)c * frames + i]
                                                              : rmax;
            for (unsigned c = 0; c < p->ch; c++) {
                float *r = p->gain + (size_t)c * frames + i;
                float g = smooth(link * rmax + (1.0f - link) * *r, &p->y1[c], &p->y2[c], a_att,
                                 a_rel);
                grmax = g > grmax ? g : grmax;
                *r = -g;
            }
        }
        for (unsigned c = 0; c < p->ch; c++)
            mdi_dyn_amp_block(p->gain + (size_t)c * frames, p->gain + (size_t)c * frames,
                              frames);
    } else {
        /* one shared gain: the loudest detector channel decides (the curve is
         * monotonic, so this equals linking the reductions) */
        float *r = p->gain;
        level_block(p, 0, p->nd, r, frames);
        curve_block(r, r, frames, scale_db, p->thr, p->rinv, p->knee);
        float y1 = p->y1[0], y2 = p->y2[0];
        for (unsigned i = 0; i < frames;) {
            /* under the knee stage 1 only decays: a_rel y1 + (1 - a_rel) 0 is
             * a_rel y1 exactly, and max(0, it) is it (y1 >= 0); a loop of its
             * own keeps the add and the max off the recursion */
            for (; i < frames && r[i] == 0.0f; i++) {
                float s1 = a_rel * y1;
                if (s1 < 1e-12f)
                    s1 = 0.0f;
                y2 = s1 > y2 ? a_att * y2 + (1.0f - a_att) * s1 : s1;
                y1 = s1;
                grmax = y2 > grmax ? y2 : grmax;
                r[i] = -y2;
            }
            /* over it, s1 >= r >= 1e-12 needs no guard against denormals */
            for (; i < frames && r[i] >= 1e-12f; i++) {
                float s1 = a_rel * y1 + (1.0f - a_rel) * r[i];
                s1 = s1 < r[i] ? r[i] : s1;
                y2 = s1 > y2 ? a_att * y2 + (1.0f - a_att) * s1 : s1;
                y1 = s1;
                grmax = y2 > grmax ? y2 : grmax;
                r[i] = -y2;
            }
            if (i < frames && r[i] != 0.0f && !(r[i] >= 1e-12f)) { /* tiny or NaN */
                float g = smooth(r[i], &y1, &y2, a_att, a_rel);
                grmax = g > grmax ? g : grmax;
                r[i] = -g;
                i++;
            }
        }
        mdi_dyn_amp_block(r, r, frames);
        for (unsigned c = 0; c < p->ch; c++) {
            p->y1[c] = y1;
            p->y2[c] = y2;
        }
    }
    float grcur = 0.0f;
    for (unsigned c = 0; c < p->ch; c++)
        if (p->y2[c] > grcur)
            grcur = p->y2[c];
    p->meter.gr_db = grcur;
    p->meter.gr_max_db = grmax;

    /* makeup and mix, smoothed per sample */
    if (isnan(md_node_value(n, P_MAKEUP))) {
        float m = dyn_db_to_amp(-dyn_compress_gc(0.0f, p->thr, p->rinv, p->knee));
        for (unsigned i = 0; i < frames; i++)
            p->mk[i] = m;
    } else {
        md_node_fill_param(n, P_MAKEUP, p->mk, frames, 1);
    }
    md_node_fill_param(n, P_MIX, p->mx, frames, 0);

    for (unsigned c = 0; c < p->ch; c++)
        mdi_dyn_delay_run(&p->dl, c, in[c], out[c], frames);
    mdi_dyn_delay_advance(&p->dl, frames);

    const float *mk = p->mk, *mx = p->mx;
    if (p->mode == CH_ALL) {
        for (unsigned c = 0; c < p->ch; c++) {
            apply_gain(out[c], p->gain + (split ? (size_t)c * frames : 0), mk, mx, frames);
        }
    } else {
        /* M/S: scale only the chosen component */
        const float *g = p->gain;
        float *l = out[0], *r = out[1];
        for (unsigned i = 0; i < frames; i++) {
            float m = 0.5f * (l[i] + r[i]), s = 0.5f * (l[i] - r[i]);
            float k = 1.0f + mx[i] * (g[i] * mk[i] - 1.0f);
            if (p->mode == CH_MID)
                m *= k;
            else
                s *= k;
            l[i] = m + s;
            r[i] = m - s;
        }
    }
}

const md_node_vtable md_node_compressor = {
    .name = "compressor",
    .doc = "Feed-forward compressor (Giannoulis/Massberg/Reiss soft knee) with peak or rms "
           "detection, stereo link, lookahead, external sidechain with high-pass, parallel "
           "mix and mid/side operation. Attack and release are the time constants of the "
           "gain change in dB.",
    .params = comp_params,
    .priv_size = sizeof(comp_priv),
    .inputs = 2,
    .prepare = comp_prepare,
    .update = comp_update,
    .reset = comp_reset,
    .process = comp_process,
    .latency = comp_latency,
    .release = comp_release,
};
