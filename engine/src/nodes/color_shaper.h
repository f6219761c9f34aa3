/* color_shaper.h - the oversampled waveshaper behind saturate and exciter.
 *
 * Curves (x is the driven signal, all saturate towards +-1 and have slope 1
 * at 0 before the bias):
 *   tape  tanh(x): smooth, odd harmonics that fall off fast
 *   tube  x / sqrt(1 + x^2) with a built-in bias of MD_COLOR_TUBE_BIAS: a
 *         slower, rounder knee and even harmonics even at asymmetry 0
 *   soft  x - 4 x^3 / 27 up to |x| = 1.5, then +-1 (a cubic soft clip)
 *   hard  x clamped to +-1
 * asymmetry a in 0..1 moves the operating point to b = bias + a / 2, so the
 * curve runs f(x + b) - f(b): the two halves of a wave are squashed
 * differently, which adds even harmonics (and DC, which the caller removes).
 *
 * What the shaper returns is the *distortion residual*, normalised by the
 * curve's small-signal gain s = f'(b):
 *     r = (f(g x + b) - f(b)) / (g s) - x
 * computed at 8x (color_os.h) and delayed by md_color_os_latency() frames.
 * x delayed + r is then the saturated signal with a small-signal gain of
 * exactly 1 (auto gain); the linear part never goes through the resampling
 * filters, so what the curve does not bend (the hard clip below its
 * threshold) passes bit for bit.
 *
 * Phases: init/free in prepare/release, set in update, reset in reset, run in
 * process (no allocation).
 */
#ifndef MD_COLOR_SHAPER_H
#define MD_COLOR_SHAPER_H

#include "color_os.h"

enum { MD_COLOR_TAPE, MD_COLOR_TUBE, MD_COLOR_SOFT, MD_COLOR_HARD, MD_COLOR_NCURVES };

#define MD_COLOR_TUBE_BIAS 0.25 /* built-in operating point of the tube curve */
#define MD_COLOR_ASYM_BIAS 0.5  /* bias added at asymmetry 1 */

typedef struct md_color_shaper {
    md_color_os os;
    int curve;
    double bias, fb, inv_s; /* b, f(b), 1 / f'(b) */
    float *up8;             /* 8 x MD_COLOR_OS_CHUNK samples */
} md_color_shaper;

/* Returns 0, or -1 when out of memory (sh is then zeroed). */
int md_color_shaper_init(md_color_shaper *sh, unsigned channels);
void md_color_shaper_free(md_color_shaper *sh);
void md_color_shaper_reset(md_color_shaper *sh);
/* curve: MD_COLOR_*; asymmetry 0..1. */
void md_color_shaper_set(md_color_shaper *sh, int curve, double asymmetry);
/* The small-signal gain f'(b) of the curve as set (without drive). */
double md_color_shaper_slope(const md_color_shaper *sh);
unsigned md_color_shaper_latency(const md_color_shaper *sh);
/* Frames from the last non-zero input to the last non-zero residual. */
unsigned md_color_shaper_span(const md_color_shaper *sh);

/* The residual r (see above) of frames frames of channel ch, with drive[i]
 * the linear drive gain (>= 1) of frame i. x and r may alias. Every channel
 * must be run with the same frames. */
void md_color_shaper_run(md_color_shaper *sh, unsigned ch, const float *x, const float *drive,
                         float *r, unsigned frames);

/* The curve itself (for documentation and tests): f(x) without bias. */
double md_color_curve(int curve, double x);

#endif
