/* match_support.h - measurements and material for the match tests, written
 * for them (independent of the engine's meters and of the node's FFT code):
 * a 1/6-octave long-term spectrum by Welch's method with a radix-2 FFT in
 * double precision, the spectral distance of the reference-mastering issue,
 * and two synthesized pieces of music with different tonal balances. */
#ifndef MATCH_SUPPORT_H
#define MATCH_SUPPORT_H

#include "gen_util.h"

/* 1/6-octave grid: centre i is 1000 * 2^(i/6) Hz; bands span centre *
 * 2^(+-1/12). MS_LO_HZ .. MS_HI_HZ is where distances are taken. */
#define MS_LO_HZ 40.0
#define MS_HI_HZ 16000.0
#define MS_MAX_BANDS 80

typedef struct ms_spectrum {
    unsigned count;
    double hz[MS_MAX_BANDS]; /* centres from 40 to 16000 Hz (i = -28 .. 24) */
    double db[MS_MAX_BANDS]; /* mean power density in the band, dB (arbitrary 0) */
} ms_spectrum;

/* Long-term spectrum of s (every channel; powers averaged): Hann frames of
 * 2^15 frames (1.35 Hz bins at 44.1 kHz), hop half a frame, periodograms
 * averaged (Welch), then each band's mean power density with bins weighted by
 * how much of them the band covers (so bands narrower than a bin still read
 * a smooth value). */
ms_spectrum ms_measure(const gen_sig *s, double rate_hz);

/* Mean absolute difference in dB between two spectra, after removing the mean
 * difference (a level change is not a tonal difference). */
double ms_distance(const ms_spectrum *a, const ms_spectrum *b);

/* Two stereo pieces of `seconds` at rate_hz, synthesized with the engine's
 * synth node: 0 = "bright" (saw pad open to 8 kHz, square lead, hats and
 * snare, little bass), 1 = "dark" (sine and triangle bass, plucks low-passed
 * at 1.5 kHz, kick, a soft pad). Caller frees with gen_sig_free. */
gen_sig ms_piece(int which, double seconds, double rate_hz);

/* Level in dB of the response h (n frames, the impulse at `at`) at freq, by a
 * direct DFT in double precision. */
double ms_response_db(const float *h, size_t n, double freq_hz, double rate_hz);

#endif
