/* restore_ar.c - AR fitting (autocorrelation + Levinson-Durbin, multi-piece
 * Burg), least-squares AR interpolation with bounds, a robust scale, and the
 * fixed-segment lookahead of the restoration nodes. See restore_ar.h. */
#include "restore_ar.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- fitting ------------------------------------------------------------ */

void mdi_ar_autocorr(const float *x, unsigned n, unsigned p, double *r)
{
    for (unsigned l = 0; l <= p; l++) {
        /* four partial sums: lets the compiler pair the products, and keeps
         * the result independent of anything but x */
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        unsigned m = l < n ? n - l : 0, i = 0;
        for (; i + 4 <= m; i += 4) {
            s0 += (double)x[i] * x[i + l];
            s1 += (double)x[i + 1] * x[i + 1 + l];
            s2 += (double)x[i + 2] * x[i + 2 + l];
            s3 += (double)x[i + 3] * x[i + 3 + l];
        }
        for (; i < m; i++)
            s0 += (double)x[i] * x[i + l];
        r[l] = (s0 + s1) + (s2 + s3);
    }
}

double mdi_ar_levinson(const double *r, unsigned p, double *a)
{
    /* Makhoul 1975, eqs. 38-40 */
    a[0] = 1.0;
    for (unsigned i = 1; i <= p; i++)
        a[i] = 0.0;
    double err = r[0];
    if (!(err > 0.0))
        return 0.0;
    for (unsigned i = 1; i <= p; i++) {
        double acc = r[i];
        for (unsigned j = 1; j < i; j++)
            acc += a[j] * r[i - j];
        double k = -acc / err;
        if (!(fabs(k) < 1.0))
            break; /* rounding at the edge of stability: keep the order reached */
        for (unsigned j = 1; j <= i / 2; j++) {
            double lo = a[j], hi = a[i - j];
            a[j] = lo + k * hi;
            if (j != i - j)
                a[i - j] = hi + k * lo;
        }
        a[i] = k;
        err *= 1.0 - k * k;
        if (!(err > 0.0))
            break;
    }
    return err;
}

md_status mdi_ar_work_init(mdi_ar_work *w, unsigned max_order, unsigned max_unknowns,
                           unsigned max_len)
{
    memset(w, 0, sizeof *w);
    w->max_order = max_order;
    w->max_unknowns = max_unknowns;
    w->max_len = max_len;
    size_t span = (size_t)max_len + 2 * (size_t)max_order + 1;
    w->f = malloc(sizeof(double) * max_len);
    w->b = malloc(sizeof(double) * max_len);
    w->y = malloc(sizeof(double) * span);
    w->e = malloc(sizeof(double) * span);
    w->chol = malloc(sizeof(double) * (size_t)max_unknowns * (max_order + 1));
    w->rhs = malloc(sizeof(double) * max_unknowns);
    w->u = malloc(sizeof(unsigned) * max_unknowns);
    w->jlo = malloc(sizeof(unsigned) * max_unknowns);
    w->lo = malloc(sizeof(float) * max_unknowns);
    w->hi = malloc(sizeof(float) * max_unknowns);
    w->ra = malloc(sizeof(double) * (max_order + 1));
    if (!w->f || !w->b || !w->y || !w->e || !w->chol || !w->rhs || !w->u || !w->jlo || !w->lo ||
        !w->hi || !w->ra)
        return MD_ERR_NOMEM;
    return MD_OK;
}

void mdi_ar_work_free(mdi_ar_work *w)
{
    free(w->f);
    free(w->b);
    free(w->y);
    free(w->e);
    free(w->chol);
    free(w->rhs);
    free(w->u);
    free(w->jlo);
    free(w->lo);
    free(w->hi);
    free(w->ra);
    memset(w, 0, sizeof *w);
}

unsigned mdi_ar_burg(const float *x, const mdi_span *pcs, unsigned npcs, unsigned p, double *a,
                     mdi_ar_work *w)
{
    /* f and b hold every piece back to back; stage m of a piece of length L
     * uses the pairs f[n], b[n-1] for m <= n < L. */
    double *f = w->f, *b = w->b, *tmp = w->ra;
    unsigned total = 0;
    for (unsigned q = 0; q < npcs; q++)
        for (unsigned i = pcs[q].start; i < pcs[q].end && total < w->max_len; i++, total++)
            f[total] = b[total] = x[i];
    a[0] = 1.0;
    for (unsigned i = 1; i <= p; i++)
        a[i] = 0.0;
    unsigned reached = 0;
    double power0 = 0.0;
    for (unsigned i = 0; i < total; i++)
        power0 += f[i] * f[i];
    power0 /= total > 0 ? total : 1;
    for (unsigned m = 1; m <= p; m++) {
        double num = 0.0, den = 0.0;
        unsigned off = 0, pairs = 0;
        for (unsigned q = 0; q < npcs; q++) {
            unsigned len = pcs[q].end - pcs[q].start;
            for (unsigned n = m; n < len; n++) {
                double fv = f[off + n], bv = b[off + n - 1];
                num += fv * bv;
                den += fv * fv + bv * bv;
            }
            if (len > m)
                pairs += len - m;
            off += len;
        }
        /* stop where a stage has too little data to estimate it, or where
         * the error is down to the rounding of float input (a pure tone is
         * predicted exactly at order 2; further stages would fit noise) */
        if (pairs < 4 * m || !(den > 2.0 * pairs * power0 * 1e-12))
            break;
        double k = -2.0 * num / den;
        if (k >= 1.0)
            k = 1.0 - 1e-12;
        if (k <= -1.0)
            k = -1.0 + 1e-12;
        for (unsigned i = 0; i < m; i++)
            tmp[i] = a[i];
        for (unsigned i = 1; i < m; i++)
            a[i] = tmp[i] + k * tmp[m - i];
        a[m] = k;
        reached = m;
        off = 0;
        for (unsigned q = 0; q < npcs; q++) {
            unsigned len = pcs[q].end - pcs[q].start;
            for (unsigned n = len; n-- > m;) {
                double fo = f[off + n];
                f[off + n] = fo + k * b[off + n - 1];
                b[off + n] = b[off + n - 1] + k * fo;
            }
            off += len;
        }
    }
    return reached;
}

/* --- interpolation ------------------------------------------------------ */

/* One unconstrained solve for the unknowns u[0..m): the normal equations
 * R x_u = -A_u' e_k, where R[i][j] = ra[u_i - u_j] (zero beyond p) and e_k
 * is the error with the unknowns set to 0; R is banded (u increasing) and
 * positive definite (a[0] = 1), so a banded Cholesky solves it. The solution
 * is left in w->rhs. Returns -1 if a pivot is not positive. */
static int solve_once(const float *x, const double *a, unsigned p, unsigned m, mdi_ar_work *w)
{
    const unsigned *u = w->u;
    const unsigned bw = p + 1;
    const unsigned s0 = u[0] - p, s1 = u[m - 1] + p, nspan = s1 - s0 + 1;
    double *y = w->y, *e = w->e, *L = w->chol, *z = w->rhs, *ra = w->ra;
    unsigned *jlo = w->jlo;

    for (unsigned i = 0; i < nspan; i++)
        y[i] = x[s0 + i];
    for (unsigned i = 0; i < m; i++)
        y[u[i] - s0] = 0.0;
    /* errors of the known part, only where an unknown is involved */
    unsigned covered = 0; /* e computed for offsets < covered (from p on) */
    for (unsigned i = 0; i < m; i++) {
        unsigned from = u[i] - s0, to = from + p + 1;
        if (from < covered)
            from = covered;
        for (unsigned n = from; n < to; n++) {
            double s = y[n];
            for (unsigned k = 1; k <= p; k++)
                s += a[k] * y[n - k];
            e[n] = s;
        }
        if (to > covered)
            covered = to;
    }
    for (unsigned i = 0; i < m; i++) {
        const double *ei = e + (u[i] - s0);
        double s = 0.0;
        for (unsigned k = 0; k <= p; k++)
            s += a[k] * ei[k];
        z[i] = -s;
    }
    /* banded Cholesky: row i holds L[i][j] at L[i*bw + (i-j)] for jlo[i] <= j <= i */
    unsigned j0 = 0;
    for (unsigned i = 0; i < m; i++) {
        while (u[i] - u[j0] > p)
            j0++;
        jlo[i] = j0;
        double *Li = L + (size_t)i * bw;
        for (unsigned j = j0; j <= i; j++) {
            const double *Lj = L + (size_t)j * bw;
            double s = ra[u[i] - u[j]];
            unsigned k0 = jlo[j] > j0 ? jlo[j] : j0;
            for (unsigned k = k0; k < j; k++)
                s -= Li[i - k] * Lj[j - k];
            if (j < i) {
                Li[i - j] = s / Lj[0];
            } else {
                if (!(s > 0.0))
                    return -1;
                Li[0] = sqrt(s);
            }
        }
    }
    /* L z' = z, then L' x = z' */
    for (unsigned i = 0; i < m; i++) {
        const double *Li = L + (size_t)i * bw;
        double s = z[i];
        for (unsigned k = jlo[i]; k < i; k++)
            s -= Li[i - k] * z[k];
        z[i] = s / Li[0];
    }
    for (unsigned i = m; i-- > 0;) {
        double s = z[i];
        for (unsigned k = i + 1; k < m && jlo[k] <= i; k++)
            s -= L[(size_t)k * bw + (k - i)] * z[k];
        z[i] = s / L[(size_t)i * bw];
    }
    return 0;
}

int mdi_ar_interpolate(float *x, unsigned len, const double *a, unsigned p, const unsigned *u,
                       unsigned m, const float *lo, const float *hi, mdi_ar_work *w)
{
    (void)len;
    if (m == 0)
        return 0;
    for (unsigned l = 0; l <= p; l++) {
        double s = 0.0;
        for (unsigned k = 0; k + l <= p; k++)
            s += a[k] * a[k + l];
        w->ra[l] = s;
    }
    w->ra[0] *= 1.0 + 1e-12; /* guards the pivots against rounding only */
    for (unsigned i = 0; i < m; i++) {
        w->u[i] = u[i];
        w->lo[i] = lo ? lo[i] : -INFINITY;
        w->hi[i] = hi ? hi[i] : INFINITY;
    }
    /* active set: fix the values that leave their bounds, solve for the rest */
    for (unsigned round = 0; round < 8 && m > 0; round++) {
        if (solve_once(x, a, p, m, w) != 0)
            return -1;
        unsigned keep = 0, fixed = 0;
        for (unsigned i = 0; i < m; i++) {
            double v = w->rhs[i];
            if (v < w->lo[i] || v > w->hi[i]) {
                x[w->u[i]] = v < w->lo[i] ? w->lo[i] : w->hi[i];
                fixed++;
            } else {
                w->u[keep] = w->u[i];
                w->lo[keep] = w->lo[i];
                w->hi[keep] = w->hi[i];
                w->rhs[keep] = v;
                keep++;
            }
        }
        if (fixed == 0 || round == 7) {
            for (unsigned i = 0; i < keep; i++)
                x[w->u[i]] = (float)w->rhs[i];
            return 0;
        }
        m = keep;
    }
    return 0;
}

float mdi_select(float *t, unsigned n, unsigned k)
{
    unsigned lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = t[lo + (hi - lo) / 2];
        unsigned i = lo, j = hi;
        while (i <= j) {
            while (t[i] < pivot)
                i++;
            while (t[j] > pivot)
                j--;
            if (i <= j) {
                float s = t[i];
                t[i] = t[j];
                t[j] = s;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return t[k];
}

float mdi_robust_scale(const float *v, unsigned n, float *tmp)
{
    if (n == 0)
        return 0.0f;
    for (unsigned i = 0; i < n; i++)
        tmp[i] = fabsf(v[i]);
    return 1.4826f * mdi_select(tmp, n, n / 2);
}

/* --- lookahead ------------------------------------------------------------ */

md_status mdi_la_init(mdi_la *la, unsigned channels, unsigned hop, unsigned past, unsigned ahead)
{
    memset(la, 0, sizeof *la);
    la->channels = channels;
    la->hop = hop;
    la->past = past;
    la->ahead = ahead;
    la->len = past + hop + ahead;
    /* len + past: frames before the stream's start read slots never written;
     * 2 (hop + ahead): a block's input never overwrites the output it delays */
    unsigned need = la->len + past, size = 1;
    if (need < 2 * (hop + ahead))
        need = 2 * (hop + ahead);
    while (size < need)
        size <<= 1;
    la->size = size;
    la->mask = size - 1;
    for (unsigned c = 0; c < channels; c++) {
        la->ring[c] = md_aligned_alloc(sizeof(float) * size);
        la->work[c] = md_aligned_alloc(sizeof(float) * la->len);
        if (!la->ring[c] || !la->work[c])
            return MD_ERR_NOMEM;
    }
    mdi_la_reset(la);
    return MD_OK;
}

void mdi_la_free(mdi_la *la)
{
    for (unsigned c = 0; c < MD_MAX_CHANNELS; c++) {
        md_aligned_free(la->ring[c]);
        md_aligned_free(la->work[c]);
        la->ring[c] = la->work[c] = NULL;
    }
}

void mdi_la_reset(mdi_la *la)
{
    for (unsigned c = 0; c < la->channels; c++)
        if (la->ring[c])
            memset(la->ring[c], 0, sizeof(float) * la->size);
    la->pos = 0;
    la->next = (uint64_t)la->hop + la->ahead;
}

unsigned mdi_la_latency(const mdi_la *la)
{
    return la->hop + la->ahead - 1;
}

/* copies n frames between a ring starting at absolute frame `at` and lin */
static void ring_get(const mdi_la *la, const float *ring, uint64_t at, float *lin, unsigned n)
{
    unsigned s = (unsigned)(at & la->mask), first = la->size - s < n ? la->size - s : n;
    memcpy(lin, ring + s, sizeof(float) * first);
    memcpy(lin + first, ring, sizeof(float) * (n - first));
}

static void ring_put(const mdi_la *la, float *ring, uint64_t at, const float *lin, unsigned n)
{
    unsigned s = (unsigned)(at & la->mask), first = la->size - s < n ? la->size - s : n;
    memcpy(ring + s, lin, sizeof(float) * first);
    memcpy(ring, lin + first, sizeof(float) * (n - first));
}

void mdi_la_run(mdi_la *la, const float *const *in, float *const *out, unsigned frames,
                mdi_la_fn fn, void *ctx)
{
    const unsigned lat = mdi_la_latency(la);
    unsigned i = 0;
    while (i < frames) {
        uint64_t room = la->next - la->pos;
        unsigned n = room < frames - i ? (unsigned)room : frames - i;
        for (unsigned c = 0; c < la->channels; c++)
            ring_put(la, la->ring[c], la->pos, in[c] + i, n);
        la->pos += n;
        if (la->pos == la->next) {
            uint64_t start = la->next - la->hop - la->ahead;
            for (unsigned c = 0; c < la->channels; c++)
                ring_get(la, la->ring[c], start - la->past, la->work[c], la->len);
            fn(ctx, la->work, start);
            for (unsigned c = 0; c < la->channels; c++)
                ring_put(la, la->ring[c], start, la->work[c] + la->past, la->hop + la->ahead);
            la->next += la->hop;
        }
        /* frames from before the stream's start come from slots never written */
        for (unsigned c = 0; c < la->channels; c++)
            ring_get(la, la->ring[c], la->pos - n - lat, out[c] + i, n);
        i += n;
    }
}
