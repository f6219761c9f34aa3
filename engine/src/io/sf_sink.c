/* sf_sink.c - sink{path, bits, float, format, dither, seed}: writes a file.
 *
 *   in[c] --NaN/Inf -> 0--+-- 8/16/24 bit: scale, dither, round, clamp --> sf_writef_int
 *                         +-- 32 bit int:  scale, round, clamp ------------> sf_writef_int
 *                         +-- float:       as is ---------------------------> sf_writef_float
 *                         +-- lossy:       clamp to +-1 (SFC_SET_CLIPPING) -> sf_writef_float
 *
 * Integer words are made here, not by libsndfile, whose float-to-int
 * conversion wraps a sample beyond full scale (1.5 would become a large
 * negative value). The file is written to a temporary name in the target
 * directory (".x.wav.XXXXXX"); commit() closes, syncs and renames it onto the
 * path, discard() removes it: a failed or cancelled render leaves no file and
 * does not touch an existing one.
 *
 * Metadata (md_tags.h), written before the first sample as FLAC and Ogg need:
 * the tag parameters (title, artist, ...) go wherever the format holds text
 * (formats without tags drop them); bext = true adds a Broadcast Wave bext
 * chunk (EBU Tech 3285 v2) to WAV and RF64 files, its loudness fields "not
 * set" until md_bext_write_loudness() fills them after measuring; isrc goes
 * into the bext Description as "ISRC:CCXXXYYNNNNN" (EBU Tech 3352) in WAV
 * files (which then get a bext chunk) and into the comment elsewhere. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "mixdown/md_tags.h"
#include "pipe.h"

/* the tag parameters follow md_tag's order from P_TITLE on */
enum { P_PATH, P_BITS, P_FLOAT, P_FORMAT, P_DITHER, P_SEED, P_BEXT, P_ISRC, P_TITLE };

static const char *const dither_choices[] = {"tpdf", "shaped", "none", NULL};

static const md_param_desc sink_params[] = {
    [P_PATH] = {"path", "", 0, 0, 0, "file to write; replaced only when the render succeeds",
                MD_PT_STRING, MD_PARAM_REQUIRED},
    [P_BITS] = {"bits", "bits", 8, 32, 24, "bits per sample of integer files: 8, 16, 24 or 32",
                MD_PT_INT, 0},
    [P_FLOAT] = {"float", "", 0, 1, 0, "write 32-bit float samples (bits is ignored)",
                 MD_PT_BOOL, 0},
    [P_FORMAT] = {"format", "", 0, 0, 0,
                  "wav, aiff, flac, ogg, opus, caf, w64, rf64, au, mp3; empty: from the extension",
                  MD_PT_STRING, 0},
    [P_DITHER] = {"dither", "", 0, 2, MDI_DITHER_TPDF,
                  "dither for 8, 16 and 24 bits: tpdf, shaped (noise moved above 10 kHz) or none",
                  MD_PT_ENUM, 0, dither_choices},
    [P_SEED] = {"seed", "", 0, 2147483647.0, 1, "dither noise seed: the same seed, the same bytes",
                MD_PT_INT, 0},
    [P_BEXT] = {"bext", "", 0, 1, 0,
                "WAV and RF64: add a Broadcast Wave bext chunk (loudness fields filled after "
                "measuring)",
                MD_PT_BOOL, 0},
    [P_ISRC] = {"isrc", "", 0, 0, 0,
                "ISRC (CC-XXX-YY-NNNNN): bext Description in WAV, the comment elsewhere",
                MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_TITLE] = {"title", "", 0, 0, 0, "title tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_ARTIST] = {"artist", "", 0, 0, 0, "artist tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_ALBUM] = {"album", "", 0, 0, 0, "album tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_DATE] = {"date", "", 0, 0, 0, "date tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_GENRE] = {"genre", "", 0, 0, 0, "genre tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_TRACKNUMBER] = {"tracknumber", "", 0, 0, 0, "track number tag",
                                      MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_COMMENT] = {"comment", "", 0, 0, 0, "comment tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_COPYRIGHT] = {"copyright", "", 0, 0, 0, "copyright tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_LICENSE] = {"license", "", 0, 0, 0, "license tag", MD_PT_STRING, 0},
    [P_TITLE + MD_TAG_SOFTWARE] = {"software", "", 0, 0, 0, "software tag", MD_PT_STRING, 0},
    {NULL},
};

enum { W_INT, W_FLOAT, W_LOSSY };

typedef struct sink_priv {
    SNDFILE *sf;
    int fd;
    int fd_open;
    char *tmp;           /* temporary file name, NULL once renamed or removed */
    int kind;            /* W_* */
    int format;          /* libsndfile format of the file */
    unsigned channels;
    unsigned chunk;      /* frames per sf_writef call */
    void *buf;           /* chunk x channels int32 or float, interleaved */
    mdi_quantizer q;
    int64_t nonfinite, clipped; /* float and lossy paths (the quantizer counts its own) */
    mdi_pipe *pipe;      /* encoding and writing on a worker thread (NULL: inline) */
    void *slot;          /* the slot being filled, slot_used of slot_frames frames */
    unsigned slot_used, slot_frames;
    int werr;            /* errno of a failed write on the worker, -1 for libsndfile's */
} sink_priv;

/* The worker's job: encode and write one chunk. */
static long write_chunk(void *user, void *data, unsigned frames)
{
    sink_priv *p = user;
    errno = 0;
    sf_count_t w = p->kind == W_INT ? sf_writef_int(p->sf, data, frames)
                                    : sf_writef_float(p->sf, data, frames);
    if (w != (sf_count_t)frames) {
        p->werr = errno ? errno : -1;
        return -1;
    }
    return 0;
}

static md_status write_error(sink_priv *p, const char *path, md_error *err)
{
    return md_error_set(err, MD_ERR_IO, "%s: write failed: %s", path,
                        p->werr > 0 ? strerror(p->werr) : sf_strerror(p->sf));
}

static mode_t file_mode = 0644;
static pthread_once_t mode_once = PTHREAD_ONCE_INIT;

static void read_umask(void)
{
    /* mkstemp creates 0600; the final file gets what open() would give */
    mode_t m = umask(022);
    umask(m);
    file_mode = 0666 & ~m;
}

static void close_files(sink_priv *p)
{
    if (p->sf)
        sf_close(p->sf);
    p->sf = NULL;
    if (p->fd_open)
        close(p->fd);
    p->fd_open = 0;
}

static void sink_discard(md_node *n)
{
    sink_priv *p = md_node_priv(n);
    mdi_pipe_destroy(p->pipe, 1);
    p->pipe = NULL;
    p->slot = NULL;
    p->slot_used = 0;
    close_files(p);
    if (p->tmp)
        unlink(p->tmp);
    free(p->tmp);
    p->tmp = NULL;
}

static void sink_release(md_node *n)
{
    sink_priv *p = md_node_priv(n);
    sink_discard(n);
    free(p->buf);
    memset(p, 0, sizeof *p);
}

/* The directory part of path ("." when there is none), malloc'ed. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int allowed_mp3_rate(long hz)
{
    static const long rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (hz == rates[i])
            return 1;
    return 0;
}

/* Chooses the file format from the parameters; messages name the file. */
static md_status choose_format(md_node *n, const md_stream *in, int *format, int *kind,
                               md_error *err)
{
    const char *path = md_node_string(n, P_PATH);
    const char *name = md_node_string(n, P_FORMAT);
    unsigned bits = (unsigned)md_node_value(n, P_BITS);
    int want_float = md_node_value(n, P_FLOAT) != 0.0;
    long hz = lround(in->rate_hz);

    if (bits != 8 && bits != 16 && bits != 24 && bits != 32)
        return md_error_set(err, MD_ERR_INVALID, "sink: bits must be 8, 16, 24 or 32, got %u",
                            bits);
    if (!*name)
        name = mdi_extension(path);
    if (!*name)
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: no extension to tell the format; give format (%s)", path,
                            md_format_list());
    int f = md_format_from_name(name);
    if (f == 0)
        return md_error_set(err, MD_ERR_INVALID, "%s: unknown format '%s' (known: %s)", path,
                            name, md_format_list());
    int major = f & SF_FORMAT_TYPEMASK, codec = f & SF_FORMAT_SUBMASK;

    if (codec == SF_FORMAT_OPUS && hz != 48000)
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: Opus writes 48000 Hz only, got %ld Hz: resample first", path, hz);
    if (major == SF_FORMAT_MPEG && !allowed_mp3_rate(hz))
        return md_error_set(err, MD_ERR_INVALID,
                            "%s: MP3 writes 8000, 11025, 12000, 16000, 22050, 24000, 32000, "
                            "44100 or 48000 Hz, got %ld Hz: resample first",
                            path, hz);
    if (codec) {
        *kind = W_LOSSY;
    } else if (want_float) {
        if (major == SF_FORMAT_FLAC)
            return md_error_set(err, MD_ERR_INVALID,
                                "%s: FLAC holds 8, 16 or 24-bit integers, not float", path);
        f |= SF_FORMAT_FLOAT;
        *kind = W_FLOAT;
    } else {
        if (major == SF_FORMAT_FLAC && bits == 32)
            return md_error_set(err, MD_ERR_INVALID, "%s: FLAC holds 8, 16 or 24 bits, got 32",
                                path);
        static const int sub[] = {SF_FORMAT_PCM_S8, SF_FORMAT_PCM_16, SF_FORMAT_PCM_24,
                                  SF_FORMAT_PCM_32};
        f |= sub[bits / 8 - 1];
        if (bits == 8) {
            /* WAV-like formats store 8 bits unsigned, the others signed */
            SF_INFO t = {.samplerate = 48000, .channels = 1, .format = f};
            if (!sf_format_check(&t))
                f = (f & ~SF_FORMAT_SUBMASK) | SF_FORMAT_PCM_U8;
        }
        *kind = W_INT;
    }
    /* WAV beyond stereo: WAVE_FORMAT_EXTENSIBLE, as the WAV spec asks */
    if (major == SF_FORMAT_WAV && in->channels > 2)
        f = (f & ~SF_FORMAT_TYPEMASK) | SF_FORMAT_WAVEX;
    SF_INFO t = {.samplerate = (int)hz, .channels = (int)in->channels, .format = f};
    if (!sf_format_check(&t))
        return md_error_set(err, MD_ERR_INVALID, "%s: this libsndfile cannot write %s %s", path,
                            mdi_major_name(f), mdi_subtype_name(f));
    *format = f;
    return MD_OK;
}

/* Creates the temporary file next to path; messages name path. */
static md_status open_temp(sink_priv *p, const char *path, md_error *err)
{
    char *dir = dir_of(path);
    if (!dir)
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", path);
    struct stat st;
    md_status s = MD_OK;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT)
            s = md_error_set(err, MD_ERR_IO, "%s: cannot write: directory %s does not exist",
                             path, dir);
        else
            s = md_error_set(err, MD_ERR_IO, "%s: cannot write: %s: %s", path, dir,
                             strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        s = md_error_set(err, MD_ERR_IO, "%s: cannot write: %s is not a directory", path, dir);
    } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        s = md_error_set(err, MD_ERR_IO, "%s: cannot write: %s", path, strerror(EISDIR));
    }
    if (s != MD_OK) {
        free(dir);
        return s;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(dir) + strlen(base) + 16;
    p->tmp = malloc(len);
    if (!p->tmp) {
        free(dir);
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(p->tmp, len, "%s/.%s.XXXXXX", dir, base);
    free(dir);
    p->fd = mkstemp(p->tmp);
    if (p->fd < 0) {
        s = md_error_set(err, MD_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        free(p->tmp);
        p->tmp = NULL;
        return s;
    }
    p->fd_open = 1;
    pthread_once(&mode_once, read_umask);
    (void)fchmod(p->fd, file_mode); /* on failure the file stays private: not fatal */
    return MD_OK;
}

static int holds_bext(int format)
{
    int major = format & SF_FORMAT_TYPEMASK;
    return major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_RF64;
}

/* Tags and the bext chunk, before any sample is written. */
static md_status write_metadata(md_node *n, sink_priv *p, const char *path, md_error *err)
{
    const char *isrc_in = md_node_string(n, P_ISRC);
    char isrc[13] = "";
    if (*isrc_in && !md_isrc_normalize(isrc_in, isrc))
        return md_error_set(err, MD_ERR_INVALID,
                            "sink: isrc must be 12 characters like CC-XXX-YY-NNNNN, got '%s'",
                            isrc_in);
    int bext = holds_bext(p->format) && (md_node_value(n, P_BEXT) != 0 || *isrc);
    for (int t = 0; t < MD_TAG_COUNT; t++) {
        const char *v = md_node_string(n, P_TITLE + (unsigned)t);
        char with_isrc[MD_TAG_MAX + 32];
        if (t == MD_TAG_COMMENT && *isrc && !bext) {
            snprintf(with_isrc, sizeof with_isrc, "%s%sISRC:%s", v, *v ? " " : "", isrc);
            v = with_isrc;
        }
        /* formats without text fields refuse them: nothing to keep */
        if (*v)
            (void)sf_set_string(p->sf, md_tag_sf_id((md_tag)t), v);
    }
    if (!bext)
        return MD_OK;
    SF_BROADCAST_INFO b;
    memset(&b, 0, sizeof b);
    if (*isrc)
        snprintf(b.description, sizeof b.description, "ISRC:%s", isrc);
    memcpy(b.originator, "mixdown", 7);
    b.version = 2;
    b.loudness_value = b.loudness_range = b.max_true_peak_level = 0x7fff;
    b.max_momentary_loudness = b.max_shortterm_loudness = 0x7fff;
    if (sf_command(p->sf, SFC_SET_BROADCAST_INFO, &b, sizeof b) != SF_TRUE)
        return md_error_set(err, MD_ERR_FORMAT, "%s: cannot add a bext chunk (%s)", path,
                            sf_strerror(p->sf));
    return MD_OK;
}

static md_status sink_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    sink_priv *p = md_node_priv(n);
    const char *path = md_node_string(n, P_PATH);
    (void)out;
    memset(p, 0, sizeof *p);
    if (!*path)
        return md_error_set(err, MD_ERR_INVALID, "sink: path is required");
    if (in->channels < 1 || in->channels > MD_MAX_CHANNELS)
        return md_error_set(err, MD_ERR_INVALID, "%s: channels must be 1..%d, got %u", path,
                            MD_MAX_CHANNELS, in->channels);
    if (!(in->rate_hz >= MD_MIN_RATE && in->rate_hz <= MD_MAX_RATE))
        return md_error_set(err, MD_ERR_INVALID, "%s: sample rate must be %g..%g Hz, got %g",
                            path, MD_MIN_RATE, MD_MAX_RATE, in->rate_hz);
    md_status s = choose_format(n, in, &p->format, &p->kind, err);
    if (s != MD_OK)
        return s;
    p->channels = in->channels;
    p->chunk = in->max_frames ? in->max_frames : 2048;
    if (p->chunk > 8192)
        p->chunk = 8192;
    p->buf = malloc((size_t)p->chunk * p->channels * 4);
    if (!p->buf)
        return md_error_set(err, MD_ERR_NOMEM, "%s: out of memory", path);

    if ((s = open_temp(p, path, err)) != MD_OK) {
        sink_release(n);
        return s;
    }
    SF_INFO info = {.samplerate = (int)lround(in->rate_hz),
                    .channels = (int)in->channels,
                    .format = p->format};
    p->sf = sf_open_fd(p->fd, SFM_WRITE, &info, SF_FALSE);
    if (!p->sf) {
        s = md_error_set(err, MD_ERR_FORMAT, "%s: cannot write %s %s, %d Hz, %u channels (%s)",
                         path, mdi_major_name(p->format), mdi_subtype_name(p->format),
                         info.samplerate, p->channels, sf_strerror(NULL));
        sink_release(n);
        return s;
    }
    if ((s = write_metadata(n, p, path, err)) != MD_OK) {
        sink_release(n);
        return s;
    }
    if (p->kind == W_LOSSY)
        sf_command(p->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    /* the PEAK chunk holds a time stamp: without it the same render gives the same bytes */
    if (p->kind == W_FLOAT)
        sf_command(p->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    /* encode and write on a second core; without a thread, write inline */
    p->slot_frames = 16384; /* few, large hand-overs: less waking of threads */
    p->pipe = mdi_pipe_create(0, 4, (size_t)p->slot_frames * p->channels * 4, p->slot_frames,
                              write_chunk, p);
    return MD_OK;
}

static void sink_reset(md_node *n)
{
    sink_priv *p = md_node_priv(n);
    unsigned bits = (unsigned)md_node_value(n, P_BITS);
    mdi_quantizer_init(&p->q, bits, (int)md_node_value(n, P_DITHER),
                       (uint64_t)md_node_value(n, P_SEED), p->channels, md_node_in(n)->rate_hz);
    p->nonfinite = p->clipped = 0;
}

static void to_float(sink_priv *p, const float *const *in, unsigned frames, float lim)
{
    float *b = p->buf;
    const unsigned nch = p->channels;
    for (unsigned c = 0; c < nch; c++) {
        const float *x = in[c];
        for (unsigned i = 0; i < frames; i++) {
            float v = x[i];
            if (!isfinite(v)) {
                v = 0.0f;
                p->nonfinite++;
            } else if (v > lim) {
                v = lim;
                p->clipped++;
            } else if (v < -lim) {
                v = -lim;
                p->clipped++;
            }
            b[(size_t)i * nch + c] = v;
        }
    }
}

static md_status sink_consume(md_node *n, const float *const *in, unsigned frames,
                              md_error *err)
{
    sink_priv *p = md_node_priv(n);
    const char *path = md_node_string(n, P_PATH);
    if (!p->sf)
        return md_error_set(err, MD_ERR_STATE, "%s: not open for writing", path);
    const float *src[MD_MAX_CHANNELS];
    unsigned done = 0;
    while (done < frames) {
        unsigned k = frames - done < p->chunk ? frames - done : p->chunk;
        for (unsigned c = 0; c < p->channels; c++)
            src[c] = in[c] + done;
        void *buf = p->buf;
        if (p->pipe) {
            if (!p->slot && !(p->slot = mdi_pipe_get_empty(p->pipe)))
                return write_error(p, path, err);
            if (k > p->slot_frames - p->slot_used)
                k = p->slot_frames - p->slot_used;
            for (unsigned c = 0; c < p->channels; c++)
                src[c] = in[c] + done;
            buf = (char *)p->slot + (size_t)p->slot_used * p->channels * 4;
        }
        if (p->kind == W_INT)
            mdi_quantize(&p->q, src, k, buf);
        else {
            float *keep = p->buf;
            p->buf = buf;
            to_float(p, src, k, p->kind == W_LOSSY ? 1.0f : INFINITY);
            p->buf = keep;
        }
        if (p->pipe) {
            p->slot_used += k;
            if (p->slot_used == p->slot_frames) {
                mdi_pipe_submit(p->pipe, p->slot_used);
                p->slot = NULL;
                p->slot_used = 0;
            }
        } else if (write_chunk(p, buf, k) != 0) {
            return write_error(p, path, err);
        }
        done += k;
    }
    return MD_OK;
}

static md_status sink_commit(md_node *n, md_error *err)
{
    sink_priv *p = md_node_priv(n);
    const char *path = md_node_string(n, P_PATH);
    if (!p->sf || !p->tmp)
        return md_error_set(err, MD_ERR_STATE, "%s: nothing to commit", path);
    if (p->pipe) {
        if (p->slot && p->slot_used > 0)
            mdi_pipe_submit(p->pipe, p->slot_used);
        p->slot = NULL;
        p->slot_used = 0;
        int failed = mdi_pipe_drain(p->pipe) != 0;
        mdi_pipe_destroy(p->pipe, 0);
        p->pipe = NULL;
        if (failed) {
            md_status s = write_error(p, path, err);
            sink_discard(n);
            return s;
        }
    }
    md_status s = MD_OK;
    int e = sf_close(p->sf);
    p->sf = NULL;
    if (e != 0)
        s = md_error_set(err, MD_ERR_IO, "%s: write failed: %s", path, sf_error_number(e));
    else if (fsync(p->fd) != 0)
        s = md_error_set(err, MD_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    if (s == MD_OK) {
        p->fd_open = 0;
        if (close(p->fd) != 0)
            s = md_error_set(err, MD_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    if (s == MD_OK && rename(p->tmp, path) != 0)
        s = md_error_set(err, MD_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (s != MD_OK) {
        sink_discard(n);
        return s;
    }
    free(p->tmp);
    p->tmp = NULL;
    /* make the rename itself durable */
    char *dir = dir_of(path);
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0) {
        (void)fsync(dfd); /* some file systems refuse it on directories: the data is safe */
        close(dfd);
    }
    free(dir);
    return MD_OK;
}

static void sink_describe(const md_node *n, char *buf, unsigned size)
{
    const sink_priv *p = md_node_priv(n);
    const char *path = md_node_string(n, P_PATH);
    if (!p->format)
        snprintf(buf, size, "%s", path);
    else if (p->kind == W_INT && p->q.mode != MDI_DITHER_NONE)
        snprintf(buf, size, "%s %s %s dither %s", path, mdi_major_name(p->format),
                 mdi_subtype_name(p->format), dither_choices[p->q.mode]);
    else
        snprintf(buf, size, "%s %s %s", path, mdi_major_name(p->format),
                 mdi_subtype_name(p->format));
}

const md_node_vtable md_node_sink = {
    .name = "sink",
    .doc = "Write an audio file: WAV, AIFF, FLAC, Ogg Vorbis, Opus (48 kHz), CAF, W64, RF64, "
           "AU, MP3 where libsndfile writes it. Integer files get dither when the word "
           "length shrinks (TPDF, or TPDF with noise shaping); samples beyond full scale "
           "are clamped, never wrapped; NaN and Inf are written as silence and counted. "
           "The file appears only when the render succeeds.",
    .params = sink_params,
    .priv_size = sizeof(sink_priv),
    .flags = MD_NODE_SINK,
    .inputs = 1,
    .prepare = sink_prepare,
    .reset = sink_reset,
    .release = sink_release,
    .consume = sink_consume,
    .commit = sink_commit,
    .discard = sink_discard,
    .describe = sink_describe,
};

int64_t md_sink_nonfinite(const md_node *n)
{
    if (!n || md_node_type(n) != &md_node_sink)
        return -1;
    const sink_priv *p = md_node_priv(n);
    return p->nonfinite + p->q.nonfinite;
}

int64_t md_sink_clipped(const md_node *n)
{
    if (!n || md_node_type(n) != &md_node_sink)
        return -1;
    const sink_priv *p = md_node_priv(n);
    return p->clipped + p->q.clipped;
}
