/* denoise_speex.h - denoise's speech mode: SpeexDSP's preprocessor (noise
 * suppression only: no AGC, VAD or dereverberation), one state per channel.
 *
 *   input -> frames of F samples (at absolute multiples of F) -> 16-bit
 *         -> speex_preprocess_run -> float -> dry/wet mix by amount -> out
 *
 * SpeexDSP works on 16-bit integer frames: the processed part is quantised
 * to 16 bits (about -96 dBFS of rounding noise), acceptable for voice only.
 * F is the power of two closest below 25 ms (1024 frames at 44.1/48 kHz).
 * The preprocessor outputs each frame one frame late (its own overlap-add),
 * and framing adds one more: the latency is 2 F.
 */
#ifndef MDI_DENOISE_SPEEX_H
#define MDI_DENOISE_SPEEX_H

#include <speex/speex_preprocess.h>

typedef struct dn_speex {
    unsigned frame, channels, pos;
    int rate, floor_db;
    SpeexPreprocessState **st; /* [channels] */
    float **in;                /* [channels][frame]: the frame being filled */
    float **dry;               /* [channels][frame]: the previous input frame (for the mix) */
    float **out;               /* [channels][frame]: processed, waiting to go out */
    float **mixed;             /* [channels][frame]: output of the current frame */
    spx_int16_t *pcm;          /* frame */
    void *mem;
} dn_speex;

/* floor_db: the largest attenuation (negative dB). 0 or -1 on failure. */
int dn_speex_init(dn_speex *s, unsigned channels, double rate_hz, int floor_db);
void dn_speex_free(dn_speex *s);
/* Recreates the preprocessor states (SpeexDSP has no reset): not for process(). */
int dn_speex_reset(dn_speex *s);
static inline unsigned dn_speex_latency(const dn_speex *s) { return 2 * s->frame; }
/* amount: 0 dry .. 1 fully processed, read once per frame by the caller's
 * function so the mix changes at frame boundaries only. */
void dn_speex_run(dn_speex *s, const float *const *in, float *const *out, unsigned frames,
                  double (*amount)(void *), void *user);

#endif
