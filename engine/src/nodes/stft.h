/* stft.h - a streaming short-time Fourier transform with weighted overlap-add,
 * for spectral nodes (denoise; usable by any node that edits spectra).
 *
 *   input -> [last n frames] x Hann -> FFT -> callback edits spectra
 *         -> inverse FFT x Hann -> overlap-add -> output, n frames later
 *
 * Analysis and synthesis windows are both periodic Hann; with hop = n/4 (or
 * less) the products hann^2 of overlapping frames sum to a constant (3/8 of
 * the overlap count), folded into the synthesis window, so spectra left as
 * they are come back as the input delayed by exactly n frames (float
 * rounding aside). Frames end at multiples of hop counted from prepare or
 * reset, never at block boundaries: output does not depend on how the
 * stream is cut into blocks. The callback runs inside run() once per hop,
 * with every channel's spectrum of the same frame (so a node can link its
 * channels). Memory is allocated by mdi_stft_init only.
 *
 * Spectrum scaling: bin k of a frame is sum_i x[i] w[i] e^{-2 pi j i k / n}
 * (kissfft's forward real FFT, unnormalised), n/2 + 1 bins.
 */
#ifndef MDI_STFT_H
#define MDI_STFT_H

#include <kissfft/kiss_fftr.h>

/* Called once per hop: spec[c] holds bins values for channel c; edit in place. */
typedef void (*mdi_stft_fn)(void *user, kiss_fft_cpx *const *spec, unsigned channels,
                            unsigned bins);

typedef struct mdi_stft {
    unsigned n, hop, bins, channels;
    unsigned pos;              /* frames received in the current hop */
    kiss_fftr_cfg fwd, inv;
    float *win;                /* n: analysis window */
    float *swin;               /* n: synthesis window, normalisation included */
    float *frame;              /* n: scratch time frame */
    float **in;                /* [channels][n]: the latest inputs, hop being filled last */
    float **acc;               /* [channels][n]: overlap-add accumulator */
    float **ready;             /* [channels][hop]: finished output of the current hop */
    kiss_fft_cpx **spec;       /* [channels][bins] */
    void *mem;                 /* one block holding the arrays above */
} mdi_stft;

/* n: FFT size, a power of two >= 16; hop: n/4, n/8, ... (n/hop >= 4).
 * Returns 0, or -1 on bad sizes or out of memory (s is then empty and
 * mdi_stft_free(s) is harmless). Cleared: as after mdi_stft_reset. */
int mdi_stft_init(mdi_stft *s, unsigned n, unsigned hop, unsigned channels);
void mdi_stft_free(mdi_stft *s);
/* Forget all history: zero inputs, outputs and the position in the hop. */
void mdi_stft_reset(mdi_stft *s);
/* Frames of delay between input and output: n. */
static inline unsigned mdi_stft_latency(const mdi_stft *s) { return s->n; }
/* Processes frames frames of every channel; in may alias out. fn may be NULL
 * (spectra pass unchanged). No allocation. */
void mdi_stft_run(mdi_stft *s, const float *const *in, float *const *out, unsigned frames,
                  mdi_stft_fn fn, void *user);
/* Forward transform of one windowed n-frame block x (for measuring with the
 * same scaling as run() hands to its callback). spec: bins values. */
void mdi_stft_analyse(mdi_stft *s, const float *x, kiss_fft_cpx *spec);

#endif
