/* md_meter.h - the `meter` sink node: measurements anywhere in a graph. */
#ifndef MD_METER_H
#define MD_METER_H

#include "md_analyze.h"
#include "md_node.h"

/* Figures of everything the meter received in the last render.
 * MD_ERR_INVALID: n is not a meter; MD_ERR_STATE: nothing rendered yet. */
md_status md_meter_result(const md_node *n, md_analysis *out, md_error *err);
/* Momentary/short-term series callback (every MD_ANALYZE_SERIES_MS), for plots. */
void md_meter_set_series(md_node *n, md_analyze_series_fn fn, void *user);

#endif
