/* dither.c - dither{bits, shape, seed}: word-length reduction as an explicit
 * node. Adds TPDF dither (the difference of two uniform values: triangular,
 * +-1 LSB) and rounds to `bits`, so every output sample times 2^(bits-1) is a
 * whole number in -2^(bits-1) .. 2^(bits-1) - 1 (clamped at full scale).
 *
 * Flat TPDF: rounding error (LSB^2 / 12) plus dither (2 LSB^2 / 12) make a
 * white error of RMS LSB / 2: -96.33 dBFS at 16 bits, independent of the
 * signal.
 *
 * shaped: error feedback (the quantizer's total error is filtered and
 * subtracted from the next input) with the noise transfer function
 *     NTF(z) = 1 - 2 cos(w0) z^-1 + z^-2,   w0 = 2 pi 3 kHz / fs
 * a pair of zeros at 3 kHz, where hearing is most sensitive: at 44.1 kHz the
 * noise below 5 kHz is 16.7 dB lower than flat TPDF, 96 % of it lies above
 * 10 kHz, and the total is 7.3 dB higher. Below 24 kHz sample rates the zeros
 * move to fs / 8.
 *
 * Exact digital silence (MUTE_RUN zero samples in a row) comes out as exact
 * silence, with the feedback cleared, rather than as dither noise. NaN input
 * samples count as 0. Each channel has its own random sequence (splitmix64,
 * S. Vigna, from G. Steele et al., "Fast splittable pseudorandom number
 * generators", 2014), seeded from seed and the channel: the same seed gives
 * the same output, whatever the block sizes.
 */
#include "../internal.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>

enum { P_BITS, P_SHAPE, P_SEED };

#define MUTE_RUN 64
#define SHAPE_HZ 3000.0

static const char *const dither_shapes[] = {"tpdf", "shaped", NULL};

static const md_param_desc dither_params[] = {
    [P_BITS] = {"bits", "", 8, 24, 16, "word length of the output (16 for CD)", MD_PT_INT, 0},
    [P_SHAPE] = {"shape", "", 0, 1, 0,
                 "tpdf: flat triangular dither; shaped: the same, with the noise pushed above "
                 "10 kHz where it is least audible",
                 MD_PT_ENUM, 0, dither_shapes},
    [P_SEED] = {"seed", "", 0, 4294967295.0, 0,
                "random sequence: the same seed gives the same output", MD_PT_INT, 0},
    {NULL},
};

typedef struct dither_chan {
    uint64_t rng;
    double e1, e2;  /* last two total errors, in LSB */
    unsigned zeros; /* zero input samples in a row */
} dither_chan;

typedef struct dither_priv {
    double scale, lo, hi; /* 2^(bits-1); integer range */
    double h1, h2;        /* feedback: v = x - h1 e1 - h2 e2 */
    uint64_t seed;
    dither_chan ch[MD_MAX_CHANNELS];
} dither_priv;

static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void seed_channel(dither_priv *p, unsigned c)
{
    uint64_t s = p->seed * 0xD1B54A32D192ED03ULL + (c + 1) * 0x8CB92BA72F3D8DD7ULL;
    p->ch[c].rng = splitmix64(&s);
}

static void dither_update(md_node *n)
{
    dither_priv *p = md_node_priv(n);
    double rate = md_node_in(n)->rate_hz;
    unsigned bits = (unsigned)md_node_value(n, P_BITS);
    p->scale = ldexp(1.0, (int)bits - 1);
    p->lo = -p->scale;
    p->hi = p->scale - 1.0;
    p->h1 = p->h2 = 0.0;
    if (md_node_value(n, P_SHAPE) == 1) {
        double f = rate >= 24000.0 ? SHAPE_HZ : rate / 8.0;
        p->h1 = 2.0 * cos(2.0 * M_PI * f / rate);
        p->h2 = -1.0;
    }
    uint64_t seed = (uint64_t)md_node_value(n, P_SEED);
    if (seed != p->seed) {
        /* a new seed takes effect at once; the error feedback carries on */
        p->seed = seed;
        for (unsigned c = 0; c < MD_MAX_CHANNELS; c++)
            seed_channel(p, c);
    }
}

static void dither_reset(md_node *n)
{
    dither_priv *p = md_node_priv(n);
    p->seed = (uint64_t)md_node_value(n, P_SEED); /* the newest, even before update */
    for (unsigned c = 0; c < MD_MAX_CHANNELS; c++) {
        dither_chan *d = &p->ch[c];
        seed_channel(p, c);
        d->e1 = d->e2 = 0.0;
        d->zeros = 0;
    }
}

static void dither_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    dither_priv *p = md_node_priv(n);
    const double scale = p->scale, inv = 1.0 / p->scale, lo = p->lo, hi = p->hi;
    const double h1 = p->h1, h2 = p->h2, u32 = 1.0 / 4294967296.0;
    for (unsigned c = 0; c < md_node_out(n)->channels; c++) {
        dither_chan *d = &p->ch[c];
        for (unsigned i = 0; i < frames; i++) {
            double x = in[c][i];
            if (x != 0.0) {
                d->zeros = 0;
            } else if (++d->zeros >= MUTE_RUN) {
                d->zeros = MUTE_RUN;
                d->e1 = d->e2 = 0.0;
                out[c][i] = 0.0f;
                continue;
            }
            if (x != x)
                x = 0.0;
            uint64_t z = splitmix64(&d->rng);
            double tpdf = (double)(z >> 32) * u32 - (double)(z & 0xffffffffu) * u32;
            double v = x * scale - h1 * d->e1 - h2 * d->e2;
            double q = floor(v + tpdf + 0.5);
            q = q < lo ? lo : (q > hi ? hi : q);
            double e = q - v;
            /* after clamping at full scale the error is no longer small: keep
             * the feedback bounded */
            d->e2 = d->e1;
            d->e1 = e < -2.0 ? -2.0 : (e > 2.0 ? 2.0 : e);
            out[c][i] = (float)(q * inv);
        }
    }
}

static unsigned dither_tail(const md_node *n)
{
    (void)n;
    return MUTE_RUN;
}

static void dither_describe(const md_node *n, char *buf, unsigned size)
{
    snprintf(buf, size, "dither %u bits, %s", (unsigned)md_node_value(n, P_BITS),
             dither_shapes[(int)md_node_value(n, P_SHAPE)]);
}

const md_node_vtable md_node_dither = {
    .name = "dither",
    .doc = "Reduce the word length to bits with TPDF dither (error RMS -96.3 dBFS at 16 bits), "
           "optionally noise-shaped (shape = \"shaped\": most of the noise above 10 kHz). The "
           "output is exactly representable at bits. Digital silence stays silent. Zero "
           "latency.",
    .params = dither_params,
    .priv_size = sizeof(dither_priv),
    .inputs = 1,
    .update = dither_update,
    .reset = dither_reset,
    .process = dither_process,
    .tail = dither_tail,
    .describe = dither_describe,
};
