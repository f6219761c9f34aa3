/* space_xover.c - Linkwitz-Riley 4th-order crossover bank with allpass
 * compensation (see space_xover.h for the signal flow). */
#include <math.h>
#include <string.h>
#include "mixdown/md_buffer.h"
#include "space_xover.h"

int sx_iir_init(sx_iir *b, unsigned nch)
{
    memset(b, 0, sizeof *b);
    b->nch = nch;
    b->npairs = (nch + 1) / 2;
    b->z = md_aligned_alloc(sizeof(double) * 2 * SX_IIR_STATE * b->npairs);
    return b->z ? 0 : -1;
}

void sx_iir_free(sx_iir *b)
{
    md_aligned_free(b->z);
    b->z = NULL;
}

void sx_iir_set(sx_iir *b, unsigned nx, const double *freq_hz, double rate_hz)
{
    b->nx = nx;
    for (unsigned k = 0; k < nx; k++) {
        sp_bq_design(&b->lp[k], SP_LOWPASS, rate_hz, freq_hz[k], M_SQRT1_2);
        sp_bq_design(&b->hp[k], SP_HIGHPASS, rate_hz, freq_hz[k], M_SQRT1_2);
        sp_bq_design(&b->ap[k], SP_ALLPASS, rate_hz, freq_hz[k], M_SQRT1_2);
    }
}

void sx_iir_reset(sx_iir *b)
{
    if (b->z)
        memset(b->z, 0, sizeof(double) * 2 * SX_IIR_STATE * b->npairs);
}

void sx_iir_flush(sx_iir *b)
{
    if (b->z)
        sp_flush(b->z, 2 * SX_IIR_STATE * b->npairs);
}

void sx_iir_run(sx_iir *b, unsigned pair, const float *x0, const float *x1, float *const *bands0,
                float *const *bands1, unsigned n)
{
    sp_v2 *z0 = (sp_v2 *)(void *)(b->z + (size_t)pair * 2 * SX_IIR_STATE);
    const unsigned nx = b->nx;
    for (unsigned t = 0; t < n; t++) {
        sp_v2 h = {x0[t], x1 ? x1[t] : 0.0f};
        sp_v2 *z = z0;                      /* LP/HP sections: 8 per crossover */
        sp_v2 *za = z0 + 8 * SX_MAX_XOVERS; /* compensation allpasses: 2 each */
        for (unsigned k = 0; k < nx; k++) {
            sp_v2 l = sp_bq_run2(&b->lp[k], z, h);
            l = sp_bq_run2(&b->lp[k], z + 2, l);
            sp_v2 hh = sp_bq_run2(&b->hp[k], z + 4, h);
            h = sp_bq_run2(&b->hp[k], z + 6, hh);
            z += 8;
            for (unsigned m = k + 1; m < nx; m++, za += 2)
                l = sp_bq_run2(&b->ap[m], za, l);
            bands0[k][t] = (float)l[0];
            if (bands1)
                bands1[k][t] = (float)l[1];
        }
        bands0[nx][t] = (float)h[0];
        if (bands1)
            bands1[nx][t] = (float)h[1];
    }
}

double sx_iir_tail(const sx_iir *b, double ratio)
{
    /* the longest chain of sections any band goes through, each section's own
     * decay added (a conservative bound for cascaded poles) */
    double worst = 0.0, hp_path = 0.0;
    for (unsigned k = 0; k < b->nx; k++) {
        double path = hp_path + 2.0 * sp_bq_decay_frames(&b->lp[k], ratio);
        for (unsigned m = k + 1; m < b->nx; m++)
            path += sp_bq_decay_frames(&b->ap[m], ratio);
        if (path > worst)
            worst = path;
        hp_path += 2.0 * sp_bq_decay_frames(&b->hp[k], ratio);
    }
    return hp_path > worst ? hp_path : worst;
}
