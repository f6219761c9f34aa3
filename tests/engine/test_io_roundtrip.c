/* test_io_roundtrip.c - the sink and the file source against libsndfile:
 * bit-exact integer and float round trips, lossy codecs within a tolerance,
 * clamping instead of wrapping, NaN/Inf, temporary files and their cleanup,
 * error messages that name the file. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io_util.h"

static char *dir;

static void setup(void) { dir = io_tmpdir(); }
static void teardown(void)
{
    io_rmtree(dir);
    free(dir);
}

TestSuite(io, .init = setup, .fini = teardown);

/* A test signal: seeded uniform noise over [-1, 1) with edge values at the
 * start (full scale, beyond full scale, half an LSB, tiny values). */
static float **test_signal(unsigned ch, size_t n)
{
    float **x = io_planar(ch, n);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    static const float edges[] = {0.0f, 1.0f, -1.0f, 0.999f, -0.999f, 1e-9f, -1e-9f,
                                  0.25f, -0.5f, 3.0e-5f, -7.7e-6f, 0.123456789f};
    for (unsigned c = 0; c < ch; c++)
        for (size_t i = 0; i < n; i++) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            double u = (double)((s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
            x[c][i] = i < sizeof edges / sizeof edges[0] ? edges[i] * (c ? -1.0f : 1.0f)
                                                         : (float)(2.0 * u - 1.0);
        }
    return x;
}

/* The word the spec asks for, left-justified in 32 bits: round to nearest,
 * clamp to the bits-bit range. */
static int32_t expect_word(float x, unsigned bits)
{
    double y = nearbyint((double)x * ldexp(1.0, (int)bits - 1));
    double hi = ldexp(1.0, (int)bits - 1) - 1.0, lo = -ldexp(1.0, (int)bits - 1);
    y = y > hi ? hi : (y < lo ? lo : y);
    return (int32_t)((uint32_t)(int32_t)y << (32 - bits));
}

static void check_int_roundtrip(const char *name, unsigned bits)
{
    const unsigned ch = 2;
    const size_t n = 5000;
    float **x = test_signal(ch, n);
    char *path = io_join(dir, name);
    char opts[64];
    snprintf(opts, sizeof opts, "bits=%u dither=none", bits);
    md_error e;
    cr_assert_eq(io_write(path, x, ch, n, 44100, opts, 777, NULL, &e), MD_OK, "%s: %s", name,
                 e.msg);
    SF_INFO info;
    int32_t *d = io_read_int(path, &info);
    cr_assert_eq(info.channels, (int)ch);
    cr_assert_eq(info.samplerate, 44100);
    cr_assert_eq((size_t)info.frames, n, "%s: %lld frames", name, (long long)info.frames);
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < ch; c++) {
            int32_t want = expect_word(x[c][i], bits);
            cr_assert_eq(d[i * ch + c], want, "%s: frame %zu ch %u: %d, want %d (x = %.9g)", name,
                         i, c, d[i * ch + c], want, x[c][i]);
        }
    free(d);
    free(path);
    io_free_planar(x, ch);
}

Test(io, wav_aiff_flac_integers_are_bit_exact_without_dither)
{
    check_int_roundtrip("i16.wav", 16);
    check_int_roundtrip("i24.wav", 24);
    check_int_roundtrip("i32.wav", 32);
    check_int_roundtrip("i8.wav", 8);
    check_int_roundtrip("i16.aiff", 16);
    check_int_roundtrip("i24.aif", 24);
    check_int_roundtrip("i32.aiff", 32);
    check_int_roundtrip("i16.flac", 16);
    check_int_roundtrip("i24.flac", 24);
    check_int_roundtrip("i24.caf", 24);
    check_int_roundtrip("i16.w64", 16);
    check_int_roundtrip("i24.rf64", 24);
    check_int_roundtrip("i16.au", 16);
}

static void check_float_roundtrip(const char *name)
{
    const unsigned ch = 3;
    const size_t n = 4000;
    float **x = test_signal(ch, n);
    x[1][20] = 1.5f; /* float files keep values beyond full scale */
    x[2][21] = -4.0f;
    char *path = io_join(dir, name);
    md_error e;
    cr_assert_eq(io_write(path, x, ch, n, 96000, "float=true", 0, NULL, &e), MD_OK, "%s",
                 e.msg);
    SF_INFO info;
    float *d = io_read_float(path, &info);
    cr_assert_eq((info.format & SF_FORMAT_SUBMASK), SF_FORMAT_FLOAT);
    cr_assert_eq((size_t)info.frames, n);
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < ch; c++)
            cr_assert(memcmp(&d[i * ch + c], &x[c][i], sizeof(float)) == 0,
                      "%s: frame %zu ch %u: %.9g, want %.9g", name, i, c, d[i * ch + c], x[c][i]);
    free(d);
    free(path);
    io_free_planar(x, ch);
}

Test(io, wav_and_aiff_floats_are_bit_exact)
{
    check_float_roundtrip("f.wav");
    check_float_roundtrip("f.aiff");
}

Test(io, representable_16_bit_signal_survives_tpdf_bit_exact)
{
    const size_t n = 6000;
    float **x = io_planar(1, n);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        int k = (int)(s >> 16) - 32768;
        x[0][i] = (float)k / 32768.0f;
    }
    const char *cases[][2] = {{"r16.wav", "bits=16 dither=tpdf"},
                              {"r16s.wav", "bits=16 dither=shaped"},
                              {"r24.wav", "bits=24 dither=tpdf"},
                              {"r16.flac", "bits=16 dither=tpdf"}};
    for (int t = 0; t < 4; t++) {
        char *path = io_join(dir, cases[t][0]);
        md_error e;
        cr_assert_eq(io_write(path, x, 1, n, 48000, cases[t][1], 0, NULL, &e), MD_OK, "%s",
                     e.msg);
        SF_INFO info;
        int32_t *d = io_read_int(path, &info);
        for (size_t i = 0; i < n; i++) {
            int32_t want = (int32_t)((uint32_t)(int32_t)lrintf(x[0][i] * 32768.0f) << 16);
            cr_assert_eq(d[i], want, "%s: frame %zu: %d, want %d", cases[t][0], i, d[i], want);
        }
        free(d);
        free(path);
    }
    io_free_planar(x, 1);
}

Test(io, beyond_full_scale_clamps_never_wraps)
{
    const size_t n = 8;
    float **x = io_planar(1, n);
    const float v[8] = {1.5f, -1.5f, 1.0f, -1.0f, 100.0f, -100.0f, 1.0000001f, 3e38f};
    memcpy(x[0], v, sizeof v);
    const char *opts[] = {"bits=16 dither=none", "bits=16 dither=tpdf", "bits=16 dither=shaped",
                          "bits=24 dither=none", "bits=24 dither=tpdf", "bits=32",
                          "bits=8 dither=tpdf"};
    const unsigned bits[] = {16, 16, 16, 24, 24, 32, 8};
    for (int t = 0; t < 7; t++) {
        char *path = io_join(dir, "clip.wav");
        md_error e;
        cr_assert_eq(io_write(path, x, 1, n, 44100, opts[t], 0, NULL, &e), MD_OK, "%s", e.msg);
        SF_INFO info;
        int32_t *d = io_read_int(path, &info);
        int32_t top = (int32_t)(0x7fffffffu >> (32 - bits[t]) << (32 - bits[t]));
        for (size_t i = 0; i < n; i++) {
            int32_t want = v[i] > 0 ? top : INT32_MIN;
            cr_expect_eq(d[i], want, "%s: %g wrote %d, want %d", opts[t], v[i], d[i], want);
        }
        free(d);
        free(path);
    }
    /* lossy codecs: clipped to +-1 before encoding */
    char *path = io_join(dir, "clip.ogg");
    float **y = io_planar(1, 48000);
    for (size_t i = 0; i < 48000; i++)
        y[0][i] = (float)(1.5 * sin(2 * M_PI * 440.0 * (double)i / 48000.0));
    md_error e;
    cr_assert_eq(io_write(path, y, 1, 48000, 48000, NULL, 0, NULL, &e), MD_OK, "%s", e.msg);
    SF_INFO info;
    float *d = io_read_float(path, &info);
    float peak = 0;
    for (sf_count_t i = 0; i < info.frames; i++)
        peak = fmaxf(peak, fabsf(d[i]));
    cr_expect_leq(peak, 1.25f, "ogg peak %.3f: the input was clipped to 1", peak);
    cr_expect_geq(peak, 0.8f);
    free(d);
    free(path);
    io_free_planar(y, 1);
    io_free_planar(x, 1);
}

Test(io, nonfinite_samples_are_written_as_zero_and_counted)
{
    const size_t n = 100;
    float **x = io_planar(2, n);
    for (size_t i = 0; i < n; i++)
        x[0][i] = x[1][i] = 0.5f;
    x[0][10] = NAN;
    x[1][20] = INFINITY;
    x[0][30] = -INFINITY;
    const char *cases[][2] = {{"nf16.wav", "bits=16"}, {"nf24.flac", "bits=24 dither=none"},
                              {"nff.wav", "float=true"}, {"nf.ogg", NULL}};
    for (int t = 0; t < 4; t++) {
        char *path = io_join(dir, cases[t][0]);
        md_error e;
        int64_t bad = -1;
        cr_assert_eq(io_write(path, x, 2, n, 48000, cases[t][1], 0, &bad, &e), MD_OK, "%s",
                     e.msg);
        cr_expect_eq(bad, 3, "%s: %lld non-finite counted", cases[t][0], (long long)bad);
        SF_INFO info;
        float *d = io_read_float(path, &info);
        if (t < 3) {
            cr_expect_eq(d[10 * 2 + 0], 0.0f, "%s", cases[t][0]);
            cr_expect_eq(d[20 * 2 + 1], 0.0f, "%s", cases[t][0]);
            cr_expect_eq(d[30 * 2 + 0], 0.0f, "%s", cases[t][0]);
        }
        for (sf_count_t i = 0; i < info.frames * 2; i++)
            cr_assert(isfinite(d[i]), "%s: sample %lld", cases[t][0], (long long)i);
        free(d);
        free(path);
    }
    io_free_planar(x, 2);
}

/* Best alignment of y to x (lag in -maxlag..maxlag), then SNR in dB over the
 * middle of the signal. */
static double snr_aligned(const float *x, size_t n, const float *y, size_t m, int maxlag,
                          int *lag_out)
{
    double best = -1;
    int lag = 0;
    size_t a = n / 4, b = 3 * n / 4;
    for (int l = -maxlag; l <= maxlag; l++) {
        double s = 0;
        for (size_t i = a; i < b; i++) {
            long j = (long)i + l;
            if (j >= 0 && (size_t)j < m)
                s += (double)x[i] * y[j];
        }
        if (s > best) {
            best = s;
            lag = l;
        }
    }
    double sig = 0, err = 0;
    for (size_t i = a; i < b; i++) {
        long j = (long)i + lag;
        double yv = (j >= 0 && (size_t)j < m) ? y[j] : 0.0;
        sig += (double)x[i] * x[i];
        err += (x[i] - yv) * (x[i] - yv);
    }
    *lag_out = lag;
    return 10.0 * log10(sig / err);
}

static double lossy_snr(const char *name, const char *opts, int *lag, size_t *frames)
{
    const size_t n = 48000;
    float **x = io_planar(2, n);
    /* left: a sweep from 200 Hz to 4 kHz (aperiodic, so that the alignment
     * is unique); right: a steady tone */
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / 48000.0;
        x[0][i] = (float)(0.5 * sin(2 * M_PI * (200.0 * t + 0.5 * 3800.0 * t * t)));
        x[1][i] = (float)(0.3 * sin(2 * M_PI * 440.0 * t));
    }
    char *path = io_join(dir, name);
    md_error e;
    cr_assert_eq(io_write(path, x, 2, n, 48000, opts, 0, NULL, &e), MD_OK, "%s: %s", name, e.msg);
    SF_INFO info;
    float *d = io_read_float(path, &info);
    float *left = malloc((size_t)info.frames * sizeof *left);
    for (sf_count_t i = 0; i < info.frames; i++)
        left[i] = d[i * 2];
    double snr = snr_aligned(x[0], n, left, (size_t)info.frames, 2000, lag);
    *frames = (size_t)info.frames;
    free(left);
    free(d);
    free(path);
    io_free_planar(x, 2);
    return snr;
}

Test(io, ogg_vorbis_and_opus_keep_a_sweep_above_20_db_snr)
{
    int lag;
    size_t m;
    double snr = lossy_snr("v.ogg", NULL, &lag, &m);
    cr_log_info("vorbis: SNR %.1f dB, codec delay %d frames, %zu frames read", snr, lag, m);
    cr_expect_geq(snr, 20.0, "vorbis SNR %.1f dB", snr);
    cr_expect_leq(labs((long)m - 48000), 2048, "vorbis length %zu", m);
    snr = lossy_snr("o.opus", NULL, &lag, &m);
    cr_log_info("opus: SNR %.1f dB, codec delay %d frames, %zu frames read", snr, lag, m);
    cr_expect_geq(snr, 20.0, "opus SNR %.1f dB", snr);
    cr_expect_leq(labs((long)m - 48000), 2048, "opus length %zu", m);
    if (strstr(md_format_list(), "mp3")) {
        snr = lossy_snr("m.mp3", NULL, &lag, &m);
        cr_log_info("mp3: SNR %.1f dB, codec delay %d frames, %zu frames read", snr, lag, m);
        cr_expect_geq(snr, 20.0, "mp3 SNR %.1f dB", snr);
    }
    /* explicit format overrides the extension */
    snr = lossy_snr("o.bin", "format=opus", &lag, &m);
    cr_expect_geq(snr, 20.0, "opus by name SNR %.1f dB", snr);
}

Test(io, missing_directory_fails_naming_it_and_leaves_no_file)
{
    char *path = io_join(dir, "out/x.wav");
    float **x = io_planar(1, 10);
    md_error e;
    cr_assert_eq(io_write(path, x, 1, 10, 44100, NULL, 0, NULL, &e), MD_ERR_IO);
    char want[600];
    snprintf(want, sizeof want, "%s/out/x.wav: cannot write: directory %s/out does not exist",
             dir, dir);
    cr_expect_str_eq(e.msg, want);
    cr_expect_eq(io_count_entries(dir), 0);
    io_free_planar(x, 1);
    free(path);
}

Test(io, relative_path_in_a_missing_directory_names_it_as_given)
{
    cr_assert_eq(chdir(dir), 0);
    float **x = io_planar(1, 10);
    md_error e;
    cr_assert_eq(io_write("out/x.wav", x, 1, 10, 44100, NULL, 0, NULL, &e), MD_ERR_IO);
    cr_expect_str_eq(e.msg, "out/x.wav: cannot write: directory out does not exist");
    /* and a plain name goes to the current directory */
    cr_assert_eq(io_write("x.wav", x, 1, 10, 44100, NULL, 0, NULL, &e), MD_OK, "%s", e.msg);
    cr_expect(io_exists("x.wav"));
    cr_expect_eq(io_count_entries("."), 1);
    io_free_planar(x, 1);
}

static md_node *open_sink(const char *path, const char *opts, double rate, unsigned ch,
                          md_error *e)
{
    md_node *n = md_node_create(md_node_lookup("sink"), e);
    cr_assert(n);
    cr_assert_eq(md_node_set_string(n, "path", path, e), MD_OK);
    io_set_opts(n, opts);
    md_stream in = {.rate_hz = rate, .channels = ch, .max_frames = 512};
    if (md_node_prepare(n, &in, e) != MD_OK) {
        md_node_destroy(n);
        return NULL;
    }
    return n;
}

Test(io, discard_leaves_no_file_and_an_existing_file_untouched)
{
    char *path = io_join(dir, "keep.wav");
    FILE *f = fopen(path, "w");
    fputs("precious", f);
    fclose(f);
    md_error e;
    md_node *n = open_sink(path, NULL, 44100, 2, &e);
    cr_assert(n, "%s", e.msg);
    cr_expect_eq(io_count_entries(dir), 2, "the temporary file sits beside the target");
    float **x = io_planar(2, 512);
    cr_assert_eq(md_node_type(n)->consume(n, (const float *const *)x, 512, &e), MD_OK);
    cr_assert_eq(md_node_type(n)->consume(n, (const float *const *)x, 0, &e), MD_OK,
                 "frames = 0 is harmless");
    md_node_type(n)->discard(n);
    md_node_destroy(n);
    cr_expect_eq(io_count_entries(dir), 1);
    char buf[32] = "";
    f = fopen(path, "r");
    cr_assert(fgets(buf, sizeof buf, f));
    fclose(f);
    cr_expect_str_eq(buf, "precious");

    /* destroying a sink that was never committed discards too */
    char *other = io_join(dir, "other.flac");
    n = open_sink(other, "bits=16", 44100, 2, &e);
    cr_assert(n, "%s", e.msg);
    md_node_destroy(n);
    cr_expect_eq(io_count_entries(dir), 1);
    cr_expect(!io_exists(other));

    /* commit replaces the existing file */
    n = open_sink(path, "bits=16", 44100, 2, &e);
    cr_assert(n, "%s", e.msg);
    cr_assert_eq(md_node_type(n)->consume(n, (const float *const *)x, 512, &e), MD_OK);
    cr_assert_eq(md_node_type(n)->commit(n, &e), MD_OK, "%s", e.msg);
    md_node_destroy(n);
    cr_expect_eq(io_count_entries(dir), 1);
    md_file_info fi;
    cr_assert_eq(md_file_probe(path, &fi, &e), MD_OK, "%s", e.msg);
    cr_expect_eq(fi.frames, 512);
    cr_expect_str_eq(fi.subtype_name, "PCM_16");
    io_free_planar(x, 2);
    free(path);
    free(other);
}

Test(io, write_errors_name_the_file_and_the_reason)
{
    /* a file size limit makes write() fail with EFBIG, as a full disk fails
     * with ENOSPC */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {.rlim_cur = 50000, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    char *path = io_join(dir, "big.wav");
    float **x = io_planar(2, 48000);
    md_error e;
    cr_assert_eq(io_write(path, x, 2, 48000, 48000, "bits=24", 1024, NULL, &e), MD_ERR_IO);
    char want[600];
    snprintf(want, sizeof want, "%s: write failed: %s", path, strerror(EFBIG));
    cr_expect_str_eq(e.msg, want);
    cr_expect_eq(io_count_entries(dir), 0, "no partial file");
    rl.rlim_cur = RLIM_INFINITY;
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, SIG_DFL);
    io_free_planar(x, 2);
    free(path);
}

/* file -> sink at the same word length, dither on: the copy is bit-exact
 * (every 16/24-bit value is exact in float, and exact values get no dither). */
Test(io, copy_through_source_and_sink_is_bit_exact)
{
    const unsigned bits[] = {16, 24};
    for (int b = 0; b < 2; b++) {
        const size_t n = 7000;
        float **x = test_signal(2, n);
        char *a = io_join(dir, "a.wav"), *c = io_join(dir, "c.flac");
        char opts[64];
        md_error e;
        snprintf(opts, sizeof opts, "bits=%u dither=none", bits[b]);
        cr_assert_eq(io_write(a, x, 2, n, 44100, opts, 0, NULL, &e), MD_OK, "%s", e.msg);
        unsigned ch;
        size_t m;
        float **y = io_read_source(a, 44100, 512, &ch, &m, &e);
        cr_assert(y, "%s", e.msg);
        cr_assert_eq(m, n);
        snprintf(opts, sizeof opts, "bits=%u dither=shaped", bits[b]);
        cr_assert_eq(io_write(c, y, ch, m, 44100, opts, 0, NULL, &e), MD_OK, "%s", e.msg);
        SF_INFO ia, ic;
        int32_t *da = io_read_int(a, &ia), *dc = io_read_int(c, &ic);
        cr_assert_eq(ia.frames, ic.frames);
        cr_expect(memcmp(da, dc, (size_t)ia.frames * 2 * sizeof *da) == 0,
                  "%u-bit copy differs", bits[b]);
        free(da);
        free(dc);
        free(a);
        free(c);
        io_free_planar(x, 2);
        io_free_planar(y, ch);
    }
}

Test(io, sink_refuses_what_the_format_cannot_hold)
{
    cr_assert_eq(chdir(dir), 0);
    md_error e;
    cr_expect_null(open_sink("x.opus", NULL, 44100, 2, &e));
    cr_expect_str_eq(e.msg, "x.opus: Opus writes 48000 Hz only, got 44100 Hz: resample first");
    cr_expect_null(open_sink("x.mp3", NULL, 96000, 2, &e));
    cr_expect_str_eq(e.msg, "x.mp3: MP3 writes 8000, 11025, 12000, 16000, 22050, 24000, 32000, "
                            "44100 or 48000 Hz, got 96000 Hz: resample first");
    cr_expect_null(open_sink("x.flac", "bits=32", 44100, 2, &e));
    cr_expect_str_eq(e.msg, "x.flac: FLAC holds 8, 16 or 24 bits, got 32");
    cr_expect_null(open_sink("x.flac", "float=true", 44100, 2, &e));
    cr_expect_str_eq(e.msg, "x.flac: FLAC holds 8, 16 or 24-bit integers, not float");
    cr_expect_null(open_sink("x.xyz", NULL, 44100, 2, &e));
    char want[256];
    snprintf(want, sizeof want, "x.xyz: unknown format 'xyz' (known: %s)", md_format_list());
    cr_expect_str_eq(e.msg, want);
    cr_expect_null(open_sink("x.wav", "format=nope", 44100, 2, &e));
    cr_expect_eq(e.status, MD_ERR_INVALID);
    cr_expect_null(open_sink("x.wav", "bits=12", 44100, 2, &e));
    cr_expect_str_eq(e.msg, "sink: bits must be 8, 16, 24 or 32, got 12");
    cr_expect_null(open_sink("noext", NULL, 44100, 2, &e));
    cr_expect_eq(e.status, MD_ERR_INVALID);
    cr_assert_eq(mkdir("d.wav", 0777), 0);
    cr_expect_null(open_sink("d.wav", NULL, 44100, 2, &e));
    cr_expect_str_eq(e.msg, "d.wav: cannot write: Is a directory");
    rmdir("d.wav");
    cr_expect_eq(io_count_entries("."), 0, "refusals leave nothing behind");
    /* the parameter table itself refuses what is out of range */
    md_node *n = md_node_create(md_node_lookup("sink"), &e);
    cr_expect_eq(md_node_set_number(n, "bits", 64, &e), MD_ERR_INVALID);
    cr_expect_eq(md_node_set_string(n, "dither", "rectangular", &e), MD_ERR_INVALID);
    md_node_destroy(n);
}

Test(io, format_names_and_list)
{
    cr_expect_eq(md_format_from_name("wav"), SF_FORMAT_WAV);
    cr_expect_eq(md_format_from_name("WAV"), SF_FORMAT_WAV);
    cr_expect_eq(md_format_from_name("aif"), SF_FORMAT_AIFF);
    cr_expect_eq(md_format_from_name("flac"), SF_FORMAT_FLAC);
    cr_expect_eq(md_format_from_name("ogg"), SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    cr_expect_eq(md_format_from_name("opus"), SF_FORMAT_OGG | SF_FORMAT_OPUS);
    cr_expect_eq(md_format_from_name("xyz"), 0);
    cr_expect_eq(md_format_from_name(""), 0);
    const char *list = md_format_list();
    cr_log_info("formats written: %s", list);
    cr_expect(strncmp(list, "wav, aiff, flac, ogg, opus", 26) == 0, "%s", list);
}

/* --- reading --------------------------------------------------------------- */

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A 16-bit mono WAV header (44 bytes) claiming rate, followed by frames zeros. */
static void write_wav_with_rate(const char *path, uint32_t rate, uint32_t frames)
{
    unsigned char h[44 + 2 * 100] = {0};
    uint32_t data = frames * 2;
    memcpy(h, "RIFF", 4);
    uint32_t riff = 36 + data;
    memcpy(h + 4, &riff, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    uint32_t fmt_len = 16, byte_rate = rate * 2;
    uint16_t pcm = 1, chans = 1, align = 2, bits = 16;
    memcpy(h + 16, &fmt_len, 4);
    memcpy(h + 20, &pcm, 2);
    memcpy(h + 22, &chans, 2);
    memcpy(h + 24, &rate, 4);
    memcpy(h + 28, &byte_rate, 4);
    memcpy(h + 32, &align, 2);
    memcpy(h + 34, &bits, 2);
    memcpy(h + 36, "data", 4);
    memcpy(h + 40, &data, 4);
    write_bytes(path, h, 44 + 2 * (frames < 100 ? frames : 100));
}

Test(io, absurd_header_rate_fails_naming_the_file)
{
    cr_assert_eq(chdir(dir), 0);
    write_wav_with_rate("x.wav", 1, 100);
    md_error e;
    md_file_info fi;
    cr_expect_eq(md_file_probe("x.wav", &fi, &e), MD_ERR_FORMAT);
    cr_expect_str_eq(e.msg, "x.wav: sample rate 1 Hz is out of range (1000..1536000)");
    /* the file source says the same in prepare */
    unsigned ch;
    size_t n;
    cr_expect_null(io_read_source("x.wav", 48000, 256, &ch, &n, &e));
    cr_expect_str_eq(e.msg, "x.wav: sample rate 1 Hz is out of range (1000..1536000)");
    write_wav_with_rate("y.wav", 1536001, 100);
    cr_expect_eq(md_file_probe("y.wav", &fi, &e), MD_ERR_FORMAT);
    cr_expect_str_eq(e.msg, "y.wav: sample rate 1536001 Hz is out of range (1000..1536000)");
    /* a header claiming more data than the file holds: read what is there */
    write_wav_with_rate("z.wav", 44100, 100000);
    cr_assert_eq(md_file_probe("z.wav", &fi, &e), MD_OK, "%s", e.msg);
    cr_expect_leq(fi.frames, 100);
    float **y = io_read_source("z.wav", 44100, 256, &ch, &n, &e);
    cr_assert(y, "%s", e.msg);
    cr_expect_eq(n, 100);
    io_free_planar(y, ch);
}

Test(io, unreadable_files_fail_naming_the_file)
{
    cr_assert_eq(chdir(dir), 0);
    md_error e;
    md_file_info fi;
    cr_expect_eq(md_file_probe("song.wav", &fi, &e), MD_ERR_IO);
    cr_expect_str_eq(e.msg, "song.wav: cannot open: No such file or directory");
    write_bytes("notes.wav", "these are my notes, not audio\n", 30);
    cr_expect_eq(md_file_probe("notes.wav", &fi, &e), MD_ERR_FORMAT);
    /* the reason in brackets is libsndfile's own words, which vary by version */
    const char *want = "notes.wav: not an audio file libsndfile can read (";
    cr_expect(strncmp(e.msg, want, strlen(want)) == 0 && e.msg[strlen(e.msg) - 1] == ')',
              "%s", e.msg);
    cr_expect_gt(strlen(e.msg), strlen(want) + 5, "%s", e.msg);
    cr_expect_eq(md_file_probe(".", &fi, &e), MD_ERR_IO);
    cr_expect_str_eq(e.msg, ".: cannot open: Is a directory");
}

Test(io, probe_reports_the_header)
{
    char *path = io_join(dir, "p.flac");
    float **x = io_planar(3, 1234);
    md_error e;
    cr_assert_eq(io_write(path, x, 3, 1234, 88200, "bits=24", 0, NULL, &e), MD_OK, "%s", e.msg);
    md_file_info fi;
    cr_assert_eq(md_file_probe(path, &fi, &e), MD_OK, "%s", e.msg);
    cr_expect_eq(fi.rate_hz, 88200);
    cr_expect_eq(fi.channels, 3);
    cr_expect_eq(fi.frames, 1234);
    cr_expect_eq(fi.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
    cr_expect_str_eq(fi.format_name, "FLAC");
    cr_expect_str_eq(fi.subtype_name, "PCM_24");
    io_free_planar(x, 3);
    free(path);
}

Test(io, source_delivers_full_blocks_then_the_rest_then_zeros)
{
    char *path = io_join(dir, "s.wav");
    float **x = io_planar(2, 2500);
    for (size_t i = 0; i < 2500; i++) {
        x[0][i] = (float)(i + 1) / 4096.0f;
        x[1][i] = -(float)(i + 1) / 4096.0f;
    }
    md_error e;
    cr_assert_eq(io_write(path, x, 2, 2500, 44100, "float=true", 0, NULL, &e), MD_OK);
    md_node *n = md_node_create(md_node_lookup("file"), &e);
    cr_assert_eq(md_node_set_string(n, "path", path, &e), MD_OK);
    md_stream in = {.rate_hz = 44100, .channels = 0, .max_frames = 1000};
    cr_assert_eq(md_node_prepare(n, &in, &e), MD_OK, "%s", e.msg);
    const md_node_vtable *vt = md_node_type(n);
    cr_expect_eq(md_node_out(n)->channels, 2);
    cr_expect_eq(md_node_out(n)->rate_hz, 44100);
    cr_expect_eq(vt->length(n), 2500);
    cr_expect_eq(vt->native_rate(n), 44100);
    float **y = io_planar(2, 1000);
    const unsigned want[] = {1000, 1000, 500, 0};
    for (int b = 0; b < 4; b++) {
        for (size_t i = 0; i < 1000; i++)
            y[0][i] = y[1][i] = 99.0f; /* must be overwritten */
        unsigned got = vt->generate(n, y, 1000, &e);
        cr_expect_eq(got, want[b], "block %d: %u frames", b, got);
        for (size_t i = 0; i < 1000; i++) {
            size_t t = (size_t)b * 1000 + i;
            float w = t < 2500 ? (float)(t + 1) / 4096.0f : 0.0f;
            cr_assert_eq(y[0][i], w, "frame %zu", t);
            cr_assert_eq(y[1][i], -w, "frame %zu", t);
        }
    }
    /* reset rewinds */
    md_node_reset(n);
    cr_expect_eq(vt->generate(n, y, 1000, &e), 1000);
    cr_expect_eq(y[0][0], 1.0f / 4096.0f);
    char desc[256];
    vt->describe(n, desc, sizeof desc);
    cr_expect(strstr(desc, "2ch 44100 Hz") != NULL, "%s", desc);
    md_node_destroy(n);
    io_free_planar(x, 2);
    io_free_planar(y, 2);
    free(path);
}

Test(io, source_replaces_nonfinite_input_and_counts_it)
{
    char *path = io_join(dir, "nan.wav");
    SF_INFO info = {.samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    cr_assert(sf);
    float d[200];
    for (int i = 0; i < 200; i++)
        d[i] = 0.25f;
    d[7] = NAN;
    d[50] = INFINITY;
    d[199] = -INFINITY;
    cr_assert_eq(sf_writef_float(sf, d, 100), 100);
    sf_close(sf);
    md_error e;
    md_node *n = md_node_create(md_node_lookup("file"), &e);
    cr_assert_eq(md_node_set_string(n, "path", path, &e), MD_OK);
    md_stream in = {.rate_hz = 48000, .channels = 0, .max_frames = 64};
    cr_assert_eq(md_node_prepare(n, &in, &e), MD_OK, "%s", e.msg);
    float **y = io_planar(2, 128);
    float *p0[2] = {y[0], y[1]}, *p1[2] = {y[0] + 64, y[1] + 64};
    cr_expect_eq(md_node_type(n)->generate(n, p0, 64, &e), 64);
    cr_expect_eq(md_node_type(n)->generate(n, p1, 64, &e), 36);
    cr_expect_eq(md_source_nonfinite(n), 3);
    cr_expect_eq(y[1][3], 0.0f);  /* d[7] */
    cr_expect_eq(y[0][25], 0.0f); /* d[50] */
    cr_expect_eq(y[1][99], 0.0f); /* d[199] */
    cr_expect_eq(y[0][3], 0.25f);
    cr_expect_eq(md_sink_nonfinite(n), -1, "not a sink");
    md_node_destroy(n);
    io_free_planar(y, 2);
    free(path);
}

Test(io, truncated_ogg_streams_to_the_real_end)
{
    char *path = io_join(dir, "t.ogg");
    const size_t n = 5 * 48000;
    float **x = io_planar(1, n);
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        /* a tone in noise: the noise makes the pages many, so that half the
         * file holds audio (a pure tone fits in the first pages) */
        x[0][i] = (float)(0.3 * sin(2 * M_PI * 440.0 * (double)i / 48000.0) +
                          0.2 * ((double)(s >> 11) / 9007199254740992.0 - 0.5));
    }
    md_error e;
    cr_assert_eq(io_write(path, x, 1, n, 48000, NULL, 0, NULL, &e), MD_OK, "%s", e.msg);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(path, size / 2), 0);
    md_file_info fi;
    cr_assert_eq(md_file_probe(path, &fi, &e), MD_OK, "%s", e.msg);
    cr_expect_eq(fi.frames, -1, "libsndfile reports INT64_MAX frames: not trusted");
    unsigned ch;
    size_t m;
    float **y = io_read_source(path, 48000, 1024, &ch, &m, &e);
    cr_assert(y, "%s", e.msg);
    cr_log_info("truncated ogg (%ld of %ld bytes): %zu of %zu frames decoded", size / 2, size,
                m, n);
    cr_expect(m > n / 4 && m < n, "%zu frames", m);
    double amp = io_fit_tone(y[0] + m / 4, m / 2, 440.0, 48000.0, NULL);
    cr_expect_float_eq(io_db(amp / 0.3), 0.0, 1.0, "decoded tone %.2f dB", io_db(amp / 0.3));
    /* FFmpeg, an independent decoder, finds as much audio in the cut file */
    if (io_have_tool("ffmpeg")) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "ffmpeg -v quiet -i '%s' -f f32le - | wc -c", path);
        FILE *pp = popen(cmd, "r");
        long bytes = -1;
        cr_assert(pp && fscanf(pp, "%ld", &bytes) == 1);
        pclose(pp);
        cr_log_info("ffmpeg decodes %ld frames", bytes / 4);
        cr_expect_leq(labs(bytes / 4 - (long)m), 2048, "ffmpeg %ld frames, we %zu", bytes / 4, m);
    }
    io_free_planar(y, ch);
    io_free_planar(x, 1);
    free(path);
}

/* SoX reads our 24-bit WAV to the same integers (an independent reader). */
Test(io, sox_reads_the_same_samples)
{
    if (!io_have_tool("sox"))
        cr_skip_test("sox is not installed");
    const size_t n = 3000;
    float **x = test_signal(2, n);
    char *path = io_join(dir, "s24.wav"), *raw = io_join(dir, "s24.raw");
    md_error e;
    cr_assert_eq(io_write(path, x, 2, n, 48000, "bits=24 dither=none", 0, NULL, &e), MD_OK);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "sox '%s' -t raw -e signed -b 32 '%s'", path, raw);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    FILE *f = fopen(raw, "rb");
    cr_assert(f);
    int32_t *d = malloc(n * 2 * sizeof *d);
    cr_assert_eq(fread(d, sizeof *d, n * 2, f), n * 2);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < 2; c++)
            cr_assert_eq(d[i * 2 + c], expect_word(x[c][i], 24), "frame %zu ch %u", i, c);
    free(d);
    free(path);
    free(raw);
    io_free_planar(x, 2);
}
