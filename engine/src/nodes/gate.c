/* gate.c - gate{threshold, range, attack, hold, release, hysteresis} and
 * expander{threshold, ratio, range, attack, release, mode}.
 *
 *   in ─┬──────────────────────────────────────────────(x)──> out
 *       └─> max |x| over channels ─> max over 10 ms ─> dB ─> curve ─> smooth ─┘
 *
 * Detector (both): the largest |x| of any channel over the last 10 ms (a
 * sliding maximum: a steady tone of 50 Hz or more reads its peak, with no
 * ripple). One gain for all channels.
 *
 * gate: opens when the level reaches `threshold`, closes when it falls under
 * threshold - hysteresis and has stayed there for `hold` ms; open = 0 dB,
 * closed = -range dB. Closing therefore starts hold ms after the detector
 * falls, i.e. at most hold + 10 ms after the last loud sample.
 *
 * expander, level x and threshold T in dBFS, gain change in dB:
 *   down: x < T: (ratio - 1)(x - T), no lower than -range; x >= T: 0
 *   up:   x > T: (ratio - 1)(x - T), no higher than +range; x <= T: 0
 * i.e. output level T + ratio (x - T) on the expanded side of the threshold.
 *
 * Smoothing (both): a one-pole on the gain in dB, `attack` as time constant
 * while the gain rises (opening, or an upward boost growing) and `release`
 * while it falls.
 */
#include <stdlib.h>
#include "dyn_common.h"

#define DET_WINDOW_MS 10.0

enum { G_THRESHOLD, G_RANGE, G_ATTACK, G_HOLD, G_RELEASE, G_HYSTERESIS };
enum { E_THRESHOLD, E_RATIO, E_RANGE, E_ATTACK, E_RELEASE, E_MODE };
enum { MODE_DOWN, MODE_UP };
static const char *const mode_names[] = {"down", "up", NULL};

static const md_param_desc gate_params[] = {
    [G_THRESHOLD] = {"threshold", "dB", -120.0, 0.0, -40.0,
                     "peak level (dBFS) at which the gate opens", MD_PT_NUMBER,
                     MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [G_RANGE] = {"range", "dB", 0.0, 120.0, 80.0, "attenuation when closed", MD_PT_NUMBER,
                 MD_PARAM_AUTOMATABLE},
    [G_ATTACK] = {"attack", "ms", 0.0, 1000.0, 1.0, "time constant of opening",
                  MD_PT_NUMBER, 0},
    [G_HOLD] = {"hold", "ms", 0.0, 5000.0, 10.0,
                "time the gate stays open after the level falls", MD_PT_NUMBER, 0},
    [G_RELEASE] = {"release", "ms", 1.0, 5000.0, 100.0, "time constant of closing",
                   MD_PT_NUMBER, 0},
    [G_HYSTERESIS] = {"hysteresis", "dB", 0.0, 40.0, 3.0,
                      "the gate closes this far under the threshold", MD_PT_NUMBER, 0},
    {NULL},
};

static const md_param_desc exp_params[] = {
    [E_THRESHOLD] = {"threshold", "dB", -120.0, 0.0, -40.0,
                     "peak level (dBFS) where expansion starts", MD_PT_NUMBER,
                     MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [E_RATIO] = {"ratio", "", 1.0, 20.0, 2.0,
                 "output dB per input dB on the expanded side of the threshold", MD_PT_NUMBER,
                 MD_PARAM_AUTOMATABLE},
    [E_RANGE] = {"range", "dB", 0.0, 120.0, 40.0, "largest gain change", MD_PT_NUMBER,
                 MD_PARAM_AUTOMATABLE},
    [E_ATTACK] = {"attack", "ms", 0.0, 1000.0, 1.0, "time constant of a rising gain",
                  MD_PT_NUMBER, 0},
    [E_RELEASE] = {"release", "ms", 1.0, 5000.0, 100.0, "time constant of a falling gain",
                   MD_PT_NUMBER, 0},
    [E_MODE] = {"mode", "", 0, 1, MODE_DOWN,
                "down: expand below the threshold; up: expand (boost) above it", MD_PT_ENUM, 0,
                mode_names},
    {NULL},
};

typedef struct gx_priv {
    dyn_meter meter; /* first: read by md_dyn_gain_reduction_db */
    int is_gate;
    unsigned ch;
    float thr, range, ratio, hyst, a_att, a_rel;
    int mode;
    unsigned hold; /* frames */
    dyn_wmax det;
    float *lvl, *g; /* max_frames each */
    float gdb;      /* smoothed gain, dB */
    int open;
    unsigned hold_left;
} gx_priv;

static md_status gx_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    gx_priv *p = md_node_priv(n);
    (void)out;
    p->is_gate = md_node_type(n)->params == gate_params;
    p->ch = in->channels;
    unsigned w = (unsigned)lround(DET_WINDOW_MS * 1e-3 * in->rate_hz);
    p->lvl = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    p->g = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    if (!p->lvl || !p->g || mdi_dyn_wmax_init(&p->det, w ? w : 1) != 0)
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", md_node_name(n));
    return MD_OK;
}

static void gx_release(md_node *n)
{
    gx_priv *p = md_node_priv(n);
    md_aligned_free(p->lvl);
    md_aligned_free(p->g);
    p->lvl = p->g = NULL;
    mdi_dyn_wmax_free(&p->det);
}

static void gx_update(md_node *n)
{
    gx_priv *p = md_node_priv(n);
    double fs = md_node_out(n)->rate_hz;
    if (p->is_gate) {
        p->thr = (float)md_node_value(n, G_THRESHOLD);
        p->range = (float)md_node_value(n, G_RANGE);
        p->a_att = dyn_coef(md_node_value(n, G_ATTACK), fs);
        p->a_rel = dyn_coef(md_node_value(n, G_RELEASE), fs);
        p->hyst = (float)md_node_value(n, G_HYSTERESIS);
        p->hold = (unsigned)lround(md_node_value(n, G_HOLD) * 1e-3 * fs);
    } else {
        p->thr = (float)md_node_value(n, E_THRESHOLD);
        p->ratio = (float)md_node_value(n, E_RATIO);
        p->range = (float)md_node_value(n, E_RANGE);
        p->a_att = dyn_coef(md_node_value(n, E_ATTACK), fs);
        p->a_rel = dyn_coef(md_node_value(n, E_RELEASE), fs);
        p->mode = (int)md_node_value(n, E_MODE);
    }
}

static void gx_reset(md_node *n)
{
    gx_priv *p = md_node_priv(n);
    mdi_dyn_wmax_reset(&p->det);
    /* a gate starts closed, an expander at its resting gain for silence */
    p->open = 0;
    p->hold_left = 0;
    if (p->is_gate)
        p->gdb = -p->range;
    else
        p->gdb = p->mode == MODE_DOWN ? -p->range : 0.0f;
    p->meter.gr_db = -p->gdb;
    p->meter.gr_max_db = -p->gdb;
}

/* The gate's target gain for a detector level, with hysteresis and hold. */
static inline float gate_target(gx_priv *p, float x)
{
    if (x >= p->thr) {
        p->open = 1;
        p->hold_left = p->hold;
    } else if (x < p->thr - p->hyst && p->open) {
        if (p->hold_left > 0)
            p->hold_left--;
        else
            p->open = 0;
    }
    return p->open ? 0.0f : -p->range;
}

static inline float expander_target(const gx_priv *p, float x)
{
    float o = x - p->thr, g;
    if (p->mode == MODE_DOWN) {
        g = o < 0.0f ? (p->ratio - 1.0f) * o : 0.0f;
        return g < -p->range ? -p->range : g;
    }
    g = o > 0.0f ? (p->ratio - 1.0f) * o : 0.0f;
    return g > p->range ? p->range : g;
}

static void gx_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    gx_priv *p = md_node_priv(n);
    if (frames == 0)
        return;
    float *lvl = p->lvl;
    for (unsigned i = 0; i < frames; i++)
        lvl[i] = fabsf(in[0][i]);
    for (unsigned c = 1; c < p->ch; c++)
        for (unsigned i = 0; i < frames; i++) {
            float a = fabsf(in[c][i]);
            lvl[i] = a > lvl[i] ? a : lvl[i];
        }
    float gdb = p->gdb, gmin = gdb;
    for (unsigned i = 0; i < frames; i++) {
        float x = dyn_amp_to_db(dyn_wmax_push(&p->det, lvl[i]));
        float t = p->is_gate ? gate_target(p, x) : expander_target(p, x);
        float a = t > gdb ? p->a_att : p->a_rel;
        gdb = t + a * (gdb - t);
        if (fabsf(gdb - t) < 1e-6f)
            gdb = t; /* land exactly, so an open gate is exactly unity */
        gmin = gdb < gmin ? gdb : gmin;
        p->g[i] = dyn_db_to_amp(gdb);
    }
    p->gdb = gdb;
    p->meter.gr_db = -gdb;
    p->meter.gr_max_db = -gmin;
    for (unsigned c = 0; c < p->ch; c++) {
        const float *x = in[c], *g = p->g;
        float *y = out[c];
        for (unsigned i = 0; i < frames; i++)
            y[i] = x[i] * g[i];
    }
}

const md_node_vtable md_node_gate = {
    .name = "gate",
    .doc = "Noise gate: opens at the threshold, closes under threshold - hysteresis after "
           "the hold time, attenuating by range dB when closed.",
    .params = gate_params,
    .priv_size = sizeof(gx_priv),
    .inputs = 1,
    .prepare = gx_prepare,
    .update = gx_update,
    .reset = gx_reset,
    .process = gx_process,
    .release = gx_release,
};

const md_node_vtable md_node_expander = {
    .name = "expander",
    .doc = "Downward expander (quiet parts quieter: output T + ratio (x - T) below the "
           "threshold T, down to -range dB) or upward expander (loud parts louder above T, "
           "up to +range dB).",
    .params = exp_params,
    .priv_size = sizeof(gx_priv),
    .inputs = 1,
    .prepare = gx_prepare,
    .update = gx_update,
    .reset = gx_reset,
    .process = gx_process,
    .release = gx_release,
};
