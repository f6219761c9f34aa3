/* delay.c - delay{ms, feedback, mix, bpm, note, pingpong}: an echo.
 *
 *   x --+------------------------------------- (1 - mix) --+
 *       |                                                  |
 *       +--> (+) --> line (D frames) --+----- mix ------->(+)--> y
 *             ^                        |
 *             +------ feedback <-------+
 *
 * Each channel has its own line. pingpong (stereo only): the mono sum of the
 * input enters the left line, the left line's output feeds the right line and
 * the right line's output feeds back into the left, so echoes alternate
 * L, R, L, ... each `feedback` quieter than the one before.
 *
 * The delay D is ms (or, when bpm > 0, the note length at that tempo)
 * rounded to the nearest frame: delay{ms = 10} at 44.1 kHz is exactly 441
 * frames. The delay time is fixed at prepare (the lines are sized for it);
 * feedback and mix are smoothed per sample and may be automated. The delay is
 * the effect, not latency to compensate, so latency() is 0; tail() counts
 * the frames until the echoes fall below -120 dB. */
#include "../internal.h"
#include <math.h>
#include <string.h>

enum { P_MS, P_FEEDBACK, P_MIX, P_BPM, P_NOTE, P_PINGPONG };

/* note lengths in quarter notes: plain, dotted (x 1.5), triplet (x 2/3) */
static const char *const notes[] = {"1/1",   "1/2",  "1/2.",  "1/2t",  "1/4",  "1/4.",
                                    "1/4t",  "1/8",  "1/8.",  "1/8t",  "1/16", "1/16.",
                                    "1/16t", "1/32", "1/32.", "1/32t", NULL};
static const double note_quarters[] = {4.0,     2.0,   3.0,    4.0 / 3, 1.0,  1.5,
                                       2.0 / 3, 0.5,   0.75,   1.0 / 3, 0.25, 0.375,
                                       1.0 / 6, 0.125, 0.1875, 1.0 / 12};

#define MAX_MS 10000.0
#define TAIL_DB -120.0

static const md_param_desc delay_params[] = {
    [P_MS] = {"ms", "ms", 0.0, MAX_MS, 250.0, "delay time (rounded to the nearest frame)",
              MD_PT_NUMBER, 0},
    [P_FEEDBACK] = {"feedback", "", 0.0, 0.98, 0.0, "part of the output fed back: more echoes",
                    MD_PT_NUMBER, MD_PARAM_AUTOMATABLE},
    [P_MIX] = {"mix", "", 0.0, 1.0, 1.0, "0 dry only, 1 delayed only", MD_PT_NUMBER,
               MD_PARAM_AUTOMATABLE},
    [P_BPM] = {"bpm", "", 0.0, 999.0, 0.0, "tempo for a synced delay (0: use ms)", MD_PT_NUMBER, 0},
    [P_NOTE] = {"note", "", 0, 15, 4, "synced delay length: 1/4, 1/8., 1/16t, ... (with bpm)",
                MD_PT_ENUM, 0, notes},
    [P_PINGPONG] = {"pingpong", "", 0, 1, 0, "echoes alternate left and right (stereo only)",
                    MD_PT_BOOL, 0},
    {NULL},
};

typedef struct delay_priv {
    unsigned d;   /* delay in frames */
    unsigned cap; /* frames per line (d + 1) */
    unsigned pos; /* write index */
    unsigned channels;
    int pingpong;
    float *mem;      /* channels x cap */
    float *fb, *mix; /* max_frames smoothed values */
} delay_priv;

static double delay_ms(const md_node *n)
{
    double bpm = md_node_value(n, P_BPM);
    if (bpm > 0)
        return 60000.0 / bpm * note_quarters[(int)md_node_value(n, P_NOTE)];
    return md_node_value(n, P_MS);
}

static void delay_release(md_node *n)
{
    delay_priv *p = md_node_priv(n);
    md_aligned_free(p->mem);
    md_aligned_free(p->fb);
    md_aligned_free(p->mix);
    p->mem = p->fb = p->mix = NULL;
}

static md_status delay_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    delay_priv *p = md_node_priv(n);
    (void)out;
    double ms = delay_ms(n);
    if (!(ms <= MAX_MS))
        return md_error_set(err, MD_ERR_INVALID,
                            "delay: a tempo-synced delay must be at most %g ms, got %g ms", MAX_MS,
                            ms);
    p->pingpong = md_node_value(n, P_PINGPONG) != 0.0;
    if (p->pingpong && in->channels != 2)
        return md_error_set(err, MD_ERR_GRAPH, "delay: pingpong needs a stereo input, got %u %s",
                            in->channels, in->channels == 1 ? "channel" : "channels");
    p->d = (unsigned)llround(ms / 1000.0 * in->rate_hz);
    p->cap = p->d + 1;
    p->channels = in->channels;
    size_t bytes = (size_t)p->cap * p->channels * sizeof(float);
    p->mem = md_aligned_alloc(bytes);
    p->fb = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    p->mix = md_aligned_alloc(sizeof(float) * (in->max_frames + 1));
    if (!p->mem || !p->fb || !p->mix) {
        delay_release(n);
        return md_error_set(err, MD_ERR_NOMEM, "delay: out of memory for %g ms", ms);
    }
    return MD_OK;
}

static void delay_reset(md_node *n)
{
    delay_priv *p = md_node_priv(n);
    memset(p->mem, 0, (size_t)p->cap * p->channels * sizeof(float));
    p->pos = 0;
}

static void delay_process(md_node *n, const float *const *in, float *const *out, unsigned frames)
{
    delay_priv *p = md_node_priv(n);
    md_node_fill_param(n, P_FEEDBACK, p->fb, frames, 0);
    md_node_fill_param(n, P_MIX, p->mix, frames, 0);
    const float *fb = p->fb, *mix = p->mix;
    unsigned cap = p->cap, d = p->d;
    if (p->pingpong) {
        float *l = p->mem, *r = p->mem + cap;
        unsigned w = p->pos;
        for (unsigned i = 0; i < frames; i++) {
            unsigned rd = w >= d ? w - d : w + cap - d;
            float xl = in[0][i], xr = in[1][i];
            float el = l[rd], er = r[rd];
            if (d == 0) { /* no delay: nothing to feed back */
                el = 0.5f * (xl + xr);
                er = 0.0f;
            }
            l[w] = 0.5f * (xl + xr) + fb[i] * er;
            r[w] = fb[i] * el;
            out[0][i] = (1.0f - mix[i]) * xl + mix[i] * el;
            out[1][i] = (1.0f - mix[i]) * xr + mix[i] * er;
            if (++w == cap)
                w = 0;
        }
        p->pos = w;
        return;
    }
    unsigned w0 = p->pos;
    for (unsigned c = 0; c < p->channels; c++) {
        float *line = p->mem + (size_t)c * cap;
        const float *x = in[c];
        float *y = out[c];
        unsigned w = w0;
        for (unsigned i = 0; i < frames; i++) {
            unsigned rd = w >= d ? w - d : w + cap - d;
            float xi = x[i];
            /* with d = 0 the read sees this frame's write: read after writing */
            float e;
            if (d == 0) {
                line[w] = xi;
                e = xi;
            } else {
                e = line[rd];
                line[w] = xi + fb[i] * e;
            }
            y[i] = (1.0f - mix[i]) * xi + mix[i] * e;
            if (++w == cap)
                w = 0;
        }
    }
    p->pos = (unsigned)(((uint64_t)w0 + frames) % cap);
}

static unsigned delay_tail(const md_node *n)
{
    const delay_priv *p = md_node_priv(n);
    /* echo j (j >= 1) arrives j * d frames after the input, fb^(j-1) times
     * its level: the last one above -120 dB is j = 1 + floor(-6 / log10(fb)) */
    double fb = md_node_value(n, P_FEEDBACK);
    double echoes = 1.0;
    if (fb > 0.0)
        echoes += floor((TAIL_DB / 20.0) / log10(fb));
    double tail = echoes * p->d;
    return tail > 4.0e9 ? 4000000000u : (unsigned)tail;
}

const md_node_vtable md_node_delay = {
    .name = "delay",
    .doc = "An echo: the signal again after ms (or a note length at a tempo), with feedback "
           "for repeats and an optional ping-pong between left and right.",
    .params = delay_params,
    .priv_size = sizeof(delay_priv),
    .flags = MD_NODE_EXTENDS,
    .inputs = 1,
    .prepare = delay_prepare,
    .reset = delay_reset,
    .process = delay_process,
    .tail = delay_tail,
    .release = delay_release,
};
