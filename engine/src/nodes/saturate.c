/* saturate.c - saturate{drive, type, mix, output, auto_gain, asymmetry}:
 * a waveshaper (tape, tube, soft or hard clip), oversampled 8x so that its
 * harmonics do not fold back into the audio band (color_shaper.h).
 *
 *            +--> 8x up -> curve(drive) residual -> 8x down -> DC block --+
 *   x ------|                                                            (+)--> mix, output --> y
 *            +--> delay (latency) ------------------------------+--------+
 *
 * The shaper returns the distortion alone (the curve minus its own slope),
 * so the clean part of the signal takes the plain delay: what the curve does
 * not bend (anything below the hard clip's threshold) comes out bit for bit,
 * apart from the latency, and with auto_gain the small-signal level never
 * changes with drive. The DC blocker (first
 * order, 5 Hz) sits on the distortion path only: it removes the offset an
 * asymmetric curve creates without touching the low end of the programme.
 */
#include "../internal.h"
#include "color_filter.h"
#include "color_shaper.h"
#include <math.h>
#include <stdio.h>

enum { P_DRIVE, P_TYPE, P_MIX, P_OUTPUT, P_AUTO_GAIN, P_ASYMMETRY };

#define DC_HZ 5.0

static const char *const sat_types[] = {"tape", "tube", "soft", "hard", NULL};

static const md_param_desc sat_params[] = {
    [P_DRIVE] = {"drive", "dB", 0.0, 36.0, 6.0,
                 "gain into the curve: more drive, more harmonics (compensated when auto_gain)",
                 MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [P_TYPE] = {"type", "", 0, 3, MD_COLOR_TAPE,
                "curve: tape (tanh, smooth), tube (rounder knee, even harmonics), soft "
                "(cubic soft clip), hard (clipping at full scale)",
                MD_PT_ENUM, 0, sat_types},
    [P_MIX] = {"mix", "", 0.0, 1.0, 1.0, "wet share: 1 = saturated only, 0 = dry", MD_PT_NUMBER,
               MD_PARAM_AUTOMATABLE},
    [P_OUTPUT] = {"output", "dB", -36.0, 24.0, 0.0, "level change after the curve and the mix",
                  MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [P_AUTO_GAIN] = {"auto_gain", "", 0, 1, 1,
                     "divide by the driven curve's small-signal gain, so quiet signals keep "
                     "their level whatever the drive",
                     MD_PT_BOOL, 0},
    [P_ASYMMETRY] = {"asymmetry", "", 0.0, 1.0, 0.0,
                     "squash the two halves of the wave differently: even harmonics (0 = "
                     "symmetric; tube is a little asymmetric even at 0)",
                     MD_PT_NUMBER, 0},
    {NULL},
};

typedef struct sat_priv {
    md_color_shaper sh;
    md_color_bq dc;
    md_color_bq_state dcs[MD_MAX_CHANNELS];
    unsigned ch, lat, tail;
    float *dry;              /* ch x lat: the dry delay line */
    unsigned pos;            /* write position in dry */
    float *g, *mix, *og, *r; /* max_frames each */
    int auto_gain;
    double slope;
} sat_priv;

static void sat_release(md_node *n);

static md_status sat_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    sat_priv *p = md_node_priv(n);
    (void)out;
    p->ch = in->channels;
    if (md_color_shaper_init(&p->sh, in->channels) != 0)
        return md_error_set(err, MD_ERR_NOMEM, "saturate: out of memory");
    /* from here on a failure undoes what was allocated (release is not called) */
    p->lat = md_color_shaper_latency(&p->sh);
    size_t mf = (size_t)in->max_frames + 1;
    p->dry = md_aligned_alloc(sizeof(float) * p->lat * p->ch);
    p->g = md_aligned_alloc(sizeof(float) * mf);
    p->mix = md_aligned_alloc(sizeof(float) * mf);
    p->og = md_aligned_alloc(sizeof(float) * mf);
    p->r = md_aligned_alloc(sizeof(float) * mf);
    if (!p->dry || !p->g || !p->mix || !p->og || !p->r) {
        sat_release(n);
        return md_error_set(err, MD_ERR_NOMEM, "saturate: out of memory");
    }
    md_color_bq_highpass1(&p->dc, in->rate_hz, DC_HZ);
    p->tail = p->lat + md_color_shaper_span(&p->sh) + md_color_bq_decay(&p->dc, 1e-7);
    return MD_OK;
}

static void sat_release(md_node *n)
{
    sat_priv *p = md_node_priv(n);
    md_color_shaper_free(&p->sh);
    md_aligned_free(p->dry);
    md_aligned_free(p->g);
    md_aligned_free(p->mix);
    md_aligned_free(p->og);
    md_aligned_free(p->r);
    p->dry = p->g = p->mix = p->og = p->r = NULL;
}

static void sat_update(md_node *n)
{
    sat_priv *p = md_node_priv(n);
    md_color_shaper_set(&p->sh, (int)md_node_value(n, P_TYPE), md_node_value(n, P_ASYMMETRY));
    p->slope = md_color_shaper_slope(&p->sh);
    p->auto_gain = md_node_value(n, P_AUTO_GAIN) != 0.0;
}

static void sat_reset(md_node *n)
{
    sat_priv *p = md_node_priv(n);
    md_color_shaper_reset(&p->sh);
    for (unsigned c = 0; c < p->ch; c++)
        md_color_bq_clear(&p->dcs[c]);
    for (unsigned i = 0; i < p->lat * p->ch; i++)
        p->dry[i] = 0.0f;
    p->pos = 0;
}

static void sat_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    sat_priv *p = md_node_priv(n);
    md_node_fill_param(n, P_DRIVE, p->g, frames, 1);
    md_node_fill_param(n, P_MIX, p->mix, frames, 0);
    md_node_fill_param(n, P_OUTPUT, p->og, frames, 1);
    const unsigned lat = p->lat;
    unsigned pos = p->pos;
    for (unsigned c = 0; c < p->ch; c++) {
        float *dry = p->dry + (size_t)c * lat;
        md_color_bq_state *dcs = &p->dcs[c];
        md_color_shaper_run(&p->sh, c, in[c], p->g, p->r, frames);
        pos = p->pos;
        for (unsigned i = 0; i < frames; i++) {
            double xd = dry[pos];
            dry[pos] = in[c][i];
            if (++pos == lat)
                pos = 0;
            double wet = xd + md_color_bq_step(&p->dc, dcs, p->r[i]);
            if (!p->auto_gain)
                wet *= p->g[i] * p->slope;
            double m = p->mix[i];
            out[c][i] = (float)(p->og[i] * (m * wet + (1.0 - m) * xd));
        }
    }
    p->pos = pos;
}

static unsigned sat_latency(const md_node *n)
{
    const sat_priv *p = md_node_priv(n);
    return p->lat;
}

static unsigned sat_tail(const md_node *n)
{
    const sat_priv *p = md_node_priv(n);
    return p->tail;
}

static void sat_describe(const md_node *n, char *buf, unsigned size)
{
    snprintf(buf, size, "saturate %s, drive %.3g dB", sat_types[(int)md_node_value(n, P_TYPE)],
             md_node_value(n, P_DRIVE));
}

const md_node_vtable md_node_saturate = {
    .name = "saturate",
    .doc = "Add harmonics with a waveshaping curve: tape (tanh), tube (rounder, asymmetric), "
           "soft (cubic soft clip) or hard (clipper). Oversampled 8x: for a full-scale 5 kHz sine "
           "driven 12 dB at 44.1 kHz, aliases stay below -85 dB (hard clip: -60 dB). The "
           "distortion path has a 5 Hz DC blocker; the clean path is a plain delay, so "
           "quiet signals keep their level and sound. Latency 88 frames.",
    .params = sat_params,
    .priv_size = sizeof(sat_priv),
    .inputs = 1,
    .prepare = sat_prepare,
    .update = sat_update,
    .reset = sat_reset,
    .process = sat_process,
    .latency = sat_latency,
    .tail = sat_tail,
    .release = sat_release,
    .describe = sat_describe,
};
