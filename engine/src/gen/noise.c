/* noise.c - noise{color, db, seed, duration, channels}: seeded noise at an RMS
 * level, independent on each channel.
 *
 *   white: uniform samples from SplitMix64 (24 bits), scaled to the RMS level
 *   pink:  white -> a cascade of first-order pole/zero sections -> -3.01 dB/oct
 *   brown: white -> the pink cascade twice                      -> -6.02 dB/oct
 *
 * Pink filter: the classic approximation of a 1/f spectrum by real poles and
 * zeros alternating at equal spacing on a log-frequency axis (each pole/zero
 * pair tilts the response by -6 dB/oct over half of its octave). Below fs/64
 * the poles sit one octave apart (zeros half an octave above them, mapped by
 * z = exp(-2 pi f / fs)) down to about 2 Hz, below which the spectrum is flat.
 * Near Nyquist a first-order digital section flattens out, so the top six
 * pole/zero pairs and one extra pair on the negative real axis were placed by
 * a numerical minimax fit (done once, offline, for this file) to the ideal
 * slope over fs/3000..0.465 fs. The design is relative to the sample rate, so
 * it holds at every rate: the computed response stays within 0.15 dB of the
 * ideal -3.01 dB/oct from 20 Hz to min(20 kHz, 0.465 fs) at 8 to 192 kHz.
 * The RMS level is exact for the stationary process: the filter's power gain
 * comes from its impulse response, and reset() runs the filters on noise for
 * 15 time constants of the lowest pole so the output is stationary from the
 * first frame. */
#include "gen.h"

enum { P_COLOR, P_DB, P_SEED, P_DURATION, P_CHANNELS };
enum { WHITE, PINK, BROWN };

static const char *const colors[] = {"white", "pink", "brown", NULL};

static const md_param_desc noise_params[] = {
    [P_COLOR] = {"color", "", 0, 2, WHITE,
                 "spectrum: white (flat), pink (-3 dB/octave) or brown (-6 dB/octave)", MD_PT_ENUM,
                 0, colors},
    [P_DB] = {"db", "dB", -200.0, 0.0, -20.0, "RMS level in dBFS", MD_PT_NUMBER, MD_PARAM_DB},
    [P_SEED] = {"seed", "", 0.0, 4294967295.0, 1.0,
                "random seed: the same seed gives the same samples", MD_PT_INT, 0},
    [P_DURATION] = MDI_GEN_DURATION_PARAM,
    [P_CHANNELS] = MDI_GEN_CHANNELS_PARAM,
    {NULL},
};

/* Fitted top of the pink cascade: pole and zero frequencies as fractions of
 * the sample rate (above 0.5 they are real poles/zeros near the origin),
 * then the negative-real-axis pair (1 + C z^-1) / (1 + D z^-1). */
static const double top_pole[6] = {0.0161642479, 0.0344698658, 0.0599870917,
                                   0.114093312,  0.370270211,  0.939465514};
static const double top_zero[6] = {0.0244544399, 0.0445998786, 0.0823381633,
                                   0.20064808,   0.26642417,   0.468978202};
static const double top_c = 0.175957186, top_d = -0.121587842;
#define LOWEST_POLE_HZ 1.5 /* the regular octave-spaced poles stop above this */

#define MAX_SECTIONS 48

typedef struct noise_priv {
    mdi_gen_clock clock;
    int color;
    uint64_t seed;
    double scale;            /* input uniform -> output at the RMS level */
    unsigned nsec;           /* sections in the cascade (brown: twice pink's) */
    double zc[MAX_SECTIONS]; /* section j: (1 - zc z^-1) / (1 - pc z^-1) */
    double pc[MAX_SECTIONS];
    unsigned warmup; /* frames run by reset() before frame 0 */
    uint64_t rng[MDI_GEN_MAX_CHANNELS];
    double s[MDI_GEN_MAX_CHANNELS][MAX_SECTIONS]; /* transposed direct form II states */
} noise_priv;

static unsigned pink_design(double rate_hz, double *zc, double *pc, double *lowest_hz)
{
    unsigned k = 0;
    for (unsigned i = 0; i < 6; i++) {
        pc[k] = exp(-2.0 * M_PI * top_pole[i]);
        zc[k] = exp(-2.0 * M_PI * top_zero[i]);
        k++;
    }
    pc[k] = -top_d;
    zc[k] = -top_c;
    k++;
    double f = rate_hz / 128.0; /* fs * 2^-7: the regular part continues below the fit */
    *lowest_hz = f;
    while (f >= LOWEST_POLE_HZ && k < MAX_SECTIONS / 2) {
        pc[k] = exp(-2.0 * M_PI * f / rate_hz);
        zc[k] = exp(-2.0 * M_PI * f * M_SQRT2 / rate_hz);
        *lowest_hz = f;
        k++;
        f *= 0.5;
    }
    return k;
}

static inline double cascade(double x, const double *zc, const double *pc, double *s, unsigned nsec)
{
    for (unsigned j = 0; j < nsec; j++) {
        double y = x + s[j];
        s[j] = pc[j] * y - zc[j] * x;
        x = y;
    }
    return x;
}

static md_status noise_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    noise_priv *p = md_node_priv(n);
    (void)err;
    out->channels = (unsigned)md_node_value(n, P_CHANNELS);
    p->clock.length = mdi_gen_frames(md_node_value(n, P_DURATION), in->rate_hz);
    p->color = (int)md_node_value(n, P_COLOR);
    p->seed = (uint64_t)md_node_value(n, P_SEED);
    double rms = pow(10.0, md_node_value(n, P_DB) / 20.0);
    p->nsec = 0;
    p->warmup = 0;
    double power = 1.0 / 3.0; /* variance of the uniform input */
    if (p->color != WHITE) {
        double lowest;
        unsigned k = pink_design(in->rate_hz, p->zc, p->pc, &lowest);
        if (p->color == BROWN) {
            memcpy(p->zc + k, p->zc, k * sizeof *p->zc);
            memcpy(p->pc + k, p->pc, k * sizeof *p->pc);
            k *= 2;
        }
        p->nsec = k;
        double tau = in->rate_hz / (2.0 * M_PI * lowest); /* frames */
        p->warmup = (unsigned)ceil(15.0 * tau);
        /* power gain = sum of the squared impulse response (40 time constants:
         * the remainder is far below double precision of the sum) */
        double s[MAX_SECTIONS] = {0}, energy = 0;
        unsigned len = (unsigned)ceil(40.0 * tau) + 64;
        for (unsigned i = 0; i < len; i++) {
            double y = cascade(i == 0 ? 1.0 : 0.0, p->zc, p->pc, s, k);
            energy += y * y;
        }
        power *= energy;
    }
    p->scale = rms / sqrt(power);
    return MD_OK;
}

static void noise_reset(md_node *n)
{
    noise_priv *p = md_node_priv(n);
    unsigned channels = md_node_out(n)->channels;
    p->clock.pos = 0;
    for (unsigned c = 0; c < channels; c++) {
        p->rng[c] = mdi_rng_seed(p->seed, c);
        memset(p->s[c], 0, sizeof p->s[c]);
        for (unsigned i = 0; i < p->warmup; i++)
            cascade(mdi_rng_uniform(&p->rng[c]), p->zc, p->pc, p->s[c], p->nsec);
    }
}

static unsigned noise_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    noise_priv *p = md_node_priv(n);
    unsigned channels = md_node_out(n)->channels;
    unsigned real = mdi_gen_real(&p->clock, frames);
    (void)err;
    for (unsigned c = 0; c < channels; c++) {
        float *y = out[c];
        uint64_t rng = p->rng[c];
        if (p->color == WHITE) {
            float g = (float)p->scale;
            for (unsigned i = 0; i < real; i++)
                y[i] = g * mdi_rng_uniform(&rng);
        } else {
            for (unsigned i = 0; i < real; i++)
                y[i] = (float)(p->scale *
                               cascade(mdi_rng_uniform(&rng), p->zc, p->pc, p->s[c], p->nsec));
        }
        p->rng[c] = rng;
    }
    mdi_gen_zero_rest(out, channels, real, frames);
    p->clock.pos += real;
    return real;
}

static int64_t noise_length(const md_node *n)
{
    const noise_priv *p = md_node_priv(n);
    return p->clock.length;
}

const md_node_vtable md_node_noise = {
    .name = "noise",
    .doc = "Seeded noise at an RMS level in dBFS: white, pink (-3 dB/octave, a fitted "
           "pole/zero filter within 0.15 dB of the ideal slope from 20 Hz to 20 kHz) or "
           "brown (-6 dB/octave); independent on each channel, identical for the same seed.",
    .params = noise_params,
    .priv_size = sizeof(noise_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = noise_prepare,
    .reset = noise_reset,
    .generate = noise_generate,
    .length = noise_length,
};
