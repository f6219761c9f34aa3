/* probe.c - opening audio files for reading, with the header checked before
 * anything trusts it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"

/* Bytes per sample of uncompressed data; 0 for compressed data (FLAC
 * reports PCM subtypes too). */
static unsigned pcm_bytes(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_FLAC:
    case SF_FORMAT_OGG:
    case SF_FORMAT_MPEG: return 0;
    default: break;
    }
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
    case SF_FORMAT_ULAW:
    case SF_FORMAT_ALAW: return 1;
    case SF_FORMAT_PCM_16: return 2;
    case SF_FORMAT_PCM_24: return 3;
    case SF_FORMAT_PCM_32:
    case SF_FORMAT_FLOAT: return 4;
    case SF_FORMAT_DOUBLE: return 8;
    default: return 0;
    }
}

/* The header's frame count when the file could hold that many frames: a
 * truncated Ogg reports INT64_MAX, a damaged header anything. Compressed
 * data is allowed a generous 65536 frames per byte (silence in FLAC). */
static int64_t plausible(const char *path, const SF_INFO *info)
{
    struct stat st;
    if (info->frames < 0 || info->frames >= SF_COUNT_MAX || stat(path, &st) != 0 ||
        !S_ISREG(st.st_mode))
        return -1;
    double frames = (double)info->frames, size = (double)st.st_size;
    unsigned b = pcm_bytes(info->format);
    if (b ? frames * info->channels * b > size : frames > size * 65536.0)
        return -1;
    return info->frames;
}

md_status mdi_sf_open_read(const char *path, SNDFILE **sfp, SF_INFO *info,
                           int64_t *plausible_frames, md_error *err)
{
    *sfp = NULL;
    memset(info, 0, sizeof *info);
    /* ask the system first, so that "cannot open" carries its reason */
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return md_error_set(err, MD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    close(fd);
    if (is_dir)
        return md_error_set(err, MD_ERR_IO, "%s: cannot open: %s", path, strerror(EISDIR));

    SNDFILE *sf = sf_open(path, SFM_READ, info);
    if (!sf)
        return md_error_set(err, MD_ERR_FORMAT,
                            "%s: not an audio file libsndfile can read (%s)", path,
                            sf_strerror(NULL));
    if (!(info->samplerate >= MD_MIN_RATE && info->samplerate <= MD_MAX_RATE)) {
        sf_close(sf);
        return md_error_set(err, MD_ERR_FORMAT, "%s: sample rate %d Hz is out of range (%.0f..%.0f)",
                            path, info->samplerate, MD_MIN_RATE, MD_MAX_RATE);
    }
    if (info->channels < 1 || info->channels > MD_MAX_CHANNELS) {
        sf_close(sf);
        return md_error_set(err, MD_ERR_FORMAT, "%s: %d channels is out of range (1..%d)", path,
                            info->channels, MD_MAX_CHANNELS);
    }
    *plausible_frames = plausible(path, info);
    *sfp = sf;
    return MD_OK;
}

md_status md_file_probe(const char *path, md_file_info *fi, md_error *err)
{
    SNDFILE *sf;
    SF_INFO info;
    int64_t frames;
    memset(fi, 0, sizeof *fi);
    md_status s = mdi_sf_open_read(path, &sf, &info, &frames, err);
    if (s != MD_OK)
        return s;
    fi->rate_hz = info.samplerate;
    fi->channels = (unsigned)info.channels;
    fi->frames = frames;
    fi->format = info.format;
    snprintf(fi->format_name, sizeof fi->format_name, "%s", mdi_major_name(info.format));
    snprintf(fi->subtype_name, sizeof fi->subtype_name, "%s", mdi_subtype_name(info.format));
    sf_close(sf);
    return MD_OK;
}
