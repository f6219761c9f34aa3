/* md_automation.h - envelopes on node parameters (automation over time).
 *
 * An envelope is a list of breakpoints: a time in seconds from the start of
 * the render, a value in the parameter's unit, and the shape of the segment
 * that ends at that point. Attached to a NUMBER parameter of a processor it
 * replaces the parameter's fixed value for the whole render. Before the first
 * point the value is the first point's, after the last the last point's; two
 * points at the same time make a jump.
 *
 * What follows an envelope, and how:
 *
 *   per sample    A parameter the node reads through md_node_fill_param (gain
 *                 db, pan pos, width amount, the mix and feedback of delay and
 *                 reverb, compressor makeup and mix, saturate and exciter
 *                 drive, a Lua node's params, ...) gets the envelope evaluated
 *                 at every frame, exactly: no 10 ms glide (an envelope is
 *                 already continuous, and a jump in it is deliberate).
 *   control rate  Every other automated parameter (a filter's freq, a
 *                 compressor's threshold or ratio: values a node turns into
 *                 coefficients in update()) is set at sub-block boundaries at
 *                 absolute frame positions that are multiples of
 *                 MD_AUTOMATION_BLOCK; the engine cuts process() there and
 *                 calls update() when the value changed.
 *
 * Which of the two applies is found on the first sub-block of a render: a
 * parameter the node reads through md_node_fill_param there is per sample
 * from then on. Parameters a node only reads in prepare() (a limiter's
 * lookahead, which fixes its latency) take the envelope's first value and
 * keep it. List items (eq bands) cannot be automated.
 *
 * Time: frame 0 is the first frame of the timeline as the outputs hear it.
 * A node behind a path latency L (a lookahead limiter upstream) sees the
 * timeline's frame p at its own frame p + L, so the engine evaluates its
 * envelopes at (frame - L): automation acts on the audio that was at time t
 * in the sources. Both modes give output independent of the block size.
 *
 * Envelopes are copied; attach them between renders, never during one.
 */
#ifndef MD_AUTOMATION_H
#define MD_AUTOMATION_H

#include <stdint.h>
#include "md_error.h"
#include "md_node.h"

/* Frames between control-rate updates (aligned to absolute positions). */
#define MD_AUTOMATION_BLOCK 64u
/* Most breakpoints one envelope may hold. */
#define MD_ENV_MAX_POINTS (1u << 24)

typedef enum md_env_shape {
    /* a straight line in the parameter's unit: dB for dB parameters, so a gain
     * line from -60 to 0 dB is exponential in amplitude */
    MD_ENV_LIN = 0,
    /* equal ratios in equal times, v = a (b / a)^x (a frequency sweep by
     * octaves per second); needs a and b non-zero and of one sign. For dB
     * parameters the same as MD_ENV_LIN: the quantity is the amplitude,
     * whose equal ratios are equal steps in dB. */
    MD_ENV_EXP,
    /* keep the previous value until this point, then jump */
    MD_ENV_HOLD,
} md_env_shape;

typedef struct md_env_point {
    double time_s;      /* seconds from the start of the render, >= 0 */
    double value;       /* in the parameter's unit, within its range */
    md_env_shape shape; /* of the segment that ends here (ignored on the first point) */
} md_env_point;

/* Attaches a copy of pts to the NUMBER parameter name of n, replacing an
 * earlier envelope on it; count 0 removes it (the parameter gets back the
 * value it had before). The parameter's plain value becomes the first
 * point's, so prepare() sees where the envelope starts.
 * MD_ERR_INVALID: unknown or non-numeric parameter ("highpass: order cannot
 * be automated, only numbers"), a source, sink or rate-changing node, a time
 * not finite, negative or before the previous point's, a value out of the
 * parameter's range (named with its time), an exp segment between values of
 * different signs or zero, more than MD_ENV_MAX_POINTS points.
 * MD_ERR_NOMEM. On failure n keeps its earlier automation. */
md_status md_node_automate(md_node *n, const char *name, const md_env_point *pts,
                           unsigned count, md_error *err);

/* 1 when parameter name of n has an envelope, else 0. */
int md_node_automated(const md_node *n, const char *name);

/* The envelope's value at t seconds, as the engine computes it for a
 * parameter with the given flags (MD_PARAM_DB selects interpolation in dB;
 * the result stays in the parameter's unit). pts as md_node_automate
 * accepts them; count >= 1. */
double md_envelope_value(const md_env_point *pts, unsigned count, double t,
                         unsigned param_flags);

/* Frames n has processed since prepare or reset: the position of its next
 * block, counted at its own rate (path latency included). */
int64_t md_node_position(const md_node *n);

/* Frames of path latency in front of n (0 outside a graph), after compile:
 * n's timeline position is md_node_position(n) minus this. */
unsigned md_node_input_latency(const md_node *n);

/* After compile: seconds of material in n's graph (its longest source), or
 * -1 when a source cannot tell or n is not in a compiled graph. Hosts use it
 * to sample automation functions over the whole render. */
double md_node_span(const md_node *n);

#endif
