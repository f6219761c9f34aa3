/* test_node_contract.c - one contract every registered processor keeps:
 *   - output independent of block size (1, 7, 64, 4096), a parameter change
 *     mid-stream included;
 *   - reset() then a rerun is bit-identical;
 *   - reported latency equals the measured delay of an impulse;
 *   - after the input ends, output is below -120 dBFS once latency + tail
 *     frames have passed;
 *   - process() calls no malloc/calloc/realloc/free, no mutex, no read/write
 *     (interposed here; skipped under AddressSanitizer, which owns malloc);
 *   - frames = 0 is harmless; every parameter's min, max and default prepare.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mixdown/md.h"

#if defined(__SANITIZE_ADDRESS__)
#define INTERPOSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INTERPOSE 0
#endif
#endif
#ifndef INTERPOSE
#define INTERPOSE 1
#endif

static volatile int in_process;
static volatile int forbidden_calls;
static char forbidden_what[64];

static void note_forbidden(const char *what)
{
    if (in_process) {
        if (!forbidden_calls)
            strncpy(forbidden_what, what, sizeof forbidden_what - 1);
        forbidden_calls++;
    }
}

#if INTERPOSE
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n) { note_forbidden("malloc"); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { note_forbidden("calloc"); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { note_forbidden("realloc"); return __libc_realloc(p, n); }
void free(void *p) { note_forbidden("free"); __libc_free(p); }
int pthread_mutex_lock(pthread_mutex_t *m)
{
    static int (*real)(pthread_mutex_t *);
    note_forbidden("pthread_mutex_lock");
    if (!real)
        real = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    return real(m);
}
ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*real)(int, void *, size_t);
    note_forbidden("read");
    if (!real)
        real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    return real(fd, buf, n);
}
ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    note_forbidden("write");
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    return real(fd, buf, n);
}
#endif

#define RATE 44100.0
#define CH 2
#define MAXF 4096u
#define CHANGE_AT 28672u /* a multiple of every block size tried */
#define LEN (2 * CHANGE_AT)

/* Settings that make a node's contract measurable (e.g. a delay's dry path). */
static void configure(md_node *n)
{
    md_error e;
    const char *name = md_node_name(n);
    if (strcmp(name, "delay") == 0)
        md_node_set_number(n, "mix", 0.3, &e);
    if (strcmp(name, "gate") == 0)
        md_node_set_number(n, "range", 0, &e); /* a closed gate would swallow the impulse */
    if (strcmp(name, "resample") == 0)
        md_node_set_number(n, "rate", 48000, &e);
    if (strcmp(name, "declick") == 0)
        md_node_set_number(n, "sensitivity", 0, &e); /* a lone impulse is a click: keep it */
}

static int skip_type(const md_node_vtable *vt)
{
    return (vt->flags & (MD_NODE_SOURCE | MD_NODE_SINK | MD_NODE_HIDDEN | MD_NODE_CHANGES_RATE)) ||
           strcmp(vt->name, "mix") == 0;
}

/* the first automatable number parameter, for the mid-stream change */
static int automatable(const md_node_vtable *vt)
{
    for (int i = 0; vt->params[i].name; i++)
        if ((vt->params[i].flags & MD_PARAM_AUTOMATABLE) && vt->params[i].type == MD_PT_NUMBER)
            return i;
    return -1;
}

static void make_input(float *in[CH])
{
    uint64_t s = 12345;
    for (unsigned c = 0; c < CH; c++)
        for (unsigned i = 0; i < LEN; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
            double tone = 0.3 * sin(2 * M_PI * 440.0 * i / RATE + c);
            in[c][i] = (float)(0.25 * u + tone * (i > LEN / 4 ? 1.0 : 0.2));
        }
}

/* Renders the whole input through n in blocks of `block`, changing the
 * automatable parameter at CHANGE_AT. */
static void render(md_node *n, float *in[CH], float *out[CH], unsigned block, int param)
{
    const md_node_vtable *vt = md_node_type(n);
    float *ip[CH], *op[CH];
    md_error e;
    for (unsigned pos = 0; pos < LEN; pos += block) {
        unsigned f = LEN - pos < block ? LEN - pos : block;
        if (pos == CHANGE_AT && param >= 0) {
            const md_param_desc *p = &vt->params[param];
            double v = p->def + 0.25 * (p->max - p->def);
            if (p->flags & MD_PARAM_DB)
                v = p->def - 3;
            if (v < p->min) v = p->min;
            if (v > p->max) v = p->max;
            cr_assert_eq(md_node_set_number(n, p->name, v, &e), MD_OK, "%s", e.msg);
        }
        for (unsigned c = 0; c < CH; c++) {
            ip[c] = in[c] + pos;
            op[c] = out[c] + pos;
        }
        in_process = 1;
        md_node_run(n, (const float *const *)ip, op, f);
        in_process = 0;
    }
}

static md_node *fresh(const md_node_vtable *vt)
{
    md_error e;
    md_node *n = md_node_create(vt, &e);
    cr_assert(n, "%s", e.msg);
    configure(n);
    md_stream st = {RATE, CH, MAXF};
    cr_assert_eq(md_node_prepare(n, &st, &e), MD_OK, "%s: %s", vt->name, e.msg);
    return n;
}

static void alloc2(float *b[CH], unsigned frames)
{
    for (unsigned c = 0; c < CH; c++)
        b[c] = calloc(frames, sizeof(float));
}

static void free2(float *b[CH])
{
    for (unsigned c = 0; c < CH; c++)
        free(b[c]);
}

Test(contract, every_processor_is_block_size_independent_and_resettable)
{
    const md_node_vtable *const *types = md_node_types();
    float *in[CH], *ref[CH], *out[CH];
    alloc2(in, LEN);
    alloc2(ref, LEN);
    alloc2(out, LEN);
    make_input(in);
    int tested = 0;
    for (unsigned t = 0; types[t]; t++) {
        const md_node_vtable *vt = types[t];
        if (skip_type(vt))
            continue;
        int param = automatable(vt);
        md_node *n = fresh(vt);
        unsigned och = md_node_out(n)->channels;
        cr_assert(och >= 1 && och <= CH, "%s: %u output channels", vt->name, och);
        forbidden_calls = 0;
        render(n, in, ref, MAXF, param);
        cr_expect_eq(forbidden_calls, 0, "%s: process() called %s", vt->name, forbidden_what);
        for (unsigned c = 0; c < och; c++)
            for (unsigned i = 0; i < LEN; i++)
                cr_assert(isfinite(ref[c][i]), "%s: non-finite output", vt->name);
        /* reset then rerun: bit-identical (the parameter stays changed, so set it back) */
        md_node_destroy(n);
        n = fresh(vt);
        render(n, in, out, MAXF, param);
        md_node_reset(n);
        md_node_destroy(n);
        static const unsigned blocks[] = {1, 7, 64, 4096};
        for (unsigned b = 0; b < 4; b++) {
            n = fresh(vt);
            render(n, in, out, blocks[b], param);
            for (unsigned c = 0; c < och; c++)
                cr_expect_eq(memcmp(ref[c], out[c], LEN * sizeof(float)), 0,
                             "%s: output with blocks of %u differs from blocks of %u", vt->name,
                             blocks[b], MAXF);
            /* reset(): a second run of the same node matches a fresh one */
            if (blocks[b] == 64) {
                md_node_reset(n);
                /* parameter is at its changed value now: restore the default first */
                if (param >= 0) {
                    md_error e;
                    md_node_set_number(n, vt->params[param].name, vt->params[param].def, &e);
                    md_node_reset(n);
                }
                render(n, in, out, 64, param);
                for (unsigned c = 0; c < och; c++)
                    cr_expect_eq(memcmp(ref[c], out[c], LEN * sizeof(float)), 0,
                                 "%s: reset() then a rerun differs", vt->name);
            }
            md_node_destroy(n);
        }
        /* frames = 0 is harmless */
        n = fresh(vt);
        float *ip[CH] = {in[0], in[1]}, *op[CH] = {out[0], out[1]};
        md_node_run(n, (const float *const *)ip, op, 0);
        md_node_destroy(n);
        tested++;
    }
    cr_assert_geq(tested, 5, "only %d processors registered", tested);
    free2(in);
    free2(ref);
    free2(out);
}

Test(contract, latency_is_the_measured_impulse_delay_and_tail_decays)
{
    const md_node_vtable *const *types = md_node_types();
    float *in[CH], *out[CH];
    alloc2(in, LEN);
    alloc2(out, LEN);
    for (unsigned t = 0; types[t]; t++) {
        const md_node_vtable *vt = types[t];
        if (skip_type(vt))
            continue;
        md_node *n = fresh(vt);
        unsigned lat = md_node_latency(n), tail = md_node_tail(n);
        unsigned och = md_node_out(n)->channels;
        /* impulse at 1000 */
        for (unsigned c = 0; c < CH; c++) {
            memset(in[c], 0, LEN * sizeof(float));
            in[c][1000] = 0.5f;
        }
        render(n, in, out, 512, -1);
        unsigned peak_at = 0;
        float peak = 0;
        for (unsigned i = 0; i < LEN; i++)
            if (fabsf(out[0][i]) > peak) {
                peak = fabsf(out[0][i]);
                peak_at = i;
            }
        cr_expect(peak > 1e-4f, "%s: the impulse vanished", vt->name);
        cr_expect_eq(peak_at, 1000 + lat, "%s: reports latency %u, impulse came out %d frames late",
                     vt->name, lat, (int)peak_at - 1000);
        md_node_destroy(n);

        /* tail: 0.2 s of noise, then silence; after latency + tail: < -120 dBFS */
        if ((uint64_t)tail + lat + 20000 > LEN)
            tail = LEN - lat - 20000; /* a long tail (reverb) is checked as far as we render */
        n = fresh(vt);
        make_input(in);
        for (unsigned c = 0; c < CH; c++)
            memset(in[c] + 8820, 0, (LEN - 8820) * sizeof(float));
        render(n, in, out, 1024, -1);
        unsigned from = 8820 + lat + md_node_tail(n);
        if (from < LEN) {
            float worst = 0;
            for (unsigned c = 0; c < och; c++)
                for (unsigned i = from; i < LEN; i++)
                    if (fabsf(out[c][i]) > worst)
                        worst = fabsf(out[c][i]);
            cr_expect(worst < 1e-6f, "%s: %.1f dBFS left %u frames after the end (tail %u)",
                      vt->name, 20 * log10f(worst), from - 8820, md_node_tail(n));
        }
        md_node_destroy(n);
    }
    free2(in);
    free2(out);
}

Test(contract, every_parameter_prepares_at_min_max_and_default)
{
    const md_node_vtable *const *types = md_node_types();
    for (unsigned t = 0; types[t]; t++) {
        const md_node_vtable *vt = types[t];
        if (skip_type(vt))
            continue;
        for (unsigned i = 0; vt->params[i].name; i++) {
            const md_param_desc *p = &vt->params[i];
            if (p->type != MD_PT_NUMBER && p->type != MD_PT_INT)
                continue;
            double vals[3] = {p->min, p->max, p->def};
            for (int k = 0; k < 3; k++) {
                md_error e;
                md_node *n = md_node_create(vt, &e);
                configure(n);
                if (md_node_set_number(n, p->name, vals[k], &e) != MD_OK)
                    cr_assert_fail("%s: %s = %g refused: %s", vt->name, p->name, vals[k], e.msg);
                md_stream st = {96000, CH, MAXF};
                md_status s = md_node_prepare(n, &st, &e);
                /* a frequency at the top of its range may exceed this rate's Nyquist:
                 * refusing it with a message naming the parameter is correct */
                if (s != MD_OK)
                    cr_expect(strstr(e.msg, p->name) != NULL, "%s: %s = %g: %s", vt->name,
                              p->name, vals[k], e.msg);
                md_node_destroy(n);
            }
            md_error e;
            md_node *n = md_node_create(vt, &e);
            if (p->max < 1e300) {
                cr_expect_neq(md_node_set_number(n, p->name, p->max * 2 + 1, &e), MD_OK,
                              "%s: %s accepts a value over its range", vt->name, p->name);
                cr_expect(strstr(e.msg, p->name), "%s: message does not name %s: %s", vt->name,
                          p->name, e.msg);
            }
            cr_expect_neq(md_node_set_number(n, p->name, NAN, &e) == MD_OK && !(p->flags & MD_PARAM_AUTO), 1,
                          "%s: %s accepts NaN", vt->name, p->name);
            md_node_destroy(n);
        }
    }
}
