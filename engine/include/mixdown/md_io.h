/* md_io.h - audio files (libsndfile): probing and the formats we can write. */
#ifndef MD_IO_H
#define MD_IO_H

#include <stdint.h>
#include "md_error.h"
#include "md_node.h"

typedef struct md_file_info {
    double rate_hz;
    unsigned channels;
    int64_t frames;          /* validated; -1 when the header cannot be trusted */
    int format;              /* libsndfile's SF_FORMAT_* */
    char format_name[64];    /* "WAV", "FLAC", ... */
    char subtype_name[64];   /* "PCM_24", "FLOAT", ... */
} md_file_info;

/* Opens path, validates the header (rate, channels, frames), closes it.
 * MD_ERR_IO when it cannot be opened, MD_ERR_FORMAT when it is not audio we read. */
md_status md_file_probe(const char *path, md_file_info *info, md_error *err);

/* libsndfile format for an extension ("wav", "flac", ...) or a format name;
 * 0 when unknown. Case-insensitive. The major format (SF_FORMAT_WAV), with
 * the codec for lossy ones (SF_FORMAT_OGG | SF_FORMAT_OPUS for "opus"). */
int md_format_from_name(const char *name);
/* Major formats the installed libsndfile writes, comma separated (static). */
const char *md_format_list(void);

/* The file source (node type "file") and the sink (node type "sink"):
 * counters for the host's warnings, valid from prepare on, zeroed by prepare
 * and reset.
 * Each returns -1 when n is not a node of that type. */
/* NaN/Inf samples read from the file and replaced by 0. */
int64_t md_source_nonfinite(const md_node *n);
/* NaN/Inf samples given to the sink and written as 0. */
int64_t md_sink_nonfinite(const md_node *n);
/* Samples beyond full scale (|x| > 1) clamped to the largest value the
 * file's integer or lossy format holds (0 for float files, which keep them). */
int64_t md_sink_clipped(const md_node *n);

#endif
