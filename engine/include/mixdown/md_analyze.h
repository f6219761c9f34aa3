/* md_analyze.h - streaming measurement of a signal: loudness, peaks, levels.
 *
 * One analyzer measures one stream (a file, a render's output) fed in blocks
 * of any size; memory does not depend on the stream's length.
 *
 * Loudness follows ITU-R BS.1770-4 and EBU R128, with libebur128 doing the
 * K-weighting and channel weighting:
 *   integrated (gated 400 ms blocks every 100 ms, EBU Tech 3341), loudness
 *   range (3 s blocks every 100 ms, EBU Tech 3342 v3), momentary (400 ms) and
 *   short-term (3 s) loudness evaluated every 5 ms (rates that are multiples
 *   of 200 Hz, 48 kHz among them) or 10 ms (other rates), true peak
 *   (libebur128: 4x oversampling below 96 kHz, 2x below 192 kHz).
 * Windows not yet filled at the start count their missing part as silence
 * (as libebur128 and FFmpeg do), so a stream shorter than 3 s has a lower
 * short-term maximum than its level; under 400 ms there is no integrated
 * loudness, under 3 s no loudness range (NAN).
 * Gating uses 0.01 LU bins with exact energy sums: integrated loudness and
 * LRA are exact to about 0.01 LU.
 * Levels are computed here: sample peak, RMS, crest, DC offset, clipped and
 * non-finite samples, correlation and balance of channels 0 and 1.
 *
 * Channels are weighted as BS.1770-4 says: L, R, C 1.0, surrounds (azimuth
 * 60..120 degrees) 1.41, LFE not measured. A mono stream is one channel of
 * weight 1.0 (not "dual mono" +3 dB): a mono sine of peak A reads
 * 20 log10(A) - 3.01 LUFS, what BS.1770 gives a single centre channel.
 *
 * Threading: an analyzer is used by one thread at a time. Unless
 * MD_ANALYZE_NO_THREAD is given it starts a worker thread of its own and
 * shares the true-peak oversampling (most of the cost) between it and the
 * calling thread, channel by channel: on two cores a measurement takes
 * about the wall time of a plain single-threaded libebur128 pass or less.
 */
#ifndef MD_ANALYZE_H
#define MD_ANALYZE_H

#include "md_buffer.h"
#include "md_error.h"
#include <stdint.h>

/* A sample is at full scale when |x| >= MD_ANALYZE_CLIP_LEVEL = 1 - 2^-15
 * (32767/32768: the largest positive 16-bit value). Clipped samples are those
 * in runs of 2 or more consecutive full-scale samples of one channel with the
 * same sign (a flat top); a lone full-scale sample is not counted. */
#define MD_ANALYZE_CLIP_LEVEL (1.0 - 1.0 / 32768.0)

/* Interval of the momentary/short-term series (md_analyzer_set_series). */
#define MD_ANALYZE_SERIES_MS 100

/* Flags for md_analyzer_create (or'ed). */
enum {
    MD_ANALYZE_NO_THREAD = 1u << 0,   /* no worker thread: all on the calling thread */
    MD_ANALYZE_NO_TRUE_PEAK = 1u << 1 /* skip true peak (reported as NAN) */
};

typedef struct md_analyzer md_analyzer;

/* Results. Every figure that is undefined is NAN, never a sentinel: silence
 * (loudness and levels of -inf), a mono stream's correlation and balance,
 * an empty stream. Levels exclude non-finite samples. */
typedef struct md_analysis {
    double rate_hz;
    unsigned channels;
    uint64_t frames;   /* frames added so far */
    double duration_s; /* frames / rate_hz */

    double integrated_lufs;     /* gated programme loudness (BS.1770-4, Tech 3341) */
    double loudness_range_lu;   /* LRA (Tech 3342); NAN under 3 s or without signal */
    double max_momentary_lufs;  /* highest 400 ms loudness */
    double max_short_term_lufs; /* highest 3 s loudness */

    double true_peak_dbtp; /* max over channels (dBTP) */
    double true_peak_ch_dbtp[MD_MAX_CHANNELS];
    double sample_peak_dbfs; /* max |x| over channels (dBFS) */
    double sample_peak_ch_dbfs[MD_MAX_CHANNELS];
    double rms_dbfs;            /* sqrt(mean x^2) over all samples of all channels;
                                   a full-scale sine reads -3.01 dBFS */
    double crest_db;            /* sample_peak_dbfs - rms_dbfs (a sine: 3.01 dB) */
    double dc_offset;           /* linear: the largest |mean| over channels */
    uint64_t clipped_samples;   /* see MD_ANALYZE_CLIP_LEVEL */
    uint64_t nonfinite_samples; /* NaN and +-Inf: counted, measured as 0 by the
                                   loudness meter, left out of every level */
    double correlation;         /* Pearson correlation of channels 0 and 1, -1..1;
                                   NAN for mono or a channel without AC content */
    double balance_db;          /* RMS level of channel 0 minus channel 1 (dB);
                                   positive: left louder; NAN for mono/silence */
} md_analysis;

/* Called every MD_ANALYZE_SERIES_MS of input with the momentary and
 * short-term loudness at that instant (LUFS, NAN for silence), from inside
 * md_analyzer_add on the caller's thread. time_s is the end of the windows. */
typedef void (*md_analyze_series_fn)(void *user, double time_s, double momentary_lufs,
                                     double short_term_lufs);

/* A new analyzer for a stream of `channels` channels at `rate_hz`.
 * channel_map (nullable) has `channels` entries of libsndfile's
 * SF_CHANNEL_MAP_* values (SFC_GET_CHANNEL_MAP_INFO, e.g. a WAVEX mask);
 * unknown entries are measured with weight 1.0. Without a map: mono is one
 * channel; otherwise L R C LFE Ls Rs, channels beyond 6 weight 1.0.
 * flags: MD_ANALYZE_*. Returns NULL and sets err on failure:
 *   MD_ERR_INVALID  rate not a whole number of Hz in MD_MIN_RATE..MD_MAX_RATE,
 *                   channels outside 1..MD_MAX_CHANNELS, unknown flags
 *   MD_ERR_NOMEM    out of memory (it takes about 1 MB plus 0.8 s of audio per
 *                   channel as doubles: 0.6 MB a channel at 48 kHz)
 *   MD_ERR_INTERNAL the worker thread cannot be started */
md_analyzer *md_analyzer_create(double rate_hz, unsigned channels, const int *channel_map,
                                unsigned flags, md_error *err);

/* Sets (or with fn NULL clears) the series callback. Call before adding. */
void md_analyzer_set_series(md_analyzer *a, md_analyze_series_fn fn, void *user);

/* Measures `frames` frames of planar[c][0..frames-1], c < channels. Any block
 * size, 0 included; never allocates; may wait for the true-peak worker.
 *   MD_ERR_INVALID  no data (NULL) with frames > 0
 *   MD_ERR_STATE    an earlier failure of this analyzer (it stays failed) */
md_status md_analyzer_add(md_analyzer *a, const float *const *planar, unsigned frames,
                          md_error *err);

/* The same for interleaved frames (interleaved[i * channels + c]), as
 * libsndfile reads them; saves the caller a copy. */
md_status md_analyzer_add_interleaved(md_analyzer *a, const float *interleaved, unsigned frames,
                                      md_error *err);

/* Fills *out with the figures for everything added so far. May be called
 * more than once; adding may go on afterwards. Returns MD_OK, or the status
 * of an earlier failure (then *out holds what could be measured). */
md_status md_analyzer_result(md_analyzer *a, md_analysis *out);

/* Stops the worker and frees everything. NULL: no-op. */
void md_analyzer_destroy(md_analyzer *a);

#endif
