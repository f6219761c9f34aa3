/* eq_dynamic.c - detector and gain computer of an eq's dynamic band (see
 * eq_dynamic.h). */
#include <math.h>
#include "dyn_common.h"
#include "eq_dynamic.h"

#define RMS_WINDOW_MS 20.0 /* as the compressor's rms detector */
#define FLUSH 1e-30

unsigned eqd_state_doubles(unsigned nch) { return 2 * nch; }

void eqd_setup(eqd_band *b, const mdi_bq_spec *spec, int source, unsigned nch,
               double thr_db, double ratio, double attack_ms, double release_ms, int rms,
               double rate_hz, double *z)
{
    /* the detector hears the band: a bell's bandpass (0 dB at freq, same q),
     * or the side of a shelf's midpoint that the shelf lifts or cuts */
    mdi_bq_spec d = {MDI_BQ_BANDPASS, spec->freq_hz, 0.0, spec->q};
    if (spec->type == MDI_BQ_LOWSHELF)
        d = (mdi_bq_spec){MDI_BQ_LOWPASS, spec->freq_hz, 0.0, 0.70710678118654752};
    else if (spec->type == MDI_BQ_HIGHSHELF)
        d = (mdi_bq_spec){MDI_BQ_HIGHPASS, spec->freq_hz, 0.0, 0.70710678118654752};
    mdi_bq_design(&b->det, &d, rate_hz);
    b->source = source;
    b->nch = source == EQD_ALL ? nch : 1;
    b->rms = rms;
    b->thr_db = (float)thr_db;
    b->slope = (float)(1.0 - 1.0 / ratio);
    b->range_db = (float)spec->gain_db;
    b->a_att = dyn_coef(attack_ms, rate_hz);
    b->a_rel = dyn_coef(release_ms, rate_hz);
    b->a_rms = dyn_coef(RMS_WINDOW_MS, rate_hz);
    b->z = z;
}

/* The static curve: the gain for a band level of l dB. */
static inline float curve(const eqd_band *b, float l)
{
    if (b->range_db < 0.0f) {
        float g = -(l - b->thr_db) * b->slope;
        return g >= 0.0f ? 0.0f : g < b->range_db ? b->range_db : g;
    }
    float g = (b->thr_db - l) * b->slope;
    return g <= 0.0f ? 0.0f : g > b->range_db ? b->range_db : g;
}

void eqd_reset(eqd_band *b)
{
    for (unsigned i = 0; i < 2 * b->nch; i++)
        b->z[i] = 0.0;
    b->ms = 0.0f;
    b->s1 = b->s2 = curve(b, DYN_FLOOR_DB * 4.0f); /* silence */
}

/* One channel of the detector filter (TDF2, double) over n frames. */
static void detect(const mdi_bq_coef *c, double *z, const float *x, float *y, unsigned n)
{
    double s1 = z[0], s2 = z[1];
    for (unsigned i = 0; i < n; i++) {
        double v = x[i];
        double o = c->b0 * v + s1;
        s1 = (c->b1 * v + s2) - c->a1 * o;
        s2 = c->b2 * v - c->a2 * o;
        y[i] = (float)o;
    }
    z[0] = s1;
    z[1] = s2;
}

/* Two channels in one loop: their recursions overlap in the pipeline. */
static void detect2(const mdi_bq_coef *c, double *z, const float *x0, const float *x1,
                    float *y0, float *y1, unsigned n)
{
    double s1 = z[0], s2 = z[1], t1 = z[2], t2 = z[3];
    for (unsigned i = 0; i < n; i++) {
        double v = x0[i], u = x1[i];
        double o = c->b0 * v + s1, p = c->b0 * u + t1;
        s1 = (c->b1 * v + s2) - c->a1 * o;
        t1 = (c->b1 * u + t2) - c->a1 * p;
        s2 = c->b2 * v - c->a2 * o;
        t2 = c->b2 * u - c->a2 * p;
        y0[i] = (float)o;
        y1[i] = (float)p;
    }
    z[0] = s1;
    z[1] = s2;
    z[2] = t1;
    z[3] = t2;
}

/* A non-finite input sample is forgotten, tiny states go (denormals ahead):
 * at step ends only, so that where the stream is cut into blocks never shows. */
static double flushed(double s) { return fabs(s) >= FLUSH && fabs(s) < 1e30 ? s : 0.0; }

void eqd_run(eqd_band *b, const float *const *in, unsigned frames, int step_end)
{
    float v[MDI_CASCADE_STEP] = {0}, y[MDI_CASCADE_STEP], w[MDI_CASCADE_STEP], x[MDI_CASCADE_STEP];
    if (frames > MDI_CASCADE_STEP)
        frames = MDI_CASCADE_STEP;
    /* the detector's output, rectified (peak) or squared (rms): the louder
     * channel for bands on every channel */
    if (b->source != EQD_ALL) {
        const float *src = in[b->source == EQD_RIGHT];
        if (b->source == EQD_MID || b->source == EQD_SIDE) {
            float s = b->source == EQD_MID ? 1.0f : -1.0f;
            for (unsigned i = 0; i < frames; i++)
                x[i] = 0.5f * (in[0][i] + s * in[1][i]);
            src = x;
        }
        detect(&b->det, b->z, src, y, frames);
        for (unsigned i = 0; i < frames; i++)
            v[i] = b->rms ? y[i] * y[i] : fabsf(y[i]);
    } else {
        for (unsigned c = 0; c < b->nch; c += 2) {
            int pair = c + 1 < b->nch;
            if (pair)
                detect2(&b->det, b->z + 2 * c, in[c], in[c + 1], y, w, frames);
            else
                detect(&b->det, b->z + 2 * c, in[c], y, frames);
            for (unsigned i = 0; i < frames; i++) {
                float a = b->rms ? y[i] * y[i] : fabsf(y[i]);
                float e = pair ? (b->rms ? w[i] * w[i] : fabsf(w[i])) : 0.0f;
                a = a > e ? a : e;
                v[i] = a > v[i] ? a : v[i]; /* a NaN reads as silence */
            }
        }
    }
    float ms = b->ms;
    if (b->rms) {
        const float c_rms = 1.0f - b->a_rms;
        for (unsigned i = 0; i < frames; i++) {
            ms += c_rms * (v[i] - ms);
            v[i] = ms;
        }
    }
    mdi_dyn_db_block(v, v, frames, b->rms ? 10.0f : 20.0f);
    for (unsigned i = 0; i < frames; i++)
        v[i] = curve(b, v[i]);
    float s1 = b->s1, s2 = b->s2;
    const float c_att = 1.0f - b->a_att, c_rel = 1.0f - b->a_rel;
    for (unsigned i = 0; i < frames; i++) {
        float g = v[i];
        s1 = g < s1 ? g : s1 + c_rel * (g - s1);
        s2 = s1 < s2 ? s2 + c_att * (s1 - s2) : s1;
    }
    if (step_end) {
        for (unsigned i = 0; i < 2 * b->nch; i++)
            b->z[i] = flushed(b->z[i]);
        if (!(ms >= 1e-30f && ms < 1e30f))
            ms = 0.0f;
    }
    b->ms = ms;
    b->s1 = s1;
    b->s2 = s2;
}
