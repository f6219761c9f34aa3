/* md_meter.h - the `meter` sink node: measurements anywhere in a graph. */
#ifndef MD_METER_H
#define MD_METER_H

#include "md_analyze.h"
#include "md_node.h"

/* Figures of everything the meter received in the last render.
 * MD_ERR_INVALID: n is not a meter; MD_ERR_STATE: nothing rendered yet. */
md_status md_meter_result(const md_node *n, md_analysis *out, md_error *err);
/* Momentary/short-term series callback (every MD_ANALYZE_SERIES_MS), for plots. */
void md_meter_set_series(md_node *n, md_analyze_series_fn fn, void *user);

/* ---- plots: a meter created with plots = true also keeps, in memory fixed
 * at prepare (no allocation while rendering), what a report draws. Each
 * function below fails with MD_ERR_INVALID when n is not a meter and
 * MD_ERR_STATE when nothing was rendered or plots was false. They may be
 * called after a render, not during one. */

/* Long-term average spectrum: Welch's method (Hann window, 50 % overlap,
 * FFT of the power of two giving bins of at most 3 Hz: 16384 at 44.1 and
 * 48 kHz), power averaged over frames and channels (so out-of-phase content
 * is not cancelled as in a mono downmix). Bin k is at k * *bin_hz Hz,
 * k < *bins (fft/2 + 1). Values in dB calibrated for tones: a sine of peak A
 * centred on a bin reads 20 log10 A (up to 1.42 dB less between two bins);
 * noise reads its power per bin + 1.76 dB. NAN for a bin without power.
 * db NULL: only *bins and *bin_hz are set. A stream shorter than one FFT
 * (`frames` long) is measured as one Hann window over it, zero-padded: the
 * bins keep their power per bin (the bands stay right) and a tone reads
 * 10 log10(frames / fft) dB lower, spread over more bins.
 * MD_ERR_INVALID also when capacity < *bins. */
md_status md_meter_spectrum(const md_node *n, double *db, unsigned capacity, unsigned *bins,
                            double *bin_hz, md_error *err);

/* 1/3-octave band levels (IEC 61260-1, base 10) from the spectrum above:
 * each band's power (bins integrated between the band edges f * 10^(+-1/20))
 * in dB re a full-scale sine's power, so a sine of peak A inside a band
 * reads 20 log10 A. Bands centred above the Nyquist frequency are NAN; the
 * 20 kHz band at 44.1 kHz holds only its part below 22.05 kHz. */
#define MD_METER_BANDS 31
typedef struct md_meter_band_levels {
    double nominal_hz[MD_METER_BANDS]; /* 20, 25, 31.5, ... 20000 */
    double exact_hz[MD_METER_BANDS];   /* 1000 * 10^(x/10), x = -17..13 */
    double db[MD_METER_BANDS];
} md_meter_band_levels;
md_status md_meter_bands(const md_node *n, md_meter_band_levels *out, md_error *err);

/* Momentary and short-term loudness every MD_ANALYZE_SERIES_MS, at most
 * MD_METER_SERIES_MAX points: when full, neighbouring points merge (their
 * maximum) and later points span twice the time, so a long stream gives
 * MD_METER_SERIES_MAX/2 .. MD_METER_SERIES_MAX points of equal span. The
 * highest short-term value of the series is the highest of the 100 ms
 * ticks (the analyzer's maximum, taken every 5-10 ms, may be a little
 * higher). t_s: end of the point's last window. LUFS, NAN for silence. */
#define MD_METER_SERIES_MAX 2000
typedef struct md_meter_loudness_point {
    double t_s, momentary_lufs, short_term_lufs;
} md_meter_loudness_point;
md_status md_meter_series(const md_node *n, md_meter_loudness_point *pts, unsigned capacity,
                          unsigned *count, md_error *err);

/* Waveform envelope: sample peak and RMS over all channels per column of
 * frames; columns start at 64 frames and double whenever
 * MD_METER_ENVELOPE_MAX fill (a stream of unknown length still ends with
 * 1024..2048 equal columns once it is long enough). t_s: start of the
 * column; *column_s (nullable): the columns' span in seconds (the last
 * column may be partial). dBFS, NAN for digital silence. The highest peak
 * of the envelope is the stream's sample peak. */
#define MD_METER_ENVELOPE_MAX 2048
typedef struct md_meter_envelope_point {
    double t_s, peak_dbfs, rms_dbfs;
} md_meter_envelope_point;
md_status md_meter_envelope(const md_node *n, md_meter_envelope_point *pts, unsigned capacity,
                            unsigned *count, double *column_s, md_error *err);

#endif
