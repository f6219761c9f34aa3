/* sf_source.c - file{path}: reads an audio file with libsndfile.
 *
 *   file --sf_readf_float--> interleaved chunk --deinterleave, NaN/Inf -> 0-->
 *        planar --[SpeexDSP, when the graph rate differs]--> out[c]
 *
 * The header's frame count is not trusted: the source streams to the real
 * end of the data. When it resamples, the filter delay is skipped and the
 * last input is flushed with zeros, so that the output lines up with the
 * input and lasts round(frames x ratio) frames. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io.h"
#include "pipe.h"

enum { P_PATH };

static const md_param_desc file_params[] = {
    [P_PATH] = {"path", "", 0, 0, 0, "audio file to read (any format libsndfile reads)",
                MD_PT_STRING, MD_PARAM_REQUIRED},
    {NULL},
};

typedef struct file_priv {
    SNDFILE *sf;
    unsigned channels;
    double file_hz, graph_hz;
    int64_t header_frames; /* plausible header count, or -1 */
    float *ibuf;           /* interleaved read buffer, chunk x channels */
    unsigned chunk;        /* frames per read */
    int eof;
    int64_t in_total;      /* frames read from the file */
    int64_t nonfinite;
    /* resampling */
    mdi_resampler *rs;
    float *pmem;           /* planar input, chunk frames per channel */
    float *pin[MD_MAX_CHANNELS];
    unsigned pos, avail;   /* unread part of pin */
    int64_t out_done;      /* frames delivered */
    int64_t out_target;    /* round(in_total x ratio) once eof, else -1 */
    /* decoding ahead on a worker thread (NULL: read inline) */
    mdi_pipe *pipe;
    const float *slot;     /* the slot being read: slot_frames frames, slot_pos used */
    long slot_frames;
    unsigned slot_pos;
    int syserr;            /* the worker met a system error */
} file_priv;

enum { PREFETCH_FRAMES = 16384 };

/* The worker's job: decode the next frames into a slot. */
static long decode_chunk(void *user, void *data, unsigned frames)
{
    file_priv *p = user;
    sf_count_t got = sf_readf_float(p->sf, data, frames);
    if (got <= 0) {
        if (sf_error(p->sf) == SF_ERR_SYSTEM) {
            p->syserr = 1;
            return -1;
        }
        return 0;
    }
    return (long)got;
}

static void stop_prefetch(file_priv *p)
{
    mdi_pipe_destroy(p->pipe, 1);
    p->pipe = NULL;
    p->slot = NULL;
    p->slot_frames = 0;
    p->slot_pos = 0;
}

static void file_release(md_node *n)
{
    file_priv *p = md_node_priv(n);
    stop_prefetch(p);
    if (p->sf)
        sf_close(p->sf);
    mdi_read_buffers_free(&p->rs, &p->pmem, &p->ibuf);
    memset(p, 0, sizeof *p);
}

static md_status file_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    file_priv *p = md_node_priv(n);
    const char *path = md_node_string(n, P_PATH);
    memset(p, 0, sizeof *p);
    if (!*path)
        return md_error_set(err, MD_ERR_INVALID, "file: path is required");
    SF_INFO info;
    md_status s = mdi_sf_open_read(path, &p->sf, &info, &p->header_frames, err);
    if (s != MD_OK)
        return s;
    p->channels = (unsigned)info.channels;
    p->file_hz = info.samplerate;
    p->graph_hz = in->rate_hz > 0 ? in->rate_hz : p->file_hz;
    unsigned block = in->max_frames ? in->max_frames : 2048;
    p->chunk = block;
    p->out_target = -1;
    if (lround(p->graph_hz) != lround(p->file_hz))
        p->chunk = 1024;
    s = mdi_read_buffers_init(p->channels, p->file_hz, p->graph_hz, p->chunk, &p->rs, &p->pmem,
                              p->pin, &p->ibuf, path, err);
    if (s != MD_OK) {
        file_release(n);
        return s;
    }
    out->rate_hz = p->graph_hz;
    out->channels = p->channels;
    out->max_frames = block;
    return MD_OK;
}

static void file_reset(md_node *n)
{
    file_priv *p = md_node_priv(n);
    if (!p->sf)
        return;
    int started = p->pipe != NULL;
    stop_prefetch(p);
    if (p->in_total > 0 || started)
        sf_seek(p->sf, 0, SEEK_SET);
    p->syserr = 0;
    p->pipe = mdi_pipe_create(1, 4, sizeof(float) * PREFETCH_FRAMES * p->channels,
                              PREFETCH_FRAMES, decode_chunk, p);
    p->eof = 0;
    p->in_total = 0;
    p->pos = p->avail = 0;
    p->out_done = 0;
    p->out_target = -1;
    p->nonfinite = 0;
    if (p->rs) {
        mdi_resampler_reset(p->rs);
        mdi_resampler_skip_latency(p->rs);
    }
}

/* Reads up to frames frames into dst[c] + off; 0 at the end of the data.
 * Sets err only for a system error (EIO): a short or damaged file simply
 * ends where its data ends. */
static unsigned read_frames(md_node *n, float *const *dst, unsigned off, unsigned frames,
                            md_error *err)
{
    file_priv *p = md_node_priv(n);
    const unsigned nch = p->channels;
    if (frames > p->chunk)
        frames = p->chunk;
    sf_count_t got;
    const float *ib = p->ibuf;
    if (p->pipe) {
        if (!p->slot || p->slot_pos >= (unsigned long)p->slot_frames) {
            if (p->slot)
                mdi_pipe_release(p->pipe);
            p->slot = mdi_pipe_get_full(p->pipe, &p->slot_frames);
            p->slot_pos = 0;
            if (!p->slot || p->slot_frames <= 0) {
                if (p->syserr)
                    md_error_set(err, MD_ERR_IO, "%s: read failed: %s",
                                 md_node_string(n, P_PATH), sf_strerror(p->sf));
                p->slot_frames = 0;
                return 0;
            }
        }
        got = p->slot_frames - p->slot_pos;
        if (got > frames)
            got = frames;
        ib = p->slot + (size_t)p->slot_pos * nch;
        p->slot_pos += (unsigned)got;
    } else {
        got = sf_readf_float(p->sf, p->ibuf, frames);
    }
    if (got <= 0) {
        if (sf_error(p->sf) == SF_ERR_SYSTEM)
            md_error_set(err, MD_ERR_IO, "%s: read failed: %s", md_node_string(n, P_PATH),
                         sf_strerror(p->sf));
        return 0;
    }
    for (unsigned c = 0; c < nch; c++) {
        const float *src = ib + c;
        float *d = dst[c] + off;
        for (sf_count_t i = 0; i < got; i++) {
            float x = src[i * nch];
            if (!isfinite(x)) {
                x = 0.0f;
                p->nonfinite++;
            }
            d[i] = x;
        }
    }
    p->in_total += got;
    return (unsigned)got;
}

static unsigned generate_direct(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    file_priv *p = md_node_priv(n);
    unsigned got = 0;
    while (got < frames && !p->eof) {
        unsigned k = read_frames(n, out, got, frames - got, err);
        if (k == 0)
            p->eof = 1;
        got += k;
    }
    p->out_done += got;
    return got;
}

static unsigned generate_resampled(md_node *n, float *const *out, unsigned frames,
                                   md_error *err)
{
    file_priv *p = md_node_priv(n);
    float *o[MD_MAX_CHANNELS];
    const float *i[MD_MAX_CHANNELS];
    unsigned got = 0;
    while (got < frames) {
        for (unsigned c = 0; c < p->channels; c++)
            o[c] = out[c] + got;
        if (p->avail == 0 && !p->eof) {
            p->pos = 0;
            p->avail = read_frames(n, p->pin, 0, p->chunk, err);
            if (p->avail == 0) {
                p->eof = 1;
                p->out_target = llround((double)p->in_total * mdi_resampler_ratio(p->rs));
            }
        }
        if (p->avail > 0) {
            for (unsigned c = 0; c < p->channels; c++)
                i[c] = p->pin[c] + p->pos;
            unsigned used = p->avail;
            unsigned k = mdi_resampler_process(p->rs, i, &used, o, frames - got);
            p->pos += used;
            p->avail -= used;
            got += k;
            p->out_done += k;
        } else {
            /* the input has ended: push out what the filter holds */
            int64_t left = p->out_target - p->out_done;
            if (left <= 0)
                break;
            unsigned k = left < frames - got ? (unsigned)left : frames - got;
            mdi_resampler_flush(p->rs, o, k);
            got += k;
            p->out_done += k;
        }
    }
    return got;
}

static unsigned file_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    file_priv *p = md_node_priv(n);
    unsigned got = p->rs ? generate_resampled(n, out, frames, err)
                         : generate_direct(n, out, frames, err);
    for (unsigned c = 0; c < p->channels; c++)
        memset(out[c] + got, 0, sizeof(float) * (frames - got));
    return got;
}

static int64_t file_length(const md_node *n)
{
    const file_priv *p = md_node_priv(n);
    if (!p->sf || p->header_frames < 0)
        return -1;
    if (p->rs)
        return llround((double)p->header_frames * mdi_resampler_ratio(p->rs));
    return p->header_frames;
}

static double file_native_rate(const md_node *n)
{
    const file_priv *p = md_node_priv(n);
    if (p->sf)
        return p->file_hz;
    /* before prepare (the graph choosing its rate): look at the header */
    md_file_info fi;
    if (md_file_probe(md_node_string(n, P_PATH), &fi, NULL) != MD_OK)
        return 0.0;
    return fi.rate_hz;
}

static void file_describe(const md_node *n, char *buf, unsigned size)
{
    const file_priv *p = md_node_priv(n);
    const char *path = md_node_string(n, P_PATH);
    if (!p->sf)
        snprintf(buf, size, "%s", path);
    else if (p->rs)
        snprintf(buf, size, "%s %uch %g Hz -> %g Hz", path, p->channels, p->file_hz,
                 p->graph_hz);
    else
        snprintf(buf, size, "%s %uch %g Hz", path, p->channels, p->file_hz);
}

const md_node_vtable md_node_file = {
    .name = "file",
    .doc = "Read an audio file (WAV, AIFF, FLAC, Ogg Vorbis, Opus, MP3, ... whatever "
           "libsndfile reads), resampled to the graph's rate when it differs. NaN and Inf "
           "samples are replaced by silence and counted.",
    .params = file_params,
    .priv_size = sizeof(file_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = file_prepare,
    .reset = file_reset,
    .release = file_release,
    .generate = file_generate,
    .length = file_length,
    .native_rate = file_native_rate,
    .describe = file_describe,
};

int64_t md_source_nonfinite(const md_node *n)
{
    if (!n || md_node_type(n) != &md_node_file)
        return -1;
    const file_priv *p = md_node_priv(n);
    return p->nonfinite;
}
