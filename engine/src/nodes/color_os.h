/* color_os.h - 8x oversampling for the waveshapers of saturate and exciter.
 *
 * Three cascaded 2x stages, each a linear-phase half-band FIR (a Kaiser-
 * windowed sinc: every other tap is zero and the centre tap is 1/2, so a 2x
 * interpolator is one pure delay phase plus one sinc phase, and a 2x
 * decimator needs half the multiplications). The passband ends at
 * MD_COLOR_OS_PASS x the base rate (20 kHz at 44.1 kHz) with under 0.0001 dB
 * of ripple; everything that would fold back below that edge, on the way up
 * (images) or on the way down (aliases), is attenuated by 100 dB or more
 * (designed for MD_COLOR_OS_STOP_DB; measured 110.7, 108.5 and 102.0 dB for
 * the three stages). Content between the edge and half the base rate may
 * fold back above the edge. The stage designs depend only on these ratios,
 * not on the sample rate: the latency is 88 frames at every rate.
 *
 * Latency: an up-and-down round trip delays by md_color_os_latency() base
 * frames exactly (whole frames: the oversampled path carries a short extra
 * delay that rounds the three stages' half-sample delays up to a whole base
 * frame), so a dry path delayed by that many frames lines up sample for sample.
 *
 * Use: md_color_os_up() turns n base frames of one channel into 8n samples,
 * the caller shapes them, md_color_os_down() turns them back into n frames.
 * n <= MD_COLOR_OS_CHUNK per call; each channel keeps its own history, so every
 * channel must be given the same frames. Phases: init/free in prepare/release,
 * reset in reset, up/down in process (no allocation).
 */
#ifndef MD_COLOR_OS_H
#define MD_COLOR_OS_H

#define MD_COLOR_OS_FACTOR 8
#define MD_COLOR_OS_CHUNK 64      /* base frames per up/down call, at most */
#define MD_COLOR_OS_PASS 0.4535   /* passband edge / base rate (20 kHz at 44.1 kHz) */
#define MD_COLOR_OS_STOP_DB 110.0 /* Kaiser design attenuation */
#define MD_COLOR_OS_MAXK 48       /* a stage has 4k - 1 taps, k <= MAXK */

typedef struct md_color_hb {
    unsigned k;                      /* 4k - 1 taps; 2k of them on the sinc phase */
    float c[MD_COLOR_OS_MAXK];       /* sinc-phase taps, first half (symmetric) */
    unsigned up_off, dn_off, od_off; /* offsets of this stage's histories in a channel */
} md_color_hb;

typedef struct md_color_os {
    md_color_hb st[3]; /* 2x stages: base->2x, 2x->4x, 4x->8x */
    unsigned extra;    /* extra delay at 8x (samples) making the latency whole */
    unsigned latency;  /* base frames */
    unsigned channels;
    unsigned per_ch; /* floats of history per channel */
    float *hist;     /* channels x per_ch */
    float *work;     /* scratch shared by the channels */
} md_color_os;

/* Designs the stages and allocates histories for `channels` channels.
 * Returns 0, or -1 when out of memory (os is then zeroed). */
int md_color_os_init(md_color_os *os, unsigned channels);
void md_color_os_free(md_color_os *os); /* safe on a zeroed or freed oversampler */
void md_color_os_reset(md_color_os *os);
/* Round-trip delay in base frames (the same for every rate). */
unsigned md_color_os_latency(const md_color_os *os);
/* Base frames until a round trip's impulse response has ended (its length). */
unsigned md_color_os_span(const md_color_os *os);

/* n base frames of channel ch -> 8n samples (up8 holds 8 * MD_COLOR_OS_CHUNK). */
void md_color_os_up(md_color_os *os, unsigned ch, const float *x, unsigned n, float *up8);
/* 8n samples of channel ch -> n base frames. up8 is used as scratch. */
void md_color_os_down(md_color_os *os, unsigned ch, float *up8, unsigned n, float *y);

#endif
