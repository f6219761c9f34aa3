/* tags.c - text tags of audio files (libsndfile's string fields) and ISRCs. */
#include "io.h"
#include "mixdown/md_tags.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int sf_id;
} tags[MD_TAG_COUNT] = {
    [MD_TAG_TITLE] = {"title", SF_STR_TITLE},
    [MD_TAG_ARTIST] = {"artist", SF_STR_ARTIST},
    [MD_TAG_ALBUM] = {"album", SF_STR_ALBUM},
    [MD_TAG_DATE] = {"date", SF_STR_DATE},
    [MD_TAG_GENRE] = {"genre", SF_STR_GENRE},
    [MD_TAG_TRACKNUMBER] = {"tracknumber", SF_STR_TRACKNUMBER},
    [MD_TAG_COMMENT] = {"comment", SF_STR_COMMENT},
    [MD_TAG_COPYRIGHT] = {"copyright", SF_STR_COPYRIGHT},
    [MD_TAG_LICENSE] = {"license", SF_STR_LICENSE},
    [MD_TAG_SOFTWARE] = {"software", SF_STR_SOFTWARE},
};

const char *md_tag_name(md_tag t)
{
    return (unsigned)t < MD_TAG_COUNT ? tags[t].name : NULL;
}

int md_tag_find(const char *name)
{
    for (int t = 0; t < MD_TAG_COUNT; t++)
        if (strcasecmp(name, tags[t].name) == 0)
            return t;
    return -1;
}

int md_tag_sf_id(md_tag t)
{
    return (unsigned)t < MD_TAG_COUNT ? tags[t].sf_id : 0;
}

md_status md_file_tags(const char *path, md_tags *out, md_error *err)
{
    memset(out, 0, sizeof *out);
    SNDFILE *sf;
    SF_INFO info;
    int64_t frames;
    md_status s = mdi_sf_open_read(path, &sf, &info, &frames, err);
    if (s != MD_OK)
        return s;
    for (int t = 0; t < MD_TAG_COUNT; t++) {
        const char *v = sf_get_string(sf, tags[t].sf_id);
        if (v) {
            strncpy(out->value[t], v, MD_TAG_MAX - 1);
            out->value[t][MD_TAG_MAX - 1] = '\0';
        }
    }
    sf_close(sf);
    return MD_OK;
}

/* ISO 3901: country code (2 letters), registrant (3 alphanumerics), year
 * (2 digits), designation (5 digits) */
int md_isrc_normalize(const char *s, char out[13])
{
    char code[13];
    unsigned n = 0;
    for (; *s; s++) {
        if (*s == '-')
            continue;
        if (n == 12 || !isalnum((unsigned char)*s))
            return 0;
        code[n++] = (char)toupper((unsigned char)*s);
    }
    if (n != 12)
        return 0;
    for (unsigned i = 0; i < 12; i++) {
        int alpha = isalpha((unsigned char)code[i]), digit = isdigit((unsigned char)code[i]);
        if ((i < 2 && !alpha) || (i >= 5 && !digit) || (!alpha && !digit))
            return 0;
    }
    memcpy(out, code, 12);
    out[12] = '\0';
    return 1;
}
