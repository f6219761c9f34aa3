/* md_eq.h - reading an eq's dynamic bands and its linear-phase FIR.
 *
 * An eq band with a threshold is dynamic: its gain follows the level of its
 * band (see `mixdown nodes eq`). A report can plot that gain over time by
 * reading it between md_node_run() calls (same thread as the render, or
 * after it). These functions never allocate and never fail.
 */
#ifndef MD_EQ_H
#define MD_EQ_H

#include "md_node.h"

/* The gain in dB that band `band` (0-based, in the eq's order) applies now:
 * for a dynamic band, its current gain as of the end of the last block
 * (between 0 and the band's gain; the full gain of a boost band before any
 * audio); for a static bell or shelf, its gain. NaN when n is not an eq (or
 * is NULL), when there is no such band, or when the band's type has no gain
 * (highpass, lowpass, notch, bandpass, allpass). */
float md_eq_band_gain_db(const md_node *n, unsigned band);

/* Length of the FIR of an eq prepared with linear_phase = true, in taps,
 * counting its zero end taps (md_node_latency() is (taps - 1) / 2); 0 for a
 * minimum-phase (biquad) eq, an unprepared one, or another node. */
unsigned md_eq_fir_taps(const md_node *n);

#endif
