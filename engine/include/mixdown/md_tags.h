/* md_tags.h - delivery metadata: the text tags of audio files and the
 * Broadcast Wave Format `bext` chunk with its loudness fields.
 *
 * Tags are libsndfile's string fields (title, artist, album, ...), which
 * it reads from and writes to WAV (LIST/INFO), AIFF, FLAC and Ogg (Vorbis
 * comments), Opus and MP3 (ID3). The sink writes them (its tag parameters)
 * before the first sample, as FLAC and Ogg need.
 *
 * The bext chunk (EBU Tech 3285, version 2) carries the loudness of the
 * file: integrated, loudness range, maximum true peak, maximum momentary
 * and short-term loudness, each an int16 in 0.01 units. Those are known only
 * after the file is written and measured, so the sink writes the chunk with
 * the fields "not set" (0x7fff) and md_bext_write_loudness() fills them in
 * place afterwards, before the file gets its final name. libsndfile cannot
 * do that: it refuses to open a WAV with tags in its header for read/write.
 */
#ifndef MD_TAGS_H
#define MD_TAGS_H

#include "md_error.h"

/* The tags, in libsndfile's order; names are the sink's parameter names. */
typedef enum md_tag {
    MD_TAG_TITLE,
    MD_TAG_ARTIST,
    MD_TAG_ALBUM,
    MD_TAG_DATE,
    MD_TAG_GENRE,
    MD_TAG_TRACKNUMBER,
    MD_TAG_COMMENT,
    MD_TAG_COPYRIGHT,
    MD_TAG_LICENSE,
    MD_TAG_SOFTWARE,
    MD_TAG_COUNT
} md_tag;

#define MD_TAG_MAX 1024 /* bytes per value, the terminating 0 included */

/* "title", "artist", ...; NULL outside 0..MD_TAG_COUNT-1. */
const char *md_tag_name(md_tag t);
/* The tag called name (case-insensitive), or -1. */
int md_tag_find(const char *name);
/* libsndfile's SF_STR_* for a tag. */
int md_tag_sf_id(md_tag t);

typedef struct md_tags {
    char value[MD_TAG_COUNT][MD_TAG_MAX]; /* "" when the file has none */
} md_tags;

/* The tags of an audio file. MD_ERR_IO: it cannot be opened;
 * MD_ERR_FORMAT: not audio libsndfile reads. Longer values are cut. */
md_status md_file_tags(const char *path, md_tags *out, md_error *err);

/* The bext loudness fields. NAN: "not set" (written as 0x7fff). */
typedef struct md_bext_loudness {
    double integrated_lufs;     /* LoudnessValue */
    double range_lu;            /* LoudnessRange */
    double true_peak_dbtp;      /* MaxTruePeakLevel */
    double max_momentary_lufs;  /* MaxMomentaryLoudness */
    double max_short_term_lufs; /* MaxShortTermLoudness */
} md_bext_loudness;

/* What a file's bext chunk says (read with libsndfile). */
typedef struct md_bext {
    int present; /* 0: the file has no bext chunk (the rest is zero) */
    unsigned version;
    char description[257]; /* "ISRC:..." per EBU Tech 3352 when an ISRC was given */
    char originator[33];
    char originator_reference[33];
    char origination_date[11];
    char origination_time[9];
    md_bext_loudness loudness; /* NAN for 0x7fff, and for versions before 2 */
    char coding_history[256];
} md_bext;

/* Reads the bext chunk of path. MD_ERR_IO / MD_ERR_FORMAT as md_file_tags. */
md_status md_bext_read(const char *path, md_bext *out, md_error *err);

/* Writes the five loudness fields (rounded to 0.01, clamped to the int16
 * range) and version 2 into the bext chunk of an existing WAV, RF64 or BW64
 * file, in place: the file's size and every other byte stay the same. The
 * file is synced before returning.
 *   MD_ERR_IO      cannot open, read or write it
 *   MD_ERR_FORMAT  not a RIFF/RF64 WAVE file, or it has no bext chunk (write
 *                  the file with the sink's bext = true) */
md_status md_bext_write_loudness(const char *path, const md_bext_loudness *v, md_error *err);

/* An ISRC (ISO 3901) in its 12-character form: "CC-XXX-YY-NNNNN" and
 * "ccxxxyynnnnn" become "CCXXXYYNNNNN". Returns 0 and leaves out untouched
 * when s is not an ISRC (2 letters, 3 letters or digits, 7 digits). */
int md_isrc_normalize(const char *s, char out[13]);

#endif
