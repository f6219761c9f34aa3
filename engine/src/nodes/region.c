/* region.c - region{path, at, from, to, fade_in, fade_out, ...}: a segment of
 * a file placed on the timeline, for editing (cutting and assembling takes).
 *
 *   silence until `at` | file[from .. to] x gain x fades | ends
 *
 *   file --seek to `from`--> read (to - from) s --[SpeexDSP when the file's
 *   rate differs]--> x gain x fade-in x fade-out --> out, starting at `at`
 *
 * Positions land on whole frames at the graph rate: the region starts at
 * frame round(at x rate) and lasts round((to - from) x file rate) file frames,
 * round(that x rate / file rate) frames when resampled. A fade of length F
 * over N = round(F x rate) frames gives frame k of the fade-in the gain
 * curve(k / N) (so the first frame is silent), and frame j of the fade-out
 * curve((N - j) / N) (so the frame after the region would be silent). The
 * two mirror each other: a fade-out and a fade-in over the same N frames sum
 * to constant amplitude (linear) or constant power (equal_power).
 *
 * Curves of the position x in 0..1:
 *   linear       x
 *   equal_power  sin(x pi / 2)
 *   log          (10^(3x) - 1) / 999: the level in dB rises along a straight
 *                line over its last 60 dB (-30.3 dB half way), from exact silence
 *
 * Why a node and not file + envelope + delay in Lua: the file source cannot
 * seek, and placing a region at `at` would need a delay line as long as `at`
 * (memory growing with the timeline); here the region seeks to `from` and
 * emits silence until `at`, with memory independent of both.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../io/io.h"

enum { P_PATH, P_AT, P_FROM, P_TO, P_FADE_IN, P_FADE_OUT, P_FADE_IN_CURVE, P_FADE_OUT_CURVE,
       P_GAIN };
enum { CURVE_LINEAR, CURVE_EQUAL_POWER, CURVE_LOG };

static const char *const curves[] = {"linear", "equal_power", "log", NULL};

#define MAX_S 86400.0 /* a day of timeline */

static const md_param_desc region_params[] = {
    [P_PATH] = {"path", "", 0, 0, 0, "audio file to take the region from", MD_PT_STRING,
                MD_PARAM_REQUIRED},
    [P_AT] = {"at", "s", 0.0, MAX_S, 0.0, "where the region starts on the timeline",
              MD_PT_NUMBER, 0},
    [P_FROM] = {"from", "s", 0.0, MAX_S, 0.0, "where in the file the region starts (trim)",
                MD_PT_NUMBER, 0},
    [P_TO] = {"to", "s", 0.0, MAX_S, NAN, "where in the file the region ends (trim; auto: the "
              "file's end)", MD_PT_NUMBER, MD_PARAM_AUTO},
    [P_FADE_IN] = {"fade_in", "s", 0.0, 3600.0, 0.0, "length of the fade-in", MD_PT_NUMBER, 0},
    [P_FADE_OUT] = {"fade_out", "s", 0.0, 3600.0, 0.0, "length of the fade-out", MD_PT_NUMBER,
                    0},
    [P_FADE_IN_CURVE] = {"fade_in_curve", "", 0, 2, CURVE_LINEAR,
                         "shape of the fade-in: linear, equal_power (sine) or log (straight in dB)",
                         MD_PT_ENUM, 0, curves},
    [P_FADE_OUT_CURVE] = {"fade_out_curve", "", 0, 2, CURVE_LINEAR,
                          "shape of the fade-out (the fade-in's mirror image)", MD_PT_ENUM, 0,
                          curves},
    [P_GAIN] = {"gain", "dB", -120.0, 24.0, 0.0, "level of the region (clip gain)", MD_PT_NUMBER,
                MD_PARAM_DB},
    {NULL},
};

enum { CHUNK = 2048 };

typedef struct region_priv {
    SNDFILE *sf;
    unsigned channels;
    double file_hz, graph_hz;
    int64_t file_frames;  /* from the header */
    int64_t seg_from;     /* first file frame */
    int64_t seg_frames;   /* file frames in the region */
    int64_t start, len;   /* output frames: where the region starts, how long it lasts */
    int64_t nin, nout;    /* fade lengths in output frames */
    int curve_in, curve_out;
    double gain;          /* linear */
    float *ibuf;          /* interleaved read buffer, CHUNK frames */
    float *pmem;          /* planar input for the resampler, CHUNK frames per channel */
    float *pin[MD_MAX_CHANNELS];
    mdi_resampler *rs;
    /* streaming state */
    int64_t pos;          /* output frames produced */
    int64_t in_left;      /* file frames still to read */
    unsigned ipos, avail; /* unread part of pin (resampling) */
    int64_t nonfinite;
} region_priv;

static double curve(int c, double x)
{
    switch (c) {
    case CURVE_EQUAL_POWER:
        return sin(x * M_PI / 2.0);
    case CURVE_LOG:
        return (pow(10.0, 3.0 * x) - 1.0) / 999.0;
    default:
        return x;
    }
}

static void region_release(md_node *n)
{
    region_priv *p = md_node_priv(n);
    if (p->sf)
        sf_close(p->sf);
    mdi_read_buffers_free(&p->rs, &p->pmem, &p->ibuf);
    memset(p, 0, sizeof *p);
}

static md_status region_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    region_priv *p = md_node_priv(n);
    const char *path = md_node_string(n, P_PATH);
    memset(p, 0, sizeof *p);
    if (!*path)
        return md_error_set(err, MD_ERR_INVALID, "region: path is required");
    SF_INFO info;
    md_status s = mdi_sf_open_read(path, &p->sf, &info, &p->file_frames, err);
    if (s != MD_OK)
        return s;
    p->channels = (unsigned)info.channels;
    p->file_hz = info.samplerate;
    p->graph_hz = in->rate_hz > 0 ? in->rate_hz : p->file_hz;
    double from = md_node_value(n, P_FROM), to = md_node_value(n, P_TO);
    double file_s = p->file_frames >= 0 ? (double)p->file_frames / p->file_hz : -1.0;
    if (p->file_frames < 0 || !(info.seekable)) {
        region_release(n);
        return md_error_set(err, MD_ERR_FORMAT,
                            "region: %s: cannot tell its length or seek in it; convert it to WAV "
                            "or FLAC",
                            path);
    }
    if (!(from < file_s)) {
        region_release(n);
        return md_error_set(err, MD_ERR_INVALID,
                            "region: from must be before the end of %s (%.6g s), got %.10g", path,
                            file_s, from);
    }
    if (!isnan(to) && !(to > from)) {
        region_release(n);
        return md_error_set(err, MD_ERR_INVALID, "region: to must be after from (%.10g s), got %.10g",
                            from, to);
    }
    p->seg_from = llround(from * p->file_hz);
    int64_t seg_to = isnan(to) ? p->file_frames : llround(to * p->file_hz);
    if (seg_to > p->file_frames)
        seg_to = p->file_frames; /* a `to` past the end stops at the end */
    p->seg_frames = seg_to - p->seg_from;
    if (p->seg_frames < 0)
        p->seg_frames = 0;
    int resample = lround(p->graph_hz) != lround(p->file_hz);
    p->start = llround(md_node_value(n, P_AT) * p->graph_hz);
    p->len = resample ? llround((double)p->seg_frames * p->graph_hz / p->file_hz) : p->seg_frames;
    p->nin = llround(md_node_value(n, P_FADE_IN) * p->graph_hz);
    p->nout = llround(md_node_value(n, P_FADE_OUT) * p->graph_hz);
    if (p->nin > p->len)
        p->nin = p->len;
    if (p->nout > p->len)
        p->nout = p->len;
    p->curve_in = (int)md_node_value(n, P_FADE_IN_CURVE);
    p->curve_out = (int)md_node_value(n, P_FADE_OUT_CURVE);
    p->gain = pow(10.0, md_node_value(n, P_GAIN) / 20.0);
    s = mdi_read_buffers_init(p->channels, p->file_hz, p->graph_hz, CHUNK, &p->rs, &p->pmem,
                              p->pin, &p->ibuf, "region", err);
    if (s != MD_OK) {
        region_release(n);
        return s;
    }
    out->rate_hz = p->graph_hz;
    out->channels = p->channels;
    out->max_frames = in->max_frames ? in->max_frames : 2048;
    return MD_OK;
}

static void region_reset(md_node *n)
{
    region_priv *p = md_node_priv(n);
    if (!p->sf)
        return;
    p->pos = 0;
    p->in_left = p->seg_frames;
    p->ipos = p->avail = 0;
    p->nonfinite = 0;
    if (sf_seek(p->sf, p->seg_from, SEEK_SET) < 0) {
        /* not seekable after all: read up to `from` */
        sf_seek(p->sf, 0, SEEK_SET);
        for (int64_t left = p->seg_from; left > 0;) {
            sf_count_t k = sf_readf_float(p->sf, p->ibuf, left < CHUNK ? left : CHUNK);
            if (k <= 0)
                break;
            left -= k;
        }
    }
    if (p->rs) {
        mdi_resampler_reset(p->rs);
        mdi_resampler_skip_latency(p->rs);
    }
}

/* Reads up to frames file frames of the region into dst[c] + off; 0 when the
 * region's input is used up (or the file ends early). */
static unsigned read_file(md_node *n, float *const *dst, unsigned off, unsigned frames,
                          md_error *err)
{
    region_priv *p = md_node_priv(n);
    if ((int64_t)frames > p->in_left)
        frames = (unsigned)p->in_left;
    if (frames > CHUNK)
        frames = CHUNK;
    if (frames == 0)
        return 0;
    sf_count_t got = sf_readf_float(p->sf, p->ibuf, frames);
    if (got <= 0) {
        if (sf_error(p->sf) == SF_ERR_SYSTEM)
            md_error_set(err, MD_ERR_IO, "%s: read failed: %s", md_node_string(n, P_PATH),
                         sf_strerror(p->sf));
        p->in_left = 0;
        return 0;
    }
    const unsigned nch = p->channels;
    for (unsigned c = 0; c < nch; c++) {
        float *d = dst[c] + off;
        for (sf_count_t i = 0; i < got; i++) {
            float x = p->ibuf[i * nch + c];
            if (!isfinite(x)) {
                x = 0.0f;
                p->nonfinite++;
            }
            d[i] = x;
        }
    }
    p->in_left -= got;
    return (unsigned)got;
}

/* Fills want frames of the region's audio (before gain and fades) at out[c] + off. */
static void stream(md_node *n, float *const *out, unsigned off, unsigned want, md_error *err)
{
    region_priv *p = md_node_priv(n);
    unsigned got = 0;
    if (!p->rs) {
        while (got < want) {
            unsigned k = read_file(n, out, off + got, want - got, err);
            if (k == 0)
                break;
            got += k;
        }
        for (unsigned c = 0; c < p->channels; c++) /* a file shorter than its header */
            memset(out[c] + off + got, 0, sizeof(float) * (want - got));
        return;
    }
    float *o[MD_MAX_CHANNELS];
    const float *i[MD_MAX_CHANNELS];
    while (got < want) {
        for (unsigned c = 0; c < p->channels; c++)
            o[c] = out[c] + off + got;
        if (p->avail == 0 && p->in_left > 0) {
            p->ipos = 0;
            p->avail = read_file(n, p->pin, 0, CHUNK, err);
        }
        if (p->avail > 0) {
            for (unsigned c = 0; c < p->channels; c++)
                i[c] = p->pin[c] + p->ipos;
            unsigned used = p->avail;
            unsigned k = mdi_resampler_process(p->rs, i, &used, o, want - got);
            p->ipos += used;
            p->avail -= used;
            got += k;
        } else {
            /* the segment's input has ended: push out what the filter holds */
            mdi_resampler_flush(p->rs, o, want - got);
            got = want;
        }
    }
}

static unsigned region_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    region_priv *p = md_node_priv(n);
    const int64_t end = p->start + p->len;
    unsigned real = p->pos >= end ? 0 : (unsigned)(end - p->pos < frames ? end - p->pos : frames);
    unsigned pre = 0;
    if (p->pos < p->start)
        pre = (unsigned)(p->start - p->pos < real ? p->start - p->pos : real);
    for (unsigned c = 0; c < p->channels; c++)
        memset(out[c], 0, sizeof(float) * pre);
    if (real > pre) {
        stream(n, out, pre, real - pre, err);
        /* gain and fades, frame by frame from the region's start */
        int64_t k0 = p->pos + pre - p->start;
        const int64_t fo = p->len - p->nout;
        for (unsigned i = pre; i < real; i++) {
            int64_t k = k0 + (i - pre);
            double g = p->gain;
            if (k < p->nin)
                g *= curve(p->curve_in, (double)k / (double)p->nin);
            if (k >= fo)
                g *= curve(p->curve_out, (double)(p->len - k) / (double)p->nout);
            if (g != 1.0)
                for (unsigned c = 0; c < p->channels; c++)
                    out[c][i] = (float)(out[c][i] * g);
        }
    }
    for (unsigned c = 0; c < p->channels; c++)
        memset(out[c] + real, 0, sizeof(float) * (frames - real));
    p->pos += real;
    return real;
}

static int64_t region_length(const md_node *n)
{
    const region_priv *p = md_node_priv(n);
    return p->sf ? p->start + p->len : -1;
}

static double region_native_rate(const md_node *n)
{
    const region_priv *p = md_node_priv(n);
    if (p->sf)
        return p->file_hz;
    md_file_info fi;
    if (md_file_probe(md_node_string(n, P_PATH), &fi, NULL) != MD_OK)
        return 0.0;
    return fi.rate_hz;
}

static void region_describe(const md_node *n, char *buf, unsigned size)
{
    const char *path = md_node_string(n, P_PATH);
    const char *base = strrchr(path, '/');
    double to = md_node_value(n, P_TO);
    char tos[32];
    if (isnan(to))
        snprintf(tos, sizeof tos, "end");
    else
        snprintf(tos, sizeof tos, "%.6g s", to);
    snprintf(buf, size, "%s %.6g s..%s at %.6g s", base ? base + 1 : path,
             md_node_value(n, P_FROM), tos, md_node_value(n, P_AT));
}

const md_node_vtable md_node_region = {
    .name = "region",
    .doc = "A segment of an audio file placed on the timeline: it starts at `at` seconds, "
           "plays the file from `from` to `to` (trims), with a fade-in and a fade-out of a "
           "chosen length and curve (linear, equal_power, log) and a clip gain; silence "
           "before. Resampled to the graph's rate when the file's differs. Overlapping "
           "regions mixed together, one fading out while the next fades in over the "
           "overlap, make a crossfade.",
    .params = region_params,
    .priv_size = sizeof(region_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = region_prepare,
    .reset = region_reset,
    .release = region_release,
    .generate = region_generate,
    .length = region_length,
    .native_rate = region_native_rate,
    .describe = region_describe,
};
