/* test_graph.c - graph compile and render: cycles, latency compensation,
 * buffer reuse, channel rules, lengths, cancel. Uses test-only sources and
 * sinks (a ramp/impulse generator and an in-memory capture). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mixdown/md.h"

/* --- a test source: impulse or counter, `frames` long, `channels` wide ---- */
enum { S_FRAMES, S_CHANNELS, S_KIND, S_AT };
static const char *const kinds[] = {"ramp", "impulse", NULL};
static const md_param_desc src_params[] = {
    {"frames", "", 0, 1e9, 1000, "length", MD_PT_INT},
    {"channels", "", 1, 8, 1, "channels", MD_PT_INT},
    {"kind", "", 0, 1, 0, "ramp or impulse", MD_PT_ENUM, 0, kinds},
    {"at", "", 0, 1e9, 0, "impulse position", MD_PT_INT},
    {NULL},
};
typedef struct { int64_t pos; } src_priv;
static md_status src_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *e)
{
    (void)in; (void)e;
    out->channels = (unsigned)md_node_value(n, S_CHANNELS);
    return MD_OK;
}
static void src_reset(md_node *n) { ((src_priv *)md_node_priv(n))->pos = 0; }
static unsigned src_generate(md_node *n, float *const *out, unsigned frames, md_error *e)
{
    (void)e;
    src_priv *p = md_node_priv(n);
    int64_t len = (int64_t)md_node_value(n, S_FRAMES);
    unsigned real = 0;
    for (unsigned i = 0; i < frames; i++) {
        int64_t t = p->pos + i;
        float v = 0;
        if (t < len) {
            real++;
            v = md_node_value(n, S_KIND) == 0 ? (float)(t + 1) / 1e6f
                                              : (t == (int64_t)md_node_value(n, S_AT));
        }
        for (unsigned c = 0; c < md_node_out(n)->channels; c++)
            out[c][i] = v * (float)(c + 1);
    }
    p->pos += frames;
    return real;
}
static int64_t src_length(const md_node *n) { return (int64_t)md_node_value(n, S_FRAMES); }
static const md_node_vtable test_source = {
    .name = "testsrc", .params = src_params, .priv_size = sizeof(src_priv),
    .flags = MD_NODE_SOURCE, .prepare = src_prepare, .reset = src_reset,
    .generate = src_generate, .length = src_length,
};

/* --- a test sink: captures channel data in memory -------------------------- */
#define CAP_MAX 400000
typedef struct { float *data[4]; int64_t n; unsigned ch; int committed, discarded; } cap_priv;
static const md_param_desc cap_params[] = {{NULL}};
static md_status cap_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *e)
{
    (void)out; (void)e;
    cap_priv *p = md_node_priv(n);
    p->ch = in->channels;
    for (unsigned c = 0; c < p->ch && c < 4; c++)
        if (!p->data[c])
            p->data[c] = calloc(CAP_MAX, sizeof(float));
    p->n = 0;
    return MD_OK;
}
static md_status cap_consume(md_node *n, const float *const *in, unsigned frames, md_error *e)
{
    (void)e;
    cap_priv *p = md_node_priv(n);
    for (unsigned i = 0; i < frames && p->n < CAP_MAX; i++, p->n++)
        for (unsigned c = 0; c < p->ch && c < 4; c++)
            p->data[c][p->n] = in[c][i];
    return MD_OK;
}
static md_status cap_commit(md_node *n, md_error *e) { (void)e; ((cap_priv *)md_node_priv(n))->committed = 1; return MD_OK; }
static void cap_discard(md_node *n) { ((cap_priv *)md_node_priv(n))->discarded = 1; }
static const md_node_vtable test_sink = {
    .name = "testsink", .params = cap_params, .priv_size = sizeof(cap_priv),
    .flags = MD_NODE_SINK, .inputs = 1, .prepare = cap_prepare, .consume = cap_consume,
    .commit = cap_commit, .discard = cap_discard,
};
static void cap_free(md_node *n)
{
    cap_priv *p = md_node_priv(n);
    for (int c = 0; c < 4; c++) { free(p->data[c]); p->data[c] = NULL; }
}

/* --- a processor with a fixed latency: a pure delay of `frames` ----------- */
typedef struct { float *line[8]; unsigned len, pos; } lat_priv;
static const md_param_desc lat_params[] = {{"frames", "", 0, 100000, 100, "delay", MD_PT_INT}, {NULL}};
static md_status lat_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *e)
{
    (void)out; (void)e;
    lat_priv *p = md_node_priv(n);
    p->len = (unsigned)md_node_value(n, 0);
    for (unsigned c = 0; c < in->channels; c++)
        p->line[c] = calloc(p->len + 1, sizeof(float));
    return MD_OK;
}
static void lat_release(md_node *n)
{
    lat_priv *p = md_node_priv(n);
    for (int c = 0; c < 8; c++) { free(p->line[c]); p->line[c] = NULL; }
}
static void lat_reset(md_node *n)
{
    lat_priv *p = md_node_priv(n);
    p->pos = 0;
    for (unsigned c = 0; c < md_node_in(n)->channels; c++)
        memset(p->line[c], 0, (p->len + 1) * sizeof(float));
}
static void lat_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    lat_priv *p = md_node_priv(n);
    unsigned pos = p->pos;
    for (unsigned c = 0; c < md_node_in(n)->channels; c++) {
        pos = p->pos;
        for (unsigned i = 0; i < frames; i++) {
            float x = in[c][i];
            if (p->len == 0) { out[c][i] = x; continue; }
            out[c][i] = p->line[c][pos];
            p->line[c][pos] = x;
            pos = (pos + 1) % p->len;
        }
    }
    p->pos = pos;
}
static unsigned lat_latency(const md_node *n) { return (unsigned)md_node_value(n, 0); }
static const md_node_vtable test_latency = {
    .name = "testlat", .params = lat_params, .priv_size = sizeof(lat_priv),
    .flags = MD_NODE_NO_INPLACE, .inputs = 1, .prepare = lat_prepare, .reset = lat_reset,
    .process = lat_process, .latency = lat_latency, .release = lat_release,
};

static md_graph *new_graph(unsigned block)
{
    md_graph_config cfg = {44100, block};
    md_error e;
    md_graph *g = md_graph_create(&cfg, &e);
    cr_assert(g, "%s", e.msg);
    return g;
}

static md_node *add(md_graph *g, const md_node_vtable *vt)
{
    md_error e;
    md_node *n = md_graph_add_vt(g, vt, &e);
    cr_assert(n, "%s", e.msg);
    return n;
}

static void connect(md_graph *g, md_node *a, md_node *b, double db)
{
    md_error e;
    cr_assert_eq(md_graph_connect(g, a, b, db, &e), MD_OK, "%s", e.msg);
}

Test(graph, rejects_a_cycle_naming_its_nodes)
{
    md_graph *g = new_graph(0);
    md_error e;
    md_node *src = add(g, &test_source);
    md_node *m = md_graph_add(g, "mix", &e);
    md_node *a = md_graph_add(g, "gain", &e);
    md_node *b = md_graph_add(g, "gain", &e);
    md_node_set_label(a, "gainA");
    md_node_set_label(b, "gainB");
    md_node *out = add(g, &test_sink);
    connect(g, src, m, 0);
    connect(g, m, a, 0);
    connect(g, a, b, 0);
    connect(g, b, m, 0);
    connect(g, b, out, 0);
    cr_assert_eq(md_graph_compile(g, &e), MD_ERR_GRAPH);
    cr_assert(strstr(e.msg, "cycle"), "%s", e.msg);
    cr_assert(strstr(e.msg, "gainA") && strstr(e.msg, "gainB"), "%s", e.msg);
    md_graph_destroy(g);
}

Test(graph, rejects_missing_input_and_missing_output)
{
    md_graph *g = new_graph(0);
    md_error e;
    md_node *a = md_graph_add(g, "gain", &e);
    (void)a;
    cr_assert_eq(md_graph_compile(g, &e), MD_ERR_GRAPH);
    cr_assert(strstr(e.msg, "no output"), "%s", e.msg);
    md_node *out = add(g, &test_sink);
    connect(g, a, out, 0);
    cr_assert_eq(md_graph_compile(g, &e), MD_ERR_GRAPH);
    cr_assert(strstr(e.msg, "gain: no input"), "%s", e.msg);
    cr_assert_eq(md_graph_connect(g, a, a, 0, &e), MD_OK); /* self loop: caught at compile */
    cr_assert_eq(md_graph_compile(g, &e), MD_ERR_GRAPH);
    md_graph_destroy(g);
}

Test(graph, unknown_node_type_suggests_the_closest)
{
    md_graph *g = new_graph(0);
    md_error e;
    cr_assert_null(md_graph_add(g, "gian", &e));
    cr_assert(strstr(e.msg, "unknown node 'gian'") && strstr(e.msg, "did you mean 'gain'"), "%s",
              e.msg);
    md_graph_destroy(g);
}

/* A delayed branch and a dry branch meet at a mix: the dry one is delayed to
 * match, so x - x nulls exactly, and the sink drops the latency so the output
 * lines up with the input to the sample. */
Test(graph, latency_compensation_aligns_parallel_paths_to_the_sample)
{
    for (unsigned block = 1; block <= 4096; block *= 8) {
        md_graph *g = new_graph(block);
        md_error e;
        md_node *src = add(g, &test_source);
        md_node_set_number(src, "kind", 1, &e);
        md_node_set_string(src, "kind", "impulse", &e);
        md_node_set_number(src, "at", 1234, &e);
        md_node_set_number(src, "frames", 20000, &e);
        md_node *lat = add(g, &test_latency);
        md_node_set_number(lat, "frames", 300, &e);
        md_node *m = md_graph_add(g, "mix", &e);
        md_node *out = add(g, &test_sink);
        md_node *out2 = add(g, &test_sink);
        connect(g, src, lat, 0);
        connect(g, lat, m, 0);
        connect(g, src, m, 0);  /* the dry path: compensated by 300 frames */
        connect(g, m, out, 0);
        connect(g, lat, out2, 0);
        cr_assert_eq(md_graph_render(g, NULL, &e), MD_OK, "%s", e.msg);
        cap_priv *p = md_node_priv(out), *p2 = md_node_priv(out2);
        cr_assert_eq(p->n, 20000, "length %lld (block %u)", (long long)p->n, block);
        cr_assert_eq(p2->n, 20000);
        for (int64_t i = 0; i < p->n; i++) {
            float want = i == 1234 ? 2.0f : 0.0f;
            cr_assert_eq(p->data[0][i], want, "sample %lld = %g (block %u)", (long long)i,
                         p->data[0][i], block);
            cr_assert_eq(p2->data[0][i], i == 1234 ? 1.0f : 0.0f);
        }
        cr_assert(p->committed && !p->discarded);
        cr_assert_eq(md_graph_path_latency(g, m), 300);
        cap_free(out);
        cap_free(out2);
        md_graph_destroy(g);
    }
}

Test(graph, long_chain_reuses_buffers)
{
    md_graph *g = new_graph(0);
    md_error e;
    md_node *prev = add(g, &test_source);
    for (int i = 0; i < 30; i++) {
        md_node *n = md_graph_add(g, "gain", &e);
        connect(g, prev, n, 0);
        prev = n;
    }
    md_node *out = add(g, &test_sink);
    connect(g, prev, out, 0);
    cr_assert_eq(md_graph_compile(g, &e), MD_OK, "%s", e.msg);
    cr_assert_leq(md_graph_buffer_count(g), 2, "buffers %u for 31 nodes", md_graph_buffer_count(g));
    cr_assert_eq(md_graph_render(g, NULL, &e), MD_OK, "%s", e.msg);
    cap_priv *p = md_node_priv(out);
    cr_assert_eq(p->n, 1000);
    cr_assert_float_eq(p->data[0][999], 1000 / 1e6f, 1e-9);
    cap_free(out);
    md_graph_destroy(g);
}

Test(graph, mix_sums_with_gains_and_broadcasts_mono)
{
    md_graph *g = new_graph(64);
    md_error e;
    md_node *mono = add(g, &test_source);
    md_node *stereo = add(g, &test_source);
    md_node_set_number(stereo, "channels", 2, &e);
    md_node *m = md_graph_add(g, "mix", &e);
    md_node *out = add(g, &test_sink);
    connect(g, mono, m, -6.0205999);  /* x 0.5 */
    connect(g, stereo, m, 0);
    connect(g, m, out, 0);
    cr_assert_eq(md_graph_render(g, NULL, &e), MD_OK, "%s", e.msg);
    cap_priv *p = md_node_priv(out);
    cr_assert_eq(p->ch, 2);
    for (int i = 0; i < 1000; i += 37) {
        float x = (float)(i + 1) / 1e6f;
        cr_assert_float_eq(p->data[0][i], 0.5f * x + x, 1e-9);
        cr_assert_float_eq(p->data[1][i], 0.5f * x + 2 * x, 1e-9);
    }
    cap_free(out);
    md_graph_destroy(g);
}

Test(graph, mix_refuses_incompatible_channel_counts)
{
    md_graph *g = new_graph(64);
    md_error e;
    md_node *a = add(g, &test_source), *b = add(g, &test_source);
    md_node_set_number(a, "channels", 2, &e);
    md_node_set_number(b, "channels", 3, &e);
    md_node *m = md_graph_add(g, "mix", &e);
    md_node *out = add(g, &test_sink);
    connect(g, a, m, 0);
    connect(g, b, m, 0);
    connect(g, m, out, 0);
    cr_assert_eq(md_graph_compile(g, &e), MD_ERR_GRAPH);
    cr_assert(strstr(e.msg, "cannot combine 2 and 3 channels"), "%s", e.msg);
    cap_free(out);
    md_graph_destroy(g);
}

Test(graph, output_is_independent_of_block_size_and_rerender_is_identical)
{
    float *ref = NULL;
    for (unsigned block = 1; block <= 8192; block = block * 3 + 1) {
        md_graph *g = new_graph(block);
        md_error e;
        md_node *src = add(g, &test_source);
        md_node_set_number(src, "frames", 5000, &e);
        md_node *gn = md_graph_add(g, "gain", &e);
        md_node_set_number(gn, "db", -3, &e);
        md_node *out = add(g, &test_sink);
        connect(g, src, gn, 0);
        connect(g, gn, out, 0);
        for (int pass = 0; pass < 2; pass++) {
            cr_assert_eq(md_graph_render(g, NULL, &e), MD_OK, "%s", e.msg);
            cap_priv *p = md_node_priv(out);
            cr_assert_eq(p->n, 5000);
            if (!ref) {
                ref = malloc(5000 * sizeof(float));
                memcpy(ref, p->data[0], 5000 * sizeof(float));
            } else {
                cr_assert_eq(memcmp(ref, p->data[0], 5000 * sizeof(float)), 0,
                             "block %u pass %d differs", block, pass);
            }
        }
        cap_free(out);
        md_graph_destroy(g);
    }
    free(ref);
}

static volatile sig_atomic_t cancel_flag;
static void cancel_soon(void *user, int64_t done, int64_t total)
{
    (void)user; (void)total;
    if (done > 10000)
        cancel_flag = 1;
}

Test(graph, cancel_discards_every_output)
{
    md_graph *g = new_graph(256);
    md_error e;
    md_node *src = add(g, &test_source);
    md_node_set_number(src, "frames", 300000, &e);
    md_node *out = add(g, &test_sink);
    connect(g, src, out, 0);
    cancel_flag = 0;
    md_render_opts opts = {cancel_soon, NULL, &cancel_flag};
    cr_assert_eq(md_graph_render(g, &opts, &e), MD_ERR_CANCELLED);
    cap_priv *p = md_node_priv(out);
    cr_assert(p->discarded && !p->committed);
    cap_free(out);
    md_graph_destroy(g);
}

Test(graph, plan_and_dot_describe_the_compiled_graph)
{
    md_graph *g = new_graph(0);
    md_node *src = add(g, &test_source);
    md_node *lat = add(g, &test_latency);
    md_node *out = add(g, &test_sink);
    connect(g, src, lat, 0);
    connect(g, lat, out, 0);
    char *plan = md_graph_plan(g);
    char *dot = md_graph_dot(g);
    cr_assert(plan && strstr(plan, "testlat") && strstr(plan, "latency 100"), "%s", plan);
    cr_assert(dot && strstr(dot, "digraph") && strstr(dot, "n1 -> n2") && strstr(dot, "n2 -> n3"),
              "%s", dot);
    free(plan);
    free(dot);
    cap_free(out);
    md_graph_destroy(g);
}

/* Sources run first in every block: two sources, each through its own
 * processor, must not share a buffer (a regression: only the last was heard). */
Test(graph, every_source_keeps_its_own_buffer)
{
    md_graph *g = new_graph(256);
    md_error e;
    md_node *a = add(g, &test_source), *b = add(g, &test_source);
    md_node_set_string(b, "kind", "impulse", &e);
    md_node_set_number(b, "at", 10, &e);
    md_node *ga = md_graph_add(g, "gain", &e), *gb = md_graph_add(g, "gain", &e);
    md_node *m = md_graph_add(g, "mix", &e);
    md_node *out = add(g, &test_sink);
    connect(g, a, ga, 0);
    connect(g, ga, m, 0);
    connect(g, b, gb, 0);
    connect(g, gb, m, 0);
    connect(g, m, out, 0);
    cr_assert_eq(md_graph_render(g, NULL, &e), MD_OK, "%s", e.msg);
    cap_priv *p = md_node_priv(out);
    for (int i = 0; i < 1000; i++) {
        float want = (float)(i + 1) / 1e6f + (i == 10 ? 1.0f : 0.0f);
        cr_assert_float_eq(p->data[0][i], want, 1e-7, "sample %d = %g, want %g", i, p->data[0][i],
                           want);
    }
    cap_free(out);
    md_graph_destroy(g);
}
