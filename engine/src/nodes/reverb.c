/* reverb.c - reverb{size, decay, damping, predelay, width, mix}: an algorithmic
 * stereo reverb, a 16-line feedback delay network (Jot & Chaigne, "Digital
 * delay networks for designing artificial reverberators", AES 90th
 * convention, 1991).
 *
 *   in L ─> predelay ─> 4 allpasses ─┐ (mono input: L only)
 *   in R ─> predelay ─> 4 allpasses ─┤
 *                                    v  inject with ±1 patterns bL, bR
 *      ┌──> + ──> delay d_j ──> damping h_j (gain and low-pass) ──┬──> taps cL, cR ─> wet L, R
 *      └── Hadamard / 4 (16 x 16, orthogonal, lossless) <─────────┘
 *
 *   wet ─> width (mid/side) ─> out = dry (1 - mix) + wet mix
 *
 * Delays d_j: 16 distinct primes spread geometrically over a range set by
 * size (8..21 ms at size 0, 32..83 ms at size 1), shortened for very short
 * decays so that no line is longer than decay / 6 (a pass loses at most
 * 10 dB: a few sparse echoes would sound like a comb, not a room). Each
 * loop loses, per pass, 60 d_j / (T fs) dB for a decay time T (RT60), so
 * every mode decays at the same rate whatever line it lives in:
 * g_j = 10^(-3 d_j / (T fs)). h_j is a
 * one-pole low-pass a_j / (1 - b_j z^-1) designed per line so that the loop
 * gain is exactly g_j(decay) at 1 kHz and g_j(decay / (1 + 4 damping)) at
 * 10 kHz (or 0.4 fs): the damping's effect on the RT60 is accounted for,
 * and `decay` is the RT60 at mid frequencies. Where a short decay with strong
 * damping would need a low-pass so steep that 500 Hz and 2 kHz decay at
 * clearly different rates, the damping is limited instead (rv_update).
 * Low frequencies decay a little more slowly (the tail is computed from the
 * slowest).
 * The output taps cL, cR are orthogonal ±1 patterns, so the two outputs are
 * decorrelated sums of the same 16 lines. The input allpasses (Schroeder,
 * about 1 ms) blur the onset; they are kept short because an allpass whose
 * own ring lasts a noticeable part of the decay colours the tail (seen
 * through the tail's exponential decay, its comb no longer cancels).
 *
 * Speed: lines are processed in chunks no longer than the shortest delay,
 * so each chunk's reads precede its writes and every stage runs over
 * contiguous arrays (vectorisable). Values written into the loops are
 * flushed to 0 below 6e-28 (about -540 dBFS), so silence never reaches
 * denormal numbers.
 */
#include <math.h>
#include <string.h>
#include "../internal.h"

enum { P_SIZE, P_DECAY, P_DAMPING, P_PREDELAY, P_WIDTH, P_MIX };

#define RV_LINES 16
#define RV_CHUNK 64u
#define RV_DIFF 4
#define RV_MAX_PREDELAY_MS 200.0
#define RV_FLUSH 1e-20f

static const md_param_desc rv_params[] = {
    [P_SIZE] = {"size", "", 0.0, 1.0, 0.5,
                "room size: spacing of the reflections (delay lines of 8..21 ms at 0, "
                "32..83 ms at 1)",
                MD_PT_NUMBER, 0},
    [P_DECAY] = {"decay", "s", 0.1, 20.0, 1.8,
                 "reverberation time RT60 at mid frequencies (1 kHz): 60 dB of decay", MD_PT_NUMBER,
                 MD_PARAM_AUTOMATABLE},
    [P_DAMPING] =
        {"damping", "", 0.0, 1.0, 0.5,
         "high-frequency damping: the decay at 10 kHz shortens to decay / (1 + 4 damping)",
         MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [P_PREDELAY] = {"predelay", "ms", 0.0, RV_MAX_PREDELAY_MS, 10.0,
                    "delay before the reverberation starts", MD_PT_NUMBER, 0},
    [P_WIDTH] = {"width", "", 0.0, 1.0, 1.0, "stereo width of the reverberation (0 = mono)",
                 MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [P_MIX] = {"mix", "", 0.0, 1.0, 0.25, "wet share: out = dry (1 - mix) + wet mix", MD_PT_NUMBER,
               MD_PARAM_AUTOMATABLE},
    {NULL},
};

/* ±1 patterns: input injection (bL; bR = bL x hR), output taps (cL;
 * cR = cL x hO). hR and hO have eight +1 and eight -1, so bL.bR = 0 and
 * cL.cR = 0. */
static const signed char pat_in[RV_LINES] = {1, -1, 1,  1, -1, 1,  -1, -1,
                                             1, 1,  -1, 1, -1, -1, -1, 1};
static const signed char pat_hr[RV_LINES] = {1, 1,  -1, 1, -1, -1, 1, -1,
                                             1, -1, -1, 1, 1,  -1, 1, -1};
static const signed char pat_out[RV_LINES] = {1,  1, -1, 1, 1,  -1, -1, 1,
                                              -1, 1, 1,  1, -1, -1, 1,  -1};
static const signed char pat_ho[RV_LINES] = {1,  -1, -1, 1, 1, 1,  -1, -1,
                                             -1, 1,  -1, 1, 1, -1, -1, 1};

/* input allpass delays (ms at size 0.5; scaled by 0.6 + 0.8 size) and gains */
static const double diff_ms[2][RV_DIFF] = {{0.31, 0.47, 0.71, 1.07}, {0.37, 0.53, 0.79, 1.13}};
static const float diff_g[RV_DIFF] = {0.7f, 0.7f, 0.625f, 0.625f};

#define RV_IN_GAIN 0.25f
#define RV_OUT_GAIN 0.5f

typedef struct rv_priv {
    unsigned in_ch;
    double rate_hz;
    unsigned chunk; /* <= RV_CHUNK and <= the shortest line */
    /* feedback delay network */
    float *lines; /* RV_LINES x llen */
    unsigned llen, lmask, w;
    unsigned len[RV_LINES];
    float a[RV_LINES], b[RV_LINES], z[RV_LINES];
    float cl[RV_LINES], cr[RV_LINES], bl[RV_LINES], br[RV_LINES];
    double t_dc; /* longest decay of any frequency, s */
    /* predelay and diffusers, per input channel */
    float *pre; /* 2 x plen */
    unsigned plen, pmask, pw, pd;
    float *ap; /* 2 x RV_DIFF x alen */
    unsigned alen, amask, apos;
    unsigned aplen[2][RV_DIFF];
    /* scratch */
    float *tmp; /* RV_LINES x RV_CHUNK */
    float *v4;  /* 4 x RV_CHUNK: lines on their way back */
    float *u[2], *dry[2], *wl, *wr;
    float *mixv, *widthv; /* max_frames */
} rv_priv;

static unsigned pow2_at_least(unsigned v)
{
    unsigned p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

static int is_prime(unsigned v)
{
    if (v < 2)
        return 0;
    for (unsigned d = 2; d * d <= v; d++)
        if (v % d == 0)
            return 0;
    return 1;
}

/* The smallest prime >= v not already among used[0..n). */
static unsigned next_prime(unsigned v, const unsigned *used, unsigned n)
{
    for (;; v++) {
        if (!is_prime(v))
            continue;
        unsigned k = 0;
        while (k < n && used[k] != v)
            k++;
        if (k == n)
            return v;
    }
}

static double line_min_ms(double size)
{
    return 8.0 + 24.0 * size;
}
#define RV_LINE_SPREAD 2.6 /* longest / shortest line */

static md_status rv_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    rv_priv *p = md_node_priv(n);
    if (in->channels > 2)
        return md_error_set(err, MD_ERR_GRAPH,
                            "reverb: input must have 1 or 2 channels, got %u (downmix first)",
                            in->channels);
    out->channels = 2;
    p->in_ch = in->channels;
    p->rate_hz = in->rate_hz;
    double fs = in->rate_hz;
    /* room for the largest size: the longest line plus a chunk of writes ahead */
    unsigned dmax = (unsigned)ceil(line_min_ms(1.0) * RV_LINE_SPREAD * 1e-3 * fs * 1.1) + 64;
    p->llen = pow2_at_least(dmax + RV_CHUNK + 2);
    p->lmask = p->llen - 1;
    p->plen = pow2_at_least((unsigned)ceil(RV_MAX_PREDELAY_MS * 1e-3 * fs) + RV_CHUNK + 2);
    p->pmask = p->plen - 1;
    unsigned amax = (unsigned)ceil(diff_ms[1][RV_DIFF - 1] * 1.4 * 1e-3 * fs * 1.1) + 64;
    p->alen = pow2_at_least(amax + RV_CHUNK + 2);
    p->amask = p->alen - 1;
    p->lines = md_aligned_alloc(sizeof(float) * RV_LINES * p->llen);
    p->pre = md_aligned_alloc(sizeof(float) * 2 * p->plen);
    p->ap = md_aligned_alloc(sizeof(float) * 2 * RV_DIFF * p->alen);
    p->tmp = md_aligned_alloc(sizeof(float) * RV_LINES * RV_CHUNK);
    float *s = md_aligned_alloc(sizeof(float) * 10 * RV_CHUNK);
    p->mixv = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    p->widthv = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    if (!p->lines || !p->pre || !p->ap || !p->tmp || !s || !p->mixv || !p->widthv) {
        md_aligned_free(s);
        p->u[0] = NULL;
        md_aligned_free(p->lines);
        md_aligned_free(p->pre);
        md_aligned_free(p->ap);
        md_aligned_free(p->tmp);
        md_aligned_free(p->mixv);
        md_aligned_free(p->widthv);
        memset(p, 0, sizeof *p);
        return md_error_set(err, MD_ERR_NOMEM, "reverb: out of memory");
    }
    p->u[0] = s;
    p->u[1] = s + RV_CHUNK;
    p->dry[0] = s + 2 * RV_CHUNK;
    p->dry[1] = s + 3 * RV_CHUNK;
    p->wl = s + 4 * RV_CHUNK;
    p->wr = s + 5 * RV_CHUNK;
    p->v4 = s + 6 * RV_CHUNK;
    for (unsigned j = 0; j < RV_LINES; j++) {
        p->bl[j] = RV_IN_GAIN * pat_in[j];
        p->br[j] = RV_IN_GAIN * pat_in[j] * pat_hr[j];
        p->cl[j] = RV_OUT_GAIN * pat_out[j];
        p->cr[j] = RV_OUT_GAIN * pat_out[j] * pat_ho[j];
    }
    return MD_OK;
}

static void rv_release(md_node *n)
{
    rv_priv *p = md_node_priv(n);
    md_aligned_free(p->u[0]);
    md_aligned_free(p->lines);
    md_aligned_free(p->pre);
    md_aligned_free(p->ap);
    md_aligned_free(p->tmp);
    md_aligned_free(p->mixv);
    md_aligned_free(p->widthv);
    memset(p, 0, sizeof *p);
}

/* Damping of a line of d frames: the one-pole a / (1 - b z^-1) whose loop
 * gain is g(T0) at w_ref and g(Thf) at w_hf, with g(T) = 10^(-3 d / (T fs)).
 * |H(w)|^2 = (1 - b)^2 / (1 - 2 b cos w + b^2) (times a^2 / (1 - b)^2), so
 * the ratio rho^2 = |H(w_hf)|^2 / |H(w_ref)|^2 gives
 *     b^2 - 2 beta b + 1 = 0,  beta = (cos w_ref - rho^2 cos w_hf) / (1 - rho^2),
 * b = beta - sqrt(beta^2 - 1). Every line then loses the same dB per second
 * at w_ref and at w_hf, so no mode outlives its neighbours (which would ring). */
typedef struct rv_freqs {
    double fs, cr, cm, ch; /* rate; cos of w_ref, w_mid = 2 w_ref, w_hf */
} rv_freqs;

static double line_pole(const rv_freqs *f, double d, double t0, double thf)
{
    double rho = pow(10.0, -3.0 * d / f->fs * (1.0 / thf - 1.0 / t0));
    if (!(rho < 1.0))
        return 0.0;
    double r2 = rho * rho;
    double beta = (f->cr - r2 * f->ch) / (1.0 - r2);
    return beta > 1.0 ? beta - sqrt(beta * beta - 1.0) : 1.0;
}

/* The largest pole that keeps `decay` the RT60 of the whole mid band for a
 * line of d frames: with X = 2 b / (1 - b)^2, loss(w) = 10 log10(1 + X (1 -
 * cos w)) dB over the loss at DC; (1) the extra loss at w_mid over w_ref
 * stays within 15 % of the loss per pass at w_ref, so 500 Hz..2 kHz decay
 * alike; (2) the DC loop gain stays at or below g(2 T0). */
static double line_pole_max(const rv_freqs *f, double d, double t0)
{
    double bmax = 1.0;
    double R = pow(10.0, 0.15 * 6.0 * d / (t0 * f->fs));
    double c1 = 1.0 - f->cr, c2 = 1.0 - f->cm;
    if (c2 > R * c1) {
        double x = (R - 1.0) / (c2 - R * c1); /* X at the limit */
        bmax = ((x + 1.0) - sqrt(2.0 * x + 1.0)) / x;
    }
    /* (2): 1 / |H(w_ref)|^2 = 1 + X c1 <= kappa^2, kappa = g(2 T0) / g(T0) */
    double k2 = pow(10.0, 3.0 * d / (t0 * f->fs));
    double x = (k2 - 1.0) / c1;
    double b2 = ((x + 1.0) - sqrt(2.0 * x + 1.0)) / x;
    return b2 < bmax ? b2 : bmax;
}

/* Sets line j's a, b for decay t0 and pole b; returns its decay time at DC (s). */
static double line_set(rv_priv *p, const rv_freqs *f, unsigned j, double t0, double b)
{
    double d = p->len[j];
    double g_ref = pow(10.0, -3.0 * d / (t0 * f->fs));
    double href = (1.0 - b) / sqrt(1.0 - 2.0 * b * f->cr + b * b);
    double s = g_ref / href; /* DC loop gain, below 1 by line_pole_max (2) */
    p->a[j] = (float)(s * (1.0 - b));
    p->b[j] = (float)b;
    return -3.0 * d / (f->fs * log10(s));
}

/* Do all lines keep their poles within line_pole_max for this Thf? */
static int damping_fits(const rv_priv *p, const rv_freqs *f, double t0, double thf)
{
    for (unsigned j = 0; j < RV_LINES; j++)
        if (line_pole(f, p->len[j], t0, thf) > line_pole_max(f, p->len[j], t0))
            return 0;
    return 1;
}

static void rv_update(md_node *n)
{
    rv_priv *p = md_node_priv(n);
    const double fs = p->rate_hz;
    double size = md_node_value(n, P_SIZE);
    double t0 = md_node_value(n, P_DECAY);
    double thf = t0 / (1.0 + 4.0 * md_node_value(n, P_DAMPING));
    double f_ref = fmin(1000.0, 0.1 * fs), f_hf = fmin(10000.0, 0.4 * fs);
    rv_freqs f = {fs, cos(2.0 * M_PI * f_ref / fs), cos(4.0 * M_PI * f_ref / fs),
                  cos(2.0 * M_PI * f_hf / fs)};

    double dmin = line_min_ms(size) * 1e-3 * fs;
    if (dmin * RV_LINE_SPREAD > t0 * fs / 6.0) /* a pass loses at most 10 dB */
        dmin = t0 * fs / 6.0 / RV_LINE_SPREAD;
    unsigned shortest = ~0u;
    for (unsigned j = 0; j < RV_LINES; j++) {
        double target = dmin * pow(RV_LINE_SPREAD, j / (RV_LINES - 1.0));
        p->len[j] = next_prime((unsigned)ceil(target), p->len, j);
        if (p->len[j] < shortest)
            shortest = p->len[j];
    }
    p->chunk = shortest < RV_CHUNK ? shortest : RV_CHUNK;

    /* damping too strong for the mid band to keep `decay`: lengthen the
     * high-frequency decay for every line alike (bisection), rather than
     * capping lines one by one, which would make them decay unevenly */
    if (!damping_fits(p, &f, t0, thf)) {
        double lo = thf, hi = t0;
        for (int it = 0; it < 40; it++) {
            double mid = 0.5 * (lo + hi);
            if (damping_fits(p, &f, t0, mid))
                hi = mid;
            else
                lo = mid;
        }
        thf = hi;
    }
    p->t_dc = 0.0;
    for (unsigned j = 0; j < RV_LINES; j++) {
        double b = line_pole(&f, p->len[j], t0, thf);
        double bmax = line_pole_max(&f, p->len[j], t0);
        double tdc = line_set(p, &f, j, t0, b < bmax ? b : bmax);
        if (tdc > p->t_dc)
            p->t_dc = tdc;
    }

    double dscale = (0.6 + 0.8 * size) * 1e-3 * fs;
    unsigned used[2 * RV_DIFF], nused = 0;
    for (unsigned c = 0; c < 2; c++)
        for (unsigned k = 0; k < RV_DIFF; k++) {
            unsigned d = next_prime((unsigned)ceil(diff_ms[c][k] * dscale), used, nused);
            used[nused++] = d;
            p->aplen[c][k] = d;
        }
    p->pd = (unsigned)lround(md_node_value(n, P_PREDELAY) * 1e-3 * fs);
}

static void rv_reset(md_node *n)
{
    rv_priv *p = md_node_priv(n);
    memset(p->lines, 0, sizeof(float) * RV_LINES * p->llen);
    memset(p->pre, 0, sizeof(float) * 2 * p->plen);
    memset(p->ap, 0, sizeof(float) * 2 * RV_DIFF * p->alen);
    memset(p->z, 0, sizeof p->z);
    p->w = p->pw = p->apos = 0;
}

static unsigned rv_tail(const md_node *n)
{
    const rv_priv *p = md_node_priv(n);
    const double fs = p->rate_hz;
    /* predelay, the diffusers' own ring to -60 dB, then the slowest decay of
     * the network to -120 dB, plus 10 dB and the build-up of a long input
     * (the network's level grows with its decay time) */
    double frames = p->pd;
    for (unsigned c = 0; c < 2; c++)
        for (unsigned k = 0; k < RV_DIFF; k++)
            frames += p->aplen[c][k] * log(1e-3) / log(diff_g[k]) / 2.0;
    double margin_db = 10.0 + 10.0 * log10(1.0 + p->t_dc);
    frames += (120.0 + margin_db) / 60.0 * p->t_dc * fs;
    return (unsigned)ceil(frames);
}

/* Copies n frames of a ring (mask) from position pos into dst. */
static void ring_read(const float *ring, unsigned mask, unsigned pos, float *dst, unsigned n)
{
    pos &= mask;
    unsigned first = mask + 1 - pos;
    if (first >= n) {
        memcpy(dst, ring + pos, sizeof(float) * n);
    } else {
        memcpy(dst, ring + pos, sizeof(float) * first);
        memcpy(dst + first, ring, sizeof(float) * (n - first));
    }
}

static void ring_write(float *ring, unsigned mask, unsigned pos, const float *src, unsigned n)
{
    pos &= mask;
    unsigned first = mask + 1 - pos;
    if (first >= n) {
        memcpy(ring + pos, src, sizeof(float) * n);
    } else {
        memcpy(ring + pos, src, sizeof(float) * first);
        memcpy(ring, src + first, sizeof(float) * (n - first));
    }
}

/* Predelay and input allpasses of channel c: dry[c] -> u[c]. */
static void input_stage(rv_priv *p, unsigned c, unsigned n)
{
    float *pre = p->pre + (size_t)c * p->plen;
    const float *x = p->dry[c];
    float *u = p->u[c];
    const unsigned pm = p->pmask;
    for (unsigned t = 0; t < n; t++) {
        /* write first: a predelay shorter than the chunk reads this chunk */
        pre[(p->pw + t) & pm] = x[t];
        u[t] = pre[(p->pw + t - p->pd) & pm];
    }
    const unsigned am = p->amask;
    for (unsigned k = 0; k < RV_DIFF; k++) {
        /* Schroeder allpass: v = x + g v(-L), y = v(-L) - g v */
        float *buf = p->ap + ((size_t)c * RV_DIFF + k) * p->alen;
        const float g = diff_g[k];
        const unsigned L = p->aplen[c][k];
        for (unsigned t = 0; t < n; t++) {
            float vd = buf[(p->apos + t - L) & am];
            float v = u[t] + g * vd;
            v = (v + RV_FLUSH) - RV_FLUSH;
            buf[(p->apos + t) & am] = v;
            u[t] = vd - g * v;
        }
    }
}

/* n frames (n <= chunk) of the network: u[] in, wl/wr out. */
static void fdn_stage(rv_priv *p, unsigned n)
{
    float *tmp = p->tmp;
    const unsigned mask = p->lmask;
    for (unsigned j = 0; j < RV_LINES; j++)
        ring_read(p->lines + (size_t)j * p->llen, mask, p->w - p->len[j], tmp + j * RV_CHUNK, n);

    /* damping, lines side by side (16 independent recursions) */
    float z[RV_LINES];
    memcpy(z, p->z, sizeof z);
    for (unsigned t = 0; t < n; t++)
        for (unsigned j = 0; j < RV_LINES; j++) {
            z[j] = p->a[j] * tmp[j * RV_CHUNK + t] + p->b[j] * z[j];
            tmp[j * RV_CHUNK + t] = z[j];
        }
    memcpy(p->z, z, sizeof z); /* once the lines are flushed to 0, z decays to 0 in a few
                                  hundred frames by itself */

    /* output taps */
    float *restrict wl = p->wl, *restrict wr = p->wr;
    for (unsigned t = 0; t < n; t++)
        wl[t] = wr[t] = 0.0f;
    for (unsigned j = 0; j < RV_LINES; j++) {
        const float *restrict y = tmp + j * RV_CHUNK;
        const float cl = p->cl[j], cr = p->cr[j];
        for (unsigned t = 0; t < n; t++) {
            wl[t] += cl * y[t];
            wr[t] += cr * y[t];
        }
    }

    /* fast Walsh-Hadamard transform across the lines, as two radix-4 passes
     * (stages 1, 2 within groups of 4 lines, then stages 4, 8 across them;
     * the sums are formed in the same order as four radix-2 stages); the
     * second pass also normalises (1/sqrt 16), injects the input and writes
     * the lines */
    for (unsigned q = 0; q < RV_LINES; q += 4) {
        float *restrict x0 = tmp + q * RV_CHUNK, *restrict x1 = x0 + RV_CHUNK;
        float *restrict x2 = x1 + RV_CHUNK, *restrict x3 = x2 + RV_CHUNK;
        for (unsigned t = 0; t < n; t++) {
            float s01 = x0[t] + x1[t], d01 = x0[t] - x1[t];
            float s23 = x2[t] + x3[t], d23 = x2[t] - x3[t];
            x0[t] = s01 + s23;
            x1[t] = d01 + d23;
            x2[t] = s01 - s23;
            x3[t] = d01 - d23;
        }
    }
    const float *restrict u0 = p->u[0], *restrict u1 = p->u[1];
    float *restrict v0 = p->v4, *restrict v1 = v0 + RV_CHUNK, *restrict v2 = v1 + RV_CHUNK,
                    *restrict v3 = v2 + RV_CHUNK;
    for (unsigned q = 0; q < 4; q++) {
        const float *restrict x0 = tmp + q * RV_CHUNK, *restrict x1 = x0 + 4 * RV_CHUNK;
        const float *restrict x2 = x1 + 4 * RV_CHUNK, *restrict x3 = x2 + 4 * RV_CHUNK;
        const float b0l = p->bl[q], b1l = p->bl[q + 4], b2l = p->bl[q + 8], b3l = p->bl[q + 12];
        const float b0r = p->br[q], b1r = p->br[q + 4], b2r = p->br[q + 8], b3r = p->br[q + 12];
        for (unsigned t = 0; t < n; t++) {
            float s01 = x0[t] + x1[t], d01 = x0[t] - x1[t];
            float s23 = x2[t] + x3[t], d23 = x2[t] - x3[t];
            float a = 0.25f * (s01 + s23) + b0l * u0[t] + b0r * u1[t];
            float b = 0.25f * (d01 + d23) + b1l * u0[t] + b1r * u1[t];
            float c = 0.25f * (s01 - s23) + b2l * u0[t] + b2r * u1[t];
            float d = 0.25f * (d01 - d23) + b3l * u0[t] + b3r * u1[t];
            v0[t] = (a + RV_FLUSH) - RV_FLUSH;
            v1[t] = (b + RV_FLUSH) - RV_FLUSH;
            v2[t] = (c + RV_FLUSH) - RV_FLUSH;
            v3[t] = (d + RV_FLUSH) - RV_FLUSH;
        }
        ring_write(p->lines + (size_t)q * p->llen, mask, p->w, v0, n);
        ring_write(p->lines + (size_t)(q + 4) * p->llen, mask, p->w, v1, n);
        ring_write(p->lines + (size_t)(q + 8) * p->llen, mask, p->w, v2, n);
        ring_write(p->lines + (size_t)(q + 12) * p->llen, mask, p->w, v3, n);
    }
    p->w = (p->w + n) & mask;
}

static void rv_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    rv_priv *p = md_node_priv(n);
    if (frames == 0)
        return;
    md_node_fill_param(n, P_MIX, p->mixv, frames, 0);
    md_node_fill_param(n, P_WIDTH, p->widthv, frames, 0);
    unsigned done = 0;
    while (done < frames) {
        unsigned nfr = frames - done < p->chunk ? frames - done : p->chunk;
        for (unsigned c = 0; c < p->in_ch; c++)
            memcpy(p->dry[c], in[c] + done, sizeof(float) * nfr);
        if (p->in_ch == 1)
            memset(p->u[1], 0, sizeof(float) * nfr);
        for (unsigned c = 0; c < p->in_ch; c++)
            input_stage(p, c, nfr);
        p->pw = (p->pw + nfr) & p->pmask;
        p->apos = (p->apos + nfr) & p->amask;
        fdn_stage(p, nfr);

        const float *dl = p->dry[0], *dr = p->dry[p->in_ch - 1];
        const float *mix = p->mixv + done, *width = p->widthv + done;
        float *ol = out[0] + done, *orr = out[1] + done;
        for (unsigned t = 0; t < nfr; t++) {
            float m = 0.5f * (p->wl[t] + p->wr[t]), s = 0.5f * (p->wl[t] - p->wr[t]) * width[t];
            float k = mix[t], dk = 1.0f - mix[t];
            ol[t] = dl[t] * dk + (m + s) * k;
            orr[t] = dr[t] * dk + (m - s) * k;
        }
        done += nfr;
    }
}

const md_node_vtable md_node_reverb = {
    .name = "reverb",
    .doc = "Algorithmic stereo reverb (a 16-line feedback delay network): decay is the "
           "RT60 at mid frequencies, damping shortens the highs, size spaces the "
           "reflections. A mono input gives a stereo output.",
    .params = rv_params,
    .priv_size = sizeof(rv_priv),
    .flags = MD_NODE_EXTENDS,
    .inputs = 1,
    .prepare = rv_prepare,
    .update = rv_update,
    .reset = rv_reset,
    .process = rv_process,
    .tail = rv_tail,
    .release = rv_release,
};
