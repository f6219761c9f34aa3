/* blep.h - band-limited steps and ramps for the synth's saw, square and
 * triangle (the BLEP method: Stilson and Smith, "Alias-free digital synthesis
 * of classic analog waveforms", ICMC 1996; ramps: Esqueda, Valimaki and
 * Bilbao, "Rounding corners with BLAMP", DAFx 2016).
 *
 * A naive waveform jumps (saw, square) or bends (triangle) at known times; the
 * band-limited waveform is the naive one plus, around each event, the
 * difference between a band-limited step (the integral of a Kaiser-windowed
 * sinc, cutoff 0.48 fs, 32 frames wide) and the ideal step (or the same for
 * a ramp). The kernel is linear-phase, so each event's correction spans 16
 * frames on either side; the oscillators know the future event times in
 * closed form, so no lookahead buffer is needed. A plain 2-point PolyBLEP
 * leaves the first alias of a 5 kHz saw at 44.1 kHz only 24 dB down; this
 * table puts every alias of that saw more than 80 dB down. */
#ifndef MDI_BLEP_H
#define MDI_BLEP_H

#define MDI_BLEP_WIDTH 32 /* frames covered by one correction */
#define MDI_BLEP_OVERSAMPLE 128
#define MDI_BLEP_SIZE (MDI_BLEP_WIDTH * MDI_BLEP_OVERSAMPLE + 1)

typedef struct mdi_blep {
    float step[MDI_BLEP_SIZE]; /* band-limited unit step at x = -W/2 .. W/2 frames */
    float ramp[MDI_BLEP_SIZE]; /* its integral: the band-limited unit ramp */
} mdi_blep;

/* Fills the tables (a few milliseconds; call from prepare). */
void mdi_blep_init(mdi_blep *b);

/* Residuals at x frames after the event (negative: before): band-limited
 * minus ideal. Zero for |x| >= W/2. */
double mdi_blep_step(const mdi_blep *b, double x);
double mdi_blep_ramp(const mdi_blep *b, double x);

enum { MDI_OSC_SAW, MDI_OSC_SQUARE, MDI_OSC_TRIANGLE };

/* One frame of a band-limited oscillator whose unwrapped phase (cycles) is
 * `cycles` at this frame, advancing `inc` cycles per frame (0 < inc < 0.5),
 * started at phase `start` (events at or before it do not exist). Peak 1. */
double mdi_blep_osc(const mdi_blep *b, int shape, double cycles, double inc, double start);

/* The starting phase that makes each shape begin at zero without a jump
 * (saw, triangle) or at +1 (square). */
double mdi_blep_start_phase(int shape);

#endif
