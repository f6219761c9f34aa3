/* io.h - file I/O internals shared by the file source, the sink and the
 * resample node: SpeexDSP resampling, word-length reduction with dither, and
 * libsndfile format tables. */
#ifndef MDI_IO_H
#define MDI_IO_H

#include <stdint.h>
#include <sndfile.h>
#include "../internal.h"

/* --- resampling (SpeexDSP) ------------------------------------------------- */

/* SpeexDSP quality used everywhere. Measured (tests/engine/test_resampler.c,
 * 44.1 <-> 48 <-> 96 kHz, all six directions): quality 7 is the lowest that
 * keeps the passband within 0.2 dB up to 0.9 x the lower Nyquist (quality 6
 * droops 0.21 dB at 48 -> 44.1 kHz) with aliases and images below -80 dB;
 * quality 8 gives < 0.001 dB ripple and <= -100 dB images/aliases for tones
 * 2 % or more beyond the Nyquist frequency, at ~80x real time for stereo. */
#define MDI_RESAMPLE_QUALITY 8

typedef struct mdi_resampler mdi_resampler;

/* Planar float resampler for channels channels from in_hz to out_hz (rounded
 * to whole Hz). NULL with MD_ERR_INVALID for rates out of range,
 * MD_ERR_NOMEM when out of memory. */
mdi_resampler *mdi_resampler_create(unsigned channels, double in_hz, double out_hz,
                                    md_error *err);
void mdi_resampler_destroy(mdi_resampler *r); /* NULL: no-op */

/* Consumes up to *in_frames frames of in[c] (in NULL: zeros) and writes up to
 * out_capacity frames to out[c]; *in_frames becomes the frames consumed.
 * Returns the frames written. out_capacity >= mdi_resampler_max_out(r,
 * *in_frames) guarantees that every input frame is consumed. */
unsigned mdi_resampler_process(mdi_resampler *r, const float *const *in, unsigned *in_frames,
                               float *const *out, unsigned out_capacity);
/* Feeds zeros until exactly frames output frames are written: this pushes out
 * what the filter still holds after the input has ended. */
void mdi_resampler_flush(mdi_resampler *r, float *const *out, unsigned frames);
/* Delay in output frames between an input frame and its output (the filter's
 * half length), unless mdi_resampler_skip_latency was called. */
unsigned mdi_resampler_latency(const mdi_resampler *r);
/* Drops the filter delay, so that output frame k lines up with input time
 * k / ratio (used by the file source, which must stay aligned). */
void mdi_resampler_skip_latency(mdi_resampler *r);
/* Forgets the history (back to the state after create). */
void mdi_resampler_reset(mdi_resampler *r);
double mdi_resampler_ratio(const mdi_resampler *r); /* out_hz / in_hz */
/* Largest number of frames a call with in_frames input may produce. */
unsigned mdi_resampler_max_out(const mdi_resampler *r, unsigned in_frames);

/* --- word-length reduction (dither.c) -------------------------------------- */

/* Values of the sink's `dither` enum, in the order of its choices. */
enum { MDI_DITHER_TPDF, MDI_DITHER_SHAPED, MDI_DITHER_NONE };

typedef struct mdi_quantizer {
    unsigned bits;      /* 8, 16, 24 (dithered) or 32 (rounded only) */
    unsigned channels;
    int mode;           /* MDI_DITHER_* */
    unsigned shift;     /* 32 - bits: the word is written left-justified */
    double scale;       /* 2^(bits-1) */
    double lo, hi;      /* integer range at the target word length */
    double h1;          /* noise-shaping feedback, see dither.c */
    uint64_t rng_state, rng_inc;
    double err[MD_MAX_CHANNELS][2]; /* last two quantization errors (LSB) */
    uint32_t lane[8];   /* TPDF: eight xorshift32 generators, one batch = 8 draws */
    uint32_t pend[8];   /* the unused tail of the last batch */
    unsigned npend;
    int64_t nonfinite;  /* NaN/Inf replaced by 0 */
    int64_t clipped;    /* samples beyond full scale, clamped */
} mdi_quantizer;

/* mode: MDI_DITHER_*; seed: the PRNG seed (same seed -> same output). */
void mdi_quantizer_init(mdi_quantizer *q, unsigned bits, int mode, uint64_t seed,
                        unsigned channels, double rate_hz);
/* Quantizes frames planar frames to interleaved 32-bit words holding the
 * bits-bit value in their top bits (libsndfile's sf_writef_int layout). The
 * result depends only on the samples and the seed, not on block sizes. */
void mdi_quantize(mdi_quantizer *q, const float *const *in, unsigned frames, int32_t *out);

/* PCG32 (M. O'Neill, "PCG: a family of simple fast space-efficient
 * statistically good algorithms for random number generation", 2014). */
uint32_t mdi_pcg32(uint64_t *state, uint64_t inc);

/* --- formats (formats.c) --------------------------------------------------- */

/* Short names for plans and md_file_info: "WAV", "FLAC", "PCM_24", "FLOAT". */
const char *mdi_major_name(int format);
const char *mdi_subtype_name(int format);
/* The name's extension ("x.wav" -> "wav"), or "" when there is none. */
const char *mdi_extension(const char *path);

/* Opens path for reading and validates rate and channels; *plausible_frames
 * is the header's frame count when it can be trusted, else -1. Messages name
 * the file: "song.wav: cannot open: No such file or directory". */
/* The read buffers of a file-reading source (file, region): an interleaved
 * chunk of `chunk` frames, and when the file's rate differs from the graph's
 * a resampler with a planar input chunk (pin[c] into pmem). On failure the
 * caller frees what was made with mdi_read_buffers_free. */
md_status mdi_read_buffers_init(unsigned channels, double file_hz, double graph_hz,
                                unsigned chunk, mdi_resampler **rs, float **pmem, float **pin,
                                float **ibuf, const char *who, md_error *err);
void mdi_read_buffers_free(mdi_resampler **rs, float **pmem, float **ibuf);

md_status mdi_sf_open_read(const char *path, SNDFILE **sf, SF_INFO *info,
                           int64_t *plausible_frames, md_error *err);

#endif
