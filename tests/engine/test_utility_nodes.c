/* test_utility_nodes.c - dcblock and dither, and for every colour node
 * (width, ms_encode, ms_decode, saturate, exciter, dcblock, dither) that
 * process() never allocates, locks or does I/O: malloc, calloc, realloc,
 * free, posix_memalign, pthread_mutex_lock, read and write are interposed in
 * this executable and counted while md_node_run runs (not in a sanitizer
 * build, whose runtime owns malloc: those two tests are skipped there). */
#define _GNU_SOURCE
#include "color_test.h"
#include "mixdown/md.h"
#include "ts_signal.h"
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RATE 44100.0

/* --- interposition --------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define COLOR_INTERPOSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COLOR_INTERPOSE 0
#endif
#endif
#ifndef COLOR_INTERPOSE
#define COLOR_INTERPOSE 1
#endif

#if COLOR_INTERPOSE

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

/* volatile: the compiler knows what malloc "does" and must not move these
 * accesses across the calls */
static __thread volatile int counting;
static __thread volatile unsigned long calls;

void *malloc(size_t s)
{
    if (counting)
        calls++;
    return __libc_malloc(s);
}
void *calloc(size_t a, size_t b)
{
    if (counting)
        calls++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t s)
{
    if (counting)
        calls++;
    return __libc_realloc(p, s);
}
void free(void *p)
{
    if (counting && p)
        calls++;
    __libc_free(p);
}
int posix_memalign(void **p, size_t align, size_t size)
{
    if (counting)
        calls++;
    *p = __libc_memalign(align, size);
    return *p ? 0 : 12; /* ENOMEM */
}
int pthread_mutex_lock(pthread_mutex_t *m)
{
    static int (*real)(pthread_mutex_t *);
    if (counting)
        calls++;
    if (!real)
        real = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    return real(m);
}
ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*real)(int, void *, size_t);
    if (counting)
        calls++;
    if (!real)
        real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    return real(fd, buf, n);
}
ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (counting)
        calls++;
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    return real(fd, buf, n);
}

#else
static volatile int counting;
static volatile unsigned long calls;
#endif

Test(contract, the_interposer_counts)
{
    if (!COLOR_INTERPOSE)
        cr_skip_test("sanitizer build: malloc belongs to the sanitizer runtime");
    /* through the engine (another translation unit), and directly through
     * pointers (a direct malloc/free pair may be optimised away) */
    void *(*volatile pm)(size_t) = malloc;
    void (*volatile pf)(void *) = free;
    counting = 1;
    calls = 0;
    void *a = md_aligned_alloc(100);
    md_aligned_free(a);
    pf(pm(10));
    counting = 0;
    cr_assert_eq(calls, 4, "allocations not seen: %lu of 4", calls);
}

static void no_alloc(const char *name, const char *const *set, const char *pname, double pval)
{
    md_node *n = color_make(name, 2, RATE, set);
    color_sig in = color_sig_new(2, 4096);
    ts_noise(in.x[0], in.frames, 0.3, 1);
    ts_sine(in.x[1], in.frames, 3000, RATE, 0.8, 0);
    color_sig out = color_sig_new(2, 4096);
    const float *ip[2] = {in.x[0], in.x[1]};
    float *op[2] = {out.x[0], out.x[1]};
    static const unsigned blocks[] = {1, 7, 64, 4096, 0, 100};
    for (unsigned k = 0; k < 6; k++) {
        if (k == 4 && pname) /* a parameter change, applied inside run by update() */
            cr_assert_eq(md_node_set_number(n, pname, pval, NULL), MD_OK);
        calls = 0;
        counting = 1;
        md_node_run(n, ip, op, blocks[k]);
        counting = 0;
        cr_assert_eq(calls, 0, "%s: %lu calls to malloc/free/lock/read/write in process", name,
                     calls);
    }
    md_node_reset(n);
    calls = 0;
    counting = 1;
    md_node_run(n, ip, op, 512);
    counting = 0;
    cr_assert_eq(calls, 0, "%s: allocation after reset", name);
    md_node_destroy(n);
    color_sig_free(&in);
    color_sig_free(&out);
}

Test(contract, process_never_allocates_locks_or_does_io)
{
    if (!COLOR_INTERPOSE)
        cr_skip_test("sanitizer build: malloc belongs to the sanitizer runtime");
    const char *w[] = {"bass_mono=120", "amount=1.4", NULL};
    no_alloc("width", w, "amount", 0.5);
    no_alloc("ms_encode", NULL, NULL, 0);
    no_alloc("ms_decode", NULL, NULL, 0);
    const char *s[] = {"type=tube", "drive=20", NULL};
    no_alloc("saturate", s, "drive", 3);
    no_alloc("exciter", NULL, "amount", 1);
    no_alloc("dcblock", NULL, "freq", 20);
    const char *d[] = {"shape=shaped", NULL};
    no_alloc("dither", d, "bits", 8);
}

/* --- dcblock ---------------------------------------------------------------------- */

Test(dcblock, removes_an_offset_and_leaves_a_1k_sine)
{
    const unsigned n = 3 * 44100;
    color_sig in = color_sig_new(1, n);
    ts_sine(in.x[0], n, 1000.0, RATE, 0.5, 0.0);
    for (unsigned i = 0; i < n; i++)
        in.x[0][i] += 0.1f;
    md_node *node = color_make("dcblock", 1, RATE, NULL);
    color_sig out = color_sig_new(1, n);
    color_run(node, &in, &out, 512, NULL, 0);
    md_node_destroy(node);
    /* DC after 1 s: the mean over 2 s = 2000 whole periods of the sine */
    double mean = 0;
    for (unsigned i = 44100; i < n; i++)
        mean += out.x[0][i];
    mean /= n - 44100;
    double lin = ts_tone_db(out.x[0] + 44100, 88200, 1000.0, RATE);
    double lin_in = ts_tone_db(in.x[0] + 44100, 88200, 1000.0, RATE);
    fprintf(stderr, "[color] dcblock 5 Hz: DC 0.1 -> %.2e after 1 s, 1 kHz sine %+.5f dB\n", mean,
            lin - lin_in);
    cr_assert(fabs(mean) < 1e-5, "DC after 1 s: %g", mean);
    cr_assert(fabs(lin - lin_in) < 0.01, "1 kHz sine changed by %.4f dB", lin - lin_in);
    color_sig_free(&in);
    color_sig_free(&out);
}

Test(dcblock, response_is_the_first_order_high_pass)
{
    const double freqs[] = {2, 5, 10, 20, 50, 200};
    for (unsigned fc = 5; fc <= 40; fc += 35) {
        char set0[32];
        snprintf(set0, sizeof set0, "freq=%u", fc);
        const char *set[] = {set0, NULL};
        for (unsigned k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
            double f = freqs[k];
            unsigned skip = 2 * 44100, len = (unsigned)(44100 * 4);
            color_sig in = color_sig_new(1, skip + len);
            ts_sine(in.x[0], in.frames, f, RATE, 0.5, 0.0);
            md_node *node = color_make("dcblock", 1, RATE, set);
            color_sig out = color_sig_new(1, in.frames);
            color_run(node, &in, &out, 4096, NULL, 0);
            md_node_destroy(node);
            double got = ts_tone_db(out.x[0] + skip, len, f, RATE) -
                         ts_tone_db(in.x[0] + skip, len, f, RATE);
            /* bilinear first-order high-pass: |H| = r / sqrt(1 + r^2), r = tan(pi f / fs) /
             * tan(pi fc / fs) */
            double r = tan(M_PI * f / RATE) / tan(M_PI * fc / RATE);
            double want = 20 * log10(r / sqrt(1 + r * r));
            cr_assert(fabs(got - want) < 0.02, "freq %u, %g Hz: %.4f dB, want %.4f dB", fc, f, got,
                      want);
            color_sig_free(&in);
            color_sig_free(&out);
        }
    }
}

/* --- dither ----------------------------------------------------------------------- */

static color_sig music_like(unsigned frames)
{
    color_sig s = color_sig_new(2, frames);
    ts_sine(s.x[0], frames, 441.3, RATE, 0.3, 0.0);
    ts_noise(s.x[1], frames, 0.05, 3);
    for (unsigned i = 0; i < frames; i++)
        s.x[0][i] += s.x[1][i] * 0.2f;
    return s;
}

static color_sig dither_run(unsigned bits, const char *shape, unsigned seed, const color_sig *in)
{
    char b[32], sh[32], sd[32];
    snprintf(b, sizeof b, "bits=%u", bits);
    snprintf(sh, sizeof sh, "shape=%s", shape);
    snprintf(sd, sizeof sd, "seed=%u", seed);
    const char *set[] = {b, sh, sd, NULL};
    md_node *n = color_make("dither", in->ch, RATE, set);
    color_sig out = color_sig_new(in->ch, in->frames);
    color_run(n, in, &out, 1000, NULL, 0);
    md_node_destroy(n);
    return out;
}

Test(dither, output_is_exactly_representable_at_bits)
{
    static const unsigned bits[] = {8, 12, 16, 20, 24};
    static const char *const shapes[] = {"tpdf", "shaped"};
    color_sig in = music_like(50000);
    in.x[1][100] = 1.0f; /* full scale and beyond clamp to the integer range */
    in.x[1][101] = -1.0f;
    in.x[1][102] = 1.5f;
    for (unsigned b = 0; b < 5; b++)
        for (unsigned s = 0; s < 2; s++) {
            color_sig out = dither_run(bits[b], shapes[s], 1, &in);
            double scale = ldexp(1.0, (int)bits[b] - 1);
            for (unsigned c = 0; c < 2; c++)
                for (unsigned i = 0; i < in.frames; i++) {
                    double v = out.x[c][i] * scale;
                    cr_assert(v == floor(v), "%u bits %s: %.10g is not whole", bits[b], shapes[s],
                              v);
                    cr_assert(v >= -scale && v <= scale - 1, "%u bits: %g out of range", bits[b],
                              v);
                }
            color_sig_free(&out);
        }
    color_sig_free(&in);
}

static double error_rms_db(const color_sig *in, const color_sig *out, unsigned c)
{
    double e = 0;
    for (unsigned i = 0; i < in->frames; i++) {
        double d = (double)out->x[c][i] - in->x[c][i];
        e += d * d;
    }
    return 10 * log10(e / in->frames);
}

Test(dither, tpdf_error_is_half_an_lsb_rms)
{
    color_sig in = music_like(1 << 18);
    static const unsigned bits[] = {8, 16, 24};
    for (unsigned b = 0; b < 3; b++) {
        color_sig out = dither_run(bits[b], "tpdf", 7, &in);
        /* rounding LSB^2/12 + TPDF dither 2 LSB^2/12 = (LSB/2)^2, LSB = 2^(1-bits) */
        double want = 20 * log10(ldexp(1.0, -(int)bits[b]));
        for (unsigned c = 0; c < 2; c++) {
            double got = error_rms_db(&in, &out, c);
            if (bits[b] == 16 && c == 0)
                fprintf(stderr, "[color] dither tpdf 16 bits: error RMS %.3f dBFS (theory %.3f)\n",
                        got, want);
            cr_assert(fabs(got - want) < 0.5, "%u bits, channel %u: %.3f dBFS, want %.3f", bits[b],
                      c, got, want);
        }
        color_sig_free(&out);
    }
    color_sig_free(&in);
}

Test(dither, shaped_noise_lies_mostly_above_10k)
{
    const unsigned n = 1 << 16;
    color_sig in = music_like(4 * n);
    color_sig out = dither_run(16, "shaped", 3, &in);
    double hi = 0, all = 0;
    float *e = malloc(sizeof(float) * n);
    for (unsigned seg = 0; seg < 4; seg++) {
        for (unsigned i = 0; i < n; i++)
            e[i] = (float)((double)out.x[0][seg * n + i] - in.x[0][seg * n + i]) * 32768.0f;
        double *p = color_spectrum(e, n);
        for (unsigned k = 1; k <= n / 2; k++) {
            all += p[k];
            if (k * RATE / n > 10000.0)
                hi += p[k];
        }
        free(p);
    }
    free(e);
    double got = error_rms_db(&in, &out, 0);
    /* NTF 1 - 2 cos(w0) z^-1 + z^-2 at 3 kHz: power gain 1 + 4 cos^2 w0 + 1 */
    double c = cos(2 * M_PI * 3000 / RATE);
    double want = 20 * log10(ldexp(1.0, -16)) + 10 * log10(2 + 4 * c * c);
    fprintf(stderr,
            "[color] dither shaped 16 bits: %.1f %% of the noise power above 10 kHz, error RMS "
            "%.2f dBFS (theory %.2f)\n",
            100 * hi / all, got, want);
    cr_assert(hi / all > 0.70, "only %.1f %% above 10 kHz", 100 * hi / all);
    cr_assert(fabs(got - want) < 0.5, "shaped error RMS %.2f dBFS, want %.2f", got, want);
    color_sig_free(&in);
    color_sig_free(&out);
}

Test(dither, the_same_seed_gives_the_same_output)
{
    color_sig in = music_like(20000);
    color_sig a = dither_run(16, "shaped", 42, &in);
    color_sig b = dither_run(16, "shaped", 42, &in);
    color_sig c = dither_run(16, "shaped", 43, &in);
    unsigned differ = 0;
    for (unsigned ch = 0; ch < 2; ch++) {
        cr_assert(memcmp(a.x[ch], b.x[ch], sizeof(float) * in.frames) == 0, "seed 42 twice");
        for (unsigned i = 0; i < in.frames; i++)
            differ += a.x[ch][i] != c.x[ch][i];
    }
    cr_assert(differ > in.frames / 4, "seeds 42 and 43 agree on too much: %u differ", differ);
    /* the two channels get different sequences */
    color_sig same = color_sig_new(2, 20000);
    for (unsigned i = 0; i < 20000; i++)
        same.x[0][i] = same.x[1][i] = in.x[0][i];
    color_sig d = dither_run(16, "tpdf", 42, &same);
    differ = 0;
    for (unsigned i = 0; i < 20000; i++)
        differ += d.x[0][i] != d.x[1][i];
    cr_assert(differ > 5000, "channels share a dither sequence: %u differ", differ);
    color_sig_free(&in);
    color_sig_free(&a);
    color_sig_free(&b);
    color_sig_free(&c);
    color_sig_free(&same);
    color_sig_free(&d);
}

Test(dither, a_tone_below_the_lsb_survives_in_the_average)
{
    /* -100 dBFS: a third of a 16-bit LSB; undithered rounding would erase it */
    const unsigned n = 1 << 18;
    double f = round(1000.0 / (RATE / n)) * (RATE / n);
    color_sig in = color_sig_new(1, n);
    ts_sine(in.x[0], n, f, RATE, pow(10, -100 / 20.0), 0.0);
    color_sig out = dither_run(16, "tpdf", 5, &in);
    double got = color_line_db(out.x[0], n, f, RATE);
    cr_assert(fabs(got + 100.0) < 1.0, "tone at %.2f dB, want -100", got);
    color_sig_free(&in);
    color_sig_free(&out);
}

Test(dither, digital_silence_stays_silent)
{
    color_sig in = color_sig_new(1, 10000);
    ts_noise(in.x[0], 5000, 0.1, 2);
    color_sig out = dither_run(16, "shaped", 1, &in);
    unsigned nonzero_late = 0, nonzero_early = 0;
    for (unsigned i = 5000; i < 10000; i++) {
        if (i >= 5064 && out.x[0][i] != 0.0f)
            nonzero_late++;
        if (i < 5064 && out.x[0][i] != 0.0f)
            nonzero_early++;
    }
    cr_assert_eq(nonzero_late, 0, "silence after 64 zeros is not silent");
    cr_assert(nonzero_early > 0, "the first zeros are dithered as usual");
    color_sig_free(&in);
    color_sig_free(&out);
}

/* --- contract ------------------------------------------------------------------------ */

static md_node *make_dc(void)
{
    const char *set[] = {"freq=10", NULL};
    return color_make("dcblock", 2, RATE, set);
}
static md_node *make_dither(void)
{
    const char *set[] = {"shape=shaped", "seed=9", NULL};
    return color_make("dither", 2, RATE, set);
}
static md_node *make_dither8(void)
{
    const char *set[] = {"bits=8", NULL};
    return color_make("dither", 2, RATE, set);
}

Test(contract, dcblock_and_dither)
{
    color_sig in = music_like(3 * 28672);
    for (unsigned i = 0; i < in.frames; i++)
        in.x[1][i] += 0.2f; /* an offset to remove */
    color_contract("dcblock", make_dc, NULL, &in);
    color_contract("dither shaped", make_dither, NULL, &in);
    color_contract("dither 8 bits", make_dither8, NULL, &in);
    color_sig_free(&in);
}

Test(contract, parameters_are_validated)
{
    color_check_params("dcblock", 2, 96000.0);
    color_check_params("dither", 2, 96000.0);
}
