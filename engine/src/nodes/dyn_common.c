/* dyn_common.c - shared dynamics helpers and the gain-reduction accessors. */
#include <stdlib.h>
#include "dyn_common.h"

extern const md_node_vtable md_node_compressor, md_node_limiter, md_node_gate,
    md_node_expander;

static const dyn_meter *meter_of(const md_node *n)
{
    if (!n)
        return NULL;
    const md_node_vtable *vt = md_node_type(n);
    if (vt != &md_node_compressor && vt != &md_node_limiter && vt != &md_node_gate &&
        vt != &md_node_expander)
        return NULL;
    return md_node_priv(n);
}

float md_dyn_gain_reduction_db(const md_node *n)
{
    const dyn_meter *m = meter_of(n);
    return m ? m->gr_db : NAN;
}

float md_dyn_max_reduction_db(const md_node *n)
{
    const dyn_meter *m = meter_of(n);
    return m ? m->gr_max_db : NAN;
}

int mdi_dyn_wmax_init(dyn_wmax *w, unsigned len)
{
    memset(w, 0, sizeof *w);
    if (len == 0)
        len = 1;
    w->len = len;
    w->cap = len + 1;
    w->val = md_aligned_alloc(sizeof(float) * w->cap);
    w->pos = md_aligned_alloc(sizeof(uint64_t) * w->cap);
    if (!w->val || !w->pos) {
        mdi_dyn_wmax_free(w);
        return -1;
    }
    return 0;
}

void mdi_dyn_wmax_free(dyn_wmax *w)
{
    md_aligned_free(w->val);
    md_aligned_free(w->pos);
    w->val = NULL;
    w->pos = NULL;
}

void mdi_dyn_wmax_reset(dyn_wmax *w)
{
    w->head = 0;
    w->count = 0;
    w->t = 0;
}

void mdi_dyn_hpf_design(dyn_hpf_coef *c, double freq_hz, double rate_hz)
{
    /* RBJ Audio EQ Cookbook, HPF: b0 = b2 = (1 + cos w)/2, b1 = -(1 + cos w),
     * a0 = 1 + alpha, a1 = -2 cos w, a2 = 1 - alpha, alpha = sin w / (2 Q) */
    double w = 2.0 * M_PI * freq_hz / rate_hz;
    double cw = cos(w), alpha = sin(w) / (2.0 * M_SQRT1_2);
    double a0 = 1.0 + alpha;
    c->b0 = (1.0 + cw) / 2.0 / a0;
    c->b1 = -(1.0 + cw) / a0;
    c->b2 = c->b0;
    c->a1 = -2.0 * cw / a0;
    c->a2 = (1.0 - alpha) / a0;
}

int mdi_dyn_delay_init(dyn_delay *d, unsigned channels, unsigned delay, unsigned max_frames)
{
    memset(d, 0, sizeof *d);
    d->channels = channels;
    d->delay = delay;
    d->size = delay + max_frames + 1;
    d->mem = md_aligned_alloc(sizeof(float) * (size_t)d->size * channels);
    return d->mem ? 0 : -1;
}

void mdi_dyn_delay_free(dyn_delay *d)
{
    md_aligned_free(d->mem);
    d->mem = NULL;
}

void mdi_dyn_delay_reset(dyn_delay *d)
{
    if (d->mem)
        memset(d->mem, 0, sizeof(float) * (size_t)d->size * d->channels);
    d->pos = 0;
}

/* copies n values from src into ring at pos (wrapping at size) */
static void ring_put(float *ring, unsigned size, unsigned pos, const float *src, unsigned n)
{
    unsigned a = size - pos < n ? size - pos : n;
    memcpy(ring + pos, src, sizeof(float) * a);
    memcpy(ring, src + a, sizeof(float) * (n - a));
}

static void ring_get(const float *ring, unsigned size, unsigned pos, float *dst, unsigned n)
{
    unsigned a = size - pos < n ? size - pos : n;
    memcpy(dst, ring + pos, sizeof(float) * a);
    memcpy(dst + a, ring, sizeof(float) * (n - a));
}

void mdi_dyn_delay_run(dyn_delay *d, unsigned c, const float *x, float *y, unsigned frames)
{
    if (d->delay == 0) { /* what is written is read back at once */
        if (y != x)
            memmove(y, x, sizeof(float) * frames);
        return;
    }
    /* all of x goes in first, so y may alias x; the write span [pos + delay,
     * pos + delay + frames) never reaches the unread start of the read span
     * [pos, pos + frames) because size > delay + frames */
    float *ring = d->mem + (size_t)c * d->size;
    unsigned w = d->pos + d->delay;
    if (w >= d->size)
        w -= d->size;
    ring_put(ring, d->size, w, x, frames);
    ring_get(ring, d->size, d->pos, y, frames);
}

void mdi_dyn_delay_advance(dyn_delay *d, unsigned frames)
{
    d->pos = (unsigned)(((uint64_t)d->pos + frames) % d->size);
}

DYN_CLONES
void mdi_dyn_db_block(float *dst, const float *src, unsigned frames, float scale_db)
{
    const float to_db = scale_db * 0.301029996f; /* scale log10(2) */
    for (unsigned i = 0; i < frames; i++)
        dst[i] = dyn_db_lane(src[i], to_db);
}

DYN_CLONES
void mdi_dyn_amp_block(float *dst, const float *src_db, unsigned frames)
{
    for (unsigned i = 0; i < frames; i++)
        dst[i] = dyn_amp_lane(src_db[i]);
}
