/* md_dynamics.h - reading the gain reduction of a dynamics node.
 *
 * compressor, limiter, gate and expander keep, while they process, the gain
 * change they apply, so that a meter or a report can plot it. Read these
 * between md_node_run() calls (same thread as the render, or after it): they
 * never allocate and never fail.
 */
#ifndef MD_DYNAMICS_H
#define MD_DYNAMICS_H

#include "md_node.h"

/* The current smoothed gain reduction in dB, >= 0 (6 means the node is
 * turning the signal down by 6 dB), largest over channels, as of the end of
 * the last block. Makeup gain and dry/wet mix are not included; an upward
 * expander's boost reads as a negative reduction. NaN when n is not a
 * dynamics node (or is NULL); 0 before the first block. */
float md_dyn_gain_reduction_db(const md_node *n);

/* The largest gain reduction in dB applied during the last block (same
 * conventions). */
float md_dyn_max_reduction_db(const md_node *n);

#endif
