/* eq_dynamic.h - the detector and gain computer of an eq's dynamic band.
 *
 * A dynamic band is a bell or shelf whose gain follows the level of its own
 * band in the eq's input:
 *
 *   eq input ─> channels of the band ─> detector filter ─> level ─> gain
 *               (all: the louder one;    (bell: bandpass   (peak |y|,  computer
 *                left, right, mid,        at freq, q;       or mean      ─> hold/release
 *                side: that signal)       shelves: 12 dB/   square over  ─> attack
 *                                         oct low/highpass  20 ms)        ─> gain in dB
 *                                         at freq)
 *
 * Gain computer, with L the band level in dBFS as the detector reads it, T
 * the threshold, R the ratio and G the band's gain (its range):
 *   G < 0 (cut):   g = max(G, -(L - T)(1 - 1/R)) above T, 0 at or below;
 *   G > 0 (boost): g = min(G, (T - L)(1 - 1/R)) below T, 0 at or above.
 * Both pull the band's level toward T by the ratio, like a compressor (a cut
 * is downward compression of a band that gets too loud, a boost is upward
 * compression of a band that gets too quiet), limited to G. A boost that
 * grew above T would expand: it would exaggerate the resonances and peaks a
 * dynamic EQ is meant to tame, so boosts act below the threshold.
 *
 * Smoothing, in dB (the compressor's two stages, Giannoulis et al. 2012):
 * stage 1 takes any lower gain at once and rises toward a higher one with the
 * release time constant; stage 2 follows a rising stage 1 at once and a
 * falling one with the attack time constant. So a rising level (a deeper cut,
 * or less boost) reaches 63 % of its gain change after `attack` ms, a falling
 * level after `release` ms, and a steady tone is held at its peak.
 *
 * Phases: eqd_setup in update (no allocation), eqd_reset in reset, eqd_run in
 * process. Channel states live in caller-owned storage of eqd_state_doubles().
 */
#ifndef MDI_EQ_DYNAMIC_H
#define MDI_EQ_DYNAMIC_H

#include "biquad.h"

enum { EQD_ALL, EQD_LEFT, EQD_RIGHT, EQD_MID, EQD_SIDE }; /* the eq's channel names */

typedef struct eqd_band {
    /* settings (eqd_setup) */
    int source;         /* EQD_*: which signal the detector listens to */
    int rms;            /* 1: mean square over 20 ms, 0: peak */
    float thr_db, slope, range_db; /* T, 1 - 1/R, G */
    float a_att, a_rel, a_rms;     /* one-pole coefficients */
    mdi_bq_coef det;    /* detector filter */
    unsigned nch;       /* detector channels: the eq's channels for EQD_ALL, else 1 */
    /* state */
    double *z;          /* nch x 2 TDF2 states (caller's storage) */
    float ms;           /* mean square (rms) */
    float s1, s2;       /* gain stages, dB; s2 is the band's gain */
} eqd_band;

/* Doubles of channel state one band needs for an eq of nch channels. */
unsigned eqd_state_doubles(unsigned nch);

/* Settings of a dynamic band. spec: the band's design (type bell, lowshelf
 * or highshelf, freq below rate / 2, its gain = G); source: EQD_*; nch: the
 * eq's channel count. z: eqd_state_doubles(nch) doubles. A band whose
 * detector source changed must be reset. */
void eqd_setup(eqd_band *b, const mdi_bq_spec *spec, int source, unsigned nch,
               double thr_db, double ratio, double attack_ms, double release_ms, int rms,
               double rate_hz, double *z);

/* Forgets the signal: silence, so the gain is g(-inf): 0 for a cut, G for a
 * boost. */
void eqd_reset(eqd_band *b);

/* Listens to frames (<= MDI_CASCADE_STEP, within one step) of the eq's
 * input; b->s2 is then the gain for the frames that follow. step_end: these
 * frames end on a multiple of MDI_CASCADE_STEP since reset (states are
 * cleaned there: denormals, and a non-finite input is forgotten). */
void eqd_run(eqd_band *b, const float *const *in, unsigned frames, int step_end);

#endif
