/* cmd_analyze.c - `mixdown analyze FILE... [--json]`: loudness and levels of
 * audio files, as a table or as JSON Lines (DESIGN.md "analyze --json").
 *
 * Each file is streamed through libsndfile in blocks (memory does not depend
 * on its length; the frame count in the header is not trusted: a truncated
 * Ogg may claim INT64_MAX) into an md_analyzer. A file that cannot be read
 * gets one line on stderr and exit status 1, after the other files.
 */
#include "cmd_analyze.h"
#include "cli.h"
#include "host.h"
#include "json_out.h"
#include "mixdown/md.h"
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_FRAMES 4096
#define PROGRESS_MIN_S 5.0 /* files shorter than this show no progress */

static const char usage[] =
    "usage: mixdown analyze FILE... [--json]\n"
    "\n"
    "Measures each audio file (anything libsndfile reads: WAV, AIFF, FLAC, Ogg, ...):\n"
    "  integrated loudness (LUFS) and loudness range (LU), ITU-R BS.1770-4 / EBU R128\n"
    "  max momentary (400 ms) and short-term (3 s) loudness, evaluated every 5-10 ms\n"
    "  true peak (dBTP, 4x oversampled), sample peak and RMS (dBFS), crest (dB)\n"
    "  DC offset, clipped samples (runs of 2+ at full scale), NaN/Inf samples\n"
    "  correlation and balance of the first two channels\n"
    "Multichannel files use their channel map (WAVEX mask), else L R C LFE Ls Rs;\n"
    "LFE is not part of the loudness. Undefined values (silence, a mono file's\n"
    "correlation) print as n/a, or null in JSON.\n"
    "\n"
    "FILE \"-\" reads standard input (a WAV or other stream format).\n"
    "\n"
    "options:\n"
    "  --json     one compact JSON object per file and line (JSON Lines)\n"
    "  --help     this text\n"
    "\n"
    "exit status: 0 ok, 1 bad usage or a file that cannot be read, 2 internal error\n"
    "\n"
    "examples:\n"
    "  mixdown analyze song.wav\n"
    "  mixdown analyze --json *.flac > loudness.jsonl\n";

typedef struct fmt_name {
    int id;
    const char *name;
} fmt_name;

/* libsndfile's SF_FORMAT_* names, lowercased: "wav", "pcm_24" */
static const fmt_name majors[] = {{SF_FORMAT_WAV, "wav"},
                                  {SF_FORMAT_AIFF, "aiff"},
                                  {SF_FORMAT_AU, "au"},
                                  {SF_FORMAT_RAW, "raw"},
                                  {SF_FORMAT_PAF, "paf"},
                                  {SF_FORMAT_SVX, "svx"},
                                  {SF_FORMAT_NIST, "nist"},
                                  {SF_FORMAT_VOC, "voc"},
                                  {SF_FORMAT_IRCAM, "ircam"},
                                  {SF_FORMAT_W64, "w64"},
                                  {SF_FORMAT_MAT4, "mat4"},
                                  {SF_FORMAT_MAT5, "mat5"},
                                  {SF_FORMAT_PVF, "pvf"},
                                  {SF_FORMAT_XI, "xi"},
                                  {SF_FORMAT_HTK, "htk"},
                                  {SF_FORMAT_SDS, "sds"},
                                  {SF_FORMAT_AVR, "avr"},
                                  {SF_FORMAT_WAVEX, "wavex"},
                                  {SF_FORMAT_SD2, "sd2"},
                                  {SF_FORMAT_FLAC, "flac"},
                                  {SF_FORMAT_CAF, "caf"},
                                  {SF_FORMAT_WVE, "wve"},
                                  {SF_FORMAT_OGG, "ogg"},
                                  {SF_FORMAT_MPC2K, "mpc2k"},
                                  {SF_FORMAT_RF64, "rf64"},
#ifdef SF_FORMAT_MPEG
                                  {SF_FORMAT_MPEG, "mpeg"},
#endif
                                  {0, NULL}};

static const fmt_name subtypes[] = {{SF_FORMAT_PCM_S8, "pcm_s8"},
                                    {SF_FORMAT_PCM_16, "pcm_16"},
                                    {SF_FORMAT_PCM_24, "pcm_24"},
                                    {SF_FORMAT_PCM_32, "pcm_32"},
                                    {SF_FORMAT_PCM_U8, "pcm_u8"},
                                    {SF_FORMAT_FLOAT, "float"},
                                    {SF_FORMAT_DOUBLE, "double"},
                                    {SF_FORMAT_ULAW, "ulaw"},
                                    {SF_FORMAT_ALAW, "alaw"},
                                    {SF_FORMAT_IMA_ADPCM, "ima_adpcm"},
                                    {SF_FORMAT_MS_ADPCM, "ms_adpcm"},
                                    {SF_FORMAT_GSM610, "gsm610"},
                                    {SF_FORMAT_VOX_ADPCM, "vox_adpcm"},
                                    {SF_FORMAT_G721_32, "g721_32"},
                                    {SF_FORMAT_G723_24, "g723_24"},
                                    {SF_FORMAT_G723_40, "g723_40"},
                                    {SF_FORMAT_DWVW_12, "dwvw_12"},
                                    {SF_FORMAT_DWVW_16, "dwvw_16"},
                                    {SF_FORMAT_DWVW_24, "dwvw_24"},
                                    {SF_FORMAT_DWVW_N, "dwvw_n"},
                                    {SF_FORMAT_DPCM_8, "dpcm_8"},
                                    {SF_FORMAT_DPCM_16, "dpcm_16"},
                                    {SF_FORMAT_VORBIS, "vorbis"},
#ifdef SF_FORMAT_OPUS
                                    {SF_FORMAT_OPUS, "opus"},
#endif
#ifdef SF_FORMAT_MPEG_LAYER_III
                                    {SF_FORMAT_MPEG_LAYER_I, "mpeg_layer_i"},
                                    {SF_FORMAT_MPEG_LAYER_II, "mpeg_layer_ii"},
                                    {SF_FORMAT_MPEG_LAYER_III, "mpeg_layer_iii"},
#endif
                                    {SF_FORMAT_ALAC_16, "alac_16"},
                                    {SF_FORMAT_ALAC_20, "alac_20"},
                                    {SF_FORMAT_ALAC_24, "alac_24"},
                                    {SF_FORMAT_ALAC_32, "alac_32"},
                                    {0, NULL}};

static const char *fmt_lookup(const fmt_name *t, int id)
{
    for (; t->name; t++)
        if (t->id == id)
            return t->name;
    return "unknown";
}

/* libsndfile's sentence as a message part: "file contains data in an unknown format" */
static void sf_reason(SNDFILE *sf, char *out, size_t n)
{
    snprintf(out, n, "%s", sf_strerror(sf));
    size_t len = strlen(out);
    while (len > 0 && (out[len - 1] == '.' || out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
    if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
        out[0] = (char)(out[0] - 'A' + 'a');
}

/* ---------------------------------------------------------------- progress */

typedef struct progress {
    int on, shown;
    double start, last;
    int64_t total; /* frames, -1 when unknown */
    const char *name;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress_update(progress *p, uint64_t done, double rate)
{
    if (!p->on)
        return;
    double t = now_s();
    if (t - p->last < 0.2 || t - p->start < 0.3)
        return;
    p->last = t;
    p->shown = 1;
    if (p->total > 0)
        fprintf(stderr, "\rmixdown: analyze: %s %3d%%\033[K", p->name,
                (int)(100.0 * (double)done / (double)p->total));
    else
        fprintf(stderr, "\rmixdown: analyze: %s %.0f s\033[K", p->name, (double)done / rate);
    fflush(stderr);
}

static void progress_end(progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

/* ---------------------------------------------------------------- output */

static void table_row(const char *label, double v, int decimals, const char *unit)
{
    if (fabs(v) < 0.5 * pow(10.0, -decimals))
        v = 0.0; /* no "-0.00" */
    if (isfinite(v))
        printf("  %-20s %12.*f%s%s\n", label, decimals, v, *unit ? " " : "", unit);
    else
        printf("  %-20s %12s\n", label, "n/a");
}

static void print_table(const char *path, const SF_INFO *info, const md_analysis *r)
{
    char fmt[64];
    snprintf(fmt, sizeof fmt, "%s, %s", fmt_lookup(majors, info->format & SF_FORMAT_TYPEMASK),
             fmt_lookup(subtypes, info->format & SF_FORMAT_SUBMASK));
    for (char *p = fmt; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    printf("%s\n", path);
    printf("  %-20s %s, %u Hz, %u channel%s, %.3f s\n", "format", fmt, (unsigned)r->rate_hz,
           r->channels, r->channels == 1 ? "" : "s", r->duration_s);
    table_row("integrated loudness", r->integrated_lufs, 2, "LUFS");
    table_row("loudness range", r->loudness_range_lu, 2, "LU");
    table_row("max momentary", r->max_momentary_lufs, 2, "LUFS");
    table_row("max short-term", r->max_short_term_lufs, 2, "LUFS");
    table_row("true peak", r->true_peak_dbtp, 2, "dBTP");
    table_row("sample peak", r->sample_peak_dbfs, 2, "dBFS");
    table_row("rms", r->rms_dbfs, 2, "dBFS");
    table_row("crest", r->crest_db, 2, "dB");
    if (isfinite(r->dc_offset))
        printf("  %-20s %12.6f\n", "dc offset", r->dc_offset);
    else
        printf("  %-20s %12s\n", "dc offset", "n/a");
    printf("  %-20s %12llu\n", "clipped samples", (unsigned long long)r->clipped_samples);
    printf("  %-20s %12llu\n", "non-finite samples", (unsigned long long)r->nonfinite_samples);
    table_row("correlation", r->correlation, 3, "");
    table_row("balance (L-R)", r->balance_db, 2, "dB");
}

static void print_json(const char *path, const SF_INFO *info, const md_analysis *r)
{
    md_json j;
    md_json_init(&j, stdout);
    md_json_begin_object(&j);
    md_json_key(&j, "file");
    md_json_string(&j, path);
    md_json_key(&j, "format");
    md_json_string(&j, fmt_lookup(majors, info->format & SF_FORMAT_TYPEMASK));
    md_json_key(&j, "subtype");
    md_json_string(&j, fmt_lookup(subtypes, info->format & SF_FORMAT_SUBMASK));
    md_json_key(&j, "sample_rate");
    md_json_int(&j, (int64_t)r->rate_hz);
    md_json_key(&j, "channels");
    md_json_int(&j, r->channels);
    md_json_key(&j, "frames");
    md_json_uint(&j, r->frames);
    md_json_key(&j, "duration_s");
    md_json_number(&j, r->duration_s, 6);
    md_json_key(&j, "integrated_lufs");
    md_json_number(&j, r->integrated_lufs, 4);
    md_json_key(&j, "loudness_range_lu");
    md_json_number(&j, r->loudness_range_lu, 4);
    md_json_key(&j, "max_momentary_lufs");
    md_json_number(&j, r->max_momentary_lufs, 4);
    md_json_key(&j, "max_short_term_lufs");
    md_json_number(&j, r->max_short_term_lufs, 4);
    md_json_key(&j, "sample_peak_dbfs");
    md_json_number(&j, r->sample_peak_dbfs, 4);
    md_json_key(&j, "true_peak_dbtp");
    md_json_number(&j, r->true_peak_dbtp, 4);
    md_json_key(&j, "true_peak_per_channel");
    md_json_begin_array(&j);
    for (unsigned c = 0; c < r->channels; c++)
        md_json_number(&j, r->true_peak_ch_dbtp[c], 4);
    md_json_end_array(&j);
    md_json_key(&j, "sample_peak_per_channel");
    md_json_begin_array(&j);
    for (unsigned c = 0; c < r->channels; c++)
        md_json_number(&j, r->sample_peak_ch_dbfs[c], 4);
    md_json_end_array(&j);
    md_json_key(&j, "rms_dbfs");
    md_json_number(&j, r->rms_dbfs, 4);
    md_json_key(&j, "crest_db");
    md_json_number(&j, r->crest_db, 4);
    md_json_key(&j, "dc_offset");
    md_json_number_g(&j, r->dc_offset, 6);
    md_json_key(&j, "clipped_samples");
    md_json_uint(&j, r->clipped_samples);
    md_json_key(&j, "nonfinite_samples");
    md_json_uint(&j, r->nonfinite_samples);
    md_json_key(&j, "correlation");
    md_json_number(&j, r->correlation, 6);
    md_json_key(&j, "balance_db");
    md_json_number(&j, r->balance_db, 4);
    md_json_end_object(&j);
    fputc('\n', stdout);
}

/* ---------------------------------------------------------------- one file */

/* NULL after one line on stderr naming the file and the problem */
static SNDFILE *open_input(const char *path, SF_INFO *info)
{
    memset(info, 0, sizeof *info);
    SNDFILE *sf;
    if (strcmp(path, "-") == 0) {
        sf = sf_open_fd(STDIN_FILENO, SFM_READ, info, 0);
    } else {
        struct stat st;
        if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
            fprintf(stderr, "mixdown: analyze: %s: cannot open (%s)\n", path, strerror(errno));
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, "mixdown: analyze: %s: is a directory, not an audio file\n", path);
            return NULL;
        }
        sf = sf_open(path, SFM_READ, info);
    }
    if (!sf) {
        char why[256];
        sf_reason(NULL, why, sizeof why);
        fprintf(stderr, "mixdown: analyze: %s: not an audio file libsndfile can read (%s)\n", path,
                why);
    }
    return sf;
}

static int analyze_file(const char *path, int json)
{
    SF_INFO info;
    SNDFILE *sf = open_input(path, &info);
    if (!sf)
        return MD_EXIT_USAGE;
    int code = MD_EXIT_OK;
    float *il = NULL;
    md_analyzer *a = NULL;
    if (info.samplerate < (int)MD_MIN_RATE || info.samplerate > (int)MD_MAX_RATE) {
        fprintf(stderr, "mixdown: analyze: %s: sample rate must be in %.0f..%.0f Hz, got %d\n",
                path, MD_MIN_RATE, MD_MAX_RATE, info.samplerate);
        code = MD_EXIT_USAGE;
        goto done;
    }
    if (info.channels < 1 || info.channels > MD_MAX_CHANNELS) {
        fprintf(stderr, "mixdown: analyze: %s: channels must be in 1..%d, got %d\n", path,
                MD_MAX_CHANNELS, info.channels);
        code = MD_EXIT_USAGE;
        goto done;
    }
    unsigned ch = (unsigned)info.channels;
    int map[MD_MAX_CHANNELS];
    int has_map = sf_command(sf, SFC_GET_CHANNEL_MAP_INFO, map, (int)(sizeof(int) * ch)) == SF_TRUE;

    md_error err = {0};
    a = md_analyzer_create(info.samplerate, ch, has_map ? map : NULL, 0, &err);
    il = malloc(sizeof(float) * BLOCK_FRAMES * ch);
    if (!a || !il) {
        fprintf(stderr, "mixdown: analyze: %s: %s\n", path, a ? "out of memory" : err.msg);
        code = MD_EXIT_INTERNAL;
        goto done;
    }

    /* a header's frame count is a hint only (see the top of the file) */
    int64_t hinted = info.frames > 0 && info.frames < INT64_MAX / 2 ? info.frames : -1;
    progress pr = {0};
    pr.on =
        isatty(STDERR_FILENO) && (hinted < 0 || (double)hinted / info.samplerate >= PROGRESS_MIN_S);
    pr.start = pr.last = now_s();
    pr.total = hinted;
    pr.name = path;

    uint64_t done = 0;
    sf_count_t n;
    while ((n = sf_readf_float(sf, il, BLOCK_FRAMES)) > 0) {
        if (md_analyzer_add_interleaved(a, il, (unsigned)n, &err) != MD_OK) {
            progress_end(&pr);
            fprintf(stderr, "mixdown: analyze: %s: %s\n", path, err.msg);
            code = MD_EXIT_INTERNAL;
            goto done;
        }
        done += (uint64_t)n;
        if (md_host_cancel) {
            progress_end(&pr);
            fprintf(stderr, "mixdown: analyze: %s: interrupted\n", path);
            code = MD_EXIT_INTERRUPTED;
            goto done;
        }
        progress_update(&pr, done, info.samplerate);
    }
    progress_end(&pr);
    if (sf_error(sf) != SF_ERR_NO_ERROR) {
        char why[256];
        sf_reason(sf, why, sizeof why);
        fprintf(stderr, "mixdown: analyze: %s: read error after %.3f s (%s)\n", path,
                (double)done / info.samplerate, why);
        code = MD_EXIT_USAGE;
        goto done;
    }

    md_analysis r;
    if (md_analyzer_result(a, &r) != MD_OK) {
        fprintf(stderr, "mixdown: analyze: %s: measurement failed\n", path);
        code = MD_EXIT_INTERNAL;
        goto done;
    }
    if (json)
        print_json(path, &info, &r);
    else
        print_table(path, &info, &r);
    fflush(stdout);
    if (r.nonfinite_samples > 0)
        fprintf(stderr,
                "mixdown: analyze: %s: %llu non-finite sample%s (NaN/Inf) counted and ignored\n",
                path, (unsigned long long)r.nonfinite_samples, r.nonfinite_samples == 1 ? "" : "s");
done:
    md_analyzer_destroy(a);
    free(il);
    sf_close(sf);
    return code;
}

/* ---------------------------------------------------------------- the verb */

static int worse(int a, int b)
{
    /* interrupted > internal > usage/input > ok */
    static const int rank[] = {0, 1, 2};
    if (a == MD_EXIT_INTERRUPTED || b == MD_EXIT_INTERRUPTED)
        return MD_EXIT_INTERRUPTED;
    return rank[a] >= rank[b] ? a : b;
}

int md_cmd_analyze(int argc, char **argv)
{
    int json = 0, nfiles = 0, opts = 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (opts && s[0] == '-' && s[1] != '\0') {
            if (strcmp(s, "--") == 0)
                opts = 0;
            else if (strcmp(s, "--json") == 0)
                json = 1;
            else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
                fputs(usage, stdout);
                return MD_EXIT_OK;
            } else if (strcmp(s, "--version") == 0) {
                printf("mixdown %s\n", MD_VERSION);
                return MD_EXIT_OK;
            } else if (strcmp(s, "--debug") == 0) {
                /* accepted everywhere; nothing to trace here */
            } else {
                fprintf(stderr,
                        "mixdown: analyze: unknown option '%s' (try 'mixdown analyze "
                        "--help')\n",
                        s);
                return MD_EXIT_USAGE;
            }
        } else {
            nfiles++;
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "mixdown: analyze: no input file (try 'mixdown analyze --help')\n");
        return MD_EXIT_USAGE;
    }
    int code = MD_EXIT_OK;
    opts = 1;
    for (int i = 1; i < argc && code != MD_EXIT_INTERRUPTED; i++) {
        const char *s = argv[i];
        if (opts && s[0] == '-' && s[1] != '\0') {
            if (strcmp(s, "--") == 0)
                opts = 0;
            continue;
        }
        code = worse(code, analyze_file(s, json));
    }
    return code;
}
