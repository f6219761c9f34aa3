/* automation.c - envelopes on node parameters (md_automation.h).
 *
 * Each automated parameter keeps its breakpoints in seconds (as given) and,
 * from prepare on, in frames at the node's rate. Values are computed from the
 * absolute timeline position alone (a cursor only speeds up the search), so
 * they do not depend on how the stream is cut into blocks.
 *
 * mdi_node_process wraps every call of a node's process(): without
 * control-rate envelopes it only advances the frame counter; with them it
 * cuts the block at timeline positions that are multiples of
 * MD_AUTOMATION_BLOCK, sets those parameters to their value at each
 * sub-block's aligned start and calls update() when one changed. On the
 * first sub-block of a render every envelope counts as control rate; the
 * ones the node then reads through md_node_fill_param become per sample.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../graph/graph_internal.h"
#include "mixdown/md_automation.h"

typedef struct mdi_env {
    unsigned param;
    unsigned count;
    md_env_point *pts;   /* as given, times in seconds */
    double *at;          /* times in frames at the node's rate (prepare) */
    double *lnr;         /* per segment ending at k: ln(b / a) for exp segments */
    int db;              /* MD_PARAM_DB: interpolate in dB */
    int per_sample;      /* read through md_node_fill_param */
    unsigned cursor;     /* last point at or before the last position asked */
    double before;       /* the parameter's value before the envelope came */
} mdi_env;

typedef struct mdi_automation {
    mdi_env *env;
    unsigned count;
    unsigned control;    /* envelopes set at sub-block boundaries */
    int probing;         /* first sub-block of a render not yet processed */
} mdi_automation;

static void env_free(mdi_env *e)
{
    free(e->pts);
    free(e->at);
    free(e->lnr);
    memset(e, 0, sizeof *e);
}

void mdi_automation_free(md_node *n)
{
    mdi_automation *a = n->autom;
    if (!a)
        return;
    for (unsigned i = 0; i < a->count; i++)
        env_free(&a->env[i]);
    free(a->env);
    free(a);
    n->autom = NULL;
}

static mdi_env *find_env(const md_node *n, unsigned idx)
{
    mdi_automation *a = n->autom;
    if (!a)
        return NULL;
    for (unsigned i = 0; i < a->count; i++)
        if (a->env[i].param == idx)
            return &a->env[i];
    return NULL;
}

static void count_control(mdi_automation *a)
{
    a->control = 0;
    for (unsigned i = 0; i < a->count; i++)
        a->control += !a->env[i].per_sample;
}

static void env_times(mdi_env *e, double rate)
{
    for (unsigned k = 0; k < e->count; k++)
        e->at[k] = e->pts[k].time_s * rate;
    e->cursor = 0;
}

void mdi_automation_rewind(md_node *n)
{
    n->frame_pos = 0;
    mdi_automation *a = n->autom;
    if (!a)
        return;
    for (unsigned i = 0; i < a->count; i++) {
        a->env[i].cursor = 0;
        a->env[i].per_sample = 0;
    }
    a->probing = 1;
    count_control(a);
}

void mdi_automation_prepare(md_node *n)
{
    mdi_automation *a = n->autom;
    if (a)
        for (unsigned i = 0; i < a->count; i++)
            env_times(&a->env[i], n->in.rate_hz);
    mdi_automation_rewind(n);
}

/* --- evaluation -------------------------------------------------------------- */

/* The value x of the way (0..1) through the segment from a to b that ends
 * at a point of shape sh; lnr = ln(b / a) for exp segments of plain params. */
static inline double segment(double a, double b, double x, md_env_shape sh, double lnr, int db)
{
    if (sh == MD_ENV_HOLD)
        return a;
    if (sh == MD_ENV_EXP && !db)
        return a * exp(x * lnr);
    /* lin, and exp in dB: an exponential amplitude is a straight line in dB */
    return a + (b - a) * x;
}

/* Value at position p (frames at the node's rate, timeline). */
static double env_at(mdi_env *e, double p)
{
    const double *at = e->at;
    unsigned k = e->cursor;
    if (k >= e->count || at[k] > p)
        k = 0;
    while (k + 1 < e->count && at[k + 1] <= p)
        k++;
    e->cursor = k;
    if (p < at[0] || k + 1 >= e->count)
        return p < at[0] ? e->pts[0].value : e->pts[e->count - 1].value;
    double span = at[k + 1] - at[k];
    double x = span > 0 ? (p - at[k]) / span : 1.0;
    return segment(e->pts[k].value, e->pts[k + 1].value, x, e->pts[k + 1].shape, e->lnr[k + 1],
                   e->db);
}

double md_envelope_value(const md_env_point *pts, unsigned count, double t, unsigned flags)
{
    if (count == 0)
        return NAN;
    if (t < pts[0].time_s)
        return pts[0].value;
    unsigned k = 0;
    while (k + 1 < count && pts[k + 1].time_s <= t)
        k++;
    if (k + 1 >= count)
        return pts[count - 1].value;
    double a = pts[k].value, b = pts[k + 1].value;
    double span = pts[k + 1].time_s - pts[k].time_s;
    double x = span > 0 ? (t - pts[k].time_s) / span : 1.0;
    double lnr = (a != 0 && b / a > 0) ? log(b / a) : 0.0;
    return segment(a, b, x, pts[k + 1].shape, lnr, (flags & MD_PARAM_DB) != 0);
}

unsigned md_node_input_latency(const md_node *n)
{
    unsigned own = md_node_latency(n);
    return n->path_latency > own ? n->path_latency - own : 0;
}

int64_t md_node_position(const md_node *n) { return n->frame_pos; }

int mdi_automation_fill(md_node *n, unsigned idx, float *dst, unsigned frames, int as_linear)
{
    mdi_env *e = find_env(n, idx);
    if (!e)
        return 0;
    e->per_sample = 1;
    double p0 = (double)(n->frame_pos - (int64_t)md_node_input_latency(n));
    for (unsigned i = 0; i < frames; i++) {
        double v = env_at(e, p0 + i);
        /* 10^(v/20), the same conversion md_node_fill_param makes */
        dst[i] = (float)(as_linear ? pow(10.0, v / 20.0) : v);
    }
    return 1;
}

/* --- process with control-rate updates ------------------------------------------ */

/* Sets the control-rate parameters to their values at timeline frame t;
 * update() when one changed. */
static void set_control(md_node *n, mdi_automation *a, int64_t t)
{
    int changed = 0;
    for (unsigned i = 0; i < a->count; i++) {
        mdi_env *e = &a->env[i];
        if (e->per_sample)
            continue;
        double v = env_at(e, (double)t);
        if (v != n->values[e->param]) {
            n->values[e->param] = v;
            changed = 1;
        }
    }
    if (changed && n->vt->update)
        n->vt->update(n);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

void mdi_node_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    mdi_automation *a = n->autom;
    if (!a || a->control == 0 || frames == 0) {
        n->vt->process(n, in, out, frames);
        n->frame_pos += frames;
        return;
    }
    const float *ip[2 * MD_MAX_CHANNELS];
    float *op[MD_MAX_CHANNELS];
    unsigned nin = n->in.channels + n->sc_channels, nout = n->out.channels;
    const int64_t B = MD_AUTOMATION_BLOCK;
    unsigned done = 0;
    while (done < frames) {
        int64_t t = n->frame_pos - (int64_t)md_node_input_latency(n);
        int64_t start = floor_div(t, B) * B;
        unsigned len = (unsigned)(start + B - t);
        if (len > frames - done)
            len = frames - done;
        set_control(n, a, start);
        for (unsigned c = 0; c < nin; c++)
            ip[c] = in[c] + done;
        for (unsigned c = 0; c < nout; c++)
            op[c] = out[c] + done;
        n->vt->process(n, ip, op, len);
        n->frame_pos += len;
        done += len;
        if (a->probing) {
            /* the node has shown which parameters it reads per sample */
            a->probing = 0;
            count_control(a);
            if (a->control == 0 && done < frames) {
                for (unsigned c = 0; c < nin; c++)
                    ip[c] = in[c] + done;
                for (unsigned c = 0; c < nout; c++)
                    op[c] = out[c] + done;
                n->vt->process(n, ip, op, frames - done);
                n->frame_pos += frames - done;
                return;
            }
        }
    }
}

/* --- attaching ---------------------------------------------------------------------- */

static void fmt_num(char *buf, size_t size, double v) { snprintf(buf, size, "%.10g", v); }

static md_status check_points(const md_node *n, const md_param_desc *p, const md_env_point *pts,
                              unsigned count, md_error *err)
{
    const char *nm = n->vt->name;
    char a[32], b[32], got[32], when[32];
    for (unsigned k = 0; k < count; k++) {
        double t = pts[k].time_s, v = pts[k].value;
        fmt_num(when, sizeof when, t);
        if (!(isfinite(t) && t >= 0))
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: %s: envelope point %u: time must be a finite number of "
                                "seconds >= 0, got %s",
                                nm, p->name, k + 1, when);
        if (k > 0 && t < pts[k - 1].time_s)
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: %s: envelope point %u: times must not decrease, got %s s "
                                "after %.10g s",
                                nm, p->name, k + 1, when, pts[k - 1].time_s);
        if ((unsigned)pts[k].shape > MD_ENV_HOLD)
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: %s: envelope point %u: unknown segment shape %d", nm,
                                p->name, k + 1, (int)pts[k].shape);
        fmt_num(got, sizeof got, v);
        fmt_num(a, sizeof a, p->min);
        fmt_num(b, sizeof b, p->max);
        if (!isfinite(v))
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: %s must be a finite number, got %s (envelope at %s s)", nm,
                                p->name, got, when);
        if (v < p->min || v > p->max)
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: %s must be within %s..%s%s%s, got %s (envelope at %s s)", nm,
                                p->name, a, b, *p->unit ? " " : "", p->unit, got, when);
        if (k > 0 && pts[k].shape == MD_ENV_EXP && !(p->flags & MD_PARAM_DB) &&
            !(pts[k - 1].value != 0 && v / pts[k - 1].value > 0))
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: %s: an exp segment needs two values of one sign, not zero, "
                                "got %.10g and %s (envelope at %.10g..%s s)",
                                nm, p->name, pts[k - 1].value, got, pts[k - 1].time_s, when);
    }
    return MD_OK;
}

md_status md_node_automate(md_node *n, const char *name, const md_env_point *pts, unsigned count,
                           md_error *err)
{
    const md_node_vtable *vt = n->vt;
    int idx = md_param_find(vt->params, name);
    if (idx < 0) {
        const char *s = md_param_suggest(vt->params, name);
        if (s)
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: unknown parameter '%s' (did you mean '%s'?)", vt->name, name,
                                s);
        return md_error_set(err, MD_ERR_INVALID, "%s: unknown parameter '%s'", vt->name, name);
    }
    const md_param_desc *p = &vt->params[idx];
    if (vt->flags & (MD_NODE_SOURCE | MD_NODE_SINK | MD_NODE_CHANGES_RATE))
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: %s cannot be automated: only processors that keep the rate "
                            "take envelopes",
                            vt->name, name);
    if (p->type != MD_PT_NUMBER)
        return md_error_set(err, MD_ERR_INVALID, "%s: %s cannot be automated: envelopes need a number, its type is %s",
                            vt->name, name, md_param_type_name(p->type));
    if (count > MD_ENV_MAX_POINTS)
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: %s: an envelope holds at most %u points, got %u", vt->name, name,
                            MD_ENV_MAX_POINTS, count);
    mdi_env *old = find_env(n, (unsigned)idx);
    if (count == 0) {
        if (old) {
            mdi_automation *a = n->autom;
            n->values[idx] = old->before;
            n->dirty = 1;
            env_free(old);
            *old = a->env[--a->count];
            count_control(a);
        }
        return MD_OK;
    }
    md_status s = check_points(n, p, pts, count, err);
    if (s != MD_OK)
        return s;

    mdi_env e = {0};
    e.param = (unsigned)idx;
    e.count = count;
    e.db = (p->flags & MD_PARAM_DB) != 0;
    e.before = old ? old->before : n->values[idx];
    e.pts = malloc(sizeof *e.pts * count);
    e.at = malloc(sizeof *e.at * count);
    e.lnr = calloc(count, sizeof *e.lnr);
    if (!n->autom)
        n->autom = calloc(1, sizeof *n->autom);
    mdi_automation *a = n->autom;
    if (!e.pts || !e.at || !e.lnr || !a) {
        env_free(&e);
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory for an envelope", vt->name);
    }
    if (!old) {
        mdi_env *grown = realloc(a->env, sizeof *grown * (a->count + 1));
        if (!grown) {
            env_free(&e);
            return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory for an envelope", vt->name);
        }
        a->env = grown;
        old = &a->env[a->count++];
    } else {
        env_free(old);
    }
    memcpy(e.pts, pts, sizeof *e.pts * count);
    for (unsigned k = 1; k < count; k++)
        if (pts[k].shape == MD_ENV_EXP && !e.db)
            e.lnr[k] = log(pts[k].value / pts[k - 1].value);
    env_times(&e, n->prepared ? n->in.rate_hz : 0.0);
    *old = e;
    /* prepare() and anything reading the plain value see where it starts */
    n->values[idx] = pts[0].value;
    n->isset[idx] = 1;
    n->dirty = 1;
    a->probing = 1;
    for (unsigned i = 0; i < a->count; i++)
        a->env[i].per_sample = 0;
    count_control(a);
    return MD_OK;
}

int md_node_automated(const md_node *n, const char *name)
{
    int idx = md_param_find(n->vt->params, name);
    return idx >= 0 && find_env(n, (unsigned)idx) != NULL;
}

double md_node_span(const md_node *n)
{
    const md_graph *g = n->graph;
    if (!g || !g->compiled)
        return -1.0;
    int64_t longest = 0;
    for (unsigned k = 0; k < g->norder; k++) {
        const md_node *s = g->order[k];
        if (!(s->vt->flags & MD_NODE_SOURCE))
            continue;
        int64_t len = s->vt->length ? s->vt->length(s) : -1;
        if (len < 0)
            return -1.0;
        if (len > longest)
            longest = len;
    }
    return (double)longest / g->rate_hz;
}
