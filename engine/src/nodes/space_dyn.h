/* space_dyn.h - a per-band compressor for multiband and deesser, built on the
 * shared static curve and fast dB conversions of dyn_common.h.
 *
 * The reduction r = -curve(level) >= 0 (dB) is smoothed by the "smooth,
 * decoupled" peak detector of Giannoulis, Massberg & Reiss, "Digital dynamic
 * range compressor design - a tutorial and analysis", JAES 60(6), 2012,
 * eq. 17, applied to the reduction in dB:
 *     y1 = max(r, aR y1 + (1 - aR) r)      release stage, follows peaks at once
 *     y  = aA y + (1 - aA) y1              attack stage
 * with aA, aR the one-pole coefficients of the attack and release times
 * (dyn_coef: 63 % of a step after the time constant). A steady tone holds y1
 * near its peak reduction, so the gain does not ripple at the tone's rate.
 */
#ifndef MD_SPACE_DYN_H
#define MD_SPACE_DYN_H

#include "dyn_common.h"

typedef struct sd_env {
    float a_att, a_rel; /* one-pole coefficients */
    float y1, y;        /* state, dB of reduction */
} sd_env;

static inline void sd_env_set(sd_env *e, double attack_ms, double release_ms, double rate_hz)
{
    e->a_att = dyn_coef(attack_ms, rate_hz);
    e->a_rel = dyn_coef(release_ms, rate_hz);
}

static inline void sd_env_reset(sd_env *e)
{
    e->y1 = e->y = 0.0f;
}

/* One sample of reduction r (dB >= 0) in, smoothed reduction out. */
static inline float sd_env_run(sd_env *e, float r)
{
    float y1 = e->a_rel * e->y1 + (1.0f - e->a_rel) * r;
    if (y1 < r)
        y1 = r;
    if (y1 < 1e-12f)
        y1 = 0.0f; /* settle exactly at 0: no denormals, unity gain below threshold */
    float y = e->a_att * e->y + (1.0f - e->a_att) * y1;
    if (y < 1e-12f)
        y = 0.0f;
    e->y1 = y1;
    e->y = y;
    return y;
}

#endif
