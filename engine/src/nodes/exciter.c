/* exciter.c - exciter{freq, amount, type, drive}: harmonics added above a
 * frequency only.
 *
 *   x --+--> high-pass(freq) -> 8x curve(drive), distortion only -> high-pass(freq) --+
 *       |                                                               x amount      (+)--> y
 *       +--> delay (latency) ---------------------------------------------------------+
 *
 * The band above freq is driven into a tape or tube curve at 8x (color_shaper.h);
 * only the distortion it makes (the curve minus its small-signal slope) is
 * kept, high-passed again so that nothing new lands below freq, scaled by
 * amount and added to the dry signal. The dry signal itself is not filtered
 * or re-levelled: content below freq comes out as it went in, and a tone
 * above freq keeps its level and gains harmonics. Both high-passes are
 * Butterworth 2nd order (RBJ, Q = 0.7071).
 */
#include "../internal.h"
#include "color_filter.h"
#include "color_shaper.h"
#include <math.h>
#include <stdio.h>

enum { P_FREQ, P_AMOUNT, P_TYPE, P_DRIVE };

#define BUTTERWORTH_Q 0.70710678118654752

static const char *const exc_types[] = {"tape", "tube", NULL};

static const md_param_desc exc_params[] = {
    [P_FREQ] = {"freq", "Hz", 500.0, 20000.0, 3000.0,
                "only content above this frequency is excited (and only above it do harmonics "
                "appear); below 0.45 x the sample rate",
                MD_PT_NUMBER, MD_PARAM_LOG},
    [P_AMOUNT] = {"amount", "", 0.0, 1.0, 0.3, "level of the added harmonics (0 = none)",
                  MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [P_TYPE] = {"type", "", 0, 1, 0, "curve: tape (odd harmonics), tube (even and odd harmonics)",
                MD_PT_ENUM, 0, exc_types},
    [P_DRIVE] = {"drive", "dB", 0.0, 24.0, 12.0,
                 "gain of the high band into the curve: more drive, denser harmonics", MD_PT_NUMBER,
                 MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    {NULL},
};

typedef struct exc_priv {
    md_color_shaper sh;
    md_color_bq hp;
    md_color_bq_state pre[MD_MAX_CHANNELS], post[MD_MAX_CHANNELS];
    unsigned ch, lat, tail, pos;
    float *dry;            /* ch x lat */
    float *band, *g, *amt; /* max_frames each */
} exc_priv;

static void exc_release(md_node *n)
{
    exc_priv *p = md_node_priv(n);
    md_color_shaper_free(&p->sh);
    md_aligned_free(p->dry);
    md_aligned_free(p->band);
    md_aligned_free(p->g);
    md_aligned_free(p->amt);
    p->dry = p->band = p->g = p->amt = NULL;
}

static md_status exc_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    exc_priv *p = md_node_priv(n);
    double f = md_node_value(n, P_FREQ);
    (void)out;
    if (!(f < 0.45 * in->rate_hz))
        return md_error_set(err, MD_ERR_INVALID,
                            "exciter: freq must be below 0.45 x the sample rate (%.10g Hz), got "
                            "%.10g",
                            0.45 * in->rate_hz, f);
    p->ch = in->channels;
    if (md_color_shaper_init(&p->sh, in->channels) != 0)
        return md_error_set(err, MD_ERR_NOMEM, "exciter: out of memory");
    p->lat = md_color_shaper_latency(&p->sh);
    size_t mf = (size_t)in->max_frames + 1;
    p->dry = md_aligned_alloc(sizeof(float) * p->lat * p->ch);
    p->band = md_aligned_alloc(sizeof(float) * mf);
    p->g = md_aligned_alloc(sizeof(float) * mf);
    p->amt = md_aligned_alloc(sizeof(float) * mf);
    if (!p->dry || !p->band || !p->g || !p->amt) {
        exc_release(n);
        return md_error_set(err, MD_ERR_NOMEM, "exciter: out of memory");
    }
    return MD_OK;
}

static void exc_update(md_node *n)
{
    exc_priv *p = md_node_priv(n);
    double rate = md_node_in(n)->rate_hz;
    int curve = md_node_value(n, P_TYPE) == 0 ? MD_COLOR_TAPE : MD_COLOR_TUBE;
    md_color_shaper_set(&p->sh, curve, 0.0);
    md_color_bq_highpass(&p->hp, rate, fmin(md_node_value(n, P_FREQ), 0.45 * rate), BUTTERWORTH_Q);
    p->tail = p->lat + md_color_shaper_span(&p->sh) + 2 * md_color_bq_decay(&p->hp, 1e-7);
}

static void exc_reset(md_node *n)
{
    exc_priv *p = md_node_priv(n);
    md_color_shaper_reset(&p->sh);
    for (unsigned c = 0; c < p->ch; c++) {
        md_color_bq_clear(&p->pre[c]);
        md_color_bq_clear(&p->post[c]);
    }
    for (unsigned i = 0; i < p->lat * p->ch; i++)
        p->dry[i] = 0.0f;
    p->pos = 0;
}

static void exc_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    exc_priv *p = md_node_priv(n);
    md_node_fill_param(n, P_DRIVE, p->g, frames, 1);
    md_node_fill_param(n, P_AMOUNT, p->amt, frames, 0);
    const unsigned lat = p->lat;
    unsigned pos = p->pos;
    for (unsigned c = 0; c < p->ch; c++) {
        float *dry = p->dry + (size_t)c * lat;
        for (unsigned i = 0; i < frames; i++)
            p->band[i] = (float)md_color_bq_step(&p->hp, &p->pre[c], in[c][i]);
        md_color_shaper_run(&p->sh, c, p->band, p->g, p->band, frames);
        pos = p->pos;
        for (unsigned i = 0; i < frames; i++) {
            double xd = dry[pos];
            dry[pos] = in[c][i];
            if (++pos == lat)
                pos = 0;
            double h = md_color_bq_step(&p->hp, &p->post[c], p->band[i]);
            out[c][i] = (float)(xd + p->amt[i] * h);
        }
    }
    p->pos = pos;
}

static unsigned exc_latency(const md_node *n)
{
    const exc_priv *p = md_node_priv(n);
    return p->lat;
}

static unsigned exc_tail(const md_node *n)
{
    const exc_priv *p = md_node_priv(n);
    return p->tail;
}

static void exc_describe(const md_node *n, char *buf, unsigned size)
{
    snprintf(buf, size, "exciter %s above %.6g Hz, amount %.3g",
             exc_types[(int)md_node_value(n, P_TYPE)], md_node_value(n, P_FREQ),
             md_node_value(n, P_AMOUNT));
}

const md_node_vtable md_node_exciter = {
    .name = "exciter",
    .doc = "Add harmonics above freq only: the band above freq is driven into a tape or tube "
           "curve (oversampled 8x), and its distortion, high-passed again at freq, is added to "
           "the untouched dry signal at amount. Content below freq passes unchanged. Latency "
           "88 frames.",
    .params = exc_params,
    .priv_size = sizeof(exc_priv),
    .inputs = 1,
    .prepare = exc_prepare,
    .update = exc_update,
    .reset = exc_reset,
    .process = exc_process,
    .latency = exc_latency,
    .tail = exc_tail,
    .release = exc_release,
    .describe = exc_describe,
};
