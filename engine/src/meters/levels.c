/* levels.c - sample peak, sums for RMS/DC, full-scale runs, non-finite
 * samples, and the sums of a Pearson correlation. */
#include "meters.h"
#include <math.h>

/* One pass that cannot see non-finite or full-scale samples correctly, then
 * a careful pass over the same block only when it met one: blocks of real
 * material almost never need the second. */
static void careful(mdi_chan_levels *s, const float *x, size_t xs, unsigned n, float *dst)
{
    const float clip = (float)MD_ANALYZE_CLIP_LEVEL; /* 32767/32768 is exact in float */
    double sum = 0.0, sum2 = 0.0;
    float peak = s->peak;
    unsigned run = s->run;
    int sign = s->run_sign;
    uint64_t ok = 0, clipped = 0, bad = 0;
    for (unsigned i = 0; i < n; i++) {
        float v = x[i * xs];
        if (!isfinite(v)) {
            bad++;
            run = 0;
            dst[i] = 0.0f;
            continue;
        }
        dst[i] = v;
        ok++;
        sum += v;
        sum2 += (double)v * v;
        float av = fabsf(v);
        if (av > peak)
            peak = av;
        if (av >= clip) {
            int sg = v > 0 ? 1 : -1;
            if (run > 0 && sg == sign) {
                run++;
                clipped += run == 2 ? 2 : 1; /* the run's first sample counts once it is a run */
            } else {
                run = 1;
                sign = sg;
            }
        } else {
            run = 0;
        }
    }
    s->sum += sum;
    s->sum2 += sum2;
    s->n += ok;
    s->peak = peak;
    s->run = run;
    s->run_sign = sign;
    s->clipped += clipped;
    s->nonfinite += bad;
}

void mdi_levels_channel(mdi_chan_levels *s, const float *x, size_t xs, unsigned n, float *dst)
{
    double sum = 0.0, sum2 = 0.0;
    float peak = 0.0f;
    for (unsigned i = 0; i < n; i++) {
        float v = x[i * xs];
        dst[i] = v;
        sum += v;
        sum2 += (double)v * v;
        float av = fabsf(v);
        peak = av > peak ? av : peak;
    }
    /* NaN or Inf anywhere makes sum2 non-finite (finite floats cannot
     * overflow a double sum of squares) */
    if (!isfinite(sum2) || peak >= (float)MD_ANALYZE_CLIP_LEVEL) {
        careful(s, x, xs, n, dst);
        return;
    }
    s->sum += sum;
    s->sum2 += sum2;
    s->n += n;
    if (peak > s->peak)
        s->peak = peak;
    if (n > 0)
        s->run = 0;
}

void mdi_levels_pair(mdi_pair_levels *p, const float *x, const float *y, size_t xs, unsigned n)
{
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    uint64_t k = 0;
    for (unsigned i = 0; i < n; i++) {
        double a = x[i * xs], b = y[i * xs];
        if (!isfinite(a) || !isfinite(b))
            continue;
        k++;
        sx += a;
        sy += b;
        sxx += a * a;
        syy += b * b;
        sxy += a * b;
    }
    p->sx += sx;
    p->sy += sy;
    p->sxx += sxx;
    p->syy += syy;
    p->sxy += sxy;
    p->n += k;
}
