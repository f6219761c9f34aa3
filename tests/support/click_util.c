/* click_util.c - see click_util.h. */
#include "click_util.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double urand(uint64_t *s)
{
    /* xorshift64*: uniform in [0, 1) */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

void click_chord(float *x, unsigned frames, double rate_hz)
{
    static const double notes[3] = {220.0, 277.18, 329.63};
    double peak = 0.0;
    for (unsigned i = 0; i < frames; i++) {
        double t = i / rate_hz, v = 0.0;
        for (int n = 0; n < 3; n++)
            for (int k = 1; k <= 6; k++)
                v += sin(2.0 * M_PI * notes[n] * k * t + 0.7 * n * k) / k;
        v *= 1.0 + 0.3 * sin(2.0 * M_PI * 0.5 * t);
        x[i] = (float)v;
        if (fabs(v) > peak)
            peak = fabs(v);
    }
    /* 10 ms raised-cosine fades: music does not start or stop with a step */
    const double g = pow(10.0, -12.0 / 20.0) / peak, fade = 0.01 * rate_hz;
    for (unsigned i = 0; i < frames; i++) {
        double d = i < frames - 1 - i ? i : frames - 1 - i;
        x[i] = (float)(x[i] * g * (d < fade ? 0.5 - 0.5 * cos(M_PI * d / fade) : 1.0));
    }
}

void click_insert(float *x, unsigned frames, double rate_hz, unsigned count, uint64_t seed,
                  click_event *ev)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    const unsigned slot = frames / count, margin = (unsigned)(0.01 * rate_hz);
    cr_assert(slot > 2 * margin + 20, "click_insert: slots too short");
    for (unsigned c = 0; c < count; c++) {
        click_event *e = &ev[c];
        e->len = 1 + (unsigned)(urand(&s) * 20.0);
        e->pos = c * slot + margin + (unsigned)(urand(&s) * (slot - 2 * margin - e->len));
        e->amp = 0.2 + 0.7 * urand(&s);
        e->shape = (int)(urand(&s) * 4.0);
        const double sign = urand(&s) < 0.5 ? -1.0 : 1.0;
        const double cyc = 0.15 + 0.3 * urand(&s); /* ring frequency, cycles per frame */
        float w[20];
        double pk = 0.0;
        for (unsigned i = 0; i < e->len; i++) {
            double t = (i + 0.5) / e->len, v;
            switch (e->shape) {
            case 0:
                v = 1.0;
                break;
            case 1:
                v = sin(M_PI * t);
                break;
            case 2:
                v = exp(-3.0 * t) * cos(2.0 * M_PI * cyc * i);
                break;
            default:
                v = 2.0 * urand(&s) - 1.0;
                break;
            }
            w[i] = (float)v;
            if (fabs(v) > pk)
                pk = fabs(v);
        }
        e->energy = 0.0;
        for (unsigned i = 0; i < e->len; i++) {
            double v = sign * e->amp * w[i] / pk;
            x[e->pos + i] += (float)v;
            e->energy += v * v;
        }
    }
}

static void set_num(md_node *n, const char *name, double v)
{
    md_error e;
    cr_assert_eq(md_node_set_number(n, name, v, &e), MD_OK, "%s", e.msg);
}

/* renders one synth voice type with notes {time, dur, freq, vel} and adds it to acc */
static void add_synth(float *acc, unsigned frames, double rate_hz, const char *wave, double db,
                      unsigned count, const double (*notes)[4], uint64_t seed)
{
    md_error e;
    md_node *n = md_node_create(md_node_lookup("synth"), &e);
    cr_assert(n, "%s", e.msg);
    cr_assert_eq(md_node_set_string(n, "wave", wave, &e), MD_OK, "%s", e.msg);
    set_num(n, "db", db);
    set_num(n, "duration", frames / rate_hz);
    set_num(n, "seed", (double)seed);
    cr_assert_eq(md_node_set_list_count(n, "notes", count, &e), MD_OK, "%s", e.msg);
    static const char *const fields[4] = {"time", "dur", "freq", "vel"};
    for (unsigned i = 0; i < count; i++)
        for (int f = 0; f < 4; f++)
            cr_assert_eq(md_node_set_item_number(n, "notes", i, fields[f], notes[i][f], &e), MD_OK,
                         "%s", e.msg);
    md_stream st = {rate_hz, 0, 4096};
    cr_assert_eq(md_node_prepare(n, &st, &e), MD_OK, "%s", e.msg);
    const md_node_vtable *vt = md_node_type(n);
    unsigned och = md_node_out(n)->channels;
    float *buf[8];
    cr_assert(och >= 1 && och <= 8);
    for (unsigned c = 0; c < och; c++)
        buf[c] = malloc(sizeof(float) * 4096);
    for (unsigned pos = 0; pos < frames;) {
        unsigned want = frames - pos < 4096 ? frames - pos : 4096;
        unsigned got = vt->generate(n, buf, want, &e);
        for (unsigned i = 0; i < want; i++)
            acc[pos + i] += buf[0][i];
        pos += want;
        if (got < want)
            break;
    }
    for (unsigned c = 0; c < och; c++)
        free(buf[c]);
    md_node_destroy(n);
}

void click_drum_loop(float *const *out, unsigned channels, unsigned frames, double rate_hz)
{
    const double beat = 0.5, secs = frames / rate_hz;
    unsigned nb = (unsigned)(secs / beat) + 1;
    double(*kick)[4] = calloc(nb, sizeof *kick);
    double(*snare)[4] = calloc(nb, sizeof *snare);
    double(*hat)[4] = calloc(4 * nb, sizeof *hat);
    unsigned nk = 0, ns = 0, nh = 0;
    for (unsigned b = 0; b < nb; b++) {
        double t = b * beat;
        if (t >= secs)
            break;
        kick[nk][0] = t, kick[nk][1] = 0.3, kick[nk][2] = 50, kick[nk][3] = 1.0, nk++;
        if (b % 2 == 1)
            snare[ns][0] = t, snare[ns][1] = 0.2, snare[ns][2] = 180, snare[ns][3] = 0.9, ns++;
        int ghost = (b / 4) % 2 == 1; /* every other bar: sixteenths */
        for (int h = 0; h < (ghost ? 4 : 2); h++) {
            double th = t + h * beat / (ghost ? 4 : 2);
            if (th >= secs)
                break;
            hat[nh][0] = th, hat[nh][1] = 0.05, hat[nh][2] = 8000;
            hat[nh][3] = h == 0 ? 0.7 : 0.45;
            nh++;
        }
    }
    float *mono = calloc(frames, sizeof(float));
    add_synth(mono, frames, rate_hz, "kick", -6, nk, (const double(*)[4])kick, 1);
    add_synth(mono, frames, rate_hz, "snare", -13, ns, (const double(*)[4])snare, 1);
    add_synth(mono, frames, rate_hz, "hat", -20, nh, (const double(*)[4])hat, 2);
    for (unsigned c = 0; c < channels; c++)
        memcpy(out[c], mono, sizeof(float) * frames);
    free(mono);
    free(kick);
    free(snare);
    free(hat);
}

void click_process(md_node *n, float *const *in, float *const *out, unsigned channels,
                   unsigned frames, unsigned block)
{
    const unsigned lat = md_node_latency(n), total = frames + lat;
    float *ib[8], *ob[8];
    cr_assert(channels <= 8);
    for (unsigned c = 0; c < channels; c++) {
        ib[c] = calloc(block, sizeof(float));
        ob[c] = calloc(block, sizeof(float));
    }
    for (unsigned pos = 0; pos < total; pos += block) {
        unsigned f = total - pos < block ? total - pos : block;
        for (unsigned c = 0; c < channels; c++)
            for (unsigned i = 0; i < f; i++)
                ib[c][i] = pos + i < frames ? in[c][pos + i] : 0.0f;
        md_node_run(n, (const float *const *)ib, ob, f);
        for (unsigned c = 0; c < channels; c++)
            for (unsigned i = 0; i < f; i++)
                if (pos + i >= lat)
                    out[c][pos + i - lat] = ob[c][i];
    }
    for (unsigned c = 0; c < channels; c++) {
        free(ib[c]);
        free(ob[c]);
    }
}

md_node *click_node(const char *type, const char *spec, unsigned channels, double rate_hz,
                    unsigned max_frames)
{
    md_error e;
    const md_node_vtable *vt = md_node_lookup(type);
    cr_assert(vt, "no node type %s", type);
    md_node *n = md_node_create(vt, &e);
    cr_assert(n, "%s", e.msg);
    char buf[256];
    strncpy(buf, spec ? spec : "", sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        cr_assert(eq, "bad setting %s", tok);
        *eq = 0;
        char *end;
        double v = strtod(eq + 1, &end);
        md_status s = *end == 0 && end != eq + 1 ? md_node_set_number(n, tok, v, &e)
                                                 : md_node_set_string(n, tok, eq + 1, &e);
        cr_assert_eq(s, MD_OK, "%s", e.msg);
    }
    md_stream st = {rate_hz, channels, max_frames};
    cr_assert_eq(md_node_prepare(n, &st, &e), MD_OK, "%s", e.msg);
    return n;
}

double click_err_db(const float *a, const float *b, unsigned from, unsigned to, double ref_energy)
{
    double s = 0.0;
    for (unsigned i = from; i < to; i++) {
        double d = (double)a[i] - b[i];
        s += d * d;
    }
    return 10.0 * log10(s / ref_energy);
}

void click_clip(float *x, unsigned frames, float level)
{
    for (unsigned i = 0; i < frames; i++)
        x[i] = x[i] > level ? level : x[i] < -level ? -level : x[i];
}
