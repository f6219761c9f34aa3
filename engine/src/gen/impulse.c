/* impulse.c - impulse{db, at, duration, channels}: one non-zero sample (a
 * unit impulse scaled to a level) at frame round(at * rate), zeros elsewhere,
 * on every channel. For measuring latency, delays and impulse responses. */
#include "gen.h"

enum { P_DB, P_AT, P_DURATION, P_CHANNELS };

static const md_param_desc impulse_params[] = {
    [P_DB] = {"db", "dB", -200.0, 20.0, 0.0, "level of the impulse in dBFS", MD_PT_NUMBER,
              MD_PARAM_DB},
    [P_AT] = {"at", "s", 0.0, MDI_GEN_MAX_SECONDS, 0.0,
              "position of the impulse (rounded to the nearest frame)", MD_PT_NUMBER, 0},
    [P_DURATION] = MDI_GEN_DURATION_PARAM,
    [P_CHANNELS] = MDI_GEN_CHANNELS_PARAM,
    {NULL},
};

typedef struct impulse_priv {
    mdi_gen_clock clock;
    int64_t at;
    float amp;
} impulse_priv;

static md_status impulse_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    impulse_priv *p = md_node_priv(n);
    double duration = md_node_value(n, P_DURATION), at = md_node_value(n, P_AT);
    p->clock.length = mdi_gen_frames(duration, in->rate_hz);
    p->at = mdi_gen_frames(at, in->rate_hz);
    if (p->at >= p->clock.length)
        return md_error_set(err, MD_ERR_INVALID,
                            "impulse: at must be before the end (duration %g s), got %g", duration,
                            at);
    out->channels = (unsigned)md_node_value(n, P_CHANNELS);
    p->amp = (float)pow(10.0, md_node_value(n, P_DB) / 20.0);
    return MD_OK;
}

static void impulse_reset(md_node *n)
{
    impulse_priv *p = md_node_priv(n);
    p->clock.pos = 0;
}

static unsigned impulse_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    impulse_priv *p = md_node_priv(n);
    unsigned channels = md_node_out(n)->channels;
    unsigned real = mdi_gen_real(&p->clock, frames);
    (void)err;
    mdi_gen_zero_rest(out, channels, 0, frames);
    if (p->at >= p->clock.pos && p->at < p->clock.pos + real)
        for (unsigned c = 0; c < channels; c++)
            out[c][p->at - p->clock.pos] = p->amp;
    p->clock.pos += real;
    return real;
}

static int64_t impulse_length(const md_node *n)
{
    const impulse_priv *p = md_node_priv(n);
    return p->clock.length;
}

const md_node_vtable md_node_impulse = {
    .name = "impulse",
    .doc = "A single sample at a level in dBFS at a given time, silence elsewhere: for "
           "measuring delays, latency and impulse responses.",
    .params = impulse_params,
    .priv_size = sizeof(impulse_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = impulse_prepare,
    .reset = impulse_reset,
    .generate = impulse_generate,
    .length = impulse_length,
};
