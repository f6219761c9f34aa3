/* graph_internal.h - the graph's private state, shared by graph/compile/render/plan. */
#ifndef MDI_GRAPH_INTERNAL_H
#define MDI_GRAPH_INTERNAL_H

#include <stdio.h>
#include "../internal.h"

typedef struct mdi_buf {
    md_buffer b;
    int last_use; /* order index of the last reader */
} mdi_buf;

struct md_graph {
    double rate_hz;
    unsigned block;
    int no_tails;
    md_node **nodes;      /* insertion order; owned */
    unsigned count, cap;
    md_node **order;      /* compiled order: only nodes that feed a sink */
    unsigned norder;
    mdi_buf *bufs;
    unsigned nbufs;
    float *zeros;         /* block of silence (a source after its end, broadcast) */
    int compiled;
    int rate_from_source; /* rate_hz was 0 and came from a file at compile */
    int rendered;
};

static inline unsigned lat_of(const md_node *n) { return n->path_latency; }

void mdi_graph_uncompile(md_graph *g);
md_status mdi_graph_add_sidechains(md_graph *g, md_error *err);

#endif
