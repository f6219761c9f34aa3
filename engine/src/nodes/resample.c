/* resample.c - resample{rate}: sample-rate conversion (SpeexDSP, see io/resampler.c).
 *
 * The output lags the input by the filter's half length; latency() reports
 * it in output frames, so the engine drops it at the sink and flushes the end
 * out by feeding zeros. Equal rates pass the audio through untouched. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "../io/io.h"

enum { P_RATE };

static const md_param_desc resample_params[] = {
    [P_RATE] = {"rate", "Hz", MD_MIN_RATE, MD_MAX_RATE, 48000, "output sample rate",
                MD_PT_NUMBER, MD_PARAM_REQUIRED},
    {NULL},
};

typedef struct resample_priv {
    mdi_resampler *rs; /* NULL when the rates are equal */
} resample_priv;

static void resample_release(md_node *n)
{
    resample_priv *p = md_node_priv(n);
    mdi_resampler_destroy(p->rs);
    p->rs = NULL;
}

static md_status resample_prepare(md_node *n, const md_stream *in, md_stream *out,
                                  md_error *err)
{
    resample_priv *p = md_node_priv(n);
    double rate = md_node_value(n, P_RATE);
    p->rs = NULL;
    if (!md_node_isset(n, P_RATE))
        return md_error_set(err, MD_ERR_INVALID, "resample: rate is required");
    if (rate != floor(rate))
        return md_error_set(err, MD_ERR_INVALID, "resample: rate must be a whole number of Hz, got %g",
                            rate);
    out->rate_hz = rate;
    if (lround(rate) == lround(in->rate_hz))
        return MD_OK;
    p->rs = mdi_resampler_create(in->channels, in->rate_hz, rate, err);
    if (!p->rs)
        return err ? err->status : MD_ERR_INVALID;
    /* in->max_frames x ratio, rounded up, plus what a call may add from the
     * filter's fractional position */
    double max_out = ceil(in->max_frames * mdi_resampler_ratio(p->rs)) + 16.0;
    if (max_out > 1u << 24) {
        resample_release(n);
        return md_error_set(err, MD_ERR_INVALID,
                            "resample: %u-frame blocks at %g Hz -> %g Hz are too large",
                            in->max_frames, in->rate_hz, rate);
    }
    out->max_frames = (unsigned)max_out;
    return MD_OK;
}

static void resample_reset(md_node *n)
{
    resample_priv *p = md_node_priv(n);
    if (p->rs)
        mdi_resampler_reset(p->rs);
}

static unsigned resample_process_var(md_node *n, const float *const *in, unsigned in_frames,
                                     float *const *out, unsigned out_capacity)
{
    resample_priv *p = md_node_priv(n);
    if (!p->rs) {
        unsigned k = in_frames < out_capacity ? in_frames : out_capacity;
        for (unsigned c = 0; c < md_node_out(n)->channels; c++)
            if (out[c] != in[c])
                memmove(out[c], in[c], sizeof(float) * k);
        return k;
    }
    unsigned used = in_frames;
    return mdi_resampler_process(p->rs, in, &used, out, out_capacity);
}

static unsigned resample_latency(const md_node *n)
{
    const resample_priv *p = md_node_priv(n);
    return p->rs ? mdi_resampler_latency(p->rs) : 0;
}

static void resample_describe(const md_node *n, char *buf, unsigned size)
{
    snprintf(buf, size, "%g Hz -> %g Hz", md_node_in(n)->rate_hz, md_node_out(n)->rate_hz);
}

const md_node_vtable md_node_resample = {
    .name = "resample",
    .doc = "Convert to another sample rate (SpeexDSP, quality 8: flat within 0.001 dB to "
           "0.9 x the lower Nyquist frequency, aliases and images below -100 dB).",
    .params = resample_params,
    .priv_size = sizeof(resample_priv),
    .flags = MD_NODE_CHANGES_RATE | MD_NODE_NO_INPLACE,
    .inputs = 1,
    .prepare = resample_prepare,
    .reset = resample_reset,
    .process_var = resample_process_var,
    .latency = resample_latency,
    .release = resample_release,
    .describe = resample_describe,
};
