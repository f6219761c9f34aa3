/* blep.c - band-limited step and ramp tables and the oscillators built on
 * them (see blep.h). */
#include "blep.h"
#include <math.h>

#define HALF (MDI_BLEP_WIDTH / 2)
#define CUTOFF 0.48     /* of the sample rate: keeps harmonics up to ~20 kHz at 44.1 kHz */
#define KAISER_BETA 9.0 /* ~90 dB sidelobes */
#define SUBSTEPS 16     /* integration steps per table entry */

static double bessel_i0(double x)
{
    /* power series of the modified Bessel function I0; 40 terms are ample
     * for the arguments of a Kaiser window with beta <= 12 */
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 40; k++) {
        double q = x / (2.0 * k);
        term *= q * q;
        sum += term;
    }
    return sum;
}

static double kernel(double x, double i0_beta)
{
    double r = x / HALF;
    if (fabs(r) >= 1.0)
        return 0.0;
    double sinc = fabs(x) < 1e-12 ? 2.0 * CUTOFF : sin(2.0 * M_PI * CUTOFF * x) / (M_PI * x);
    return sinc * bessel_i0(KAISER_BETA * sqrt(1.0 - r * r)) / i0_beta;
}

void mdi_blep_init(mdi_blep *b)
{
    double i0_beta = bessel_i0(KAISER_BETA);
    double h = 1.0 / (MDI_BLEP_OVERSAMPLE * SUBSTEPS);
    double acc = 0.0, prev = kernel(-HALF, i0_beta);
    b->step[0] = 0.0f;
    /* trapezoidal integration of the kernel on a grid 16 times finer than the table */
    for (int i = 1; i < MDI_BLEP_SIZE; i++) {
        for (int s = 1; s <= SUBSTEPS; s++) {
            double x = -HALF + ((double)(i - 1) * SUBSTEPS + s) * h;
            double k = kernel(x, i0_beta);
            acc += 0.5 * (prev + k) * h;
            prev = k;
        }
        b->step[i] = (float)acc;
    }
    /* normalise so the step ends at exactly 1, then integrate again for the ramp */
    double ramp = 0.0, dx = 1.0 / MDI_BLEP_OVERSAMPLE, last = 0.0;
    for (int i = 0; i < MDI_BLEP_SIZE; i++) {
        double v = b->step[i] / acc;
        if (i > 0)
            ramp += 0.5 * (last + v) * dx;
        last = v;
        b->step[i] = (float)v;
        b->ramp[i] = (float)ramp;
    }
}

static double lookup(const float *t, double x)
{
    double u = (x + HALF) * MDI_BLEP_OVERSAMPLE;
    int i = (int)u;
    double f = u - i;
    return t[i] + (t[i + 1] - t[i]) * f;
}

double mdi_blep_step(const mdi_blep *b, double x)
{
    if (!(fabs(x) < HALF))
        return 0.0;
    return lookup(b->step, x) - (x >= 0.0 ? 1.0 : 0.0);
}

double mdi_blep_ramp(const mdi_blep *b, double x)
{
    if (!(fabs(x) < HALF))
        return 0.0;
    return lookup(b->ramp, x) - (x > 0.0 ? x : 0.0);
}

/* Adds amount * residual for the events at phases m + offset (m integer)
 * within HALF frames of this frame and after the start. */
static double events(const mdi_blep *b, int ramp, double cycles, double inc, double start,
                     double offset, double amount)
{
    double span = HALF * inc, sum = 0.0;
    double lo = floor(cycles - offset - span) + 1.0, hi = ceil(cycles - offset + span) - 1.0;
    for (double m = lo; m <= hi; m += 1.0) {
        double at = m + offset;
        if (at <= start)
            continue;
        double x = (cycles - at) / inc;
        sum += amount * (ramp ? mdi_blep_ramp(b, x) : mdi_blep_step(b, x));
    }
    return sum;
}

double mdi_blep_osc(const mdi_blep *b, int shape, double cycles, double inc, double start)
{
    double fr = cycles - floor(cycles);
    switch (shape) {
    case MDI_OSC_SAW: /* rises from -1 to 1, jumps by -2 at each whole cycle */
        return 2.0 * fr - 1.0 + events(b, 0, cycles, inc, start, 0.0, -2.0);
    case MDI_OSC_SQUARE: /* +1 then -1: jumps +2 at whole cycles, -2 at half cycles */
        return (fr < 0.5 ? 1.0 : -1.0) + events(b, 0, cycles, inc, start, 0.0, 2.0) +
               events(b, 0, cycles, inc, start, 0.5, -2.0);
    default: /* triangle 4|fr - 1/2| - 1: its slope (per frame) turns by -8 inc at whole
              * cycles and +8 inc at half cycles */
        return 4.0 * fabs(fr - 0.5) - 1.0 + events(b, 1, cycles, inc, start, 0.0, -8.0 * inc) +
               events(b, 1, cycles, inc, start, 0.5, 8.0 * inc);
    }
}

double mdi_blep_start_phase(int shape)
{
    switch (shape) {
    case MDI_OSC_SAW:
        return 0.5;
    case MDI_OSC_SQUARE:
        return 0.0;
    default:
        return 0.25;
    }
}
