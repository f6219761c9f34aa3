/* color_os.c - 8x oversampling by three half-band stages (see color_os.h).
 *
 * Design of a stage: the ideal half-band low-pass h[o] = sinc(o / 2) / 2,
 * Kaiser-windowed (J. F. Kaiser, "Nonrecursive digital filter design using
 * the I0-sinh window function", 1974): beta = 0.1102 (A - 8.7) and
 * N - 1 = (A - 7.95) / (2.285 dw) taps for A dB of stopband and a transition
 * of dw rad/sample. A half-band response is symmetric about a quarter of the
 * rate, so with the passband edge p the stopband starts at 1/2 - p (in
 * cycles per sample of the stage's fast side). Odd offsets o carry the sinc,
 * even ones are zero but the centre (1/2); a stage of 4k - 1 taps has 2k sinc
 * taps. They are scaled to sum to 1 so both phases pass DC exactly.
 *
 * Timing: stage s delays by M_s = 2 k_s - 1 samples of its fast side going up,
 * and the same coming down, so a round trip through the three stages delays
 * by 8 M_1 + 4 M_2 + 2 M_3 samples at 8x. That is always 2 or 6 short of a
 * multiple of 8; the 8x signal is delayed by those samples more, so the
 * latency is a whole number of base frames.
 */
#include "color_os.h"
#include "mixdown/md_buffer.h"
#include <math.h>
#include <string.h>

#define WORK_STRIDE (2 * MD_COLOR_OS_MAXK + MD_COLOR_OS_FACTOR * MD_COLOR_OS_CHUNK + 16)

static double bessel_i0(double x)
{
    /* power series: sum of ((x/2)^k / k!)^2, converges quickly for x < 20 */
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < 1e-17 * sum)
            break;
    }
    return sum;
}

static void design_stage(md_color_hb *h, double pass)
{
    const double a = MD_COLOR_OS_STOP_DB;
    double dw = 2.0 * M_PI * (0.5 - 2.0 * pass);
    double ntaps = (a - 7.95) / (2.285 * dw) + 1.0;
    unsigned k = (unsigned)ceil((ntaps + 1.0) / 4.0);
    if (k > MD_COLOR_OS_MAXK)
        k = MD_COLOR_OS_MAXK;
    if (k < 2)
        k = 2;
    double beta = 0.1102 * (a - 8.7), m = 2.0 * k - 1.0, i0b = bessel_i0(beta);
    double full[2 * MD_COLOR_OS_MAXK], sum = 0.0;
    for (unsigned i = 0; i < 2 * k; i++) {
        double o = 2.0 * k - 1.0 - 2.0 * i; /* odd offset of tap i from the centre */
        double r = o / m;
        double w = bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
        full[i] = sin(M_PI * o / 2.0) / (M_PI * o / 2.0) * w;
        sum += full[i];
    }
    h->k = k;
    for (unsigned i = 0; i < k; i++)
        h->c[i] = (float)(full[i] / sum);
}

int md_color_os_init(md_color_os *os, unsigned channels)
{
    memset(os, 0, sizeof *os);
    double pass = MD_COLOR_OS_PASS;
    unsigned total8 = 0, off = 0;
    for (unsigned s = 0; s < 3; s++) {
        pass /= 2.0; /* the edge as a fraction of this stage's fast rate */
        design_stage(&os->st[s], pass);
        unsigned k = os->st[s].k;
        os->st[s].up_off = off;
        off += 2 * k - 1;
        os->st[s].dn_off = off;
        off += 2 * k - 1;
        os->st[s].od_off = off;
        off += k;
        total8 += (2 * k - 1) * (8u >> s);
    }
    os->extra = (8 - total8 % 8) % 8;
    os->latency = (total8 + os->extra) / 8;
    off += os->extra;
    os->per_ch = off;
    os->channels = channels;
    os->hist = md_aligned_alloc(sizeof(float) * (size_t)off * channels);
    os->work = md_aligned_alloc(sizeof(float) * 4 * WORK_STRIDE);
    if (!os->hist || !os->work) {
        md_color_os_free(os);
        return -1;
    }
    return 0;
}

void md_color_os_free(md_color_os *os)
{
    md_aligned_free(os->hist);
    md_aligned_free(os->work);
    memset(os, 0, sizeof *os);
}

void md_color_os_reset(md_color_os *os)
{
    if (os->hist)
        memset(os->hist, 0, sizeof(float) * (size_t)os->per_ch * os->channels);
}

unsigned md_color_os_latency(const md_color_os *os)
{
    return os->latency;
}

unsigned md_color_os_span(const md_color_os *os)
{
    return 2 * os->latency + 1;
}

/* 2x interpolation: n samples -> 2n. hist holds the last 2k - 1 inputs.
 * The loops run tap by tap over all outputs, so they vectorise; each output
 * still sums its taps in one fixed order, whatever n is. */
static void hb_up(const md_color_hb *h, float *hist, const float *x, unsigned n, float *buf,
                  float *restrict z, float *restrict y)
{
    const unsigned k = h->k, hl = 2 * k - 1;
    memcpy(buf, hist, sizeof(float) * hl);
    memcpy(buf + hl, x, sizeof(float) * n);
    /* z[m]: halfway between x[m - k] and x[m - k + 1]; buf[m + j] = x[m - 2k + 1 + j] */
    for (unsigned m = 0; m < n; m++)
        z[m] = 0.0f;
    for (unsigned i = 0; i < k; i++) {
        const float ci = h->c[i];
        const float *restrict a = buf + 2 * k - 1 - i, *restrict b = buf + i;
        for (unsigned m = 0; m < n; m++)
            z[m] += ci * (a[m] + b[m]);
    }
    for (unsigned m = 0; m < n; m++) {
        y[2 * m] = z[m];
        y[2 * m + 1] = buf[m + k]; /* x[m - k + 1]: the centre tap */
    }
    memcpy(hist, buf + n, sizeof(float) * hl);
}

/* 2x decimation: 2n samples -> n. ev holds the last 2k - 1 even inputs, od
 * the last k odd ones. */
static void hb_down(const md_color_hb *h, float *ev, float *od, const float *u, unsigned n,
                    float *ebuf, float *obuf, float *restrict y)
{
    const unsigned k = h->k, hl = 2 * k - 1;
    memcpy(ebuf, ev, sizeof(float) * hl);
    memcpy(obuf, od, sizeof(float) * k);
    for (unsigned m = 0; m < n; m++) {
        ebuf[hl + m] = u[2 * m];
        obuf[k + m] = u[2 * m + 1];
    }
    for (unsigned m = 0; m < n; m++)
        y[m] = 0.0f;
    for (unsigned j = 0; j < k; j++) {
        const float cj = h->c[j];
        const float *restrict a = ebuf + j, *restrict b = ebuf + 2 * k - 1 - j;
        for (unsigned m = 0; m < n; m++)
            y[m] += cj * (a[m] + b[m]);
    }
    for (unsigned m = 0; m < n; m++)
        y[m] = 0.5f * (y[m] + obuf[m]);
    memcpy(ev, ebuf + n, sizeof(float) * hl);
    memcpy(od, obuf + n, sizeof(float) * k);
}

void md_color_os_up(md_color_os *os, unsigned ch, const float *x, unsigned n, float *up8)
{
    float *hist = os->hist + (size_t)ch * os->per_ch;
    float *buf = os->work, *t2 = os->work + WORK_STRIDE, *t4 = os->work + 2 * WORK_STRIDE;
    float *z = os->work + 3 * WORK_STRIDE;
    hb_up(&os->st[0], hist + os->st[0].up_off, x, n, buf, z, t2);
    hb_up(&os->st[1], hist + os->st[1].up_off, t2, 2 * n, buf, z, t4);
    hb_up(&os->st[2], hist + os->st[2].up_off, t4, 4 * n, buf, z, up8);
}

void md_color_os_down(md_color_os *os, unsigned ch, float *up8, unsigned n, float *y)
{
    float *hist = os->hist + (size_t)ch * os->per_ch;
    float *eb = os->work, *ob = os->work + WORK_STRIDE, *t = os->work + 2 * WORK_STRIDE;
    unsigned e = os->extra, n8 = 8 * n;
    if (e) {
        /* the whole-frame latency delay, at 8x */
        float *dl = hist + os->per_ch - e;
        memcpy(t, dl, sizeof(float) * e);
        memcpy(t + e, up8, sizeof(float) * n8);
        memcpy(up8, t, sizeof(float) * n8);
        memcpy(dl, t + n8, sizeof(float) * e);
    }
    /* 8x -> 4x into t, 4x -> 2x into up8, 2x -> base into y */
    hb_down(&os->st[2], hist + os->st[2].dn_off, hist + os->st[2].od_off, up8, 4 * n, eb, ob, t);
    hb_down(&os->st[1], hist + os->st[1].dn_off, hist + os->st[1].od_off, t, 2 * n, eb, ob, up8);
    hb_down(&os->st[0], hist + os->st[0].dn_off, hist + os->st[0].od_off, up8, n, eb, ob, y);
}
