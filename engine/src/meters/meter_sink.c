/* meter_sink.c - `meter`: a sink that measures what reaches it (md_analyzer),
 * so any point of a graph can be measured during a render. With plots = true
 * it also keeps what a report draws (plots.h): the long-term spectrum, the
 * loudness series and the waveform envelope, in memory fixed at prepare. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../internal.h"
#include "mixdown/md_analyze.h"
#include "mixdown/md_meter.h"
#include "plots.h"

enum { P_TRUE_PEAK, P_LABEL, P_PLOTS };

static const md_param_desc meter_params[] = {
    [P_TRUE_PEAK] = {"true_peak", "", 0, 1, 1, "measure true peak (4x oversampling; costs time)",
                     MD_PT_BOOL},
    [P_LABEL] = {"name", "", 0, 0, 0, "a name for reports", MD_PT_STRING},
    [P_PLOTS] = {"plots", "", 0, 1, 0,
                 "also keep the spectrum, 1/3-octave bands, loudness series and waveform "
                 "envelope for reports",
                 MD_PT_BOOL},
    {NULL},
};

typedef struct meter_priv {
    md_analyzer *a;
    md_analyze_series_fn series;
    void *series_user;
    /* plots = true */
    mdi_spectrum *spec;
    mdi_series loud;    /* v[0] momentary, v[1] short-term: maximum per point */
    mdi_envelope env;
    int plots;
} meter_priv;

/* the analyzer's series callback: record for plots, then the user's */
static void on_series(void *user, double t, double m, double s)
{
    meter_priv *p = user;
    if (p->plots)
        mdi_series_push(&p->loud, t, m, s, 1);
    if (p->series)
        p->series(p->series_user, t, m, s);
}

static void free_plots(meter_priv *p)
{
    mdi_spectrum_destroy(p->spec);
    p->spec = NULL;
    mdi_series_deinit(&p->loud);
    mdi_envelope_deinit(&p->env);
    p->plots = 0;
}

static md_status meter_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    meter_priv *p = md_node_priv(n);
    (void)out;
    md_analyzer_destroy(p->a);
    unsigned flags = md_node_value(n, P_TRUE_PEAK) != 0 ? 0 : MD_ANALYZE_NO_TRUE_PEAK;
    p->a = md_analyzer_create(in->rate_hz, in->channels, NULL, flags, err);
    if (!p->a)
        return err ? err->status : MD_ERR_NOMEM;
    free_plots(p);
    if (md_node_value(n, P_PLOTS) != 0) {
        md_status s;
        p->spec = mdi_spectrum_create(in->rate_hz, in->channels, err);
        if (!p->spec)
            return err ? err->status : MD_ERR_NOMEM;
        if ((s = mdi_series_init(&p->loud, MD_METER_SERIES_MAX, 1, 1, err)) != MD_OK ||
            (s = mdi_envelope_init(&p->env, in->rate_hz, in->channels, err)) != MD_OK) {
            free_plots(p);
            return s;
        }
        p->plots = 1;
    }
    if (p->series || p->plots)
        md_analyzer_set_series(p->a, on_series, p);
    return MD_OK;
}

static void meter_release(md_node *n)
{
    meter_priv *p = md_node_priv(n);
    md_analyzer_destroy(p->a);
    p->a = NULL;
    free_plots(p);
}

static md_status meter_consume(md_node *n, const float *const *in, unsigned frames, md_error *err)
{
    meter_priv *p = md_node_priv(n);
    if (p->plots) {
        mdi_spectrum_add(p->spec, in, frames);
        mdi_envelope_add(&p->env, in, frames);
    }
    return md_analyzer_add(p->a, in, frames, err);
}

const md_node_vtable md_node_meter = {
    .name = "meter",
    .doc = "Measures what reaches it: loudness (BS.1770-4 / EBU R128), true and sample peak, "
           "RMS, crest, DC, clipping, correlation. x:meter() returns it; after g:run(), "
           "m:result() gives the figures. With plots = true, m:spectrum(), m:bands(), "
           "m:series() and m:envelope() give what a report draws.",
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
        md_analyzer_set_series(p->a, fn || p->plots ? on_series : NULL, p);
}

/* ------------------------------------------------------------ plots */

static meter_priv *plots_of(const md_node *n, md_error *err)
{
    if (!n || md_node_type(n) != &md_node_meter) {
        md_error_set(err, MD_ERR_INVALID, "meter: not a meter node");
        return NULL;
    }
    meter_priv *p = md_node_priv(n);
    if (!p->a) {
        md_error_set(err, MD_ERR_STATE, "meter: nothing measured yet (run the graph)");
        return NULL;
    }
    if (!p->plots) {
        md_error_set(err, MD_ERR_STATE,
                     "meter: plots were not kept (create the meter with plots = true)");
        return NULL;
    }
    return p;
}

/* sine calibration of a bin: Hann's noise bandwidth is 1.5 bins, and a sine of
 * peak A has mean square A^2 / 2 */
#define BIN_TO_SINE 3.0

md_status md_meter_spectrum(const md_node *n, double *db, unsigned capacity, unsigned *bins,
                            double *bin_hz, md_error *err)
{
    meter_priv *p = plots_of(n, err);
    if (!p)
        return err ? err->status : MD_ERR_STATE;
    unsigned nb = mdi_spectrum_bins(p->spec);
    if (bins)
        *bins = nb;
    if (bin_hz)
        *bin_hz = mdi_spectrum_bin_hz(p->spec);
    if (!db)
        return MD_OK;
    if (capacity < nb)
        return md_error_set(err, MD_ERR_INVALID, "meter: spectrum needs %u values, got room for %u",
                            nb, capacity);
    mdi_spectrum_power(p->spec, db);
    for (unsigned k = 0; k < nb; k++)
        db[k] = db[k] > 0.0 ? 10.0 * log10(BIN_TO_SINE * db[k]) : NAN;
    return MD_OK;
}

md_status md_meter_bands(const md_node *n, md_meter_band_levels *out, md_error *err)
{
    meter_priv *p = plots_of(n, err);
    if (!p)
        return err ? err->status : MD_ERR_STATE;
    unsigned nb = mdi_spectrum_bins(p->spec);
    double *power = malloc(sizeof(double) * nb);
    if (!power)
        return md_error_set(err, MD_ERR_NOMEM, "meter: out of memory");
    mdi_spectrum_power(p->spec, power);
    double bp[MDI_BANDS];
    mdi_bands_from_power(power, nb, mdi_spectrum_bin_hz(p->spec), out->exact_hz, bp);
    free(power);
    for (unsigned b = 0; b < MD_METER_BANDS; b++) {
        out->nominal_hz[b] = mdi_band_nominal_hz(b);
        /* band power re a full-scale sine's mean square (1/2) */
        out->db[b] = bp[b] > 0.0 ? 10.0 * log10(2.0 * bp[b]) : NAN;
    }
    return MD_OK;
}

static double lin_db(double x, double scale)
{
    return x > 0.0 ? scale * log10(x) : NAN;
}

md_status md_meter_series(const md_node *n, md_meter_loudness_point *pts, unsigned capacity,
                          unsigned *count, md_error *err)
{
    meter_priv *p = plots_of(n, err);
    if (!p)
        return err ? err->status : MD_ERR_STATE;
    unsigned c = mdi_series_count(&p->loud);
    if (c > capacity)
        c = capacity;
    for (unsigned i = 0; i < c; i++) {
        uint64_t k;
        double m, s;
        mdi_series_get(&p->loud, i, &pts[i].t_s, &m, &s, &k);
        pts[i].momentary_lufs = isfinite(m) ? m : NAN;
        pts[i].short_term_lufs = isfinite(s) ? s : NAN;
    }
    *count = c;
    return MD_OK;
}

md_status md_meter_envelope(const md_node *n, md_meter_envelope_point *pts, unsigned capacity,
                            unsigned *count, double *column_s, md_error *err)
{
    meter_priv *p = plots_of(n, err);
    if (!p)
        return err ? err->status : MD_ERR_STATE;
    unsigned c = mdi_envelope_count(&p->env);
    if (c > capacity)
        c = capacity;
    for (unsigned i = 0; i < c; i++) {
        double pk, rms;
        mdi_envelope_get(&p->env, i, &pts[i].t_s, &pk, &rms);
        pts[i].peak_dbfs = lin_db(pk, 20.0);
        pts[i].rms_dbfs = lin_db(rms, 20.0);
    }
    *count = c;
    if (column_s)
        *column_s = (double)p->env.cols.per_point * MDI_ENV_FRAMES0 / p->env.rate_hz;
    return MD_OK;
}
