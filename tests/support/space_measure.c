/* space_measure.c - measurements for the reverb, multiband and deesser tests. */
#include <criterion/criterion.h>
#include <kissfft/kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "space_measure.h"

md_node *sm_node(const char *type, const char *const *kv)
{
    md_error e;
    const md_node_vtable *vt = md_node_lookup(type);
    cr_assert(vt, "node type %s is not registered", type);
    md_node *n = md_node_create(vt, &e);
    cr_assert(n, "%s", e.msg);
    for (unsigned i = 0; kv && kv[i]; i += 2)
        cr_assert_eq(md_node_set_string(n, kv[i], kv[i + 1], &e), MD_OK, "%s=%s: %s", kv[i],
                     kv[i + 1], e.msg);
    return n;
}

void sm_prepare(md_node *n, unsigned channels, double rate_hz, unsigned max_frames)
{
    md_error e;
    md_stream st = {rate_hz, channels, max_frames};
    cr_assert_eq(md_node_prepare(n, &st, &e), MD_OK, "%s", e.msg);
}

void sm_run(md_node *n, float *const *in, float *const *out, unsigned frames, unsigned block)
{
    unsigned ich = md_node_in(n)->channels, och = md_node_out(n)->channels;
    const float *ip[MD_MAX_CHANNELS];
    float *op[MD_MAX_CHANNELS];
    for (unsigned pos = 0; pos < frames; pos += block) {
        unsigned f = frames - pos < block ? frames - pos : block;
        for (unsigned c = 0; c < ich; c++)
            ip[c] = in[c] + pos;
        for (unsigned c = 0; c < och; c++)
            op[c] = out[c] + pos;
        md_node_run(n, ip, op, f);
    }
}

float **sm_alloc(unsigned channels, unsigned frames)
{
    float **b = calloc(channels, sizeof *b);
    cr_assert(b);
    for (unsigned c = 0; c < channels; c++) {
        b[c] = calloc(frames ? frames : 1, sizeof(float));
        cr_assert(b[c]);
    }
    return b;
}

void sm_free(float **b, unsigned channels)
{
    if (!b)
        return;
    for (unsigned c = 0; c < channels; c++)
        free(b[c]);
    free(b);
}

void sm_edc(const float *const *x, unsigned channels, unsigned n, double *edc_db)
{
    /* Schroeder, "New method of measuring reverberation time", JASA 37, 1965:
     * EDC(t) = integral from t to the end of h^2 */
    double acc = 0.0;
    for (unsigned i = n; i-- > 0;) {
        for (unsigned c = 0; c < channels; c++)
            acc += (double)x[c][i] * x[c][i];
        edc_db[i] = acc;
    }
    double total = edc_db[0] > 0 ? edc_db[0] : 1e-300;
    for (unsigned i = 0; i < n; i++)
        edc_db[i] = 10.0 * log10(edc_db[i] / total + 1e-300);
}

double sm_rt60(const double *edc_db, unsigned n, double rate_hz, double hi_db, double lo_db)
{
    unsigned a = 0, b;
    while (a < n && edc_db[a] > hi_db)
        a++;
    b = a;
    while (b < n && edc_db[b] > lo_db)
        b++;
    if (b >= n || b <= a + 2)
        return NAN;
    double st = 0, sy = 0, stt = 0, sty = 0, m = b - a;
    for (unsigned i = a; i < b; i++) {
        double t = i / rate_hz;
        st += t;
        sy += edc_db[i];
        stt += t * t;
        sty += t * edc_db[i];
    }
    double slope = (m * sty - st * sy) / (m * stt - st * st); /* dB per second */
    return -60.0 / slope;
}

double sm_correlation(const float *a, const float *b, unsigned n)
{
    double ab = 0, aa = 0, bb = 0;
    for (unsigned i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb + 1e-300);
}

unsigned sm_welch(const float *x, unsigned n, unsigned seg, double *psd)
{
    kiss_fftr_cfg cfg = kiss_fftr_alloc((int)seg, 0, NULL, NULL);
    float *t = malloc(sizeof(float) * seg);
    kiss_fft_cpx *f = malloc(sizeof(kiss_fft_cpx) * (seg / 2 + 1));
    cr_assert(cfg && t && f);
    unsigned bins = seg / 2 + 1, count = 0;
    for (unsigned k = 0; k < bins; k++)
        psd[k] = 0.0;
    for (unsigned start = 0; start + seg <= n; start += seg / 2) {
        for (unsigned i = 0; i < seg; i++)
            t[i] = (float)(x[start + i] * (0.5 - 0.5 * cos(2.0 * M_PI * i / seg)));
        kiss_fftr(cfg, t, f);
        double total = 0.0;
        for (unsigned k = 0; k < bins; k++)
            total += (double)f[k].r * f[k].r + (double)f[k].i * f[k].i;
        if (!(total > 0.0))
            continue;
        for (unsigned k = 0; k < bins; k++)
            psd[k] += ((double)f[k].r * f[k].r + (double)f[k].i * f[k].i) / total;
        count++;
    }
    for (unsigned k = 0; k < bins && count; k++)
        psd[k] /= count;
    free(t);
    free(f);
    kiss_fftr_free(cfg);
    return count;
}

double sm_peak_over_smooth(const double *psd, unsigned seg, double rate_hz, double f_lo,
                           double f_hi, double *at_hz)
{
    double df = rate_hz / seg, worst = -1e300;
    unsigned bins = seg / 2 + 1;
    for (unsigned k = 1; k < bins; k++) {
        double f = k * df;
        if (f < f_lo || f > f_hi)
            continue;
        double lo = f * pow(2.0, -1.0 / 6.0), hi = f * pow(2.0, 1.0 / 6.0);
        unsigned a = (unsigned)ceil(lo / df), b = (unsigned)floor(hi / df);
        if (a < 1)
            a = 1;
        if (b >= bins)
            b = bins - 1;
        double s = 0.0;
        for (unsigned j = a; j <= b; j++)
            s += psd[j];
        s /= (b - a + 1);
        double ex = 10.0 * log10(psd[k] / s);
        if (ex > worst) {
            worst = ex;
            if (at_hz)
                *at_hz = f;
        }
    }
    return worst;
}

void sm_spectrum_db(const float *x, unsigned n, unsigned nfft, double *mag_db)
{
    kiss_fftr_cfg cfg = kiss_fftr_alloc((int)nfft, 0, NULL, NULL);
    float *t = calloc(nfft, sizeof(float));
    kiss_fft_cpx *f = malloc(sizeof(kiss_fft_cpx) * (nfft / 2 + 1));
    cr_assert(cfg && t && f);
    memcpy(t, x, sizeof(float) * (n < nfft ? n : nfft));
    kiss_fftr(cfg, t, f);
    for (unsigned k = 0; k <= nfft / 2; k++)
        mag_db[k] = 10.0 * log10((double)f[k].r * f[k].r + (double)f[k].i * f[k].i + 1e-300);
    free(t);
    free(f);
    kiss_fftr_free(cfg);
}

void sm_rbj_filter(float *x, unsigned n, char type, double rate_hz, double freq_hz, double q)
{
    /* Audio-EQ-Cookbook, direct form I in double */
    double w = 2.0 * M_PI * freq_hz / rate_hz, cw = cos(w), al = sin(w) / (2.0 * q);
    double b0, b1, b2;
    if (type == 'l') {
        b0 = (1.0 - cw) / 2.0, b1 = 1.0 - cw, b2 = b0;
    } else if (type == 'h') {
        b0 = (1.0 + cw) / 2.0, b1 = -(1.0 + cw), b2 = b0;
    } else {
        b0 = al, b1 = 0.0, b2 = -al;
    }
    double a0 = 1.0 + al, a1 = -2.0 * cw, a2 = 1.0 - al;
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (unsigned i = 0; i < n; i++) {
        double y = (b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
        x2 = x1;
        x1 = x[i];
        y2 = y1;
        y1 = y;
        x[i] = (float)y;
    }
}
