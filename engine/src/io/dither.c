/* dither.c - word-length reduction: scale, dither, round, clamp.
 *
 * TPDF dither: the difference of two independent uniform variables, a
 * triangular density of +-1 LSB peak (Lipshitz, Wannamaker & Vanderkooy, "Quantization
 * and dither: a theoretical survey", JAES 1992). Total error power is
 * LSB^2/12 (rounding) + LSB^2/6 (dither) = LSB^2/4: -96.3 dBFS at 16 bits.
 *
 * Shaped: the same dither inside an error-feedback loop,
 *     v = y - h1 e[n-1] + e[n-2],  out = round(v + d),  e[n] = out - v,
 * so that out = y + e[n] - h1 e[n-1] + e[n-2]: the error is filtered by the
 * noise transfer function NTF(z) = 1 - 2 cos(w0) z^-1 + z^-2, a pair of zeros
 * on the unit circle at f0 = 3 kHz (fs/4 below 12 kHz). |NTF| = 2|cos w -
 * cos w0|: at 44.1 kHz the error sits ~15 dB below plain TPDF under 1 kHz,
 * vanishes at 3 kHz where hearing is most sensitive, and rises to +11.6 dB at
 * Nyquist; 96 % of its power lies above 10 kHz (total +7.2 dB). The fed-back
 * error is limited to +-2 LSB so that clamping a full-scale sample cannot
 * make the loop run away.
 *
 * A sample that is exactly representable at the target word length is
 * written as is, with no dither: a copy of 16-bit material stays bit-exact
 * and digital silence stays silent. A sample at or beyond positive full
 * scale (1.0 has no 16-bit code) is written as the largest code. */
#include <math.h>
#include <string.h>
#include "io.h"

static inline uint32_t pcg32_step(uint64_t *state, uint64_t inc)
{
    uint64_t old = *state;
    *state = old * 6364136223846793005ULL + inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

uint32_t mdi_pcg32(uint64_t *state, uint64_t inc) { return pcg32_step(state, inc); }
#define mdi_pcg32 pcg32_step

void mdi_quantizer_init(mdi_quantizer *q, unsigned bits, int mode, uint64_t seed,
                        unsigned channels, double rate_hz)
{
    memset(q, 0, sizeof *q);
    q->bits = bits;
    q->channels = channels;
    q->mode = bits >= 32 ? MDI_DITHER_NONE : mode;
    q->shift = 32 - bits;
    q->scale = ldexp(1.0, (int)bits - 1);
    q->lo = -q->scale;
    q->hi = q->scale - 1.0;
    double f0 = rate_hz >= 12000.0 ? 3000.0 : rate_hz / 4.0;
    q->h1 = 2.0 * cos(2.0 * M_PI * f0 / rate_hz);
    /* PCG32 seeding as in the reference implementation */
    q->rng_inc = (seed << 1u) | 1u;
    mdi_pcg32(&q->rng_state, q->rng_inc);
    q->rng_state += 0x853c49e6748fea9bULL ^ seed;
    mdi_pcg32(&q->rng_state, q->rng_inc);
    for (int l = 0; l < 8; l++) {
        uint32_t v = 0;
        while (v == 0) /* xorshift32 must not start at 0 */
            v = mdi_pcg32(&q->rng_state, q->rng_inc);
        q->lane[l] = v;
    }
    q->npend = 0;
}

static inline double uniform(mdi_quantizer *q)
{
    return (mdi_pcg32(&q->rng_state, q->rng_inc) >> 8) * (1.0 / 16777216.0);
}

static inline double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* The common case, TPDF, in loops the compiler vectorizes: the samples are
 * interleaved into a chunk, the dither comes from eight xorshift32 generators
 * (Marsaglia 2003) advanced together (one draw per sample: the two uniform
 * variables are its 16-bit halves, so the dither's resolution is 1/65536 LSB),
 * and rounding uses the 1.5 * 2^52 trick (round to nearest even in double
 * arithmetic; |y| < 2^51 here). Draws are consumed in sample order whatever
 * the block sizes, so the bytes depend only on the samples and the seed. */
enum { QCHUNK = 4096 };

static void tpdf_noise(mdi_quantizer *q, uint32_t *nz, size_t n)
{
    size_t k = 0;
    for (; k < n && q->npend > 0; k++)
        nz[k] = q->pend[8 - q->npend--];
    uint32_t st[8];
    for (int l = 0; l < 8; l++)
        st[l] = q->lane[l];
    while (k < n) {
        uint32_t batch[8];
        for (int l = 0; l < 8; l++) {
            uint32_t x = st[l];
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            st[l] = x;
            batch[l] = x;
        }
        size_t take = n - k < 8 ? n - k : 8;
        for (size_t l = 0; l < take; l++)
            nz[k + l] = batch[l];
        if (take < 8) {
            for (size_t l = take; l < 8; l++)
                q->pend[l] = batch[l];
            q->npend = (unsigned)(8 - take);
        }
        k += take;
    }
    for (int l = 0; l < 8; l++)
        q->lane[l] = st[l];
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void quantize_tpdf(mdi_quantizer *q, const float *const *in, unsigned frames,
                          int32_t *restrict out)
{
    const unsigned nch = q->channels, shift = q->shift;
    const double scale = q->scale, lo = q->lo, hi = q->hi;
    const double magic = 6755399441055744.0;
    float xi[QCHUNK];
    uint32_t nz[QCHUNK];
    const unsigned per = QCHUNK / nch;
    for (unsigned f0 = 0; f0 < frames; f0 += per) {
        unsigned nf = frames - f0 < per ? frames - f0 : per;
        size_t n = (size_t)nf * nch;
        for (unsigned c = 0; c < nch; c++) {
            const float *x = in[c] + f0;
            for (unsigned i = 0; i < nf; i++)
                xi[(size_t)i * nch + c] = x[i];
        }
        unsigned odd = 0;
        for (size_t k = 0; k < n; k++)
            odd += !(fabsf(xi[k]) <= 1.0f);
        if (odd) {
            for (size_t k = 0; k < n; k++) {
                if (isfinite(xi[k])) {
                    q->clipped += !(fabsf(xi[k]) <= 1.0f);
                } else {
                    xi[k] = 0.0f;
                    q->nonfinite++;
                }
            }
        }
        tpdf_noise(q, nz, n);
        int32_t *o = out + (size_t)f0 * nch;
        for (size_t k = 0; k < n; k++) {
            double y = (double)xi[k] * scale;
            double r = (y + magic) - magic;
            double d = ((double)(nz[k] >> 16) - (double)(nz[k] & 0xffffu)) * (1.0 / 65536.0);
            double v = (y + d + magic) - magic;
            /* exactly representable: written as is (bit-exact copies, silent silence) */
            v = r == y ? r : v;
            v = v < lo ? lo : (v > hi ? hi : v);
            o[k] = (int32_t)((uint32_t)(int32_t)v << shift);
        }
    }
}

void mdi_quantize(mdi_quantizer *q, const float *const *in, unsigned frames, int32_t *out)
{
    if (q->mode == MDI_DITHER_TPDF) {
        quantize_tpdf(q, in, frames, out);
        return;
    }
    const unsigned nch = q->channels;
    const double scale = q->scale, lo = q->lo, hi = q->hi;
    for (unsigned i = 0; i < frames; i++) {
        for (unsigned c = 0; c < nch; c++) {
            double x = in[c][i];
            if (!isfinite(x)) {
                x = 0.0;
                q->nonfinite++;
            } else if (x > 1.0 || x < -1.0) {
                q->clipped++;
            }
            double y = x * scale, o;
            if (q->mode == MDI_DITHER_NONE) {
                o = clampd(rint(y), lo, hi);
            } else if ((y == rint(y) && y >= lo) || y > hi) {
                /* exactly representable: no dither, no error; at or beyond
                 * full scale: the largest value, and no error to shape */
                o = y > hi ? hi : y;
                q->err[c][1] = q->err[c][0];
                q->err[c][0] = 0.0;
            } else {
                double v = y;
                if (q->mode == MDI_DITHER_SHAPED)
                    v = y - q->h1 * q->err[c][0] + q->err[c][1];
                double u1 = uniform(q); /* two statements: a fixed draw order */
                double d = u1 - uniform(q);
                o = clampd(rint(v + d), lo, hi);
                if (q->mode == MDI_DITHER_SHAPED) {
                    q->err[c][1] = q->err[c][0];
                    q->err[c][0] = clampd(o - v, -2.0, 2.0);
                }
            }
            /* shift in unsigned arithmetic: a left shift of a negative int is
             * undefined in C */
            out[(size_t)i * nch + c] = (int32_t)((uint32_t)(int32_t)o << q->shift);
        }
    }
}
