/* spectrum.c - long-term average spectrum (Welch's method) and 1/3-octave
 * band levels from it.
 *
 *   x[c] --> frame of nfft (hop nfft/2) --> Hann --> kiss_fftr --> |X|^2 summed
 *
 * P. D. Welch, "The use of fast Fourier transform for the estimation of power
 * spectra", IEEE Trans. Audio Electroacoust. 15 (1967): the average of the
 * periodograms of overlapping windowed frames. Each channel is transformed on
 * its own and the powers are averaged, so content that is out of phase
 * between channels counts, where a mono downmix would cancel it.
 *
 * Scaling (one-sided): P_k = c_k |X_k|^2 / (N * sum w^2), c_k = 2 except at
 * DC and Nyquist, so that sum_k P_k is the mean square of the signal. With a
 * Hann window a sine of peak A centred on a bin gives A^2/3 in that bin
 * (equivalent noise bandwidth 1.5 bins); its neighbours hold the rest.
 */
#include "mixdown/md_buffer.h"
#include "plots.h"
#include <kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mdi_spectrum {
    double rate_hz;
    unsigned channels, nfft, fill;
    float *win;        /* Hann, nfft */
    float *buf;        /* channels x nfft: the current frame of each channel */
    float *tmp;        /* nfft: windowed frame */
    kiss_fft_cpx *out; /* nfft/2 + 1 */
    kiss_fftr_cfg cfg;
    double *acc;       /* nfft/2 + 1: sum over frames and channels of |X_k|^2 */
    uint64_t frames;   /* FFT frames summed (per channel) */
    double win_energy; /* sum w^2 */
};

void mdi_spectrum_destroy(mdi_spectrum *s)
{
    if (!s)
        return;
    kiss_fftr_free(s->cfg);
    free(s->win);
    free(s->buf);
    free(s->tmp);
    free(s->out);
    free(s->acc);
    free(s);
}

mdi_spectrum *mdi_spectrum_create(double rate_hz, unsigned channels, md_error *err)
{
    if (!(rate_hz >= MD_MIN_RATE && rate_hz <= MD_MAX_RATE) || channels < 1 ||
        channels > MD_MAX_CHANNELS) {
        md_error_set(err, MD_ERR_INVALID, "spectrum: %u channels at %g Hz are not supported",
                     channels, rate_hz);
        return NULL;
    }
    mdi_spectrum *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->rate_hz = rate_hz;
    s->channels = channels;
    /* bins of at most 3 Hz: 16384 at 44.1/48 kHz, 65536 at 192 kHz */
    s->nfft = 4096;
    while (rate_hz / s->nfft > 3.0 && s->nfft < (1u << 20))
        s->nfft *= 2;
    unsigned n = s->nfft, bins = n / 2 + 1;
    s->win = malloc(sizeof(float) * n);
    s->buf = malloc(sizeof(float) * n * channels);
    s->tmp = malloc(sizeof(float) * n);
    s->out = malloc(sizeof(kiss_fft_cpx) * bins);
    s->acc = calloc(bins, sizeof(double));
    s->cfg = kiss_fftr_alloc((int)n, 0, NULL, NULL);
    if (!s->win || !s->buf || !s->tmp || !s->out || !s->acc || !s->cfg)
        goto nomem;
    /* periodic Hann: its 50 %-overlapped copies sum to a constant */
    s->win_energy = 0.0;
    for (unsigned i = 0; i < n; i++) {
        double w = 0.5 - 0.5 * cos(2.0 * M_PI * i / n);
        s->win[i] = (float)w;
        s->win_energy += w * w;
    }
    return s;
nomem:
    mdi_spectrum_destroy(s);
    md_error_set(err, MD_ERR_NOMEM, "spectrum: out of memory");
    return NULL;
}

unsigned mdi_spectrum_bins(const mdi_spectrum *s)
{
    return s->nfft / 2 + 1;
}

double mdi_spectrum_bin_hz(const mdi_spectrum *s)
{
    return s->rate_hz / s->nfft;
}

/* |X_k|^2 of w[i] * x[i], i < n (the rest of the frame zero), added to acc */
static void transform(mdi_spectrum *s, const float *x, const float *w, unsigned n, double *acc)
{
    for (unsigned i = 0; i < n; i++)
        s->tmp[i] = x[i] * w[i];
    for (unsigned i = n; i < s->nfft; i++)
        s->tmp[i] = 0.0f;
    kiss_fftr(s->cfg, s->tmp, s->out);
    unsigned bins = s->nfft / 2 + 1;
    for (unsigned k = 0; k < bins; k++) {
        double re = s->out[k].r, im = s->out[k].i;
        acc[k] += re * re + im * im;
    }
}

void mdi_spectrum_add(mdi_spectrum *s, const float *const *x, unsigned frames)
{
    const unsigned n = s->nfft, hop = n / 2;
    unsigned done = 0;
    while (done < frames) {
        unsigned k = n - s->fill;
        if (k > frames - done)
            k = frames - done;
        for (unsigned c = 0; c < s->channels; c++) {
            float *dst = s->buf + (size_t)c * n + s->fill;
            const float *src = x[c] + done;
            for (unsigned i = 0; i < k; i++)
                dst[i] = isfinite(src[i]) ? src[i] : 0.0f;
        }
        s->fill += k;
        done += k;
        if (s->fill == n) {
            for (unsigned c = 0; c < s->channels; c++) {
                float *b = s->buf + (size_t)c * n;
                transform(s, b, s->win, n, s->acc);
                memmove(b, b + hop, sizeof(float) * hop);
            }
            s->frames++;
            s->fill = hop;
        }
    }
}

uint64_t mdi_spectrum_power(mdi_spectrum *s, double *power)
{
    const unsigned n = s->nfft, bins = n / 2 + 1;
    double norm;
    uint64_t frames = s->frames;
    if (frames > 0) {
        norm = 1.0 / ((double)frames * s->channels * n * s->win_energy);
        for (unsigned k = 0; k < bins; k++)
            power[k] = s->acc[k] * norm;
    } else if (s->fill > 0) {
        /* shorter than one frame: one Hann window over what there is,
         * zero-padded to nfft (interpolated bins, the same scaling) */
        unsigned m = s->fill;
        double e = 0.0;
        memset(power, 0, sizeof(double) * bins);
        for (unsigned c = 0; c < s->channels; c++) {
            float *b = s->buf + (size_t)c * n;
            for (unsigned i = 0; i < m; i++) {
                double wi = m > 1 ? 0.5 - 0.5 * cos(2.0 * M_PI * i / m) : 1.0;
                s->tmp[i] = (float)(b[i] * wi);
                if (c == 0)
                    e += wi * wi;
            }
            for (unsigned i = m; i < n; i++)
                s->tmp[i] = 0.0f;
            kiss_fftr(s->cfg, s->tmp, s->out);
            for (unsigned k = 0; k < bins; k++) {
                double re = s->out[k].r, im = s->out[k].i;
                power[k] += re * re + im * im;
            }
        }
        norm = e > 0.0 ? 1.0 / ((double)s->channels * n * e) : 0.0;
        for (unsigned k = 0; k < bins; k++)
            power[k] *= norm;
        frames = 1;
    } else {
        memset(power, 0, sizeof(double) * bins);
        return 0;
    }
    for (unsigned k = 1; k + 1 < bins; k++)
        power[k] *= 2.0; /* one-sided: the negative frequencies' share */
    return frames;
}

/* IEC 61260-1:2014, base-10 system: G = 10^(3/10), fractional-octave
 * bandwidth designator b = 3, mid-band f_m = 1000 G^(x/3), edges f_m G^(+-1/6) */
void mdi_bands_from_power(const double *power, unsigned bins, double bin_hz,
                          double centre_hz[MDI_BANDS], double band_power[MDI_BANDS])
{
    double nyquist = (bins - 1) * bin_hz;
    for (unsigned b = 0; b < MDI_BANDS; b++) {
        int x = (int)b - 17;
        double fm = 1000.0 * pow(10.0, x / 10.0);
        double f1 = fm * pow(10.0, -1.0 / 20.0), f2 = fm * pow(10.0, 1.0 / 20.0);
        centre_hz[b] = fm;
        if (fm > nyquist) {
            band_power[b] = NAN;
            continue;
        }
        /* bin k spans [(k - 0.5) df, (k + 0.5) df] */
        double sum = 0.0;
        long k0 = (long)floor(f1 / bin_hz + 0.5), k1 = (long)floor(f2 / bin_hz + 0.5);
        if (k0 < 0)
            k0 = 0;
        if (k1 > (long)bins - 1)
            k1 = (long)bins - 1;
        for (long k = k0; k <= k1; k++) {
            double lo = (k - 0.5) * bin_hz, hi = (k + 0.5) * bin_hz;
            if (lo < f1)
                lo = f1;
            if (hi > f2)
                hi = f2;
            if (hi > lo)
                sum += power[k] * (hi - lo) / bin_hz;
        }
        band_power[b] = sum;
    }
}

double mdi_band_nominal_hz(unsigned i)
{
    static const double nominal[MDI_BANDS] = {20,   25,   31.5, 40,    50,    63,    80,   100,
                                              125,  160,  200,  250,   315,   400,   500,  630,
                                              800,  1000, 1250, 1600,  2000,  2500,  3150, 4000,
                                              5000, 6300, 8000, 10000, 12500, 16000, 20000};
    return i < MDI_BANDS ? nominal[i] : NAN;
}
