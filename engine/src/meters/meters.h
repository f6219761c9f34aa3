/* meters.h - pieces of the analyzer (md_analyze.h) shared by the files in meters/. */
#ifndef MDI_METERS_H
#define MDI_METERS_H

#include "mixdown/md_analyze.h"
#include <stdint.h>

/* ------------------------------------------------------------ chanmap.c */

/* libebur128 channel (EBUR128_LEFT, ...) for channel c of a stream with
 * `channels` channels and libsndfile map sf_map (nullable). BS.1770-4 weights
 * follow from it: 1.41 for azimuth 60..120 degrees, LFE unused. */
int mdi_ebur128_channel(const int *sf_map, unsigned channels, unsigned c);

/* ------------------------------------------------------------ levels.c */

/* Running figures of one channel. */
typedef struct mdi_chan_levels {
    double sum, sum2; /* of finite samples */
    uint64_t n;       /* finite samples */
    float peak;       /* max |x| of finite samples */
    unsigned run;     /* length of the current full-scale run */
    int run_sign;
    uint64_t clipped, nonfinite;
} mdi_chan_levels;

/* Sums for the Pearson correlation of two channels, over the frames where
 * both samples are finite. */
typedef struct mdi_pair_levels {
    double sx, sy, sxx, syy, sxy;
    uint64_t n;
} mdi_pair_levels;

/* Adds x[i * xs], i < n, to s and copies it to dst[i], non-finite samples
 * replaced by 0. */
void mdi_levels_channel(mdi_chan_levels *s, const float *x, size_t xs, unsigned n, float *dst);
/* x[i * xs] and y[i * xs], i < n */
void mdi_levels_pair(mdi_pair_levels *p, const float *x, const float *y, size_t xs, unsigned n);

/* ------------------------------------------------------------ gating.c */

#define MDI_GATE_FLOOR_LUFS (-70.0) /* absolute gate, BS.1770-4 and Tech 3342 */
#define MDI_GATE_BINS_PER_LU 100
#define MDI_GATE_BINS (110 * MDI_GATE_BINS_PER_LU) /* -70 .. +40 LUFS, the top bin open */

/* Blocks above the absolute gate, binned by loudness with exact energy sums. */
typedef struct mdi_gate_hist {
    uint64_t count[MDI_GATE_BINS];
    double energy[MDI_GATE_BINS];
} mdi_gate_hist;

void mdi_gate_clear(mdi_gate_hist *h);
/* Adds a block of mean weighted energy `energy` (BS.1770-4 z, summed over
 * channels with their weights); blocks at or under -70 LUFS are dropped. */
void mdi_gate_add(mdi_gate_hist *h, double energy);
/* Gated loudness of 400 ms blocks (BS.1770-4), NAN without blocks. */
double mdi_gate_integrated(const mdi_gate_hist *h);
/* Loudness range of 3 s blocks (Tech 3342), NAN without blocks. */
double mdi_gate_range(const mdi_gate_hist *h);

/* ------------------------------------------------------------ ring.c */

/* Planar slots (channel c at slot + c * stride) handed from the caller's
 * thread to a consumer on a worker thread (threaded) or run at publish time;
 * a second consumer runs on the caller's thread at publish, alongside. */
typedef void (*mdi_ring_consume_fn)(void *user, const float *slot, unsigned stride,
                                    unsigned frames);
typedef struct mdi_ring mdi_ring;

/* on_worker NULL: no worker, one slot that is reused. on_caller nullable. */
mdi_ring *mdi_ring_create(unsigned channels, unsigned slot_frames, mdi_ring_consume_fn on_worker,
                          mdi_ring_consume_fn on_caller, void *user, int threaded, md_error *err);
/* The slot to write: frames fill.. of each channel are free, *avail of them
 * (>= 1). May wait for the worker. */
float *mdi_ring_slot(mdi_ring *r, unsigned *fill, unsigned *avail);
unsigned mdi_ring_stride(const mdi_ring *r);
/* `frames` (<= avail) were written at fill. */
void mdi_ring_commit(mdi_ring *r, unsigned frames);
/* Publishes a partial slot and waits until the consumers have seen everything. */
void mdi_ring_drain(mdi_ring *r);
void mdi_ring_destroy(mdi_ring *r);

#endif
