/* eq_fir.h - eq{linear_phase = true}: the magnitude response of the eq's
 * biquads as a linear-phase FIR, run by FFT convolution (kissfft).
 *
 * Design (frequency sampling, windowed): |H| of the bands is sampled on a
 * grid of G = 4 K points (K = half the FIR's length) with zero phase, turned
 * into an impulse response by an inverse real FFT, and cut to 2 K - 1 taps
 * centred on tap K by a 4-term Blackman-Harris window (F. J. Harris, "On the
 * use of windows for harmonic analysis with the discrete Fourier transform",
 * Proc. IEEE 66(1), 1978: sidelobes at -92 dB). The window smooths |H| over
 * about +-2 fs / (2 K), so K follows the narrowest feature of the bands: the
 * shortest of K = 16 P0, 32 P0, 64 P0 (P0 = 256 frames at 44.1/48 kHz,
 * scaled with the rate: 8191, 16383 or 32767 taps at 44.1 kHz) whose
 * response is within 0.05 dB of |H| from 20 Hz to 20 kHz wherever |H| is
 * above -40 dB; the longest when none is.
 *
 * Bands on every channel give one filter for all channels. On a stereo
 * input, bands on left, right, mid or side make the eq a 2 x 2 matrix of
 * zero-phase responses (left/right bands scale a row; a mid or side band
 * acts as T^-1 diag(|Hm|, |Hs|) T with M = (L+R)/2, S = (L-R)/2), multiplied
 * band by band in the eq's order: the same magnitudes as the biquads on L,
 * R, M and S, with linear phase. Entries that are zero (no cross terms
 * without mid/side bands) cost nothing.
 *
 * Convolution: uniformly partitioned overlap-save with partitions of P = K /
 * 16 frames (FFTs of 2 P points, a frequency-domain delay line of 2 K / P
 * spectra). An output partition is computed once its input partition is
 * complete, on multiples of P frames since reset, and played during the next
 * one: the filter is the N = 2 (K + P) + 1 tap symmetric FIR whose first and
 * last P + 1 taps are zero, and the latency is (N - 1) / 2 = K + P frames.
 *
 * A new design (a parameter changed) takes effect at the next partition: that
 * partition is computed with both filters and crossfaded linearly.
 *
 * Phases: eqf_init/eqf_free in prepare/release, eqf_design in update (no
 * allocation), eqf_reset in reset, eqf_run in process.
 */
#ifndef MDI_EQ_FIR_H
#define MDI_EQ_FIR_H

#include <kissfft/kiss_fftr.h>
#include "biquad.h"

#define EQF_MAX_BANDS 32

typedef struct eqf_band {
    mdi_bq_coef c; /* the band's biquad (its |H| is what the FIR reproduces) */
    int ch;        /* EQD_ALL, EQD_LEFT, EQD_RIGHT, EQD_MID, EQD_SIDE */
} eqf_band;

typedef struct eqf {
    unsigned nch;           /* channels */
    unsigned nfilt;         /* 1 (the same filter on every channel) or 4 (2 x 2) */
    unsigned part;          /* P */
    unsigned half;          /* K */
    unsigned nparts;        /* Q = 2 K / P */
    unsigned grid;          /* G, design grid */
    double rate_hz;
    kiss_fftr_cfg fwd, inv, gfwd, ginv;
    kiss_fft_cpx *H[2];     /* two sets of nfilt x Q x (P + 1) partition spectra */
    unsigned char nz[2][4]; /* filter f of set s has a nonzero response */
    int cur;                /* the set in use */
    int pending;            /* the other set holds a newer design */
    int started;            /* audio went through since reset */
    kiss_fft_cpx *fdl;      /* nch x Q x (P + 1): spectra of the last Q input windows */
    unsigned head;          /* newest slot of the delay line */
    float *win;             /* nch x 2 P: the previous and the current input partition */
    float *outb;            /* nch x P: the output partition being played */
    unsigned fill;          /* frames into the current partition */
    kiss_fft_cpx *acc;      /* P + 1 */
    float *tb, *tb2;        /* 2 P each */
    double *cw;             /* G / 2 + 1: cos of each grid frequency */
    float *target;          /* nfilt x (G / 2 + 1): zero-phase responses */
    float *gt;              /* G */
    kiss_fft_cpx *gspec;    /* G / 2 + 1 */
    float *taps;            /* 2 K */
    float *window;          /* K: window at 0 .. K - 1 from the centre */
    eqf_band last[EQF_MAX_BANDS]; /* the bands designed last */
    unsigned nlast;
} eqf;

/* Chooses the length for the bands (see above), allocates, and designs.
 * matrix: a stereo eq that may have per-channel bands (nch must be 2); else
 * one filter for every channel (bands other than EQD_ALL are ignored).
 * Returns 0, or -1 when out of memory (f is then freed). */
int eqf_init(eqf *f, unsigned nch, int matrix, double rate_hz, const eqf_band *b, unsigned nb);
void eqf_free(eqf *f); /* safe on a zeroed or freed eqf */

/* A new design: at once before any audio since reset, else crossfaded in at
 * the next partition. Bands equal to the last design change nothing. */
void eqf_design(eqf *f, const eqf_band *b, unsigned nb);

void eqf_reset(eqf *f);
void eqf_run(eqf *f, const float *const *in, float *const *out, unsigned frames);

static inline unsigned eqf_latency(const eqf *f) { return f->half + f->part; }
/* Length N of the FIR, counting its zero end taps: 2 latency + 1. */
static inline unsigned eqf_taps(const eqf *f) { return 2 * eqf_latency(f) + 1; }

#endif
