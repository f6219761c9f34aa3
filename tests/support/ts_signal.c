/* signal.c - test signals and measurements. */
#include <math.h>
#include "ts_signal.h"

double ts_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

void ts_sine(float *x, unsigned frames, double f, double rate, double peak, double phase)
{
    for (unsigned i = 0; i < frames; i++)
        x[i] = (float)(peak * sin(2 * M_PI * f * i / rate + phase));
}

void ts_noise(float *x, unsigned frames, double rms, uint64_t seed)
{
    uint64_t s = seed ? seed : 1;
    /* uniform noise has RMS = amplitude / sqrt(3) */
    double a = rms * sqrt(3.0);
    for (unsigned i = 0; i < frames; i++)
        x[i] = (float)(a * (2 * ts_rand(&s) - 1));
}

double ts_rms_db(const float *x, unsigned frames)
{
    double e = 0;
    for (unsigned i = 0; i < frames; i++)
        e += (double)x[i] * x[i];
    return 10 * log10(e / frames + 1e-300);
}

double ts_peak_db(const float *x, unsigned frames)
{
    double p = 0;
    for (unsigned i = 0; i < frames; i++)
        if (fabs(x[i]) > p)
            p = fabs(x[i]);
    return 20 * log10(p + 1e-300);
}

double ts_tone_db(const float *x, unsigned frames, double f, double rate)
{
    double re = 0, im = 0, wsum = 0;
    for (unsigned i = 0; i < frames; i++) {
        double w = 0.5 - 0.5 * cos(2 * M_PI * i / (frames - 1));
        re += w * x[i] * cos(2 * M_PI * f * i / rate);
        im -= w * x[i] * sin(2 * M_PI * f * i / rate);
        wsum += w;
    }
    return 20 * log10(2 * sqrt(re * re + im * im) / wsum + 1e-300);
}
