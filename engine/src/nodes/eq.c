/* eq.c - eq{bands = {...}, linear_phase}: a parametric equaliser of up to 32
 * RBJ biquads, with dynamic bands, or as one linear-phase FIR.
 *
 *   in ─┬─> [static bands on "all": one fused cascade, every channel]
 *       │   ──> [dynamic bands on "all": their own cascade]
 *       │   ──> segment 1 ──> segment 2 ──> ... ──> out
 *       │                    ^ gains, every 32 frames
 *       └─> detectors of the dynamic bands ─┘
 *
 * Bands on every channel ("all") commute with everything else (linear,
 * time-invariant, the same on each channel), so they all run first as one
 * cascade: the fast path. Dynamic bands on every channel follow in a cascade
 * of their own, so that their moving coefficients do not take the static
 * bands off the fast path. The other bands keep their order, grouped into
 * segments of consecutive bands of one domain:
 *   left/right: a cascade on channel 0 and one on channel 1;
 *   mid/side:   M = (L + R) / 2, S = (L - R) / 2, a cascade on each,
 *               then L = M + S, R = M - S.
 * Changing which channel a band works on rebuilds the segments (their state
 * starts from zero); every other change glides (biquad.c).
 *
 * Dynamic bands (a bell or shelf with a threshold, eq_dynamic.h): each
 * detector listens to the eq's input, whatever the bands before it do, so a
 * threshold means the same thing wherever the band sits. The audio is run in
 * chunks that end on multiples of 32 frames since reset; at each multiple
 * the detectors' gains steer their sections (biquad.c), which reach them by
 * the end of that step.
 *
 * linear_phase = true replaces all of this with eq_fir.c: the same |H| as a
 * symmetric FIR, latency (N - 1) / 2. It is fixed at prepare (the latency of
 * a prepared node cannot change). Dynamic bands are refused there: a gain
 * that moves cannot be a fixed linear-phase FIR, and a band left minimum-
 * phase would give up the linear phase that was asked for. Per-channel bands
 * are supported (a 2 x 2 FIR on stereo).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "../internal.h"
#include "biquad.h"
#include "eq_dynamic.h"
#include "eq_fir.h"
#include "mixdown/md_eq.h"

enum { P_BANDS, P_LINEAR_PHASE };
enum {
    F_TYPE, F_FREQ, F_GAIN, F_Q, F_CHANNEL, F_THRESHOLD, F_RATIO, F_ATTACK, F_RELEASE,
    F_DETECTOR
};
enum { CH_ALL = EQD_ALL, CH_LEFT = EQD_LEFT, CH_RIGHT = EQD_RIGHT, CH_MID = EQD_MID,
       CH_SIDE = EQD_SIDE };
enum { DET_PEAK, DET_RMS };

#define EQ_MAX_BANDS 32
#define STEP MDI_CASCADE_STEP

/* in the order of mdi_bq_type */
static const char *const band_types[] = {"bell",  "lowshelf", "highshelf", "highpass",
                                         "lowpass", "notch",  "bandpass",  "allpass", NULL};
static const char *const band_channels[] = {"all", "left", "right", "mid", "side", NULL};
static const char *const detectors[] = {"peak", "rms", NULL};

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
                "boost (+) or cut (-) of a bell or shelf; ignored by the other types; the "
                "largest change of a dynamic band",
                MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [F_Q] = {"q", "", 0.025, 40.0, 0.7071,
             "RBJ Q for every type: bell width (1.4 = one octave, higher = narrower), shelf "
             "and pass-filter resonance (0.7071 = no overshoot)",
             MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_LOG},
    [F_CHANNEL] = {"channel", "", 0, 0, 0,
                   "what the band filters: all channels, left or right only, or the mid "
                   "(L+R)/2 or side (L-R)/2 of a stereo input",
                   MD_PT_ENUM, 0, band_channels},
    [F_THRESHOLD] = {"threshold", "dB", -100.0, 0.0, -20.0,
                     "makes a bell or shelf dynamic: the level (dBFS, as the detector reads "
                     "the band) above which a cut (gain < 0) cuts, or below which a boost "
                     "(gain > 0) boosts; unset = a static band",
                     MD_PT_NUMBER, MD_PARAM_AUTOMATABLE | MD_PARAM_DB},
    [F_RATIO] = {"ratio", "", 1.0, 100.0, 2.0,
                 "dynamic band: dB of band level past the threshold per dB left after the "
                 "band's gain change (the gain is -(level - threshold)(1 - 1/ratio), at most "
                 "the band's gain)",
                 MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [F_ATTACK] = {"attack", "ms", 0.0, 1000.0, 5.0,
                  "dynamic band: time constant of the gain when the band level rises (63 % of "
                  "a step)",
                  MD_PT_NUMBER, 0},
    [F_RELEASE] = {"release", "ms", 1.0, 5000.0, 100.0,
                   "dynamic band: time constant of the gain when the band level falls",
                   MD_PT_NUMBER, 0},
    [F_DETECTOR] = {"detector", "", 0, 1, DET_PEAK,
                    "dynamic band: peak, or rms (20 ms; a sine reads 3.01 dB lower) of the "
                    "band (a bell's bandpass at freq and q, a shelf's 12 dB/octave low- or "
                    "highpass at freq), the louder channel of the band's channels",
                    MD_PT_ENUM, 0, detectors},
    {NULL},
};

static const md_param_desc eq_params[] = {
    [P_BANDS] = {"bands", "", 0, 0, 0,
                 "up to 32 bands, applied in order: {type, freq, gain, q, channel} each, "
                 "plus {threshold, ratio, attack, release, detector} for a dynamic band",
                 MD_PT_LIST, 0, NULL, band_fields, EQ_MAX_BANDS},
    [P_LINEAR_PHASE] = {"linear_phase", "", 0, 1, 0,
                        "render the bands' magnitude response as a linear-phase FIR (8191 to "
                        "32767 taps at 44.1 kHz, after the lowest, narrowest band) with "
                        "latency; no dynamic bands",
                        MD_PT_BOOL, 0},
    {NULL},
};

typedef struct eq_seg {
    int ms;               /* 0: left/right, 1: mid/side */
    mdi_cascade one, two; /* left or mid; right or side (cap 0: no bands) */
} eq_seg;

typedef struct eq_priv {
    mdi_cascade all;  /* static bands on every channel */
    mdi_cascade dall; /* dynamic bands on every channel */
    eq_seg seg[EQ_MAX_BANDS];
    unsigned nseg;
    unsigned char layout[EQ_MAX_BANDS]; /* channel of each band not on "all", as built */
    unsigned nlayout;
    int built;
    void *pool;
    size_t pool_bytes;
    double rate_hz;
    unsigned nch;
    unsigned tail;
    uint64_t pos; /* frames since reset: the step grid of the dynamic bands */

    /* dynamic bands, by band index */
    eqd_band dyn[EQ_MAX_BANDS];
    unsigned char is_dyn[EQ_MAX_BANDS];
    mdi_cascade *dcasc[EQ_MAX_BANDS]; /* the cascade its section runs in */
    unsigned dsec[EQ_MAX_BANDS];      /* and which section */
    unsigned ndyn;
    double *dstate;

    int linear;
    eqf fir;
} eq_priv;

static int is_ms(int ch) { return ch == CH_MID || ch == CH_SIDE; }

static int has_gain(int type)
{
    return type == MDI_BQ_BELL || type == MDI_BQ_LOWSHELF || type == MDI_BQ_HIGHSHELF;
}

static int band_type(const md_node *n, unsigned b)
{
    return (int)md_node_list_value(n, P_BANDS, b, F_TYPE);
}

static int band_channel(const md_node *n, unsigned b)
{
    return (int)md_node_list_value(n, P_BANDS, b, F_CHANNEL);
}

/* A band with a threshold is dynamic (a bell or shelf; prepare refuses other
 * types). Under linear_phase, bands are static. */
static int band_dynamic(const md_node *n, const eq_priv *p, unsigned b)
{
    return !p->linear && md_node_list_isset(n, P_BANDS, b, F_THRESHOLD) &&
           has_gain(band_type(n, b));
}

static mdi_bq_spec band_spec(const md_node *n, unsigned b, double rate)
{
    mdi_bq_spec c;
    c.type = (mdi_bq_type)band_type(n, b);
    /* a freq moved past Nyquist between blocks cannot be refused here */
    c.freq_hz = fmin(md_node_list_value(n, P_BANDS, b, F_FREQ), 0.499 * rate);
    c.gain_db = md_node_list_value(n, P_BANDS, b, F_GAIN);
    c.q = md_node_list_value(n, P_BANDS, b, F_Q);
    return c;
}

/* The bands as the FIR designer wants them. */
static unsigned fir_bands(const md_node *n, double rate, eqf_band *out)
{
    unsigned nb = md_node_list_count(n, P_BANDS);
    if (nb > EQ_MAX_BANDS)
        nb = EQ_MAX_BANDS;
    for (unsigned b = 0; b < nb; b++) {
        mdi_bq_spec s = band_spec(n, b, rate);
        mdi_bq_design(&out[b].c, &s, rate);
        out[b].ch = band_channel(n, b);
    }
    return nb;
}

static md_status eq_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    eq_priv *p = md_node_priv(n);
    unsigned nb = md_node_list_count(n, P_BANDS);
    int linear = md_node_value(n, P_LINEAR_PHASE) != 0.0;
    (void)out;
    for (unsigned b = 0; b < nb; b++) {
        double f = md_node_list_value(n, P_BANDS, b, F_FREQ);
        int ch = band_channel(n, b), type = band_type(n, b);
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
        if (md_node_list_isset(n, P_BANDS, b, F_THRESHOLD)) {
            if (!has_gain(type))
                return md_error_set(err, MD_ERR_INVALID,
                                    "eq: bands %u: threshold needs a bell, lowshelf or "
                                    "highshelf band, got %s",
                                    b + 1, band_types[type]);
            if (linear)
                return md_error_set(err, MD_ERR_INVALID,
                                    "eq: bands %u: a dynamic band (threshold) cannot be linear "
                                    "phase, got linear_phase = true",
                                    b + 1);
        }
    }
    memset(p, 0, sizeof *p);
    p->rate_hz = in->rate_hz;
    p->nch = in->channels;
    p->linear = linear;
    if (linear) {
        eqf_band fb[EQ_MAX_BANDS];
        unsigned k = fir_bands(n, in->rate_hz, fb);
        if (eqf_init(&p->fir, in->channels, in->channels == 2, in->rate_hz, fb, k) != 0)
            return md_error_set(err, MD_ERR_NOMEM, "eq: out of memory");
        return MD_OK;
    }
    /* a pool for the segments' cascades: each band is in exactly one, and
     * the cascades' sizes are rounded up to 64 bytes */
    p->pool_bytes = EQ_MAX_BANDS * (mdi_cascade_bytes(1, 1) + 64);
    p->pool = md_aligned_alloc(p->pool_bytes);
    p->dstate = md_aligned_alloc(sizeof(double) * EQ_MAX_BANDS * eqd_state_doubles(in->channels));
    if (!p->pool || !p->dstate ||
        mdi_cascade_init(&p->all, EQ_MAX_BANDS, in->channels, in->rate_hz) != 0 ||
        mdi_cascade_init(&p->dall, EQ_MAX_BANDS, in->channels, in->rate_hz) != 0) {
        mdi_cascade_free(&p->all);
        md_aligned_free(p->pool);
        md_aligned_free(p->dstate);
        p->pool = NULL;
        p->dstate = NULL;
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
                side[k]->pos = p->pos; /* on the eq's step grid */
                mem += mdi_cascade_bytes(cnt[s][k], 1);
            }
        }
    }
    memcpy(p->layout, lay, nl);
    p->nlayout = nl;
    p->built = 1;
}

/* Settings (and, for a band that just became dynamic or moved to other
 * channels, state) of dynamic band b. */
static void setup_dynamic(md_node *n, eq_priv *p, unsigned b, const mdi_bq_spec *s, int ch)
{
    eqd_band *d = &p->dyn[b];
    int fresh = !p->is_dyn[b] || d->source != ch;
    eqd_setup(d, s, ch, p->nch, md_node_list_value(n, P_BANDS, b, F_THRESHOLD),
              md_node_list_value(n, P_BANDS, b, F_RATIO),
              md_node_list_value(n, P_BANDS, b, F_ATTACK),
              md_node_list_value(n, P_BANDS, b, F_RELEASE),
              (int)md_node_list_value(n, P_BANDS, b, F_DETECTOR) == DET_RMS, p->rate_hz,
              p->dstate + (size_t)b * eqd_state_doubles(p->nch));
    if (fresh)
        eqd_reset(d);
    p->is_dyn[b] = 1;
}

static void eq_update(md_node *n)
{
    eq_priv *p = md_node_priv(n);
    double rate = p->rate_hz;
    if (p->linear) {
        eqf_band fb[EQ_MAX_BANDS];
        unsigned k = fir_bands(n, rate, fb);
        eqf_design(&p->fir, fb, k);
        return;
    }
    unsigned nb = md_node_list_count(n, P_BANDS);
    unsigned char lay[EQ_MAX_BANDS];
    unsigned nl = 0;
    if (nb > EQ_MAX_BANDS)
        nb = EQ_MAX_BANDS;
    for (unsigned b = 0; b < nb; b++) {
        int ch = band_channel(n, b);
        if (ch != CH_ALL)
            lay[nl++] = (unsigned char)ch;
    }
    if (!p->built || nl != p->nlayout || memcmp(lay, p->layout, nl) != 0)
        build(p, lay, nl);

    mdi_bq_spec all[EQ_MAX_BANDS], dall[EQ_MAX_BANDS], one[EQ_MAX_BANDS], two[EQ_MAX_BANDS];
    double gd[EQ_MAX_BANDS], g1[EQ_MAX_BANDS], g2[EQ_MAX_BANDS];
    unsigned na = 0, nd = 0, n1 = 0, n2 = 0, s = 0, i = 0;
    unsigned char dyn_now[EQ_MAX_BANDS] = {0};
    unsigned extra_tail = 0;
    p->tail = 0;
    p->ndyn = 0;
    for (unsigned b = 0; b <= nb; b++) {
        mdi_bq_spec c = {0};
        int ch = CH_ALL, dyn = 0;
        double g = NAN;
        if (b < nb) {
            ch = band_channel(n, b);
            c = band_spec(n, b, rate);
            dyn = band_dynamic(n, p, b);
            if (dyn) {
                setup_dynamic(n, p, b, &c, ch);
                dyn_now[b] = 1;
                g = p->dyn[b].s2;
                p->ndyn++;
                /* the tail is longest at the band's full gain */
                mdi_bq_coef full;
                mdi_bq_design(&full, &c, rate);
                extra_tail += mdi_bq_tail_frames(&full, 1, 60.0 * rate);
            }
            if (ch == CH_ALL) {
                if (dyn) {
                    p->dcasc[b] = &p->dall;
                    p->dsec[b] = nd;
                    gd[nd] = g;
                    dall[nd++] = c;
                } else {
                    all[na++] = c;
                }
                continue;
            }
        }
        /* a segment ends before a band of the other domain, and after the last */
        if (b == nb || (i > 0 && is_ms(ch) != p->seg[s].ms)) {
            if (i > 0) {
                mdi_cascade_set_dyn(&p->seg[s].one, one, g1, n1);
                mdi_cascade_set_dyn(&p->seg[s].two, two, g2, n2);
                p->tail += mdi_cascade_tail(&p->seg[s].one) + mdi_cascade_tail(&p->seg[s].two);
                s++;
            }
            n1 = n2 = 0;
        }
        if (b == nb)
            break;
        if (ch == CH_RIGHT || ch == CH_SIDE) {
            p->dcasc[b] = &p->seg[s].two;
            p->dsec[b] = n2;
            g2[n2] = g;
            two[n2++] = c;
        } else {
            p->dcasc[b] = &p->seg[s].one;
            p->dsec[b] = n1;
            g1[n1] = g;
            one[n1++] = c;
        }
        i++;
    }
    mdi_cascade_set(&p->all, all, na);
    mdi_cascade_set_dyn(&p->dall, dall, gd, nd);
    p->tail += mdi_cascade_tail(&p->all) + mdi_cascade_tail(&p->dall) + extra_tail;
    memcpy(p->is_dyn, dyn_now, sizeof dyn_now);
}

static void eq_reset(md_node *n)
{
    eq_priv *p = md_node_priv(n);
    if (p->linear) {
        eqf_reset(&p->fir);
        return;
    }
    mdi_cascade_reset(&p->all);
    mdi_cascade_reset(&p->dall);
    for (unsigned s = 0; s < p->nseg; s++) {
        mdi_cascade_reset(&p->seg[s].one);
        mdi_cascade_reset(&p->seg[s].two);
    }
    p->pos = 0;
    for (unsigned b = 0; b < EQ_MAX_BANDS; b++)
        if (p->is_dyn[b]) {
            eqd_reset(&p->dyn[b]);
            mdi_cascade_steer(p->dcasc[b], p->dsec[b], p->dyn[b].s2); /* at once */
        }
}

/* The bands, on frames frames. */
static void chain(eq_priv *p, const float *const *in, float *const *out, unsigned frames)
{
    mdi_cascade_run(&p->all, in, out, frames);
    mdi_cascade_run(&p->dall, (const float *const *)out, out, frames);
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

static void eq_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    eq_priv *p = md_node_priv(n);
    if (p->linear) {
        eqf_run(&p->fir, in, out, frames);
        return;
    }
    if (p->ndyn == 0) {
        chain(p, in, out, frames);
        p->pos += frames;
        return;
    }
    const float *ip[MD_MAX_CHANNELS];
    float *op[MD_MAX_CHANNELS];
    for (unsigned done = 0; done < frames;) {
        unsigned j = (unsigned)(p->pos % STEP), len = STEP - j;
        if (len > frames - done)
            len = frames - done;
        if (j == 0)
            for (unsigned b = 0; b < EQ_MAX_BANDS; b++)
                if (p->is_dyn[b])
                    mdi_cascade_steer(p->dcasc[b], p->dsec[b], p->dyn[b].s2);
        for (unsigned c = 0; c < p->nch; c++) {
            ip[c] = in[c] + done;
            op[c] = out[c] + done;
        }
        /* the detectors read this chunk before the bands overwrite it (in place) */
        int step_end = j + len == STEP;
        for (unsigned b = 0; b < EQ_MAX_BANDS; b++)
            if (p->is_dyn[b])
                eqd_run(&p->dyn[b], ip, len, step_end);
        chain(p, ip, op, len);
        p->pos += len;
        done += len;
    }
}

static unsigned eq_latency(const md_node *n)
{
    const eq_priv *p = md_node_priv(n);
    return p->linear ? eqf_latency(&p->fir) : 0;
}

static unsigned eq_tail(const md_node *n)
{
    const eq_priv *p = md_node_priv(n);
    /* the FIR's last nonzero tap comes half its length after the latency */
    return p->linear ? p->fir.half : p->tail;
}

static void eq_release(md_node *n)
{
    eq_priv *p = md_node_priv(n);
    if (p->linear) {
        eqf_free(&p->fir);
    } else {
        mdi_cascade_free(&p->all);
        mdi_cascade_free(&p->dall);
        md_aligned_free(p->pool);
        md_aligned_free(p->dstate);
    }
    memset(p, 0, sizeof *p);
}

static void eq_describe(const md_node *n, char *buf, unsigned size)
{
    const eq_priv *p = md_node_priv(n);
    unsigned nb = md_node_list_count(n, P_BANDS), nd = 0;
    for (unsigned b = 0; b < nb && b < EQ_MAX_BANDS; b++)
        nd += p->is_dyn[b];
    int k = snprintf(buf, size, "eq %u band%s", nb, nb == 1 ? "" : "s");
    if (k >= 0 && (unsigned)k < size && nd)
        k += snprintf(buf + k, size - (unsigned)k, " (%u dynamic)", nd);
    if (k >= 0 && (unsigned)k < size && p->linear)
        snprintf(buf + k, size - (unsigned)k, ", linear phase %u taps", eqf_taps(&p->fir));
}

const md_node_vtable md_node_eq = {
    .name = "eq",
    .doc = "Parametric equaliser: up to 32 bands (RBJ Audio-EQ-Cookbook biquads: bell, "
           "shelves, pass filters, notch, bandpass, allpass), applied in order, each on every "
           "channel or on the left, right, mid or side of a stereo input. Parameter changes "
           "glide over 10 ms. Zero latency. A bell or shelf with a threshold is dynamic: "
           "its gain follows the level of its band in the eq's input, a cut (gain < 0) "
           "while the band is above the threshold, a boost (gain > 0) while it is below, "
           "by (1 - 1/ratio) dB per dB past the threshold and at most the band's gain, with "
           "attack and release time constants; updated every 32 frames. linear_phase = "
           "true renders the bands' magnitude response as a linear-phase FIR instead (FFT "
           "convolution, latency = half the FIR, reported; changes crossfade; set at "
           "prepare; no dynamic bands).",
    .params = eq_params,
    .priv_size = sizeof(eq_priv),
    .inputs = 1,
    .prepare = eq_prepare,
    .update = eq_update,
    .reset = eq_reset,
    .process = eq_process,
    .latency = eq_latency,
    .tail = eq_tail,
    .release = eq_release,
    .describe = eq_describe,
};

/* --- md_eq.h ------------------------------------------------------------------ */

float md_eq_band_gain_db(const md_node *n, unsigned band)
{
    if (!n || md_node_type(n) != &md_node_eq || band >= md_node_list_count(n, P_BANDS))
        return NAN;
    if (!has_gain(band_type(n, band)))
        return NAN;
    const eq_priv *p = md_node_priv(n);
    if (band < EQ_MAX_BANDS && p->is_dyn[band])
        return p->dyn[band].s2;
    return (float)md_node_list_value(n, P_BANDS, band, F_GAIN);
}

unsigned md_eq_fir_taps(const md_node *n)
{
    if (!n || md_node_type(n) != &md_node_eq)
        return 0;
    const eq_priv *p = md_node_priv(n);
    return p->linear ? eqf_taps(&p->fir) : 0;
}
