/* pan.c - pan{pos}: place a mono signal in the stereo field, or balance a
 * stereo one.
 *
 *   mono in:   L = x cos(theta), R = x sin(theta), theta = (pos + 1) pi / 4
 *              (constant power: L^2 + R^2 = x^2; -3.01 dB each side at center)
 *   stereo in: balance; pos > 0 scales L by cos(theta) / cos(pi / 4), pos < 0
 *              scales R by sin(theta) / sin(pi / 4): the same curve, with
 *              unity at the center, where the signal passes unchanged.
 *
 * pos is smoothed per sample (md_node_fill_param), so automation does not
 * zipper and the output does not depend on the block size. */
#include "../internal.h"
#include <math.h>

enum { P_POS };

static const md_param_desc pan_params[] = {
    [P_POS] = {"pos", "", -1.0, 1.0, 0.0, "position: -1 left, 0 center, +1 right", MD_PT_NUMBER,
               MD_PARAM_AUTOMATABLE},
    {NULL},
};

typedef struct pan_priv {
    float *pos;     /* max_frames smoothed positions */
    float last_pos; /* gains below belong to this position */
    float gl, gr;
} pan_priv;

static md_status pan_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    pan_priv *p = md_node_priv(n);
    if (in->channels != 1 && in->channels != 2)
        return md_error_set(err, MD_ERR_GRAPH, "pan: input must be mono or stereo, got %u channels",
                            in->channels);
    out->channels = 2;
    p->pos = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    if (!p->pos)
        return md_error_set(err, MD_ERR_NOMEM, "pan: out of memory");
    p->last_pos = NAN;
    return MD_OK;
}

static void pan_release(md_node *n)
{
    pan_priv *p = md_node_priv(n);
    md_aligned_free(p->pos);
    p->pos = NULL;
}

static void gains(pan_priv *p, float pos, int stereo)
{
    /* cos(theta) written as sin((1 - pos) pi / 4): exactly 0 at the ends */
    double l = sin((1.0 - (double)pos) * M_PI / 4.0), r = sin((1.0 + (double)pos) * M_PI / 4.0);
    if (stereo) {
        /* normalised so the center is unity; the louder side stays at 1 */
        l = pos > 0 ? l * M_SQRT2 : 1.0;
        r = pos < 0 ? r * M_SQRT2 : 1.0;
        if (l > 1.0)
            l = 1.0;
        if (r > 1.0)
            r = 1.0;
    }
    p->last_pos = pos;
    p->gl = (float)l;
    p->gr = (float)r;
}

static void pan_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    pan_priv *p = md_node_priv(n);
    int stereo = md_node_in(n)->channels == 2;
    md_node_fill_param(n, P_POS, p->pos, frames, 0);
    const float *pos = p->pos;
    if (stereo) {
        for (unsigned i = 0; i < frames; i++) {
            if (pos[i] != p->last_pos)
                gains(p, pos[i], 1);
            out[0][i] = in[0][i] * p->gl;
            out[1][i] = in[1][i] * p->gr;
        }
    } else {
        for (unsigned i = 0; i < frames; i++) {
            if (pos[i] != p->last_pos)
                gains(p, pos[i], 0);
            float x = in[0][i];
            out[0][i] = x * p->gl;
            out[1][i] = x * p->gr;
        }
    }
}

static void pan_reset(md_node *n)
{
    pan_priv *p = md_node_priv(n);
    p->last_pos = NAN;
}

const md_node_vtable md_node_pan = {
    .name = "pan",
    .doc = "Place a mono signal between left and right with constant power (-3 dB each "
           "side at the center), or balance a stereo signal (unchanged at the center).",
    .params = pan_params,
    .priv_size = sizeof(pan_priv),
    .inputs = 1,
    .prepare = pan_prepare,
    .reset = pan_reset,
    .process = pan_process,
    .release = pan_release,
};
