/* gen_util.h - helpers for the generator, synth, pan and delay tests:
 * making nodes from "name=value" specs, rendering a source to its end in
 * blocks of a chosen size, and measurements written for these tests (single
 * DFT bins, RMS, zero crossings, FFT band powers). */
#ifndef GEN_UTIL_H
#define GEN_UTIL_H

#include "mixdown/md.h"
#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_CH 8

/* Planar audio owned by the test. */
typedef struct gen_sig {
    unsigned channels;
    size_t frames;
    float *ch[GEN_MAX_CH];
} gen_sig;

gen_sig gen_sig_new(unsigned channels, size_t frames); /* zeroed; cr_asserts on OOM */
void gen_sig_free(gen_sig *s);

/* Creates a node of a registered type and applies spec, space-separated
 * "name=value" pairs (a value that parses as a number is set as a number,
 * else as a string: "color=pink db=-20"). cr_asserts on any error. */
md_node *gen_node(const char *type, const char *spec);
/* Sets the synth's notes: rows of {time, dur, freq, vel}; NaN leaves a field unset. */
void gen_set_notes(md_node *n, unsigned count, const double (*notes)[4]);
/* Prepares n for (channels, rate, max_frames); sources get channels 0. */
void gen_prepare(md_node *n, unsigned channels, double rate_hz, unsigned max_frames);
/* gen_node + gen_prepare for a source. */
md_node *gen_source(const char *type, const char *spec, double rate_hz);

/* Renders a prepared source to its end with generate(), in blocks of `block`
 * frames; checks the generate() contract on the way (real frames returned,
 * zeros after the end) and that the total is length(). */
gen_sig gen_render(md_node *n, unsigned block);
/* Runs a prepared processor over in, in blocks; out must be allocated with
 * the node's output channels (out may be in itself for in-place). */
void gen_process(md_node *n, const gen_sig *in, gen_sig *out, unsigned block);

/* Measurements, in double precision. */
double gen_db(double amplitude);                  /* 20 log10 |a|; -inf for 0 */
double gen_rms(const float *x, size_t n);         /* linear */
double gen_peak(const float *x, size_t n);        /* max |x| */
long gen_first_nonzero(const float *x, size_t n); /* -1 if none */
long gen_last_nonzero(const float *x, size_t n);  /* -1 if none */
/* Complex DFT of x[0..n-1] at freq with an optional Hann window (amplitude-
 * corrected, so a sinusoid of amplitude A reads A); *phase_rad (nullable) is
 * the angle of the cosine phase. Exact for whole cycles without a window. */
double gen_dft(const float *x, size_t n, double freq_hz, double rate_hz, int hann,
               double *phase_rad);
/* Frequency of the largest Hann-windowed DFT magnitude between lo and hi Hz:
 * the largest bin of a 4x zero-padded FFT, then a golden-section search of
 * the DFT magnitude within +-1 bin (to ~1e-6 Hz). step is unused. */
double gen_peak_freq(const float *x, size_t n, double rate_hz, double lo, double hi, double step);
/* Mean frequency from rising zero crossings (linearly interpolated) in
 * x[from .. from + len): (crossings - 1) / (last - first). *mid_s (nullable)
 * gets the time (s) halfway between the first and last crossing. */
double gen_zc_freq(const float *x, size_t from, size_t len, double rate_hz, double *mid_s);

/* Power spectrum of x[0..n-1] (n a power of two) with a window: 0 none,
 * 1 Hann, 2 four-term Blackman-Harris; n/2 + 1 bins, malloc'ed, normalised so
 * a sinusoid of amplitude A sums (over its main lobe) to A^2 / 2 (kissfft). */
double *gen_spectrum(const float *x, size_t n, int window);
/* Sum of spectrum bins with centre frequency in [lo, hi). */
double gen_band_power(const double *spec, size_t n, double rate_hz, double lo, double hi);

#endif
