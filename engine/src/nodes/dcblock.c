/* dcblock.c - dcblock{freq}: removes a DC offset with a first-order high-pass
 * (bilinear, -3 dB at freq, exactly 0 dB at Nyquist; color_filter.c). At the
 * default 5 Hz it is -0.26 dB at 20 Hz and -0.0001 dB at 1 kHz, and an offset
 * decays with a time constant of 1 / (2 pi freq) = 32 ms. Double state. */
#include "../internal.h"
#include "color_filter.h"
#include <math.h>
#include <stdio.h>

enum { P_FREQ };

static const md_param_desc dcblock_params[] = {
    [P_FREQ] = {"freq", "Hz", 0.5, 200.0, 5.0,
                "cutoff (-3 dB): lower keeps more of the deep bass, higher settles faster",
                MD_PT_NUMBER, 0},
    {NULL},
};

typedef struct dcblock_priv {
    md_color_bq c;
    md_color_bq_state st[MD_MAX_CHANNELS];
    unsigned tail;
} dcblock_priv;

static md_status dcblock_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    double f = md_node_value(n, P_FREQ);
    (void)out;
    if (!(f < 0.45 * in->rate_hz))
        return md_error_set(err, MD_ERR_INVALID,
                            "dcblock: freq must be below 0.45 x the sample rate (%.10g Hz), got "
                            "%.10g",
                            0.45 * in->rate_hz, f);
    return MD_OK;
}

static void dcblock_update(md_node *n)
{
    dcblock_priv *p = md_node_priv(n);
    double rate = md_node_in(n)->rate_hz;
    md_color_bq_highpass1(&p->c, rate, fmin(md_node_value(n, P_FREQ), 0.45 * rate));
    p->tail = md_color_bq_decay(&p->c, 1e-7);
}

static void dcblock_reset(md_node *n)
{
    dcblock_priv *p = md_node_priv(n);
    for (unsigned c = 0; c < MD_MAX_CHANNELS; c++)
        md_color_bq_clear(&p->st[c]);
}

static void dcblock_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    dcblock_priv *p = md_node_priv(n);
    const unsigned ch = md_node_out(n)->channels;
    for (unsigned c = 0; c < ch; c++) {
        md_color_bq_state *st = &p->st[c];
        for (unsigned i = 0; i < frames; i++)
            out[c][i] = (float)md_color_bq_step(&p->c, st, in[c][i]);
    }
}

static unsigned dcblock_tail(const md_node *n)
{
    const dcblock_priv *p = md_node_priv(n);
    return p->tail;
}

static void dcblock_describe(const md_node *n, char *buf, unsigned size)
{
    snprintf(buf, size, "dcblock %.6g Hz", md_node_value(n, P_FREQ));
}

const md_node_vtable md_node_dcblock = {
    .name = "dcblock",
    .doc = "Remove DC offset: a first-order high-pass at freq (default 5 Hz: -0.26 dB at 20 Hz, "
           "an offset gone in well under a second). Zero latency.",
    .params = dcblock_params,
    .priv_size = sizeof(dcblock_priv),
    .inputs = 1,
    .update = dcblock_update,
    .prepare = dcblock_prepare,
    .reset = dcblock_reset,
    .process = dcblock_process,
    .tail = dcblock_tail,
    .describe = dcblock_describe,
};
