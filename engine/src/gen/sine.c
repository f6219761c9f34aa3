/* sine.c - sine{freq, db, phase, duration, channels}: a sine wave at a peak
 * level, the same on every channel. */
#include "gen.h"

enum { P_FREQ, P_DB, P_PHASE, P_DURATION, P_CHANNELS };

static const md_param_desc sine_params[] = {
    [P_FREQ] = {"freq", "Hz", 0.0, MD_MAX_RATE / 2, 1000.0,
                "frequency (below half the sample rate; 0 with phase 90 gives DC)", MD_PT_NUMBER,
                0},
    [P_DB] = {"db", "dB", -200.0, 20.0, -6.0, "peak level in dBFS", MD_PT_NUMBER, MD_PARAM_DB},
    [P_PHASE] = {"phase", "deg", -360.0, 360.0, 0.0, "starting phase (0 starts at zero, rising)",
                 MD_PT_NUMBER, 0},
    [P_DURATION] = MDI_GEN_DURATION_PARAM,
    [P_CHANNELS] = MDI_GEN_CHANNELS_PARAM,
    {NULL},
};

typedef struct sine_priv {
    mdi_gen_clock clock;
    double amp;
    double inc;   /* cycles per frame */
    double phase; /* cycles, in [0, 1) */
    double phase0;
} sine_priv;

static md_status sine_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    sine_priv *p = md_node_priv(n);
    double freq = md_node_value(n, P_FREQ);
    if (!(freq < in->rate_hz / 2))
        return md_error_set(err, MD_ERR_INVALID,
                            "sine: freq must be below half the sample rate (%g Hz), got %g",
                            in->rate_hz / 2, freq);
    out->channels = (unsigned)md_node_value(n, P_CHANNELS);
    p->clock.length = mdi_gen_frames(md_node_value(n, P_DURATION), in->rate_hz);
    p->amp = pow(10.0, md_node_value(n, P_DB) / 20.0);
    p->inc = freq / in->rate_hz;
    double ph = md_node_value(n, P_PHASE) / 360.0;
    p->phase0 = ph - floor(ph);
    return MD_OK;
}

static void sine_reset(md_node *n)
{
    sine_priv *p = md_node_priv(n);
    p->clock.pos = 0;
    p->phase = p->phase0;
}

static unsigned sine_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    sine_priv *p = md_node_priv(n);
    unsigned channels = md_node_out(n)->channels;
    unsigned real = mdi_gen_real(&p->clock, frames);
    (void)err;
    /* a double phase accumulator wrapped to [0, 1): its rounding error stays
     * near 1e-16 cycles per frame, even over a day at 192 kHz */
    double ph = p->phase;
    float *y = out[0];
    for (unsigned i = 0; i < real; i++) {
        y[i] = (float)(p->amp * sin(2.0 * M_PI * ph));
        ph += p->inc;
        if (ph >= 1.0)
            ph -= 1.0;
    }
    p->phase = ph;
    for (unsigned c = 1; c < channels; c++)
        memcpy(out[c], y, (size_t)real * sizeof(float));
    mdi_gen_zero_rest(out, channels, real, frames);
    p->clock.pos += real;
    return real;
}

static int64_t sine_length(const md_node *n)
{
    const sine_priv *p = md_node_priv(n);
    return p->clock.length;
}

const md_node_vtable md_node_sine = {
    .name = "sine",
    .doc = "A sine wave at a peak level in dBFS, the same on every channel.",
    .params = sine_params,
    .priv_size = sizeof(sine_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = sine_prepare,
    .reset = sine_reset,
    .generate = sine_generate,
    .length = sine_length,
};
