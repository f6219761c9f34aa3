/* render.c - streaming render in blocks.
 *
 * Every block runs the compiled order once: sources generate, processors
 * process (in place where compile allowed it), mixes sum, sinks consume.
 * Memory is fixed at compile time; nothing here allocates. When every source
 * has ended, each sink's length is known: the longest source, converted to
 * the sink's rate, plus the musical tails (MD_NODE_EXTENDS); the sink drops
 * its path latency at the start, and sources feed silence until every sink
 * has its frames.
 */
#include <math.h>
#include <string.h>
#include "graph_internal.h"

/* Fills ptrs with the channels edge e delivers this block (after its latency
 * compensation); channels beyond the source's are the source's channel 0
 * (mono broadcast into a wider mix). */
static void edge_view(md_graph *g, mdi_edge *e, unsigned want_ch, float **ptrs)
{
    md_node *f = e->from;
    unsigned fch = f->out.channels;
    unsigned frames = f->frames;
    float *const *src = g->bufs[f->buf].b.ch;
    if (e->comp_delay) {
        unsigned d = e->comp_delay;
        for (unsigned c = 0; c < fch; c++) {
            float *line = e->delay.ch[c];
            /* shift out what the previous block consumed, append this block */
            if (e->delay_pos)
                memmove(line, line + e->delay_pos, d * sizeof(float));
            memcpy(line + d, src[c], frames * sizeof(float));
        }
        e->delay_pos = frames;
        src = e->delay.ch;
    }
    for (unsigned c = 0; c < want_ch; c++)
        ptrs[c] = src[c < fch ? c : 0];
}

static void run_mix(md_graph *g, md_node *n)
{
    float **out = g->bufs[n->buf].b.ch;
    unsigned ch = n->out.channels;
    unsigned frames = n->inputs[0].from->frames;
    float *view[MD_MAX_CHANNELS];
    for (unsigned i = 0; i < n->ninputs; i++) {
        mdi_edge *e = &n->inputs[i];
        edge_view(g, e, ch, view);
        const float gain = e->gain;
        for (unsigned c = 0; c < ch; c++) {
            float *restrict y = out[c];
            const float *restrict x = view[c];
            if (i == 0)
                for (unsigned k = 0; k < frames; k++)
                    y[k] = x[k] * gain;
            else
                for (unsigned k = 0; k < frames; k++)
                    y[k] += x[k] * gain;
        }
    }
    n->frames = frames;
}

static md_status run_sink(md_graph *g, md_node *n, md_error *err)
{
    mdi_edge *e = &n->inputs[0];
    float *view[MD_MAX_CHANNELS];
    edge_view(g, e, e->from->out.channels, view);
    int64_t frames = e->from->frames;
    int64_t off = 0;
    if (n->sink_skip > 0) {
        off = n->sink_skip < frames ? n->sink_skip : frames;
        n->sink_skip -= off;
    }
    int64_t avail = frames - off;
    if (n->sink_target >= 0 && n->sink_written + avail > n->sink_target)
        avail = n->sink_target - n->sink_written;
    if (avail <= 0)
        return MD_OK;
    const float *ptrs[MD_MAX_CHANNELS];
    for (unsigned c = 0; c < e->from->out.channels; c++)
        ptrs[c] = view[c] + off;
    md_status s = n->vt->consume(n, ptrs, (unsigned)avail, err);
    n->sink_written += avail;
    return s;
}

static void run_processor(md_graph *g, md_node *n)
{
    unsigned ch_in = n->in.channels;
    unsigned k = 0;
    unsigned frames = 0;
    for (unsigned i = 0; i < n->ninputs; i++) {
        mdi_edge *e = &n->inputs[i];
        if (e->sidechain)
            continue;
        edge_view(g, e, ch_in, n->inptrs);
        frames = e->from->frames;
        k = ch_in;
    }
    for (unsigned i = 0; i < n->ninputs; i++) {
        mdi_edge *e = &n->inputs[i];
        if (e->sidechain)
            edge_view(g, e, n->sc_channels, n->inptrs + k);
    }
    float **out = g->bufs[n->buf].b.ch;
    for (unsigned c = 0; c < n->out.channels; c++)
        n->outptrs[c] = out[c];
    mdi_node_update_if_dirty(n);
    if (n->vt->flags & MD_NODE_CHANGES_RATE) {
        n->frames = n->vt->process_var(n, (const float *const *)n->inptrs, frames, n->outptrs,
                                       n->out.max_frames);
        return;
    }
    if (n->vt->process) /* process + automation + frame counter (automation.c) */
        mdi_node_process(n, (const float *const *)n->inptrs, n->outptrs, frames);
    else
        for (unsigned c = 0; c < n->out.channels; c++)
            if (n->outptrs[c] != n->inptrs[c])
                memcpy(n->outptrs[c], n->inptrs[c], frames * sizeof(float));
    n->frames = frames;
}

static void discard_all(md_graph *g)
{
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        if ((n->vt->flags & MD_NODE_SINK) && n->vt->discard)
            n->vt->discard(n);
    }
}

static int64_t total_estimate(md_graph *g)
{
    int64_t total = 0;
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        if (!(n->vt->flags & MD_NODE_SOURCE))
            continue;
        int64_t len = n->vt->length ? n->vt->length(n) : -1;
        if (len < 0)
            return -1;
        if (len > total)
            total = len;
    }
    return total;
}

md_status md_graph_render(md_graph *g, const md_render_opts *opts, md_error *err)
{
    md_status s;
    if (!g->compiled || g->rendered) {
        if ((s = md_graph_compile(g, err)) != MD_OK)
            return s;
    }
    g->rendered = 1;
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        n->ended = 0;
        n->produced = 0;
        n->frames = 0;
        if (n->vt->flags & MD_NODE_SINK) {
            n->sink_skip = n->inputs[0].from->path_latency;
            n->sink_written = 0;
            n->sink_target = -1;
        }
    }
    int64_t estimate = total_estimate(g);
    int64_t done = 0, next_report = 0;
    int64_t report_every = (int64_t)(g->rate_hz * 0.1);
    int all_ended = 0;
    /* safety net against a source that never ends or a sink that never fills */
    int64_t after_end = 0, after_end_limit = 0;

    for (;;) {
        if (opts && opts->cancel && *opts->cancel) {
            discard_all(g);
            return md_error_set(err, MD_ERR_CANCELLED, "render cancelled");
        }
        /* sources first (they have no inputs), so the end of the stream and
         * every sink's length are known before any sink consumes this block */
        for (unsigned k = 0; k < g->norder; k++) {
            md_node *n = g->order[k];
            if (!(n->vt->flags & MD_NODE_SOURCE))
                continue;
            float **out = g->bufs[n->buf].b.ch;
            if (!n->ended) {
                md_error e2;
                md_error_clear(&e2);
                unsigned got = n->vt->generate(n, out, g->block, &e2);
                if (e2.status != MD_OK) {
                    discard_all(g);
                    if (err)
                        *err = e2;
                    return e2.status;
                }
                n->produced += got;
                if (got < g->block)
                    n->ended = 1;
            } else {
                for (unsigned c = 0; c < n->out.channels; c++)
                    memset(out[c], 0, g->block * sizeof(float));
            }
            n->frames = g->block;
        }
        done += g->block;

        if (!all_ended) {
            all_ended = 1;
            int64_t total = 0;
            unsigned max_lat = 0;
            for (unsigned k = 0; k < g->norder; k++) {
                md_node *n = g->order[k];
                if (n->vt->flags & MD_NODE_SOURCE) {
                    all_ended &= n->ended;
                    if (n->produced > total)
                        total = n->produced;
                }
                if (n->path_latency > max_lat)
                    max_lat = n->path_latency;
            }
            if (all_ended) {
                double tail_max = 0;
                for (unsigned k = 0; k < g->norder; k++) {
                    md_node *n = g->order[k];
                    if (!(n->vt->flags & MD_NODE_SINK))
                        continue;
                    const md_node *f = n->inputs[0].from;
                    double ratio = f->out.rate_hz / g->rate_hz;
                    n->sink_target = llround((double)total * ratio) +
                                     (g->no_tails ? 0 : llround(f->path_tail_s * f->out.rate_hz));
                    if (f->path_tail_s > tail_max)
                        tail_max = f->path_tail_s;
                }
                after_end_limit = (int64_t)((tail_max + 1.0) * g->rate_hz) + 8 * (int64_t)max_lat +
                                  4 * (int64_t)g->block;
                estimate = total;
            }
        }

        for (unsigned k = 0; k < g->norder; k++) {
            md_node *n = g->order[k];
            if (n->vt->flags & MD_NODE_SOURCE)
                continue;
            if (n->vt->flags & MD_NODE_SINK) {
                if ((s = run_sink(g, n, err)) != MD_OK) {
                    discard_all(g);
                    return s;
                }
            } else if (n->is_mix) {
                run_mix(g, n);
            } else {
                run_processor(g, n);
            }
        }

        if (all_ended) {
            int finished = 1;
            for (unsigned k = 0; k < g->norder; k++) {
                md_node *n = g->order[k];
                if ((n->vt->flags & MD_NODE_SINK) && n->sink_written < n->sink_target)
                    finished = 0;
            }
            if (finished)
                break;
            after_end += g->block;
            if (after_end > after_end_limit) {
                discard_all(g);
                return md_error_set(err, MD_ERR_INTERNAL,
                                    "graph: an output did not receive its frames");
            }
        }
        if (opts && opts->after_block && opts->after_block(opts->user, done) != 0) {
            discard_all(g);
            return md_error_set(err, MD_ERR_CANCELLED, "render cancelled");
        }
        if (opts && opts->progress && done >= next_report) {
            opts->progress(opts->user, done, estimate);
            next_report = done + report_every;
        }
    }
    if (opts && opts->progress)
        opts->progress(opts->user, estimate >= 0 ? estimate : done, estimate);
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        if (!(n->vt->flags & MD_NODE_SINK))
            continue;
        if (n->vt->commit && (s = n->vt->commit(n, err)) != MD_OK) {
            discard_all(g);
            return s;
        }
    }
    return MD_OK;
}
