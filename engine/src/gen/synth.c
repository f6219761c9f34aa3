/* synth.c - synth{wave, notes, attack, decay, sustain, release, db, cutoff,
 * detune, duration, channels, seed}: a small polyphonic note synthesizer, so
 * the demo song (drums, bass, chords, lead) comes from the engine itself.
 *
 *   note list -> (sorted by start frame) -> voice pool (32, oldest stolen)
 *   voice: oscillator(s) -> lowpass (cutoff) -> x ADSR x velocity x level
 *   voices summed -> channel 0 -> copied to every channel
 *
 * A note starts at frame round(time * rate) (its first frame is non-zero:
 * oscillators advance before they output and the attack ramp starts at
 * 1/attack) and is released at round((time + dur) * rate). Every voice is
 * computed per frame from its own state, voices are summed in pool order and
 * rendering is split only at note starts, so the output does not depend on
 * how the stream is cut into blocks. No allocation after prepare: the voice
 * pool, the sorted notes and the pluck delay lines are allocated there.
 * Noise (noise, snare, hat, pluck) is seeded by `seed` and the note's start
 * frame and pitch, so adding or reordering notes leaves the others as they were. */
#include "blep.h"
#include "gen.h"
#include <stdlib.h>

enum {
    P_WAVE,
    P_NOTES,
    P_ATTACK,
    P_DECAY,
    P_SUSTAIN,
    P_RELEASE,
    P_DB,
    P_CUTOFF,
    P_DETUNE,
    P_DURATION,
    P_CHANNELS,
    P_SEED
};
enum { W_SINE, W_SAW, W_SQUARE, W_TRIANGLE, W_NOISE, W_KICK, W_SNARE, W_HAT, W_PLUCK };
enum { F_TIME, F_DUR, F_FREQ, F_VEL };

static const char *const waves[] = {"sine", "saw",   "square", "triangle", "noise",
                                    "kick", "snare", "hat",    "pluck",    NULL};

static const md_param_desc note_fields[] = {
    [F_TIME] = {"time", "s", 0.0, MDI_GEN_MAX_SECONDS, 0.0, "start of the note", MD_PT_NUMBER, 0},
    [F_DUR] = {"dur", "s", 0.0, MDI_GEN_MAX_SECONDS, 0.25, "length of the note until its release",
               MD_PT_NUMBER, 0},
    [F_FREQ] = {"freq", "Hz", 0.001, MD_MAX_RATE / 2, 440.0,
                "pitch (kick: end of the drop, default 45; snare: tone, default 185; hat: "
                "highpass corner, default 7000)",
                MD_PT_NUMBER, MD_PARAM_LOG},
    [F_VEL] = {"vel", "", 0.0, 1.0, 0.8, "velocity: level of the note, 0..1", MD_PT_NUMBER, 0},
    {NULL},
};

static const md_param_desc synth_params[] = {
    [P_WAVE] = {"wave", "", 0, 8, W_SINE,
                "sound: sine, saw, square, triangle, noise, kick, snare, hat or pluck", MD_PT_ENUM,
                0, waves},
    [P_NOTES] = {"notes", "", 0, 0, 0, "the notes: {time, dur, freq, vel} each", MD_PT_LIST, 0,
                 NULL, note_fields, 100000},
    [P_ATTACK] = {"attack", "ms", 0.0, 10000.0, 5.0, "time to rise to full level", MD_PT_NUMBER, 0},
    [P_DECAY] = {"decay", "ms", 0.0, 10000.0, 100.0, "time to fall from full to sustain level",
                 MD_PT_NUMBER, 0},
    [P_SUSTAIN] = {"sustain", "", 0.0, 1.0, 0.7, "level held until the note ends, 0..1",
                   MD_PT_NUMBER, 0},
    [P_RELEASE] = {"release", "ms", 0.0, 10000.0, 100.0, "time to fall to silence after the note",
                   MD_PT_NUMBER, 0},
    [P_DB] = {"db", "dB", -200.0, 20.0, -12.0, "overall level of a full-velocity voice",
              MD_PT_NUMBER, MD_PARAM_DB},
    [P_CUTOFF] = {"cutoff", "Hz", 10.0, 20000.0, 20000.0,
                  "12 dB/octave lowpass on each voice (20000: off)", MD_PT_NUMBER, MD_PARAM_LOG},
    [P_DETUNE] = {"detune", "cents", -100.0, 100.0, 0.0,
                  "adds a second oscillator this far off the pitch (0: none)", MD_PT_NUMBER, 0},
    [P_DURATION] = {"duration", "s", 0.0, MDI_GEN_MAX_SECONDS, 0.0,
                    "total length (0: the end of the last note plus the release)", MD_PT_NUMBER, 0},
    [P_CHANNELS] = MDI_GEN_CHANNELS_PARAM,
    [P_SEED] = {"seed", "", 0.0, 4294967295.0, 1.0, "random seed for noise, drums and pluck",
                MD_PT_INT, 0},
    {NULL},
};

#define MAX_VOICES 32
#define PLUCK_MIN_HZ 20.0
#define PLUCK_T60_S 1.5 /* decay of the string to -60 dB without the envelope */

/* Built-in shapes of the drums (time constants in s) */
#define KICK_END_HZ 45.0
#define KICK_START_RATIO (150.0 / 45.0)
#define KICK_PITCH_TAU 0.035
#define KICK_AMP_TAU 0.25
#define SNARE_TONE_HZ 185.0
#define SNARE_TONE_TAU 0.06
#define SNARE_NOISE_TAU 0.12
#define SNARE_NOISE_HP_HZ 1000.0
#define HAT_HP_HZ 7000.0
#define HAT_TAU 0.04

typedef struct note_ev {
    int64_t on, off; /* frames: start and release */
    double freq;
    float vel;
    unsigned index; /* position in the user's list */
    uint64_t key;   /* seeds the note's noise: from its start and pitch, not its index */
    int freq_set;
} note_ev;

typedef struct voice {
    int active;
    const note_ev *ev;
    uint64_t serial;   /* start order, for stealing the oldest */
    int64_t end;       /* first frame after the release */
    int64_t gate;      /* frames from start to release (>= 1) */
    float rel_level;   /* envelope level when the release starts */
    double inc1, inc2; /* cycles per frame of the oscillators */
    uint64_t rng;
    double ic1, ic2; /* lowpass (state-variable filter) */
    /* drums */
    double ph, pitch, pitch_mul, amp1, amp1_mul, amp2, amp2_mul, hp_lp, hp_a;
    double bq_b0, bq_b1, bq_b2, bq_a1, bq_a2, bq_s1, bq_s2;
    /* pluck (Karplus-Strong) */
    float *line;
    unsigned len, pos;
    double ap_c, ap_x1, ap_y1, ks_prev, ks_gain;
} voice;

typedef struct synth_priv {
    mdi_gen_clock clock;
    int wave;
    double rate_hz;
    double level;
    int64_t attack, decay, release; /* frames */
    double sustain;
    int detune;
    double detune_ratio;
    int lowpass;
    double svf_a1, svf_a2, svf_a3, svf_k;
    uint64_t seed;

    note_ev *ev; /* sorted by start */
    unsigned nev, next;
    voice voices[MAX_VOICES];
    uint64_t serial;
    float *lines; /* MAX_VOICES pluck lines of line_cap floats */
    unsigned line_cap;
    mdi_blep blep;
} synth_priv;

static int cmp_ev(const void *a, const void *b)
{
    const note_ev *x = a, *y = b;
    if (x->on != y->on)
        return x->on < y->on ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void synth_release(md_node *n)
{
    synth_priv *p = md_node_priv(n);
    free(p->ev);
    md_aligned_free(p->lines);
    p->ev = NULL;
    p->lines = NULL;
}

static md_status synth_prepare(md_node *n, const md_stream *in, md_stream *out, md_error *err)
{
    synth_priv *p = md_node_priv(n);
    double rate = in->rate_hz;
    p->rate_hz = rate;
    p->wave = (int)md_node_value(n, P_WAVE);
    p->level = pow(10.0, md_node_value(n, P_DB) / 20.0);
    p->attack = mdi_gen_frames(md_node_value(n, P_ATTACK) / 1000.0, rate);
    p->decay = mdi_gen_frames(md_node_value(n, P_DECAY) / 1000.0, rate);
    p->release = mdi_gen_frames(md_node_value(n, P_RELEASE) / 1000.0, rate);
    p->sustain = md_node_value(n, P_SUSTAIN);
    double cents = md_node_value(n, P_DETUNE);
    p->detune = cents != 0.0;
    p->detune_ratio = pow(2.0, cents / 1200.0);
    p->seed = (uint64_t)md_node_value(n, P_SEED);

    /* lowpass: the trapezoidal state-variable filter (A. Simper, "Linear
     * trapezoidal integrated SVF", Cytomic 2013), Q = 0.7071 */
    double cutoff = md_node_value(n, P_CUTOFF);
    p->lowpass = cutoff < 20000.0 && cutoff < 0.49 * rate;
    if (p->lowpass) {
        double g = tan(M_PI * cutoff / rate);
        p->svf_k = M_SQRT2;
        p->svf_a1 = 1.0 / (1.0 + g * (g + p->svf_k));
        p->svf_a2 = g * p->svf_a1;
        p->svf_a3 = g * p->svf_a2;
    }

    unsigned count = md_node_list_count(n, P_NOTES);
    p->nev = count;
    p->ev = malloc((count ? count : 1) * sizeof *p->ev);
    if (!p->ev)
        return md_error_set(err, MD_ERR_NOMEM, "synth: out of memory");
    int64_t last_end = 0;
    double min_freq = INFINITY;
    for (unsigned i = 0; i < count; i++) {
        note_ev *e = &p->ev[i];
        double t = md_node_list_value(n, P_NOTES, i, F_TIME);
        double dur = md_node_list_value(n, P_NOTES, i, F_DUR);
        e->freq = md_node_list_value(n, P_NOTES, i, F_FREQ);
        e->freq_set = md_node_list_isset(n, P_NOTES, i, F_FREQ);
        e->vel = (float)md_node_list_value(n, P_NOTES, i, F_VEL);
        e->index = i;
        e->on = mdi_gen_frames(t, rate);
        e->off = mdi_gen_frames(t + dur, rate);
        uint64_t fbits;
        memcpy(&fbits, &e->freq, sizeof fbits);
        e->key = (uint64_t)e->on * 0x9E3779B97F4A7C15ull ^ fbits;
        if (e->off <= e->on)
            e->off = e->on + 1; /* every note sounds for at least one frame */
        double freq = e->freq;
        if (!(freq < rate / 2)) {
            synth_release(n);
            return md_error_set(err, MD_ERR_INVALID,
                                "synth: note %u freq must be below half the sample rate "
                                "(%g Hz), got %g",
                                i + 1, rate / 2, freq);
        }
        if (p->wave == W_PLUCK && freq < PLUCK_MIN_HZ) {
            synth_release(n);
            return md_error_set(err, MD_ERR_INVALID,
                                "synth: note %u freq must be >= %g Hz for pluck, got %g", i + 1,
                                PLUCK_MIN_HZ, freq);
        }
        if (e->freq < min_freq)
            min_freq = e->freq;
        if (e->off + p->release > last_end)
            last_end = e->off + p->release;
    }
    if (count > 1)
        qsort(p->ev, count, sizeof *p->ev, cmp_ev);

    double duration = md_node_value(n, P_DURATION);
    p->clock.length = duration > 0 ? mdi_gen_frames(duration, rate) : last_end;

    if (p->wave == W_PLUCK && count > 0) {
        p->line_cap = (unsigned)ceil(rate / min_freq) + 2;
        p->lines = md_aligned_alloc((size_t)MAX_VOICES * p->line_cap * sizeof(float));
        if (!p->lines) {
            synth_release(n);
            return md_error_set(err, MD_ERR_NOMEM, "synth: out of memory");
        }
    }
    if (p->wave == W_SAW || p->wave == W_SQUARE || p->wave == W_TRIANGLE)
        mdi_blep_init(&p->blep);
    out->channels = (unsigned)md_node_value(n, P_CHANNELS);
    return MD_OK;
}

static void synth_reset(md_node *n)
{
    synth_priv *p = md_node_priv(n);
    p->clock.pos = 0;
    p->next = 0;
    p->serial = 0;
    memset(p->voices, 0, sizeof p->voices);
}

/* ADSR before the release, k frames after the start: linear segments; the
 * attack's first frame is already 1/attack so a note's first frame sounds. */
static double env_gate(const synth_priv *p, int64_t k)
{
    if (k < p->attack)
        return (double)(k + 1) / (double)p->attack;
    k -= p->attack;
    if (k < p->decay)
        return 1.0 - (1.0 - p->sustain) * (double)(k + 1) / (double)p->decay;
    return p->sustain;
}

static double envelope(const synth_priv *p, const voice *v, int64_t k)
{
    if (k < v->gate)
        return env_gate(p, k);
    int64_t j = k - v->gate;
    return v->rel_level * (1.0 - (double)(j + 1) / (double)p->release);
}

/* RBJ cookbook highpass (R. Bristow-Johnson, "Cookbook formulae for audio EQ
 * biquad filter coefficients"), Q = 0.7071. */
static void hat_filter(const synth_priv *p, voice *v, double f0)
{
    if (f0 > 0.45 * p->rate_hz)
        f0 = 0.45 * p->rate_hz;
    double w0 = 2.0 * M_PI * f0 / p->rate_hz, cw = cos(w0);
    double alpha = sin(w0) / (2.0 * M_SQRT1_2), a0 = 1.0 + alpha;
    v->bq_b0 = (1.0 + cw) / 2.0 / a0;
    v->bq_b1 = -(1.0 + cw) / a0;
    v->bq_b2 = v->bq_b0;
    v->bq_a1 = -2.0 * cw / a0;
    v->bq_a2 = (1.0 - alpha) / a0;
}

static void start_voice(synth_priv *p, const note_ev *e)
{
    voice *v = NULL;
    for (unsigned i = 0; i < MAX_VOICES && !v; i++)
        if (!p->voices[i].active)
            v = &p->voices[i];
    if (!v) { /* steal the oldest */
        v = &p->voices[0];
        for (unsigned i = 1; i < MAX_VOICES; i++)
            if (p->voices[i].serial < v->serial)
                v = &p->voices[i];
    }
    unsigned slot = (unsigned)(v - p->voices);
    double rate = p->rate_hz;
    memset(v, 0, sizeof *v);
    v->active = 1;
    v->ev = e;
    v->serial = p->serial++;
    v->gate = e->off - e->on;
    v->rel_level = env_gate(p, v->gate - 1);
    v->end = e->off + p->release;
    v->inc1 = e->freq / rate;
    v->inc2 = v->inc1 * p->detune_ratio;
    v->rng = mdi_rng_seed(p->seed, e->key);

    switch (p->wave) {
    case W_KICK: {
        double f_end = e->freq_set ? e->freq : KICK_END_HZ;
        v->inc1 = f_end / rate;
        v->pitch = f_end * (KICK_START_RATIO - 1.0) / rate;
        v->pitch_mul = exp(-1.0 / (KICK_PITCH_TAU * rate));
        v->amp1 = 1.0;
        v->amp1_mul = exp(-1.0 / (KICK_AMP_TAU * rate));
        break;
    }
    case W_SNARE:
        v->inc1 = (e->freq_set ? e->freq : SNARE_TONE_HZ) / rate;
        v->amp1 = 1.0;
        v->amp1_mul = exp(-1.0 / (SNARE_TONE_TAU * rate));
        v->amp2 = 1.0;
        v->amp2_mul = exp(-1.0 / (SNARE_NOISE_TAU * rate));
        v->hp_a = 1.0 - exp(-2.0 * M_PI * SNARE_NOISE_HP_HZ / rate);
        break;
    case W_HAT:
        hat_filter(p, v, e->freq_set ? e->freq : HAT_HP_HZ);
        v->amp1 = 1.0;
        v->amp1_mul = exp(-1.0 / (HAT_TAU * rate));
        break;
    case W_PLUCK: {
        /* Karplus-Strong with Jaffe and Smith's tuning ("Extensions of the
         * Karplus-Strong plucked-string algorithm", CMJ 1983): the loop is
         * len frames + 0.5 (two-point average) + d (first-order allpass), so
         * the pitch is exact: len + 0.5 + d = rate / freq, 0.1 <= d < 1.1 */
        double period = rate / e->freq;
        unsigned len = (unsigned)floor(period - 0.6);
        if (len < 1)
            len = 1;
        double d = period - 0.5 - len;
        v->line = p->lines + (size_t)slot * p->line_cap;
        v->len = len;
        v->ap_c = (1.0 - d) / (1.0 + d);
        v->ks_gain = pow(10.0, -3.0 / (PLUCK_T60_S * e->freq));
        double mean = 0.0;
        for (unsigned i = 0; i < len; i++) {
            v->line[i] = mdi_rng_uniform(&v->rng);
            mean += v->line[i];
        }
        mean /= len;
        for (unsigned i = 0; i < len; i++)
            v->line[i] -= (float)mean;
        break;
    }
    default:
        break;
    }
    if (p->wave == W_SAW || p->wave == W_SQUARE || p->wave == W_TRIANGLE)
        v->ph = mdi_blep_start_phase(p->wave - W_SAW);
}

/* The raw sound of a voice, k frames after its start. */
static double voice_raw(synth_priv *p, voice *v, int64_t k)
{
    switch (p->wave) {
    case W_SINE: {
        double c1 = (double)(k + 1) * v->inc1, s = sin(2.0 * M_PI * (c1 - floor(c1)));
        if (p->detune) {
            double c2 = (double)(k + 1) * v->inc2;
            s = 0.5 * (s + sin(2.0 * M_PI * (c2 - floor(c2))));
        }
        return s;
    }
    case W_SAW:
    case W_SQUARE:
    case W_TRIANGLE: {
        int shape = p->wave - W_SAW;
        double s = mdi_blep_osc(&p->blep, shape, v->ph + (double)(k + 1) * v->inc1, v->inc1, v->ph);
        if (p->detune)
            s = 0.5 * (s + mdi_blep_osc(&p->blep, shape, v->ph + (double)(k + 1) * v->inc2, v->inc2,
                                        v->ph));
        return s;
    }
    case W_NOISE:
        return mdi_rng_uniform(&v->rng);
    case W_KICK: {
        /* sine whose pitch falls exponentially from 150/45 x the end pitch */
        v->ph += v->inc1 + v->pitch;
        v->ph -= floor(v->ph);
        v->pitch *= v->pitch_mul;
        double s = v->amp1 * sin(2.0 * M_PI * v->ph);
        v->amp1 *= v->amp1_mul;
        return s;
    }
    case W_SNARE: {
        /* a decaying tone plus a longer burst of one-pole high-passed noise */
        v->ph += v->inc1;
        v->ph -= floor(v->ph);
        double x = mdi_rng_uniform(&v->rng);
        v->hp_lp += v->hp_a * (x - v->hp_lp);
        double s = 0.5 * v->amp1 * sin(2.0 * M_PI * v->ph) + 0.7 * v->amp2 * (x - v->hp_lp);
        v->amp1 *= v->amp1_mul;
        v->amp2 *= v->amp2_mul;
        return s;
    }
    case W_HAT: {
        double x = mdi_rng_uniform(&v->rng);
        double y = v->bq_b0 * x + v->bq_s1;
        v->bq_s1 = v->bq_b1 * x - v->bq_a1 * y + v->bq_s2;
        v->bq_s2 = v->bq_b2 * x - v->bq_a2 * y;
        double s = v->amp1 * y;
        v->amp1 *= v->amp1_mul;
        return s;
    }
    default: { /* pluck */
        double s = v->line[v->pos];
        double avg = 0.5 * (s + v->ks_prev);
        v->ks_prev = s;
        double y = v->ap_c * avg + v->ap_x1 - v->ap_c * v->ap_y1;
        v->ap_x1 = avg;
        v->ap_y1 = y;
        v->line[v->pos] = (float)(v->ks_gain * y);
        if (++v->pos == v->len)
            v->pos = 0;
        return s;
    }
    }
}

/* Adds frames [from, to) of voice v to y; frees the voice at its end. */
static void render_voice(synth_priv *p, voice *v, float *y, unsigned from, unsigned to)
{
    int64_t start = v->ev->on;
    float amp = (float)(p->level * v->ev->vel);
    for (unsigned i = from; i < to; i++) {
        int64_t t = p->clock.pos + i;
        if (t >= v->end) {
            v->active = 0;
            return;
        }
        int64_t k = t - start;
        double s = voice_raw(p, v, k);
        if (p->lowpass) {
            double v3 = s - v->ic2;
            double v1 = p->svf_a1 * v->ic1 + p->svf_a2 * v3;
            double v2 = v->ic2 + p->svf_a2 * v->ic1 + p->svf_a3 * v3;
            v->ic1 = 2.0 * v1 - v->ic1;
            v->ic2 = 2.0 * v2 - v->ic2;
            s = v2;
        }
        y[i] += amp * (float)(s * envelope(p, v, k));
    }
    if (p->clock.pos + to >= v->end)
        v->active = 0;
}

static unsigned synth_generate(md_node *n, float *const *out, unsigned frames, md_error *err)
{
    synth_priv *p = md_node_priv(n);
    unsigned channels = md_node_out(n)->channels;
    unsigned real = mdi_gen_real(&p->clock, frames);
    float *y = out[0];
    (void)err;
    memset(y, 0, (size_t)frames * sizeof(float));
    unsigned i = 0;
    while (i < real) {
        int64_t t = p->clock.pos + i;
        while (p->next < p->nev && p->ev[p->next].on <= t)
            start_voice(p, &p->ev[p->next++]);
        unsigned seg = real;
        if (p->next < p->nev && p->ev[p->next].on < p->clock.pos + real)
            seg = (unsigned)(p->ev[p->next].on - p->clock.pos);
        for (unsigned v = 0; v < MAX_VOICES; v++)
            if (p->voices[v].active)
                render_voice(p, &p->voices[v], y, i, seg);
        i = seg;
    }
    for (unsigned c = 1; c < channels; c++)
        memcpy(out[c], y, (size_t)frames * sizeof(float));
    p->clock.pos += real;
    return real;
}

static int64_t synth_length(const md_node *n)
{
    const synth_priv *p = md_node_priv(n);
    return p->clock.length;
}

const md_node_vtable md_node_synth = {
    .name = "synth",
    .doc = "A small polyphonic synthesizer playing a list of notes {time, dur, freq, vel}: "
           "band-limited sine, saw, square and triangle (optionally with a detuned second "
           "oscillator), noise, kick, snare, hat and a plucked string; an ADSR envelope and "
           "an optional lowpass on each voice; up to 32 voices at once (the oldest is cut).",
    .params = synth_params,
    .priv_size = sizeof(synth_priv),
    .flags = MD_NODE_SOURCE,
    .inputs = 0,
    .prepare = synth_prepare,
    .reset = synth_reset,
    .release = synth_release,
    .generate = synth_generate,
    .length = synth_length,
};
