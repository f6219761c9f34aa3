/* dyn_support.c - see dyn_support.h. */
#include <criterion/criterion.h>
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dyn_support.h"

void dyn_audio_alloc(dyn_audio *a, unsigned channels, unsigned frames, double rate_hz)
{
    memset(a, 0, sizeof *a);
    cr_assert(channels <= 8);
    a->channels = channels;
    a->frames = frames;
    a->rate_hz = rate_hz;
    for (unsigned c = 0; c < channels; c++) {
        a->ch[c] = calloc(frames ? frames : 1, sizeof(float));
        cr_assert(a->ch[c]);
    }
}

void dyn_audio_free(dyn_audio *a)
{
    for (unsigned c = 0; c < a->channels; c++)
        free(a->ch[c]);
    memset(a, 0, sizeof *a);
}

void dyn_sine(float *x, unsigned frames, double freq_hz, double rate_hz, double peak,
              double phase_rad)
{
    for (unsigned i = 0; i < frames; i++)
        x[i] = (float)(peak * sin(2.0 * M_PI * freq_hz * i / rate_hz + phase_rad));
}

double dyn_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

md_node *dyn_make(const char *type, unsigned channels, double rate_hz, unsigned max_frames,
                  unsigned sc, const char *const *kv)
{
    md_error err = {0};
    const md_node_vtable *vt = md_node_lookup(type);
    cr_assert(vt, "node type %s is registered", type);
    md_node *n = md_node_create(vt, &err);
    cr_assert(n, "%s", err.msg);
    for (unsigned i = 0; kv && kv[i]; i += 2)
        cr_assert(md_node_set_string(n, kv[i], kv[i + 1], &err) == MD_OK, "%s", err.msg);
    md_stream st = {rate_hz, channels, max_frames};
    md_status s = sc ? md_node_prepare_sc(n, &st, sc, &err) : md_node_prepare(n, &st, &err);
    cr_assert(s == MD_OK, "prepare %s: %s", type, err.msg);
    return n;
}

void dyn_run(md_node *n, const dyn_audio *in, const dyn_audio *sc, dyn_audio *out,
             unsigned block)
{
    const float *ip[16];
    float *op[8];
    unsigned nin = in->channels, nsc = sc ? sc->channels : 0;
    for (unsigned pos = 0; pos < in->frames; pos += block) {
        unsigned m = in->frames - pos < block ? in->frames - pos : block;
        for (unsigned c = 0; c < nin; c++)
            ip[c] = in->ch[c] + pos;
        for (unsigned c = 0; c < nsc; c++)
            ip[nin + c] = sc->ch[c] + pos;
        for (unsigned c = 0; c < out->channels; c++)
            op[c] = out->ch[c] + pos;
        md_node_run(n, ip, op, m);
    }
}

double dyn_db(double amp) { return amp > 0.0 ? 20.0 * log10(amp) : -INFINITY; }

double dyn_rms(const float *x, unsigned frames)
{
    double s = 0.0;
    for (unsigned i = 0; i < frames; i++)
        s += (double)x[i] * x[i];
    return frames ? sqrt(s / frames) : 0.0;
}

double dyn_peak(const float *x, unsigned frames)
{
    double p = 0.0;
    for (unsigned i = 0; i < frames; i++)
        p = fabs(x[i]) > p ? fabs(x[i]) : p;
    return p;
}

void dyn_tmp_make(char *dir, unsigned size)
{
    snprintf(dir, size, "/tmp/md-dyn-XXXXXX");
    cr_assert(mkdtemp(dir), "mkdtemp");
}

void dyn_tmp_cleanup(const char *dir)
{
    char cmd[600];
    if (strncmp(dir, "/tmp/md-dyn-", 12) != 0)
        return;
    if (getenv("MD_DYN_KEEP")) { /* debugging: keep the files */
        fprintf(stderr, "kept %s\n", dir);
        return;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int dyn_write_wav(const char *path, const dyn_audio *a)
{
    SF_INFO info = {0};
    info.samplerate = (int)a->rate_hz;
    info.channels = (int)a->channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return -1;
    float *il = malloc(sizeof(float) * a->channels * 4096);
    int rc = 0;
    for (unsigned pos = 0; pos < a->frames && rc == 0; pos += 4096) {
        unsigned m = a->frames - pos < 4096 ? a->frames - pos : 4096;
        for (unsigned i = 0; i < m; i++)
            for (unsigned c = 0; c < a->channels; c++)
                il[i * a->channels + c] = a->ch[c][pos + i];
        if (sf_writef_float(f, il, m) != (sf_count_t)m)
            rc = -1;
    }
    free(il);
    if (sf_close(f) != 0)
        rc = -1;
    return rc;
}

double dyn_tp_libebur128(const dyn_audio *a)
{
    ebur128_state *st = ebur128_init(a->channels, (unsigned long)a->rate_hz,
                                     EBUR128_MODE_TRUE_PEAK);
    cr_assert(st);
    float *il = malloc(sizeof(float) * a->channels * 4096);
    for (unsigned pos = 0; pos < a->frames; pos += 4096) {
        unsigned m = a->frames - pos < 4096 ? a->frames - pos : 4096;
        for (unsigned i = 0; i < m; i++)
            for (unsigned c = 0; c < a->channels; c++)
                il[i * a->channels + c] = a->ch[c][pos + i];
        cr_assert(ebur128_add_frames_float(st, il, m) == EBUR128_SUCCESS);
    }
    free(il);
    double best = 0.0;
    for (unsigned c = 0; c < a->channels; c++) {
        double tp;
        cr_assert(ebur128_true_peak(st, c, &tp) == EBUR128_SUCCESS);
        best = tp > best ? tp : best;
    }
    ebur128_destroy(&st);
    return dyn_db(best);
}

int dyn_tp_ffmpeg(const char *path, double *db)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -hide_banner -nostdin -i '%s' -af ebur128=peak=true -f null - 2>&1", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[1024];
    int found = 0, in_tp = 0;
    while (fgets(line, sizeof line, p)) {
        if (strstr(line, "True peak:"))
            in_tp = 1;
        const char *s = strstr(line, "Peak:");
        if (in_tp && s && sscanf(s + 5, "%lf", db) == 1)
            found = 1;
    }
    int rc = pclose(p);
    return (found && rc == 0) ? 0 : -1;
}
