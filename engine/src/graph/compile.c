/* compile.c - validate, order, prepare, compensate latency, allocate buffers.
 *
 * Order: depth-first from every sink (inputs first), so only nodes that feed
 * an output run. Latency: each node's path latency is the largest of its
 * inputs' plus its own; shorter inputs get a delay on their edge, so parallel
 * paths stay sample-aligned where they meet. Buffers: an output buffer is
 * returned to a pool after its last reader, and a processor whose input dies
 * with it writes in place, so a chain of N nodes needs far fewer than N.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "graph_internal.h"

void mdi_graph_uncompile(md_graph *g)
{
    if (!g->compiled && !g->order)
        return;
    for (unsigned i = 0; i < g->count; i++) {
        md_node *n = g->nodes[i];
        mdi_node_release(n);
        n->order = -1;
        n->buf = -1;
        for (unsigned j = 0; j < n->ninputs; j++)
            md_buffer_deinit(&n->inputs[j].delay);
    }
    for (unsigned i = 0; i < g->nbufs; i++)
        md_buffer_deinit(&g->bufs[i].b);
    free(g->bufs);
    g->bufs = NULL;
    g->nbufs = 0;
    free(g->order);
    g->order = NULL;
    g->norder = 0;
    md_aligned_free(g->zeros);
    g->zeros = NULL;
    g->compiled = 0;
}

/* DFS colours: 0 white, 1 on the stack, 2 done */
static md_status visit(md_graph *g, md_node *n, unsigned char *colour, md_node **stack,
                       unsigned depth, md_error *err)
{
    if (colour[n->index] == 2)
        return MD_OK;
    stack[depth] = n;
    if (colour[n->index] == 1) {
        /* name the nodes on the cycle */
        char msg[400] = "";
        unsigned start = depth;
        while (start > 0 && stack[start - 1] != n)
            start--;
        if (start > 0)
            start--;
        for (unsigned i = start; i <= depth; i++) {
            if (i > start)
                strncat(msg, " -> ", sizeof msg - strlen(msg) - 1);
            strncat(msg, stack[i]->label, sizeof msg - strlen(msg) - 1);
        }
        return md_error_set(err, MD_ERR_GRAPH, "graph: cycle: %s", msg);
    }
    if (depth + 1 >= g->count + 1)
        return md_error_set(err, MD_ERR_INTERNAL, "graph: depth overflow");
    colour[n->index] = 1;
    for (unsigned i = 0; i < n->ninputs; i++) {
        md_status s = visit(g, n->inputs[i].from, colour, stack, depth + 1, err);
        if (s != MD_OK)
            return s;
    }
    colour[n->index] = 2;
    n->order = (int)g->norder;
    g->order[g->norder++] = n;
    return MD_OK;
}

static md_status check_inputs(md_node *n, md_error *err)
{
    unsigned mains = 0, scs = 0;
    for (unsigned i = 0; i < n->ninputs; i++) {
        if (n->inputs[i].sidechain)
            scs++;
        else
            mains++;
    }
    if (n->vt->flags & MD_NODE_SOURCE)
        return MD_OK;
    if (mains == 0)
        return md_error_set(err, MD_ERR_GRAPH, "%s: no input connected", n->label);
    if (scs > 1 || (scs && n->vt->inputs < 2))
        return md_error_set(err, MD_ERR_GRAPH, "%s: takes no sidechain", n->label);
    return MD_OK;
}

static int take_buffer(md_graph *g, unsigned channels, unsigned frames, int first_use,
                       md_error *err)
{
    for (unsigned i = 0; i < g->nbufs; i++)
        if (g->bufs[i].last_use < first_use && g->bufs[i].b.channels >= channels &&
            g->bufs[i].b.frames >= frames)
            return (int)i;
    mdi_buf *b = realloc(g->bufs, (g->nbufs + 1) * sizeof *b);
    if (!b) {
        md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
        return -1;
    }
    g->bufs = b;
    if (md_buffer_init(&g->bufs[g->nbufs].b, channels, frames) != 0) {
        md_error_set(err, MD_ERR_NOMEM, "graph: out of memory for %u x %u buffer", channels,
                     frames);
        return -1;
    }
    g->bufs[g->nbufs].last_use = -1;
    return (int)g->nbufs++;
}

static md_status prepare_all(md_graph *g, md_error *err)
{
    int next_domain = 1;
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        md_stream in = {g->rate_hz, 0, g->block};
        const md_node *main_in = NULL;
        unsigned sc_ch = 0;
        unsigned lat = 0;
        double tail = 0;
        int domain = 0;
        if (!(n->vt->flags & MD_NODE_SOURCE)) {
            for (unsigned i = 0; i < n->ninputs; i++) {
                const md_node *f = n->inputs[i].from;
                if (!main_in && !n->inputs[i].sidechain) {
                    main_in = f;
                    domain = f->domain;
                    in = f->out;
                }
            }
            for (unsigned i = 0; i < n->ninputs; i++) {
                const md_node *f = n->inputs[i].from;
                if (f->domain != domain)
                    return md_error_set(err, MD_ERR_GRAPH,
                                        "%s: inputs run at different sample rates (%g and %g "
                                        "Hz); resample before they meet",
                                        n->label, f->out.rate_hz, in.rate_hz);
                if (n->inputs[i].sidechain) {
                    sc_ch = f->out.channels;
                } else if (f->out.channels != in.channels) {
                    if (!n->is_mix)
                        return md_error_set(err, MD_ERR_INTERNAL, "%s: bad input", n->label);
                    if (in.channels == 1 || f->out.channels == 1) {
                        if (f->out.channels > in.channels)
                            in.channels = f->out.channels;
                    } else {
                        return md_error_set(err, MD_ERR_GRAPH,
                                            "mix: cannot combine %u and %u channels (%s); use "
                                            "pan or a downmix first",
                                            in.channels, f->out.channels, f->label);
                    }
                }
                if (f->path_latency > lat)
                    lat = f->path_latency;
                if (f->path_tail_s > tail)
                    tail = f->path_tail_s;
            }
        }
        n->sc_channels = sc_ch;
        n->domain = domain;
        md_status s = mdi_node_prepare(n, &in, err);
        if (s != MD_OK)
            return s;
        if ((n->vt->flags & MD_NODE_SOURCE) && n->out.rate_hz != g->rate_hz) {
            mdi_node_release(n);
            return md_error_set(err, MD_ERR_INTERNAL, "%s: source changed the rate", n->label);
        }
        if (n->vt->flags & MD_NODE_CHANGES_RATE) {
            n->domain = next_domain++;
            lat = (unsigned)lround(lat * n->out.rate_hz / in.rate_hz);
        } else if (n->out.rate_hz != in.rate_hz || n->out.max_frames > in.max_frames) {
            mdi_node_release(n);
            return md_error_set(err, MD_ERR_INTERNAL, "%s: changed the stream", n->label);
        }
        /* latency compensation on each input edge */
        for (unsigned i = 0; i < n->ninputs; i++) {
            mdi_edge *e = &n->inputs[i];
            e->comp_delay = lat_of(e->from) < lat ? lat - lat_of(e->from) : 0;
            e->delay_pos = 0;
            if (e->comp_delay) {
                if (md_buffer_init(&e->delay, e->from->out.channels,
                                   e->comp_delay + e->from->out.max_frames) != 0)
                    return md_error_set(err, MD_ERR_NOMEM,
                                        "graph: out of memory for a %u-frame compensation delay",
                                        e->comp_delay);
            }
        }
        n->path_latency = lat + md_node_latency(n);
        n->path_tail_s = tail;
        if (n->vt->flags & MD_NODE_EXTENDS)
            n->path_tail_s += md_node_tail(n) / n->out.rate_hz;
    }
    return MD_OK;
}

static md_status allocate_buffers(md_graph *g, md_error *err)
{
    /* last reader of each node's output */
    int *last = malloc(sizeof(int) * (g->norder ? g->norder : 1));
    if (!last)
        return md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
    for (unsigned k = 0; k < g->norder; k++)
        last[k] = (int)k;
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        for (unsigned i = 0; i < n->ninputs; i++) {
            int src = n->inputs[i].from->order;
            if ((int)k > last[src])
                last[src] = (int)k;
        }
    }
    md_status st = MD_OK;
    /* sources all run at the start of a block (render.c), before any other
     * node: each needs a buffer of its own until its last reader */
    for (unsigned k = 0; k < g->norder && st == MD_OK; k++) {
        md_node *n = g->order[k];
        if (!(n->vt->flags & MD_NODE_SOURCE))
            continue;
        int b = take_buffer(g, n->out.channels, n->out.max_frames, -1, err);
        if (b < 0) {
            st = MD_ERR_NOMEM;
            break;
        }
        n->buf = b;
        g->bufs[b].last_use = last[k];
    }
    for (unsigned k = 0; k < g->norder && st == MD_OK; k++) {
        md_node *n = g->order[k];
        if (n->vt->flags & (MD_NODE_SINK | MD_NODE_SOURCE))
            continue;
        /* in place: single main input, no sidechain, this node its last reader,
         * same channel count, a processor that allows it */
        if (!n->is_mix && n->ninputs == 1 && !(n->vt->flags & (MD_NODE_NO_INPLACE |
                                                               MD_NODE_SOURCE |
                                                               MD_NODE_CHANGES_RATE))) {
            mdi_edge *e = &n->inputs[0];
            md_node *f = e->from;
            if (!e->comp_delay && last[f->order] == (int)k && f->buf >= 0 &&
                g->bufs[f->buf].b.channels >= n->out.channels &&
                g->bufs[f->buf].b.frames >= n->out.max_frames) {
                n->buf = f->buf;
                g->bufs[n->buf].last_use = last[k];
                continue;
            }
        }
        int b = take_buffer(g, n->out.channels, n->out.max_frames, (int)k, err);
        if (b < 0) {
            st = MD_ERR_NOMEM;
            break;
        }
        n->buf = b;
        g->bufs[b].last_use = last[k];
    }
    free(last);
    return st;
}

/* An output that is one of the inputs (same file, also through a symlink or
 * a hard link) is refused: an input is never overwritten. */
static md_status check_outputs(md_graph *g, md_error *err)
{
    for (unsigned i = 0; i < g->count; i++) {
        md_node *s = g->nodes[i];
        if (!(s->vt->flags & MD_NODE_SINK) || md_param_find(s->vt->params, "path") < 0)
            continue;
        const char *out = md_node_string(s, (unsigned)md_param_find(s->vt->params, "path"));
        struct stat so;
        if (!*out || stat(out, &so) != 0)
            continue;
        for (unsigned j = 0; j < g->count; j++) {
            md_node *f = g->nodes[j];
            int pi = md_param_find(f->vt->params, "path");
            if (!(f->vt->flags & MD_NODE_SOURCE) || pi < 0)
                continue;
            const char *in = md_node_string(f, (unsigned)pi);
            struct stat si;
            if (*in && stat(in, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
                return md_error_set(err, MD_ERR_INVALID,
                                    "%s: the output is the input file %s; write to another "
                                    "name (inputs are never overwritten)",
                                    out, in);
        }
    }
    return MD_OK;
}

md_status md_graph_compile(md_graph *g, md_error *err)
{
    mdi_graph_uncompile(g);
    g->rendered = 0;
    md_status s = mdi_graph_add_sidechains(g, err);
    if (s != MD_OK)
        return s;
    if ((s = check_outputs(g, err)) != MD_OK)
        return s;
    unsigned sinks = 0;
    for (unsigned i = 0; i < g->count; i++)
        sinks += (g->nodes[i]->vt->flags & MD_NODE_SINK) != 0;
    if (sinks == 0)
        return md_error_set(err, MD_ERR_GRAPH,
                            "graph: nothing to render: no output (add node:write(path))");

    g->order = malloc(sizeof *g->order * g->count);
    unsigned char *colour = calloc(g->count, 1);
    md_node **stack = malloc(sizeof *stack * (g->count + 1));
    if (!g->order || !colour || !stack) {
        free(colour);
        free(stack);
        return md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
    }
    for (unsigned i = 0; i < g->count && s == MD_OK; i++)
        if (g->nodes[i]->vt->flags & MD_NODE_SINK)
            s = visit(g, g->nodes[i], colour, stack, 0, err);
    free(colour);
    free(stack);
    /* only what feeds an output runs, and all of that must be connected */
    for (unsigned k = 0; k < g->norder && s == MD_OK; k++)
        s = check_inputs(g->order[k], err);
    if (s != MD_OK) {
        mdi_graph_uncompile(g);
        return s;
    }

    if (g->rate_hz == 0) {
        for (unsigned k = 0; k < g->norder && g->rate_hz == 0; k++)
            if (g->order[k]->vt->native_rate)
                g->rate_hz = g->order[k]->vt->native_rate(g->order[k]);
        if (g->rate_hz == 0)
            g->rate_hz = 48000;
        g->rate_from_source = 1;
    }
    g->zeros = md_aligned_alloc(sizeof(float) * g->block);
    if (!g->zeros)
        s = md_error_set(err, MD_ERR_NOMEM, "graph: out of memory");
    if (s == MD_OK)
        s = prepare_all(g, err);
    if (s == MD_OK)
        s = allocate_buffers(g, err);
    if (s != MD_OK) {
        mdi_graph_uncompile(g);
        if (g->rate_from_source)
            g->rate_hz = 0;
        return s;
    }
    g->compiled = 1;
    return MD_OK;
}
