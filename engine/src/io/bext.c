/* bext.c - the Broadcast Wave `bext` chunk: reading it (libsndfile) and
 * filling its loudness fields in place once the file has been measured.
 *
 * EBU Tech 3285 v2, the chunk's fixed part (602 bytes, little-endian):
 *     0 Description[256]  256 Originator[32]  288 OriginatorReference[32]
 *   320 OriginationDate[10]  330 OriginationTime[8]  338 TimeReference (2 x u32)
 *   346 Version (u16)  348 UMID[64]
 *   412 LoudnessValue  414 LoudnessRange  416 MaxTruePeakLevel
 *   418 MaxMomentaryLoudness  420 MaxShortTermLoudness   (int16, x 0.01)
 *   422 Reserved[180]  602 CodingHistory[]
 * A field that is not set holds 0x7fff.
 */
#include "io.h"
#include "mixdown/md_tags.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define BEXT_FIXED 602
#define OFF_VERSION 346
#define OFF_LOUDNESS 412
#define NOT_SET 0x7fff

static double from_field(int16_t v, unsigned version)
{
    return version >= 2 && v != NOT_SET ? v / 100.0 : NAN;
}

static void copy_field(char *dst, const char *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

md_status md_bext_read(const char *path, md_bext *out, md_error *err)
{
    memset(out, 0, sizeof *out);
    SNDFILE *sf;
    SF_INFO info;
    int64_t frames;
    md_status s = mdi_sf_open_read(path, &sf, &info, &frames, err);
    if (s != MD_OK)
        return s;
    SF_BROADCAST_INFO b;
    memset(&b, 0, sizeof b);
    if (sf_command(sf, SFC_GET_BROADCAST_INFO, &b, sizeof b) == SF_TRUE) {
        out->present = 1;
        out->version = b.version;
        copy_field(out->description, b.description, sizeof b.description);
        copy_field(out->originator, b.originator, sizeof b.originator);
        copy_field(out->originator_reference, b.originator_reference,
                   sizeof b.originator_reference);
        copy_field(out->origination_date, b.origination_date, sizeof b.origination_date);
        copy_field(out->origination_time, b.origination_time, sizeof b.origination_time);
        size_t n = b.coding_history_size < sizeof out->coding_history - 1
                       ? b.coding_history_size
                       : sizeof out->coding_history - 1;
        memcpy(out->coding_history, b.coding_history, n);
        out->coding_history[n] = '\0';
        out->loudness.integrated_lufs = from_field(b.loudness_value, b.version);
        out->loudness.range_lu = from_field(b.loudness_range, b.version);
        out->loudness.true_peak_dbtp = from_field(b.max_true_peak_level, b.version);
        out->loudness.max_momentary_lufs = from_field(b.max_momentary_loudness, b.version);
        out->loudness.max_short_term_lufs = from_field(b.max_shortterm_loudness, b.version);
    }
    sf_close(sf);
    return MD_OK;
}

static uint32_t le32(const unsigned char *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put16(unsigned char *p, int v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
}

static int to_field(double v)
{
    if (!isfinite(v))
        return NOT_SET;
    double x = floor(v * 100.0 + 0.5);
    /* 0x7fff means "not set": the largest value is one below */
    if (x > 32766)
        x = 32766;
    if (x < -32768)
        x = -32768;
    return (int)x;
}

static int read_at(int fd, void *buf, size_t n, off_t at)
{
    ssize_t got = pread(fd, buf, n, at);
    return got == (ssize_t)n;
}

/* Offset of the bext chunk's data in the open file, or -1 (message set). */
static off_t find_bext(int fd, const char *path, md_error *err)
{
    unsigned char h[12];
    if (!read_at(fd, h, 12, 0) || memcmp(h + 8, "WAVE", 4) != 0 ||
        (memcmp(h, "RIFF", 4) != 0 && memcmp(h, "RF64", 4) != 0 && memcmp(h, "BW64", 4) != 0)) {
        md_error_set(err, MD_ERR_FORMAT, "%s: not a WAV file (RIFF/RF64 WAVE): no bext chunk",
                     path);
        return -1;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    uint64_t data64 = 0; /* RF64: the data chunk's size from ds64 */
    off_t at = 12;
    while (at + 8 <= end) {
        unsigned char c[8];
        if (!read_at(fd, c, 8, at))
            break;
        uint64_t size = le32(c + 4);
        if (memcmp(c, "ds64", 4) == 0 && size >= 16) {
            unsigned char d[16];
            if (read_at(fd, d, 16, at + 8))
                data64 = le64(d + 8);
        }
        if (memcmp(c, "data", 4) == 0 && size == 0xffffffffu && data64)
            size = data64;
        if (memcmp(c, "bext", 4) == 0) {
            if (size < BEXT_FIXED) {
                md_error_set(err, MD_ERR_FORMAT, "%s: bext chunk too short, got %llu bytes", path,
                             (unsigned long long)size);
                return -1;
            }
            return at + 8;
        }
        at += 8 + (off_t)size + (off_t)(size & 1); /* chunks are padded to even sizes */
    }
    md_error_set(err, MD_ERR_FORMAT, "%s: no bext chunk (write it with bext = true)", path);
    return -1;
}

md_status md_bext_write_loudness(const char *path, const md_bext_loudness *v, md_error *err)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return md_error_set(err, MD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    off_t at = find_bext(fd, path, err);
    if (at < 0) {
        close(fd);
        return err ? err->status : MD_ERR_FORMAT;
    }
    unsigned char ver[2], f[10];
    put16(ver, 2);
    put16(f + 0, to_field(v->integrated_lufs));
    put16(f + 2, to_field(v->range_lu));
    put16(f + 4, to_field(v->true_peak_dbtp));
    put16(f + 6, to_field(v->max_momentary_lufs));
    put16(f + 8, to_field(v->max_short_term_lufs));
    md_status s = MD_OK;
    if (pwrite(fd, ver, 2, at + OFF_VERSION) != 2 || pwrite(fd, f, 10, at + OFF_LOUDNESS) != 10 ||
        fsync(fd) != 0)
        s = md_error_set(err, MD_ERR_IO, "%s: cannot write the bext chunk: %s", path,
                         strerror(errno));
    if (close(fd) != 0 && s == MD_OK)
        s = md_error_set(err, MD_ERR_IO, "%s: cannot write the bext chunk: %s", path,
                         strerror(errno));
    return s;
}
