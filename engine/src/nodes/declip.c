/* declip.c - declip{threshold, max_length}: reconstructs the peaks of a
 * hard-clipped signal.
 *
 *   in -> lookahead (segments of ~20 ms at fixed stream positions, with ~20 ms
 *         of finished output before and max_length + ~2 ms of input after)
 *      -> per channel, per segment:
 *           clip level: threshold, or "auto": the highest level the input has
 *           reached so far, per polarity (a clipper's output is flat there)
 *           runs: >= 2 consecutive samples at the level, same sign, at most
 *           max_length long, starting in the segment (runs in the lookahead
 *           join the system as unknowns too, and are put back afterwards)
 *           first guess: a cubic through the samples around each run
 *           twice (Janssen, Veldhuis & Vries 1986): an AR model fitted to the
 *           window as reconstructed so far (Hann-windowed autocorrelation,
 *           Levinson; order = the median length of the unclipped pieces,
 *           8..32), then least-squares AR interpolation of all the runs at
 *           once, each sample bounded by its clipped value (the true peak
 *           lies beyond the clip level: Godsill & Rayner's constrained
 *           declipping)
 *      -> out (latency: one segment + the lookahead)
 *
 * The output exceeds the clip level, and 0 dBFS when the clipping was at full
 * scale: follow declip with gain or a limiter. Runs longer than max_length
 * stay as they are, and so do runs in a file whose loudest level is under
 * -20 dBFS in auto mode; a reconstruction beyond 4x the level is taken for a
 * model gone wrong and that run stays clipped. Auto cannot tell the flat top
 * of a square wave at the loudest level from clipping: give a threshold then.
 * md_declip_count() and md_declip_samples() (md_restore.h) count the runs and
 * samples reconstructed.
 */
#include "mixdown/md_restore.h"
#include "restore_ar.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const md_node_vtable md_node_declip;

enum { P_THRESHOLD, P_MAX_LENGTH };

#define MAX_LENGTH_MS 10.0
#define ORDER 32
#define MIN_ORDER 8
#define ITERATIONS 2
#define WNC 1e-9       /* white-noise correction of the fit */
#define MAX_OVER 4.0f  /* a reconstructed peak above 4x (+12 dB) the level is an error */
#define AUTO_MIN 0.1f  /* auto: a loudest level under -20 dBFS is not clipping */
#define FLAT 1e-6f     /* relative: samples this close to the level are at it */
#define CONTEXT_MS 2.0 /* known samples after the longest run */

static const md_param_desc declip_params[] = {
    [P_THRESHOLD] = {"threshold", "", 0.01, 1.0, NAN,
                     "clip level as a fraction of full scale (runs at or above it are clipped), "
                     "or \"auto\": the loudest level of the input so far, per polarity",
                     MD_PT_NUMBER, MD_PARAM_AUTO},
    [P_MAX_LENGTH] = {"max_length", "ms", 0.1, MAX_LENGTH_MS, 5.0,
                      "longest clipped run reconstructed (a 100 Hz sine clipped at 80% of its "
                      "peak has 2 ms runs)",
                      MD_PT_NUMBER, 0},
    {NULL},
};

typedef struct declip_priv {
    mdi_la la;
    mdi_ar_work ar;
    unsigned ch, hop, cap, ctx;                         /* frames */
    float pmax[MD_MAX_CHANNELS], nmax[MD_MAX_CHANNELS]; /* auto: loudest so far */
    uint64_t done[MD_MAX_CHANNELS]; /* absolute frame: everything before is handled */
    int long_run[MD_MAX_CHANNELS];  /* sign of an over-long run still going at done */
    double a[ORDER + 1];
    unsigned *u;    /* la.len: unknowns */
    float *lo, *hi; /* la.len: their bounds */
    float *orig;    /* la.len: values of the lookahead's runs, restored after */
    unsigned *own;  /* la.len: unknowns that belong to the segment (1) or ahead (0) */
    float *tmp;     /* la.len / 2 + 2: lengths of the unclipped pieces */
    float *win, *y; /* 2 hop: Hann window, windowed copy */
    /* settings of the current segment */
    double thr; /* NaN: auto */
    unsigned mmax;
    uint64_t runs, samples;
} declip_priv;

static void declip_release(md_node *n)
{
    declip_priv *p = md_node_priv(n);
    mdi_la_free(&p->la);
    mdi_ar_work_free(&p->ar);
    free(p->u);
    free(p->lo);
    free(p->hi);
    free(p->orig);
    free(p->own);
    free(p->tmp);
    free(p->win);
    free(p->y);
    p->u = p->own = NULL;
    p->lo = p->hi = p->orig = p->tmp = p->win = p->y = NULL;
}

static md_status declip_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    declip_priv *p = md_node_priv(n);
    const double fs = in->rate_hz;
    (void)out;
    p->ch = in->channels;
    unsigned hop = (unsigned)lround(0.02 * fs / 64.0) * 64;
    p->hop = hop < 256 ? 256 : hop;
    p->cap = (unsigned)ceil(MAX_LENGTH_MS * 1e-3 * fs);
    p->ctx = (unsigned)ceil(CONTEXT_MS * 1e-3 * fs);
    if (p->ctx < 2 * ORDER)
        p->ctx = 2 * ORDER;
    /* a run starting at the segment's last frame, its length and the model's
     * reach after it all fit in the lookahead */
    md_status s = mdi_la_init(&p->la, p->ch, p->hop, p->hop, p->cap + ORDER + p->ctx);
    const unsigned len = p->la.len;
    if (s == MD_OK)
        s = mdi_ar_work_init(&p->ar, ORDER, len, len);
    p->u = malloc(sizeof(unsigned) * len);
    p->own = malloc(sizeof(unsigned) * len);
    p->lo = malloc(sizeof(float) * len);
    p->hi = malloc(sizeof(float) * len);
    p->orig = malloc(sizeof(float) * len);
    p->tmp = malloc(sizeof(float) * (len / 2 + 2));
    p->win = malloc(sizeof(float) * 2 * p->hop);
    p->y = malloc(sizeof(float) * 2 * p->hop);
    if (s != MD_OK || !p->u || !p->own || !p->lo || !p->hi || !p->orig || !p->tmp || !p->win ||
        !p->y) {
        declip_release(n);
        return md_error_set(err, MD_ERR_NOMEM, "declip: out of memory");
    }
    for (unsigned i = 0; i < 2 * p->hop; i++)
        p->win[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (i + 0.5) / (2.0 * p->hop)));
    return MD_OK;
}

static void declip_reset(md_node *n)
{
    declip_priv *p = md_node_priv(n);
    mdi_la_reset(&p->la);
    for (unsigned c = 0; c < MD_MAX_CHANNELS; c++) {
        p->pmax[c] = p->nmax[c] = 0.0f;
        p->done[c] = 0;
        p->long_run[c] = 0;
    }
    p->runs = p->samples = 0;
}

/* +1 / -1 when x is at the positive / negative clip level, else 0 */
static int at_level(float x, float pos, float neg)
{
    if (pos > 0.0f && x >= pos)
        return 1;
    if (neg > 0.0f && -x >= neg)
        return -1;
    return 0;
}

/* x[a..b] from the cubic through x[a-2], x[a-1], x[b+1], x[b+2] (Lagrange
 * form), kept within lo/hi (one bound per sample) */
static void cubic_fill(float *x, unsigned a, unsigned b, const float *lo, const float *hi)
{
    const double t[4] = {-2.0, -1.0, (double)(b - a + 1), (double)(b - a + 2)};
    const double v[4] = {x[a - 2], x[a - 1], x[b + 1], x[b + 2]};
    for (unsigned q = a; q <= b; q++) {
        double tt = q - a, y = 0.0;
        for (int r = 0; r < 4; r++) {
            double l = v[r];
            for (int s = 0; s < 4; s++)
                if (s != r)
                    l *= (tt - t[s]) / (t[r] - t[s]);
            y += l;
        }
        if (y < lo[q - a])
            y = lo[q - a];
        if (y > hi[q - a])
            y = hi[q - a];
        x[q] = (float)y;
    }
}

static void declip_channel(declip_priv *p, float *x, uint64_t start, unsigned c)
{
    const unsigned len = p->la.len, past = p->la.past, hop = p->hop;
    /* the new input: the last hop frames (all of it at the stream's start) */
    for (unsigned j = start == 0 ? past : len - hop; j < len; j++) {
        if (x[j] > p->pmax[c])
            p->pmax[c] = x[j];
        if (-x[j] > p->nmax[c])
            p->nmax[c] = -x[j];
    }
    float pos, neg;
    if (isnan(p->thr)) {
        pos = p->pmax[c] >= AUTO_MIN ? p->pmax[c] * (1.0f - FLAT) : 0.0f;
        neg = p->nmax[c] >= AUTO_MIN ? p->nmax[c] * (1.0f - FLAT) : 0.0f;
    } else {
        pos = neg = (float)p->thr * (1.0f - FLAT);
    }
    if (!(pos > 0.0f) && !(neg > 0.0f))
        return;

    /* frame j of x is absolute start - past + j */
    const uint64_t base = start - past;
    unsigned j = past;
    if (p->done[c] > start)
        j = (unsigned)(p->done[c] - base);
    if (p->long_run[c]) { /* the rest of a run too long to repair */
        while (j < len && at_level(x[j], pos, neg) == p->long_run[c])
            j++;
        p->long_run[c] = 0;
        p->done[c] = base + j;
    }
    /* runs: those starting in the segment are repaired; those after it join
     * the system (they are damaged context) but are restored afterwards */
    unsigned m = 0, own_runs = 0;
    const unsigned last_ok = len - ORDER - 1; /* a run must end before this */
    for (; j < len; j++) {
        int sg = at_level(x[j], pos, neg);
        if (!sg)
            continue;
        unsigned e = j;
        while (e + 1 < len && at_level(x[e + 1], pos, neg) == sg)
            e++;
        const int own = j < past + hop;
        const unsigned rl = e - j + 1;
        if (own) {
            p->done[c] = base + e + 1;
            if (e + 1 == len) /* goes on beyond what we can see: too long */
                p->long_run[c] = sg;
        }
        if (rl >= 2 && rl <= p->mmax && e < last_ok) {
            for (unsigned i = j; i <= e; i++) {
                p->u[m] = i;
                p->own[m] = (unsigned)own;
                p->orig[m] = x[i];
                p->lo[m] = sg > 0 ? x[i] : -INFINITY;
                p->hi[m] = sg > 0 ? INFINITY : x[i];
                m++;
            }
            own_runs += own;
        }
        j = e;
        if (!own && m == 0)
            break; /* nothing of ours to repair: the lookahead's runs do not matter */
    }
    if (own_runs == 0)
        return;

    /* The model order follows the clipping's density: the median length of
     * the unclipped pieces between runs, within 8..32 (a 3 kHz sine clipped
     * at 80% leaves pieces of 4 samples; an order above the data's reach
     * fits the flat tops). */
    unsigned np = 0, at = past;
    for (unsigned i = past; i <= len; i++) {
        if (i == len || at_level(x[i], pos, neg)) {
            if (i > at)
                p->tmp[np++] = (float)(i - at);
            at = i + 1;
        }
    }
    unsigned order = np ? (unsigned)mdi_select(p->tmp, np, np / 2) : ORDER;
    order = order < MIN_ORDER ? MIN_ORDER : order > ORDER ? ORDER : order;
    /* first guess: a cubic through the two samples either side of each run
     * (the flat tops would otherwise be the first model's data: an exactly
     * periodic clipped tone, 3 kHz at 48 kHz, is itself a perfect AR process) */
    for (unsigned i = 0; i < m;) {
        unsigned k = i;
        while (k + 1 < m && p->u[k + 1] == p->u[k] + 1)
            k++;
        cubic_fill(x, p->u[i], p->u[k], p->lo + i, p->hi + i);
        i = k + 1;
    }
    /* Janssen et al.'s iteration: fit the model to the window as
     * reconstructed so far, then interpolate under the bounds; the first fit
     * still sees the flat tops, the second the reconstructed peaks. */
    for (int it = 0; it < ITERATIONS; it++) {
        double r[ORDER + 1];
        const unsigned f0 = len - 2 * hop;
        for (unsigned i = 0; i < 2 * hop; i++)
            p->y[i] = x[f0 + i] * p->win[i];
        mdi_ar_autocorr(p->y, 2 * hop, order, r);
        r[0] *= 1.0 + WNC;
        mdi_ar_levinson(r, order, p->a);
        if (mdi_ar_interpolate(x, len, p->a, order, p->u, m, p->lo, p->hi, &p->ar) != 0) {
            for (unsigned i = 0; i < m; i++)
                x[p->u[i]] = p->orig[i];
            return;
        }
    }
    /* a reconstruction beyond MAX_OVER times the level is not a peak but a
     * model gone wrong: that run stays clipped (do no harm); the lookahead's
     * runs go back to their input values */
    for (unsigned i = 0; i < m;) {
        unsigned k = i;
        while (k + 1 < m && p->u[k + 1] == p->u[k] + 1 && p->own[k + 1] == p->own[i])
            k++;
        int keep = p->own[i];
        for (unsigned q = i; q <= k && keep; q++) {
            float lv = p->orig[q] > 0.0f ? pos : neg;
            keep = fabsf(x[p->u[q]]) <= MAX_OVER * lv;
        }
        if (keep) {
            p->runs++;
            p->samples += k - i + 1;
        } else {
            for (unsigned q = i; q <= k; q++)
                x[p->u[q]] = p->orig[q];
        }
        i = k + 1;
    }
}

static void declip_segment(void *ctx, float *const *w, uint64_t start)
{
    declip_priv *p = ctx;
    for (unsigned c = 0; c < p->ch; c++)
        declip_channel(p, w[c], start, c);
}

static void declip_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    declip_priv *p = md_node_priv(n);
    p->thr = md_node_value(n, P_THRESHOLD);
    long mm = lround(md_node_value(n, P_MAX_LENGTH) * 1e-3 * md_node_in(n)->rate_hz);
    p->mmax = mm < 2 ? 2 : mm > (long)p->cap ? p->cap : (unsigned)mm;
    mdi_la_run(&p->la, in, out, frames, declip_segment, p);
}

static unsigned declip_latency(const md_node *n)
{
    const declip_priv *p = md_node_priv(n);
    return mdi_la_latency(&p->la);
}

static void declip_describe(const md_node *n, char *buf, unsigned size)
{
    double t = md_node_value(n, P_THRESHOLD);
    if (isnan(t))
        snprintf(buf, size, "declip auto max %.3g ms", md_node_value(n, P_MAX_LENGTH));
    else
        snprintf(buf, size, "declip threshold %.4g max %.3g ms", t, md_node_value(n, P_MAX_LENGTH));
}

uint64_t md_declip_count(const md_node *n)
{
    if (!n || md_node_type(n) != &md_node_declip)
        return 0;
    const declip_priv *p = md_node_priv(n);
    return p->runs;
}

uint64_t md_declip_samples(const md_node *n)
{
    if (!n || md_node_type(n) != &md_node_declip)
        return 0;
    const declip_priv *p = md_node_priv(n);
    return p->samples;
}

const md_node_vtable md_node_declip = {
    .name = "declip",
    .doc = "Reconstruct the peaks of a hard-clipped signal: runs of two or more samples at the "
           "clip level are replaced by least-squares autoregressive interpolation, bounded to "
           "lie beyond the level. The output can exceed 0 dBFS: follow with gain or a "
           "limiter. Latency about 33 ms at 44.1 kHz.",
    .params = declip_params,
    .priv_size = sizeof(declip_priv),
    .inputs = 1,
    .prepare = declip_prepare,
    .reset = declip_reset,
    .process = declip_process,
    .latency = declip_latency,
    .release = declip_release,
    .describe = declip_describe,
};
