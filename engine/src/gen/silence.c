/* silence.c - silence{duration, channels}: digital silence of a given length. */
#include "gen.h"

enum { P_DURATION, P_CHANNELS };

static const md_param_desc silence_params[] = {
    [P_DURATION] = MDI_GEN_DURATION_PARAM,
    [P_CHANNELS] = MDI_GEN_CHANNELS_PARAM,
    {NULL},
};

typedef struct silence_priv {
    mdi_gen_clock clock;
} silence_priv;

static md_status silence_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    silence_priv *p = md_node_priv(n);
    (void)err;
    out->channels = (unsigned)md_node_value(n, P_CHANNELS);
    p->clock.length = mdi_gen_frames(md_node_value(n, P_DURATION), in->rate_hz);
    return MD_OK;
}

static void silence_reset(md_node *n)
{
    silence_priv *p = md_node_priv(n);
    p->clock.pos = 0;
}

static unsigned silence_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    silence_priv *p = md_node_priv(n);
    unsigned real = mdi_gen_real(&p->clock, frames);
    (void)err;
    mdi_gen_zero_rest(out, md_node_out(n)->channels, 0, frames);
    p->clock.pos += real;
    return real;
}

static int64_t silence_length(const md_node *n)
{
    const silence_priv *p = md_node_priv(n);
    return p->clock.length;
}

const md_node_vtable md_node_silence = {
    .name = "silence",
    .doc = "Digital silence (all samples zero) of a given duration.",
    .params = silence_params,
    .priv_size = sizeof(silence_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = silence_prepare,
    .reset = silence_reset,
    .generate = silence_generate,
    .length = silence_length,
};
