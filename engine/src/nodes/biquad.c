/* biquad.c - RBJ cookbook designs, Butterworth cascades and the cascade kernel.
 *
 * Designs: Robert Bristow-Johnson, "Cookbook formulae for audio EQ biquad
 * filter coefficients" (the Audio-EQ-Cookbook). Shelves use its Q form,
 * alpha = sin(w0) / (2 Q), like every other type, so q means the same thing
 * everywhere. Butterworth: the analog prototype's pole pairs, s^2 + s/Q_k + 1
 * with 1/Q_k = 2 sin((2k + 1) pi / (2N)), each through the RBJ (bilinear,
 * prewarped at fc) low/highpass; the real pole of odd orders is the bilinear
 * first-order section with K = tan(pi fc / fs).
 *
 * Kernel: transposed direct form II,
 *     y  = b0 x + s1
 *     s1 = (b1 x + s2) - a1 y     (y is last: the recursion is add, mul, sub)
 *     s2 = b2 x - a2 y
 * in double. A block is cut into chunks that end on a grid of frames counted
 * since reset (GRID) and, during a glide, on its 32-frame steps; each chunk is
 * converted to double once (two channels per SSE2 vector), then runs through
 * groups of up to 8 sections unrolled per sample, so section k of frame i
 * overlaps section k-1 of frame i+1 in the pipeline; long enough chunks run as
 * a wavefront (wave2, wave1) where all sections advance side by side in
 * vector lanes, bounded by one recursion's latency. Every path (fast, glide,
 * one or two channels) does the same operations in the same order, so which
 * path computed a frame never shows in the output. States below 1e-30 are
 * flushed at grid points (no denormals, block-size independent), and so are
 * non-finite ones (a NaN in the input is forgotten within GRID frames).
 */
#include <math.h>
#include <string.h>
#include "biquad.h"
#include "mixdown/md_buffer.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define GRID 256    /* frames per chunk; flush points are multiples of it */
#define GROUP 8     /* sections fused in one pass */
#define FLUSH 1e-30 /* -600 dB: states this small are set to zero */
#define STEP MDI_CASCADE_STEP /* frames between designs while coefficients move */
#define GLIDE_S 0.010

typedef double v2d __attribute__((vector_size(16)));

static const mdi_bq_coef identity = {1.0, 0.0, 0.0, 0.0, 0.0};

/* --- design ------------------------------------------------------------------ */

void mdi_bq_design(mdi_bq_coef *c, const mdi_bq_spec *s, double rate_hz)
{
    const mdi_bq_type type = s->type;
    const double freq_hz = s->freq_hz, q = s->q;
    const double w0 = 2.0 * M_PI * freq_hz / rate_hz;
    const double cw = cos(w0), sw = sin(w0);
    const double alpha = sw / (2.0 * q);
    const double A = pow(10.0, s->gain_db / 40.0);
    const double sA2a = 2.0 * sqrt(A) * alpha;
    double b0, b1, b2, a0, a1, a2;

    switch (type) {
    case MDI_BQ_BELL:
        b0 = 1.0 + alpha * A;
        b1 = -2.0 * cw;
        b2 = 1.0 - alpha * A;
        a0 = 1.0 + alpha / A;
        a1 = -2.0 * cw;
        a2 = 1.0 - alpha / A;
        break;
    case MDI_BQ_LOWSHELF:
        b0 = A * ((A + 1.0) - (A - 1.0) * cw + sA2a);
        b1 = 2.0 * A * ((A - 1.0) - (A + 1.0) * cw);
        b2 = A * ((A + 1.0) - (A - 1.0) * cw - sA2a);
        a0 = (A + 1.0) + (A - 1.0) * cw + sA2a;
        a1 = -2.0 * ((A - 1.0) + (A + 1.0) * cw);
        a2 = (A + 1.0) + (A - 1.0) * cw - sA2a;
        break;
    case MDI_BQ_HIGHSHELF:
        b0 = A * ((A + 1.0) + (A - 1.0) * cw + sA2a);
        b1 = -2.0 * A * ((A - 1.0) + (A + 1.0) * cw);
        b2 = A * ((A + 1.0) + (A - 1.0) * cw - sA2a);
        a0 = (A + 1.0) - (A - 1.0) * cw + sA2a;
        a1 = 2.0 * ((A - 1.0) - (A + 1.0) * cw);
        a2 = (A + 1.0) - (A - 1.0) * cw - sA2a;
        break;
    case MDI_BQ_HIGHPASS:
        b0 = (1.0 + cw) / 2.0;
        b1 = -(1.0 + cw);
        b2 = (1.0 + cw) / 2.0;
        a0 = 1.0 + alpha;
        a1 = -2.0 * cw;
        a2 = 1.0 - alpha;
        break;
    case MDI_BQ_LOWPASS:
        b0 = (1.0 - cw) / 2.0;
        b1 = 1.0 - cw;
        b2 = (1.0 - cw) / 2.0;
        a0 = 1.0 + alpha;
        a1 = -2.0 * cw;
        a2 = 1.0 - alpha;
        break;
    case MDI_BQ_NOTCH:
        b0 = 1.0;
        b1 = -2.0 * cw;
        b2 = 1.0;
        a0 = 1.0 + alpha;
        a1 = -2.0 * cw;
        a2 = 1.0 - alpha;
        break;
    case MDI_BQ_BANDPASS:
        b0 = alpha;
        b1 = 0.0;
        b2 = -alpha;
        a0 = 1.0 + alpha;
        a1 = -2.0 * cw;
        a2 = 1.0 - alpha;
        break;
    case MDI_BQ_ALLPASS:
        b0 = 1.0 - alpha;
        b1 = -2.0 * cw;
        b2 = 1.0 + alpha;
        a0 = 1.0 + alpha;
        a1 = -2.0 * cw;
        a2 = 1.0 - alpha;
        break;
    case MDI_BQ_HIGHPASS1:
    case MDI_BQ_LOWPASS1: {
        /* bilinear transform of 1/(s+1) or s/(s+1), prewarped at fc */
        const double K = tan(M_PI * freq_hz / rate_hz);
        a0 = 1.0 + K;
        a1 = K - 1.0;
        a2 = 0.0;
        if (type == MDI_BQ_LOWPASS1) {
            b0 = K;
            b1 = K;
        } else {
            b0 = 1.0;
            b1 = -1.0;
        }
        b2 = 0.0;
        break;
    }
    default: /* MDI_BQ_IDENTITY */
        *c = identity;
        return;
    }
    c->b0 = b0 / a0;
    c->b1 = b1 / a0;
    c->b2 = b2 / a0;
    c->a1 = a1 / a0;
    c->a2 = a2 / a0;
}

unsigned mdi_bq_butterworth(mdi_bq_spec *s, int highpass, unsigned order, double freq_hz,
                            double q)
{
    unsigned n = 0;
    if (order < 1)
        order = 1;
    if (order > 8)
        order = 8;
    if (order & 1)
        s[n++] = (mdi_bq_spec){highpass ? MDI_BQ_HIGHPASS1 : MDI_BQ_LOWPASS1, freq_hz, 0.0, 1.0};
    /* lowest Q first: the resonant pair comes last, after the rest has
     * already rolled off what it would boost */
    for (int k = (int)order / 2 - 1; k >= 0; k--) {
        double qk = 1.0 / (2.0 * sin((2.0 * k + 1.0) * M_PI / (2.0 * order)));
        if (order == 2 && q > 0.0)
            qk = q;
        s[n++] = (mdi_bq_spec){highpass ? MDI_BQ_HIGHPASS : MDI_BQ_LOWPASS, freq_hz, 0.0, qk};
    }
    return n;
}

/* Largest pole radius of 1 + a1 z^-1 + a2 z^-2, and how much two poles can
 * add up before decaying: a complex pair rings as r^n sin((n+1) t) / sin t,
 * two real poles as (r1^(n+1) - r2^(n+1)) / (r1 - r2); both are at most
 * (n + 1) r^n. *spread gets 1 / sin t or 1 / |r1 - r2| (1 for one pole). */
static double pole_radius(const mdi_bq_coef *c, double *angle, double *spread)
{
    double disc = c->a1 * c->a1 - 4.0 * c->a2;
    *angle = -1.0;
    *spread = 1.0;
    if (disc < 0.0) {
        double r = sqrt(c->a2);
        *angle = acos(fmax(-1.0, fmin(1.0, -c->a1 / (2.0 * r))));
        *spread = 1.0 / fmax(sin(*angle), 1e-300);
        return r;
    }
    double sd = sqrt(disc);
    double r1 = fabs(-c->a1 + sd) / 2.0, r2 = fabs(-c->a1 - sd) / 2.0;
    if (c->a2 != 0.0)
        *spread = 1.0 / fmax(fabs(r1 - r2), 1e-300);
    return fmax(r1, r2);
}

static double mag_at(const mdi_bq_coef *c, double w)
{
    /* |B(e^jw)| / |A(e^jw)| */
    double c1 = cos(w), s1 = sin(w), c2 = cos(2.0 * w), s2 = sin(2.0 * w);
    double br = c->b0 + c->b1 * c1 + c->b2 * c2, bi = -(c->b1 * s1 + c->b2 * s2);
    double ar = 1.0 + c->a1 * c1 + c->a2 * c2, ai = -(c->a1 * s1 + c->a2 * s2);
    double den = ar * ar + ai * ai;
    return den > 0.0 ? sqrt((br * br + bi * bi) / den) : INFINITY;
}

double mdi_bq_decay_frames(const mdi_bq_coef *c, double ratio)
{
    double angle, spread;
    double r = pole_radius(c, &angle, &spread);
    if (r < 1e-9)
        return 0.0;
    if (r >= 1.0)
        return INFINITY;
    double lr = -log(r);
    double n0 = -log(ratio) / lr;
    /* smallest n with min(n + 1, spread) r^n <= ratio */
    double n = n0;
    for (int i = 0; i < 4; i++)
        n = n0 + log(n + 1.0) / lr;
    return fmin(n, n0 + log(spread) / lr);
}

unsigned mdi_bq_tail_frames(const mdi_bq_coef *c, unsigned nsec, double max_frames)
{
    double total = 0.0;
    for (unsigned k = 0; k < nsec; k++) {
        double angle, spread;
        double r = pole_radius(&c[k], &angle, &spread);
        if (r < 1e-9) {
            total += 2.0; /* FIR: b1, b2 */
            continue;
        }
        /* the ringing starts at most at the section's peak gain, so decay
         * that much further (peaks of a biquad: DC, Nyquist or its poles) */
        double g = fmax(1.0, fmax(mag_at(&c[k], 0.0), mag_at(&c[k], M_PI)));
        if (angle >= 0.0)
            g = fmax(g, mag_at(&c[k], angle));
        total += mdi_bq_decay_frames(&c[k], 1e-6 / g) + 2.0;
    }
    if (!(total < max_frames))
        total = max_frames;
    return (unsigned)ceil(total);
}

/* --- cascade memory ------------------------------------------------------- */

static unsigned npairs(const mdi_cascade *c) { return (c->nch + 1) / 2; }

/* state of pair p, section k: [s1 even ch, s1 odd ch, s2 even, s2 odd] */
static double *pair_state(const mdi_cascade *c, unsigned p)
{
    return c->state + (size_t)p * c->cap * 4;
}

size_t mdi_cascade_bytes(unsigned cap, unsigned nch)
{
    size_t states = (size_t)cap * 4 * ((nch + 1) / 2) * sizeof(double);
    size_t rest = (size_t)cap * (4 * sizeof(mdi_bq_coef) + 2 * sizeof(mdi_bq_spec) +
                                 sizeof(double));
    return (states + rest + 63) / 64 * 64;
}

void mdi_cascade_bind(mdi_cascade *c, void *mem, unsigned cap, unsigned nch, double rate_hz)
{
    memset(c, 0, sizeof *c);
    memset(mem, 0, mdi_cascade_bytes(cap, nch));
    c->state = mem; /* first: aligned for the vectors */
    c->cur = (mdi_bq_coef *)(c->state + (size_t)cap * 4 * ((nch + 1) / 2));
    c->start = c->cur + cap;
    c->from = c->start + cap;
    c->delta = c->from + cap;
    c->spec = (mdi_bq_spec *)(c->delta + cap);
    c->spec0 = c->spec + cap;
    c->dyn = (double *)(c->spec0 + cap);
    c->cap = cap;
    c->nch = nch;
    c->rate_hz = rate_hz;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    c->avx = __builtin_cpu_supports("avx") != 0;
#endif
    unsigned steps = (unsigned)lround(GLIDE_S * rate_hz / STEP);
    c->glide_len = (steps ? steps : 1) * STEP;
    c->glide_pos = c->glide_span = c->glide_len;
    for (unsigned k = 0; k < cap; k++) {
        c->cur[k] = identity;
        c->spec[k] = (mdi_bq_spec){MDI_BQ_IDENTITY, 1000.0, 0.0, 1.0};
        c->dyn[k] = NAN;
    }
}

int mdi_cascade_init(mdi_cascade *c, unsigned cap, unsigned nch, double rate_hz)
{
    memset(c, 0, sizeof *c);
    if (cap == 0 || cap > MDI_CASCADE_MAX || nch == 0 || nch > MD_MAX_CHANNELS ||
        !(rate_hz > 0))
        return -1;
    void *mem = md_aligned_alloc(mdi_cascade_bytes(cap, nch));
    if (!mem)
        return -1;
    mdi_cascade_bind(c, mem, cap, nch, rate_hz);
    c->mem = mem;
    return 0;
}

void mdi_cascade_free(mdi_cascade *c)
{
    md_aligned_free(c->mem);
    memset(c, 0, sizeof *c);
}

static void zero_sections(mdi_cascade *c, unsigned from, unsigned to)
{
    for (unsigned p = 0; p < npairs(c); p++)
        memset(pair_state(c, p) + (size_t)from * 4, 0, (size_t)(to - from) * 4 * sizeof(double));
}

/* --- glides and dynamic sections --------------------------------------------- */

static int gliding(const mdi_cascade *c) { return c->glide_pos < c->glide_span; }

/* Coefficients move in the current step (a glide, or a dynamic section). */
static int active(const mdi_cascade *c) { return gliding(c) || c->moving; }

/* Steps are planned at step boundaries while something may move. */
static int stepping(const mdi_cascade *c)
{
    return gliding(c) || c->moving || c->ndyn || c->replan;
}

/* A section glides through its designs when it keeps its type. */
static int glides_by_design(const mdi_cascade *c, unsigned k)
{
    return c->spec0[k].type == c->spec[k].type && c->spec[k].type != MDI_BQ_IDENTITY;
}

/* The design at fraction t of the glide: frequency and q geometric, gain linear. */
static mdi_bq_spec spec_at(const mdi_bq_spec *a, const mdi_bq_spec *b, double t)
{
    mdi_bq_spec s = *b;
    s.freq_hz = exp(log(a->freq_hz) + t * (log(b->freq_hz) - log(a->freq_hz)));
    s.q = exp(log(a->q) + t * (log(b->q) - log(a->q)));
    s.gain_db = a->gain_db + t * (b->gain_db - a->gain_db);
    return s;
}

static void lerp_coef(mdi_bq_coef *o, const mdi_bq_coef *a, const mdi_bq_coef *b, double t)
{
    o->b0 = a->b0 + t * (b->b0 - a->b0);
    o->b1 = a->b1 + t * (b->b1 - a->b1);
    o->b2 = a->b2 + t * (b->b2 - a->b2);
    o->a1 = a->a1 + t * (b->a1 - a->a1);
    o->a2 = a->a2 + t * (b->a2 - a->a2);
}

/* Coefficients of section k at frame j of the current step. */
static inline void coef_in_step(const mdi_cascade *c, unsigned k, double j, mdi_bq_coef *o)
{
    const mdi_bq_coef *f = &c->from[k], *d = &c->delta[k];
    o->b0 = f->b0 + d->b0 * j;
    o->b1 = f->b1 + d->b1 * j;
    o->b2 = f->b2 + d->b2 * j;
    o->a1 = f->a1 + d->a1 * j;
    o->a2 = f->a2 + d->a2 * j;
}

/* Coefficients of section k in use at the current frame. */
static void coef_now(const mdi_cascade *c, unsigned k, mdi_bq_coef *o)
{
    if (active(c))
        coef_in_step(c, k, (double)(c->pos % STEP), o);
    else
        *o = c->cur[k];
}

/* The design of section k with its dynamic gain, if it has one. */
static mdi_bq_spec with_dyn(const mdi_cascade *c, unsigned k, mdi_bq_spec s)
{
    if (!isnan(c->dyn[k]))
        s.gain_db = c->dyn[k];
    return s;
}

/* Plans the step that contains the current frame, j0 = pos % STEP frames
 * into it: each section moves linearly in coefficients from where it is now
 * to its design at the step's end (the glide's design at that point, with
 * the newest dynamic gain), so from + delta j0 is now and from + delta STEP
 * is the target. Steps fall on multiples of STEP frames since reset, for
 * glides and dynamic sections alike. */
static void plan(mdi_cascade *c)
{
    unsigned j0 = (unsigned)(c->pos % STEP);
    int glide = gliding(c);
    double t = 1.0;
    if (glide) {
        t = (double)(c->glide_pos + STEP - j0) / c->glide_span;
        if (t > 1.0)
            t = 1.0;
    }
    int moving = 0;
    for (unsigned k = 0; k < c->nsec; k++) {
        mdi_bq_coef now, e;
        coef_now(c, k, &now);
        if (!isnan(c->dyn[k])) {
            mdi_bq_spec s = with_dyn(c, k, c->spec[k]);
            mdi_bq_design(&c->cur[k], &s, c->rate_hz);
        }
        if (!glide || t >= 1.0) {
            e = c->cur[k];
        } else if (glides_by_design(c, k)) {
            mdi_bq_spec s = with_dyn(c, k, spec_at(&c->spec0[k], &c->spec[k], t));
            mdi_bq_design(&e, &s, c->rate_hz);
        } else {
            lerp_coef(&e, &c->start[k], &c->cur[k], t);
        }
        double len = (double)(STEP - j0);
        mdi_bq_coef d = {(e.b0 - now.b0) / len, (e.b1 - now.b1) / len, (e.b2 - now.b2) / len,
                         (e.a1 - now.a1) / len, (e.a2 - now.a2) / len};
        c->delta[k] = d;
        c->from[k] = (mdi_bq_coef){now.b0 - d.b0 * j0, now.b1 - d.b1 * j0, now.b2 - d.b2 * j0,
                                   now.a1 - d.a1 * j0, now.a2 - d.a2 * j0};
        if (d.b0 != 0.0 || d.b1 != 0.0 || d.b2 != 0.0 || d.a1 != 0.0 || d.a2 != 0.0)
            moving = 1;
    }
    c->moving = moving;
    c->replan = 0;
}

/* At the end of a step: the coefficients reached become the start of the next. */
static void end_step(mdi_cascade *c)
{
    int glide = gliding(c);
    for (unsigned k = 0; k < c->nsec; k++) {
        /* after a glide's last step (or any step outside a glide) the target
         * was cur itself: take it without the rounding of from + delta STEP */
        if (glide)
            coef_in_step(c, k, STEP, &c->from[k]);
        else
            c->from[k] = c->cur[k];
        c->delta[k] = (mdi_bq_coef){0.0, 0.0, 0.0, 0.0, 0.0};
    }
    c->moving = 0;
}

/* Drop identity sections left over from a glide to fewer sections. */
static void shrink(mdi_cascade *c)
{
    if (c->nsec > c->ntarget && !active(c)) {
        zero_sections(c, c->ntarget, c->nsec);
        c->nsec = c->ntarget;
    }
}

static void count_dyn(mdi_cascade *c)
{
    c->ndyn = 0;
    for (unsigned k = 0; k < c->cap; k++)
        if (!isnan(c->dyn[k]))
            c->ndyn++;
}

void mdi_cascade_set(mdi_cascade *c, const mdi_bq_spec *s, unsigned n)
{
    mdi_cascade_set_dyn(c, s, NULL, n);
}

void mdi_cascade_set_dyn(mdi_cascade *c, const mdi_bq_spec *s, const double *dyn_db, unsigned n)
{
    static const mdi_bq_spec none = {MDI_BQ_IDENTITY, 1000.0, 0.0, 1.0};
    if (n > c->cap)
        n = c->cap;
    for (unsigned k = 0; k < c->cap; k++)
        c->dyn[k] = dyn_db && k < n ? dyn_db[k] : NAN;
    count_dyn(c);
    if (!c->started) {
        for (unsigned k = 0; k < c->cap; k++) {
            c->spec[k] = k < n ? s[k] : none;
            mdi_bq_spec d = with_dyn(c, k, c->spec[k]);
            mdi_bq_design(&c->cur[k], &d, c->rate_hz);
        }
        if (n > c->nsec)
            zero_sections(c, c->nsec, n);
        c->nsec = c->ntarget = n;
        c->glide_pos = c->glide_span;
        c->moving = 0;
        c->replan = 0;
        return;
    }
    unsigned run = n > c->nsec ? n : c->nsec;
    if (run == 0) /* nothing before, nothing after */
        return;
    int was = gliding(c);
    double t = (double)c->glide_pos / c->glide_span;
    if (n > c->nsec)
        zero_sections(c, c->nsec, n);
    for (unsigned k = 0; k < run; k++) {
        mdi_bq_coef now = identity;
        mdi_bq_spec snow = none;
        if (k < c->nsec) {
            coef_now(c, k, &now);
            snow = c->spec[k];
            if (was) {
                if (glides_by_design(c, k))
                    snow = spec_at(&c->spec0[k], &c->spec[k], t);
                else if (t < 0.5)
                    snow = c->spec0[k]; /* mid-way between types: the nearer one */
            }
        }
        c->start[k] = c->from[k] = now;
        c->delta[k] = (mdi_bq_coef){0.0, 0.0, 0.0, 0.0, 0.0};
        c->spec0[k] = snow;
        c->spec[k] = k < n ? s[k] : none;
        mdi_bq_spec d = with_dyn(c, k, c->spec[k]);
        mdi_bq_design(&c->cur[k], &d, c->rate_hz);
    }
    /* from holds the coefficients now, whatever frame of the step this is */
    unsigned j0 = (unsigned)(c->pos % STEP);
    c->moving = 1;
    c->nsec = run;
    c->ntarget = n;
    /* the glide lasts glide_len frames, stretched to end on a step boundary */
    c->glide_pos = 0;
    c->glide_span = c->glide_len + (j0 ? STEP - j0 : 0);
    c->glide_end = c->pos + c->glide_span;
    plan(c);
}

void mdi_cascade_steer(mdi_cascade *c, unsigned k, double gain_db)
{
    if (k >= c->cap)
        return;
    if (!isnan(c->dyn[k]) != !isnan(gain_db))
        c->ndyn = isnan(gain_db) ? c->ndyn - 1 : c->ndyn + 1;
    c->dyn[k] = gain_db;
    if (!c->started) {
        mdi_bq_spec d = with_dyn(c, k, c->spec[k]);
        mdi_bq_design(&c->cur[k], &d, c->rate_hz);
        return;
    }
    c->replan = 1; /* a section that turns static still needs its last step */
}

void mdi_cascade_reset(mdi_cascade *c)
{
    if (!c->state)
        return;
    c->glide_pos = c->glide_span;
    zero_sections(c, 0, c->cap);
    c->nsec = c->ntarget;
    c->pos = 0;
    c->glide_end = 0;
    c->started = 0;
    c->moving = 0;
    c->replan = 0;
}

unsigned mdi_cascade_tail(const mdi_cascade *c)
{
    return mdi_bq_tail_frames(c->cur, c->ntarget, 60.0 * c->rate_hz);
}

/* --- kernels ------------------------------------------------------------------ */

/* N sections, fixed at compile time, on a pair of channels. The loops over k
 * unroll completely, so the states live in registers. */
static inline __attribute__((always_inline)) void fast2(v2d *restrict x, unsigned n,
                                                        const mdi_bq_coef *restrict c,
                                                        double *restrict st, const unsigned N)
{
    v2d b0[GROUP], b1[GROUP], b2[GROUP], a1[GROUP], a2[GROUP], s1[GROUP], s2[GROUP];
    for (unsigned k = 0; k < N; k++) {
        b0[k] = (v2d){c[k].b0, c[k].b0};
        b1[k] = (v2d){c[k].b1, c[k].b1};
        b2[k] = (v2d){c[k].b2, c[k].b2};
        a1[k] = (v2d){c[k].a1, c[k].a1};
        a2[k] = (v2d){c[k].a2, c[k].a2};
        s1[k] = (v2d){st[4 * k], st[4 * k + 1]};
        s2[k] = (v2d){st[4 * k + 2], st[4 * k + 3]};
    }
    for (unsigned i = 0; i < n; i++) {
        v2d v = x[i];
#pragma GCC unroll 8
        for (unsigned k = 0; k < N; k++) {
            v2d y = b0[k] * v + s1[k];
            s1[k] = (b1[k] * v + s2[k]) - a1[k] * y;
            s2[k] = b2[k] * v - a2[k] * y;
            v = y;
        }
        x[i] = v;
    }
    for (unsigned k = 0; k < N; k++) {
        st[4 * k] = s1[k][0];
        st[4 * k + 1] = s1[k][1];
        st[4 * k + 2] = s2[k][0];
        st[4 * k + 3] = s2[k][1];
    }
}

static inline __attribute__((always_inline)) void fast1(double *restrict x, unsigned n,
                                                        const mdi_bq_coef *restrict c,
                                                        double *restrict st, const unsigned N)
{
    double b0[GROUP], b1[GROUP], b2[GROUP], a1[GROUP], a2[GROUP], s1[GROUP], s2[GROUP];
    for (unsigned k = 0; k < N; k++) {
        b0[k] = c[k].b0;
        b1[k] = c[k].b1;
        b2[k] = c[k].b2;
        a1[k] = c[k].a1;
        a2[k] = c[k].a2;
        s1[k] = st[4 * k];
        s2[k] = st[4 * k + 2];
    }
    for (unsigned i = 0; i < n; i++) {
        double v = x[i];
#pragma GCC unroll 8
        for (unsigned k = 0; k < N; k++) {
            double y = b0[k] * v + s1[k];
            s1[k] = (b1[k] * v + s2[k]) - a1[k] * y;
            s2[k] = b2[k] * v - a2[k] * y;
            v = y;
        }
        x[i] = v;
    }
    for (unsigned k = 0; k < N; k++) {
        st[4 * k] = s1[k];
        st[4 * k + 2] = s2[k];
    }
}

#define FAST_VARIANTS(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#define DEF_FAST(N)                                                                            \
    static void fast2_##N(v2d *x, unsigned n, const mdi_bq_coef *c, double *st)               \
    {                                                                                          \
        fast2(x, n, c, st, N);                                                                 \
    }                                                                                          \
    static void fast1_##N(double *x, unsigned n, const mdi_bq_coef *c, double *st)            \
    {                                                                                          \
        fast1(x, n, c, st, N);                                                                 \
    }
FAST_VARIANTS(DEF_FAST)
#undef DEF_FAST

typedef void (*fast2_fn)(v2d *, unsigned, const mdi_bq_coef *, double *);
typedef void (*fast1_fn)(double *, unsigned, const mdi_bq_coef *, double *);
#define REF2(N) fast2_##N,
#define REF1(N) fast1_##N,
static const fast2_fn fast2_tab[GROUP + 1] = {NULL, FAST_VARIANTS(REF2)};
static const fast1_fn fast1_tab[GROUP + 1] = {NULL, FAST_VARIANTS(REF1)};
#undef REF2
#undef REF1

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_WAVE 1

/* One section, one frame, two channels, state in memory: the edges of the
 * wavefront below. The same operations as fast2. */
static inline __attribute__((always_inline)) v2d step2(const mdi_bq_coef *c, double *st, v2d v)
{
    v2d s1 = {st[0], st[1]}, s2 = {st[2], st[3]};
    v2d y = c->b0 * v + s1;
    s1 = (c->b1 * v + s2) - c->a1 * y;
    s2 = c->b2 * v - c->a2 * y;
    st[0] = s1[0];
    st[1] = s1[1];
    st[2] = s2[0];
    st[3] = s2[1];
    return y;
}

/* S sections (2..8) on a pair of channels with AVX: a wavefront. Each 256-bit
 * vector holds two sections x two channels; at step t section k works on
 * frame t - k, so the sections of one vector run side by side and each step
 * only shifts the outputs up by one section (one permute per vector). The
 * first and last S - 1 steps, where some sections have no frame yet or any
 * more, run one section at a time (step2). Needs n >= S. */
__attribute__((target("avx"))) static inline __attribute__((always_inline)) void
wave2(v2d *restrict x, unsigned n, const mdi_bq_coef *restrict c, double *restrict st,
      const unsigned S)
{
    enum { MAXV = GROUP / 2 };
    const unsigned M = (S + 1) / 2;
    v2d pend[GROUP + 1]; /* latest output of each section */
    for (unsigned t = 0; t + 1 < S; t++)
        for (int k = (int)t; k >= 0; k--)
            pend[k] = step2(&c[k], st + 4 * k, k ? pend[k - 1] : x[t]);
    pend[S - 1] = (v2d){0.0, 0.0};
    pend[S] = (v2d){0.0, 0.0};

    __m256d b0[MAXV], b1[MAXV], b2[MAXV], a1[MAXV], a2[MAXV], s1[MAXV], s2[MAXV], o[MAXV];
    for (unsigned j = 0; j < M; j++) {
        const mdi_bq_coef *lo = &c[2 * j];
        /* an odd count leaves the top half empty: an identity section whose
         * output goes nowhere */
        static const mdi_bq_coef none = {1.0, 0.0, 0.0, 0.0, 0.0};
        const int real_hi = 2 * j + 1 < S;
        const mdi_bq_coef *hi = real_hi ? &c[2 * j + 1] : &none;
        const double *sl = st + 8 * j, *sh = st + 8 * j + 4;
        b0[j] = _mm256_setr_pd(lo->b0, lo->b0, hi->b0, hi->b0);
        b1[j] = _mm256_setr_pd(lo->b1, lo->b1, hi->b1, hi->b1);
        b2[j] = _mm256_setr_pd(lo->b2, lo->b2, hi->b2, hi->b2);
        a1[j] = _mm256_setr_pd(lo->a1, lo->a1, hi->a1, hi->a1);
        a2[j] = _mm256_setr_pd(lo->a2, lo->a2, hi->a2, hi->a2);
        s1[j] = _mm256_setr_pd(sl[0], sl[1], real_hi ? sh[0] : 0.0, real_hi ? sh[1] : 0.0);
        s2[j] = _mm256_setr_pd(sl[2], sl[3], real_hi ? sh[2] : 0.0, real_hi ? sh[3] : 0.0);
        o[j] = _mm256_setr_pd(pend[2 * j][0], pend[2 * j][1], pend[2 * j + 1][0],
                              pend[2 * j + 1][1]);
    }
    const unsigned ov = (S - 1) / 2, ohi = (S - 1) % 2; /* where the last section is */
    for (unsigned t = S - 1; t < n; t++) {
        __m256d v[MAXV];
        v[0] = _mm256_permute2f128_pd(_mm256_castpd128_pd256((__m128d)x[t]), o[0], 0x20);
#pragma GCC unroll 4
        for (unsigned j = 1; j < M; j++)
            v[j] = _mm256_permute2f128_pd(o[j - 1], o[j], 0x21);
#pragma GCC unroll 4
        for (unsigned j = 0; j < M; j++) {
            __m256d y = b0[j] * v[j] + s1[j];
            s1[j] = (b1[j] * v[j] + s2[j]) - a1[j] * y;
            s2[j] = b2[j] * v[j] - a2[j] * y;
            o[j] = y;
        }
        x[t + 1 - S] = (v2d)(ohi ? _mm256_extractf128_pd(o[ov], 1) : _mm256_castpd256_pd128(o[ov]));
    }
    for (unsigned j = 0; j < M; j++) {
        double t1[4], t2[4], to[4];
        _mm256_storeu_pd(t1, s1[j]);
        _mm256_storeu_pd(t2, s2[j]);
        _mm256_storeu_pd(to, o[j]);
        for (unsigned h = 0; h < 2 && 2 * j + h < S; h++) {
            double *sk = st + 4 * (2 * j + h);
            sk[0] = t1[2 * h];
            sk[1] = t1[2 * h + 1];
            sk[2] = t2[2 * h];
            sk[3] = t2[2 * h + 1];
            pend[2 * j + h] = (v2d){to[2 * h], to[2 * h + 1]};
        }
    }
    for (unsigned t = n; t + 1 < n + S; t++)
        for (unsigned k = S - 1; k + n >= t + 1; k--) {
            pend[k] = step2(&c[k], st + 4 * k, pend[k - 1]);
            if (k == S - 1)
                x[t + 1 - S] = pend[k];
        }
}

#define WAVE_VARIANTS(X) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#define DEF_WAVE(N)                                                                            \
    __attribute__((target("avx"))) static void wave2_##N(v2d *x, unsigned n,                   \
                                                         const mdi_bq_coef *c, double *st)     \
    {                                                                                          \
        wave2(x, n, c, st, N);                                                                 \
    }
WAVE_VARIANTS(DEF_WAVE)
#undef DEF_WAVE
#define REFW(N) wave2_##N,
static const fast2_fn wave2_tab[GROUP + 1] = {NULL, NULL, WAVE_VARIANTS(REFW)};
#undef REFW
#endif

static void run_fast2(const mdi_cascade *c, v2d *x, unsigned n, double *st)
{
    for (unsigned k = 0; k < c->nsec; k += GROUP) {
        unsigned g = c->nsec - k < GROUP ? c->nsec - k : GROUP;
#ifdef HAVE_WAVE
        if (c->avx && g >= 2 && n >= g) {
            wave2_tab[g](x, n, c->cur + k, st + 4 * k);
            continue;
        }
#endif
        fast2_tab[g](x, n, c->cur + k, st + 4 * k);
    }
}

/* One section, one frame, one channel, state in memory (as fast1). */
static inline __attribute__((always_inline)) double step1(const mdi_bq_coef *c, double *st,
                                                          double v)
{
    double y = c->b0 * v + st[0];
    st[0] = (c->b1 * v + st[2]) - c->a1 * y;
    st[2] = c->b2 * v - c->a2 * y;
    return y;
}

/* {a[1], b[0]}: the outputs one section up */
#if defined(__clang__)
#define SHIFT_UP(a, b) __builtin_shufflevector(a, b, 1, 2)
#else
typedef long long v2i __attribute__((vector_size(16)));
#define SHIFT_UP(a, b) __builtin_shuffle(a, b, (v2i){1, 2})
#endif

/* S sections (2..8) on one channel: the wavefront of wave2 with two sections
 * per 128-bit vector (any target: GCC's generic vectors). Needs n >= S. */
static inline __attribute__((always_inline)) void wave1(double *restrict x, unsigned n,
                                                        const mdi_bq_coef *restrict c,
                                                        double *restrict st, const unsigned S)
{
    enum { MAXV = GROUP / 2 };
    const unsigned M = (S + 1) / 2;
    double pend[GROUP + 1];
    for (unsigned t = 0; t + 1 < S; t++)
        for (int k = (int)t; k >= 0; k--)
            pend[k] = step1(&c[k], st + 4 * k, k ? pend[k - 1] : x[t]);
    pend[S - 1] = 0.0;
    pend[S] = 0.0;

    v2d b0[MAXV], b1[MAXV], b2[MAXV], a1[MAXV], a2[MAXV], s1[MAXV], s2[MAXV], o[MAXV];
    for (unsigned j = 0; j < M; j++) {
        static const mdi_bq_coef none = {1.0, 0.0, 0.0, 0.0, 0.0};
        const int real_hi = 2 * j + 1 < S;
        const mdi_bq_coef *lo = &c[2 * j], *hi = real_hi ? &c[2 * j + 1] : &none;
        const double *sl = st + 8 * j, *sh = st + 8 * j + 4;
        b0[j] = (v2d){lo->b0, hi->b0};
        b1[j] = (v2d){lo->b1, hi->b1};
        b2[j] = (v2d){lo->b2, hi->b2};
        a1[j] = (v2d){lo->a1, hi->a1};
        a2[j] = (v2d){lo->a2, hi->a2};
        s1[j] = (v2d){sl[0], real_hi ? sh[0] : 0.0};
        s2[j] = (v2d){sl[2], real_hi ? sh[2] : 0.0};
        o[j] = (v2d){pend[2 * j], pend[2 * j + 1]};
    }
    const unsigned ov = (S - 1) / 2, ohi = (S - 1) % 2;
    for (unsigned t = S - 1; t < n; t++) {
        v2d v[MAXV];
        v[0] = (v2d){x[t], o[0][0]};
#pragma GCC unroll 4
        for (unsigned j = 1; j < M; j++)
            v[j] = SHIFT_UP(o[j - 1], o[j]);
#pragma GCC unroll 4
        for (unsigned j = 0; j < M; j++) {
            v2d y = b0[j] * v[j] + s1[j];
            s1[j] = (b1[j] * v[j] + s2[j]) - a1[j] * y;
            s2[j] = b2[j] * v[j] - a2[j] * y;
            o[j] = y;
        }
        x[t + 1 - S] = o[ov][ohi];
    }
    for (unsigned j = 0; j < M; j++)
        for (unsigned h = 0; h < 2 && 2 * j + h < S; h++) {
            double *sk = st + 4 * (2 * j + h);
            sk[0] = s1[j][h];
            sk[2] = s2[j][h];
            pend[2 * j + h] = o[j][h];
        }
    for (unsigned t = n; t + 1 < n + S; t++)
        for (unsigned k = S - 1; k + n >= t + 1; k--) {
            pend[k] = step1(&c[k], st + 4 * k, pend[k - 1]);
            if (k == S - 1)
                x[t + 1 - S] = pend[k];
        }
}

#define WAVE1_VARIANTS(X) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#define DEF_WAVE1(N)                                                                           \
    static void wave1_##N(double *x, unsigned n, const mdi_bq_coef *c, double *st)            \
    {                                                                                          \
        wave1(x, n, c, st, N);                                                                 \
    }
WAVE1_VARIANTS(DEF_WAVE1)
#undef DEF_WAVE1
#define REFW1(N) wave1_##N,
static const fast1_fn wave1_tab[GROUP + 1] = {NULL, NULL, WAVE1_VARIANTS(REFW1)};
#undef REFW1

static void run_fast1(const mdi_cascade *c, double *x, unsigned n, double *st)
{
    for (unsigned k = 0; k < c->nsec; k += GROUP) {
        unsigned g = c->nsec - k < GROUP ? c->nsec - k : GROUP;
        if (g >= 2 && n >= g)
            wave1_tab[g](x, n, c->cur + k, st + 4 * k);
        else
            fast1_tab[g](x, n, c->cur + k, st + 4 * k);
    }
}

/* While coefficients move: from + delta * j at frame j of the step. */
static void run_glide2(const mdi_cascade *c, v2d *x, unsigned n, double *st)
{
    for (unsigned i = 0; i < n; i++) {
        double j = (double)(c->pos % STEP + i);
        v2d v = x[i];
        for (unsigned k = 0; k < c->nsec; k++) {
            mdi_bq_coef q;
            coef_in_step(c, k, j, &q);
            v2d s1 = {st[4 * k], st[4 * k + 1]}, s2 = {st[4 * k + 2], st[4 * k + 3]};
            v2d y = q.b0 * v + s1;
            s1 = (q.b1 * v + s2) - q.a1 * y;
            s2 = q.b2 * v - q.a2 * y;
            st[4 * k] = s1[0];
            st[4 * k + 1] = s1[1];
            st[4 * k + 2] = s2[0];
            st[4 * k + 3] = s2[1];
            v = y;
        }
        x[i] = v;
    }
}

static void run_glide1(const mdi_cascade *c, double *x, unsigned n, double *st)
{
    for (unsigned i = 0; i < n; i++) {
        double j = (double)(c->pos % STEP + i);
        double v = x[i];
        for (unsigned k = 0; k < c->nsec; k++) {
            mdi_bq_coef q;
            coef_in_step(c, k, j, &q);
            double y = q.b0 * v + st[4 * k];
            st[4 * k] = (q.b1 * v + st[4 * k + 2]) - q.a1 * y;
            st[4 * k + 2] = q.b2 * v - q.a2 * y;
            v = y;
        }
        x[i] = v;
    }
}

/* Zeroes states below FLUSH (denormals ahead), and NaN, infinite or absurd
 * ones (a non-finite input sample), so the filter recovers at the next grid
 * point instead of staying NaN until reset. */
static void flush(mdi_cascade *c)
{
    size_t n = (size_t)c->nsec * 4;
    for (unsigned p = 0; p < npairs(c); p++) {
        double *st = pair_state(c, p);
        for (size_t i = 0; i < n; i++) {
            double a = fabs(st[i]);
            if (!(a >= FLUSH && a <= 1e30))
                st[i] = 0.0;
        }
    }
}

void mdi_cascade_run(mdi_cascade *c, const float *const *in, float *const *out,
                     unsigned frames)
{
    unsigned done = 0;
    if (c->nsec == 0) { /* no sections (and no glide): a copy */
        for (unsigned ch = 0; ch < c->nch; ch++)
            if (out[ch] != in[ch])
                memmove(out[ch], in[ch], frames * sizeof(float));
        c->pos += frames;
        done = frames;
    }
    while (done < frames) {
        if (c->pos % STEP == 0 && stepping(c))
            plan(c);
        unsigned n = GRID - (unsigned)(c->pos % GRID);
        if (n > frames - done)
            n = frames - done;
        if (stepping(c) && n > STEP - c->pos % STEP)
            n = STEP - (unsigned)(c->pos % STEP);
        int glide = active(c);
        unsigned ch = 0;
        for (; ch + 1 < c->nch; ch += 2) {
            v2d x[GRID] __attribute__((aligned(16)));
            const float *l = in[ch] + done, *r = in[ch + 1] + done;
            for (unsigned i = 0; i < n; i++)
                x[i] = (v2d){l[i], r[i]};
            double *st = pair_state(c, ch / 2);
            if (glide)
                run_glide2(c, x, n, st);
            else
                run_fast2(c, x, n, st);
            float *ol = out[ch] + done, *or = out[ch + 1] + done;
            for (unsigned i = 0; i < n; i++) {
                ol[i] = (float)x[i][0];
                or[i] = (float)x[i][1];
            }
        }
        if (ch < c->nch) {
            double x[GRID];
            const float *src = in[ch] + done;
            for (unsigned i = 0; i < n; i++)
                x[i] = src[i];
            double *st = pair_state(c, ch / 2);
            if (glide)
                run_glide1(c, x, n, st);
            else
                run_fast1(c, x, n, st);
            float *dst = out[ch] + done;
            for (unsigned i = 0; i < n; i++)
                dst[i] = (float)x[i];
        }
        if (gliding(c))
            c->glide_pos += n;
        if (glide && (c->pos + n) % STEP == 0)
            end_step(c);
        c->pos += n;
        done += n;
        if (c->pos % GRID == 0) {
            flush(c);
            /* leftover identity sections: their state is exactly zero two
             * frames after the glide, so dropping them changes nothing */
            if (c->pos >= c->glide_end + 2)
                shrink(c);
        }
    }
    if (frames)
        c->started = 1;
}
