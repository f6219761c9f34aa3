/* io_util.c - see io_util.h. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io_util.h"

char *io_tmpdir(void)
{
    const char *base = getenv("MD_TEST_TMP");
    if (base && *base)
        mkdir(base, 0777); /* may exist already */
    else
        base = "/tmp";
    char *dir = malloc(strlen(base) + 32);
    cr_assert(dir);
    sprintf(dir, "%s/mdio.XXXXXX", base);
    cr_assert(mkdtemp(dir), "mkdtemp %s: %s", dir, strerror(errno));
    return dir;
}

void io_rmtree(const char *dir)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = io_join(dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            io_rmtree(p);
        else
            remove(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

char *io_join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    cr_assert(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

unsigned io_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d, "opendir %s", dir);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

int io_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

float **io_planar(unsigned ch, size_t frames)
{
    float **x = calloc(ch, sizeof *x);
    cr_assert(x);
    for (unsigned c = 0; c < ch; c++) {
        x[c] = calloc(frames + 1, sizeof(float));
        cr_assert(x[c]);
    }
    return x;
}

void io_free_planar(float **x, unsigned ch)
{
    if (!x)
        return;
    for (unsigned c = 0; c < ch; c++)
        free(x[c]);
    free(x);
}

void io_set_opts(md_node *n, const char *opts)
{
    if (!opts)
        return;
    char *copy = strdup(opts), *save = NULL;
    cr_assert(copy);
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        cr_assert(eq, "bad option '%s'", tok);
        *eq = '\0';
        md_error e;
        md_error_clear(&e);
        md_status s = md_node_set_string(n, tok, eq + 1, &e);
        cr_assert_eq(s, MD_OK, "set %s=%s: %s", tok, eq + 1, e.msg);
    }
    free(copy);
}

md_status io_write(const char *path, float *const *x, unsigned ch, size_t frames, double rate,
                   const char *opts, unsigned block, int64_t *nonfinite, md_error *err)
{
    md_node *n = md_node_create(md_node_lookup("sink"), err);
    cr_assert(n);
    md_status s = md_node_set_string(n, "path", path, err);
    cr_assert_eq(s, MD_OK);
    io_set_opts(n, opts);
    if (!block)
        block = 1000;
    md_stream in = {.rate_hz = rate, .channels = ch, .max_frames = block};
    s = md_node_prepare(n, &in, err);
    const float *p[MD_MAX_CHANNELS];
    for (size_t done = 0; s == MD_OK && done < frames;) {
        unsigned k = frames - done < block ? (unsigned)(frames - done) : block;
        for (unsigned c = 0; c < ch; c++)
            p[c] = x[c] + done;
        s = md_node_type(n)->consume(n, p, k, err);
        done += k;
    }
    if (s == MD_OK)
        s = md_node_type(n)->commit(n, err);
    else
        md_node_type(n)->discard(n);
    if (s == MD_OK && nonfinite)
        *nonfinite = md_sink_nonfinite(n);
    md_node_destroy(n);
    return s;
}

int32_t *io_read_int(const char *path, SF_INFO *info)
{
    memset(info, 0, sizeof *info);
    SNDFILE *sf = sf_open(path, SFM_READ, info);
    cr_assert(sf, "%s: %s", path, sf_strerror(NULL));
    int32_t *d = calloc((size_t)info->frames * info->channels + 1, sizeof *d);
    cr_assert(d);
    sf_count_t got = sf_readf_int(sf, d, info->frames);
    cr_assert_eq(got, info->frames, "%s: read %lld of %lld frames", path, (long long)got,
                 (long long)info->frames);
    sf_close(sf);
    return d;
}

float *io_read_float(const char *path, SF_INFO *info)
{
    memset(info, 0, sizeof *info);
    SNDFILE *sf = sf_open(path, SFM_READ, info);
    cr_assert(sf, "%s: %s", path, sf_strerror(NULL));
    /* Ogg may report no length: read in chunks until the end */
    size_t cap = 1 << 16, n = 0;
    float *d = malloc(cap * info->channels * sizeof *d);
    cr_assert(d);
    for (;;) {
        if (n + 4096 > cap) {
            cap *= 2;
            d = realloc(d, cap * info->channels * sizeof *d);
            cr_assert(d);
        }
        sf_count_t got = sf_readf_float(sf, d + n * info->channels, 4096);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    info->frames = (sf_count_t)n;
    sf_close(sf);
    return d;
}

float **io_read_source(const char *path, double graph_rate, unsigned block, unsigned *ch,
                       size_t *frames, md_error *err)
{
    md_node *n = md_node_create(md_node_lookup("file"), err);
    cr_assert(n);
    cr_assert_eq(md_node_set_string(n, "path", path, err), MD_OK);
    md_stream in = {.rate_hz = graph_rate, .channels = 0, .max_frames = block};
    if (md_node_prepare(n, &in, err) != MD_OK) {
        md_node_destroy(n);
        return NULL;
    }
    unsigned nch = md_node_out(n)->channels;
    size_t cap = 1 << 16, total = 0;
    float **out = io_planar(nch, cap);
    float *ptr[MD_MAX_CHANNELS];
    for (;;) {
        if (total + block > cap) {
            cap = 2 * (total + block);
            for (unsigned c = 0; c < nch; c++) {
                out[c] = realloc(out[c], (cap + 1) * sizeof(float));
                cr_assert(out[c]);
            }
        }
        for (unsigned c = 0; c < nch; c++)
            ptr[c] = out[c] + total;
        md_error e;
        md_error_clear(&e);
        unsigned got = md_node_type(n)->generate(n, ptr, block, &e);
        cr_assert_eq(e.status, MD_OK, "%s", e.msg);
        cr_assert_leq(got, block);
        total += got;
        if (got < block)
            break;
    }
    *ch = nch;
    *frames = total;
    md_node_destroy(n);
    return out;
}

double io_fit_tone(const float *y, size_t n, double freq, double rate, double *resid_rms)
{
    /* normal equations of y ~ a sin + b cos */
    double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
    double w = 2.0 * M_PI * freq / rate;
    for (size_t i = 0; i < n; i++) {
        double s = sin(w * (double)i), c = cos(w * (double)i);
        ss += s * s;
        cc += c * c;
        sc += s * c;
        ys += y[i] * s;
        yc += y[i] * c;
    }
    double det = ss * cc - sc * sc;
    double a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    if (resid_rms) {
        double r = 0;
        for (size_t i = 0; i < n; i++) {
            double e = y[i] - a * sin(w * (double)i) - b * cos(w * (double)i);
            r += e * e;
        }
        *resid_rms = sqrt(r / (double)n);
    }
    return sqrt(a * a + b * b);
}

double io_db(double ratio) { return 20.0 * log10(ratio); }

int io_have_tool(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *copy = strdup(path), *save = NULL;
    int found = 0;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *p = io_join(d, name);
        found = access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}
