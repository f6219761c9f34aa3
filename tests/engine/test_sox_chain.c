/* test_sox_chain.c - highpass, eq and lowpass against SoX's own biquads on
 * the same input: seeded stereo white noise (44.1 kHz, -20 dBFS RMS, 10 s) as
 * a 32-bit float WAV, through
 *     sox IN -b 24 OUT highpass 80 0.7071q equalizer 2000 2q 4
 *         bass 3 150 0.7071q treble -3 6000 0.7071q lowpass 16000 0.7071q
 * and through highpass{freq=80} -> eq{bell 2000 +4 q2, lowshelf 150 +3
 * q0.7071, highshelf 6000 -3 q0.7071} -> lowpass{freq=16000}.
 *
 * Apples to apples: SoX's bass/treble with a width in q are the cookbook's
 * shelves with alpha = sin(w0) / (2 Q) and A = 10^(gain/40) (sox
 * src/biquads.c, width_Q), which is exactly the Q form our shelves use; its
 * highpass/lowpass/equalizer are the cookbook's HPF/LPF/peakingEQ. What is
 * left: SoX's 32-bit integer samples between effects and its 24-bit output
 * (about -127 dB here), and Q = 0.7071 against the exact Butterworth
 * 1/sqrt(2) that highpass{freq=80} uses (about -107 dB). The test asserts
 * -80 dB for the chain as written and -110 dB with q = 0.7071 given to our
 * nodes too. A missing sox fails the test. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "filters_util.h"

#define RATE 44100
#define FRAMES (10 * RATE)

static void write_wav(const char *path, float **x, size_t frames)
{
    SF_INFO info = {.samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    cr_assert_not_null(f, "cannot write %s: %s", path, sf_strerror(NULL));
    float *il = malloc(frames * 2 * sizeof *il);
    cr_assert_not_null(il);
    for (size_t i = 0; i < frames; i++) {
        il[2 * i] = x[0][i];
        il[2 * i + 1] = x[1][i];
    }
    cr_assert_eq(sf_writef_float(f, il, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(f);
    free(il);
}

/* Reads a stereo file as float; NULL with *why set if it is not what sox
 * should have written (no assertion here: the caller cleans up first). */
static float **read_wav(const char *path, size_t *frames, const char **why)
{
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    *why = NULL;
    if (!f) {
        *why = "sox wrote no readable file";
        return NULL;
    }
    if (info.channels != 2 || info.samplerate != RATE ||
        (info.format & SF_FORMAT_SUBMASK) != SF_FORMAT_PCM_24) {
        sf_close(f);
        *why = "sox did not write a 24-bit stereo 44.1 kHz file";
        return NULL;
    }
    float *il = malloc((size_t)info.frames * 2 * sizeof *il);
    float **x = filt_alloc(2, (size_t)info.frames);
    sf_count_t got = il ? sf_readf_float(f, il, info.frames) : 0;
    sf_close(f);
    for (sf_count_t i = 0; i < got; i++) {
        x[0][i] = il[2 * i];
        x[1][i] = il[2 * i + 1];
    }
    free(il);
    *frames = (size_t)got;
    return x;
}

/* Runs argv; returns its exit status (127: could not be started). */
static int run(char *const argv[])
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void set(md_node *n, const char *name, double v)
{
    md_error err = {0};
    cr_assert_eq(md_node_set_number(n, name, v, &err), MD_OK, "%s", err.msg);
}

/* Runs x through highpass -> eq -> lowpass and returns the residual against
 * want, in dB relative to want's energy. */
static double residual_db(float **x, float **want, int sox_q)
{
    float **y = filt_alloc(2, FRAMES);
    md_node *hp = filt_node("highpass"), *eq = filt_node("eq"), *lp = filt_node("lowpass");
    set(hp, "freq", 80.0);
    set(lp, "freq", 16000.0);
    if (sox_q) {
        set(hp, "q", 0.7071);
        set(lp, "q", 0.7071);
    }
    filt_eq_bands(eq, 3);
    filt_eq_band(eq, 0, "bell", 2000.0, 4.0, 2.0, NULL);
    filt_eq_band(eq, 1, "lowshelf", 150.0, 3.0, 0.7071, NULL);
    filt_eq_band(eq, 2, "highshelf", 6000.0, -3.0, 0.7071, NULL);
    filt_prepare(hp, RATE, 2, 1024);
    filt_prepare(eq, RATE, 2, 1024);
    filt_prepare(lp, RATE, 2, 1024);
    filt_run(hp, x, y, 2, FRAMES, 1024);
    filt_run(eq, y, y, 2, FRAMES, 1024);
    filt_run(lp, y, y, 2, FRAMES, 1024);
    md_node_destroy(hp);
    md_node_destroy(eq);
    md_node_destroy(lp);

    double sig = 0, res = 0;
    for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < FRAMES; i++) {
            double d = (double)y[c][i] - want[c][i];
            sig += (double)want[c][i] * want[c][i];
            res += d * d;
        }
    filt_free(y, 2);
    return 10.0 * log10(res / sig);
}

Test(sox_chain, highpass_eq_lowpass_match_sox_within_80_db, .timeout = 60)
{
    char dir[] = "/tmp/md_sox_chain_XXXXXX";
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    char in_path[64], out_path[64];
    snprintf(in_path, sizeof in_path, "%s/in.wav", dir);
    snprintf(out_path, sizeof out_path, "%s/sox.wav", dir);

    float **x = filt_alloc(2, FRAMES);
    filt_noise(x[0], FRAMES, 20240501, 0.1); /* -20 dBFS RMS */
    filt_noise(x[1], FRAMES, 20240502, 0.1);
    write_wav(in_path, x, FRAMES);

    char *argv[] = {"sox",  in_path, "-b",    "24",     out_path, "highpass", "80",  "0.7071q",
                    "equalizer", "2000", "2q", "4",    "bass",   "3",        "150", "0.7071q",
                    "treble", "-3", "6000", "0.7071q", "lowpass", "16000", "0.7071q", NULL};
    int status = run(argv);
    size_t sox_frames = 0;
    const char *why = NULL;
    float **want = status == 0 ? read_wav(out_path, &sox_frames, &why) : NULL;
    unlink(in_path);
    unlink(out_path);
    cr_assert_eq(rmdir(dir), 0, "cannot remove %s: %s", dir, strerror(errno));
    cr_assert_neq(status, 127, "sox is not installed (apt-get install sox): this test needs it");
    cr_assert_eq(status, 0, "sox exited with status %d", status);
    cr_assert_not_null(want, "%s", why);
    cr_assert_eq(sox_frames, (size_t)FRAMES);
    double sig = 0;
    for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < FRAMES; i++)
            sig += (double)want[c][i] * want[c][i];
    double sig_dbfs = 10.0 * log10(sig / (2.0 * FRAMES));
    cr_log_info("sox output: %.2f dBFS RMS", sig_dbfs);
    cr_assert(sig_dbfs > -25.0 && sig_dbfs < -19.0, "sox output is %.2f dBFS RMS", sig_dbfs);

    /* 1: the chain as a user writes it (highpass/lowpass with their exact
     * Butterworth q); 2: q = 0.7071 as SoX was given, to see the floor set by
     * SoX's 24-bit output */
    double db_default = residual_db(x, want, 0), db_same_q = residual_db(x, want, 1);
    cr_log_info("sox chain: residual %.2f dB below the signal (q exact 1/sqrt(2)), %.2f dB "
                "(q = 0.7071 as given to sox)",
                -db_default, -db_same_q);
    cr_assert_lt(db_default, -80.0, "residual only %.2f dB below the signal", -db_default);
    cr_assert_lt(db_same_q, -110.0, "with sox's own q the residual is only %.2f dB down",
                 -db_same_q);

    filt_free(x, 2);
    filt_free(want, 2);
}
