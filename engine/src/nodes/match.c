/* match.c - match{curve, amount, max_boost, max_cut, gain, width}: the node
 * that reference mastering inserts (lua/lib/mixdown/match.lua measures the
 * reference and the input and builds its parameters), usable on its own.
 *
 *   L,R -> [M/S: S x width] -> x gain -> linear-phase FIR of the curve -> L,R
 *
 * The curve is a list of {freq, gain} points; between them the gain is
 * interpolated linearly in log frequency, and beyond the first and the last
 * point it holds their value. Each point's gain is multiplied by amount, then
 * the result is limited to -max_cut .. +max_boost dB. The FIR is linear-phase
 * (match_fir.h: 16383 taps at 44.1/48 kHz, latency 9215 frames = 0.21 s at
 * 44.1 kHz, reported so the graph compensates it): a matching EQ is a broad,
 * smooth correction, which a linear-phase filter makes without the phase
 * shifts a minimum-phase one would add to the tonal balance it corrects, and
 * its pre-echo is negligible for curves as smooth as 1/6 octave.
 *
 * Width and gain act before the FIR: the FIR is the same on every channel, so
 * the order does not change the result, and automation of either stays aligned
 * with the input. A flat curve (no points, amount 0, or 0 dB everywhere) is an
 * exact delay: with width 1 and gain 0 the output is the input bit for bit.
 */
#include "../internal.h"
#include "match_fir.h"
#include <math.h>
#include <stdio.h>

#define MATCH_MAX_POINTS 256

enum { P_CURVE, P_AMOUNT, P_MAX_BOOST, P_MAX_CUT, P_GAIN, P_WIDTH };
enum { F_FREQ, F_GAIN };

static const md_param_desc point_fields[] = {
    [F_FREQ] = {"freq", "Hz", 1.0, MD_MAX_RATE / 2, 1000.0, "frequency of the point",
                MD_PT_NUMBER, MD_PARAM_LOG},
    [F_GAIN] = {"gain", "dB", -48.0, 48.0, 0.0, "gain of the curve at freq", MD_PT_NUMBER,
                MD_PARAM_DB},
    {NULL},
};

static const md_param_desc match_params[] = {
    [P_CURVE] = {"curve", "", 0, 0, 0,
                 "the matching EQ: up to 256 {freq, gain} points (e.g. a 1/6-octave grid), "
                 "interpolated in log frequency, held beyond the ends",
                 MD_PT_LIST, 0, NULL, point_fields, MATCH_MAX_POINTS},
    [P_AMOUNT] = {"amount", "", 0.0, 1.0, 1.0,
                  "fraction of the curve applied (its gains in dB are multiplied by it)",
                  MD_PT_NUMBER, 0},
    [P_MAX_BOOST] = {"max_boost", "dB", 0.0, 24.0, 12.0,
                     "largest boost of the curve, after amount", MD_PT_NUMBER, 0},
    [P_MAX_CUT] = {"max_cut", "dB", 0.0, 48.0, 12.0, "largest cut of the curve, after amount",
                   MD_PT_NUMBER, 0},
    [P_GAIN] = {"gain", "dB", -48.0, 24.0, 0.0, "level change (loudness matching)",
                MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [P_WIDTH] = {"width", "", 0.0, 2.0, 1.0,
                 "side gain of a stereo input (0 = mono, 1 = unchanged, 2 = side doubled); "
                 "ignored for other channel counts",
                 MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    {NULL},
};

typedef struct match_priv {
    mfir fir;
    float *g, *w;                 /* max_frames smoothed gains and widths */
    double pf[MATCH_MAX_POINTS];  /* the points, sorted by frequency (update only) */
    double pg[MATCH_MAX_POINTS];
    unsigned np;
} match_priv;

static md_status match_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    match_priv *p = md_node_priv(n);
    (void)out;
    p->g = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    p->w = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    if (!p->g || !p->w || mfir_init(&p->fir, in->channels, in->rate_hz) != 0) {
        md_aligned_free(p->g);
        md_aligned_free(p->w);
        p->g = p->w = NULL;
        return md_error_set(err, MD_ERR_NOMEM, "match: out of memory");
    }
    return MD_OK;
}

static void match_release(md_node *n)
{
    match_priv *p = md_node_priv(n);
    mfir_free(&p->fir);
    md_aligned_free(p->g);
    md_aligned_free(p->w);
    p->g = p->w = NULL;
}

/* The curve's gain in dB at f (before amount and limits); p->np > 0. */
static double curve_db(const match_priv *p, double f)
{
    if (f <= p->pf[0])
        return p->pg[0];
    if (f >= p->pf[p->np - 1])
        return p->pg[p->np - 1];
    unsigned lo = 0, hi = p->np - 1; /* pf[lo] < f < pf[hi] */
    while (hi - lo > 1) {
        unsigned mid = (lo + hi) / 2;
        if (p->pf[mid] <= f)
            lo = mid;
        else
            hi = mid;
    }
    double f0 = p->pf[lo], f1 = p->pf[hi];
    if (!(f1 > f0))
        return p->pg[hi];
    double t = log(f / f0) / log(f1 / f0);
    return p->pg[lo] + t * (p->pg[hi] - p->pg[lo]);
}

static void match_update(md_node *n)
{
    match_priv *p = md_node_priv(n);
    unsigned count = md_node_list_count(n, P_CURVE);
    if (count > MATCH_MAX_POINTS)
        count = MATCH_MAX_POINTS;
    /* insertion sort by frequency (a stable order for equal frequencies) */
    p->np = 0;
    for (unsigned i = 0; i < count; i++) {
        double f = md_node_list_value(n, P_CURVE, i, F_FREQ);
        double g = md_node_list_value(n, P_CURVE, i, F_GAIN);
        unsigned j = p->np;
        while (j > 0 && p->pf[j - 1] > f) {
            p->pf[j] = p->pf[j - 1];
            p->pg[j] = p->pg[j - 1];
            j--;
        }
        p->pf[j] = f;
        p->pg[j] = g;
        p->np++;
    }
    double amount = md_node_value(n, P_AMOUNT);
    double boost = md_node_value(n, P_MAX_BOOST), cut = md_node_value(n, P_MAX_CUT);
    int flat = 1;
    unsigned bins = mfir_bins(&p->fir);
    double hz = mfir_bin_hz(&p->fir);
    for (unsigned k = 0; k < bins; k++) {
        double db = p->np ? amount * curve_db(p, k * hz) : 0.0;
        if (db > boost)
            db = boost;
        if (db < -cut)
            db = -cut;
        if (db != 0.0)
            flat = 0;
        p->fir.target[k] = (float)pow(10.0, db / 20.0);
    }
    mfir_design(&p->fir, flat);
}

static void match_reset(md_node *n)
{
    match_priv *p = md_node_priv(n);
    mfir_reset(&p->fir);
}

static void match_process(md_node *n, const float *const *in, float *const *out,
                          unsigned frames)
{
    match_priv *p = md_node_priv(n);
    unsigned nch = md_node_out(n)->channels;
    md_node_fill_param(n, P_GAIN, p->g, frames, 1);
    const float *restrict g = p->g;
    if (nch == 2) {
        md_node_fill_param(n, P_WIDTH, p->w, frames, 0);
        const float *restrict w = p->w;
        const float *l = in[0], *r = in[1];
        float *a = out[0], *b = out[1];
        for (unsigned i = 0; i < frames; i++) {
            float x = l[i], y = r[i];
            if (w[i] != 1.0f) { /* width 1 passes L and R untouched */
                float m = 0.5f * (x + y), s = 0.5f * (x - y) * w[i];
                x = m + s;
                y = m - s;
            }
            a[i] = x * g[i];
            b[i] = y * g[i];
        }
    } else {
        for (unsigned c = 0; c < nch; c++)
            for (unsigned i = 0; i < frames; i++)
                out[c][i] = in[c][i] * g[i];
    }
    mfir_run(&p->fir, (const float *const *)out, out, frames);
}

static unsigned match_latency(const md_node *n)
{
    const match_priv *p = md_node_priv(n);
    return mfir_latency(&p->fir);
}

static unsigned match_tail(const md_node *n)
{
    const match_priv *p = md_node_priv(n);
    return mfir_tail(&p->fir);
}

static void match_describe(const md_node *n, char *buf, unsigned size)
{
    snprintf(buf, size, "%u points x %.3g (-%g..+%g dB), gain %+.3g dB, width %.3g",
             md_node_list_count(n, P_CURVE), md_node_value(n, P_AMOUNT),
             md_node_value(n, P_MAX_CUT), md_node_value(n, P_MAX_BOOST),
             md_node_value(n, P_GAIN), md_node_value(n, P_WIDTH));
}

const md_node_vtable md_node_match = {
    .name = "match",
    .doc = "Matching EQ, width and gain toward a reference recording (reference mastering). "
           "mixdown master --reference and match.lua set it from measurements of the "
           "reference and the input; it is usable on its own. The curve is a list of {freq, "
           "gain} points interpolated in log frequency and held beyond its ends, scaled by "
           "amount and limited to max_boost and max_cut, applied as a linear-phase FIR "
           "(16383 taps at 44.1/48 kHz; latency 9215 frames there, 0.21 s at 44.1 kHz, "
           "reported and compensated). width scales the side of a stereo input, gain the "
           "level. A flat curve is an exact delay.",
    .params = match_params,
    .priv_size = sizeof(match_priv),
    .inputs = 1,
    .prepare = match_prepare,
    .update = match_update,
    .reset = match_reset,
    .process = match_process,
    .latency = match_latency,
    .tail = match_tail,
    .release = match_release,
    .describe = match_describe,
};
