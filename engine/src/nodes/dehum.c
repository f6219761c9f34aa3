/* dehum.c - dehum{freq, harmonics, q, amount}: removes mains hum and its
 * harmonics with a cascade of narrow notches.
 *
 *   in -+-> notch(f0) -> notch(2 f0) -> ... -> notch(H f0) -+-> x amount -+-> out
 *       +------------------------------------------------ x (1 - amount) -+
 *
 * Notches: RBJ cookbook notch (bandwidth f/q at each harmonic: constant Q,
 * since a drift of the mains frequency moves harmonic h by h times as much),
 * transposed direct form II in double precision. Harmonics at or above
 * 0.45 x the rate are skipped. Zero latency with a given freq.
 *
 * freq = "auto": the node delays its output by DETECT_S = 3 s (its latency)
 * and decides from those first 3 s, before any audio goes out, so every
 * frame is filtered the same way. The window is low-passed and decimated to
 * ~2.5 kHz; for every candidate fundamental f on a 0.05 Hz grid in
 * 49.5..50.5 and 59.5..60.5 Hz it takes, at f, 2f, ... (`harmonics` of
 * them), the Hann-windowed DFT power (Goertzel, double) over the median power
 * on a ring of frequencies 1..4.5 Hz beside that harmonic's search range (the
 * local floor), in dB, clamped to -10..+30 dB, and averages them (a hum
 * with fewer harmonics than `harmonics` scores lower: a bare fundamental
 * needs harmonics = 1 or a strong hum). The better region
 * wins when its best score is at least 9 dB (in the tests a hum 30 dB under
 * the music scores 12-14 dB, music alone 7.5); otherwise no hum was found
 * and the audio passes unchanged.
 * The frequency is the largest sum of linear peak-to-floor ratios (the
 * cleanest harmonics lead) on a 0.01 Hz grid over the region, refined by a
 * golden-section search. The
 * found frequency is shown by describe() (plans, DOT). Any steady line at
 * the mains frequency counts: a kick drum tuned to 50 Hz on a 120 BPM grid
 * (25 cycles per beat, so a steady 50 Hz line) reads as 50 Hz hum, and its
 * 50 Hz line is then notched with the rest.
 */
#include "../internal.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_FREQ, P_HARMONICS, P_Q, P_AMOUNT };

#define MAX_H 20
#define DETECT_S 3.0       /* the auto window */
#define DETECT_H MAX_H     /* harmonics used for detection: `harmonics`, at most this */
#define DETECT_RING 8      /* floor points on each side of a harmonic */
#define DETECT_MIN_DB 9.0  /* mean peak over local floor needed to call it hum */
#define DETECT_RATE 2500.0 /* the window is decimated to at least this rate */

static const md_param_desc dehum_params[] = {
    [P_FREQ] = {"freq", "Hz", 10.0, 1000.0, 50.0,
                "hum fundamental: 50, 60, any other, or auto (50 or 60 Hz found in the first "
                "3 s; output delayed by 3 s)",
                MD_PT_NUMBER, MD_PARAM_AUTO},
    [P_HARMONICS] = {"harmonics", "", 1, MAX_H, 5, "notches at freq, 2 freq, ... this many",
                     MD_PT_INT, 0},
    [P_Q] = {"q", "", 1.0, 500.0, 30.0,
             "notch Q: the -3 dB width of each notch is its frequency / q", MD_PT_NUMBER,
             MD_PARAM_LOG},
    [P_AMOUNT] = {"amount", "", 0.0, 1.0, 1.0, "1 removes the hum, 0 leaves the input as it is",
                  MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    {NULL},
};

typedef struct dh_notch {
    double b0, b1, a1, a2; /* b2 = b0 */
} dh_notch;

typedef struct dh_priv {
    double rate;
    unsigned channels;
    int autodetect;
    double f0;          /* fundamental in use; 0: none (auto found no hum); NaN: not yet */
    double score_db;    /* auto: peak-to-floor of the found hum */
    unsigned nb;
    dh_notch nt[MAX_H];
    double (*z)[2];     /* [channels x MAX_H] filter states */
    float *amt;         /* max_frames: smoothed amount */
    unsigned tail;
    /* auto */
    unsigned win;       /* W frames */
    float **ring, **dl; /* [channels][W], [channels][max_frames] */
    float *xw;          /* channels x nd: the window decimated by dec, Hann-windowed */
    unsigned dec, nd;
    double rd;          /* rate after decimation */
    int64_t t;
    void *mem;
} dh_priv;

static void dh_release(md_node *n)
{
    dh_priv *p = md_node_priv(n);
    free(p->mem);
    p->mem = NULL;
}

/* RBJ cookbook notch, normalised by a0 */
static dh_notch notch(double f, double q, double rate)
{
    double w0 = 2.0 * M_PI * f / rate, alpha = sin(w0) / (2.0 * q), a0 = 1.0 + alpha;
    dh_notch c = {1.0 / a0, -2.0 * cos(w0) / a0, -2.0 * cos(w0) / a0, (1.0 - alpha) / a0};
    return c;
}

/* frames until the slowest notch's ringing has fallen by 140 dB */
static unsigned ring_frames(double f, double q, double rate)
{
    dh_notch c = notch(f, q, rate);
    double r = sqrt(c.a2);
    return (unsigned)ceil(log(1e-7) / log(r)) + 1;
}

static void design(dh_priv *p, const md_node *n)
{
    unsigned h = (unsigned)md_node_value(n, P_HARMONICS);
    double q = md_node_value(n, P_Q);
    p->nb = 0;
    if (!(p->f0 > 0))
        return;
    for (unsigned k = 1; k <= h && k * p->f0 < 0.45 * p->rate; k++)
        p->nt[p->nb++] = notch(k * p->f0, q, p->rate);
}

static md_status dh_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    dh_priv *p = md_node_priv(n);
    (void)out;
    memset(p, 0, sizeof *p);
    p->rate = in->rate_hz;
    p->channels = in->channels;
    double f = md_node_value(n, P_FREQ);
    p->autodetect = isnan(f);
    if (!p->autodetect && !(f < 0.45 * in->rate_hz))
        return md_error_set(err, MD_ERR_INVALID,
                            "dehum: freq must be below 0.45 x the sample rate (%.10g Hz), got "
                            "%.10g",
                            0.45 * in->rate_hz, f);
    if (p->autodetect && in->rate_hz < 1000)
        return md_error_set(err, MD_ERR_INVALID,
                            "dehum: freq = auto needs a rate of at least 1000 Hz, got %.10g",
                            in->rate_hz);
    size_t ch = in->channels, mf = in->max_frames;
    p->win = p->autodetect ? (unsigned)lround(DETECT_S * in->rate_hz) : 0;
    p->dec = (unsigned)floor(in->rate_hz / DETECT_RATE);
    if (p->dec < 1)
        p->dec = 1;
    p->nd = p->win / p->dec;
    p->rd = in->rate_hz / p->dec;
    size_t bytes = ch * MAX_H * sizeof(double[2]) + (mf + 1) * sizeof(float) + 64;
    if (p->autodetect)
        bytes += 2 * ch * sizeof(float *) + ch * ((size_t)p->win + p->nd + mf) * sizeof(float);
    p->mem = calloc(1, bytes);
    if (!p->mem)
        return md_error_set(err, MD_ERR_NOMEM, "dehum: out of memory");
    unsigned char *m = p->mem;
    p->z = (double(*)[2])m;
    m += ch * MAX_H * sizeof(double[2]);
    p->amt = (float *)m;
    m += (mf + 1) * sizeof(float);
    if (p->autodetect) {
        /* the pointer arrays need their own alignment after the floats (the 64
         * spare bytes above cover the padding) */
        m = (unsigned char *)(((uintptr_t)m + 15) & ~(uintptr_t)15);
        p->ring = (float **)m;
        p->dl = p->ring + ch;
        float *fl = (float *)(p->dl + ch);
        p->xw = fl, fl += ch * (size_t)p->nd;
        for (size_t c = 0; c < ch; c++) {
            p->ring[c] = fl, fl += p->win;
            p->dl[c] = fl, fl += mf;
        }
    }
    p->tail = ring_frames(p->autodetect ? 49.5 : f, md_node_value(n, P_Q), in->rate_hz);
    return MD_OK;
}

static void dh_update(md_node *n)
{
    dh_priv *p = md_node_priv(n);
    if (!p->autodetect)
        p->f0 = md_node_value(n, P_FREQ);
    design(p, n);
}

static void dh_reset(md_node *n)
{
    dh_priv *p = md_node_priv(n);
    memset(p->z, 0, p->channels * MAX_H * sizeof(double[2]));
    if (p->autodetect) {
        for (unsigned c = 0; c < p->channels; c++)
            memset(p->ring[c], 0, p->win * sizeof(float));
        p->t = 0;
        p->f0 = NAN;
        p->score_db = NAN;
        p->nb = 0;
    }
}

/* Goertzel power of x[0..len) at frequency f (double) */
static double goertzel(const float *x, unsigned len, double f, double rate)
{
    double c = 2.0 * cos(2.0 * M_PI * f / rate), s1 = 0.0, s2 = 0.0;
    for (unsigned i = 0; i < len; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* power at f summed over channels, on the decimated window */
static double power_all(const dh_priv *p, double f)
{
    double s = 0.0;
    for (unsigned c = 0; c < p->channels; c++)
        s += goertzel(p->xw + (size_t)c * p->nd, p->nd, f, p->rd);
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* mean over harmonics of the peak-to-floor ratio in dB, each clamped to
 * -10..+30 dB so one loud partial of the music cannot decide alone */
static double score(const dh_priv *p, double f, const double *floor_h, unsigned nh)
{
    double s = 0.0;
    for (unsigned h = 1; h <= nh; h++) {
        double r = 10.0 * log10(power_all(p, h * f) / floor_h[h - 1] + 1e-30);
        s += fmin(fmax(r, -10.0), 30.0);
    }
    return s / nh;
}

/* sum over harmonics of power at h f / local floor */
static double comb(const dh_priv *p, double f, const double *floor_h, unsigned nh)
{
    double s = 0.0;
    for (unsigned h = 1; h <= nh; h++)
        s += power_all(p, h * f) / floor_h[h - 1];
    return s;
}

/* the window, low-passed (two moving averages of `dec` frames: a
 * triangle, -26 dB side lobes), decimated by dec and Hann-windowed */
static void decimate(dh_priv *p)
{
    const unsigned w = p->win, dec = p->dec, nd = p->nd;
    for (unsigned c = 0; c < p->channels; c++) {
        const float *x = p->ring[c];
        float *y = p->xw + (size_t)c * nd;
        for (unsigned j = 0; j < nd; j++) {
            /* triangle of 2 dec - 1 taps centred on j dec + dec - 1 */
            double acc = 0.0;
            unsigned centre = j * dec + dec - 1;
            for (unsigned k = 0; k + 1 < 2 * dec; k++) {
                unsigned i = centre + k + 1 - dec;
                if (i < w)
                    acc += x[i] * (double)(k < dec ? k + 1 : 2 * dec - 1 - k);
            }
            double hann = 0.5 - 0.5 * cos(2.0 * M_PI * (j + 0.5) / nd);
            y[j] = (float)(acc / ((double)dec * dec) * hann);
        }
    }
}

static void detect(dh_priv *p, unsigned want_h)
{
    decimate(p);
    static const double regions[2] = {50.0, 60.0};
    double best_f = 0.0, best = -INFINITY;
    for (unsigned r = 0; r < 2; r++) {
        double fl[DETECT_H], ring[2 * DETECT_RING];
        unsigned nh = 0;
        while (nh < want_h && nh < DETECT_H && (nh + 1) * (regions[r] + 0.5) + 8.0 < 0.4 * p->rd)
            nh++;
        if (nh == 0)
            continue;
        /* the local floor: median power on a ring of offsets beside each
         * harmonic's search range (h x +-0.5 Hz) */
        for (unsigned h = 1; h <= nh; h++) {
            for (unsigned d = 0; d < DETECT_RING; d++) {
                double off = 0.5 * h + 1.0 + 0.5 * d;
                ring[2 * d] = power_all(p, h * regions[r] - off);
                ring[2 * d + 1] = power_all(p, h * regions[r] + off);
            }
            qsort(ring, 2 * DETECT_RING, sizeof(double), cmp_double);
            fl[h - 1] = 0.5 * (ring[DETECT_RING - 1] + ring[DETECT_RING]) + 1e-300;
        }
        double rb = -INFINITY, rf = regions[r];
        for (int g = -10; g <= 10; g++) {
            double f = regions[r] + 0.05 * g, sc = score(p, f, fl, nh);
            if (sc > rb)
                rb = sc, rf = f;
        }
        /* the frequency: the largest comb power (linear peak-to-floor
         * ratios summed, so the harmonics where the hum stands out most
         * lead; the clamped score is flat on a strong hum) on a 0.01 Hz grid
         * over the region, then a golden-section search within one step */
        double cb = -1.0, cf = rf;
        for (int g = -50; g <= 50; g++) {
            double f = regions[r] + 0.01 * g, c = comb(p, f, fl, nh);
            if (c > cb)
                cb = c, cf = f;
        }
        double a = cf - 0.01, b = cf + 0.01, k = 0.5 * (sqrt(5.0) - 1.0);
        double x1 = b - k * (b - a), x2 = a + k * (b - a);
        double s1 = comb(p, x1, fl, nh), s2 = comb(p, x2, fl, nh);
        for (int it = 0; it < 12; it++) {
            if (s1 > s2) {
                b = x2, x2 = x1, s2 = s1;
                x1 = b - k * (b - a);
                s1 = comb(p, x1, fl, nh);
            } else {
                a = x1, x1 = x2, s1 = s2;
                x2 = a + k * (b - a);
                s2 = comb(p, x2, fl, nh);
            }
        }
        double fr = 0.5 * (a + b);
        if (comb(p, fr, fl, nh) > cb)
            cf = fr;
        rf = cf;
        if (rb > best)
            best = rb, best_f = rf;
    }
    p->score_db = best;
    p->f0 = best >= DETECT_MIN_DB ? best_f : 0.0;
}

static void filter(dh_priv *p, md_node *n, const float *const *in, float *const *out,
                   unsigned frames)
{
    md_node_fill_param(n, P_AMOUNT, p->amt, frames, 0);
    const float *amt = p->amt;
    for (unsigned c = 0; c < p->channels; c++) {
        const float *x = in[c];
        float *y = out[c];
        double(*z)[2] = p->z + (size_t)c * MAX_H;
        const unsigned nb = p->nb;
        if (nb == 0) {
            if (x != y)
                memcpy(y, x, frames * sizeof(float));
            continue;
        }
        for (unsigned i = 0; i < frames; i++) {
            double v = x[i];
            for (unsigned b = 0; b < nb; b++) {
                const dh_notch *q = &p->nt[b];
                double o = q->b0 * v + z[b][0];
                z[b][0] = q->b1 * v - q->a1 * o + z[b][1];
                z[b][1] = q->b0 * v - q->a2 * o;
                v = o;
            }
            y[i] = (float)(x[i] + amt[i] * (v - x[i]));
        }
    }
}

static void dh_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    dh_priv *p = md_node_priv(n);
    if (!p->autodetect) {
        filter(p, n, in, out, frames);
        return;
    }
    float *o[MD_MAX_CHANNELS];
    unsigned done = 0;
    while (done < frames) {
        unsigned k = frames - done;
        int64_t until = p->t < p->win ? p->win - p->t : INT64_MAX;
        if ((int64_t)k > until)
            k = (unsigned)until;
        unsigned pos = (unsigned)(p->t % p->win);
        for (unsigned c = 0; c < p->channels; c++) {
            float *r = p->ring[c], *y = p->dl[c];
            const float *x = in[c] + done;
            unsigned q = pos;
            for (unsigned i = 0; i < k; i++) {
                y[i] = r[q];
                r[q] = x[i];
                if (++q == p->win)
                    q = 0;
            }
            o[c] = out[c] + done;
        }
        filter(p, n, (const float *const *)p->dl, o, k);
        p->t += k;
        done += k;
        if (p->t == p->win) {
            detect(p, (unsigned)md_node_value(n, P_HARMONICS));
            design(p, n);
        }
    }
}

static unsigned dh_latency(const md_node *n)
{
    const dh_priv *p = md_node_priv(n);
    return p->win;
}

static unsigned dh_tail(const md_node *n)
{
    const dh_priv *p = md_node_priv(n);
    return p->tail;
}

static void dh_describe(const md_node *n, char *buf, unsigned size)
{
    const dh_priv *p = md_node_priv(n);
    unsigned h = (unsigned)md_node_value(n, P_HARMONICS);
    double q = md_node_value(n, P_Q);
    if (!p->autodetect)
        snprintf(buf, size, "dehum %.6g Hz x%u, q %.3g", md_node_value(n, P_FREQ), h, q);
    else if (isnan(p->f0))
        snprintf(buf, size, "dehum auto x%u, q %.3g (decides after the first 3 s)", h, q);
    else if (p->f0 > 0)
        snprintf(buf, size, "dehum auto: %.3f Hz x%u, q %.3g (%.1f dB over the floor)", p->f0, h,
                 q, p->score_db);
    else
        snprintf(buf, size, "dehum auto: no hum found (%.1f dB over the floor), passing through",
                 p->score_db);
}

const md_node_vtable md_node_dehum = {
    .name = "dehum",
    .doc = "Remove mains hum: narrow notches (RBJ, width = frequency / q) at freq and its "
           "harmonics. freq = auto finds 50 or 60 Hz (to 0.01 Hz) in the first 3 s, delaying "
           "the output by 3 s; with no hum found it passes audio unchanged. Zero latency with a "
           "given freq.",
    .params = dehum_params,
    .priv_size = sizeof(dh_priv),
    .inputs = 1,
    .prepare = dh_prepare,
    .update = dh_update,
    .reset = dh_reset,
    .process = dh_process,
    .latency = dh_latency,
    .tail = dh_tail,
    .release = dh_release,
    .describe = dh_describe,
};
