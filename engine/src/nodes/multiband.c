/* multiband.c - multiband{crossovers, bands, linear_phase}: 2 to 5 bands, each
 * with its own compressor, gain, solo and bypass.
 *
 *   in ──> band split (space_xover.h) ──┬─ band 1 ──> comp 1 x gain 1 ──┐
 *                                       ├─ band 2 ──> comp 2 x gain 2 ──┼──> sum ──> out
 *                                       └─ ...                          ┘
 *
 * The split is Linkwitz-Riley 4th order with allpass compensation (bands sum
 * to an allpass: flat magnitude, latency 0), or with linear_phase = true,
 * complementary linear-phase FIRs (bands sum to the input delayed by the
 * reported latency). Each band's compressor is feed-forward: a peak detector
 * on the largest channel (stereo linked), the static curve of Giannoulis,
 * Massberg & Reiss (dyn_common.h) and the decoupled attack/release smoother
 * of space_dyn.h. A band below its threshold (and out of its knee) gets a
 * gain of exactly 1, so the bands still sum flat. A bypassed band passes
 * unprocessed (no compression, makeup or gain); when any band is soloed, only
 * the soloed bands reach the output.
 */
#include <math.h>
#include <string.h>
#include "../internal.h"
#include "space_dyn.h"
#include "space_xover.h"

enum { P_CROSSOVERS, P_BANDS, P_LINEAR_PHASE };
enum { X_FREQ };
enum { F_THRESHOLD, F_RATIO, F_ATTACK, F_RELEASE, F_KNEE, F_MAKEUP, F_GAIN, F_SOLO, F_BYPASS };

#define MB_CHUNK 256u /* frames per inner pass; also the grid of state flushes */

static const md_param_desc xover_fields[] = {
    [X_FREQ] = {"freq", "Hz", 20.0, 20000.0, 1000.0,
                "crossover frequency (LR4: each side -6 dB here), below 0.45 x the sample rate",
                MD_PT_NUMBER, MD_PARAM_LOG},
    {NULL},
};

static const md_param_desc band_fields[] = {
    [F_THRESHOLD] = {"threshold", "dB", -80.0, 0.0, 0.0,
                     "band peak level (dBFS, largest channel) where compression starts",
                     MD_PT_NUMBER, MD_PARAM_DB},
    [F_RATIO] = {"ratio", "", 1.0, 100.0, 1.0,
                 "input dB over the threshold per output dB (1 = no compression)", MD_PT_NUMBER, 0},
    [F_ATTACK] = {"attack", "ms", 0.0, 1000.0, 10.0,
                  "time constant of a growing reduction (63 % of a step)", MD_PT_NUMBER, 0},
    [F_RELEASE] = {"release", "ms", 1.0, 5000.0, 100.0,
                   "time constant of a shrinking reduction (63 % of a step)", MD_PT_NUMBER, 0},
    [F_KNEE] = {"knee", "dB", 0.0, 40.0, 6.0,
                "width of the soft knee around the threshold (0 = hard)", MD_PT_NUMBER, 0},
    [F_MAKEUP] = {"makeup", "dB", -24.0, 48.0, 0.0, "gain after the band's compressor",
                  MD_PT_NUMBER, MD_PARAM_DB},
    [F_GAIN] = {"gain", "dB", -60.0, 24.0, 0.0, "level of the band in the sum", MD_PT_NUMBER,
                MD_PARAM_DB},
    [F_SOLO] = {"solo", "", 0, 1, 0, "only soloed bands reach the output", MD_PT_BOOL, 0},
    [F_BYPASS] = {"bypass", "", 0, 1, 0, "pass the band unprocessed", MD_PT_BOOL, 0},
    {NULL},
};

static const md_param_desc mb_params[] = {
    [P_CROSSOVERS] = {"crossovers", "", 0, 0, 0,
                      "1 to 4 crossover frequencies {freq}, low to high (default: 200 and "
                      "2000 Hz, or a spread that fits the number of bands)",
                      MD_PT_LIST, 0, NULL, xover_fields, SX_MAX_XOVERS},
    [P_BANDS] = {"bands", "", 0, 0, 0,
                 "one item per band, low to high (crossovers + 1): {threshold, ratio, attack, "
                 "release, knee, makeup, gain, solo, bypass}",
                 MD_PT_LIST, 0, NULL, band_fields, SX_MAX_BANDS},
    [P_LINEAR_PHASE] = {"linear_phase", "", 0, 1, 0,
                        "linear-phase FIR crossovers (no phase shift; adds latency)", MD_PT_BOOL,
                        0},
    {NULL},
};

/* crossovers used when the list is not given, by number of bands */
static const double default_xovers[SX_MAX_BANDS + 1][SX_MAX_XOVERS] = {
    [2] = {250.0},
    [3] = {200.0, 2000.0},
    [4] = {150.0, 1000.0, 5000.0},
    [5] = {100.0, 500.0, 2000.0, 8000.0},
};

typedef struct mb_band {
    float thr, rinv, knee;
    float floor; /* linear peak below which the curve is 0: threshold - knee / 2 */
    float gain;  /* makeup x gain, linear */
    int compress, bypass, audible;
    sd_env env;
} mb_band;

typedef struct mb_priv {
    unsigned ch, nx;
    int fir_mode;
    double rate_hz;
    double freq[SX_MAX_XOVERS];
    sx_iir iir;
    sx_fir fir;
    mb_band band[SX_MAX_BANDS];
    float *bandbuf; /* SX_MAX_BANDS x ch x MB_CHUNK */
    float *gbuf;    /* SX_MAX_BANDS x MB_CHUNK: the bands' gains */
    uint64_t pos;   /* frames since reset */
} mb_priv;

/* Crossover frequencies from the parameters; 0 on success, else -1 with the
 * message in err (bad count, order or frequency). */
static int read_xovers(md_node *n, double rate_hz, unsigned *nx, double *freq, md_error *err)
{
    unsigned nc = md_node_list_count(n, P_CROSSOVERS), nb = md_node_list_count(n, P_BANDS);
    if (nb == 1) {
        md_error_set(err, MD_ERR_INVALID, "multiband: bands must have 2 to %u items, got 1",
                     SX_MAX_BANDS);
        return -1;
    }
    if (nc == 0) {
        unsigned want = nb ? nb : 3;
        *nx = want - 1;
        for (unsigned k = 0; k < *nx; k++)
            freq[k] = default_xovers[want][k];
    } else {
        if (nb && nb != nc + 1) {
            md_error_set(err, MD_ERR_INVALID,
                         "multiband: bands must have crossovers + 1 items (crossovers has %u, "
                         "so %u bands), got %u bands",
                         nc, nc + 1, nb);
            return -1;
        }
        *nx = nc;
        for (unsigned k = 0; k < nc; k++)
            freq[k] = md_node_list_value(n, P_CROSSOVERS, k, X_FREQ);
    }
    for (unsigned k = 0; k < *nx; k++) {
        if (!(freq[k] < 0.45 * rate_hz)) {
            md_error_set(err, MD_ERR_INVALID,
                         "multiband: crossovers %u: freq must be below %.10g Hz (0.45 x the "
                         "sample rate), got %.10g",
                         k + 1, 0.45 * rate_hz, freq[k]);
            return -1;
        }
        if (k > 0 && !(freq[k] > freq[k - 1])) {
            md_error_set(err, MD_ERR_INVALID,
                         "multiband: crossovers %u: freq must be above crossover %u (%.10g Hz), "
                         "got %.10g",
                         k + 1, k, freq[k - 1], freq[k]);
            return -1;
        }
    }
    return 0;
}

static md_status mb_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    mb_priv *p = md_node_priv(n);
    (void)out;
    if (read_xovers(n, in->rate_hz, &p->nx, p->freq, err) != 0)
        return err ? err->status : MD_ERR_INVALID;
    p->ch = in->channels;
    p->rate_hz = in->rate_hz;
    p->fir_mode = md_node_value(n, P_LINEAR_PHASE) != 0.0;
    p->bandbuf = md_aligned_alloc(sizeof(float) * SX_MAX_BANDS * p->ch * MB_CHUNK);
    p->gbuf = md_aligned_alloc(sizeof(float) * SX_MAX_BANDS * MB_CHUNK);
    int bad = !p->bandbuf || !p->gbuf;
    if (!bad)
        bad = p->fir_mode ? sx_fir_init(&p->fir, p->ch, in->rate_hz) : sx_iir_init(&p->iir, p->ch);
    if (bad) {
        md_aligned_free(p->bandbuf);
        md_aligned_free(p->gbuf);
        p->bandbuf = p->gbuf = NULL;
        return md_error_set(err, MD_ERR_NOMEM, "multiband: out of memory");
    }
    if (p->fir_mode)
        sx_fir_set(&p->fir, p->nx, p->freq);
    else
        sx_iir_set(&p->iir, p->nx, p->freq, p->rate_hz);
    return MD_OK;
}

static void mb_release(md_node *n)
{
    mb_priv *p = md_node_priv(n);
    if (p->fir_mode)
        sx_fir_free(&p->fir);
    else
        sx_iir_free(&p->iir);
    md_aligned_free(p->bandbuf);
    md_aligned_free(p->gbuf);
    p->bandbuf = p->gbuf = NULL;
}

static void mb_update(md_node *n)
{
    mb_priv *p = md_node_priv(n);
    /* new crossover frequencies apply when they still fit the prepared
     * layout (same count, increasing, below 0.45 fs); prepare reports the rest */
    unsigned nx;
    double freq[SX_MAX_XOVERS];
    if (read_xovers(n, p->rate_hz, &nx, freq, NULL) == 0 && nx == p->nx &&
        memcmp(freq, p->freq, sizeof(double) * nx) != 0) {
        memcpy(p->freq, freq, sizeof(double) * nx);
        if (p->fir_mode)
            sx_fir_set(&p->fir, p->nx, p->freq);
        else
            sx_iir_set(&p->iir, p->nx, p->freq, p->rate_hz);
    }
    int any_solo = 0;
    for (unsigned b = 0; b <= p->nx; b++)
        any_solo |= md_node_list_value(n, P_BANDS, b, F_SOLO) != 0.0;
    for (unsigned b = 0; b <= p->nx; b++) {
        mb_band *B = &p->band[b];
        double ratio = md_node_list_value(n, P_BANDS, b, F_RATIO);
        B->thr = (float)md_node_list_value(n, P_BANDS, b, F_THRESHOLD);
        B->rinv = (float)(1.0 / ratio);
        B->knee = (float)md_node_list_value(n, P_BANDS, b, F_KNEE);
        B->floor = (float)pow(10.0, (B->thr - 0.5 * B->knee) / 20.0);
        B->bypass = md_node_list_value(n, P_BANDS, b, F_BYPASS) != 0.0;
        B->compress = !B->bypass && ratio > 1.0;
        B->audible = any_solo ? md_node_list_value(n, P_BANDS, b, F_SOLO) != 0.0 : 1;
        B->gain = B->bypass ? 1.0f
                            : (float)pow(10.0, (md_node_list_value(n, P_BANDS, b, F_MAKEUP) +
                                                md_node_list_value(n, P_BANDS, b, F_GAIN)) /
                                                   20.0);
        sd_env_set(&B->env, md_node_list_value(n, P_BANDS, b, F_ATTACK),
                   md_node_list_value(n, P_BANDS, b, F_RELEASE), p->rate_hz);
    }
}

static void mb_reset(md_node *n)
{
    mb_priv *p = md_node_priv(n);
    if (p->fir_mode)
        sx_fir_reset(&p->fir);
    else
        sx_iir_reset(&p->iir);
    for (unsigned b = 0; b < SX_MAX_BANDS; b++)
        sd_env_reset(&p->band[b].env);
    p->pos = 0;
}

static unsigned mb_latency(const md_node *n)
{
    const mb_priv *p = md_node_priv(n);
    return p->fir_mode ? sx_fir_latency(&p->fir) : 0;
}

static unsigned mb_tail(const md_node *n)
{
    const mb_priv *p = md_node_priv(n);
    if (p->fir_mode)
        return p->fir.half; /* the FIRs ring D frames past their centre */
    float gmax = 1.0f;
    for (unsigned b = 0; b <= p->nx; b++)
        if (p->band[b].gain > gmax)
            gmax = p->band[b].gain;
    return (unsigned)ceil(sx_iir_tail(&p->iir, 1e-6 / gmax));
}

/* Gains of every band for the chunk's frames, into gbuf (band b at
 * b x MB_CHUNK). Three passes, so that only the smoothers' recursions are
 * serial, and those of all bands interleave: wanted reduction, smoothing,
 * dB to linear. */
static void band_gains(mb_priv *p, unsigned nb, unsigned nfr)
{
    unsigned comp[SX_MAX_BANDS], ncomp = 0;
    for (unsigned b = 0; b < nb; b++) {
        mb_band *B = &p->band[b];
        float *r = p->gbuf + (size_t)b * MB_CHUNK;
        if (!B->compress)
            continue;
        comp[ncomp++] = b;
        const float *x0 = p->bandbuf + (size_t)b * p->ch * MB_CHUNK;
        for (unsigned t = 0; t < nfr; t++) {
            float peak = 0.0f;
            for (unsigned c = 0; c < p->ch; c++) {
                float a = fabsf(x0[(size_t)c * MB_CHUNK + t]);
                peak = a > peak ? a : peak;
            }
            /* below the knee the curve is exactly 0: skip the logarithm */
            r[t] = peak > B->floor ? -dyn_compress_gc(dyn_amp_to_db(peak), B->thr, B->rinv, B->knee)
                                   : 0.0f;
        }
    }
    for (unsigned t = 0; t < nfr; t++)
        for (unsigned k = 0; k < ncomp; k++) {
            float *r = p->gbuf + (size_t)comp[k] * MB_CHUNK;
            r[t] = sd_env_run(&p->band[comp[k]].env, r[t]);
        }
    for (unsigned b = 0; b < nb; b++) {
        const mb_band *B = &p->band[b];
        float *g = p->gbuf + (size_t)b * MB_CHUNK;
        if (!B->compress)
            for (unsigned t = 0; t < nfr; t++)
                g[t] = B->gain;
        else
            for (unsigned t = 0; t < nfr; t++)
                g[t] = g[t] > 0.0f ? dyn_db_to_amp(-g[t]) * B->gain : B->gain;
    }
}

static void mb_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    mb_priv *p = md_node_priv(n);
    const unsigned nb = p->nx + 1, ch = p->ch;
    unsigned done = 0;
    while (done < frames) {
        /* chunks end on a grid of absolute frames, so flushes do not depend
         * on the caller's block size */
        unsigned nfr = MB_CHUNK - (unsigned)(p->pos % MB_CHUNK);
        if (nfr > frames - done)
            nfr = frames - done;
        if (p->fir_mode) {
            const float *xin[MD_MAX_CHANNELS];
            float *bch[SX_MAX_BANDS][MD_MAX_CHANNELS];
            float *const *bp[SX_MAX_BANDS];
            for (unsigned c = 0; c < ch; c++) {
                xin[c] = in[c] + done;
                for (unsigned b = 0; b < nb; b++)
                    bch[b][c] = p->bandbuf + ((size_t)b * ch + c) * MB_CHUNK;
            }
            for (unsigned b = 0; b < nb; b++)
                bp[b] = bch[b];
            sx_fir_run(&p->fir, xin, bp, nfr);
        } else {
            for (unsigned c = 0; c < ch; c += 2) {
                float *b0[SX_MAX_BANDS], *b1[SX_MAX_BANDS];
                int two = c + 1 < ch;
                for (unsigned b = 0; b < nb; b++) {
                    b0[b] = p->bandbuf + ((size_t)b * ch + c) * MB_CHUNK;
                    b1[b] = two ? b0[b] + MB_CHUNK : NULL;
                }
                sx_iir_run(&p->iir, c / 2, in[c] + done, two ? in[c + 1] + done : NULL, b0,
                           two ? b1 : NULL, nfr);
            }
        }
        /* every input frame of the chunk is consumed: out may alias in */
        for (unsigned c = 0; c < ch; c++)
            memset(out[c] + done, 0, sizeof(float) * nfr);
        band_gains(p, nb, nfr);
        for (unsigned b = 0; b < nb; b++) {
            if (!p->band[b].audible)
                continue;
            const float *g = p->gbuf + (size_t)b * MB_CHUNK;
            for (unsigned c = 0; c < ch; c++) {
                const float *x = p->bandbuf + ((size_t)b * ch + c) * MB_CHUNK;
                float *y = out[c] + done;
                for (unsigned t = 0; t < nfr; t++)
                    y[t] += g[t] * x[t];
            }
        }
        p->pos += nfr;
        done += nfr;
        if (!p->fir_mode && p->pos % MB_CHUNK == 0)
            sx_iir_flush(&p->iir);
    }
}

const md_node_vtable md_node_multiband = {
    .name = "multiband",
    .doc = "Split into 2 to 5 bands (Linkwitz-Riley 4th-order crossovers whose bands sum "
           "flat, or linear-phase FIR crossovers) and compress each band on its own, with "
           "per-band gain, solo and bypass.",
    .params = mb_params,
    .priv_size = sizeof(mb_priv),
    .inputs = 1,
    .prepare = mb_prepare,
    .update = mb_update,
    .reset = mb_reset,
    .process = mb_process,
    .latency = mb_latency,
    .tail = mb_tail,
    .release = mb_release,
};
