/* truepeak.h - an inter-sample (true) peak detector for the limiter.
 *
 * ITU-R BS.1770-4 Annex 2: oversample (here TP_PHASES x) with a polyphase
 * interpolator and take the largest magnitude. Each phase k/TP_PHASES is a
 * TP_TAPS-tap Kaiser-windowed sinc (beta TP_BETA), normalised to unit DC gain;
 * phase 0 is the sample itself (the sinc is 0 at the other integers), so a
 * sample peak is never under-read. 32 taps, beta 8: the phase error is below
 * 0.15 % up to 0.85 x Nyquist (18.7 kHz at 44.1 kHz). Shorter filters (16 or
 * 24 taps) under-read wide-band material (squares, clipped masters) by up to
 * 0.3 dB against ffmpeg's ebur128 meter, whose resampler is near-ideal there;
 * with 32 the two agree within 0.01 dB on the limiter's hostile signals.
 *
 * Data layout: x points at the first new sample of a block in a buffer that
 * holds TP_TAPS - 1 older samples before it. peak[i] covers the positions
 * (i - TP_HALF) + k / TP_PHASES, k = 0 .. TP_PHASES - 1: the detector runs
 * TP_HALF frames behind its input.
 */
#ifndef MD_TRUEPEAK_H
#define MD_TRUEPEAK_H

#define TP_PHASES 4
#define TP_TAPS 32
#define TP_HALF (TP_TAPS / 2)
#define TP_BETA 8.0

typedef struct tp_filter {
    float h[TP_PHASES - 1][TP_TAPS]; /* phases 1 .. TP_PHASES-1 */
    float bound; /* max over phases of sum |h|: |value| <= bound x max |x| */
} tp_filter;

void mdi_tp_init(tp_filter *f);

/* peak[i] = (first ? 0 : peak[i]) max'ed with the true peak around
 * x[i - TP_HALF], for i < frames. */
void mdi_tp_peak(const tp_filter *f, const float *x, float *peak, unsigned frames, int first);

/* The interpolated values at (i - TP_HALF) + k / TP_PHASES for one i, k >= 1:
 * the largest magnitude (scalar, for the limiter's exact correction path). */
float mdi_tp_peak_at(const tp_filter *f, const float *x, unsigned i);

#endif
