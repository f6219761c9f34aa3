/* analyze_floor.c - the speed floor for `mixdown analyze`: a plain,
 * single-threaded libsndfile decode into libebur128 (integrated, LRA, true
 * peak), 4096-frame float blocks. Not a test; bench_analyze.sh builds it.
 *
 *   cc -O2 -o analyze_floor analyze_floor.c $(pkg-config --cflags --libs sndfile libebur128) -lm
 *   ./analyze_floor FILE...
 */
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 4096

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *sf = sf_open(argv[i], SFM_READ, &info);
        if (!sf) {
            fprintf(stderr, "%s: %s\n", argv[i], sf_strerror(NULL));
            rc = 1;
            continue;
        }
        ebur128_state *st =
            ebur128_init((unsigned)info.channels, (unsigned long)info.samplerate,
                         EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK);
        float *buf = malloc(sizeof(float) * BLOCK * (size_t)info.channels);
        if (!st || !buf)
            return 2;
        sf_count_t n;
        while ((n = sf_readf_float(sf, buf, BLOCK)) > 0)
            ebur128_add_frames_float(st, buf, (size_t)n);
        double li = NAN, lra = NAN, tp = 0.0, v;
        ebur128_loudness_global(st, &li);
        ebur128_loudness_range(st, &lra);
        for (int c = 0; c < info.channels; c++)
            if (ebur128_true_peak(st, (unsigned)c, &v) == EBUR128_SUCCESS && v > tp)
                tp = v;
        printf("%s\tI %.2f LUFS\tLRA %.2f LU\tTP %.2f dBTP\n", argv[i], li, lra, 20 * log10(tp));
        free(buf);
        ebur128_destroy(&st);
        sf_close(sf);
    }
    return rc;
}
