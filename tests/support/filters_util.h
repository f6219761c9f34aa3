/* filters_util.h - helpers for the filter tests (highpass, lowpass, eq):
 * creating and running nodes standalone, seeded noise, single-bin DFTs. */
#ifndef FILTERS_UTIL_H
#define FILTERS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "mixdown/md.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Creates a registered node by name; aborts the test (cr_assert) on failure. */
md_node *filt_node(const char *type);

/* Sets the bands of an eq: count bands, then each field given. type and
 * channel are names (channel NULL = "all"); q <= 0 leaves the default. */
void filt_eq_bands(md_node *n, unsigned count);
void filt_eq_band(md_node *n, unsigned item, const char *type, double freq, double gain,
                  double q, const char *channel);

/* Prepares n for rate/channels/max_frames; asserts success. */
void filt_prepare(md_node *n, double rate, unsigned channels, unsigned max_frames);

/* Runs frames of planar audio through n in blocks of `block` frames (the last
 * one shorter). in and out may be the same buffers. */
void filt_run(md_node *n, float *const *in, float *const *out, unsigned channels,
              size_t frames, unsigned block);

/* Impulse response of a prepared mono node: len frames (reset first). */
float *filt_impulse_response(md_node *n, size_t len);

/* Gaussian white noise, RMS rms, from a fixed seed (xorshift64* + Box-Muller). */
void filt_noise(float *x, size_t n, uint64_t seed, double rms);

/* X(e^jw) = sum x[k] e^{-jwk}, w in radians per sample. */
void filt_dft(const float *x, size_t n, double w, double *re, double *im);

/* Allocates channels x frames zeroed floats (free with filt_free). */
float **filt_alloc(unsigned channels, size_t frames);
void filt_free(float **b, unsigned channels);

#endif
