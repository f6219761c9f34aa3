/* space_filter.h - the small second-order sections used by multiband, deesser
 * and reverb: RBJ cookbook designs in double, run in transposed direct form II
 * with double state, one sample at a time (so band splits and detectors can
 * interleave them with other per-sample work).
 *
 *     H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)
 *
 * Phases: sp_bq_design in prepare/update, sp_bq_run in process.
 */
#ifndef MD_SPACE_FILTER_H
#define MD_SPACE_FILTER_H

typedef struct sp_bq {
    double b0, b1, b2, a1, a2;
} sp_bq;

typedef enum sp_bq_type {
    SP_LOWPASS, /* 12 dB/octave, resonance q */
    SP_HIGHPASS,
    SP_ALLPASS,  /* |H| = 1, phase turns through -180 degrees at freq */
    SP_BANDPASS, /* constant 0 dB peak gain at freq, bandwidth set by q */
} sp_bq_type;

/* RBJ Audio-EQ-Cookbook (R. Bristow-Johnson). freq_hz in (0, rate_hz / 2), q > 0. */
void sp_bq_design(sp_bq *c, sp_bq_type type, double rate_hz, double freq_hz, double q);

/* Frames until the section's impulse response has decayed by `ratio` (e.g.
 * 1e-6 for -120 dB), from the largest pole radius; 0 when it has no poles. */
double sp_bq_decay_frames(const sp_bq *c, double ratio);

/* One sample through a section with state z[2] (transposed direct form II). */
static inline double sp_bq_run(const sp_bq *c, double *z, double x)
{
    double y = c->b0 * x + z[0];
    z[0] = c->b1 * x - c->a1 * y + z[1];
    z[1] = c->b2 * x - c->a2 * y;
    return y;
}

/* Two channels through the same section at once, one in each lane of a
 * vector (GCC/Clang vector extension); z holds the two lanes' states. */
typedef double sp_v2 __attribute__((vector_size(16)));

static inline sp_v2 sp_bq_run2(const sp_bq *c, sp_v2 *z, sp_v2 x)
{
    sp_v2 y = c->b0 * x + z[0];
    z[0] = c->b1 * x - c->a1 * y + z[1];
    z[1] = c->b2 * x - c->a2 * y;
    return y;
}

/* Zeroes states far below audibility (1e-30) so that a long silence never
 * reaches denormal numbers. Call on a grid of absolute frames, never per
 * block, so the output does not depend on how the stream is cut. */
static inline void sp_flush(double *z, unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        if (z[i] < 1e-30 && z[i] > -1e-30)
            z[i] = 0.0;
}

#endif
