/* width.c - width{amount, bass_mono}, ms_encode and ms_decode: stereo image
 * in mid/side terms, M = (L + R) / 2, S = (L - R) / 2, L = M + S, R = M - S.
 *
 * width scales the side by amount (0 = mono, 1 = unchanged, 2 = side doubled).
 * With bass_mono = f it also removes the side below f with a Linkwitz-Riley
 * 4th-order high-pass (two Butterworth 2nd-order sections), and runs the mid
 * through the matching 2nd-order allpass (LR4 low + high = that allpass), so
 * mid and side stay in phase and the mid's magnitude stays flat:
 *
 *   L,R -> M -> allpass(f) ---------------------+-> L = M' + S', R = M' - S'
 *       -> S -> LR4 high-pass(f) -> x amount ---+
 *
 * At amount = 1 without bass_mono the channels pass bit for bit.
 */
#include "../internal.h"
#include "color_filter.h"
#include <math.h>
#include <stdio.h>

enum { P_AMOUNT, P_BASS_MONO };

#define BUTTERWORTH_Q 0.70710678118654752

static const md_param_desc width_params[] = {
    [P_AMOUNT] = {"amount", "", 0.0, 2.0, 1.0,
                  "side level: 0 = mono, 1 = unchanged, 2 = side doubled (wider)", MD_PT_NUMBER,
                  MD_PARAM_AUTOMATABLE},
    [P_BASS_MONO] = {"bass_mono", "Hz", 0.0, 2000.0, 0.0,
                     "make everything below this frequency mono (Linkwitz-Riley 24 dB/oct on "
                     "the side; 0 = off)",
                     MD_PT_NUMBER, 0},
    {NULL},
};

static const md_param_desc no_params[] = {{NULL}};

typedef struct width_priv {
    float *a; /* max_frames smoothed amounts */
    int bass; /* bass_mono on */
    md_color_bq ap, hp;
    md_color_bq_state mst, s1, s2; /* allpass on M, two high-pass sections on S */
    unsigned tail;
} width_priv;

static md_status need_stereo(const char *name, const md_stream *in, md_error *err)
{
    if (in->channels != 2)
        return md_error_set(err, MD_ERR_GRAPH, "%s: needs 2 channels (left and right), got %u",
                            name, in->channels);
    return MD_OK;
}

static md_status width_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    width_priv *p = md_node_priv(n);
    (void)out;
    md_status s = need_stereo("width", in, err);
    if (s != MD_OK)
        return s;
    double f = md_node_value(n, P_BASS_MONO);
    if (f > 0.0 && !(f < 0.45 * in->rate_hz))
        return md_error_set(err, MD_ERR_INVALID,
                            "width: bass_mono must be below 0.45 x the sample rate (%.10g Hz), "
                            "got %.10g",
                            0.45 * in->rate_hz, f);
    p->a = md_aligned_alloc(sizeof(float) * ((size_t)in->max_frames + 1));
    if (!p->a)
        return md_error_set(err, MD_ERR_NOMEM, "width: out of memory");
    return MD_OK;
}

static void width_release(md_node *n)
{
    width_priv *p = md_node_priv(n);
    md_aligned_free(p->a);
    p->a = NULL;
}

static void width_update(md_node *n)
{
    width_priv *p = md_node_priv(n);
    double rate = md_node_in(n)->rate_hz;
    double f = fmin(md_node_value(n, P_BASS_MONO), 0.45 * rate);
    p->bass = f > 0.0;
    p->tail = 0;
    if (p->bass) {
        md_color_bq_allpass(&p->ap, rate, f, BUTTERWORTH_Q);
        md_color_bq_highpass(&p->hp, rate, f, BUTTERWORTH_Q);
        unsigned a = md_color_bq_decay(&p->ap, 1e-7), h = md_color_bq_decay(&p->hp, 1e-7);
        p->tail = (a > 2 * h ? a : 2 * h) + 1;
    }
}

static void width_reset(md_node *n)
{
    width_priv *p = md_node_priv(n);
    md_color_bq_clear(&p->mst);
    md_color_bq_clear(&p->s1);
    md_color_bq_clear(&p->s2);
}

static void width_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    width_priv *p = md_node_priv(n);
    md_node_fill_param(n, P_AMOUNT, p->a, frames, 0);
    const float *a = p->a;
    for (unsigned i = 0; i < frames; i++) {
        float l = in[0][i], r = in[1][i];
        double m = 0.5 * ((double)l + r), s = 0.5 * ((double)l - r);
        if (p->bass) {
            m = md_color_bq_step(&p->ap, &p->mst, m);
            s = md_color_bq_step(&p->hp, &p->s2, md_color_bq_step(&p->hp, &p->s1, s));
        } else if (a[i] == 1.0f) {
            out[0][i] = l;
            out[1][i] = r;
            continue;
        }
        s *= a[i];
        out[0][i] = (float)(m + s);
        out[1][i] = (float)(m - s);
    }
}

static unsigned width_tail(const md_node *n)
{
    const width_priv *p = md_node_priv(n);
    return p->tail;
}

static void width_describe(const md_node *n, char *buf, unsigned size)
{
    double f = md_node_value(n, P_BASS_MONO);
    if (f > 0.0)
        snprintf(buf, size, "width %.3g, mono below %.6g Hz", md_node_value(n, P_AMOUNT), f);
    else
        snprintf(buf, size, "width %.3g", md_node_value(n, P_AMOUNT));
}

const md_node_vtable md_node_width = {
    .name = "width",
    .doc = "Stereo width in mid/side terms: amount scales the side (0 = mono, 1 = unchanged, "
           "2 = side doubled); bass_mono makes everything below a frequency mono with a "
           "Linkwitz-Riley crossover on the side, the mid's magnitude staying flat. Needs 2 "
           "channels. Zero latency.",
    .params = width_params,
    .priv_size = sizeof(width_priv),
    .inputs = 1,
    .prepare = width_prepare,
    .update = width_update,
    .reset = width_reset,
    .process = width_process,
    .tail = width_tail,
    .release = width_release,
    .describe = width_describe,
};

/* --- ms_encode / ms_decode --------------------------------------------------- */

static md_status msenc_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    (void)n;
    (void)out;
    return need_stereo("ms_encode", in, err);
}

static md_status msdec_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    (void)n;
    (void)out;
    return need_stereo("ms_decode", in, err);
}

static void msenc_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    (void)n;
    for (unsigned i = 0; i < frames; i++) {
        double l = in[0][i], r = in[1][i];
        out[0][i] = (float)(0.5 * (l + r));
        out[1][i] = (float)(0.5 * (l - r));
    }
}

static void msdec_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    (void)n;
    for (unsigned i = 0; i < frames; i++) {
        double m = in[0][i], s = in[1][i];
        out[0][i] = (float)(m + s);
        out[1][i] = (float)(m - s);
    }
}

const md_node_vtable md_node_ms_encode = {
    .name = "ms_encode",
    .doc = "Left/right to mid/side: channel 1 becomes M = (L + R) / 2, channel 2 S = (L - R) / 2, "
           "so the nodes after it process mid and side separately; ms_decode turns them back. "
           "Needs 2 channels.",
    .params = no_params,
    .inputs = 1,
    .prepare = msenc_prepare,
    .process = msenc_process,
};

const md_node_vtable md_node_ms_decode = {
    .name = "ms_decode",
    .doc = "Mid/side to left/right: L = M + S, R = M - S, the inverse of ms_encode. Needs 2 "
           "channels.",
    .params = no_params,
    .inputs = 1,
    .prepare = msdec_prepare,
    .process = msdec_process,
};
