/* test_automation.c - envelopes on node parameters (md_automation.h):
 *   - a gain envelope -60 -> 0 dB over 2 s follows 20 log10(level) = -60 + 30 t;
 *   - exp segments are geometric for plain parameters (width amount);
 *   - hold segments jump on the point's frame;
 *   - per-sample (gain) and control-rate (highpass freq) automation give
 *     output independent of the block size, and control-rate changes land on
 *     the aligned sub-block (a highpass stepped to 2 kHz cuts a 200 Hz tone
 *     by the Butterworth figure from that frame on);
 *   - in a graph, envelope time is timeline time: a node behind a latency of
 *     1000 frames changes at the same output frame as one without;
 *   - reset rewinds; bad envelopes are refused naming the parameter.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mixdown/md.h"
#include "mixdown/md_automation.h"

#define RATE 48000.0

static md_node *make(const char *type)
{
    md_error e;
    md_node *n = md_node_create(md_node_lookup(type), &e);
    cr_assert(n, "create %s: %s", type, e.msg);
    return n;
}

static void automate(md_node *n, const char *name, const md_env_point *p, unsigned count)
{
    md_error e;
    md_status s = md_node_automate(n, name, p, count, &e);
    cr_assert_eq(s, MD_OK, "automate %s: %s", name, e.msg);
}

/* Runs n over in (channels x frames, planar in one array) in blocks of
 * block frames into out (same layout). */
static void run_blocks(md_node *n, const float *in, float *out, unsigned channels,
                       unsigned frames, unsigned block)
{
    const float *ip[8];
    float *op[8];
    unsigned och = md_node_out(n)->channels;
    for (unsigned pos = 0; pos < frames; pos += block) {
        unsigned k = frames - pos < block ? frames - pos : block;
        for (unsigned c = 0; c < channels; c++)
            ip[c] = in + (size_t)c * frames + pos;
        for (unsigned c = 0; c < och; c++)
            op[c] = out + (size_t)c * frames + pos;
        md_node_run(n, ip, op, k);
    }
}

static void prepare(md_node *n, unsigned channels, unsigned max_frames)
{
    md_stream s = {RATE, channels, max_frames};
    md_error e;
    cr_assert_eq(md_node_prepare(n, &s, &e), MD_OK, "prepare: %s", e.msg);
}

Test(automation, gain_envelope_linear_in_db_follows_the_formula)
{
    const unsigned frames = (unsigned)(2.2 * RATE);
    float *in = malloc(sizeof(float) * frames), *out = malloc(sizeof(float) * frames);
    for (unsigned i = 0; i < frames; i++)
        in[i] = 0.5f;
    for (int shape = MD_ENV_LIN; shape <= MD_ENV_EXP; shape++) {
        md_node *g = make("gain");
        md_env_point env[] = {{0, -60, MD_ENV_LIN}, {2, 0, (md_env_shape)shape}};
        automate(g, "db", env, 2);
        prepare(g, 1, 512);
        run_blocks(g, in, out, 1, frames, 512);
        double worst = 0;
        for (int k = 0; k < 20; k++) {
            double t = 0.05 + 0.1 * k; /* 20 points across the 2 s ramp */
            unsigned i = (unsigned)lround(t * RATE);
            double got = 20.0 * log10(out[i] / 0.5);
            double want = -60.0 + 30.0 * t; /* computed again here, not by the engine */
            cr_assert_float_eq(got, want, 0.1, "%s: at %.2f s: %.4f dB, want %.4f dB",
                               shape == MD_ENV_LIN ? "lin" : "exp", t, got, want);
            if (fabs(got - want) > worst)
                worst = fabs(got - want);
        }
        cr_log_info("gain envelope (%s): worst error %.2e dB over 20 points",
                    shape == MD_ENV_LIN ? "lin" : "exp", worst);
        /* after the last point the value holds at 0 dB */
        cr_assert_float_eq(out[frames - 1], 0.5f, 1e-6);
        md_node_destroy(g);
    }
    free(in);
    free(out);
}

Test(automation, exp_segment_is_geometric_for_a_plain_parameter)
{
    /* width amount 0.25 -> 1 over 2 s, exp: a(t) = 0.25 * 4^(t / 2). Input L = 1,
     * R = 0: M = S = 0.5, so L' = M + a S = 0.5 + 0.5 a. */
    const unsigned frames = (unsigned)(2 * RATE);
    float *in = calloc(2 * frames, sizeof(float)), *out = malloc(2 * sizeof(float) * frames);
    for (unsigned i = 0; i < frames; i++)
        in[i] = 1.0f;
    md_node *w = make("width");
    md_env_point env[] = {{0, 0.25, MD_ENV_LIN}, {2, 1.0, MD_ENV_EXP}};
    automate(w, "amount", env, 2);
    prepare(w, 2, 1024);
    run_blocks(w, in, out, 2, frames, 1024);
    for (int k = 1; k < 8; k++) {
        double t = 0.25 * k;
        double a = (out[(unsigned)lround(t * RATE)] - 0.5) / 0.5;
        double want = 0.25 * pow(4.0, t / 2.0);
        cr_assert_float_eq(a, want, 1e-5, "amount at %.2f s: %.6f, want %.6f", t, a, want);
    }
    /* the same value from the evaluator */
    cr_assert_float_eq(md_envelope_value(env, 2, 1.0, 0), 0.5, 1e-12);
    md_node_destroy(w);
    free(in);
    free(out);
}

Test(automation, hold_segment_jumps_on_the_points_frame)
{
    const unsigned frames = 60000;
    float *in = malloc(sizeof(float) * frames), *out = malloc(sizeof(float) * frames);
    for (unsigned i = 0; i < frames; i++)
        in[i] = 1.0f;
    md_node *g = make("gain");
    md_env_point env[] = {{0, 0, MD_ENV_LIN}, {1, -20, MD_ENV_HOLD}};
    automate(g, "db", env, 2);
    prepare(g, 1, 333);
    run_blocks(g, in, out, 1, frames, 333);
    cr_assert_eq(out[47999], 1.0f, "before the point: %g", out[47999]);
    cr_assert_float_eq(out[48000], 0.1f, 1e-6, "on the point: %g", out[48000]);
    md_node_destroy(g);
    free(in);
    free(out);
}

static void render_with_blocks(const char *type, const char *param, const md_env_point *env,
                               unsigned count, const float *in, float *out, unsigned frames,
                               unsigned block, double fixed_freq)
{
    md_node *n = make(type);
    md_error e;
    if (fixed_freq > 0)
        cr_assert_eq(md_node_set_number(n, "freq", fixed_freq, &e), MD_OK);
    if (count)
        automate(n, param, env, count);
    prepare(n, 1, block);
    run_blocks(n, in, out, 1, frames, block);
    md_node_destroy(n);
}

Test(automation, output_is_independent_of_the_block_size)
{
    const unsigned frames = 30000;
    const unsigned blocks[] = {1, 7, 64, 4096};
    float *in = malloc(sizeof(float) * frames);
    float *ref = malloc(sizeof(float) * frames), *out = malloc(sizeof(float) * frames);
    for (unsigned i = 0; i < frames; i++)
        in[i] = (float)(0.5 * sin(2 * M_PI * 440 * i / RATE) + 0.2 * sin(2 * M_PI * 61 * i / RATE));
    /* gain: per sample; highpass freq: control rate (coefficients in update) */
    md_env_point genv[] = {{0, -30, MD_ENV_LIN}, {0.2, 6, MD_ENV_LIN}, {0.4, -10, MD_ENV_HOLD},
                           {0.5, 0, MD_ENV_LIN}};
    md_env_point fenv[] = {{0, 30, MD_ENV_LIN}, {0.3, 3000, MD_ENV_EXP}, {0.6, 100, MD_ENV_LIN}};
    struct { const char *type, *param; md_env_point *env; unsigned count; } cases[] = {
        {"gain", "db", genv, 4},
        {"highpass", "freq", fenv, 3},
    };
    for (unsigned c = 0; c < 2; c++) {
        render_with_blocks(cases[c].type, cases[c].param, cases[c].env, cases[c].count, in, ref,
                           frames, blocks[0], 0);
        for (unsigned b = 1; b < 4; b++) {
            render_with_blocks(cases[c].type, cases[c].param, cases[c].env, cases[c].count, in,
                               out, frames, blocks[b], 0);
            for (unsigned i = 0; i < frames; i++)
                cr_assert_eq(ref[i], out[i], "%s: blocks of %u differ from blocks of 1 at %u: %.9g vs %.9g",
                             cases[c].type, blocks[b], i, out[i], ref[i]);
        }
    }
    free(in);
    free(ref);
    free(out);
}

Test(automation, control_rate_change_lands_on_its_aligned_frame)
{
    /* highpass (order 2) at 20 Hz, stepped to 2000 Hz at exactly 1 s (frame
     * 48000 = 750 x 64). Before: bit-identical to a fixed 20 Hz filter. After
     * the transient: a 200 Hz tone down by the Butterworth magnitude
     * |H|^2 = (f/fc)^4 / (1 + (f/fc)^4) -> -40.0004 dB. */
    const unsigned frames = (unsigned)(2 * RATE);
    float *in = malloc(sizeof(float) * frames);
    float *fixed = malloc(sizeof(float) * frames), *out = malloc(sizeof(float) * frames);
    for (unsigned i = 0; i < frames; i++)
        in[i] = (float)(0.5 * sin(2 * M_PI * 200 * i / RATE));
    md_env_point env[] = {{0, 20, MD_ENV_LIN}, {1, 20, MD_ENV_LIN}, {1, 2000, MD_ENV_LIN}};
    render_with_blocks("highpass", "freq", env, 3, in, out, frames, 1000, 0);
    render_with_blocks("highpass", "freq", NULL, 0, in, fixed, frames, 1000, 20);
    for (unsigned i = 0; i < 48000; i++)
        cr_assert_eq(out[i], fixed[i], "before the step at %u: %.9g vs %.9g", i, out[i], fixed[i]);
    cr_assert_neq(out[48000 + 10], fixed[48000 + 10], "the step had no effect");
    unsigned a = (unsigned)(1.3 * RATE), b = (unsigned)(1.9 * RATE);
    double s_in = 0, s_out = 0;
    for (unsigned i = a; i < b; i++) {
        s_in += (double)in[i] * in[i];
        s_out += (double)out[i] * out[i];
    }
    double got = 10 * log10(s_out / s_in);
    double r4 = pow(200.0 / 2000.0, 4);
    double want = 10 * log10(r4 / (1 + r4));
    cr_assert_float_eq(got, want, 0.1, "200 Hz after the step: %.3f dB, want %.3f dB", got, want);
    free(in);
    free(fixed);
    free(out);
}

Test(automation, reset_rewinds_to_frame_zero)
{
    const unsigned frames = 20000;
    float *in = malloc(sizeof(float) * frames);
    float *a = malloc(sizeof(float) * frames), *b = malloc(sizeof(float) * frames);
    for (unsigned i = 0; i < frames; i++)
        in[i] = 1.0f;
    md_node *g = make("gain");
    md_env_point env[] = {{0, -40, MD_ENV_LIN}, {0.3, 0, MD_ENV_LIN}};
    automate(g, "db", env, 2);
    prepare(g, 1, 256);
    run_blocks(g, in, a, 1, frames, 256);
    cr_assert_eq(md_node_position(g), frames);
    md_node_reset(g);
    cr_assert_eq(md_node_position(g), 0);
    run_blocks(g, in, b, 1, frames, 256);
    cr_assert_eq(memcmp(a, b, sizeof(float) * frames), 0, "rerun after reset differs");
    md_node_destroy(g);
    free(in);
    free(a);
    free(b);
}

Test(automation, removing_an_envelope_restores_the_value)
{
    md_node *g = make("gain");
    md_error e;
    double v;
    md_node_set_number(g, "db", -6, &e);
    md_env_point env[] = {{0, -20, MD_ENV_LIN}, {1, 0, MD_ENV_LIN}};
    automate(g, "db", env, 2);
    cr_assert(md_node_automated(g, "db"));
    md_node_get_number(g, "db", &v, &e);
    cr_assert_float_eq(v, -20, 1e-12, "plain value is the first point's");
    automate(g, "db", NULL, 0);
    cr_assert(!md_node_automated(g, "db"));
    md_node_get_number(g, "db", &v, &e);
    cr_assert_float_eq(v, -6, 1e-12, "value before the envelope is back: %g", v);
    md_node_destroy(g);
}

static void expect_refused(md_node *n, const char *param, const md_env_point *p, unsigned count,
                           const char *want)
{
    md_error e;
    md_error_clear(&e);
    md_status s = md_node_automate(n, param, p, count, &e);
    cr_assert_eq(s, MD_ERR_INVALID, "%s: accepted", want);
    cr_assert_str_eq(e.msg, want);
}

Test(automation, bad_envelopes_are_refused_naming_the_parameter)
{
    md_node *g = make("gain"), *p = make("pan"), *h = make("highpass"), *s = make("sine");
    md_env_point ok[] = {{0, -6, MD_ENV_LIN}, {1, 0, MD_ENV_LIN}};
    expect_refused(g, "dbb", ok, 2, "gain: unknown parameter 'dbb' (did you mean 'db'?)");
    expect_refused(h, "order", ok, 2, "highpass: order cannot be automated: envelopes need a number, its type is integer");
    md_env_point high[] = {{0, 0, MD_ENV_LIN}, {1.5, 60, MD_ENV_LIN}};
    expect_refused(g, "db", high, 2, "gain: db must be within -120..48 dB, got 60 (envelope at 1.5 s)");
    md_env_point back[] = {{1, 0, MD_ENV_LIN}, {0.5, -3, MD_ENV_LIN}};
    expect_refused(g, "db", back, 2,
                   "gain: db: envelope point 2: times must not decrease, got 0.5 s after 1 s");
    md_env_point neg[] = {{-1, 0, MD_ENV_LIN}};
    expect_refused(g, "db", neg, 1,
                   "gain: db: envelope point 1: time must be a finite number of seconds >= 0, got -1");
    md_env_point cross[] = {{0, -1, MD_ENV_LIN}, {2, 1, MD_ENV_EXP}};
    expect_refused(p, "pos", cross, 2,
                   "pan: pos: an exp segment needs two values of one sign, not zero, got -1 and 1 "
                   "(envelope at 0..2 s)");
    expect_refused(s, "freq", ok, 2,
                   "sine: freq cannot be automated: only processors that keep the rate take "
                   "envelopes");
    /* a failed attach keeps the earlier envelope */
    automate(g, "db", ok, 2);
    expect_refused(g, "db", high, 2, "gain: db must be within -120..48 dB, got 60 (envelope at 1.5 s)");
    cr_assert(md_node_automated(g, "db"));
    md_node_destroy(g);
    md_node_destroy(p);
    md_node_destroy(h);
    md_node_destroy(s);
}

/* --- in a graph: timeline time behind a latency ------------------------------- */

typedef struct { int64_t pos; } dc_priv;
static const md_param_desc dc_params[] = {{"frames", "", 0, 1e9, 48000, "length", MD_PT_INT},
                                          {NULL}};
static md_status dc_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *e)
{
    (void)in, (void)e;
    out->channels = 1;
    ((dc_priv *)md_node_priv(n))->pos = 0;
    return MD_OK;
}
static unsigned dc_generate(md_node *n, float *const *out, unsigned frames, md_error *e)
{
    (void)e;
    dc_priv *p = md_node_priv(n);
    int64_t len = (int64_t)md_node_value(n, 0);
    unsigned real = 0;
    for (unsigned i = 0; i < frames; i++) {
        int on = p->pos + i < len;
        out[0][i] = on ? 1.0f : 0.0f;
        real += on;
    }
    p->pos += frames;
    return real;
}
static int64_t dc_length(const md_node *n) { return (int64_t)md_node_value(n, 0); }
static const md_node_vtable dc_source = {
    .name = "dc", .params = dc_params, .priv_size = sizeof(dc_priv), .flags = MD_NODE_SOURCE,
    .prepare = dc_prepare, .generate = dc_generate, .length = dc_length,
};

/* a pure delay of 1000 frames that reports it as latency */
#define LAT 1000
typedef struct { float line[LAT]; unsigned pos; } lat_priv;
static const md_param_desc no_params[] = {{NULL}};
static void lat_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    lat_priv *p = md_node_priv(n);
    for (unsigned i = 0; i < frames; i++) {
        float x = in[0][i];
        out[0][i] = p->line[p->pos];
        p->line[p->pos] = x;
        p->pos = (p->pos + 1) % LAT;
    }
}
static unsigned lat_latency(const md_node *n) { (void)n; return LAT; }
static const md_node_vtable lat_node = {
    .name = "lat", .params = no_params, .priv_size = sizeof(lat_priv), .inputs = 1,
    .flags = MD_NODE_NO_INPLACE, .process = lat_process, .latency = lat_latency,
};

#define CAP 200000
typedef struct { float data[CAP]; int64_t n; } cap_priv;
static md_status cap_consume(md_node *n, const float *const *in, unsigned frames, md_error *e)
{
    (void)e;
    cap_priv *p = md_node_priv(n);
    for (unsigned i = 0; i < frames && p->n < CAP; i++)
        p->data[p->n++] = in[0][i];
    return MD_OK;
}
static const md_node_vtable cap_sink = {
    .name = "cap", .params = no_params, .priv_size = sizeof(cap_priv), .flags = MD_NODE_SINK,
    .inputs = 1, .consume = cap_consume,
};

/* frame where the captured level first drops under 0.5 */
static int64_t step_frame(const cap_priv *c)
{
    for (int64_t i = 0; i < c->n; i++)
        if (c->data[i] < 0.5f)
            return i;
    return -1;
}

Test(automation, envelope_time_is_timeline_time_behind_a_latency)
{
    md_error e;
    md_graph_config cfg = {RATE, 512};
    md_graph *g = md_graph_create(&cfg, &e);
    md_node *src = md_graph_add_vt(g, &dc_source, &e);
    md_node *lat = md_graph_add_vt(g, &lat_node, &e);
    md_node *late = md_graph_add(g, "gain", &e);  /* behind the latency */
    md_node *early = md_graph_add(g, "gain", &e); /* on the direct path */
    md_node *c1 = md_graph_add_vt(g, &cap_sink, &e), *c2 = md_graph_add_vt(g, &cap_sink, &e);
    cr_assert(src && lat && late && early && c1 && c2);
    md_graph_connect(g, src, lat, 0, &e);
    md_graph_connect(g, lat, late, 0, &e);
    md_graph_connect(g, src, early, 0, &e);
    md_graph_connect(g, late, c1, 0, &e);
    md_graph_connect(g, early, c2, 0, &e);
    md_env_point env[] = {{0, 0, MD_ENV_LIN}, {0.5, -20, MD_ENV_HOLD}};
    automate(late, "db", env, 2);
    automate(early, "db", env, 2);
    cr_assert_eq(md_graph_compile(g, &e), MD_OK, "%s", e.msg);
    cr_assert_float_eq(md_node_span(late), 1.0, 1e-12, "span %g", md_node_span(late));
    cr_assert_eq(md_node_input_latency(late), LAT);
    cr_assert_eq(md_graph_render(g, NULL, &e), MD_OK, "%s", e.msg);
    int64_t a = step_frame(md_node_priv(c1)), b = step_frame(md_node_priv(c2));
    cr_assert_eq(a, 24000, "behind the latency the step is at output frame %lld", (long long)a);
    cr_assert_eq(b, 24000, "direct: step at output frame %lld", (long long)b);
    md_graph_destroy(g);
}
