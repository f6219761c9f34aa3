/* filters_util.c - helpers for the filter tests (see filters_util.h). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "filters_util.h"

md_node *filt_node(const char *type)
{
    const md_node_vtable *vt = md_node_lookup(type);
    cr_assert_not_null(vt, "node type %s is not registered", type);
    md_error err = {0};
    md_node *n = md_node_create(vt, &err);
    cr_assert_not_null(n, "%s: %s", type, err.msg);
    return n;
}

void filt_eq_bands(md_node *n, unsigned count)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_list_count(n, "bands", count, &err), MD_OK, "%s", err.msg);
}

void filt_eq_band(md_node *n, unsigned item, const char *type, double freq, double gain,
                  double q, const char *channel)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_item_string(n, "bands", item, "type", type, &err), MD_OK, "%s",
                 err.msg);
    cr_assert_eq(md_node_set_item_number(n, "bands", item, "freq", freq, &err), MD_OK, "%s",
                 err.msg);
    cr_assert_eq(md_node_set_item_number(n, "bands", item, "gain", gain, &err), MD_OK, "%s",
                 err.msg);
    if (q > 0)
        cr_assert_eq(md_node_set_item_number(n, "bands", item, "q", q, &err), MD_OK, "%s",
                     err.msg);
    if (channel)
        cr_assert_eq(md_node_set_item_string(n, "bands", item, "channel", channel, &err), MD_OK,
                     "%s", err.msg);
}

void filt_prepare(md_node *n, double rate, unsigned channels, unsigned max_frames)
{
    md_stream s = {rate, channels, max_frames};
    md_error err = {0};
    cr_assert_eq(md_node_prepare(n, &s, &err), MD_OK, "prepare: %s", err.msg);
}

void filt_run(md_node *n, float *const *in, float *const *out, unsigned channels,
              size_t frames, unsigned block)
{
    const float *ip[MD_MAX_CHANNELS];
    float *op[MD_MAX_CHANNELS];
    for (size_t done = 0; done < frames;) {
        unsigned len = frames - done < block ? (unsigned)(frames - done) : block;
        for (unsigned c = 0; c < channels; c++) {
            ip[c] = in[c] + done;
            op[c] = out[c] + done;
        }
        md_node_run(n, ip, op, len);
        done += len;
    }
}

float *filt_impulse_response(md_node *n, size_t len)
{
    float *x = calloc(len, sizeof *x);
    cr_assert_not_null(x);
    x[0] = 1.0f;
    md_node_reset(n);
    unsigned block = md_node_in(n)->max_frames;
    filt_run(n, &x, &x, 1, len, block);
    return x;
}

void filt_noise(float *x, size_t n, uint64_t seed, double rms)
{
    uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i += 2) {
        double u[2];
        for (int k = 0; k < 2; k++) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            uint64_t r = s * 0x2545F4914F6CDD1Dull;
            u[k] = ((double)(r >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
        }
        double m = sqrt(-2.0 * log(u[0]));
        x[i] = (float)(rms * m * cos(2.0 * M_PI * u[1]));
        if (i + 1 < n)
            x[i + 1] = (float)(rms * m * sin(2.0 * M_PI * u[1]));
    }
}

void filt_dft(const float *x, size_t n, double w, double *re, double *im)
{
    /* a rotating phasor, re-anchored every 1024 samples so it cannot drift */
    double sr = 0, si = 0, cw = cos(w), sw = sin(w);
    for (size_t k0 = 0; k0 < n; k0 += 1024) {
        double pr = cos(w * (double)k0), pi = -sin(w * (double)k0);
        size_t end = k0 + 1024 < n ? k0 + 1024 : n;
        for (size_t k = k0; k < end; k++) {
            sr += x[k] * pr;
            si += x[k] * pi;
            double t = pr * cw + pi * sw; /* multiply by e^{-jw} */
            pi = pi * cw - pr * sw;
            pr = t;
        }
    }
    *re = sr;
    *im = si;
}

float **filt_alloc(unsigned channels, size_t frames)
{
    float **b = calloc(channels, sizeof *b);
    cr_assert_not_null(b);
    for (unsigned c = 0; c < channels; c++) {
        b[c] = calloc(frames ? frames : 1, sizeof **b);
        cr_assert_not_null(b[c]);
    }
    return b;
}

void filt_free(float **b, unsigned channels)
{
    if (!b)
        return;
    for (unsigned c = 0; c < channels; c++)
        free(b[c]);
    free(b);
}
