/* eq.c - eq{bands = {...}}: a parametric equaliser of up to 32 RBJ biquads.
 *
 *   in ──> [bands on "all": one fused cascade, every channel]
 *      ──> segment 1 ──> segment 2 ──> ... ──> out
 *
 * Bands on every channel ("all") commute with everything else (linear,
 * time-invariant, the same on each channel), so they all run first as one
 * cascade: the fast path. The other bands keep their order, grouped into
 * segments of consecutive bands of one domain:
 *   left/right: a cascade on channel 0 and one on channel 1;
 *   mid/side:   M = (L + R) / 2, S = (L - R) / 2, a cascade on each,
 *               then L = M + S, R = M - S.
 * Changing which channel a band works on rebuilds the segments (their state
 * starts from zero); every other change glides (biquad.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "../internal.h"
#include "biquad.h"

enum { P_BANDS };
enum { F_TYPE, F_FREQ, F_GAIN, F_Q, F_CHANNEL };
enum { CH_ALL, CH_LEFT, CH_RIGHT, CH_MID, CH_SIDE };

#define EQ_MAX_BANDS 32

/* in the order of mdi_bq_type */
static const char *const band_types[] = {"bell",  "lowshelf", "highshelf", "highpass",
                                         "lowpass", "notch",  "bandpass",  "allpass", NULL};
static const char *const band_channels[] = {"all", "left", "right", "mid", "side", NULL};

static const md_param_desc band_fields[] = {
    [F_TYPE] = {"type", "", 0, 0, 0,
                "bell (boost/cut around freq), lowshelf/highshelf (tilt below/above freq), "
                "highpass/lowpass (12 dB/octave), notch (remove freq), bandpass (keep freq, "
                "0 dB peak), allpass (phase only)",
                MD_PT_ENUM, 0, band_types},
    [F_FREQ] = {"freq", "Hz", 1.0, MD_MAX_RATE / 2, 1000.0,
                "centre (bell, notch, bandpass, allpass), midpoint of the shelf (half the "
                "gain), or cutoff (highpass, lowpass); below half the sample rate",
                MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_LOG},
    [F_GAIN] = {"gain", "dB", -48.0, 48.0, 0.0,
                "boost (+) or cut (-) of a bell or shelf; ignored by the other types",
                MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [F_Q] = {"q", "", 0.025, 40.0, 0.7071,
             "RBJ Q for every type: bell width (1.4 = one octave, higher = narrower), shelf "
             "and pass-filter resonance (0.7071 = no overshoot)",
             MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_LOG},
    [F_CHANNEL] = {"channel", "", 0, 0, 0,
                   "what the band filters: all channels, left or right only, or the mid "
                   "(L+R)/2 or side (L-R)/2 of a stereo input",
                   MD_PT_ENUM, 0, band_channels},
    {NULL},
};

static const md_param_desc eq_params[] = {
    [P_BANDS] = {"bands", "", 0, 0, 0,
                 "up to 32 bands, applied in order: {type, freq, gain, q, channel} each",
                 MD_PT_LIST, 0, NULL, band_fields, EQ_MAX_BANDS},
    {NULL},
};

typedef struct eq_seg {
    int ms;               /* 0: left/right, 1: mid/side */
    mdi_cascade one, two; /* left or mid; right or side (cap 0: no bands) */
} eq_seg;

typedef struct eq_priv {
    mdi_cascade all;
    eq_seg seg[EQ_MAX_BANDS];
    unsigned nseg;
    unsigned char layout[EQ_MAX_BANDS]; /* channel of each band not on "all", as built */
    unsigned nlayout;
    int built;
    void *pool;
    size_t pool_bytes;
    double rate_hz;
    unsigned tail;
} eq_priv;

static int is_ms(int ch) { return ch == CH_MID || ch == CH_SIDE; }

static md_status eq_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    eq_priv *p = md_node_priv(n);
    unsigned nb = md_node_list_count(n, P_BANDS);
    (void)out;
    for (unsigned b = 0; b < nb; b++) {
        double f = md_node_list_value(n, P_BANDS, b, F_FREQ);
        int ch = (int)md_node_list_value(n, P_BANDS, b, F_CHANNEL);
        if (!(f < in->rate_hz / 2))
            return md_error_set(err, MD_ERR_INVALID,
                                "eq: bands %u: freq must be below %.10g Hz (half the sample "
                                "rate), got %.10g",
                                b + 1, in->rate_hz / 2, f);
        if (ch != CH_ALL && in->channels != 2)
            return md_error_set(err, MD_ERR_INVALID,
                                "eq: bands %u: channel %s needs a stereo input (2 channels), "
                                "got %u channel%s",
                                b + 1, band_channels[ch], in->channels,
                                in->channels == 1 ? "" : "s");
    }
    p->rate_hz = in->rate_hz;
    p->built = 0;
    /* a pool for the segments' cascades: each band is in exactly one, and
     * the cascades' sizes are rounded up to 64 bytes */
    p->pool_bytes = EQ_MAX_BANDS * (mdi_cascade_bytes(1, 1) + 64);
    p->pool = md_aligned_alloc(p->pool_bytes);
    if (!p->pool || mdi_cascade_init(&p->all, EQ_MAX_BANDS, in->channels, in->rate_hz) != 0) {
        md_aligned_free(p->pool);
        p->pool = NULL;
        return md_error_set(err, MD_ERR_NOMEM, "eq: out of memory");
    }
    return MD_OK;
}

/* Lays out the segments for bands whose channels (other than "all") are lay[]. */
static void build(eq_priv *p, const unsigned char *lay, unsigned nl)
{
    unsigned cnt[EQ_MAX_BANDS][2];
    p->nseg = 0;
    for (unsigned i = 0; i < nl; i++) {
        int ms = is_ms(lay[i]);
        if (p->nseg == 0 || p->seg[p->nseg - 1].ms != ms) {
            p->seg[p->nseg].ms = ms;
            cnt[p->nseg][0] = cnt[p->nseg][1] = 0;
            p->nseg++;
        }
        cnt[p->nseg - 1][lay[i] == CH_RIGHT || lay[i] == CH_SIDE]++;
    }
    char *mem = p->pool;
    for (unsigned s = 0; s < p->nseg; s++) {
        mdi_cascade *side[2] = {&p->seg[s].one, &p->seg[s].two};
        for (int k = 0; k < 2; k++) {
            memset(side[k], 0, sizeof *side[k]);
            if (cnt[s][k]) {
                mdi_cascade_bind(side[k], mem, cnt[s][k], 1, p->rate_hz);
                mem += mdi_cascade_bytes(cnt[s][k], 1);
            }
        }
    }
    memcpy(p->layout, lay, nl);
    p->nlayout = nl;
    p->built = 1;
}

static void eq_update(md_node *n)
{
    eq_priv *p = md_node_priv(n);
    double rate = md_node_in(n)->rate_hz;
    unsigned nb = md_node_list_count(n, P_BANDS);
    unsigned char lay[EQ_MAX_BANDS];
    unsigned nl = 0;
    if (nb > EQ_MAX_BANDS)
        nb = EQ_MAX_BANDS;
    for (unsigned b = 0; b < nb; b++) {
        int ch = (int)md_node_list_value(n, P_BANDS, b, F_CHANNEL);
        if (ch != CH_ALL)
            lay[nl++] = (unsigned char)ch;
    }
    if (!p->built || nl != p->nlayout || memcmp(lay, p->layout, nl) != 0)
        build(p, lay, nl);

    mdi_bq_spec all[EQ_MAX_BANDS], one[EQ_MAX_BANDS], two[EQ_MAX_BANDS];
    unsigned na = 0, n1 = 0, n2 = 0, s = 0, i = 0;
    p->tail = 0;
    for (unsigned b = 0; b <= nb; b++) {
        mdi_bq_spec c = {0};
        int ch = CH_ALL;
        if (b < nb) {
            ch = (int)md_node_list_value(n, P_BANDS, b, F_CHANNEL);
            c.type = (mdi_bq_type)md_node_list_value(n, P_BANDS, b, F_TYPE);
            /* a freq moved past Nyquist between blocks cannot be refused here */
            c.freq_hz = fmin(md_node_list_value(n, P_BANDS, b, F_FREQ), 0.499 * rate);
            c.gain_db = md_node_list_value(n, P_BANDS, b, F_GAIN);
            c.q = md_node_list_value(n, P_BANDS, b, F_Q);
            if (ch == CH_ALL) {
                all[na++] = c;
                continue;
            }
        }
        /* a segment ends before a band of the other domain, and after the last */
        if (b == nb || (i > 0 && is_ms(ch) != p->seg[s].ms)) {
            if (i > 0) {
                mdi_cascade_set(&p->seg[s].one, one, n1);
                mdi_cascade_set(&p->seg[s].two, two, n2);
                p->tail += mdi_cascade_tail(&p->seg[s].one) + mdi_cascade_tail(&p->seg[s].two);
                s++;
            }
            n1 = n2 = 0;
        }
        if (b == nb)
            break;
        if (ch == CH_RIGHT || ch == CH_SIDE)
            two[n2++] = c;
        else
            one[n1++] = c;
        i++;
    }
    mdi_cascade_set(&p->all, all, na);
    p->tail += mdi_cascade_tail(&p->all);
}

static void eq_reset(md_node *n)
{
    eq_priv *p = md_node_priv(n);
    mdi_cascade_reset(&p->all);
    for (unsigned s = 0; s < p->nseg; s++) {
        mdi_cascade_reset(&p->seg[s].one);
        mdi_cascade_reset(&p->seg[s].two);
    }
}

static void eq_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    eq_priv *p = md_node_priv(n);
    mdi_cascade_run(&p->all, in, out, frames);
    for (unsigned s = 0; s < p->nseg; s++) {
        eq_seg *g = &p->seg[s];
        float *l = out[0], *r = out[1];
        if (g->ms)
            for (unsigned i = 0; i < frames; i++) {
                float m = 0.5f * (l[i] + r[i]), d = 0.5f * (l[i] - r[i]);
                l[i] = m;
                r[i] = d;
            }
        if (g->one.cap)
            mdi_cascade_run(&g->one, (const float *const *)&l, &l, frames);
        if (g->two.cap)
            mdi_cascade_run(&g->two, (const float *const *)&r, &r, frames);
        if (g->ms)
            for (unsigned i = 0; i < frames; i++) {
                float m = l[i], d = r[i];
                l[i] = m + d;
                r[i] = m - d;
            }
    }
}

static unsigned eq_tail(const md_node *n)
{
    const eq_priv *p = md_node_priv(n);
    return p->tail;
}

static void eq_release(md_node *n)
{
    eq_priv *p = md_node_priv(n);
    mdi_cascade_free(&p->all);
    md_aligned_free(p->pool);
    p->pool = NULL;
    p->nseg = 0;
    p->built = 0;
}

static void eq_describe(const md_node *n, char *buf, unsigned size)
{
    unsigned nb = md_node_list_count(n, P_BANDS);
    snprintf(buf, size, "eq %u band%s", nb, nb == 1 ? "" : "s");
}

const md_node_vtable md_node_eq = {
    .name = "eq",
    .doc = "Parametric equaliser: up to 32 bands (RBJ Audio-EQ-Cookbook biquads: bell, "
           "shelves, pass filters, notch, bandpass, allpass), applied in order, each on every "
           "channel or on the left, right, mid or side of a stereo input. Parameter changes "
           "glide over 10 ms. Zero latency.",
    .params = eq_params,
    .priv_size = sizeof(eq_priv),
    .inputs = 1,
    .prepare = eq_prepare,
    .update = eq_update,
    .reset = eq_reset,
    .process = eq_process,
    .tail = eq_tail,
    .release = eq_release,
    .describe = eq_describe,
};
