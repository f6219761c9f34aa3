/* color_test.h - helpers for the colour nodes' tests (width, saturate,
 * exciter, dcblock, dither): running a node over a whole signal in blocks,
 * spectra with a Blackman-Harris window (kissfft), and the node contract
 * checks (block sizes, reset, in-place, latency, tail, parameter ranges). */
#ifndef COLOR_TEST_H
#define COLOR_TEST_H

#include "mixdown/md.h"

#define COLOR_MAX_CH 2
#define COLOR_MAX_BLOCK 4096

/* A planar signal owned by the test. */
typedef struct color_sig {
    unsigned ch, frames;
    float *x[COLOR_MAX_CH];
} color_sig;

color_sig color_sig_new(unsigned ch, unsigned frames); /* zeroed */
void color_sig_free(color_sig *s);
color_sig color_sig_copy(const color_sig *s);

/* A node of type `name` with "param=value" settings (value: a number or a
 * name), NULL-terminated; prepared for ch channels at rate, max_frames
 * COLOR_MAX_BLOCK. Fails the test on any error. */
md_node *color_make(const char *name, unsigned ch, double rate, const char *const *set);

/* Runs n over in (frames of it) in blocks of `block`, writing out (which may
 * be in itself for in-place). change (nullable) is called before the block
 * that starts at frame change_at (a multiple of every block size used). */
typedef void (*color_change_fn)(md_node *n);
void color_run(md_node *n, const color_sig *in, color_sig *out, unsigned block,
               color_change_fn change, unsigned change_at);

/* Power spectrum of x[0..n-1] (n a power of two) with a 4-term
 * Blackman-Harris window: n/2 + 1 values, malloc'ed. */
double *color_spectrum(const float *x, unsigned n);

/* Largest spectral line that is not a harmonic k * f0 (k >= 0), relative to
 * the fundamental, in dB, over 0..rate/2. Lines within guard_hz of a
 * harmonic count as that harmonic. *where_hz gets its frequency. */
double color_alias_db(const float *x, unsigned n, double f0, double rate, double guard_hz,
                      double *where_hz);

/* Level (dB, relative to amplitude 1) of a sinusoid at f in x[0..n-1], from
 * the peak of the windowed spectrum around f (Blackman-Harris, coherent gain
 * corrected). Good to +-0.01 dB when f is a bin centre. */
double color_line_db(const float *x, unsigned n, double f, double rate);

/* The contract checks for one configuration of a node. make() returns a new
 * prepared node; change (nullable) changes a parameter mid-stream. The input
 * is `input` (ch channels, a multiple of 28672 frames long). Checks: frames=0
 * is harmless; blocks 1, 7, 64, 4096 give identical output (with the change at
 * frame 28672); reset then a rerun is bit-identical; in-place equals
 * out-of-place; a -20 dBFS impulse comes out latency() frames late; after
 * tail() frames of silence the output is below -120 dBFS. */
typedef md_node *(*color_make_fn)(void);
void color_contract(const char *what, color_make_fn make, color_change_fn change,
                    const color_sig *input);

/* Every parameter of the node type at its min, max and default prepares;
 * numbers just outside the range are refused with a message naming the
 * node and the parameter. ch/rate: the stream to prepare. */
void color_check_params(const char *name, unsigned ch, double rate);

#endif
