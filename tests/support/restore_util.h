/* restore_util.h - material and measurements for the restoration tests
 * (denoise, dehum): a song in the style of the demo (recipes/demo.lua) made
 * with the synth node, seeded white and pink noise, running a node over a
 * whole signal, and 1/3-octave band energies by Welch's method. */
#ifndef RESTORE_UTIL_H
#define RESTORE_UTIL_H

#include "gen_util.h"
#include <stddef.h>
#include <stdint.h>

/* Stereo: kick, snare and hats (drums = 0: none), a saw bass, two detuned
 * saw pads panned apart and a seeded square lead, 120 BPM in A minor (Am F
 * C G), drums from the first beat. Peak around -6 dBFS. The kick, as the
 * demo's, ends its pitch drop at 50 Hz. */
gen_sig restore_song(double rate_hz, double seconds, uint64_t seed, int drums);

/* Gaussian white noise of the given RMS (Box-Muller on xorshift64*). */
void restore_white(float *x, size_t n, double rms, uint64_t seed);
/* Pink noise (-3 dB/octave) of the given RMS: white noise through Paul
 * Kellet's refined pinking filter (within 0.05 dB of 1/f above 9 Hz at
 * 44.1 kHz), then scaled. */
void restore_pink(float *x, size_t n, double rms, uint64_t seed);

double restore_energy(const float *x, size_t n); /* sum of squares, double */

/* Runs a prepared processor over in, in blocks of `block`, followed by
 * `extra` frames of silence; returns in->frames + extra frames. */
gen_sig restore_run(md_node *n, const gen_sig *in, unsigned block, size_t extra);

/* 1/3-octave bands (centres 1000 x 10^(x/10), x = -17..13) of a reference x
 * and a signal y over len frames from xoff in x and yoff in y, summed over
 * channels: Welch (16384-point Hann, 50 % overlap) auto and cross powers,
 * summed over the bins whose frequency lies between the band edges
 * fc x 10^(+-1/20). xy is the real part of the cross power: xy / xx is the
 * gain applied to the part of y that is x (the projection), noise being
 * uncorrelated with x averages out. */
#define RESTORE_BANDS 31
typedef struct restore_bands {
    double centre[RESTORE_BANDS];
    double xx[RESTORE_BANDS], yy[RESTORE_BANDS], xy[RESTORE_BANDS];
} restore_bands;
void restore_third_octaves(const gen_sig *x, size_t xoff, const gen_sig *y, size_t yoff,
                           size_t len, double rate_hz, restore_bands *b);

/* The improvement of song / (output - song) over song / noise, in dB, that an
 * ideal Wiener mask reaches: per cell of an n-point STFT (periodic Hann
 * analysis and synthesis, hop n/4, overlap-add normalised by 3/8 x 4), the
 * gain |S|^2 / (|S|^2 + |N|^2) from the song and the noise themselves,
 * applied to their sum. Over frames [from, from + len) of song and
 * [noise_off + from, ...) of noise, all channels. A bound no real denoiser
 * (which sees only the sum) is expected to pass. */
double restore_oracle_db(const gen_sig *song, const gen_sig *noise, size_t noise_off,
                         unsigned n, size_t from, size_t len);

#endif
