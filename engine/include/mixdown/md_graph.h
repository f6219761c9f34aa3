/* md_graph.h - a processing graph: sources, nodes, mixes and sinks.
 *
 * Build it (add, connect, set parameters), compile it (validate, order,
 * allocate, compensate latency, insert resampling), render it (streaming in
 * blocks; memory independent of length). A graph renders once per compile;
 * md_graph_render may be called again after md_graph_rewind.
 */
#ifndef MD_GRAPH_H
#define MD_GRAPH_H

#include <signal.h>
#include <stdint.h>
#include "md_node.h"

typedef struct md_graph md_graph;

typedef struct md_graph_config {
    double rate_hz;          /* 0: the rate of the first file source (else 48000) */
    unsigned block_frames;   /* 0: 2048 */
    int no_tails;            /* 1: outputs end with the sources (no reverb/echo tails) */
} md_graph_config;

md_graph *md_graph_create(const md_graph_config *cfg, md_error *err);
void md_graph_destroy(md_graph *g); /* NULL: no-op */

/* Adds a node of a registered type ("highpass", "file", "sink", "mix", ...).
 * The graph owns it. MD_ERR_INVALID for an unknown type (with a suggestion). */
md_node *md_graph_add(md_graph *g, const char *type, md_error *err);
md_node *md_graph_add_vt(md_graph *g, const md_node_vtable *vt, md_error *err);

/* Appends from as an input of to. Every processor takes one input; "mix"
 * sums any number, each scaled by gain_db. MD_ERR_GRAPH when to has no room. */
md_status md_graph_connect(md_graph *g, md_node *from, md_node *to, double gain_db,
                           md_error *err);

/* Validates (cycles, unconnected inputs, channel counts, rates), orders,
 * prepares every node, allocates buffers (reused along the chain) and
 * compensation delays. Channel rule at a mix: the widest input wins; mono
 * inputs are copied to every channel; any other mismatch is an error. */
md_status md_graph_compile(md_graph *g, md_error *err);

typedef struct md_render_opts {
    /* called about every 0.1 s of audio; done/total in frames at the graph
     * rate (total -1 when unknown) */
    void (*progress)(void *user, int64_t done, int64_t total);
    void *user;
    volatile sig_atomic_t *cancel; /* non-zero stops with MD_ERR_CANCELLED */
    /* called after every block with the frames rendered so far (graph rate),
     * e.g. to read gain reductions for a report; a non-zero return cancels */
    int (*after_block)(void *user, int64_t done);
} md_render_opts;

/* Renders until every source has ended and every sink has its frames (the
 * sources' length, plus the tails of MD_NODE_EXTENDS nodes). Sinks drop the
 * path latency at the start so outputs stay aligned with inputs. On failure
 * or cancel every sink discards its output (no partial file). */
md_status md_graph_render(md_graph *g, const md_render_opts *opts, md_error *err);

double md_graph_rate(const md_graph *g);
unsigned md_graph_node_count(const md_graph *g);
md_node *md_graph_node(const md_graph *g, unsigned i);
unsigned md_graph_buffer_count(const md_graph *g); /* after compile */
/* Latency in frames from the sources to n's output (after compile). */
unsigned md_graph_path_latency(const md_graph *g, const md_node *n);
/* A label set by the host ("song.wav", "drums"), shown in plans and errors. */
void md_node_set_label(md_node *n, const char *label);
const char *md_node_label(const md_node *n);

/* Text of the compiled plan (order, streams, latencies, buffers) and Graphviz
 * DOT. malloc'ed; the caller frees. NULL when out of memory. */
char *md_graph_plan(md_graph *g);
char *md_graph_dot(md_graph *g);

#endif
