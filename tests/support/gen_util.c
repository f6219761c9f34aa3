/* gen_util.c - see gen_util.h. */
#include "gen_util.h"
#include <criterion/criterion.h>
#include <kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

gen_sig gen_sig_new(unsigned channels, size_t frames)
{
    gen_sig s;
    memset(&s, 0, sizeof s);
    cr_assert(channels >= 1 && channels <= GEN_MAX_CH, "gen_sig_new: %u channels", channels);
    s.channels = channels;
    s.frames = frames;
    for (unsigned c = 0; c < channels; c++) {
        s.ch[c] = calloc(frames ? frames : 1, sizeof(float));
        cr_assert(s.ch[c], "gen_sig_new: out of memory");
    }
    return s;
}

void gen_sig_free(gen_sig *s)
{
    for (unsigned c = 0; c < GEN_MAX_CH; c++) {
        free(s->ch[c]);
        s->ch[c] = NULL;
    }
    s->channels = 0;
    s->frames = 0;
}

md_node *gen_node(const char *type, const char *spec)
{
    md_error e;
    const md_node_vtable *vt = md_node_lookup(type);
    cr_assert(vt, "no node type '%s'", type);
    md_node *n = md_node_create(vt, &e);
    cr_assert(n, "%s", e.msg);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec ? spec : "");
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        cr_assert(eq, "bad spec item '%s'", tok);
        *eq = '\0';
        const char *val = eq + 1;
        char *end;
        double v = strtod(val, &end);
        md_status s = (end != val && *end == '\0') ? md_node_set_number(n, tok, v, &e)
                                                   : md_node_set_string(n, tok, val, &e);
        cr_assert_eq(s, MD_OK, "%s", e.msg);
    }
    return n;
}

void gen_set_notes(md_node *n, unsigned count, const double (*notes)[4])
{
    static const char *const fields[4] = {"time", "dur", "freq", "vel"};
    md_error e;
    cr_assert_eq(md_node_set_list_count(n, "notes", count, &e), MD_OK, "%s", e.msg);
    for (unsigned i = 0; i < count; i++)
        for (unsigned f = 0; f < 4; f++)
            if (!isnan(notes[i][f]))
                cr_assert_eq(md_node_set_item_number(n, "notes", i, fields[f], notes[i][f], &e),
                             MD_OK, "%s", e.msg);
}

void gen_prepare(md_node *n, unsigned channels, double rate_hz, unsigned max_frames)
{
    md_error e;
    md_stream st = {rate_hz, channels, max_frames};
    cr_assert_eq(md_node_prepare(n, &st, &e), MD_OK, "%s", e.msg);
}

md_node *gen_source(const char *type, const char *spec, double rate_hz)
{
    md_node *n = gen_node(type, spec);
    gen_prepare(n, 0, rate_hz, 4096);
    return n;
}

gen_sig gen_render(md_node *n, unsigned block)
{
    const md_node_vtable *vt = md_node_type(n);
    cr_assert(vt->generate && vt->length, "%s is not a source", vt->name);
    int64_t len = vt->length(n);
    cr_assert(len >= 0, "%s: unknown length", vt->name);
    unsigned ch = md_node_out(n)->channels;
    gen_sig s = gen_sig_new(ch, (size_t)len);
    float *tmp[GEN_MAX_CH];
    for (unsigned c = 0; c < ch; c++) {
        tmp[c] = malloc(block * sizeof(float));
        cr_assert(tmp[c]);
    }
    md_error e;
    size_t pos = 0;
    for (;;) {
        for (unsigned c = 0; c < ch; c++) /* garbage the generator must overwrite */
            for (unsigned i = 0; i < block; i++)
                tmp[c][i] = 12345.0f;
        unsigned got = vt->generate(n, tmp, block, &e);
        cr_assert(got <= block, "%s: generate returned %u of %u", vt->name, got, block);
        cr_assert(pos + got <= (size_t)len, "%s: more frames than length() = %lld", vt->name,
                  (long long)len);
        for (unsigned c = 0; c < ch; c++) {
            memcpy(s.ch[c] + pos, tmp[c], got * sizeof(float));
            for (unsigned i = got; i < block; i++)
                cr_assert(tmp[c][i] == 0.0f, "%s: frame %u after the end is %g, not 0", vt->name, i,
                          tmp[c][i]);
        }
        pos += got;
        if (got < block)
            break;
    }
    cr_assert_eq(pos, (size_t)len, "%s: %zu frames generated, length() says %lld", vt->name, pos,
                 (long long)len);
    /* an ended source stays ended */
    cr_assert_eq(vt->generate(n, tmp, block, &e), 0u, "%s: frames after the end", vt->name);
    for (unsigned c = 0; c < ch; c++)
        free(tmp[c]);
    return s;
}

void gen_process(md_node *n, const gen_sig *in, gen_sig *out, unsigned block)
{
    const float *ip[GEN_MAX_CH];
    float *op[GEN_MAX_CH];
    for (size_t pos = 0; pos < in->frames; pos += block) {
        unsigned f = in->frames - pos < block ? (unsigned)(in->frames - pos) : block;
        for (unsigned c = 0; c < in->channels; c++)
            ip[c] = in->ch[c] + pos;
        for (unsigned c = 0; c < out->channels; c++)
            op[c] = out->ch[c] + pos;
        md_node_run(n, ip, op, f);
    }
}

double gen_db(double a)
{
    return a == 0 ? -INFINITY : 20.0 * log10(fabs(a));
}

double gen_rms(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return n ? sqrt(s / n) : 0.0;
}

double gen_peak(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    return m;
}

long gen_first_nonzero(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != 0.0f)
            return (long)i;
    return -1;
}

long gen_last_nonzero(const float *x, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (x[i] != 0.0f)
            return (long)i;
    return -1;
}

double gen_dft(const float *x, size_t n, double freq_hz, double rate_hz, int hann,
               double *phase_rad)
{
    double re = 0, im = 0, wsum = 0;
    double w = 2.0 * M_PI * freq_hz / rate_hz;
    for (size_t i = 0; i < n; i++) {
        double win = hann ? 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n) : 1.0;
        /* the angle from i directly (no recursion): exact to double rounding */
        double a = w * (double)i;
        re += win * x[i] * cos(a);
        im -= win * x[i] * sin(a);
        wsum += win;
    }
    if (phase_rad)
        *phase_rad = atan2(im, re);
    return 2.0 * sqrt(re * re + im * im) / wsum;
}

double gen_peak_freq(const float *x, size_t n, double rate_hz, double lo, double hi, double step)
{
    (void)step;
    /* coarse: the largest bin of a Hann spectrum zero-padded 4 times */
    size_t nfft = 1;
    while (nfft < 4 * n)
        nfft <<= 1;
    float *pad = calloc(nfft, sizeof(float));
    cr_assert(pad, "gen_peak_freq: out of memory");
    for (size_t i = 0; i < n; i++)
        pad[i] = (float)((0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n)) * x[i]);
    double *p = gen_spectrum(pad, nfft, 0);
    double df = rate_hz / (double)nfft, best = lo, best_p = -1;
    for (size_t k = (size_t)ceil(lo / df); k <= nfft / 2 && k * df <= hi; k++)
        if (p[k] > best_p) {
            best_p = p[k];
            best = k * df;
        }
    free(p);
    free(pad);
    /* fine: golden-section search of the windowed DFT magnitude within a bin */
    double a = best - df, b = best + df, g = (sqrt(5.0) - 1) / 2;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = gen_dft(x, n, c, rate_hz, 1, NULL), fd = gen_dft(x, n, d, rate_hz, 1, NULL);
    for (int it = 0; it < 40; it++) {
        if (fc > fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a);
            fc = gen_dft(x, n, c, rate_hz, 1, NULL);
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a);
            fd = gen_dft(x, n, d, rate_hz, 1, NULL);
        }
    }
    return 0.5 * (a + b);
}

double gen_zc_freq(const float *x, size_t from, size_t len, double rate_hz, double *mid_s)
{
    double first = -1, last = -1;
    long count = 0;
    for (size_t i = from + 1; i < from + len; i++) {
        if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
            double t = (double)(i - 1) + (double)x[i - 1] / ((double)x[i - 1] - (double)x[i]);
            if (first < 0)
                first = t;
            last = t;
            count++;
        }
    }
    if (mid_s)
        *mid_s = 0.5 * (first + last) / rate_hz;
    if (count < 2)
        return 0.0;
    return (double)(count - 1) / ((last - first) / rate_hz);
}

double *gen_spectrum(const float *x, size_t n, int window)
{
    kiss_fft_scalar *in = malloc(n * sizeof *in);
    kiss_fft_cpx *out = malloc((n / 2 + 1) * sizeof *out);
    double *spec = malloc((n / 2 + 1) * sizeof(double));
    kiss_fftr_cfg cfg = kiss_fftr_alloc((int)n, 0, NULL, NULL);
    cr_assert(in && out && spec && cfg, "gen_spectrum: out of memory");
    double w2 = 0;
    for (size_t i = 0; i < n; i++) {
        double a = 2.0 * M_PI * (double)i / (double)n, w = 1.0;
        if (window == 1)
            w = 0.5 - 0.5 * cos(a);
        else if (window == 2)
            w = 0.35875 - 0.48829 * cos(a) + 0.14128 * cos(2 * a) - 0.01168 * cos(3 * a);
        in[i] = (kiss_fft_scalar)(w * x[i]);
        w2 += w * w;
    }
    kiss_fftr(cfg, in, out);
    for (size_t k = 0; k <= n / 2; k++) {
        double p = (double)out[k].r * out[k].r + (double)out[k].i * out[k].i;
        spec[k] = p / ((double)n * w2) * ((k == 0 || k == n / 2) ? 1.0 : 2.0);
    }
    kiss_fftr_free(cfg);
    free(in);
    free(out);
    return spec;
}

double gen_band_power(const double *spec, size_t n, double rate_hz, double lo, double hi)
{
    double s = 0, df = rate_hz / (double)n;
    size_t k0 = (size_t)ceil(lo / df), k1 = (size_t)ceil(hi / df);
    if (k1 > n / 2 + 1)
        k1 = n / 2 + 1;
    for (size_t k = k0; k < k1; k++)
        s += spec[k];
    return s;
}
