/* space_xover.h - band splitters for multiband: Linkwitz-Riley 4th-order IIR
 * crossovers whose bands sum to an allpass, and linear-phase FIR crossovers
 * whose bands sum to a pure delay.
 *
 * IIR (sx_iir), for crossovers f1 < f2 < ... < fK:
 *
 *   x ─┬─ LP1 ─────────────── AP2 ─ AP3 ... APK ──> band 1
 *      └─ HP1 ─┬─ LP2 ───────────── AP3 ... APK ──> band 2
 *              └─ HP2 ─┬─ ...                   ...
 *                      └─ HPK ──────────────────> band K+1
 *
 * LPk, HPk: two cascaded Butterworth sections (RBJ, Q = 1/sqrt 2) at fk, so
 * LPk + HPk = APk, the RBJ allpass at fk with the same Q (the analog identity
 * (1 + s^4) / (s^2 + sqrt2 s + 1)^2 = (s^2 - sqrt2 s + 1) / (s^2 + sqrt2 s + 1)
 * survives the bilinear transform). Passing each low band through the
 * allpasses of the later crossovers keeps it in phase with the split it
 * skipped, so the sum of all bands is AP1 AP2 ... APK: flat magnitude.
 *
 * FIR (sx_fir): K zero-phase low-passes with the LR4 magnitude
 * 1 / (1 + (f/fk)^4), sampled on a fine grid, inverse FFT, Blackman window,
 * D = N/2 frames of delay. Bands are differences of neighbouring low-passes:
 * band 1 = h1 x, band k = (hk - hk-1) x, band K+1 = x delayed by D - hK x;
 * they telescope to the delayed input exactly. The convolution is a
 * uniformly partitioned overlap-save (kissfft, partitions of P frames); the
 * block FIFO adds P frames, so the latency is D + P.
 *
 * Phases: *_init in prepare, *_set in prepare/update (no allocation),
 * *_reset in reset, *_run in process (no allocation), *_free in release.
 */
#ifndef MD_SPACE_XOVER_H
#define MD_SPACE_XOVER_H

#include <kissfft/kiss_fftr.h>
#include "space_filter.h"

#define SX_MAX_XOVERS 4
#define SX_MAX_BANDS (SX_MAX_XOVERS + 1)
#define SX_IIR_STATE 48 /* doubles of state per channel (44 used at most) */

typedef struct sx_iir {
    unsigned nx, nch, npairs;
    sp_bq lp[SX_MAX_XOVERS], hp[SX_MAX_XOVERS], ap[SX_MAX_XOVERS];
    double *z; /* npairs x SX_IIR_STATE x 2: channels run two at a time */
} sx_iir;

int sx_iir_init(sx_iir *b, unsigned nch); /* 0, or -1 when out of memory */
void sx_iir_free(sx_iir *b);
/* nx crossovers (1..SX_MAX_XOVERS) at freq_hz[], increasing, below rate / 2. */
void sx_iir_set(sx_iir *b, unsigned nx, const double *freq_hz, double rate_hz);
void sx_iir_reset(sx_iir *b);
/* Channels 2 pair and 2 pair + 1 (x1 and bands1 may be NULL past the last
 * channel): x (n frames) into bands[0..nx][0..n). */
void sx_iir_run(sx_iir *b, unsigned pair, const float *x0, const float *x1, float *const *bands0,
                float *const *bands1, unsigned n);
/* Zeroes tiny states (call on a grid of absolute frames). */
void sx_iir_flush(sx_iir *b);
/* Frames until the longest band path's impulse response falls by ratio. */
double sx_iir_tail(const sx_iir *b, double ratio);

typedef struct sx_fir {
    unsigned nx, nch;
    unsigned part;   /* P: frames per partition and per FFT block */
    unsigned half;   /* D: delay of the filters, (taps - 1) / 2 */
    unsigned taps;   /* N = 2 D + 1 */
    unsigned nparts; /* Q = ceil(N / P) */
    unsigned grid;   /* design FFT size */
    double rate_hz;
    kiss_fftr_cfg fwd, inv, design;
    kiss_fft_cpx *H;   /* SX_MAX_XOVERS x Q x (P + 1), scaled for the inverse */
    kiss_fft_cpx *fdl; /* nch x Q x (P + 1): spectra of the last Q input blocks */
    kiss_fft_cpx *acc; /* P + 1 (also the design spectrum: grid / 2 + 1) */
    float *tbuf;       /* max(2 P, grid) */
    float *win;        /* nch x 2 P: the last two input blocks */
    float *hist;       /* nch x hlen: input ring for the delayed path */
    float *outb;       /* nch x SX_MAX_BANDS x P: band signals being emitted */
    unsigned hlen, hpos, fill, slot;
} sx_fir;

int sx_fir_init(sx_fir *b, unsigned nch, double rate_hz); /* 0, or -1 (out of memory) */
void sx_fir_free(sx_fir *b);
void sx_fir_set(sx_fir *b, unsigned nx, const double *freq_hz);
void sx_fir_reset(sx_fir *b);
static inline unsigned sx_fir_latency(const sx_fir *b)
{
    return b->half + b->part;
}
/* x[c] (n frames per channel) in; bands[k][c] (n frames) out, latency frames late. */
void sx_fir_run(sx_fir *b, const float *const *x, float *const *const *bands, unsigned n);

#endif
