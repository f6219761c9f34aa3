/* plan.c - the compiled plan as text and as Graphviz DOT. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "graph_internal.h"

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

static char *sb_finish(strbuf *b)
{
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

/* "freq=30 Hz q=0.7071" for the parameters that differ from their defaults
 * or were set explicitly. */
static void summary(const md_node *n, char *buf, unsigned size)
{
    buf[0] = '\0';
    if (n->vt->describe) {
        n->vt->describe(n, buf, size);
        return;
    }
    for (unsigned i = 0; i < n->nparams; i++) {
        if (!n->isset[i])
            continue;
        char v[96];
        mdi_param_format(n, i, v, sizeof v);
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "", n->vt->params[i].name, v);
    }
}

static unsigned position(const md_graph *g, const md_node *n)
{
    (void)g;
    return (unsigned)n->order + 1;
}

char *md_graph_plan(md_graph *g)
{
    strbuf b = {0};
    if (!g->compiled) {
        md_error e;
        if (md_graph_compile(g, &e) != MD_OK) {
            sb_printf(&b, "graph (not compiled: %s)\n", e.msg);
            return sb_finish(&b);
        }
    }
    sb_printf(&b, "graph: %u nodes, %g Hz, blocks of %u frames, %u buffers\n", g->norder,
              g->rate_hz, g->block, g->nbufs);
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        char s[400];
        summary(n, s, sizeof s);
        sb_printf(&b, "%3u %-10s %-36s", k + 1, n->vt->name, s);
        if (n->ninputs) {
            sb_printf(&b, " <-");
            for (unsigned i = 0; i < n->ninputs; i++) {
                mdi_edge *e = &n->inputs[i];
                sb_printf(&b, " %s%u", e->sidechain ? "sc:" : "", position(g, e->from));
                if (e->gain_db != 0)
                    sb_printf(&b, "(%+.1f dB)", e->gain_db);
                if (e->comp_delay)
                    sb_printf(&b, "(+%u delay)", e->comp_delay);
            }
        }
        if (n->vt->flags & MD_NODE_SINK)
            sb_printf(&b, "  [%u ch, %g Hz, drops %u frames of latency]\n", n->in.channels,
                      n->in.rate_hz, n->inputs[0].from->path_latency);
        else
            sb_printf(&b, "  [%u ch, %g Hz, latency %u, buffer %d]\n", n->out.channels,
                      n->out.rate_hz, md_node_latency(n), n->buf);
    }
    return sb_finish(&b);
}

static void dot_escape(strbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_printf(b, "\\%c", *s);
        else if (*s == '\n')
            sb_printf(b, "\\n");
        else
            sb_printf(b, "%c", *s);
    }
}

char *md_graph_dot(md_graph *g)
{
    strbuf b = {0};
    if (!g->compiled) {
        md_error e;
        if (md_graph_compile(g, &e) != MD_OK) {
            sb_printf(&b, "digraph mixdown {\n  label=\"");
            dot_escape(&b, e.msg);
            sb_printf(&b, "\";\n}\n");
            return sb_finish(&b);
        }
    }
    sb_printf(&b, "digraph mixdown {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    sb_printf(&b, "  label=\"%g Hz, %u buffers\";\n", g->rate_hz, g->nbufs);
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        char s[400];
        summary(n, s, sizeof s);
        sb_printf(&b, "  n%u [label=\"", k + 1);
        dot_escape(&b, n->label);
        if (s[0]) {
            sb_printf(&b, "\\n");
            dot_escape(&b, s);
        }
        if (n->vt->flags & MD_NODE_SINK)
            sb_printf(&b, "\\n%u ch\"", n->in.channels);
        else
            sb_printf(&b, "\\n%u ch, %g Hz, latency %u\"", n->out.channels, n->out.rate_hz,
                      md_node_latency(n));
        if (n->vt->flags & (MD_NODE_SOURCE | MD_NODE_SINK))
            sb_printf(&b, ", shape=ellipse");
        sb_printf(&b, "];\n");
    }
    for (unsigned k = 0; k < g->norder; k++) {
        md_node *n = g->order[k];
        for (unsigned i = 0; i < n->ninputs; i++) {
            mdi_edge *e = &n->inputs[i];
            sb_printf(&b, "  n%u -> n%u", position(g, e->from), k + 1);
            char lab[96] = "";
            if (e->sidechain)
                snprintf(lab, sizeof lab, "sidechain");
            if (e->gain_db != 0)
                snprintf(lab + strlen(lab), sizeof lab - strlen(lab), "%s%+.1f dB",
                         lab[0] ? ", " : "", e->gain_db);
            if (e->comp_delay)
                snprintf(lab + strlen(lab), sizeof lab - strlen(lab), "%sdelay %u",
                         lab[0] ? ", " : "", e->comp_delay);
            if (lab[0])
                sb_printf(&b, " [label=\"%s\"%s]", lab, e->sidechain ? ", style=dashed" : "");
            sb_printf(&b, ";\n");
        }
    }
    sb_printf(&b, "}\n");
    return sb_finish(&b);
}
