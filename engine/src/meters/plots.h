/* plots.h - what the meter keeps for reports, in memory that does not grow
 * with the stream: the long-term average spectrum and 1/3-octave bands
 * (spectrum.c), and two decimating time series (meter_series.c): loudness
 * every 100 ms and the waveform envelope.
 *
 * Everything is allocated by *_create; *_add never allocates, locks or does
 * I/O, so a meter can run them inside a render. */
#ifndef MDI_PLOTS_H
#define MDI_PLOTS_H

#include "mixdown/md_error.h"
#include <stdint.h>

/* ------------------------------------------------------------ spectrum.c */

/* IEC 61260-1 1/3-octave bands, base 10: exact mid-band frequencies
 * 1000 * 10^(x/10) Hz, x = -17..13, nominal 20 Hz .. 20 kHz. */
#define MDI_BANDS 31

typedef struct mdi_spectrum mdi_spectrum;

/* Welch's averaged periodogram of `channels` channels at rate_hz: Hann
 * window, 50 % overlap, FFT length the power of two that gives bins of at
 * most 3 Hz (16384 at 44.1/48 kHz). NULL with err set on bad arguments or
 * no memory. */
mdi_spectrum *mdi_spectrum_create(double rate_hz, unsigned channels, md_error *err);
void mdi_spectrum_destroy(mdi_spectrum *s); /* NULL: no-op */
/* Adds frames of planar x[c]; non-finite samples count as 0. */
void mdi_spectrum_add(mdi_spectrum *s, const float *const *x, unsigned frames);
/* Bins of the one-sided spectrum (fft/2 + 1) and their spacing in Hz. */
unsigned mdi_spectrum_bins(const mdi_spectrum *s);
double mdi_spectrum_bin_hz(const mdi_spectrum *s);
/* Mean-square power per bin, averaged over frames and channels, one-sided:
 * the bins sum to the mean square of the signal (Parseval). Returns the
 * number of FFT frames averaged; with no full frame yet, the frames seen so
 * far are measured as one shorter, zero-padded window. 0: nothing added. */
uint64_t mdi_spectrum_power(mdi_spectrum *s, double *power);
/* Band power of each 1/3-octave band from a power spectrum (bins of bin_hz):
 * the bins' power integrated over the band edges (each bin spans +-bin_hz/2,
 * split in proportion where an edge crosses it). Bands whose centre is above
 * the Nyquist frequency get NAN. centre_hz: exact mid-band frequencies. */
void mdi_bands_from_power(const double *power, unsigned bins, double bin_hz,
                          double centre_hz[MDI_BANDS], double band_power[MDI_BANDS]);
/* Nominal centre of band i ("1k" is 1000): 20, 25, 31.5, ... 20000. */
double mdi_band_nominal_hz(unsigned i);

/* ------------------------------------------------------------ meter_series.c */

/* A series of points that fits in `cap` slots whatever the stream's length:
 * when full, neighbouring pairs merge and later points take twice as many
 * inputs each. Each point keeps up to 2 values; `max_merge` marks values
 * merged by maximum, the others are summed (the caller divides by n). */
typedef struct mdi_series {
    unsigned cap, count;
    unsigned per_point; /* inputs per point now (1, 2, 4, ...) */
    double *t;          /* time of a point's last input (s) */
    double *v[2];
    uint64_t *n; /* inputs in a point (sum values) */
    int max_merge[2];
    /* the point being filled */
    unsigned pend_inputs;
    double pend_t, pend_v[2];
    uint64_t pend_n;
} mdi_series;

/* cap >= 2 (even). NULL values: nothing allocated (md_status NOMEM). */
md_status mdi_series_init(mdi_series *s, unsigned cap, int max0, int max1, md_error *err);
void mdi_series_deinit(mdi_series *s);
void mdi_series_clear(mdi_series *s);
/* One input: values a, b (NAN ignored by max, counted as nothing by sums) at
 * time t, n samples behind sum values. */
void mdi_series_push(mdi_series *s, double t, double a, double b, uint64_t n);
/* Points so far, the partial one included: t, v0, v1 and n of point i. */
unsigned mdi_series_count(const mdi_series *s);
void mdi_series_get(const mdi_series *s, unsigned i, double *t, double *a, double *b, uint64_t *n);

/* Waveform envelope: peak and mean square per column of frames, columns of
 * MDI_ENV_FRAMES0 frames at first, doubling whenever MDI_ENV_CAP fill. */
#define MDI_ENV_CAP 2048
#define MDI_ENV_FRAMES0 64

typedef struct mdi_envelope {
    mdi_series cols; /* v[0] = peak (max), v[1] = sum of squares (sum) */
    double rate_hz;
    unsigned channels;
    uint64_t frames;   /* frames added */
    unsigned col_fill; /* frames in the current base column */
    float peak;
    double sum2;
} mdi_envelope;

md_status mdi_envelope_init(mdi_envelope *e, double rate_hz, unsigned channels, md_error *err);
void mdi_envelope_deinit(mdi_envelope *e);
/* Adds frames of planar x[c]; non-finite samples are left out. */
void mdi_envelope_add(mdi_envelope *e, const float *const *x, unsigned frames);
/* Columns so far (the partial one included); column i covers frames
 * [start, start + span): start time, peak (linear) and RMS (linear) over all
 * channels. Returns the number of columns. */
unsigned mdi_envelope_count(const mdi_envelope *e);
void mdi_envelope_get(const mdi_envelope *e, unsigned i, double *start_s, double *peak,
                      double *rms);

#endif
