/* denoise_speex.c - denoise's speech mode on SpeexDSP (denoise_speex.h). */
#include "denoise_speex.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void destroy_states(dn_speex *s)
{
    if (!s->st)
        return;
    for (unsigned c = 0; c < s->channels; c++)
        if (s->st[c]) {
            speex_preprocess_state_destroy(s->st[c]);
            s->st[c] = NULL;
        }
}

void dn_speex_free(dn_speex *s)
{
    destroy_states(s);
    free(s->mem);
    memset(s, 0, sizeof *s);
}

static int make_states(dn_speex *s)
{
    for (unsigned c = 0; c < s->channels; c++) {
        s->st[c] = speex_preprocess_state_init((int)s->frame, s->rate);
        if (!s->st[c])
            return -1;
        int on = 1, off = 0, floor_db = s->floor_db;
        speex_preprocess_ctl(s->st[c], SPEEX_PREPROCESS_SET_DENOISE, &on);
        speex_preprocess_ctl(s->st[c], SPEEX_PREPROCESS_SET_AGC, &off);
        speex_preprocess_ctl(s->st[c], SPEEX_PREPROCESS_SET_DEREVERB, &off);
        speex_preprocess_ctl(s->st[c], SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &floor_db);
    }
    return 0;
}

int dn_speex_init(dn_speex *s, unsigned channels, double rate_hz, int floor_db)
{
    memset(s, 0, sizeof *s);
    unsigned f = 64;
    while (f * 2 <= rate_hz * 0.025)
        f *= 2;
    s->frame = f;
    s->channels = channels;
    s->rate = (int)lround(rate_hz);
    s->floor_db = floor_db;
    size_t per = f * sizeof(float);
    s->mem = calloc(1, channels * (sizeof(void *) * 5 + 4 * per) + f * sizeof(spx_int16_t));
    if (!s->mem)
        return -1;
    unsigned char *p = s->mem;
    s->st = (SpeexPreprocessState **)p;
    p += channels * sizeof(void *);
    s->in = (float **)p;
    p += channels * sizeof(void *);
    s->dry = (float **)p;
    p += channels * sizeof(void *);
    s->out = (float **)p;
    p += channels * sizeof(void *);
    s->mixed = (float **)p;
    p += channels * sizeof(void *);
    for (unsigned c = 0; c < channels; c++) {
        s->in[c] = (float *)p;
        s->dry[c] = (float *)(p + per);
        s->out[c] = (float *)(p + 2 * per);
        s->mixed[c] = (float *)(p + 3 * per);
        p += 4 * per;
    }
    s->pcm = (spx_int16_t *)p;
    if (make_states(s)) {
        dn_speex_free(s);
        return -1;
    }
    return 0;
}

int dn_speex_reset(dn_speex *s)
{
    destroy_states(s);
    s->pos = 0;
    for (unsigned c = 0; c < s->channels; c++) {
        memset(s->in[c], 0, s->frame * sizeof(float));
        memset(s->dry[c], 0, s->frame * sizeof(float));
        memset(s->out[c], 0, s->frame * sizeof(float));
        memset(s->mixed[c], 0, s->frame * sizeof(float));
    }
    return make_states(s);
}

static spx_int16_t to16(float x)
{
    float v = x * 32768.0f;
    if (!(v > -32768.0f))
        return -32768; /* NaN lands here too */
    if (v > 32767.0f)
        return 32767;
    return (spx_int16_t)lrintf(v);
}

static void one_frame(dn_speex *s, double amount)
{
    const unsigned f = s->frame;
    const float a = (float)amount;
    for (unsigned c = 0; c < s->channels; c++) {
        for (unsigned i = 0; i < f; i++)
            s->pcm[i] = to16(s->in[c][i]);
        /* the preprocessor returns the previous frame, processed: it lines up with dry */
        speex_preprocess_run(s->st[c], s->pcm);
        float *restrict m = s->mixed[c];
        const float *restrict d = s->dry[c];
        for (unsigned i = 0; i < f; i++)
            m[i] = d[i] + a * ((float)s->pcm[i] * (1.0f / 32768.0f) - d[i]);
        memcpy(s->dry[c], s->in[c], f * sizeof(float));
    }
}

void dn_speex_run(dn_speex *s, const float *const *in, float *const *out, unsigned frames,
                  double (*amount)(void *), void *user)
{
    unsigned done = 0;
    while (done < frames) {
        unsigned k = s->frame - s->pos;
        if (k > frames - done)
            k = frames - done;
        for (unsigned c = 0; c < s->channels; c++) {
            memcpy(s->in[c] + s->pos, in[c] + done, k * sizeof(float));
            memcpy(out[c] + done, s->out[c] + s->pos, k * sizeof(float));
        }
        s->pos += k;
        done += k;
        if (s->pos == s->frame) {
            one_frame(s, amount(user));
            for (unsigned c = 0; c < s->channels; c++) {
                float *t = s->out[c];
                s->out[c] = s->mixed[c];
                s->mixed[c] = t;
            }
            s->pos = 0;
        }
    }
}
