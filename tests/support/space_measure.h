/* space_measure.h - helpers for the reverb, multiband and deesser tests:
 * running a node block-wise, room-acoustics and spectral measurements, and
 * reference filters written independently of the engine. */
#ifndef MD_TEST_SPACE_MEASURE_H
#define MD_TEST_SPACE_MEASURE_H

#include <stddef.h>
#include "mixdown/md.h"

/* Creates node `type` and applies name=value pairs (kv: NULL-terminated, values
 * as text: numbers, true/false, enum names); cr_asserts on failure. */
md_node *sm_node(const char *type, const char *const *kv);
/* Prepares n for (channels, rate, max_frames); cr_asserts on failure. */
void sm_prepare(md_node *n, unsigned channels, double rate_hz, unsigned max_frames);
/* Runs n over in (frames per channel) into out in blocks of `block` frames. */
void sm_run(md_node *n, float *const *in, float *const *out, unsigned frames, unsigned block);

/* Planar buffers: sm_alloc(ch, frames) returns ch zeroed channels (free with sm_free). */
float **sm_alloc(unsigned channels, unsigned frames);
void sm_free(float **b, unsigned channels);

/* Schroeder backward integration of the energy of x[0..n) (channels summed):
 * EDC in dB, written into edc_db[0..n) (0 dB at the start). */
void sm_edc(const float *const *x, unsigned channels, unsigned n, double *edc_db);
/* RT60 (s) from an EDC: least-squares line through the EDC between hi_db and
 * lo_db (e.g. -5 and -35: T30), extrapolated to 60 dB. */
double sm_rt60(const double *edc_db, unsigned n, double rate_hz, double hi_db, double lo_db);

/* Normalised correlation sum(a b) / sqrt(sum(a^2) sum(b^2)). */
double sm_correlation(const float *a, const float *b, unsigned n);

/* Welch power spectrum of x[0..n): Hann segments of seg frames (power of 2),
 * half overlap, each periodogram normalised to unit total power before the
 * average (so a decaying tail weighs every segment alike). psd gets seg/2 + 1
 * values. Returns the number of segments. */
unsigned sm_welch(const float *x, unsigned n, unsigned seg, double *psd);
/* Largest excess (dB) of a bin over the 1/3-octave smoothed spectrum (mean
 * power of the bins within +-1/6 octave) between f_lo and f_hi; *at_hz gets
 * the bin's frequency. */
double sm_peak_over_smooth(const double *psd, unsigned seg, double rate_hz, double f_lo,
                           double f_hi, double *at_hz);

/* Magnitude (dB) of the DFT of x[0..n) at bin frequencies, by kissfft with
 * zero padding to nfft (even, >= n): mag_db gets nfft/2 + 1 values. */
void sm_spectrum_db(const float *x, unsigned n, unsigned nfft, double *mag_db);

/* RBJ cookbook sections coded for the tests (independent of the engine):
 * type 'l' low-pass, 'h' high-pass, 'b' band-pass (0 dB peak); Q as given.
 * Filters x in place with double state. */
void sm_rbj_filter(float *x, unsigned n, char type, double rate_hz, double freq_hz, double q);

#endif
