/* resampler.c - planar float sample-rate conversion with SpeexDSP.
 *
 * SpeexDSP keeps one filter state per channel and takes a stride, so planar
 * channels are processed one after the other without interleaving. */
#include <math.h>
#include <stdlib.h>
#include <speex/speex_resampler.h>
#include "io.h"

struct mdi_resampler {
    SpeexResamplerState *st;
    unsigned channels;
    unsigned in_hz, out_hz;
    double ratio;
};

mdi_resampler *mdi_resampler_create(unsigned channels, double in_hz, double out_hz,
                                    md_error *err)
{
    if (channels == 0 || channels > MD_MAX_CHANNELS) {
        md_error_set(err, MD_ERR_INVALID, "resample: channels must be 1..%d, got %u",
                     MD_MAX_CHANNELS, channels);
        return NULL;
    }
    if (!(in_hz >= MD_MIN_RATE && in_hz <= MD_MAX_RATE) ||
        !(out_hz >= MD_MIN_RATE && out_hz <= MD_MAX_RATE)) {
        md_error_set(err, MD_ERR_INVALID, "resample: rates must be %g..%g Hz, got %g -> %g",
                     MD_MIN_RATE, MD_MAX_RATE, in_hz, out_hz);
        return NULL;
    }
    mdi_resampler *r = calloc(1, sizeof *r);
    if (!r) {
        md_error_set(err, MD_ERR_NOMEM, "resample: out of memory");
        return NULL;
    }
    r->channels = channels;
    r->in_hz = (unsigned)lround(in_hz);
    r->out_hz = (unsigned)lround(out_hz);
    r->ratio = (double)r->out_hz / r->in_hz;
    int e = 0;
    r->st = speex_resampler_init(channels, r->in_hz, r->out_hz, MDI_RESAMPLE_QUALITY, &e);
    if (!r->st) {
        free(r);
        md_error_set(err, e == RESAMPLER_ERR_ALLOC_FAILED ? MD_ERR_NOMEM : MD_ERR_INVALID,
                     "resample: cannot convert %g Hz to %g Hz (%s)", in_hz, out_hz,
                     speex_resampler_strerror(e));
        return NULL;
    }
    return r;
}

void mdi_resampler_destroy(mdi_resampler *r)
{
    if (!r)
        return;
    if (r->st)
        speex_resampler_destroy(r->st);
    free(r);
}

unsigned mdi_resampler_process(mdi_resampler *r, const float *const *in, unsigned *in_frames,
                               float *const *out, unsigned out_capacity)
{
    spx_uint32_t used = 0, made = 0;
    for (unsigned c = 0; c < r->channels; c++) {
        spx_uint32_t ilen = *in_frames, olen = out_capacity;
        speex_resampler_process_float(r->st, c, in ? in[c] : NULL, &ilen, out[c], &olen);
        /* every channel sees the same counts: the state advances in lockstep */
        used = ilen;
        made = olen;
    }
    *in_frames = used;
    return made;
}

void mdi_resampler_flush(mdi_resampler *r, float *const *out, unsigned frames)
{
    float *o[MD_MAX_CHANNELS];
    unsigned done = 0;
    while (done < frames) {
        for (unsigned c = 0; c < r->channels; c++)
            o[c] = out[c] + done;
        /* enough zeros for the frames still wanted, plus the filter's slack */
        unsigned want = frames - done;
        unsigned zeros = (unsigned)ceil(want / r->ratio) + 2;
        done += mdi_resampler_process(r, NULL, &zeros, o, want);
    }
}

unsigned mdi_resampler_latency(const mdi_resampler *r)
{
    return (unsigned)speex_resampler_get_output_latency(r->st);
}

void mdi_resampler_skip_latency(mdi_resampler *r) { speex_resampler_skip_zeros(r->st); }

void mdi_resampler_reset(mdi_resampler *r) { speex_resampler_reset_mem(r->st); }

double mdi_resampler_ratio(const mdi_resampler *r) { return r->ratio; }

unsigned mdi_resampler_max_out(const mdi_resampler *r, unsigned in_frames)
{
    return (unsigned)ceil(in_frames * r->ratio) + 2;
}

md_status mdi_read_buffers_init(unsigned channels, double file_hz, double graph_hz,
                                unsigned chunk, mdi_resampler **rs, float **pmem, float **pin,
                                float **ibuf, const char *who, md_error *err)
{
    if (lround(graph_hz) != lround(file_hz)) {
        *rs = mdi_resampler_create(channels, file_hz, graph_hz, err);
        if (!*rs)
            return err ? err->status : MD_ERR_INVALID;
        *pmem = md_aligned_alloc(sizeof(float) * chunk * channels);
        if (!*pmem)
            return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", who);
        for (unsigned c = 0; c < channels; c++)
            pin[c] = *pmem + (size_t)c * chunk;
    }
    *ibuf = malloc(sizeof(float) * (size_t)chunk * channels);
    if (!*ibuf)
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", who);
    return MD_OK;
}

void mdi_read_buffers_free(mdi_resampler **rs, float **pmem, float **ibuf)
{
    free(*ibuf);
    md_aligned_free(*pmem);
    mdi_resampler_destroy(*rs);
    *ibuf = NULL;
    *pmem = NULL;
    *rs = NULL;
}
