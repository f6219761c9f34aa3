/* color_filter.c - RBJ biquad designs and a bilinear first-order high-pass.
 *
 * Designs: Robert Bristow-Johnson, "Cookbook formulae for audio EQ biquad
 * filter coefficients" (w0 = 2 pi f / fs, alpha = sin(w0) / (2 Q)). The
 * first-order high-pass is the bilinear transform of s / (s + wc) with the
 * cutoff prewarped: K = tan(pi f / fs), H(z) = (1 - z^-1) / ((1 + K) - (1 - K) z^-1).
 */
#include "color_filter.h"
#include <math.h>

static void normalise(md_color_bq *c, double b0, double b1, double b2, double a0, double a1,
                      double a2)
{
    c->b0 = b0 / a0;
    c->b1 = b1 / a0;
    c->b2 = b2 / a0;
    c->a1 = a1 / a0;
    c->a2 = a2 / a0;
}

void md_color_bq_highpass(md_color_bq *c, double rate_hz, double freq_hz, double q)
{
    double w0 = 2.0 * M_PI * freq_hz / rate_hz, cw = cos(w0), alpha = sin(w0) / (2.0 * q);
    normalise(c, (1.0 + cw) / 2.0, -(1.0 + cw), (1.0 + cw) / 2.0, 1.0 + alpha, -2.0 * cw,
              1.0 - alpha);
}

void md_color_bq_lowpass(md_color_bq *c, double rate_hz, double freq_hz, double q)
{
    double w0 = 2.0 * M_PI * freq_hz / rate_hz, cw = cos(w0), alpha = sin(w0) / (2.0 * q);
    normalise(c, (1.0 - cw) / 2.0, 1.0 - cw, (1.0 - cw) / 2.0, 1.0 + alpha, -2.0 * cw, 1.0 - alpha);
}

void md_color_bq_allpass(md_color_bq *c, double rate_hz, double freq_hz, double q)
{
    double w0 = 2.0 * M_PI * freq_hz / rate_hz, cw = cos(w0), alpha = sin(w0) / (2.0 * q);
    normalise(c, 1.0 - alpha, -2.0 * cw, 1.0 + alpha, 1.0 + alpha, -2.0 * cw, 1.0 - alpha);
}

void md_color_bq_highpass1(md_color_bq *c, double rate_hz, double freq_hz)
{
    double k = tan(M_PI * freq_hz / rate_hz);
    normalise(c, 1.0, -1.0, 0.0, 1.0 + k, -(1.0 - k), 0.0);
}

unsigned md_color_bq_decay(const md_color_bq *c, double ratio)
{
    /* poles: roots of z^2 + a1 z + a2 */
    double rmax;
    double disc = c->a1 * c->a1 - 4.0 * c->a2;
    if (c->a1 == 0.0 && c->a2 == 0.0)
        return 0;
    if (disc < 0.0)
        rmax = sqrt(c->a2); /* complex pair: |p|^2 = a2 */
    else
        rmax = fmax(fabs((-c->a1 + sqrt(disc)) / 2.0), fabs((-c->a1 - sqrt(disc)) / 2.0));
    if (!(rmax < 1.0))
        return 0xffffffffu;
    /* 40 dB of margin for the section's gain and for close (double) poles */
    double frames = log(ratio * 0.01) / log(rmax);
    return frames > 4e9 ? 0xffffffffu : (unsigned)ceil(frames) + 2;
}
