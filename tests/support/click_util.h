/* click_util.h - material for the restoration tests (declick, declip):
 * a tonal chord, synthetic clicks with known positions, a drum loop from the
 * engine's own synth, hard clipping, and a runner that removes a node's
 * latency so its output lines up with its input. Seeded: same bytes every run. */
#ifndef CLICK_UTIL_H
#define CLICK_UTIL_H

#include "mixdown/md.h"
#include <stdint.h>

/* One click added to a signal: frames [pos, pos + len), peak amplitude amp,
 * energy = sum of the click's squared samples. */
typedef struct click_event {
    unsigned pos, len;
    double amp, energy;
    int shape; /* 0 step, 1 half-sine bump, 2 damped ring, 3 noise burst */
} click_event;

/* A three-note saw-like chord (A3 C#4 E4, six harmonics each, 1/k amplitudes)
 * with a slow tremolo and 10 ms fades in and out, peak normalised to -12 dBFS (0.2512). */
void click_chord(float *x, unsigned frames, double rate_hz);

/* Adds count clicks to x: one per slot of frames / count, at a random offset
 * that keeps it 10 ms away from the slot's edges; length 1..20 frames,
 * peak 0.2..0.9, random sign and shape. Fills ev[0..count). */
void click_insert(float *x, unsigned frames, double rate_hz, unsigned count, uint64_t seed,
                  click_event *ev);

/* A drum loop at 120 BPM from the synth node: kick on every beat, snare on
 * beats 2 and 4, hats on eighths (alternating velocity), 16th-note ghost
 * hats in every other bar; mixed as in recipes/demo.lua. out[c] gets the same
 * mono loop in each of channels channels. */
void click_drum_loop(float *const *out, unsigned channels, unsigned frames, double rate_hz);

/* Runs a prepared processor n over in[0..channels)[0..frames) in blocks of
 * `block` frames, followed by latency frames of silence, and writes the
 * output moved back by the node's latency: out[c][i] lines up with in[c][i]. */
void click_process(md_node *n, float *const *in, float *const *out, unsigned channels,
                   unsigned frames, unsigned block);

/* Creates and prepares a node of a registered type for (channels, rate,
 * max_frames) after applying "name=value" settings separated by spaces
 * (numbers as numbers, other values as strings). cr_asserts on any error. */
md_node *click_node(const char *type, const char *spec, unsigned channels, double rate_hz,
                    unsigned max_frames);

/* 10 log10 (sum (a - b)^2 / ref_energy) over [from, to); -inf when equal. */
double click_err_db(const float *a, const float *b, unsigned from, unsigned to, double ref_energy);

/* Hard clipping at +-level. */
void click_clip(float *x, unsigned frames, float level);

#endif
