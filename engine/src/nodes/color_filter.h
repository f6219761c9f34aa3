/* color_filter.h - small filters shared by the colour nodes (width, saturate,
 * exciter, dcblock): RBJ biquads and a first-order high-pass with double state,
 * run one sample at a time so that their output never depends on block sizes.
 *
 * Coefficients are normalised to a0 = 1:
 *     H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)
 * A first-order section has b2 = a2 = 0. States below 1e-30 are flushed to
 * zero on every sample (no denormals after long silences, and the same result
 * however the stream is cut into blocks).
 *
 * Phases: design in prepare/update, md_color_bq_clear in reset, the step in
 * process (no allocation anywhere).
 */
#ifndef MD_COLOR_FILTER_H
#define MD_COLOR_FILTER_H

typedef struct md_color_bq {
    double b0, b1, b2, a1, a2;
} md_color_bq;

/* Transposed direct form II state of one section for one channel. */
typedef struct md_color_bq_state {
    double s1, s2;
} md_color_bq_state;

/* RBJ Audio-EQ-Cookbook designs at freq_hz (0 < freq_hz < rate_hz / 2). */
void md_color_bq_highpass(md_color_bq *c, double rate_hz, double freq_hz, double q);
void md_color_bq_lowpass(md_color_bq *c, double rate_hz, double freq_hz, double q);
void md_color_bq_allpass(md_color_bq *c, double rate_hz, double freq_hz, double q);
/* First-order high-pass by the bilinear transform (prewarped): -3 dB at
 * freq_hz, exactly 1 at Nyquist, a zero at DC. */
void md_color_bq_highpass1(md_color_bq *c, double rate_hz, double freq_hz);

/* Frames until the impulse response of section c has fallen to `ratio` of
 * its start (from the largest pole radius, with margin for the section's
 * own gain); 0 for a section without poles. */
unsigned md_color_bq_decay(const md_color_bq *c, double ratio);

static inline void md_color_bq_clear(md_color_bq_state *s)
{
    s->s1 = 0.0;
    s->s2 = 0.0;
}

static inline double md_color_bq_step(const md_color_bq *c, md_color_bq_state *s, double x)
{
    double y = c->b0 * x + s->s1;
    double s1 = c->b1 * x - c->a1 * y + s->s2;
    double s2 = c->b2 * x - c->a2 * y;
    s->s1 = (s1 > -1e-30 && s1 < 1e-30) ? 0.0 : s1;
    s->s2 = (s2 > -1e-30 && s2 < 1e-30) ? 0.0 : s2;
    return y;
}

#endif
