/* meter_series.c - time series in fixed memory for plots: loudness every
 * 100 ms and the waveform envelope, whatever the stream's length.
 *
 * A series has `cap` slots. Points are appended; when the slots are full,
 * neighbouring pairs merge (maximum, or sum for energies) and from then on
 * each new point gathers twice as many inputs. After any number of inputs
 * a series holds between cap/2 and cap points of equal span (the last one
 * possibly partial), so a plot of ~1000 pixel columns always has a point per
 * column and memory never grows. Merging by maximum keeps a series' maximum
 * equal to the maximum of everything pushed.
 */
#include "mixdown/md_buffer.h"
#include "plots.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double merge(int use_max, double a, double b)
{
    if (!use_max)
        return a + b;
    if (isnan(a))
        return b;
    if (isnan(b))
        return a;
    return a > b ? a : b;
}

md_status mdi_series_init(mdi_series *s, unsigned cap, int max0, int max1, md_error *err)
{
    memset(s, 0, sizeof *s);
    if (cap < 2 || cap % 2 != 0)
        return md_error_set(err, MD_ERR_INVALID, "series: capacity must be even and >= 2, got %u",
                            cap);
    s->cap = cap;
    s->max_merge[0] = max0;
    s->max_merge[1] = max1;
    s->t = malloc(sizeof(double) * cap);
    s->v[0] = malloc(sizeof(double) * cap);
    s->v[1] = malloc(sizeof(double) * cap);
    s->n = malloc(sizeof(uint64_t) * cap);
    if (!s->t || !s->v[0] || !s->v[1] || !s->n) {
        mdi_series_deinit(s);
        return md_error_set(err, MD_ERR_NOMEM, "series: out of memory");
    }
    mdi_series_clear(s);
    return MD_OK;
}

void mdi_series_deinit(mdi_series *s)
{
    free(s->t);
    free(s->v[0]);
    free(s->v[1]);
    free(s->n);
    memset(s, 0, sizeof *s);
}

static void pend_clear(mdi_series *s)
{
    s->pend_inputs = 0;
    s->pend_n = 0;
    for (int j = 0; j < 2; j++)
        s->pend_v[j] = s->max_merge[j] ? NAN : 0.0;
}

void mdi_series_clear(mdi_series *s)
{
    s->count = 0;
    s->per_point = 1;
    pend_clear(s);
}

static void halve(mdi_series *s)
{
    for (unsigned i = 0; i < s->cap / 2; i++) {
        unsigned a = 2 * i, b = 2 * i + 1;
        s->t[i] = s->t[b];
        for (int j = 0; j < 2; j++)
            s->v[j][i] = merge(s->max_merge[j], s->v[j][a], s->v[j][b]);
        s->n[i] = s->n[a] + s->n[b];
    }
    s->count = s->cap / 2;
    s->per_point *= 2;
}

void mdi_series_push(mdi_series *s, double t, double a, double b, uint64_t n)
{
    if (!s->t)
        return;
    double in[2] = {a, b};
    for (int j = 0; j < 2; j++)
        s->pend_v[j] =
            merge(s->max_merge[j], s->pend_v[j], !s->max_merge[j] && isnan(in[j]) ? 0.0 : in[j]);
    s->pend_t = t;
    s->pend_n += n;
    if (++s->pend_inputs < s->per_point)
        return;
    unsigned i = s->count++;
    s->t[i] = s->pend_t;
    s->v[0][i] = s->pend_v[0];
    s->v[1][i] = s->pend_v[1];
    s->n[i] = s->pend_n;
    pend_clear(s);
    if (s->count == s->cap)
        halve(s);
}

unsigned mdi_series_count(const mdi_series *s)
{
    return s->count + (s->pend_inputs > 0);
}

void mdi_series_get(const mdi_series *s, unsigned i, double *t, double *a, double *b, uint64_t *n)
{
    if (i < s->count) {
        *t = s->t[i];
        *a = s->v[0][i];
        *b = s->v[1][i];
        *n = s->n[i];
    } else {
        *t = s->pend_t;
        *a = s->pend_v[0];
        *b = s->pend_v[1];
        *n = s->pend_n;
    }
}

/* ------------------------------------------------------------ envelope */

md_status mdi_envelope_init(mdi_envelope *e, double rate_hz, unsigned channels, md_error *err)
{
    memset(e, 0, sizeof *e);
    e->rate_hz = rate_hz;
    e->channels = channels;
    return mdi_series_init(&e->cols, MDI_ENV_CAP, 1, 0, err);
}

void mdi_envelope_deinit(mdi_envelope *e)
{
    mdi_series_deinit(&e->cols);
}

static void close_column(mdi_envelope *e)
{
    mdi_series_push(&e->cols, (double)e->frames / e->rate_hz, e->peak, e->sum2,
                    (uint64_t)e->col_fill * e->channels);
    e->col_fill = 0;
    e->peak = 0.0f;
    e->sum2 = 0.0;
}

void mdi_envelope_add(mdi_envelope *e, const float *const *x, unsigned frames)
{
    unsigned done = 0;
    while (done < frames) {
        unsigned k = MDI_ENV_FRAMES0 - e->col_fill;
        if (k > frames - done)
            k = frames - done;
        float peak = e->peak;
        double sum2 = 0.0;
        for (unsigned c = 0; c < e->channels; c++) {
            const float *p = x[c] + done;
            float s2 = 0.0f;
            for (unsigned i = 0; i < k; i++) {
                float v = p[i];
                if (!isfinite(v))
                    continue;
                float a = fabsf(v);
                if (a > peak)
                    peak = a;
                s2 += v * v; /* at most 64 terms: float is exact enough */
            }
            sum2 += s2;
        }
        e->peak = peak;
        e->sum2 += sum2;
        e->col_fill += k;
        e->frames += k;
        done += k;
        if (e->col_fill == MDI_ENV_FRAMES0)
            close_column(e);
    }
}

unsigned mdi_envelope_count(const mdi_envelope *e)
{
    /* a base column still filling counts as a partial point */
    return mdi_series_count(&e->cols) + (e->col_fill > 0 && e->cols.pend_inputs == 0);
}

void mdi_envelope_get(const mdi_envelope *e, unsigned i, double *start_s, double *peak, double *rms)
{
    const mdi_series *s = &e->cols;
    double span = (double)s->per_point * MDI_ENV_FRAMES0;
    *start_s = i * span / e->rate_hz;
    double t, pk, sum2;
    uint64_t n;
    if (i < mdi_series_count(s)) {
        mdi_series_get(s, i, &t, &pk, &sum2, &n);
        if (i == s->count && e->col_fill > 0) {
            /* the partial point plus the base column still filling */
            pk = merge(1, pk, e->peak);
            sum2 += e->sum2;
            n += (uint64_t)e->col_fill * e->channels;
        }
    } else {
        pk = e->peak;
        sum2 = e->sum2;
        n = (uint64_t)e->col_fill * e->channels;
    }
    *peak = isnan(pk) ? 0.0 : pk;
    *rms = n > 0 ? sqrt(sum2 / (double)n) : 0.0;
}
