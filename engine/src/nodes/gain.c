/* gain.c - gain{db}: a level change, smoothed per sample (no zipper noise). */
#include "../internal.h"

enum { P_DB };

static const md_param_desc gain_params[] = {
    [P_DB] = {"db", "dB", -120.0, 48.0, 0.0, "level change applied to every channel",
              MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    {NULL},
};

typedef struct gain_priv {
    float *g; /* max_frames smoothed linear gains */
} gain_priv;

static md_status gain_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    gain_priv *p = md_node_priv(n);
    (void)out;
    p->g = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    if (!p->g)
        return md_error_set(err, MD_ERR_NOMEM, "gain: out of memory");
    return MD_OK;
}

static void gain_release(md_node *n)
{
    gain_priv *p = md_node_priv(n);
    md_aligned_free(p->g);
    p->g = NULL;
}

static void gain_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    gain_priv *p = md_node_priv(n);
    md_node_fill_param(n, P_DB, p->g, frames, 1);
    const float *restrict g = p->g;
    for (unsigned c = 0; c < md_node_out(n)->channels; c++) {
        const float *x = in[c];
        float *y = out[c];
        for (unsigned i = 0; i < frames; i++)
            y[i] = x[i] * g[i];
    }
}

const md_node_vtable md_node_gain = {
    .name = "gain",
    .doc = "Change the level of every channel by a number of dB.",
    .params = gain_params,
    .priv_size = sizeof(gain_priv),
    .inputs = 1,
    .prepare = gain_prepare,
    .process = gain_process,
    .release = gain_release,
};
