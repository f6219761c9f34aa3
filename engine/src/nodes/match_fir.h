/* match_fir.h - the match node's filter: a zero-phase magnitude response
 * (sampled on a grid) as a linear-phase FIR, run by FFT convolution (kissfft).
 *
 * Design (frequency sampling, windowed): the response |H| is given on a grid
 * of G = 4 K points (bins of rate / G Hz), turned into a zero-phase impulse
 * response by an inverse real FFT, and cut to 2 K - 1 taps centred on tap
 * K - 1 by a Hann window that reaches zero at +-K. The window smooths |H|
 * over about +-2 rate / (2 K) Hz (its main lobe); K is the power of two at
 * or above rate / 6 (8192 at 44.1 and 48 kHz: 16383 taps, +-5.4 Hz of
 * smoothing at 44.1 kHz), enough for a curve with 1/6-octave detail down to
 * about 60 Hz and a smooth one (1/3-octave) down to 30 Hz.
 *
 * Convolution: uniformly partitioned overlap-save with partitions of P = K / 8
 * frames (FFTs of 2 P points, a frequency-domain delay line of Q = 2 K / P =
 * 16 spectra). An output partition is computed once its input partition is
 * complete, on multiples of P frames since reset, and played during the next
 * one, so the output is independent of the host's block sizes and the
 * latency is K - 1 + P frames.
 *
 * A flat design (0 dB everywhere) is an exact delay of K - 1 frames read from
 * a ring of past input, not the FFT path: the output is then the input, bit
 * for bit, latency apart.
 *
 * A new design (a parameter changed while audio runs) takes effect at the
 * next partition: that partition is computed with both designs and
 * crossfaded linearly.
 *
 * Phases: mfir_init/mfir_free in prepare/release, mfir_design in update (no
 * allocation), mfir_reset in reset, mfir_run in process.
 */
#ifndef MDI_MATCH_FIR_H
#define MDI_MATCH_FIR_H

#include <kissfft/kiss_fftr.h>
#include <stdint.h>

typedef struct mfir {
    unsigned nch;        /* channels */
    unsigned half;       /* K */
    unsigned part;       /* P */
    unsigned nparts;     /* Q = 2 K / P */
    unsigned grid;       /* G = 4 K */
    double rate_hz;
    kiss_fftr_cfg fwd, inv; /* 2 P points */
    kiss_fftr_cfg ginv;     /* G points, inverse: the design */
    kiss_fft_cpx *H[2];     /* two designs of Q x (P + 1) partition spectra */
    int flat[2];            /* design s is a pure delay */
    int cur;                /* the design in use */
    int pending;            /* the other design is newer: crossfade at the next partition */
    int started;            /* audio went through since reset */
    kiss_fft_cpx *fdl;      /* nch x Q x (P + 1): spectra of the last Q input windows */
    unsigned head;          /* slot of the newest spectrum */
    float *win;             /* nch x 2 P: the previous and the current input partition */
    float *hist;            /* nch x hlen: ring of past input (flat designs) */
    unsigned hmask;         /* hlen - 1 (a power of two) */
    float *outb;            /* nch x P: the output partition being played */
    unsigned fill;          /* frames into the current partition */
    uint64_t pos;           /* frames since reset */
    kiss_fft_cpx *acc;      /* P + 1 */
    float *tb, *tb2;        /* 2 P each */
    float *target;          /* G / 2 + 1: the response to design, linear, filled by the caller */
    kiss_fft_cpx *gspec;    /* G / 2 + 1 */
    float *gt;              /* G */
    float *window;          /* K: Hann at 0 .. K - 1 taps from the centre */
} mfir;

/* Allocates for nch channels at rate_hz and designs a flat filter.
 * Returns 0, or -1 when out of memory (f is then freed). */
int mfir_init(mfir *f, unsigned nch, double rate_hz);
void mfir_free(mfir *f); /* safe on a zeroed or freed mfir */

/* Number of grid points of f->target and their spacing: point k is at
 * k * rate / G Hz, k < mfir_bins(f). */
static inline unsigned mfir_bins(const mfir *f) { return f->grid / 2 + 1; }
static inline double mfir_bin_hz(const mfir *f) { return f->rate_hz / f->grid; }

/* Designs the filter from f->target (flat = 0) or a pure delay (flat = 1,
 * target ignored): at once before any audio since reset, else crossfaded in
 * at the next partition. No allocation. */
void mfir_design(mfir *f, int flat);

void mfir_reset(mfir *f);
/* in may alias out. */
void mfir_run(mfir *f, const float *const *in, float *const *out, unsigned frames);

static inline unsigned mfir_latency(const mfir *f) { return f->half - 1 + f->part; }
/* Frames after the latency until the last tap has passed: K. */
static inline unsigned mfir_tail(const mfir *f) { return f->half; }

#endif
