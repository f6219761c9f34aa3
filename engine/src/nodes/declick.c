/* declick.c - declick{sensitivity, max_length, mode, link}: finds impulsive
 * clicks and crackle and replaces the damaged samples by least-squares AR
 * interpolation (restore_ar.h).
 *
 *   in -> lookahead (segments of ~20 ms at fixed stream positions, with
 *         ~26 ms of finished output before and ~18 ms of input after)
 *      -> per channel, per segment:
 *           detection model: AR(32), Hann-windowed autocorrelation of two
 *           segments around the scanned one, Levinson
 *           forward prediction error e_f; scale s = 1.4826 median |e_f|
 *           a burst starts where |e_f| > k s; it ends at the last sample whose
 *           backward error |e_b| > k s (e_f rings p samples after a click,
 *           e_b p samples before: where both exceed is the click itself),
 *           edges widened down to 0.3 k s and by 2 samples (at 44.1 kHz)
 *           a burst is a click if it is no longer than max_length and
 *             isolated: its peak error exceeds k times the robust error scale
 *             of the 3 ms before and after it (a drum hit's error stays up
 *             after the onset; a click's drops back at once),
 *             and twice every error peak of the 25 ms before and 12 ms after
 *             it (click mode: pitch pulses of a bass or a sawtooth recur with
 *             the period, a click does not),
 *             and not an onset: the 3 ms after it are not 4 times louder
 *             than the 3 ms before
 *           each click is repaired at once with the detection model (with its
 *           neighbours closer than the model order, in one system), so that
 *           the errors after it are clean again
 *           a click in the fitting window biases the model (a ringing click
 *           is itself predictable): when clicks are found, the model is
 *           fitted again to the repaired samples and the input scanned again
 *           (up to 3 scans, fewer once the list of clicks stops changing)
 *      -> final repair of the segment's clicks: AR(64) fitted to the segment
 *         as repaired (one round of Janssen et al.'s iteration); crackle
 *         events of 10 samples or fewer keep the detection model. A repair
 *         that goes beyond twice the peak of the music around it is tried
 *         again with the detection model, then abandoned (do no harm).
 *      -> out (latency: one segment + the lookahead, 38 ms at 44.1 kHz)
 *
 * k = 3 x 10^(1 - sensitivity): 30 at 0+, 9.5 at 0.5, 3 at 1; sensitivity 0
 * turns detection off. Clicks under -80 dBFS are left alone. Crackle mode
 * uses 0.6 k, at most 1 ms per event, no peak-neighbour check, and keeps
 * events a few samples apart separate (dense small events, hundreds per
 * second). With link, a click found in any channel is repaired in all.
 * md_declick_count() (md_restore.h) returns the number of events repaired.
 */
#include "mixdown/md_restore.h"
#include "restore_ar.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const md_node_vtable md_node_declick;

enum { P_SENSITIVITY, P_MAX_LENGTH, P_MODE, P_LINK };
enum { MODE_CLICK, MODE_CRACKLE };

static const char *const modes[] = {"click", "crackle", NULL};

#define MAX_LENGTH_MS 5.0
#define ORDER_DET 32
#define ORDER_FIX 64
#define MAX_REG 128       /* repaired events per channel per segment */
#define SCALE_FLOOR 1e-5f /* error scale assumed in digital silence (-100 dBFS) */
#define MIN_CLICK 1e-4f   /* clicks under -80 dBFS are left alone (inaudible) */
#define WNC 1e-7          /* white-noise correction of the detection fit */
#define WNC_FIX 1e-9      /* ... and of the repair fit */
#define ISO_MS 3.0        /* windows before/after a burst for the isolation check */
#define BEFORE_MS 25.0    /* the peak-neighbour check looks this far back... */
#define AFTER_MS 12.0     /* ...and this far ahead (a bass note's period is up to 25 ms) */
#define NEIGH 2.0f        /* a click's peak error exceeds every neighbour's by this */
#define ONSET 4.0         /* louder after than before by this factor: an onset */
#define PASSES 3
#define HYST 0.3f /* a click's edges: down to this fraction of the threshold */

static const md_param_desc declick_params[] = {
    [P_SENSITIVITY] = {"sensitivity", "", 0.0, 1.0, 0.5,
                       "how small a click is still found: 0 off, 1 most sensitive (threshold "
                       "30 to 3 times the local prediction error)",
                       MD_PT_NUMBER, 0},
    [P_MAX_LENGTH] = {"max_length", "ms", 0.02, MAX_LENGTH_MS, 2.0,
                      "longest click repaired; longer bursts are left alone as music", MD_PT_NUMBER,
                      0},
    [P_MODE] = {"mode", "", 0, 1, MODE_CLICK,
                "click: isolated clicks, best repair; crackle: dense small events, lower "
                "threshold, at most 1 ms each",
                MD_PT_ENUM, 0, modes},
    [P_LINK] = {"link", "", 0, 1, 0,
                "repair every channel where any channel has a click (same events in all)",
                MD_PT_BOOL, 0},
    {NULL},
};

typedef struct declick_priv {
    mdi_la la;
    mdi_ar_work ar;
    unsigned ch, hop, pad, iso, cap; /* frames */
    unsigned nb, na;                 /* frames: the peak-neighbour windows */
    float *win;                      /* Hann, 2 hop */
    float *y;                        /* windowed copy, 2 hop */
    float *ef, *eb, *tmp;            /* la.len each, indexed like the segment buffer */
    unsigned ef_end;                 /* ef valid from the scan's start up to here */
    float af[ORDER_DET + 1];         /* detection model of the channel being scanned */
    double *adet;                    /* ch x (ORDER_DET + 1) */
    double afix[ORDER_FIX + 1];
    mdi_span *reg; /* ch x MAX_REG repaired spans, [start, end) */
    unsigned nreg[MD_MAX_CHANNELS];
    mdi_span *uni;  /* MAX_REG x ch: union of the channels' spans */
    mdi_span *prev; /* MAX_REG: the previous scan's spans */
    float *orig;    /* la.len: the segment before a scan's repairs */
    float *save;    /* max unknowns: samples before a repair */
    unsigned *u;    /* unknowns of one span */
    /* settings of the current segment */
    float k;
    unsigned mmax;
    int mode, link;
    uint64_t count;
} declick_priv;

static void declick_release(md_node *n)
{
    declick_priv *p = md_node_priv(n);
    mdi_la_free(&p->la);
    mdi_ar_work_free(&p->ar);
    free(p->win);
    free(p->y);
    free(p->ef);
    free(p->eb);
    free(p->tmp);
    free(p->adet);
    free(p->reg);
    free(p->uni);
    free(p->prev);
    free(p->orig);
    free(p->save);
    free(p->u);
    p->win = p->y = p->ef = p->eb = p->tmp = NULL;
    p->adet = NULL;
    p->reg = p->uni = p->prev = NULL;
    p->orig = p->save = NULL;
    p->u = NULL;
}

static md_status declick_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    declick_priv *p = md_node_priv(n);
    const double fs = in->rate_hz;
    (void)out;
    p->ch = in->channels;
    unsigned hop = (unsigned)lround(0.02 * fs / 64.0) * 64;
    p->hop = hop < 256 ? 256 : hop;
    p->pad = (unsigned)lround(fs / 22050.0);
    if (p->pad < 1)
        p->pad = 1;
    p->iso = (unsigned)lround(ISO_MS * 1e-3 * fs);
    if (p->iso < 16)
        p->iso = 16;
    p->cap = (unsigned)ceil(MAX_LENGTH_MS * 1e-3 * fs);
    p->nb = (unsigned)lround(BEFORE_MS * 1e-3 * fs);
    p->na = (unsigned)lround(AFTER_MS * 1e-3 * fs);
    if (p->na < p->iso)
        p->na = p->iso;
    if (p->nb < p->iso)
        p->nb = p->iso;
    /* lookahead: a click starting at the scan's last frame, its burst, the
     * isolation window and the repair's right context all fit */
    unsigned need = 2 * ORDER_DET + 2;
    if (ORDER_DET + p->na + 1 > need)
        need = ORDER_DET + p->na + 1;
    if (p->pad + ORDER_FIX + 64 > need)
        need = p->pad + ORDER_FIX + 64;
    unsigned ahead = 2 * p->pad + p->cap + need;
    if (ahead < p->hop / 2 + p->pad)
        ahead = p->hop / 2 + p->pad;
    unsigned past = p->nb + ORDER_DET + 1;
    if (past < p->hop)
        past = p->hop;
    md_status s = mdi_la_init(&p->la, p->ch, p->hop, past, ahead);
    /* unknowns solved at once: a few neighbouring clicks */
    unsigned len = p->la.len, maxu = 4 * (p->cap + 2 * p->pad + 1);
    if (s == MD_OK)
        s = mdi_ar_work_init(&p->ar, ORDER_FIX, maxu, len);
    p->win = malloc(sizeof(float) * 2 * p->hop);
    p->y = malloc(sizeof(float) * 2 * p->hop);
    p->ef = malloc(sizeof(float) * len);
    p->eb = malloc(sizeof(float) * len);
    p->tmp = malloc(sizeof(float) * len);
    p->adet = malloc(sizeof(double) * p->ch * (ORDER_DET + 1));
    p->reg = malloc(sizeof(mdi_span) * p->ch * MAX_REG);
    p->uni = malloc(sizeof(mdi_span) * p->ch * MAX_REG);
    p->u = malloc(sizeof(unsigned) * maxu);
    p->prev = malloc(sizeof(mdi_span) * MAX_REG);
    p->orig = malloc(sizeof(float) * len);
    p->save = malloc(sizeof(float) * maxu);
    if (s != MD_OK || !p->win || !p->y || !p->ef || !p->eb || !p->tmp || !p->adet || !p->reg ||
        !p->uni || !p->u || !p->prev || !p->orig || !p->save) {
        declick_release(n);
        return md_error_set(err, MD_ERR_NOMEM, "declick: out of memory");
    }
    for (unsigned i = 0; i < 2 * p->hop; i++)
        p->win[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (i + 0.5) / (2.0 * p->hop)));
    return MD_OK;
}

static void declick_reset(md_node *n)
{
    declick_priv *p = md_node_priv(n);
    mdi_la_reset(&p->la);
    p->count = 0;
}

/* forward errors ef[j] for from <= j < to */
static void forward_errors(declick_priv *p, const float *x, unsigned from, unsigned to)
{
    float *ef = p->ef;
    for (unsigned j = from; j < to; j++)
        ef[j] = x[j];
    for (unsigned k = 1; k <= ORDER_DET; k++) {
        const float ak = p->af[k];
        const float *xk = x - k;
        for (unsigned j = from; j < to; j++)
            ef[j] += ak * xk[j];
    }
}

/* makes ef valid up to `to` (in steps, so a burst's sample-by-sample scan is cheap) */
static void ensure_ef(declick_priv *p, const float *x, unsigned to)
{
    if (to <= p->ef_end)
        return;
    unsigned end = p->ef_end + 64 > to ? p->ef_end + 64 : to;
    if (end > p->la.len)
        end = p->la.len;
    forward_errors(p, x, p->ef_end, end);
    p->ef_end = end;
}

static void backward_errors(declick_priv *p, const float *x, unsigned from, unsigned to)
{
    float *eb = p->eb;
    for (unsigned j = from; j < to; j++)
        eb[j] = x[j];
    for (unsigned k = 1; k <= ORDER_DET; k++) {
        const float ak = p->af[k];
        const float *xk = x + k;
        for (unsigned j = from; j < to; j++)
            eb[j] += ak * xk[j];
    }
}

static float peak_abs(const float *v, unsigned from, unsigned to)
{
    float m = 0.0f;
    for (unsigned j = from; j < to; j++)
        if (fabsf(v[j]) > m)
            m = fabsf(v[j]);
    return m;
}

/* Interpolates the spans sp[0..n) of x together (one least-squares system:
 * spans closer than the model order share prediction errors, and solving
 * them one by one would treat a neighbour's damage as music). */
static void repair(declick_priv *p, float *x, const mdi_span *sp, unsigned n, const double *a,
                   unsigned q, const double *fallback)
{
    const unsigned len = p->la.len;
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = sp[i].start; j < sp[i].end; j++)
            if (m < p->ar.max_unknowns && (m == 0 || j > p->u[m - 1]))
                p->u[m++] = j;
    if (m == 0)
        return;
    /* A model that is nearly singular somewhere (a pole on the unit circle
     * fitted to damaged data) can fill a long gap with a large excursion. The
     * music around a gap of a few ms bounds it: past twice the peak of the
     * known samples within 2q, retry with the detection model, then give up
     * (the samples stay as they were: do no harm). */
    unsigned lo = p->u[0] > 2 * q ? p->u[0] - 2 * q : 0;
    unsigned hi = p->u[m - 1] + 1 + 2 * q < len ? p->u[m - 1] + 1 + 2 * q : len;
    float peak = 0.0f;
    for (unsigned j = lo, k = 0; j < hi; j++) {
        while (k < m && p->u[k] < j)
            k++;
        if ((k == m || p->u[k] != j) && fabsf(x[j]) > peak)
            peak = fabsf(x[j]);
    }
    const float bound = 2.0f * peak + MIN_CLICK;
    for (unsigned i = 0; i < m; i++)
        p->save[i] = x[p->u[i]];
    for (int attempt = 0; attempt < 2; attempt++) {
        const double *aa = attempt == 0 ? a : fallback;
        if (!aa)
            break;
        if (mdi_ar_interpolate(x, len, aa, attempt == 0 ? q : ORDER_DET, p->u, m, NULL, NULL,
                               &p->ar) == 0) {
            float got = 0.0f;
            for (unsigned i = 0; i < m; i++)
                if (fabsf(x[p->u[i]]) > got)
                    got = fabsf(x[p->u[i]]);
            if (got <= bound)
                return;
        }
    }
    for (unsigned i = 0; i < m; i++)
        x[p->u[i]] = p->save[i];
}

/* Repairs sp[0..n) in groups of spans less than q apart. */
static void repair_all(declick_priv *p, float *x, const mdi_span *sp, unsigned n, const double *a,
                       unsigned q, const double *fallback)
{
    for (unsigned i = 0; i < n;) {
        unsigned j = i + 1, m = sp[i].end - sp[i].start;
        while (j < n && sp[j].start < sp[j - 1].end + q &&
               m + (sp[j].end - sp[j].start) <= p->ar.max_unknowns) {
            m += sp[j].end - sp[j].start;
            j++;
        }
        repair(p, x, sp + i, j - i, a, q, fallback);
        i = j;
    }
}

/* the detection model: autocorrelation of two segments centred on the scanned one */
static void fit_detector(declick_priv *p, const float *x, unsigned c)
{
    double *a = p->adet + (size_t)c * (ORDER_DET + 1);
    double r[ORDER_DET + 1];
    const unsigned f0 = p->la.past + p->pad - p->hop / 2;
    for (unsigned i = 0; i < 2 * p->hop; i++)
        p->y[i] = x[f0 + i] * p->win[i];
    mdi_ar_autocorr(p->y, 2 * p->hop, ORDER_DET, r);
    r[0] *= 1.0 + WNC;
    mdi_ar_levinson(r, ORDER_DET, a);
    for (unsigned k = 0; k <= ORDER_DET; k++)
        p->af[k] = (float)a[k];
}

static double rms(const float *x, unsigned from, unsigned to)
{
    double s = 0.0;
    for (unsigned j = from; j < to; j++)
        s += (double)x[j] * x[j];
    return sqrt(s / (to - from));
}

/* One scan of a channel's segment with the current model: finds the clicks,
 * repairs each at once with the detection model (so that the error after it
 * is clean again) and lists them in reg. Returns how many. */
static unsigned scan(declick_priv *p, float *x, unsigned c)
{
    const unsigned len = p->la.len, hop = p->hop, pad = p->pad, iso = p->iso;
    const unsigned s0 = p->la.past + pad; /* first frame scanned: spans never reach the past */
    const double *a = p->adet + (size_t)c * (ORDER_DET + 1);
    mdi_span *reg = p->reg + (size_t)c * MAX_REG;
    unsigned nreg = 0;

    p->ef_end = s0 - p->nb;
    ensure_ef(p, x, s0 + hop);
    float sc = mdi_robust_scale(p->ef + s0, hop, p->tmp);
    float thr = p->k * (sc > SCALE_FLOOR ? sc : SCALE_FLOOR);
    if (thr < MIN_CLICK)
        thr = MIN_CLICK;
    const unsigned mmax = p->mmax;
    /* crackle: events close together are separate events, not one long one */
    const unsigned gap = p->mode == MODE_CRACKLE ? 2 * pad + 1 : ORDER_DET;

    for (unsigned j = s0; j < s0 + hop; j++) {
        if (!(fabsf(p->ef[j]) > thr))
            continue;
        /* the burst of forward error: exceedances at most `gap` apart */
        unsigned n0 = j;
        const unsigned limit = n0 + mmax + ORDER_DET;
        unsigned last = n0, nn = n0 + 1;
        for (; nn < len - ORDER_DET && nn - last <= gap && last <= limit; nn++) {
            ensure_ef(p, x, nn + 1);
            if (fabsf(p->ef[nn]) > thr)
                last = nn;
        }
        if (last > limit) { /* sustained: music, not a click */
            j = last;
            continue;
        }
        backward_errors(p, x, n0, last + 1);
        unsigned end = n0;
        for (unsigned q = n0; q <= last; q++)
            if (fabsf(p->eb[q]) > thr)
                end = q;
        /* hysteresis: a ringing click fades in or out under the threshold */
        while (end < last && fabsf(p->eb[end + 1]) > HYST * thr)
            end++;
        while (n0 > s0 && fabsf(p->ef[n0 - 1]) > HYST * thr)
            n0--;
        if (end - n0 + 1 > mmax) {
            j = last;
            continue;
        }
        /* isolation: the error must stand out from its surroundings on both
         * sides, and the music must not be starting here (an onset out of
         * silence is as unpredictable as a click, but what follows is louder) */
        const float pk = peak_abs(p->ef, n0, end + 1);
        const unsigned a0 = end + ORDER_DET + 1;
        ensure_ef(p, x, a0 + p->na);
        float sb = mdi_robust_scale(p->ef + n0 - iso, iso, p->tmp);
        float sa = mdi_robust_scale(p->ef + a0, iso, p->tmp);
        float around = sb > sa ? sb : sa;
        float nbpk = 0.0f;
        if (p->mode == MODE_CLICK) {
            nbpk = peak_abs(p->ef, n0 - p->nb, n0);
            float t = peak_abs(p->ef, a0, a0 + p->na);
            if (t > nbpk)
                nbpk = t;
        }
        if (!(pk > p->k * around) || !(pk > NEIGH * nbpk) ||
            rms(x, a0, a0 + iso) > ONSET * rms(x, n0 - iso, n0) + SCALE_FLOOR) {
            j = last;
            continue;
        }
        mdi_span s = {n0 - pad, end + pad + 1};
        if (nreg > 0 && s.start <= reg[nreg - 1].end + 4 * pad &&
            s.end - reg[nreg - 1].start <= p->ar.max_unknowns) {
            /* the rest of the previous event (a ringing click seen in pieces):
             * the few samples between are damaged too */
            reg[nreg - 1].end = s.end;
        } else {
            if (nreg == MAX_REG) /* repaired, but no longer listed for the second pass */
                nreg--;
            reg[nreg++] = s;
        }
        /* with the spans just before it that are close enough to interact */
        unsigned g = nreg - 1, m = s.end - s.start;
        while (g > 0 && reg[g].start < reg[g - 1].end + ORDER_DET &&
               m + (reg[g - 1].end - reg[g - 1].start) <= p->ar.max_unknowns) {
            g--;
            m += reg[g].end - reg[g].start;
        }
        repair(p, x, reg + g, nreg - g, a, ORDER_DET, NULL);
        s.start = reg[g].start;
        unsigned to = s.end + ORDER_DET;
        if (to > p->ef_end)
            to = p->ef_end;
        forward_errors(p, x, s.start, to);
        j = s.end - 1;
    }
    return nreg;
}

/* Detection of one channel's segment. A click in the fitting window biases
 * the model (a ringing click is itself predictable), so when a scan finds
 * clicks the model is fitted again to the repaired samples and the original
 * samples are scanned again with it (at most PASSES scans, fewer once the
 * list of clicks stops changing). */
static void detect(declick_priv *p, float *x, unsigned c)
{
    const unsigned from = p->la.past, n = p->la.len - from;
    mdi_span *reg = p->reg + (size_t)c * MAX_REG;
    p->nreg[c] = 0;
    if (!(p->k > 0.0f)) /* sensitivity 0: off */
        return;
    fit_detector(p, x, c);
    memcpy(p->orig, x + from, sizeof(float) * n);
    unsigned nr = scan(p, x, c);
    for (unsigned pass = 1; pass < PASSES && nr > 0; pass++) {
        unsigned prev = nr;
        memcpy(p->prev, reg, sizeof(mdi_span) * nr);
        fit_detector(p, x, c);
        memcpy(x + from, p->orig, sizeof(float) * n);
        nr = scan(p, x, c);
        if (nr == prev && memcmp(p->prev, reg, sizeof(mdi_span) * nr) == 0)
            break;
    }
    p->nreg[c] = nr;
    p->count += nr;
}

/* sorted union of the channels' spans (they are sorted per channel) */
static unsigned union_spans(declick_priv *p, mdi_span *dst)
{
    unsigned n = 0;
    unsigned idx[MD_MAX_CHANNELS] = {0};
    for (;;) {
        int best = -1;
        for (unsigned c = 0; c < p->ch; c++)
            if (idx[c] < p->nreg[c] &&
                (best < 0 || p->reg[(size_t)c * MAX_REG + idx[c]].start <
                                 p->reg[(size_t)best * MAX_REG + idx[best]].start))
                best = (int)c;
        if (best < 0)
            return n;
        mdi_span s = p->reg[(size_t)best * MAX_REG + idx[best]++];
        if (n > 0 && s.start <= dst[n - 1].end) {
            if (s.end > dst[n - 1].end)
                dst[n - 1].end = s.end;
        } else {
            dst[n++] = s;
        }
    }
}

/* Final pass over a channel's spans, solved in groups. Clicks get a model of
 * order 64 fitted to the segment with the clicks filled by the first
 * estimate (one round of Janssen et al.'s iteration: model from the data as
 * repaired so far); short crackle events keep the detection model (an order
 * of 3 m + 2 or more suffices for m missing samples: Janssen et al.). The fit
 * ends where the scan ended: the lookahead beyond may hold clicks not yet found. */
static void refine(declick_priv *p, float *x, unsigned c, const mdi_span *sp, unsigned ns)
{
    const double *adet = p->adet + (size_t)c * (ORDER_DET + 1);
    int high = p->mode == MODE_CLICK;
    for (unsigned i = 0; i < ns && !high; i++)
        high = 3 * (sp[i].end - sp[i].start) + 2 > ORDER_DET;
    if (!high) {
        repair_all(p, x, sp, ns, adet, ORDER_DET, NULL);
        return;
    }
    unsigned end = p->la.past + p->pad + p->hop;
    if (ns > 0 && sp[ns - 1].end > end)
        end = sp[ns - 1].end;
    const unsigned f0 = end - 2 * p->hop;
    double r[ORDER_FIX + 1];
    for (unsigned i = 0; i < 2 * p->hop; i++)
        p->y[i] = x[f0 + i] * p->win[i];
    mdi_ar_autocorr(p->y, 2 * p->hop, ORDER_FIX, r);
    r[0] *= 1.0 + WNC_FIX;
    mdi_ar_levinson(r, ORDER_FIX, p->afix);
    repair_all(p, x, sp, ns, p->afix, ORDER_FIX, adet);
}

static void declick_segment(void *ctx, float *const *w, uint64_t start)
{
    declick_priv *p = ctx;
    (void)start;
    for (unsigned c = 0; c < p->ch; c++)
        detect(p, w[c], c);
    if (p->link && p->ch > 1) {
        unsigned ns = union_spans(p, p->uni);
        if (ns > 0)
            for (unsigned c = 0; c < p->ch; c++)
                refine(p, w[c], c, p->uni, ns);
    } else {
        for (unsigned c = 0; c < p->ch; c++)
            if (p->nreg[c] > 0)
                refine(p, w[c], c, p->reg + (size_t)c * MAX_REG, p->nreg[c]);
    }
}

static void declick_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    declick_priv *p = md_node_priv(n);
    const double fs = md_node_in(n)->rate_hz;
    double s = md_node_value(n, P_SENSITIVITY);
    p->mode = (int)md_node_value(n, P_MODE);
    p->link = md_node_value(n, P_LINK) != 0.0;
    p->k = s > 0.0 ? (float)(3.0 * pow(10.0, 1.0 - s)) : 0.0f;
    double ms = md_node_value(n, P_MAX_LENGTH);
    if (p->mode == MODE_CRACKLE) {
        p->k *= 0.6f;
        if (ms > 1.0)
            ms = 1.0;
    }
    long mm = lround(ms * 1e-3 * fs);
    p->mmax = mm < 1 ? 1 : mm > (long)p->cap ? p->cap : (unsigned)mm;
    mdi_la_run(&p->la, in, out, frames, declick_segment, p);
}

static unsigned declick_latency(const md_node *n)
{
    const declick_priv *p = md_node_priv(n);
    return mdi_la_latency(&p->la);
}

/* a repair that starts at the input's last frames reaches this far past them */
static unsigned declick_tail(const md_node *n)
{
    const declick_priv *p = md_node_priv(n);
    return p->cap + 2 * p->pad;
}

static void declick_describe(const md_node *n, char *buf, unsigned size)
{
    snprintf(buf, size, "declick %s sensitivity %.3g max %.3g ms%s",
             modes[(int)md_node_value(n, P_MODE)], md_node_value(n, P_SENSITIVITY),
             md_node_value(n, P_MAX_LENGTH), md_node_value(n, P_LINK) != 0.0 ? " linked" : "");
}

uint64_t md_declick_count(const md_node *n)
{
    if (!n || md_node_type(n) != &md_node_declick)
        return 0;
    const declick_priv *p = md_node_priv(n);
    return p->count;
}

const md_node_vtable md_node_declick = {
    .name = "declick",
    .doc = "Remove clicks and crackle: finds short bursts that an autoregressive model of the "
           "music cannot predict and that stand out from the 3 ms around them, and replaces "
           "those samples by least-squares AR interpolation from both sides. Drum hits pass "
           "(their prediction error stays up after the onset). Latency about 38 ms at 44.1 kHz.",
    .params = declick_params,
    .priv_size = sizeof(declick_priv),
    .inputs = 1,
    .prepare = declick_prepare,
    .reset = declick_reset,
    .process = declick_process,
    .latency = declick_latency,
    .tail = declick_tail,
    .release = declick_release,
    .describe = declick_describe,
};
