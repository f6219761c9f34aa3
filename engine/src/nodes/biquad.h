/* biquad.h - second-order IIR sections: RBJ cookbook designs, Butterworth
 * cascades, and a fast cascade kernel shared by highpass, lowpass and eq.
 *
 * Coefficients are double and normalised so that a0 = 1:
 *     H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)
 * A first-order section is a biquad with b2 = a2 = 0.
 *
 * The cascade runs in transposed direct form II with double state, reads and
 * writes planar float and fuses up to 8 sections per sample. Two channels run
 * together: with AVX as a wavefront (two sections x two channels per 256-bit
 * vector, section k on frame t - k), else in SSE2 pairs; a single channel runs
 * as a wavefront of two sections per 128-bit vector. Every path does the same
 * arithmetic in the same order, so results are bit-identical across them.
 *
 * Parameter changes glide: over GLIDE frames (about 10 ms) the design moves
 * from the old parameters to the new (frequency and q geometrically, gain
 * linearly in dB), recomputed every 32 frames and interpolated linearly per
 * frame in between; sections that change type (or appear, or go) glide
 * linearly in coefficients. The filter state is kept.
 *
 * Dynamic sections (dynamic EQ): a bell or shelf whose gain is steered while
 * it runs (mdi_cascade_steer) moves to its new gain through the same steps:
 * at each step boundary the design with the newest gain becomes the target
 * that the coefficients reach, linearly, by the end of the step.
 *
 * Steps (MDI_CASCADE_STEP frames) and the flushing of tiny states fall on
 * frame counts since reset, so the output never depends on how the stream is
 * cut into blocks.
 *
 * Phases: mdi_cascade_init/free in prepare/release, mdi_cascade_set in update,
 * mdi_cascade_reset in reset, mdi_cascade_run and mdi_cascade_steer in
 * process (no allocation).
 */
#ifndef MDI_BIQUAD_H
#define MDI_BIQUAD_H

#include <stddef.h>
#include <stdint.h>

typedef enum mdi_bq_type {
    MDI_BQ_BELL = 0,  /* peaking EQ: gain at freq, width q */
    MDI_BQ_LOWSHELF,  /* RBJ shelf in the Q form: alpha = sin(w0)/(2q) */
    MDI_BQ_HIGHSHELF,
    MDI_BQ_HIGHPASS,  /* 12 dB/octave, resonance q */
    MDI_BQ_LOWPASS,
    MDI_BQ_NOTCH,
    MDI_BQ_BANDPASS,  /* 0 dB at freq */
    MDI_BQ_ALLPASS,
    MDI_BQ_HIGHPASS1, /* first order (bilinear), q and gain unused */
    MDI_BQ_LOWPASS1,
    MDI_BQ_IDENTITY,  /* passes the signal unchanged */
    MDI_BQ_NTYPES
} mdi_bq_type;

typedef struct mdi_bq_coef {
    double b0, b1, b2, a1, a2;
} mdi_bq_coef;

/* One section's design: what a node asks for. */
typedef struct mdi_bq_spec {
    mdi_bq_type type;
    double freq_hz; /* in (0, rate / 2) */
    double gain_db; /* bell and shelves */
    double q;       /* > 0; unused by first-order sections */
} mdi_bq_spec;

/* RBJ Audio-EQ-Cookbook design of s at rate_hz. */
void mdi_bq_design(mdi_bq_coef *c, const mdi_bq_spec *s, double rate_hz);

/* Butterworth highpass (highpass != 0) or lowpass of order 1..8 at freq_hz:
 * order / 2 biquads with the Q of the Butterworth pole pairs, plus a
 * first-order section for odd orders. For order 2, q > 0 replaces the
 * Butterworth Q (1/sqrt(2)); pass q <= 0 to keep it. Fills s and returns the
 * number of sections ((order + 1) / 2, at most 4). */
unsigned mdi_bq_butterworth(mdi_bq_spec *s, int highpass, unsigned order, double freq_hz,
                            double q);

/* Frames until the impulse response of one section has decayed by `ratio`
 * (e.g. 1e-6 for -120 dB), from its poles; 0 for FIR sections. */
double mdi_bq_decay_frames(const mdi_bq_coef *c, double ratio);

/* Frames until a cascade's impulse response is below -120 dB: the sum of the
 * sections' decays, each with margin for its own peak gain (conservative),
 * at most max_frames. */
unsigned mdi_bq_tail_frames(const mdi_bq_coef *c, unsigned nsec, double max_frames);

/* --- cascade ---------------------------------------------------------------- */

#define MDI_CASCADE_MAX 64 /* sections in one cascade */
#define MDI_CASCADE_STEP 32 /* frames per coefficient step (glides, dynamic sections) */

typedef struct mdi_cascade {
    unsigned cap;        /* sections allocated */
    unsigned nch;        /* channels it processes */
    unsigned nsec;       /* sections running (during a glide: max of old and new) */
    unsigned ntarget;    /* sections after the glide */
    double rate_hz;
    mdi_bq_coef *cur;    /* cap: coefficients once the glide ends (in use without one) */
    mdi_bq_coef *start;  /* cap: coefficients where the glide started */
    mdi_bq_coef *from;   /* cap: coefficients at the start of the current 32-frame step */
    mdi_bq_coef *delta;  /* cap: change per frame within that step */
    mdi_bq_spec *spec;   /* cap: designs in use (glide targets) */
    mdi_bq_spec *spec0;  /* cap: designs where the glide started */
    double *dyn;         /* cap: steered gain in dB of dynamic sections, NaN = static */
    double *state;       /* TDF2 state, layout private to biquad.c */
    unsigned glide_len;  /* frames of a glide (a multiple of 32) */
    unsigned glide_span; /* frames of the current glide: glide_len, stretched to end on
                            a multiple of MDI_CASCADE_STEP frames since reset */
    unsigned glide_pos;  /* frames into the glide; glide_span = none */
    unsigned ndyn;       /* dynamic sections */
    int moving;          /* coefficients change during the current step */
    int replan;          /* a steered gain waits for the next step boundary */
    uint64_t pos;        /* frames since reset (flush grid) */
    uint64_t glide_end;  /* pos at which the latest glide ended */
    int started;         /* audio went through since reset: changes glide */
    int avx;             /* the CPU has AVX: two-channel cascades run as a wavefront */
    void *mem;           /* owned storage (NULL when bound to a pool) */
} mdi_cascade;

/* Allocates a cascade of up to cap sections for nch channels at rate_hz.
 * Returns 0, or -1 when out of memory or cap/nch are out of range (c is then
 * zeroed). */
int mdi_cascade_init(mdi_cascade *c, unsigned cap, unsigned nch, double rate_hz);
void mdi_cascade_free(mdi_cascade *c); /* safe on a zeroed or freed cascade */

/* The same on caller-owned storage: mem holds mdi_cascade_bytes(cap, nch)
 * bytes, 64-byte aligned (the size is a multiple of 64, so cascades can share
 * a pool). Such a cascade needs no free. */
size_t mdi_cascade_bytes(unsigned cap, unsigned nch);
void mdi_cascade_bind(mdi_cascade *c, void *mem, unsigned cap, unsigned nch, double rate_hz);

/* New designs (n <= cap; frequencies must be below rate / 2). Before any
 * audio since reset they apply at once; afterwards they glide from what is
 * in use, state kept. A change of section count pads the shorter side with
 * identity sections. */
void mdi_cascade_set(mdi_cascade *c, const mdi_bq_spec *s, unsigned n);

/* The same, with dynamic sections: dyn_db (NULL = none) holds n gains in dB;
 * section k with a number there (a bell or shelf) uses it instead of its
 * design's gain until steered elsewhere; NaN keeps the design's gain. */
void mdi_cascade_set_dyn(mdi_cascade *c, const mdi_bq_spec *s, const double *dyn_db,
                         unsigned n);

/* Steers section k (k < the count last set) to gain_db (NaN: back to its
 * design's gain). Before any audio since reset it applies at once; afterwards
 * it is taken at the next multiple of MDI_CASCADE_STEP frames since reset (at
 * once if the cascade stands on one), and the coefficients move there
 * linearly over that step. Call it at those multiples for a gain that follows
 * a detector block by block. */
void mdi_cascade_steer(mdi_cascade *c, unsigned k, double gain_db);

/* Forget history; a glide in progress jumps to its end. */
void mdi_cascade_reset(mdi_cascade *c);

/* Filters frames of nch planar channels; out may alias in. */
void mdi_cascade_run(mdi_cascade *c, const float *const *in, float *const *out,
                     unsigned frames);

/* Frames of tail of the designs set last (see mdi_bq_tail_frames). */
unsigned mdi_cascade_tail(const mdi_cascade *c);

#endif
