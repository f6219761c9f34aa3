/* graph.c - building a graph: nodes, edges, the mix vertex. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "graph_internal.h"

/* --- the mix vertex: sums its inputs (gains and channel broadcast are
 * applied by the renderer, which knows the edges) --------------------------- */

static const md_param_desc mix_params[] = {{NULL}};

const md_node_vtable mdi_mix_vtable = {
    .name = "mix",
    .doc = "Sum of any number of inputs, each with its own gain in dB. Mono inputs are "
           "copied to every channel of a wider mix.",
    .params = mix_params,
    .inputs = 255,
};

md_graph *md_graph_create(const md_graph_config *cfg, md_error *err)
{
    md_graph *g = calloc(1, sizeof *g);
    if (!g) {
        md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
        return NULL;
    }
    g->rate_hz = cfg ? cfg->rate_hz : 0;
    g->block = cfg && cfg->block_frames ? cfg->block_frames : 2048;
    g->no_tails = cfg ? cfg->no_tails : 0;
    if (g->block > 65536)
        g->block = 65536;
    if (g->rate_hz != 0 && !(g->rate_hz >= MD_MIN_RATE && g->rate_hz <= MD_MAX_RATE)) {
        md_error_set(err, MD_ERR_INVALID, "graph: rate must be within %g..%g Hz, got %g",
                     MD_MIN_RATE, MD_MAX_RATE, g->rate_hz);
        free(g);
        return NULL;
    }
    return g;
}

void md_graph_destroy(md_graph *g)
{
    if (!g)
        return;
    mdi_graph_uncompile(g);
    for (unsigned i = 0; i < g->count; i++) {
        mdi_node_deinit(g->nodes[i]);
        free(g->nodes[i]);
    }
    free(g->nodes);
    free(g);
}

md_node *md_graph_add_vt(md_graph *g, const md_node_vtable *vt, md_error *err)
{
    if (g->count == g->cap) {
        unsigned cap = g->cap ? g->cap * 2 : 16;
        md_node **nodes = realloc(g->nodes, cap * sizeof *nodes);
        if (!nodes) {
            md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
            return NULL;
        }
        g->nodes = nodes;
        g->cap = cap;
    }
    md_node *n = calloc(1, sizeof *n);
    if (!n) {
        md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
        return NULL;
    }
    if (mdi_node_init(n, vt, err) != MD_OK) {
        free(n);
        return NULL;
    }
    n->graph = g;
    n->index = g->count;
    n->is_mix = vt == &mdi_mix_vtable;
    g->nodes[g->count++] = n;
    mdi_graph_uncompile(g);
    return n;
}

md_node *md_graph_add(md_graph *g, const char *type, md_error *err)
{
    const md_node_vtable *vt = md_node_lookup(type);
    if (!vt) {
        const char *s = md_node_suggest(type);
        if (s)
            md_error_set(err, MD_ERR_INVALID, "unknown node '%s' (did you mean '%s'?)", type, s);
        else
            md_error_set(err, MD_ERR_INVALID,
                         "unknown node '%s' (`mixdown nodes` lists them)", type);
        return NULL;
    }
    return md_graph_add_vt(g, vt, err);
}

static md_status add_edge(md_node *to, md_node *from, double gain_db, int sidechain,
                          md_error *err)
{
    if (to->ninputs == to->cap_inputs) {
        unsigned cap = to->cap_inputs ? to->cap_inputs * 2 : 2;
        mdi_edge *e = realloc(to->inputs, cap * sizeof *e);
        if (!e)
            return md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
        to->inputs = e;
        to->cap_inputs = cap;
    }
    mdi_edge *e = &to->inputs[to->ninputs++];
    memset(e, 0, sizeof *e);
    e->from = from;
    e->gain_db = gain_db;
    e->gain = (float)pow(10.0, gain_db / 20.0);
    e->sidechain = sidechain;
    return MD_OK;
}

md_status md_graph_connect(md_graph *g, md_node *from, md_node *to, double gain_db,
                           md_error *err)
{
    if (!from || !to || from->graph != g || to->graph != g)
        return md_error_set(err, MD_ERR_GRAPH, "graph: cannot connect nodes of another graph");
    if (from->vt->flags & MD_NODE_SINK)
        return md_error_set(err, MD_ERR_GRAPH, "%s: an output file has no output to connect",
                            from->label);
    if (to->vt->flags & MD_NODE_SOURCE)
        return md_error_set(err, MD_ERR_GRAPH, "%s: a source takes no input", to->label);
    if (!(gain_db > -1000.0 && gain_db < 200.0))
        return md_error_set(err, MD_ERR_INVALID, "mix: gain must be within -1000..200 dB, got %g",
                            gain_db);
    unsigned mains = 0;
    for (unsigned i = 0; i < to->ninputs; i++)
        mains += !to->inputs[i].sidechain;
    if (!to->is_mix && mains >= 1)
        return md_error_set(err, MD_ERR_GRAPH,
                            "%s: already has an input (use a mix to combine signals)", to->label);
    mdi_graph_uncompile(g);
    return add_edge(to, from, gain_db, 0, err);
}

md_status mdi_graph_add_sidechains(md_graph *g, md_error *err)
{
    for (unsigned i = 0; i < g->count; i++) {
        md_node *n = g->nodes[i];
        /* drop edges added by an earlier compile */
        unsigned k = 0;
        for (unsigned j = 0; j < n->ninputs; j++)
            if (!n->inputs[j].sidechain)
                n->inputs[k++] = n->inputs[j];
        n->ninputs = k;
        for (unsigned p = 0; p < n->nparams; p++)
            if (n->vt->params[p].type == MD_PT_NODE && n->refs[p]) {
                md_status s = add_edge(n, n->refs[p], 0.0, 1, err);
                if (s != MD_OK)
                    return s;
            }
    }
    return MD_OK;
}

double md_graph_rate(const md_graph *g) { return g->rate_hz; }
unsigned md_graph_node_count(const md_graph *g) { return g->count; }
md_node *md_graph_node(const md_graph *g, unsigned i) { return i < g->count ? g->nodes[i] : NULL; }
unsigned md_graph_buffer_count(const md_graph *g) { return g->nbufs; }
unsigned md_graph_path_latency(const md_graph *g, const md_node *n)
{
    (void)g;
    return n->path_latency;
}

void md_node_set_label(md_node *n, const char *label)
{
    snprintf(n->label, sizeof n->label, "%s", label);
}

const char *md_node_label(const md_node *n) { return n->label; }
