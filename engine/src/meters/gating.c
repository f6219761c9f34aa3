/* gating.c - gated loudness from block energies: integrated loudness
 * (ITU-R BS.1770-4 Annex 1, eq. 4-7; EBU Tech 3341) and loudness range
 * (EBU Tech 3342 v3).
 *
 * Blocks are kept in a histogram of 0.01 LU bins that holds, per bin, the
 * count and the exact sum of the blocks' energies, so memory is fixed and
 * means are exact; only a block within 0.01 LU of a relative gate can land
 * on the wrong side of it.
 */
#include "meters.h"
#include <math.h>
#include <string.h>

static double lufs(double e)
{
    return -0.691 + 10.0 * log10(e);
}

static unsigned bin_of(double l)
{
    double x = (l - MDI_GATE_FLOOR_LUFS) * MDI_GATE_BINS_PER_LU;
    if (x >= MDI_GATE_BINS - 1)
        return MDI_GATE_BINS - 1; /* the top bin takes everything above */
    return x > 0.0 ? (unsigned)x : 0;
}

void mdi_gate_add(mdi_gate_hist *h, double energy)
{
    if (!(energy > 0.0))
        return;
    double l = lufs(energy);
    if (!(l > MDI_GATE_FLOOR_LUFS)) /* absolute gate: BS.1770-4 eq. 5, l_j > -70 LKFS */
        return;
    unsigned b = bin_of(l);
    h->count[b]++;
    h->energy[b] += energy;
}

/* first bin whose blocks count as above the relative gate `gate` (LUFS):
 * a bin straddling the gate counts when its centre is at or above it */
static unsigned first_bin_above(const mdi_gate_hist *h, double gate)
{
    (void)h;
    if (gate <= MDI_GATE_FLOOR_LUFS)
        return 0;
    unsigned b = bin_of(gate);
    double centre = MDI_GATE_FLOOR_LUFS + (b + 0.5) / MDI_GATE_BINS_PER_LU;
    return centre >= gate ? b : b + 1;
}

static int mean_above(const mdi_gate_hist *h, unsigned from, double *mean, uint64_t *n)
{
    double e = 0.0;
    uint64_t k = 0;
    for (unsigned b = from; b < MDI_GATE_BINS; b++) {
        e += h->energy[b];
        k += h->count[b];
    }
    *n = k;
    if (k == 0)
        return 0;
    *mean = e / (double)k;
    return 1;
}

double mdi_gate_integrated(const mdi_gate_hist *h)
{
    double mean;
    uint64_t n;
    if (!mean_above(h, 0, &mean, &n))
        return NAN;
    /* relative gate 10 LU under the absolute-gated loudness (eq. 6) */
    if (!mean_above(h, first_bin_above(h, lufs(mean) - 10.0), &mean, &n))
        return NAN;
    return lufs(mean);
}

double mdi_gate_range(const mdi_gate_hist *h)
{
    double mean;
    uint64_t n;
    if (!mean_above(h, 0, &mean, &n))
        return NAN;
    /* Tech 3342: relative gate 20 LU under the absolute-gated level, then the
     * 95th minus the 10th percentile of the remaining short-term levels */
    unsigned from = first_bin_above(h, lufs(mean) - 20.0);
    if (!mean_above(h, from, &mean, &n))
        return NAN;
    uint64_t rank_lo = (uint64_t)llround((double)(n - 1) * 0.10);
    uint64_t rank_hi = (uint64_t)llround((double)(n - 1) * 0.95);
    double lo = NAN, hi = NAN;
    uint64_t seen = 0;
    for (unsigned b = from; b < MDI_GATE_BINS && isnan(hi); b++) {
        if (h->count[b] == 0)
            continue;
        seen += h->count[b];
        /* a bin's level is the mean of its blocks: exact for a steady signal */
        double l = lufs(h->energy[b] / (double)h->count[b]);
        if (isnan(lo) && seen > rank_lo)
            lo = l;
        if (seen > rank_hi)
            hi = l;
    }
    return hi - lo;
}

void mdi_gate_clear(mdi_gate_hist *h)
{
    memset(h, 0, sizeof *h);
}
