/* signal.h - test signals (seeded) and measurements shared by the tests. */
#ifndef MD_TEST_SIGNAL_H
#define MD_TEST_SIGNAL_H

#include <stdint.h>

/* xorshift64* in [0,1): deterministic for a seed */
double ts_rand(uint64_t *state);
void ts_sine(float *x, unsigned frames, double freq_hz, double rate_hz, double peak, double phase);
void ts_noise(float *x, unsigned frames, double rms, uint64_t seed);
double ts_rms_db(const float *x, unsigned frames);
double ts_peak_db(const float *x, unsigned frames);
/* level in dB (amplitude of a sine) of the component at freq, by a DFT
 * with a Hann window over x */
double ts_tone_db(const float *x, unsigned frames, double freq_hz, double rate_hz);

#endif
