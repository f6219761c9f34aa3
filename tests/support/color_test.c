/* color_test.c - see color_test.h. */
#include "color_test.h"
#include <criterion/criterion.h>
#include <kiss_fftr.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANGE_AT 28672u /* 7 x 4096: a block start for blocks of 1, 7, 64 and 4096 */

color_sig color_sig_new(unsigned ch, unsigned frames)
{
    color_sig s;
    memset(&s, 0, sizeof s);
    cr_assert(ch >= 1 && ch <= COLOR_MAX_CH);
    s.ch = ch;
    s.frames = frames;
    for (unsigned c = 0; c < ch; c++) {
        s.x[c] = calloc(frames ? frames : 1, sizeof(float));
        cr_assert_not_null(s.x[c]);
    }
    return s;
}

void color_sig_free(color_sig *s)
{
    for (unsigned c = 0; c < COLOR_MAX_CH; c++)
        free(s->x[c]);
    memset(s, 0, sizeof *s);
}

color_sig color_sig_copy(const color_sig *s)
{
    color_sig d = color_sig_new(s->ch, s->frames);
    for (unsigned c = 0; c < s->ch; c++)
        memcpy(d.x[c], s->x[c], sizeof(float) * s->frames);
    return d;
}

md_node *color_make(const char *name, unsigned ch, double rate, const char *const *set)
{
    md_error err = {0};
    const md_node_vtable *vt = md_node_lookup(name);
    cr_assert_not_null(vt, "node type %s is registered", name);
    md_node *n = md_node_create(vt, &err);
    cr_assert_not_null(n, "%s", err.msg);
    for (unsigned i = 0; set && set[i]; i++) {
        char key[64];
        const char *eq = strchr(set[i], '=');
        cr_assert_not_null(eq);
        snprintf(key, sizeof key, "%.*s", (int)(eq - set[i]), set[i]);
        char *end;
        double v = strtod(eq + 1, &end);
        md_status s = (end != eq + 1 && *end == '\0') ? md_node_set_number(n, key, v, &err)
                                                      : md_node_set_string(n, key, eq + 1, &err);
        cr_assert_eq(s, MD_OK, "%s: set %s: %s", name, set[i], err.msg);
    }
    md_stream st = {rate, ch, COLOR_MAX_BLOCK};
    cr_assert_eq(md_node_prepare(n, &st, &err), MD_OK, "%s: prepare: %s", name, err.msg);
    return n;
}

void color_run(md_node *n, const color_sig *in, color_sig *out, unsigned block,
               color_change_fn change, unsigned change_at)
{
    const float *ip[COLOR_MAX_CH];
    float *op[COLOR_MAX_CH];
    for (unsigned pos = 0; pos < in->frames; pos += block) {
        unsigned len = in->frames - pos < block ? in->frames - pos : block;
        if (change && pos == change_at)
            change(n);
        for (unsigned c = 0; c < in->ch; c++) {
            ip[c] = in->x[c] + pos;
            op[c] = out->x[c] + pos;
        }
        md_node_run(n, ip, op, len);
    }
}

double *color_spectrum(const float *x, unsigned n)
{
    kiss_fftr_cfg cfg = kiss_fftr_alloc((int)n, 0, NULL, NULL);
    float *w = malloc(sizeof(float) * n);
    kiss_fft_cpx *f = malloc(sizeof(kiss_fft_cpx) * (n / 2 + 1));
    double *p = malloc(sizeof(double) * (n / 2 + 1));
    cr_assert(cfg && w && f && p);
    for (unsigned i = 0; i < n; i++) {
        /* 4-term Blackman-Harris (F. J. Harris, Proc. IEEE 66(1), 1978): -92 dB sidelobes */
        double t = 2.0 * M_PI * i / n;
        double win = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
        w[i] = (float)(x[i] * win);
    }
    kiss_fftr(cfg, w, f);
    for (unsigned k = 0; k <= n / 2; k++)
        p[k] = (double)f[k].r * f[k].r + (double)f[k].i * f[k].i;
    kiss_fftr_free(cfg);
    free(w);
    free(f);
    return p;
}

static double win_energy(unsigned n)
{
    double e = 0;
    for (unsigned i = 0; i < n; i++) {
        double t = 2.0 * M_PI * i / n;
        double win = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
        e += win * win;
    }
    return e;
}

/* energy of the line at bin k0: the main lobe (+-4 bins) and a little more */
static double line_energy(const double *p, unsigned n, long k0)
{
    double e = 0;
    for (long k = k0 - 5; k <= k0 + 5; k++)
        if (k >= 0 && k <= (long)n / 2)
            e += p[k];
    return e;
}

double color_line_db(const float *x, unsigned n, double f, double rate)
{
    double *p = color_spectrum(x, n);
    double e = line_energy(p, n, lround(f * n / rate));
    free(p);
    /* one-sided: sum |X_k|^2 = (n / 2) (A^2 / 2) sum w^2 */
    double a2 = 4.0 * e / ((double)n * win_energy(n));
    return 10.0 * log10(a2 + 1e-300);
}

double color_alias_db(const float *x, unsigned n, double f0, double rate, double guard_hz,
                      double *where_hz)
{
    double *p = color_spectrum(x, n);
    double bin = rate / n;
    double fund = line_energy(p, n, lround(f0 / bin));
    double worst = 0, worst_hz = 0;
    for (unsigned k = 1; k + 1 <= n / 2; k++) {
        double f = k * bin, h = f / f0;
        if (fabs(h - round(h)) * f0 < guard_hz)
            continue;
        double e = p[k - 1] + p[k] + p[k + 1]; /* 3 bins: scalloping under 0.1 dB */
        if (e > worst) {
            worst = e;
            worst_hz = f;
        }
    }
    free(p);
    if (where_hz)
        *where_hz = worst_hz;
    return 10.0 * log10(worst / fund + 1e-300);
}

/* --- contract ----------------------------------------------------------------- */

static int same(const color_sig *a, const color_sig *b, unsigned *at, unsigned *ch)
{
    for (unsigned c = 0; c < a->ch; c++)
        for (unsigned i = 0; i < a->frames; i++)
            if (memcmp(&a->x[c][i], &b->x[c][i], sizeof(float)) != 0) {
                *at = i;
                *ch = c;
                return 0;
            }
    return 1;
}

void color_contract(const char *what, color_make_fn make, color_change_fn change,
                    const color_sig *input)
{
    unsigned at = 0, ch = 0;
    cr_assert(input->frames % CHANGE_AT == 0 && input->frames >= 2 * CHANGE_AT);

    /* frames = 0 does nothing */
    md_node *n = make();
    float dummy[COLOR_MAX_CH] = {0};
    const float *ip[COLOR_MAX_CH] = {&dummy[0], &dummy[1]};
    float *op[COLOR_MAX_CH] = {&dummy[0], &dummy[1]};
    md_node_run(n, ip, op, 0);
    md_node_destroy(n);

    /* block sizes, parameter change included */
    color_sig ref = color_sig_new(input->ch, input->frames);
    n = make();
    color_run(n, input, &ref, COLOR_MAX_BLOCK, change, CHANGE_AT);
    md_node_destroy(n);
    static const unsigned blocks[] = {1, 7, 64};
    for (unsigned b = 0; b < 3; b++) {
        color_sig out = color_sig_new(input->ch, input->frames);
        n = make();
        color_run(n, input, &out, blocks[b], change, CHANGE_AT);
        md_node_destroy(n);
        cr_assert(same(&ref, &out, &at, &ch),
                  "%s: blocks of %u differ from blocks of 4096 at frame %u, channel %u", what,
                  blocks[b], at, ch);
        color_sig_free(&out);
    }

    /* in-place equals out-of-place */
    color_sig inplace = color_sig_copy(input);
    n = make();
    color_run(n, &inplace, &inplace, 64, change, CHANGE_AT);
    md_node_destroy(n);
    cr_assert(same(&ref, &inplace, &at, &ch), "%s: in-place differs at frame %u, channel %u", what,
              at, ch);
    color_sig_free(&inplace);

    /* reset, then the same run again: bit-identical */
    color_sig a = color_sig_new(input->ch, input->frames);
    color_sig b = color_sig_new(input->ch, input->frames);
    n = make();
    color_run(n, input, &a, 64, NULL, 0);
    md_node_reset(n);
    color_run(n, input, &b, 64, NULL, 0);
    cr_assert(same(&a, &b, &at, &ch), "%s: a rerun after reset differs at frame %u, channel %u",
              what, at, ch);
    color_sig_free(&a);
    color_sig_free(&b);

    /* latency: an impulse (-20 dBFS) on every channel comes out latency() late */
    unsigned lat = md_node_latency(n);
    md_node_destroy(n);
    color_sig imp = color_sig_new(input->ch, 8192);
    color_sig iout = color_sig_new(input->ch, 8192);
    for (unsigned c = 0; c < input->ch; c++)
        imp.x[c][1000] = c == 0 ? 0.1f : 0.05f;
    n = make();
    color_run(n, &imp, &iout, 64, NULL, 0);
    md_node_destroy(n);
    unsigned peak = 0;
    for (unsigned i = 0; i < iout.frames; i++)
        if (fabsf(iout.x[0][i]) > fabsf(iout.x[0][peak]))
            peak = i;
    cr_assert_eq(peak, 1000 + lat, "%s: impulse at 1000 peaks at %u, latency() says %u", what, peak,
                 lat);
    color_sig_free(&imp);
    color_sig_free(&iout);

    /* tail: after tail() frames of silence the output is below -120 dBFS */
    n = make();
    unsigned tail = md_node_tail(n);
    color_sig t = color_sig_new(input->ch, CHANGE_AT + tail + 4096);
    color_sig tout = color_sig_new(input->ch, t.frames);
    for (unsigned c = 0; c < input->ch; c++)
        memcpy(t.x[c], input->x[c], sizeof(float) * CHANGE_AT);
    color_run(n, &t, &tout, COLOR_MAX_BLOCK, NULL, 0);
    md_node_destroy(n);
    double worst = 0;
    for (unsigned c = 0; c < input->ch; c++)
        for (unsigned i = CHANGE_AT + tail; i < tout.frames; i++)
            worst = fmax(worst, fabs(tout.x[c][i]));
    cr_assert(worst < 1e-6, "%s: %g after tail() = %u frames of silence", what, worst, tail);
    fprintf(stderr, "[color] %s: contract ok, latency %u, tail %u frames\n", what, lat, tail);
    color_sig_free(&t);
    color_sig_free(&tout);
    color_sig_free(&ref);
}

/* --- parameter ranges ----------------------------------------------------------- */

static void expect_prepare(const md_node_vtable *vt, unsigned ch, double rate, const char *param,
                           double v, const char *choice)
{
    md_error err = {0};
    md_node *n = md_node_create(vt, &err);
    cr_assert_not_null(n);
    md_status s =
        choice ? md_node_set_string(n, param, choice, &err) : md_node_set_number(n, param, v, &err);
    cr_assert_eq(s, MD_OK, "%s: %s = %g/%s refused: %s", vt->name, param, v, choice ? choice : "",
                 err.msg);
    md_stream st = {rate, ch, 512};
    cr_assert_eq(md_node_prepare(n, &st, &err), MD_OK, "%s: %s = %g/%s does not prepare: %s",
                 vt->name, param, v, choice ? choice : "", err.msg);
    float buf[COLOR_MAX_CH][512];
    memset(buf, 0, sizeof buf);
    buf[0][3] = 0.5f;
    float *p[COLOR_MAX_CH] = {buf[0], buf[1]};
    md_node_run(n, (const float *const *)p, p, 512);
    for (unsigned c = 0; c < ch; c++)
        for (unsigned i = 0; i < 512; i++)
            cr_assert(isfinite(buf[c][i]), "%s: %s = %g/%s gives non-finite output", vt->name,
                      param, v, choice ? choice : "");
    md_node_destroy(n);
}

static void expect_refused(const md_node_vtable *vt, const char *param, double v,
                           const char *choice)
{
    md_error err = {0};
    md_node *n = md_node_create(vt, &err);
    cr_assert_not_null(n);
    md_status s =
        choice ? md_node_set_string(n, param, choice, &err) : md_node_set_number(n, param, v, &err);
    cr_assert_eq(s, MD_ERR_INVALID, "%s: %s = %g/%s accepted", vt->name, param, v,
                 choice ? choice : "");
    char want[96];
    snprintf(want, sizeof want, "%s: %s", vt->name, param);
    cr_assert(strstr(err.msg, want) == err.msg, "message '%s' should start with '%s'", err.msg,
              want);
    md_node_destroy(n);
}

void color_check_params(const char *name, unsigned ch, double rate)
{
    const md_node_vtable *vt = md_node_lookup(name);
    cr_assert_not_null(vt, "node type %s is registered", name);
    /* the defaults */
    md_error err = {0};
    md_node *n = md_node_create(vt, &err);
    md_stream st = {rate, ch, 512};
    cr_assert_eq(md_node_prepare(n, &st, &err), MD_OK, "%s: defaults: %s", name, err.msg);
    md_node_destroy(n);
    for (unsigned i = 0; vt->params[i].name; i++) {
        const md_param_desc *p = &vt->params[i];
        switch (p->type) {
        case MD_PT_NUMBER:
        case MD_PT_INT: {
            double step = p->type == MD_PT_INT ? 1.0 : fmax(1e-6, (p->max - p->min) * 1e-3);
            expect_prepare(vt, ch, rate, p->name, p->min, NULL);
            expect_prepare(vt, ch, rate, p->name, p->max, NULL);
            expect_prepare(vt, ch, rate, p->name, p->def, NULL);
            expect_refused(vt, p->name, p->min - step, NULL);
            expect_refused(vt, p->name, p->max + step, NULL);
            expect_refused(vt, p->name, NAN, NULL);
            if (p->type == MD_PT_INT)
                expect_refused(vt, p->name, p->min + 0.5, NULL);
            break;
        }
        case MD_PT_ENUM:
            for (unsigned c = 0; p->choices[c]; c++)
                expect_prepare(vt, ch, rate, p->name, 0, p->choices[c]);
            expect_refused(vt, p->name, 0, "no-such-choice");
            break;
        case MD_PT_BOOL:
            expect_prepare(vt, ch, rate, p->name, 0, NULL);
            expect_prepare(vt, ch, rate, p->name, 1, NULL);
            expect_refused(vt, p->name, 0.5, NULL);
            break;
        default:
            break;
        }
    }
}
