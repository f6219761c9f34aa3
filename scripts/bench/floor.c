/* floor.c - the I/O floor for benchmarks: decode any file libsndfile reads as
 * float blocks and write them, unchanged, as 24-bit PCM WAV (clipping on, so
 * the round trip is exact). No DSP: what any renderer must at least pay.
 *   cc -O2 -o floor floor.c $(pkg-config --cflags --libs sndfile)
 *   floor IN OUT.wav */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK_FRAMES = 4096 };

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: floor IN OUT.wav\n");
        return 1;
    }
    SF_INFO in_info;
    memset(&in_info, 0, sizeof in_info);
    SNDFILE *in = sf_open(argv[1], SFM_READ, &in_info);
    if (!in) {
        fprintf(stderr, "floor: %s: %s\n", argv[1], sf_strerror(NULL));
        return 1;
    }
    SF_INFO out_info = {.samplerate = in_info.samplerate, .channels = in_info.channels,
                        .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24};
    SNDFILE *out = sf_open(argv[2], SFM_WRITE, &out_info);
    if (!out) {
        fprintf(stderr, "floor: %s: %s\n", argv[2], sf_strerror(NULL));
        return 1;
    }
    sf_command(out, SFC_SET_CLIPPING, NULL, SF_TRUE);
    float *block = malloc(sizeof(float) * BLOCK_FRAMES * (size_t)in_info.channels);
    if (!block)
        return 1;
    sf_count_t got;
    while ((got = sf_readf_float(in, block, BLOCK_FRAMES)) > 0)
        if (sf_writef_float(out, block, got) != got) {
            fprintf(stderr, "floor: write failed: %s\n", sf_strerror(out));
            return 1;
        }
    free(block);
    sf_close(in);
    return sf_close(out) != 0;
}
