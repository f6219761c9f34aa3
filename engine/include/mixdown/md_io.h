/* md_io.h - audio files (libsndfile): probing and the formats we can write. */
#ifndef MD_IO_H
#define MD_IO_H

#include <stdint.h>
#include "md_error.h"

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
 * 0 when unknown. */
int md_format_from_name(const char *name);
/* Major formats the installed libsndfile writes, comma separated (static). */
const char *md_format_list(void);

#endif
