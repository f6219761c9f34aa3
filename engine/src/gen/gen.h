/* gen.h - pieces shared by the generator nodes (sine, sweep, noise, silence,
 * impulse, synth): the common parameters, the frame counter that makes every
 * generator end at round(duration * rate), and a seeded random generator.
 *
 * Generators are MD_NODE_SOURCE nodes: prepare() gets the graph rate and sets
 * the channel count from `channels`; generate() writes exactly `frames`
 * frames and returns how many are real. Every generator computes its output
 * per sample from its own state, so the stream does not depend on how it is
 * cut into blocks. */
#ifndef MDI_GEN_H
#define MDI_GEN_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "../internal.h"

#define MDI_GEN_MAX_CHANNELS 8
#define MDI_GEN_MAX_SECONDS 86400.0

/* The table rows every generator has (designated initialisers take them). */
#define MDI_GEN_DURATION_PARAM                                                                 \
    {"duration", "s", 0.0, MDI_GEN_MAX_SECONDS, 1.0, "length of the signal", MD_PT_NUMBER, 0}
#define MDI_GEN_CHANNELS_PARAM                                                                 \
    {"channels", "", 1.0, MDI_GEN_MAX_CHANNELS, 1.0, "number of output channels", MD_PT_INT, 0}

/* Position in the stream and where it ends, both in frames at the graph rate. */
typedef struct mdi_gen_clock {
    int64_t pos;
    int64_t length;
} mdi_gen_clock;

/* round(seconds * rate) frames; seconds is already range-checked. */
static inline int64_t mdi_gen_frames(double seconds, double rate_hz)
{
    return (int64_t)llround(seconds * rate_hz);
}

/* Frames of real audio left in a block of `frames`. */
static inline unsigned mdi_gen_real(const mdi_gen_clock *k, unsigned frames)
{
    int64_t left = k->length - k->pos;
    if (left <= 0)
        return 0;
    return left < (int64_t)frames ? (unsigned)left : frames;
}

/* Zero frames [from, frames) of every output channel. */
static inline void mdi_gen_zero_rest(float *const *out, unsigned channels, unsigned from,
                                     unsigned frames)
{
    if (from >= frames)
        return;
    for (unsigned c = 0; c < channels; c++)
        memset(out[c] + from, 0, (size_t)(frames - from) * sizeof(float));
}

/* SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): 64 bits of state, passes BigCrush, and any seed
 * is a good seed, which makes per-channel and per-note streams easy. */
static inline uint64_t mdi_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A state for stream `index` of a seed: streams of one seed are unrelated. */
static inline uint64_t mdi_rng_seed(uint64_t seed, uint64_t index)
{
    uint64_t s = seed ^ 0x6A09E667F3BCC909ull;
    uint64_t a = mdi_rng_next(&s);
    s = a ^ (index * 0xD1B54A32D192ED03ull + 0x3C6EF372FE94F82Bull);
    return mdi_rng_next(&s);
}

/* Uniform in [-1, 1) with 24 bits: exact in float, mean 0, variance 1/3. */
static inline float mdi_rng_uniform(uint64_t *state)
{
    int32_t v = (int32_t)(mdi_rng_next(state) >> 40) - (1 << 23);
    return (float)v * (1.0f / 8388608.0f);
}

#endif
