/* denoise.c - denoise{amount, floor, smoothing, mode, profile, noise}: spectral
 * noise reduction for music (mode = music) or SpeexDSP's preprocessor for
 * voice (mode = speech, denoise_speex.c).
 *
 * Music mode:
 *
 *   in -> [delay D: only with a profile span] -> STFT (stft.c: 4096-point Hann
 *   at 44.1/48 kHz, 75 % overlap) -> one gain per bin -> inverse STFT -> out
 *     |                                           ^
 *     +-> profile learner (frames of the span) ---+-- noise power per bin
 *         or the minimum-statistics tracker ------+
 *
 * One gain per bin for all channels (from their mean power), so the stereo
 * image does not move. Per frame and bin, with P the mean power and N the
 * noise power:
 *   over-subtraction  gamma = P / (OVERSUB x N)         (a posteriori SNR)
 *   decision-directed xi = a G_prev^2 gamma_prev + (1 - a) max(gamma - 1, 0),
 *                     at least XI_MIN (Ephraim and Malah, IEEE TASSP 32(6),
 *                     1984): smoothing over time that keeps the residual
 *                     noise even instead of "musical"; G = xi / (1 + xi)
 *   fast opening      G = max(G, sqrt(1 - F / gamma), sqrt(1 - 1 / band)):
 *                     the decision-directed gain lags onsets and buries
 *                     sounds a few dB over the noise (hats, cymbals); a clear
 *                     onset in the bin (gamma > F), or a broadband sound seen
 *                     by the SNR over +-5 % of the frequency (band_snr:
 *                     smoothing over frequency, with a threshold that noise
 *                     alone reaches rarely) opens the bin at once
 *   floor, amount     G = max(G, floor) ^ amount (amount scales the reduction
 *                     in dB: 0.5 removes half as many dB as 1)
 * `smoothing` raises a (0.96 .. 0.995), F (3 .. 5) and band_snr's threshold
 * together: smoother residual noise, duller transients.
 *
 * The noise power comes from, in this order of preference:
 *   noise = {{freq, db}, ...}  a measured spectrum given by the host (Lua:
 *                              mixdown.restore.noise_profile measures a span
 *                              anywhere in a file in a first pass);
 *   profile = {start, stop}    a span in seconds where only noise plays: the
 *                              node learns it while the stream passes and
 *                              delays its output by D = stop (rounded up to a
 *                              hop), so frames before the span are cleaned
 *                              with it too. Memory: D x channels floats
 *                              (stop is at most 600 s);
 *   neither                    minimum statistics (after Martin, IEEE TSAP
 *                              9(5), 2001, with a fixed smoothing and bias):
 *                              each bin's minimum over 6 s, then a median
 *                              across +-12 % of the frequency so held notes
 *                              (narrow peaks) are not taken for noise. A
 *                              fallback: music that never pauses (a bass line,
 *                              a drone) still raises the estimate.
 *
 * Latency: the STFT's n frames (+ D with a profile span); tail: n frames.
 * All parameters are read at frame boundaries, which fall on absolute
 * positions (multiples of the hop), so output does not depend on blocks.
 * `profile` and `noise` are read by prepare.
 */
#include "../internal.h"
#include "denoise_speex.h"
#include "stft.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_AMOUNT, P_FLOOR, P_SMOOTHING, P_MODE, P_PROFILE, P_NOISE };
enum { M_MUSIC, M_SPEECH };
enum { F_T };
enum { F_FREQ, F_DB };

#define MAX_SPAN_S 600.0
#define OVERSUB 1.5f       /* noise estimate scaled up (1.8 dB) before the gain rule */
#define XI_MIN_DB (-25.0)  /* lowest a priori SNR */
#define BAND_FRAC 0.05     /* band_snr: half-width of the band, a fraction of the frequency */
#define BAND_MIN_W 4       /* ... used from 2 x 4 + 1 bins on (860 Hz at 44.1 kHz) */
#define TRACK_S 6.0        /* minimum-statistics window */
#define TRACK_SUB 8        /* ... in this many sub-windows */
#define TRACK_SMOOTH 0.9f  /* periodogram smoothing per frame (23 ms hops) */
#define TRACK_BIAS 1.70f   /* minimum -> mean, measured on stereo white noise */
#define TRACK_FRAC 0.12    /* track_smooth: half-width of the median, a fraction of the frequency */
#define TRACK_MIN_W 12     /* ... and at least this many bins (130 Hz at 44.1 kHz) */

static const char *const modes[] = {"music", "speech", NULL};

static const md_param_desc profile_fields[] = {
    [F_T] = {"t", "s", 0.0, MAX_SPAN_S, 0.0, "a position in the stream", MD_PT_NUMBER, 0},
    {NULL},
};

static const md_param_desc noise_fields[] = {
    [F_FREQ] = {"freq", "Hz", 0.0, MD_MAX_RATE / 2, 1000.0, "frequency of the point",
                MD_PT_NUMBER, 0},
    [F_DB] = {"db", "dB", -400.0, 100.0, -120.0,
              "noise power per Hz, dB re a full-scale RMS (white noise of RMS r at rate fs "
              "reads 20 log10 r - 10 log10(fs / 2))",
              MD_PT_NUMBER, 0},
    {NULL},
};

static const md_param_desc denoise_params[] = {
    [P_AMOUNT] = {"amount", "", 0.0, 1.0, 0.5,
                  "how much of the reduction to apply, in dB: 0 none, 1 all of it (down to floor)",
                  MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [P_FLOOR] = {"floor", "dB", -80.0, 0.0, -24.0, "largest reduction of any frequency",
                 MD_PT_NUMBER, 0},
    [P_SMOOTHING] = {"smoothing", "", 0.0, 1.0, 0.5,
                     "gain smoothing over time and frequency: higher avoids musical noise, lower "
                     "follows transients",
                     MD_PT_NUMBER, 0},
    [P_MODE] = {"mode", "", 0, 1, M_MUSIC,
                "music (spectral, any material) or speech (SpeexDSP on 16-bit frames: voice only)",
                MD_PT_ENUM, 0, modes},
    [P_PROFILE] = {"profile", "s", 0, 0, 0,
                   "{start, stop}: a span with only noise, learned as the stream passes (output "
                   "is delayed by stop); none: estimated continuously",
                   MD_PT_LIST, 0, NULL, profile_fields, 2},
    [P_NOISE] = {"noise", "", 0, 0, 0,
                 "a measured noise spectrum, {freq, db} points (mixdown.restore.noise_profile "
                 "makes it from a span anywhere in a file)",
                 MD_PT_LIST, 0, NULL, noise_fields, 4096},
    {NULL},
};

typedef struct dn_priv {
    int mode;
    double rate;
    unsigned channels, n, hop, bins;
    mdi_stft stft;
    dn_speex spx;
    /* noise estimate and gain state, one value per bin, linked over channels */
    float *noise, *snr_prev, *gain, *pw, *bsnr;
    double *cum;         /* 2 x (bins + 1): running sums for band_snr */
    float *band_inv;     /* band_snr: 1 / threshold per bin ... */
    double band_z;       /* ... for this z (NaN: not computed) */
    int fixed_noise;     /* noise comes from `noise` or a learned profile */
    int from_points;     /* ... from `noise` (kept over reset) */
    /* minimum statistics */
    float *smooth, *sub_min, *stored_min, *win_min; /* win_min: TRACK_SUB x bins */
    unsigned sub_len, sub_count, sub_index, frames_seen;
    int started, rolled;
    float *med;          /* scratch for track_smooth's medians */
    /* profile span: delay line and learner */
    unsigned delay;               /* D frames (0: no delay line) */
    float **ring, **dl;           /* [channels][D], [channels][hop] */
    unsigned ring_pos;
    int64_t t;                    /* frames received since reset */
    int64_t learn_first, learn_last; /* frame ends of the first and last learned frames */
    double *learn_acc;
    unsigned learn_frames;
    float *learn_buf;
    kiss_fft_cpx *learn_spec;
    void *mem;
} dn_priv;

/* max/min without libm calls (no NaN here: powers are finite and >= 0) */
static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }

static double span_value(const md_node *n, unsigned item)
{
    return md_node_list_value(n, P_PROFILE, item, F_T);
}

static void dn_release(md_node *n)
{
    dn_priv *p = md_node_priv(n);
    mdi_stft_free(&p->stft);
    dn_speex_free(&p->spx);
    free(p->mem);
    free(p->learn_acc);
    free(p->cum);
    p->mem = NULL;
    p->learn_acc = NULL;
    p->cum = NULL;
}

/* FFT size: 64..93 ms, 4096 frames at 44.1 and 48 kHz (fine enough to
 * resolve the partials of chords, short enough for drums) */
static unsigned fft_size(double rate)
{
    unsigned n = 256;
    while (n < 32768 && n * 2 <= rate * 0.093 + 1)
        n *= 2;
    return n;
}

/* The `noise` points (PSD in dB per Hz, one-sided, re full-scale RMS^2)
 * interpolated in log frequency onto the bins, as the expected |X_k|^2 of
 * this STFT: variance = psd x fs / 2, times sum(hann^2) = 3n/8. */
static md_status noise_from_points(md_node *n, dn_priv *p, md_error *err)
{
    unsigned cnt = md_node_list_count(n, P_NOISE);
    double prev_f = -1.0;
    for (unsigned i = 0; i < cnt; i++) {
        double f = md_node_list_value(n, P_NOISE, i, F_FREQ);
        if (!(f > prev_f))
            return md_error_set(err, MD_ERR_INVALID,
                                "denoise: noise points must rise in freq, got %.10g after %.10g",
                                f, prev_f);
        prev_f = f;
    }
    double scale = p->rate / 2.0 * 0.375 * p->n;
    unsigned j = 0;
    for (unsigned k = 0; k < p->bins; k++) {
        double f = k * p->rate / p->n, db;
        while (j + 1 < cnt && md_node_list_value(n, P_NOISE, j + 1, F_FREQ) <= f)
            j++;
        double f0 = md_node_list_value(n, P_NOISE, j, F_FREQ);
        double d0 = md_node_list_value(n, P_NOISE, j, F_DB);
        if (f <= f0 || j + 1 >= cnt) {
            db = d0;
        } else {
            double f1 = md_node_list_value(n, P_NOISE, j + 1, F_FREQ);
            double d1 = md_node_list_value(n, P_NOISE, j + 1, F_DB);
            double x = f0 > 0 ? log(f / f0) / log(f1 / f0) : (f - f0) / (f1 - f0);
            db = d0 + x * (d1 - d0);
        }
        p->noise[k] = (float)(pow(10.0, db / 10.0) * scale);
    }
    return MD_OK;
}

static double amount_now(void *user) { return md_node_value((md_node *)user, P_AMOUNT); }

static md_status fail(md_node *n, md_status s, md_error *err, const char *msg)
{
    dn_release(n);
    return md_error_set(err, s, "%s", msg);
}

static md_status dn_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    dn_priv *p = md_node_priv(n);
    (void)out;
    memset(p, 0, sizeof *p);
    p->mode = (int)md_node_value(n, P_MODE);
    p->rate = in->rate_hz;
    p->channels = in->channels;
    unsigned nspan = md_node_list_count(n, P_PROFILE);
    unsigned npts = md_node_list_count(n, P_NOISE);
    if (p->mode == M_SPEECH) {
        if (!(in->rate_hz >= 8000 && in->rate_hz <= 192000 &&
              in->rate_hz == floor(in->rate_hz)))
            return md_error_set(err, MD_ERR_INVALID,
                                "denoise: speech mode needs a whole rate of 8000 to 192000 Hz, "
                                "got %.10g",
                                in->rate_hz);
        if (dn_speex_init(&p->spx, in->channels, in->rate_hz,
                          (int)lround(md_node_value(n, P_FLOOR))))
            return md_error_set(err, MD_ERR_NOMEM, "denoise: out of memory");
        return MD_OK;
    }
    if (nspan == 1)
        return md_error_set(err, MD_ERR_INVALID,
                            "denoise: profile must be {start, stop}, got one value");
    p->n = fft_size(in->rate_hz);
    p->hop = p->n / 4;
    p->bins = p->n / 2 + 1;
    if (nspan == 2 && npts == 0) {
        double a = span_value(n, 0), b = span_value(n, 1);
        int64_t fa = llround(a * in->rate_hz), fb = llround(b * in->rate_hz);
        /* learned frames: whole windows inside [fa, fb], ending on the hop grid */
        int64_t first = ((fa + p->n + p->hop - 1) / p->hop) * p->hop;
        int64_t last = (fb / p->hop) * p->hop;
        if (!(b > a) || last < first)
            return md_error_set(err, MD_ERR_INVALID,
                                "denoise: profile must be a span {start, stop} of at least "
                                "%.3g s, got {%.10g, %.10g}",
                                (double)(p->n + 2 * p->hop) / in->rate_hz, a, b);
        p->learn_first = first;
        p->learn_last = last;
        p->delay = (unsigned)last; /* a multiple of hop, >= n */
    }
    size_t b = p->bins, ch = p->channels;
    size_t floats = (10 + TRACK_SUB) * b + ch * p->delay + ch * p->hop + p->n;
    p->mem = calloc(1, 2 * ch * sizeof(float *) + b * sizeof(kiss_fft_cpx) +
                           floats * sizeof(float));
    if (!p->mem || mdi_stft_init(&p->stft, p->n, p->hop, p->channels))
        return fail(n, MD_ERR_NOMEM, err, "denoise: out of memory");
    float **pp = p->mem;
    p->ring = pp;
    p->dl = pp + ch;
    p->learn_spec = (kiss_fft_cpx *)(pp + 2 * ch);
    float *f = (float *)(p->learn_spec + b);
    float **arrays[] = {&p->noise,  &p->snr_prev, &p->gain,      &p->pw,
                        &p->bsnr,   &p->smooth,   &p->sub_min,   &p->stored_min};
    for (unsigned i = 0; i < 8; i++)
        *arrays[i] = f, f += b;
    p->win_min = f, f += TRACK_SUB * b;
    p->learn_buf = f, f += p->n;
    p->med = f, f += b;
    p->band_inv = f, f += b;
    p->band_z = NAN;
    for (unsigned c = 0; c < ch; c++) {
        p->ring[c] = f, f += p->delay;
        p->dl[c] = f, f += p->hop;
    }
    p->cum = calloc(2 * (b + 1), sizeof(double));
    if (!p->cum || (p->delay && !(p->learn_acc = calloc(b, sizeof(double)))))
        return fail(n, MD_ERR_NOMEM, err, "denoise: out of memory");
    p->sub_len = (unsigned)ceil(TRACK_S * in->rate_hz / p->hop / TRACK_SUB);
    if (npts) {
        md_status s = noise_from_points(n, p, err);
        if (s != MD_OK) {
            dn_release(n);
            return s;
        }
        p->from_points = 1;
    }
    return MD_OK;
}

static void dn_reset(md_node *n)
{
    dn_priv *p = md_node_priv(n);
    if (p->mode == M_SPEECH) {
        dn_speex_reset(&p->spx);
        return;
    }
    mdi_stft_reset(&p->stft);
    size_t b = p->bins;
    memset(p->snr_prev, 0, b * sizeof(float));
    for (size_t k = 0; k < TRACK_SUB * b; k++)
        p->win_min[k] = FLT_MAX;
    for (size_t k = 0; k < b; k++)
        p->stored_min[k] = FLT_MAX;
    p->started = p->rolled = 0;
    p->sub_count = p->sub_index = p->frames_seen = 0;
    p->fixed_noise = p->from_points;
    if (!p->from_points)
        memset(p->noise, 0, b * sizeof(float));
    for (unsigned c = 0; c < p->channels; c++)
        if (p->delay)
            memset(p->ring[c], 0, p->delay * sizeof(float));
    p->ring_pos = 0;
    p->t = 0;
    p->learn_frames = 0;
    if (p->learn_acc)
        memset(p->learn_acc, 0, b * sizeof(double));
}

/* the k-th smallest of v[0..n) (Wirth's selection; reorders v) */
static float select_kth(float *v, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (hi > lo) {
        float pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;
        do {
            while (v[i] < pivot)
                i++;
            while (pivot < v[j])
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j], v[j] = t;
                i++, j--;
            }
        } while (i <= j);
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* noise = bias x the median, over bins k - w .. k + w (w = TRACK_FRAC x k,
 * at least TRACK_MIN_W), of each bin's minimum: hiss is smooth across frequency, a
 * held note is a few narrow peaks, so the median lands between them */
static void track_smooth(dn_priv *p)
{
    const unsigned b = p->bins;
    unsigned prev = 0;
    float prev_v = 0.0f;
    for (unsigned k = 0; k < b;) {
        /* next to 0 Hz the window stays TRACK_MIN_W wide, above k: bass and
         * kick live there and would be taken for noise; a noise rising toward
         * 0 Hz (pink, rumble) is then underestimated below ~130 Hz */
        unsigned w = (unsigned)(k * TRACK_FRAC);
        if (w < TRACK_MIN_W)
            w = TRACK_MIN_W;
        unsigned lo = k > w ? k - w : 0, hi = k + w + 1 < b ? k + w + 1 : b;
        memcpy(p->med, p->stored_min + lo, (hi - lo) * sizeof(float));
        float v = TRACK_BIAS * select_kth(p->med, (int)(hi - lo), (int)(hi - lo) / 2);
        p->noise[k] = v;
        /* the window moves by 1/8 of its width between medians: fill the
         * bins between by straight lines */
        for (unsigned j = prev + 1; j < k; j++)
            p->noise[j] = prev_v + (v - prev_v) * (float)(j - prev) / (float)(k - prev);
        prev = k, prev_v = v;
        if (k == b - 1)
            break;
        unsigned step = w / 8 ? w / 8 : 1;
        k = k + step < b ? k + step : b - 1;
    }
}

/* Minimum statistics (after Martin 2001): the smoothed power's minimum per
 * bin over TRACK_S seconds (TRACK_SUB sub-windows), smoothed across
 * frequency by track_smooth at each sub-window's end. Until the first one
 * ends, the running minimum of each bin. Frames of digital silence and the
 * first frames (partly before the stream) are not counted. */
static void track(dn_priv *p)
{
    const unsigned b = p->bins;
    float *restrict s = p->smooth, *restrict sm = p->sub_min;
    const float *restrict pw = p->pw;
    double total = 0.0;
    for (unsigned k = 0; k < b; k++)
        total += pw[k];
    if (p->frames_seen < p->n / p->hop) {
        p->frames_seen++;
        return;
    }
    if (total == 0.0)
        return;
    if (!p->started) {
        memcpy(s, pw, b * sizeof(float));
        memcpy(sm, pw, b * sizeof(float));
        p->started = 1;
    } else {
        for (unsigned k = 0; k < b; k++) {
            s[k] = TRACK_SMOOTH * s[k] + (1.0f - TRACK_SMOOTH) * pw[k];
            sm[k] = minf(sm[k], s[k]);
        }
    }
    if (!p->rolled)
        for (unsigned k = 0; k < b; k++)
            p->noise[k] = TRACK_BIAS * sm[k];
    if (++p->sub_count == p->sub_len) {
        memcpy(p->win_min + (size_t)p->sub_index * b, sm, b * sizeof(float));
        p->sub_index = (p->sub_index + 1) % TRACK_SUB;
        for (unsigned k = 0; k < b; k++) {
            float m = p->win_min[k];
            for (unsigned u = 1; u < TRACK_SUB; u++)
                m = minf(m, p->win_min[(size_t)u * b + k]);
            p->stored_min[k] = m;
        }
        track_smooth(p);
        memcpy(sm, s, b * sizeof(float));
        p->sub_count = 0;
        p->rolled = 1;
    }
}

/* Local SNR over a band around each bin: power and noise summed over bins
 * k - w .. k + w with w = BAND_FRAC x k, divided by a threshold above 1 that
 * shrinks with the number of bins (z standard deviations of the mean of
 * about (2w + 1) / 1.5 independent exponential values, Hann bins being
 * correlated): noise alone rarely reaches 1, a broadband sound a few dB over
 * the noise (cymbals, hats, breath) does. 0 where w < BAND_MIN_W. */
static void band_snr(dn_priv *p, double z)
{
    const unsigned bins = p->bins;
    if (z != p->band_z) { /* 1 / threshold per bin, for this smoothing */
        for (unsigned k = 0; k < bins; k++) {
            unsigned w = (unsigned)(k * BAND_FRAC);
            unsigned lo = k - w, hi = k + w + 1 < bins ? k + w + 1 : bins;
            p->band_inv[k] = w < BAND_MIN_W ? 0.0f : (float)(1.0 / (1.0 + z * sqrt(1.5 / (hi - lo))));
        }
        p->band_z = z;
    }
    double *cp = p->cum, *cn = p->cum + bins + 1;
    cp[0] = cn[0] = 0.0;
    for (unsigned k = 0; k < bins; k++) {
        cp[k + 1] = cp[k] + p->pw[k];
        cn[k + 1] = cn[k] + p->noise[k];
    }
    for (unsigned k = 0; k < bins; k++) {
        unsigned w = (unsigned)(k * BAND_FRAC);
        if (w < BAND_MIN_W) {
            p->bsnr[k] = 0.0f;
            continue;
        }
        unsigned lo = k - w, hi = k + w + 1 < bins ? k + w + 1 : bins;
        double nn = cn[hi] - cn[lo];
        p->bsnr[k] = nn > 1e-30 ? (float)((cp[hi] - cp[lo]) / nn) * p->band_inv[k] : 0.0f;
    }
}

/* one STFT frame: every channel's spectrum, one gain per bin */
static void dn_frame(void *user, kiss_fft_cpx *const *spec, unsigned ch, unsigned bins)
{
    md_node *n = user;
    dn_priv *p = md_node_priv(n);
    float *restrict pw = p->pw;
    const float inv_ch = 1.0f / (float)ch;
    for (unsigned k = 0; k < bins; k++)
        pw[k] = 0.0f;
    for (unsigned c = 0; c < ch; c++) {
        const kiss_fft_cpx *restrict x = spec[c];
        for (unsigned k = 0; k < bins; k++)
            pw[k] += (x[k].r * x[k].r + x[k].i * x[k].i) * inv_ch;
    }
    if (!p->fixed_noise)
        track(p);

    const double s = md_node_value(n, P_SMOOTHING);
    band_snr(p, 1.5 + 3.0 * s);
    const float a_dd = (float)(0.96 + 0.035 * s);
    const float fast = (float)(3.0 + 2.0 * s);
    const float xi_min = (float)pow(10.0, XI_MIN_DB / 10.0);
    const float gfloor = (float)pow(10.0, md_node_value(n, P_FLOOR) / 20.0);
    const float amount = (float)md_node_value(n, P_AMOUNT);
    float *restrict g = p->gain, *restrict sp = p->snr_prev;
    const float *restrict nz = p->noise, *restrict bs = p->bsnr;
    for (unsigned k = 0; k < bins; k++) {
        float gamma = pw[k] / maxf(OVERSUB * nz[k], 1e-30f);
        float ml = maxf(gamma - 1.0f, 0.0f);
        float xi = maxf(a_dd * sp[k] + (1.0f - a_dd) * ml, xi_min);
        float gk = xi / (1.0f + xi);
        sp[k] = gk * gk * gamma;
        /* open at once for a clear onset in this bin or a sound across the band */
        float go = maxf(1.0f - fast / maxf(gamma, 1e-30f), 1.0f - 1.0f / maxf(bs[k], 1e-30f));
        if (go > gk * gk)
            gk = sqrtf(go);
        gk = maxf(gk, gfloor);
        if (amount < 1.0f)
            gk = amount > 0.0f ? expf(amount * logf(gk)) : 1.0f;
        g[k] = gk;
    }
    for (unsigned c = 0; c < ch; c++) {
        kiss_fft_cpx *restrict x = spec[c];
        for (unsigned k = 0; k < bins; k++) {
            x[k].r *= g[k];
            x[k].i *= g[k];
        }
    }
}

/* the profile learner: the newest n frames of the ring, at a hop boundary */
static void learn(dn_priv *p)
{
    const unsigned n = p->n, d = p->delay;
    for (unsigned c = 0; c < p->channels; c++) {
        unsigned start = (p->ring_pos + d - n) % d;
        unsigned first = d - start < n ? d - start : n;
        memcpy(p->learn_buf, p->ring[c] + start, first * sizeof(float));
        memcpy(p->learn_buf + first, p->ring[c], (n - first) * sizeof(float));
        mdi_stft_analyse(&p->stft, p->learn_buf, p->learn_spec);
        for (unsigned k = 0; k < p->bins; k++) {
            kiss_fft_cpx x = p->learn_spec[k];
            p->learn_acc[k] += ((double)x.r * x.r + (double)x.i * x.i) / p->channels;
        }
    }
    p->learn_frames++;
    if (p->t == p->learn_last) {
        for (unsigned k = 0; k < p->bins; k++)
            p->noise[k] = (float)(p->learn_acc[k] / p->learn_frames);
        p->fixed_noise = 1;
    }
}

static void dn_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    dn_priv *p = md_node_priv(n);
    if (p->mode == M_SPEECH) {
        dn_speex_run(&p->spx, in, out, frames, amount_now, n);
        return;
    }
    if (!p->delay) {
        mdi_stft_run(&p->stft, in, out, frames, dn_frame, n);
        return;
    }
    const unsigned d = p->delay, hop = p->hop;
    float *o[MD_MAX_CHANNELS];
    unsigned done = 0;
    while (done < frames) {
        unsigned k = hop - (unsigned)(p->t % hop);
        if (k > frames - done)
            k = frames - done;
        for (unsigned c = 0; c < p->channels; c++) {
            float *restrict r = p->ring[c], *restrict y = p->dl[c];
            const float *x = in[c] + done;
            unsigned pos = p->ring_pos;
            for (unsigned i = 0; i < k; i++) {
                y[i] = r[pos];
                r[pos] = x[i];
                if (++pos == d)
                    pos = 0;
            }
            o[c] = out[c] + done;
        }
        p->ring_pos = (unsigned)((p->ring_pos + k) % d);
        mdi_stft_run(&p->stft, (const float *const *)p->dl, o, k, dn_frame, n);
        p->t += k;
        done += k;
        if (p->t % hop == 0 && p->t >= p->learn_first && p->t <= p->learn_last)
            learn(p);
    }
}

static unsigned dn_latency(const md_node *n)
{
    const dn_priv *p = md_node_priv(n);
    if (p->mode == M_SPEECH)
        return dn_speex_latency(&p->spx);
    return p->n + p->delay;
}

static unsigned dn_tail(const md_node *n)
{
    const dn_priv *p = md_node_priv(n);
    if (p->mode == M_SPEECH)
        return 2 * p->spx.frame;
    return p->n;
}

static void dn_describe(const md_node *n, char *buf, unsigned size)
{
    const dn_priv *p = md_node_priv(n);
    const char *src = p->mode == M_SPEECH ? "speexdsp"
                      : p->from_points    ? "measured noise"
                      : p->delay          ? "profile span"
                                          : "tracked noise";
    snprintf(buf, size, "denoise %s, amount %.3g, floor %.3g dB (%s)",
             modes[p->mode], md_node_value(n, P_AMOUNT), md_node_value(n, P_FLOOR), src);
}

const md_node_vtable md_node_denoise = {
    .name = "denoise",
    .doc = "Reduce steady background noise (hiss, room tone). mode = music: spectral noise "
           "reduction (93 ms STFT, decision-directed gain, linked channels); the noise comes "
           "from `noise` (a measured spectrum), from a span `profile = {start, stop}` in seconds "
           "where only noise plays (the output is then delayed by stop), or is tracked "
           "continuously (a fallback: steady music can be taken for noise). mode = speech: "
           "SpeexDSP's preprocessor per channel on 16-bit frames, for voice only. Latency 93 "
           "ms (music, plus stop with a profile span) or 46 ms (speech) at 44.1 kHz.",
    .params = denoise_params,
    .priv_size = sizeof(dn_priv),
    .inputs = 1,
    .prepare = dn_prepare,
    .reset = dn_reset,
    .process = dn_process,
    .latency = dn_latency,
    .tail = dn_tail,
    .release = dn_release,
    .describe = dn_describe,
};
