/* space_filter.c - RBJ cookbook sections for multiband, deesser and reverb. */
#include <math.h>
#include "space_filter.h"

void sp_bq_design(sp_bq *c, sp_bq_type type, double rate_hz, double freq_hz, double q)
{
    /* Audio-EQ-Cookbook: w0 = 2 pi f / fs, alpha = sin(w0) / (2 Q) */
    double w0 = 2.0 * M_PI * freq_hz / rate_hz;
    double cw = cos(w0), alpha = sin(w0) / (2.0 * q);
    double b0, b1, b2, a0 = 1.0 + alpha, a1 = -2.0 * cw, a2 = 1.0 - alpha;
    switch (type) {
    case SP_LOWPASS:
        b0 = b2 = (1.0 - cw) / 2.0;
        b1 = 1.0 - cw;
        break;
    case SP_HIGHPASS:
        b0 = b2 = (1.0 + cw) / 2.0;
        b1 = -(1.0 + cw);
        break;
    case SP_ALLPASS:
        b0 = 1.0 - alpha;
        b1 = -2.0 * cw;
        b2 = 1.0 + alpha;
        break;
    default: /* SP_BANDPASS, constant 0 dB peak gain */
        b0 = alpha;
        b1 = 0.0;
        b2 = -alpha;
        break;
    }
    c->b0 = b0 / a0;
    c->b1 = b1 / a0;
    c->b2 = b2 / a0;
    c->a1 = a1 / a0;
    c->a2 = a2 / a0;
}

double sp_bq_decay_frames(const sp_bq *c, double ratio)
{
    /* poles: roots of z^2 + a1 z + a2 */
    double disc = c->a1 * c->a1 - 4.0 * c->a2, r;
    if (disc < 0.0) {
        r = sqrt(c->a2);
    } else {
        double s = sqrt(disc);
        double r1 = fabs((-c->a1 + s) / 2.0), r2 = fabs((-c->a1 - s) / 2.0);
        r = r1 > r2 ? r1 : r2;
    }
    if (!(r > 0.0))
        return 0.0;
    if (r >= 1.0)
        return 1e12;
    return log(ratio) / log(r);
}
