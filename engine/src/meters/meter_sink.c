/* meter_sink.c - `meter`: a sink that measures what reaches it (md_analyzer),
 * so any point of a graph can be measured during a render. */
#include <math.h>
#include <string.h>
#include "../internal.h"
#include "mixdown/md_analyze.h"
#include "mixdown/md_meter.h"

enum { P_TRUE_PEAK, P_LABEL };

static const md_param_desc meter_params[] = {
    [P_TRUE_PEAK] = {"true_peak", "", 0, 1, 1, "measure true peak (4x oversampling; costs time)",
                     MD_PT_BOOL},
    [P_LABEL] = {"name", "", 0, 0, 0, "a name for reports", MD_PT_STRING},
    {NULL},
};

typedef struct meter_priv {
    md_analyzer *a;
    md_analyze_series_fn series;
    void *series_user;
} meter_priv;

static md_status meter_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    meter_priv *p = md_node_priv(n);
    (void)out;
    md_analyzer_destroy(p->a);
    unsigned flags = md_node_value(n, P_TRUE_PEAK) != 0 ? 0 : MD_ANALYZE_NO_TRUE_PEAK;
    p->a = md_analyzer_create(in->rate_hz, in->channels, NULL, flags, err);
    if (!p->a)
        return err ? err->status : MD_ERR_NOMEM;
    if (p->series)
        md_analyzer_set_series(p->a, p->series, p->series_user);
    return MD_OK;
}

static void meter_release(md_node *n)
{
    meter_priv *p = md_node_priv(n);
    md_analyzer_destroy(p->a);
    p->a = NULL;
}

static md_status meter_consume(md_node *n, const float *const *in, unsigned frames, md_error *err)
{
    meter_priv *p = md_node_priv(n);
    return md_analyzer_add(p->a, in, frames, err);
}

const md_node_vtable md_node_meter = {
    .name = "meter",
    .doc = "Measures what reaches it: loudness (BS.1770-4 / EBU R128), true and sample peak, "
           "RMS, crest, DC, clipping, correlation. x:meter() returns it; after g:run(), "
           "m:result() gives the figures.",
    .params = meter_params,
    .priv_size = sizeof(meter_priv),
    .flags = MD_NODE_SINK,
    .inputs = 1,
    .prepare = meter_prepare,
    .release = meter_release,
    .consume = meter_consume,
};

md_status md_meter_result(const md_node *n, md_analysis *out, md_error *err)
{
    if (!n || md_node_type(n) != &md_node_meter)
        return md_error_set(err, MD_ERR_INVALID, "meter: not a meter node");
    meter_priv *p = md_node_priv(n);
    if (!p->a)
        return md_error_set(err, MD_ERR_STATE, "meter: nothing measured yet (run the graph)");
    md_status s = md_analyzer_result(p->a, out);
    if (s != MD_OK)
        return md_error_set(err, s, "meter: measurement failed");
    return MD_OK;
}

void md_meter_set_series(md_node *n, md_analyze_series_fn fn, void *user)
{
    if (!n || md_node_type(n) != &md_node_meter)
        return;
    meter_priv *p = md_node_priv(n);
    p->series = fn;
    p->series_user = user;
    if (p->a)
        md_analyzer_set_series(p->a, fn, user);
}
