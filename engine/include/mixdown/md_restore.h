/* md_restore.h - what the restoration nodes found.
 *
 * declick and declip count the events they repair, so that a report, a test
 * or a user can see how much damage there was. Read these between
 * md_node_run() calls (same thread as the render, or after it): they never
 * allocate and never fail. The counts start at 0 at prepare and at reset.
 */
#ifndef MD_RESTORE_H
#define MD_RESTORE_H

#include <stddef.h> /* md_node.h uses size_t */
#include <stdint.h>

#include "md_node.h"

/* Clicks (or crackle events) repaired by a declick node so far, summed over
 * channels (a linked stereo click found in both channels counts twice).
 * 0 when n is NULL or not a declick node. */
uint64_t md_declick_count(const md_node *n);

/* Clipped runs (>= 2 samples at the clip level) reconstructed by a declip
 * node so far, summed over channels. 0 when n is NULL or not a declip node. */
uint64_t md_declip_count(const md_node *n);

/* Samples a declip node has reconstructed so far, summed over channels. */
uint64_t md_declip_samples(const md_node *n);

#endif
