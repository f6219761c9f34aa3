/* dyn_support.h - helpers for the dynamics tests: signals, block-wise runs,
 * level measurements, float WAV files and two independent true-peak meters
 * (libebur128 and ffmpeg's ebur128 filter). */
#ifndef MD_TEST_DYN_SUPPORT_H
#define MD_TEST_DYN_SUPPORT_H

#include <stdint.h>
#include "mixdown/md.h"

/* Planar audio owned by the test. */
typedef struct dyn_audio {
    unsigned channels, frames;
    double rate_hz;
    float *ch[8];
} dyn_audio;

void dyn_audio_alloc(dyn_audio *a, unsigned channels, unsigned frames, double rate_hz);
void dyn_audio_free(dyn_audio *a);

void dyn_sine(float *x, unsigned frames, double freq_hz, double rate_hz, double peak,
              double phase_rad);
double dyn_rand(uint64_t *state); /* xorshift64*, [0, 1) */

/* Creates node `type`, sets the name=value pairs (values as strings), prepares it for
 * (channels, rate, max_frames) with sc sidechain channels; cr_asserts on failure. */
md_node *dyn_make(const char *type, unsigned channels, double rate_hz, unsigned max_frames,
                  unsigned sc, const char *const *kv);

/* Runs node over in (and sidechain sc, may be NULL) into out in blocks of `block` frames
 * (the last one shorter). out must have the node's output channels. */
void dyn_run(md_node *n, const dyn_audio *in, const dyn_audio *sc, dyn_audio *out,
             unsigned block);

double dyn_db(double amp);                                  /* 20 log10, -inf safe */
double dyn_rms(const float *x, unsigned frames);            /* linear */
double dyn_peak(const float *x, unsigned frames);           /* linear max |x| */

/* Makes a fresh directory under /tmp; dyn_tmp_cleanup removes it and its files. */
void dyn_tmp_make(char *dir, unsigned size);
void dyn_tmp_cleanup(const char *dir);

/* 32-bit float WAV. Returns 0 or -1. */
int dyn_write_wav(const char *path, const dyn_audio *a);

/* True peak (dBTP, largest over channels) of a, by libebur128 (EBUR128_MODE_TRUE_PEAK). */
double dyn_tp_libebur128(const dyn_audio *a);
/* True peak of the file by `ffmpeg -nostdin -i F -af ebur128=peak=true -f null -`
 * (the "Peak:" line of the summary). Returns 0 and sets *db, or -1 when ffmpeg is
 * missing or its output has no Peak line (the caller fails the test). */
int dyn_tp_ffmpeg(const char *path, double *db);

#endif
