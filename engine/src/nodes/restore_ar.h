/* restore_ar.h - autoregressive (AR) modelling for the restoration nodes
 * (declick, declip), and the fixed-segment lookahead they run in.
 *
 * An AR model of order p predicts a sample from the p before it:
 *     e[n] = sum_{k=0..p} a[k] x[n-k],   a[0] = 1,
 * where e is the prediction error ("excitation"). Music is well predicted
 * over a few tens of ms, clicks and clipped peaks are not: the restoration
 * nodes detect damage as bursts of e and replace the damaged samples by the
 * values that minimise the energy of e (least-squares AR interpolation).
 *
 * References: Levinson-Durbin recursion (Makhoul 1975, "Linear prediction:
 * a tutorial review"); Burg's method (Burg 1975; Kay & Marple 1981), here
 * over several disjoint pieces of one signal; least-squares AR interpolation
 * (Janssen, Veldhuis & Vries 1986, IEEE Trans. ASSP 34(2); Vaseghi & Rayner
 * 1990; Godsill & Rayner 1998, "Digital Audio Restoration", ch. 5).
 *
 * Nothing here allocates except the *_init functions (call them in prepare).
 */
#ifndef MDI_RESTORE_AR_H
#define MDI_RESTORE_AR_H

#include "../internal.h"
#include <stdint.h>

/* --- AR model fitting ----------------------------------------------------- */

/* r[0..p] = sum_n x[n] x[n+l] over x[0..n) (the caller windows x first). */
void mdi_ar_autocorr(const float *x, unsigned n, unsigned p, double *r);

/* Levinson-Durbin: a[0..p] (a[0] = 1) from the autocorrelation r[0..p].
 * Returns the final prediction error power (0 when r[0] <= 0: a = {1, 0...}). */
double mdi_ar_levinson(const double *r, unsigned p, double *a);

/* A piece [start, end) of a signal, for fits that skip damaged samples. */
typedef struct mdi_span {
    unsigned start, end;
} mdi_span;

/* Scratch space for Burg and for the interpolation, sized in prepare. */
typedef struct mdi_ar_work {
    unsigned max_order, max_unknowns, max_len;
    double *f, *b;  /* Burg's forward/backward errors: max_len each */
    double *y, *e;  /* interpolation: signal copy and errors, max_len + 2 max_order */
    double *chol;   /* banded Cholesky factor: max_unknowns x (max_order + 1) */
    double *rhs;    /* max_unknowns */
    unsigned *u;    /* max_unknowns: the unknowns still free */
    unsigned *jlo;  /* max_unknowns: first row of each band */
    float *lo, *hi; /* max_unknowns: their bounds */
    double *ra;     /* max_order + 1: autocorrelation of the coefficients */
} mdi_ar_work;

/* Sizes the scratch for models up to max_order, up to max_unknowns samples
 * solved at once, signals of up to max_len samples. MD_ERR_NOMEM on failure
 * (then mdi_ar_work_free is still safe). */
md_status mdi_ar_work_init(mdi_ar_work *w, unsigned max_order, unsigned max_unknowns,
                           unsigned max_len);
void mdi_ar_work_free(mdi_ar_work *w);

/* Burg's method over the pieces pcs[0..npcs) of x (each piece contributes the
 * error pairs that lie wholly inside it; pieces shorter than a stage add
 * nothing to it). Writes a[0..p]; the order stops early where a stage has
 * fewer than 4 m error pairs or the error power is down to 1e-12 of the
 * signal's (float rounding: a pure tone needs order 2); a[k] = 0 beyond.
 * The pieces' total length must be <= w->max_len. Returns the model order
 * reached. */
unsigned mdi_ar_burg(const float *x, const mdi_span *pcs, unsigned npcs, unsigned p, double *a,
                     mdi_ar_work *w);

/* Least-squares AR interpolation: replaces x[u[0..m)] (increasing indices)
 * by the values that minimise sum e[n]^2 over every n whose error involves an
 * unknown, given the model a[0..p] and the other samples of x. Requires
 * u[0] >= p, u[m-1] + p < len, m <= w->max_unknowns, u[m-1] - u[0] + 2p + 1 <=
 * w->max_len + 2 w->max_order. lo/hi (nullable, one per unknown) bound the
 * result: a value outside its bound is fixed to it and the others solved
 * again (an active-set loop, at most a few rounds), as in Godsill & Rayner's
 * constrained declipping. Returns 0, or -1 if the system was singular (x is
 * then unchanged). */
int mdi_ar_interpolate(float *x, unsigned len, const double *a, unsigned p, const unsigned *u,
                       unsigned m, const float *lo, const float *hi, mdi_ar_work *w);

/* The k-th smallest of t[0..n) (t is reordered; Hoare's selection). */
float mdi_select(float *t, unsigned n, unsigned k);

/* Robust scale of v[0..n): 1.4826 x median |v| (the standard deviation for
 * Gaussian v, unmoved by a few outliers). Uses tmp[0..n). 0 for n = 0. */
float mdi_robust_scale(const float *v, unsigned n, float *tmp);

/* --- fixed-segment lookahead --------------------------------------------- */

/* The restoration nodes work on segments of `hop` frames aligned to absolute
 * stream positions (0, hop, 2 hop, ...), each seen with `past` frames of
 * already-final output before it and `ahead` frames of input after it, so
 * their output does not depend on how the stream is cut into blocks. A
 * segment may change its own frames and those ahead of it (they are input
 * not yet output), never the past. Latency: hop + ahead - 1 frames. */
typedef struct mdi_la mdi_la;

/* w[c][past + i] is the absolute frame start + i of channel c, for
 * -past <= i < hop + ahead (frames before the stream's start read 0). */
typedef void (*mdi_la_fn)(void *ctx, float *const *w, uint64_t start);

struct mdi_la {
    unsigned channels, hop, past, ahead, len; /* len = past + hop + ahead */
    unsigned size, mask;                      /* ring: a power of two >= len */
    float *ring[MD_MAX_CHANNELS];
    float *work[MD_MAX_CHANNELS];
    uint64_t pos;  /* frames written */
    uint64_t next; /* pos at which the next segment is due */
};

md_status mdi_la_init(mdi_la *la, unsigned channels, unsigned hop, unsigned past, unsigned ahead);
void mdi_la_free(mdi_la *la);
void mdi_la_reset(mdi_la *la);
unsigned mdi_la_latency(const mdi_la *la);
/* Feeds frames of in, calls fn for every segment that becomes complete, writes
 * the delayed, processed frames to out (out may alias in). */
void mdi_la_run(mdi_la *la, const float *const *in, float *const *out, unsigned frames,
                mdi_la_fn fn, void *ctx);

#endif
