/* formats.c - names of the file formats libsndfile reads and writes. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "io.h"

/* Names a user may give (extension or `format`). Lossy formats carry their
 * codec, since the container alone (OGG) does not say which one. */
static const struct {
    const char *name;
    int format;
} names[] = {
    {"wav", SF_FORMAT_WAV},
    {"wave", SF_FORMAT_WAV},
    {"aiff", SF_FORMAT_AIFF},
    {"aif", SF_FORMAT_AIFF},
    {"flac", SF_FORMAT_FLAC},
    {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {"oga", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {"vorbis", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS},
    {"caf", SF_FORMAT_CAF},
    {"w64", SF_FORMAT_W64},
    {"rf64", SF_FORMAT_RF64},
    {"au", SF_FORMAT_AU},
    {"snd", SF_FORMAT_AU},
    {"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
};

/* The list shown to users: one name per format. */
static const char *const listed[] = {"wav", "aiff", "flac", "ogg", "opus", "caf",
                                     "w64", "rf64", "au",   "mp3"};

int md_format_from_name(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].format;
    return 0;
}

static char list_buf[128];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void build_list(void)
{
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
        int f = md_format_from_name(listed[i]);
        SF_INFO info = {.samplerate = 48000, .channels = 2, .format = f};
        if ((f & SF_FORMAT_SUBMASK) == 0)
            info.format |= SF_FORMAT_PCM_16;
        if (!sf_format_check(&info))
            continue;
        if (list_buf[0])
            strncat(list_buf, ", ", sizeof list_buf - strlen(list_buf) - 1);
        strncat(list_buf, listed[i], sizeof list_buf - strlen(list_buf) - 1);
    }
}

const char *md_format_list(void)
{
    pthread_once(&list_once, build_list);
    return list_buf;
}

const char *mdi_major_name(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: return "WAV";
    case SF_FORMAT_WAVEX: return "WAVEX";
    case SF_FORMAT_AIFF: return "AIFF";
    case SF_FORMAT_AU: return "AU";
    case SF_FORMAT_RAW: return "RAW";
    case SF_FORMAT_W64: return "W64";
    case SF_FORMAT_RF64: return "RF64";
    case SF_FORMAT_CAF: return "CAF";
    case SF_FORMAT_FLAC: return "FLAC";
    case SF_FORMAT_OGG: return "OGG";
    case SF_FORMAT_MPEG: return "MPEG";
    case SF_FORMAT_PAF: return "PAF";
    case SF_FORMAT_SVX: return "SVX";
    case SF_FORMAT_NIST: return "NIST";
    case SF_FORMAT_VOC: return "VOC";
    case SF_FORMAT_IRCAM: return "IRCAM";
    case SF_FORMAT_MAT4: return "MAT4";
    case SF_FORMAT_MAT5: return "MAT5";
    case SF_FORMAT_PVF: return "PVF";
    case SF_FORMAT_XI: return "XI";
    case SF_FORMAT_HTK: return "HTK";
    case SF_FORMAT_SDS: return "SDS";
    case SF_FORMAT_AVR: return "AVR";
    case SF_FORMAT_SD2: return "SD2";
    case SF_FORMAT_WVE: return "WVE";
    case SF_FORMAT_MPC2K: return "MPC2K";
    default: return "unknown";
    }
}

const char *mdi_subtype_name(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: return "PCM_S8";
    case SF_FORMAT_PCM_U8: return "PCM_U8";
    case SF_FORMAT_PCM_16: return "PCM_16";
    case SF_FORMAT_PCM_24: return "PCM_24";
    case SF_FORMAT_PCM_32: return "PCM_32";
    case SF_FORMAT_FLOAT: return "FLOAT";
    case SF_FORMAT_DOUBLE: return "DOUBLE";
    case SF_FORMAT_ULAW: return "ULAW";
    case SF_FORMAT_ALAW: return "ALAW";
    case SF_FORMAT_IMA_ADPCM: return "IMA_ADPCM";
    case SF_FORMAT_MS_ADPCM: return "MS_ADPCM";
    case SF_FORMAT_GSM610: return "GSM610";
    case SF_FORMAT_VOX_ADPCM: return "VOX_ADPCM";
    case SF_FORMAT_G721_32: return "G721_32";
    case SF_FORMAT_G723_24: return "G723_24";
    case SF_FORMAT_G723_40: return "G723_40";
    case SF_FORMAT_DWVW_12: return "DWVW_12";
    case SF_FORMAT_DWVW_16: return "DWVW_16";
    case SF_FORMAT_DWVW_24: return "DWVW_24";
    case SF_FORMAT_DWVW_N: return "DWVW_N";
    case SF_FORMAT_DPCM_8: return "DPCM_8";
    case SF_FORMAT_DPCM_16: return "DPCM_16";
    case SF_FORMAT_VORBIS: return "VORBIS";
    case SF_FORMAT_OPUS: return "OPUS";
    case SF_FORMAT_ALAC_16: return "ALAC_16";
    case SF_FORMAT_ALAC_20: return "ALAC_20";
    case SF_FORMAT_ALAC_24: return "ALAC_24";
    case SF_FORMAT_ALAC_32: return "ALAC_32";
    case SF_FORMAT_MPEG_LAYER_I: return "MPEG_LAYER_I";
    case SF_FORMAT_MPEG_LAYER_II: return "MPEG_LAYER_II";
    case SF_FORMAT_MPEG_LAYER_III: return "MPEG_LAYER_III";
    default: return "unknown";
    }
}

const char *mdi_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    /* ".hidden" has no extension */
    return (dot && dot != base) ? dot + 1 : "";
}
