/* node.c - node instances: parameter storage, validation, smoothing, and the
 * standalone prepare/run API used by tests and meters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"

static void fmt_num(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.10g", v);
}

md_status mdi_node_init(md_node *n, const md_node_vtable *vt, md_error *err)
{
    memset(n, 0, sizeof *n);
    n->vt = vt;
    n->order = -1;
    n->buf = -1;
    n->nparams = md_param_count(vt->params);
    unsigned np = n->nparams ? n->nparams : 1;
    n->values = calloc(np, sizeof *n->values);
    n->isset = calloc(np, 1);
    n->strings = calloc(np, sizeof *n->strings);
    n->lists = calloc(np, sizeof *n->lists);
    n->refs = calloc(np, sizeof *n->refs);
    n->smooth = calloc(np, sizeof *n->smooth);
    n->priv = vt->priv_size ? md_aligned_alloc(vt->priv_size) : NULL;
    if (!n->values || !n->isset || !n->strings || !n->lists || !n->refs || !n->smooth ||
        (vt->priv_size && !n->priv)) {
        mdi_node_deinit(n);
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", vt->name);
    }
    for (unsigned i = 0; i < n->nparams; i++) {
        n->values[i] = vt->params[i].def;
        n->smooth[i] = NAN;
    }
    snprintf(n->label, sizeof n->label, "%s", vt->name);
    n->dirty = 1;
    return MD_OK;
}

void mdi_node_deinit(md_node *n)
{
    if (!n->vt)
        return;
    if (n->prepared)
        mdi_node_release(n);
    for (unsigned i = 0; i < n->nparams; i++) {
        if (n->strings)
            free(n->strings[i]);
        if (n->lists) {
            free(n->lists[i].v);
            free(n->lists[i].set);
        }
    }
    free(n->values);
    free(n->isset);
    free(n->strings);
    free(n->lists);
    free(n->refs);
    free(n->smooth);
    mdi_automation_free(n); /* envelopes (automation.c) */
    md_aligned_free(n->priv);
    for (unsigned i = 0; i < n->ninputs; i++)
        md_buffer_deinit(&n->inputs[i].delay);
    free(n->inputs);
    memset(n, 0, sizeof *n);
}

md_status mdi_node_prepare(md_node *n, const md_stream *in, md_error *err)
{
    if (n->prepared)
        mdi_node_release(n);
    n->in = *in;
    n->out = *in;
    if (n->vt->prepare) {
        md_status s = n->vt->prepare(n, &n->in, &n->out, err);
        if (s != MD_OK)
            return s;
    }
    if (n->out.channels == 0 || n->out.channels > MD_MAX_CHANNELS) {
        if (n->vt->release)
            n->vt->release(n);
        return md_error_set(err, MD_ERR_GRAPH, "%s: cannot produce %u channels", n->vt->name,
                            n->out.channels);
    }
    n->prepared = 1;
    for (unsigned i = 0; i < n->nparams; i++)
        n->smooth[i] = NAN;
    mdi_automation_prepare(n); /* envelope times in frames; frame counter to 0 */
    n->dirty = 0;
    if (n->vt->update)
        n->vt->update(n);
    if (n->vt->reset)
        n->vt->reset(n);
    return MD_OK;
}

void mdi_node_release(md_node *n)
{
    if (n->prepared && n->vt->release)
        n->vt->release(n);
    n->prepared = 0;
}

void mdi_node_update_if_dirty(md_node *n)
{
    if (n->dirty && n->prepared) {
        n->dirty = 0;
        if (n->vt->update)
            n->vt->update(n);
    }
}

/* --- accessors ------------------------------------------------------------ */

void *md_node_priv(const md_node *n) { return n->priv; }
const md_node_vtable *md_node_type(const md_node *n) { return n->vt; }
const char *md_node_name(const md_node *n) { return n->vt->name; }
const md_stream *md_node_in(const md_node *n) { return &n->in; }
const md_stream *md_node_out(const md_node *n) { return &n->out; }
unsigned md_node_sidechain_channels(const md_node *n) { return n->sc_channels; }
double md_node_value(const md_node *n, unsigned idx) { return n->values[idx]; }
int md_node_isset(const md_node *n, unsigned idx) { return n->isset[idx]; }

const char *md_node_string(const md_node *n, unsigned idx)
{
    return n->strings[idx] ? n->strings[idx] : "";
}

unsigned md_node_list_count(const md_node *n, unsigned idx) { return n->lists[idx].count; }

double md_node_list_value(const md_node *n, unsigned idx, unsigned item, unsigned field)
{
    const md_param_desc *p = &n->vt->params[idx];
    unsigned nf = md_param_count(p->fields);
    if (item >= n->lists[idx].count || field >= nf)
        return p->fields[field].def;
    return n->lists[idx].v[item * nf + field];
}

int md_node_list_isset(const md_node *n, unsigned idx, unsigned item, unsigned field)
{
    unsigned nf = md_param_count(n->vt->params[idx].fields);
    if (item >= n->lists[idx].count || field >= nf)
        return 0;
    return n->lists[idx].set[item * nf + field];
}

void md_node_fill_param(md_node *n, unsigned idx, float *dst, unsigned frames, int as_linear)
{
    /* an envelope on this parameter (automation.c) replaces the smoothed
     * value: evaluated at each frame's absolute position, no glide */
    if (n->autom && mdi_automation_fill(n, idx, dst, frames, as_linear))
        return;
    double target = n->values[idx];
    if (as_linear)
        target = pow(10.0, target / 20.0);
    double cur = n->smooth[idx];
    if (isnan(cur))
        cur = target; /* first block: start at the value, no glide */
    if (fabs(cur - target) <= 1e-9 * (fabs(target) + 1e-30)) {
        for (unsigned i = 0; i < frames; i++)
            dst[i] = (float)target;
        n->smooth[idx] = target;
        return;
    }
    /* one-pole glide, time constant 10 ms, decided per sample (snapping to
     * the target included) so the result does not depend on how the stream
     * is cut into blocks */
    double a = exp(-1.0 / (0.010 * n->out.rate_hz));
    double eps = 1e-7 * (fabs(target) + 1e-30);
    unsigned i = 0;
    for (; i < frames; i++) {
        cur = target + (cur - target) * a;
        if (fabs(cur - target) <= eps) {
            cur = target;
            break;
        }
        dst[i] = (float)cur;
    }
    for (; i < frames; i++)
        dst[i] = (float)target;
    n->smooth[idx] = cur;
}

/* --- setting parameters ----------------------------------------------------- */

static md_status find_param(const md_node *n, const md_param_desc *params, const char *name,
                            int *idx, md_error *err)
{
    *idx = md_param_find(params, name);
    if (*idx >= 0)
        return MD_OK;
    const char *s = md_param_suggest(params, name);
    if (s)
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: unknown parameter '%s' (did you mean '%s'?)", n->vt->name, name,
                            s);
    return md_error_set(err, MD_ERR_INVALID, "%s: unknown parameter '%s'", n->vt->name, name);
}

/* Checks v against p; where is "compressor: ratio" or "eq: band 2 freq". */
static md_status check_number(const md_param_desc *p, const char *where, double v,
                              md_error *err)
{
    char a[32], b[32], got[32];
    fmt_num(got, sizeof got, v);
    if (isnan(v) && (p->flags & MD_PARAM_AUTO))
        return MD_OK;
    switch (p->type) {
    case MD_PT_BOOL:
        if (!(v == 0.0 || v == 1.0))
            return md_error_set(err, MD_ERR_INVALID, "%s must be true or false, got %s", where,
                                got);
        return MD_OK;
    case MD_PT_ENUM:
        return md_error_set(err, MD_ERR_INVALID, "%s must be a name, got %s", where, got);
    case MD_PT_STRING:
        return md_error_set(err, MD_ERR_INVALID, "%s must be a string, got %s", where, got);
    case MD_PT_LIST:
    case MD_PT_NODE:
        return md_error_set(err, MD_ERR_INVALID, "%s must be a %s, got %s", where,
                            md_param_type_name(p->type), got);
    default:
        break;
    }
    if (!isfinite(v))
        return md_error_set(err, MD_ERR_INVALID, "%s must be a finite number, got %s", where,
                            got);
    if (p->type == MD_PT_INT && v != floor(v))
        return md_error_set(err, MD_ERR_INVALID, "%s must be a whole number, got %s", where,
                            got);
    fmt_num(a, sizeof a, p->min);
    fmt_num(b, sizeof b, p->max);
    if (v < p->min)
        return md_error_set(err, MD_ERR_INVALID, "%s must be >= %s%s%s (range %s..%s), got %s",
                            where, a, *p->unit ? " " : "", p->unit, a, b, got);
    if (v > p->max)
        return md_error_set(err, MD_ERR_INVALID, "%s must be <= %s%s%s (range %s..%s), got %s",
                            where, b, *p->unit ? " " : "", p->unit, a, b, got);
    return MD_OK;
}

static md_status check_choice(const md_param_desc *p, const char *where, const char *s,
                              double *out, md_error *err)
{
    if (p->type == MD_PT_ENUM) {
        int c = md_param_choice(p, s);
        if (c >= 0) {
            *out = c;
            return MD_OK;
        }
        char list[256] = "";
        for (unsigned i = 0; p->choices[i]; i++) {
            if (i)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, p->choices[i], sizeof list - strlen(list) - 1);
        }
        return md_error_set(err, MD_ERR_INVALID, "%s must be one of %s, got '%s'", where, list, s);
    }
    if ((p->flags & MD_PARAM_AUTO) && strcmp(s, "auto") == 0) {
        *out = NAN;
        return MD_OK;
    }
    if (p->type == MD_PT_BOOL) {
        if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
            *out = s[0] == 't';
            return MD_OK;
        }
    }
    /* a number written as text ("3", "-1.5") is accepted for numeric params */
    if (p->type == MD_PT_NUMBER || p->type == MD_PT_INT) {
        char *end;
        double v = strtod(s, &end);
        if (end != s && *end == '\0') {
            *out = v;
            return check_number(p, where, v, err);
        }
    }
    return md_error_set(err, MD_ERR_INVALID, "%s must be a %s%s, got '%s'", where,
                        md_param_type_name(p->type),
                        (p->flags & MD_PARAM_AUTO) ? " or \"auto\"" : "", s);
}

md_status md_node_set_number(md_node *n, const char *name, double v, md_error *err)
{
    int i;
    md_status s = find_param(n, n->vt->params, name, &i, err);
    if (s != MD_OK)
        return s;
    char where[96];
    snprintf(where, sizeof where, "%s: %s", n->vt->name, name);
    if ((s = check_number(&n->vt->params[i], where, v, err)) != MD_OK)
        return s;
    n->values[i] = v;
    n->isset[i] = 1;
    n->dirty = 1;
    return MD_OK;
}

md_status md_node_set_string(md_node *n, const char *name, const char *str, md_error *err)
{
    int i;
    md_status s = find_param(n, n->vt->params, name, &i, err);
    if (s != MD_OK)
        return s;
    const md_param_desc *p = &n->vt->params[i];
    if (p->type == MD_PT_STRING) {
        char *copy = strdup(str);
        if (!copy)
            return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", n->vt->name);
        free(n->strings[i]);
        n->strings[i] = copy;
    } else {
        char where[96];
        snprintf(where, sizeof where, "%s: %s", n->vt->name, name);
        double v;
        if ((s = check_choice(p, where, str, &v, err)) != MD_OK)
            return s;
        n->values[i] = v;
    }
    n->isset[i] = 1;
    n->dirty = 1;
    return MD_OK;
}

md_status md_node_set_list_count(md_node *n, const char *name, unsigned count, md_error *err)
{
    int i;
    md_status s = find_param(n, n->vt->params, name, &i, err);
    if (s != MD_OK)
        return s;
    const md_param_desc *p = &n->vt->params[i];
    if (p->type != MD_PT_LIST)
        return md_error_set(err, MD_ERR_INVALID, "%s: %s is not a list", n->vt->name, name);
    if (count > p->max_items)
        return md_error_set(err, MD_ERR_INVALID, "%s: %s takes at most %u items, got %u",
                            n->vt->name, name, p->max_items, count);
    unsigned nf = md_param_count(p->fields);
    double *v = calloc((size_t)count * nf + 1, sizeof *v);
    unsigned char *set = calloc((size_t)count * nf + 1, 1);
    if (!v || !set) {
        free(v);
        free(set);
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", n->vt->name);
    }
    for (unsigned k = 0; k < count; k++)
        for (unsigned f = 0; f < nf; f++)
            v[k * nf + f] = p->fields[f].def;
    free(n->lists[i].v);
    free(n->lists[i].set);
    n->lists[i].v = v;
    n->lists[i].set = set;
    n->lists[i].count = count;
    n->isset[i] = 1;
    n->dirty = 1;
    return MD_OK;
}

static md_status find_field(md_node *n, const char *name, unsigned item, const char *field,
                            int *pi, int *pf, char *where, size_t wsize, md_error *err)
{
    md_status s = find_param(n, n->vt->params, name, pi, err);
    if (s != MD_OK)
        return s;
    const md_param_desc *p = &n->vt->params[*pi];
    if (p->type != MD_PT_LIST)
        return md_error_set(err, MD_ERR_INVALID, "%s: %s is not a list", n->vt->name, name);
    if (item >= n->lists[*pi].count)
        return md_error_set(err, MD_ERR_INVALID, "%s: %s has no item %u", n->vt->name, name,
                            item + 1);
    *pf = md_param_find(p->fields, field);
    if (*pf < 0) {
        const char *sug = md_param_suggest(p->fields, field);
        if (sug)
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: unknown field '%s' in %s item %u (did you mean '%s'?)",
                                n->vt->name, field, name, item + 1, sug);
        return md_error_set(err, MD_ERR_INVALID, "%s: unknown field '%s' in %s item %u",
                            n->vt->name, field, name, item + 1);
    }
    snprintf(where, wsize, "%s: %s %u: %s", n->vt->name, name, item + 1, field);
    return MD_OK;
}

md_status md_node_set_item_number(md_node *n, const char *name, unsigned item, const char *field,
                                  double v, md_error *err)
{
    int pi = 0, pf = 0;
    char where[128];
    md_status s = find_field(n, name, item, field, &pi, &pf, where, sizeof where, err);
    if (s != MD_OK)
        return s;
    const md_param_desc *fd = &n->vt->params[pi].fields[pf];
    if ((s = check_number(fd, where, v, err)) != MD_OK)
        return s;
    unsigned nf = md_param_count(n->vt->params[pi].fields);
    n->lists[pi].v[item * nf + pf] = v;
    n->lists[pi].set[item * nf + pf] = 1;
    n->dirty = 1;
    return MD_OK;
}

md_status md_node_set_item_string(md_node *n, const char *name, unsigned item, const char *field,
                                  const char *str, md_error *err)
{
    int pi = 0, pf = 0;
    char where[128];
    md_status s = find_field(n, name, item, field, &pi, &pf, where, sizeof where, err);
    if (s != MD_OK)
        return s;
    const md_param_desc *fd = &n->vt->params[pi].fields[pf];
    double v;
    if ((s = check_choice(fd, where, str, &v, err)) != MD_OK)
        return s;
    unsigned nf = md_param_count(n->vt->params[pi].fields);
    n->lists[pi].v[item * nf + pf] = v;
    n->lists[pi].set[item * nf + pf] = 1;
    n->dirty = 1;
    return MD_OK;
}

md_status md_node_set_node(md_node *n, const char *name, md_node *ref, md_error *err)
{
    int i;
    md_status s = find_param(n, n->vt->params, name, &i, err);
    if (s != MD_OK)
        return s;
    if (n->vt->params[i].type != MD_PT_NODE)
        return md_error_set(err, MD_ERR_INVALID, "%s: %s does not take a node", n->vt->name,
                            name);
    if (ref == n)
        return md_error_set(err, MD_ERR_GRAPH, "%s: %s cannot be the node itself", n->vt->name,
                            name);
    if (n->graph && ref && ref->graph != n->graph)
        return md_error_set(err, MD_ERR_GRAPH, "%s: %s belongs to another graph", n->vt->name,
                            name);
    n->refs[i] = ref;
    n->isset[i] = 1;
    return MD_OK;
}

md_status md_node_get_number(const md_node *n, const char *name, double *v, md_error *err)
{
    int i;
    md_status s = find_param(n, n->vt->params, name, &i, err);
    if (s != MD_OK)
        return s;
    *v = n->values[i];
    return MD_OK;
}

void mdi_param_format(const md_node *n, unsigned idx, char *buf, unsigned size)
{
    const md_param_desc *p = &n->vt->params[idx];
    switch (p->type) {
    case MD_PT_ENUM:
        snprintf(buf, size, "%s", p->choices[(int)n->values[idx]]);
        break;
    case MD_PT_BOOL:
        snprintf(buf, size, "%s", n->values[idx] != 0 ? "true" : "false");
        break;
    case MD_PT_STRING:
        snprintf(buf, size, "%s", md_node_string(n, idx));
        break;
    case MD_PT_LIST:
        snprintf(buf, size, "%u item%s", n->lists[idx].count, n->lists[idx].count == 1 ? "" : "s");
        break;
    case MD_PT_NODE:
        snprintf(buf, size, "%s", n->refs[idx] ? n->refs[idx]->label : "none");
        break;
    default:
        if (isnan(n->values[idx]))
            snprintf(buf, size, "auto");
        else
            snprintf(buf, size, "%.6g%s%s", n->values[idx], *p->unit ? " " : "", p->unit);
    }
}

/* --- standalone nodes (tests, meters) ----------------------------------------- */

md_node *md_node_create(const md_node_vtable *vt, md_error *err)
{
    md_node *n = calloc(1, sizeof *n);
    if (!n) {
        md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", vt->name);
        return NULL;
    }
    if (mdi_node_init(n, vt, err) != MD_OK) {
        free(n);
        return NULL;
    }
    return n;
}

void md_node_destroy(md_node *n)
{
    if (!n)
        return;
    mdi_node_deinit(n);
    free(n);
}

md_status md_node_prepare(md_node *n, const md_stream *in, md_error *err)
{
    n->sc_channels = 0;
    return mdi_node_prepare(n, in, err);
}

md_status md_node_prepare_sc(md_node *n, const md_stream *in, unsigned sc_channels,
                             md_error *err)
{
    n->sc_channels = sc_channels;
    return mdi_node_prepare(n, in, err);
}

void md_node_run(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    mdi_node_update_if_dirty(n);
    if (n->vt->process)
        mdi_node_process(n, in, out, frames); /* process + automation + frame counter */
    else if (in != (const float *const *)out)
        for (unsigned c = 0; c < n->out.channels; c++)
            memmove(out[c], in[c], frames * sizeof(float));
}

void md_node_reset(md_node *n)
{
    for (unsigned i = 0; i < n->nparams; i++)
        n->smooth[i] = NAN;
    mdi_automation_rewind(n); /* envelopes and frame counter back to frame 0 */
    if (n->vt->reset)
        n->vt->reset(n);
}

unsigned md_node_latency(const md_node *n) { return n->vt->latency ? n->vt->latency(n) : 0; }
unsigned md_node_tail(const md_node *n) { return n->vt->tail ? n->vt->tail(n) : 0; }
