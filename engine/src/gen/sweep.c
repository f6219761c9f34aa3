/* sweep.c - sweep{start, stop, db, duration, channels, log}: a sine chirp from
 * start to stop Hz over the duration, exponential (equal time per octave) or
 * linear. The phase is the closed-form integral of the instantaneous
 * frequency, evaluated at each frame index, so it is continuous and the same
 * however the stream is cut:
 *   exponential: phi(t) = f0 T / ln(f1/f0) * (exp(t ln(f1/f0) / T) - 1)
 *   linear:      phi(t) = f0 t + (f1 - f0) t^2 / (2 T)          (in cycles) */
#include "gen.h"

enum { P_START, P_STOP, P_DB, P_DURATION, P_CHANNELS, P_LOG };

static const md_param_desc sweep_params[] = {
    [P_START] = {"start", "Hz", 0.001, MD_MAX_RATE / 2, 20.0, "frequency at the start",
                 MD_PT_NUMBER, MD_PARAM_LOG},
    [P_STOP] = {"stop", "Hz", 0.001, MD_MAX_RATE / 2, 20000.0,
                "frequency at the end (below half the sample rate)", MD_PT_NUMBER, MD_PARAM_LOG},
    [P_DB] = {"db", "dB", -200.0, 20.0, -6.0, "peak level in dBFS", MD_PT_NUMBER, MD_PARAM_DB},
    [P_DURATION] = MDI_GEN_DURATION_PARAM,
    [P_CHANNELS] = MDI_GEN_CHANNELS_PARAM,
    [P_LOG] = {"log", "", 0, 1, 1, "exponential sweep (true) or linear (false)", MD_PT_BOOL, 0},
    {NULL},
};

typedef struct sweep_priv {
    mdi_gen_clock clock;
    double amp;
    double f0, rate_hz, duration_s;
    double k; /* exponential: ln(f1/f0) / T per second; linear: (f1 - f0) / (2 T) */
    int exponential;
} sweep_priv;

static md_status sweep_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    sweep_priv *p = md_node_priv(n);
    double f0 = md_node_value(n, P_START), f1 = md_node_value(n, P_STOP);
    double nyq = in->rate_hz / 2;
    if (!(f0 < nyq))
        return md_error_set(err, MD_ERR_INVALID,
                            "sweep: start must be below half the sample rate (%g Hz), got %g", nyq,
                            f0);
    if (!(f1 < nyq))
        return md_error_set(err, MD_ERR_INVALID,
                            "sweep: stop must be below half the sample rate (%g Hz), got %g", nyq,
                            f1);
    out->channels = (unsigned)md_node_value(n, P_CHANNELS);
    p->duration_s = md_node_value(n, P_DURATION);
    p->clock.length = mdi_gen_frames(p->duration_s, in->rate_hz);
    p->amp = pow(10.0, md_node_value(n, P_DB) / 20.0);
    p->f0 = f0;
    p->rate_hz = in->rate_hz;
    p->exponential = md_node_value(n, P_LOG) != 0.0 && f0 != f1;
    double T = p->duration_s > 0 ? p->duration_s : 1.0;
    p->k = p->exponential ? log(f1 / f0) / T : (f1 - f0) / (2.0 * T);
    return MD_OK;
}

static void sweep_reset(md_node *n)
{
    sweep_priv *p = md_node_priv(n);
    p->clock.pos = 0;
}

static unsigned sweep_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    sweep_priv *p = md_node_priv(n);
    unsigned channels = md_node_out(n)->channels;
    unsigned real = mdi_gen_real(&p->clock, frames);
    (void)err;
    float *y = out[0];
    for (unsigned i = 0; i < real; i++) {
        double t = (double)(p->clock.pos + i) / p->rate_hz;
        double cycles = p->exponential ? p->f0 * expm1(p->k * t) / p->k : t * (p->f0 + p->k * t);
        double frac = cycles - floor(cycles);
        y[i] = (float)(p->amp * sin(2.0 * M_PI * frac));
    }
    for (unsigned c = 1; c < channels; c++)
        memcpy(out[c], y, (size_t)real * sizeof(float));
    mdi_gen_zero_rest(out, channels, real, frames);
    p->clock.pos += real;
    return real;
}

static int64_t sweep_length(const md_node *n)
{
    const sweep_priv *p = md_node_priv(n);
    return p->clock.length;
}

const md_node_vtable md_node_sweep = {
    .name = "sweep",
    .doc = "A sine sweep (chirp) from start to stop Hz over the duration, exponential "
           "(equal time per octave) or linear, phase-continuous, at a peak level in dBFS.",
    .params = sweep_params,
    .priv_size = sizeof(sweep_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = sweep_prepare,
    .reset = sweep_reset,
    .generate = sweep_generate,
    .length = sweep_length,
};
