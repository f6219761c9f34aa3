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

void mdi_dyn_delay_run(dyn_delay *d, unsigned c, const float *x, float *y, unsigned frames)
{
    float *ring = d->mem + (size_t)c * d->size;
    unsigned r = d->pos, w = d->pos + d->delay;
    if (w >= d->size)
        w -= d->size;
    for (unsigned i = 0; i < frames; i++) {
        ring[w] = x[i]; /* write first: delay 0 and y aliasing x both work */
        y[i] = ring[r];
        if (++w == d->size)
            w = 0;
        if (++r == d->size)
            r = 0;
    }
}

void mdi_dyn_delay_advance(dyn_delay *d, unsigned frames)
{
    d->pos = (unsigned)(((uint64_t)d->pos + frames) % d->size);
}

typedef uint32_t u32_alias __attribute__((may_alias));
typedef float f32_alias __attribute__((may_alias));

void mdi_dyn_db_block(float *dst, const float *src, unsigned frames, float scale_db)
{
    /* the same arithmetic as dyn_log2, with selects instead of branches */
    const float to_db = scale_db * 0.301029996f; /* scale log10(2) */
    for (unsigned i = 0; i < frames; i++) {
        float x = src[i];
        x = x >= 1.17549435e-38f ? x : 1.17549435e-38f;
        uint32_t u = *(const u32_alias *)&x;
        int e = (int)(u >> 23) - 127;
        uint32_t mu = (u & 0x007fffffu) | 0x3f800000u;
        float m = *(const f32_alias *)&mu;
        int big = m > 1.41421356f;
        m = big ? m * 0.5f : m;
        e += big;
        float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
        float ln = 2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7))));
        dst[i] = ((float)e + ln * 1.44269504f) * to_db;
    }
}

void mdi_dyn_amp_block(float *dst, const float *src_db, unsigned frames)
{
    for (unsigned i = 0; i < frames; i++) {
        float y = src_db[i] * (1.0f / DYN_DB_PER_LOG2);
        y = y < -126.0f ? -126.0f : y;
        y = y > 126.0f ? 126.0f : y;
        int ii = (int)(y + 127.5f) - 127;
        float f = (y - (float)ii) * 0.693147181f;
        float p = 1.0f + f * (1.0f + f * (0.5f + f * (1.0f / 6 + f * (1.0f / 24 +
                                                         f * (1.0f / 120 + f * (1.0f / 720))))));
        uint32_t eu = (uint32_t)(ii + 127) << 23;
        dst[i] = p * *(const f32_alias *)&eu;
    }
}
