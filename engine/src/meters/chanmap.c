/* chanmap.c - libsndfile channel maps to libebur128 channels.
 *
 * ITU-R BS.1770-4 weights a channel by its position: 1.41 for loudspeakers
 * at 60..120 degrees azimuth below 30 degrees elevation, 1.0 elsewhere, and
 * leaves LFE out. libebur128 applies 1.41 to Mp/Mm060, 090 and 110, so each
 * libsndfile position is given the libebur128 position with the same weight.
 */
#include "meters.h"
#include <ebur128.h>
#include <sndfile.h>

static int has(const int *map, unsigned channels, int what)
{
    for (unsigned c = 0; c < channels; c++)
        if (map[c] == what)
            return 1;
    return 0;
}

static int from_sndfile(const int *map, unsigned channels, int m)
{
    /* With side channels present (7.1), the rear pair sits at +-135 degrees
     * (weight 1.0); without them (5.1 "back"), the rear pair is the surround
     * pair at +-110 degrees (1.41). */
    int sides = has(map, channels, SF_CHANNEL_MAP_SIDE_LEFT) ||
                has(map, channels, SF_CHANNEL_MAP_SIDE_RIGHT);
    switch (m) {
    case SF_CHANNEL_MAP_MONO:
        return EBUR128_CENTER;
    case SF_CHANNEL_MAP_LEFT:
    case SF_CHANNEL_MAP_FRONT_LEFT:
        return EBUR128_LEFT;
    case SF_CHANNEL_MAP_RIGHT:
    case SF_CHANNEL_MAP_FRONT_RIGHT:
        return EBUR128_RIGHT;
    case SF_CHANNEL_MAP_CENTER:
    case SF_CHANNEL_MAP_FRONT_CENTER:
        return EBUR128_CENTER;
    case SF_CHANNEL_MAP_LFE:
        return EBUR128_UNUSED;
    case SF_CHANNEL_MAP_REAR_LEFT:
        return sides ? EBUR128_Mp135 : EBUR128_LEFT_SURROUND;
    case SF_CHANNEL_MAP_REAR_RIGHT:
        return sides ? EBUR128_Mm135 : EBUR128_RIGHT_SURROUND;
    case SF_CHANNEL_MAP_REAR_CENTER:
        return EBUR128_Mp180;
    case SF_CHANNEL_MAP_SIDE_LEFT:
        return EBUR128_Mp090;
    case SF_CHANNEL_MAP_SIDE_RIGHT:
        return EBUR128_Mm090;
    case SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER:
        return EBUR128_MpSC;
    case SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER:
        return EBUR128_MmSC;
    case SF_CHANNEL_MAP_TOP_CENTER:
        return EBUR128_Tp000;
    case SF_CHANNEL_MAP_TOP_FRONT_LEFT:
        return EBUR128_Up030;
    case SF_CHANNEL_MAP_TOP_FRONT_RIGHT:
        return EBUR128_Um030;
    case SF_CHANNEL_MAP_TOP_FRONT_CENTER:
        return EBUR128_Up000;
    case SF_CHANNEL_MAP_TOP_REAR_LEFT:
        return EBUR128_Up135;
    case SF_CHANNEL_MAP_TOP_REAR_RIGHT:
        return EBUR128_Um135;
    case SF_CHANNEL_MAP_TOP_REAR_CENTER:
        return EBUR128_Up180;
    /* B-format: W is the omnidirectional (mono) signal; X, Y, Z are not
     * loudspeaker feeds and are left out. */
    case SF_CHANNEL_MAP_AMBISONIC_B_W:
        return EBUR128_CENTER;
    case SF_CHANNEL_MAP_AMBISONIC_B_X:
    case SF_CHANNEL_MAP_AMBISONIC_B_Y:
    case SF_CHANNEL_MAP_AMBISONIC_B_Z:
        return EBUR128_UNUSED;
    default:
        return EBUR128_CENTER; /* unknown position: measured, weight 1.0 */
    }
}

int mdi_ebur128_channel(const int *sf_map, unsigned channels, unsigned c)
{
    if (sf_map)
        return from_sndfile(sf_map, channels, sf_map[c]);
    if (channels == 1)
        return EBUR128_CENTER;
    /* DESIGN.md: without a map, L R C LFE Ls Rs; further channels weight 1.0 */
    static const int deflt[6] = {EBUR128_LEFT,   EBUR128_RIGHT,         EBUR128_CENTER,
                                 EBUR128_UNUSED, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND};
    return c < 6 ? deflt[c] : EBUR128_CENTER;
}
