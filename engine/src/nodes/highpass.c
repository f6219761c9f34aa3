/* highpass.c - highpass{freq, q, order} and lowpass{freq, q, order}:
 * Butterworth (maximally flat) filters of order 1..8 as biquad cascades
 * (biquad.c), with a resonance q for the usual order-2 filter. */
#include <math.h>
#include <stdio.h>
#include "../internal.h"
#include "biquad.h"

enum { P_FREQ, P_Q, P_ORDER };

#define PASS_MAX_SECTIONS 4 /* order 8: four biquads; order 7: three + one first-order */

#define Q_PARAM                                                                                \
    {"q", "", 0.025, 40.0, 0.7071,                                                             \
     "resonance of an order-2 filter: 0.7071 is Butterworth (flat), 0.5 softer, higher values " \
     "peak at freq; only with order = 2",                                                      \
     MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_LOG}
#define ORDER_PARAM                                                                            \
    {"order", "", 1.0, 8.0, 2.0,                                                               \
     "steepness: 6 dB/octave per order (2 = 12 dB/octave, 4 = 24), Butterworth (flat "         \
     "passband) at every order",                                                               \
     MD_PT_INT, 0}

static const md_param_desc highpass_params[] = {
    [P_FREQ] = {"freq", "Hz", 1.0, MD_MAX_RATE / 2, 20.0,
                "cutoff: the -3 dB point, below which content falls away; below half the "
                "sample rate",
                MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_LOG | MD_PARAM_REQUIRED},
    [P_Q] = Q_PARAM,
    [P_ORDER] = ORDER_PARAM,
    {NULL},
};

static const md_param_desc lowpass_params[] = {
    [P_FREQ] = {"freq", "Hz", 1.0, MD_MAX_RATE / 2, 20000.0,
                "cutoff: the -3 dB point, above which content falls away; below half the "
                "sample rate",
                MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_LOG | MD_PARAM_REQUIRED},
    [P_Q] = Q_PARAM,
    [P_ORDER] = ORDER_PARAM,
    {NULL},
};

typedef struct pass_priv {
    mdi_cascade casc;
    unsigned tail;
} pass_priv;

extern const md_node_vtable md_node_highpass;

static int is_highpass(const md_node *n) { return md_node_type(n) == &md_node_highpass; }

static md_status pass_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    pass_priv *p = md_node_priv(n);
    const char *name = md_node_name(n);
    double freq = md_node_value(n, P_FREQ);
    unsigned order = (unsigned)md_node_value(n, P_ORDER);
    (void)out;
    if (!(freq < in->rate_hz / 2))
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: freq must be below %.10g Hz (half the sample rate), got %.10g",
                            name, in->rate_hz / 2, freq);
    if (md_node_isset(n, P_Q) && order != 2)
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: q only applies to order 2 (higher orders are Butterworth), got "
                            "q = %.10g with order = %u",
                            name, md_node_value(n, P_Q), order);
    if (mdi_cascade_init(&p->casc, PASS_MAX_SECTIONS, in->channels, in->rate_hz) != 0)
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", name);
    return MD_OK;
}

static void pass_update(md_node *n)
{
    pass_priv *p = md_node_priv(n);
    double rate = md_node_in(n)->rate_hz;
    /* a cutoff moved past Nyquist between blocks cannot be refused here */
    double freq = fmin(md_node_value(n, P_FREQ), 0.499 * rate);
    unsigned order = (unsigned)md_node_value(n, P_ORDER);
    double q = md_node_isset(n, P_Q) ? md_node_value(n, P_Q) : 0.0; /* 0: exact Butterworth */
    mdi_bq_spec s[PASS_MAX_SECTIONS];
    unsigned ns = mdi_bq_butterworth(s, is_highpass(n), order, freq, q);
    mdi_cascade_set(&p->casc, s, ns);
    p->tail = mdi_cascade_tail(&p->casc);
}

static void pass_reset(md_node *n)
{
    pass_priv *p = md_node_priv(n);
    mdi_cascade_reset(&p->casc);
}

static void pass_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    pass_priv *p = md_node_priv(n);
    mdi_cascade_run(&p->casc, in, out, frames);
}

static unsigned pass_tail(const md_node *n)
{
    const pass_priv *p = md_node_priv(n);
    return p->tail;
}

static void pass_release(md_node *n)
{
    pass_priv *p = md_node_priv(n);
    mdi_cascade_free(&p->casc);
}

static void pass_describe(const md_node *n, char *buf, unsigned size)
{
    unsigned order = (unsigned)md_node_value(n, P_ORDER);
    snprintf(buf, size, "%s %.6g Hz, %u dB/oct", md_node_name(n), md_node_value(n, P_FREQ),
             6 * order);
}

const md_node_vtable md_node_highpass = {
    .name = "highpass",
    .doc = "Remove content below freq (rumble, DC, handling noise): a Butterworth highpass of "
           "order 1..8, 6 dB/octave per order; an order-2 filter takes a resonance q. "
           "Zero latency.",
    .params = highpass_params,
    .priv_size = sizeof(pass_priv),
    .inputs = 1,
    .prepare = pass_prepare,
    .update = pass_update,
    .reset = pass_reset,
    .process = pass_process,
    .tail = pass_tail,
    .release = pass_release,
    .describe = pass_describe,
};

const md_node_vtable md_node_lowpass = {
    .name = "lowpass",
    .doc = "Remove content above freq (hiss, harshness, ultrasonic junk): a Butterworth lowpass "
           "of order 1..8, 6 dB/octave per order; an order-2 filter takes a resonance q. "
           "Zero latency.",
    .params = lowpass_params,
    .priv_size = sizeof(pass_priv),
    .inputs = 1,
    .prepare = pass_prepare,
    .update = pass_update,
    .reset = pass_reset,
    .process = pass_process,
    .tail = pass_tail,
    .release = pass_release,
    .describe = pass_describe,
};
