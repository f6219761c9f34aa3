/* json_out.c - a small streaming JSON writer (RFC 8259). */
#include "json_out.h"
#include <inttypes.h>
#include <math.h>

void md_json_init(md_json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->after_key = 0;
    j->comma[0] = 0;
}

/* before every value: a comma unless it is the first in its container or
 * the value of a key just written */
static void pre(md_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->comma[j->depth])
        fputc(',', j->f);
    j->comma[j->depth] = 1;
}

static void open_(md_json *j, int c)
{
    pre(j);
    fputc(c, j->f);
    if (j->depth < MD_JSON_MAX_DEPTH)
        j->depth++;
    j->comma[j->depth] = 0;
}

static void close_(md_json *j, int c)
{
    fputc(c, j->f);
    if (j->depth > 0)
        j->depth--;
}

void md_json_begin_object(md_json *j)
{
    open_(j, '{');
}
void md_json_end_object(md_json *j)
{
    close_(j, '}');
}
void md_json_begin_array(md_json *j)
{
    open_(j, '[');
}
void md_json_end_array(md_json *j)
{
    close_(j, ']');
}

/* length of the valid UTF-8 sequence at s (RFC 3629), 0 if invalid */
static int utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static void put_string(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (*s) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            s++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                fputs("\\n", f);
                break;
            case '\r':
                fputs("\\r", f);
                break;
            case '\t':
                fputs("\\t", f);
                break;
            case '\b':
                fputs("\\b", f);
                break;
            case '\f':
                fputs("\\f", f);
                break;
            default:
                fprintf(f, "\\u%04x", c);
                break;
            }
            s++;
        } else if (c < 0x80) {
            fputc(c, f);
            s++;
        } else {
            int n = utf8_len(s);
            if (n == 0) {
                fputs("\\ufffd", f);
                s++;
            } else {
                fwrite(s, 1, (size_t)n, f);
                s += n;
            }
        }
    }
    fputc('"', f);
}

void md_json_key(md_json *j, const char *key)
{
    pre(j);
    put_string(j->f, key);
    fputc(':', j->f);
    j->after_key = 1;
}

void md_json_string(md_json *j, const char *s)
{
    pre(j);
    if (s)
        put_string(j->f, s);
    else
        fputs("null", j->f);
}

void md_json_number(md_json *j, double v, int decimals)
{
    pre(j);
    if (isfinite(v))
        fprintf(j->f, "%.*f", decimals, v);
    else
        fputs("null", j->f);
}

void md_json_number_g(md_json *j, double v, int digits)
{
    pre(j);
    if (isfinite(v))
        fprintf(j->f, "%.*g", digits, v);
    else
        fputs("null", j->f);
}

void md_json_int(md_json *j, int64_t v)
{
    pre(j);
    fprintf(j->f, "%" PRId64, v);
}

void md_json_uint(md_json *j, uint64_t v)
{
    pre(j);
    fprintf(j->f, "%" PRIu64, v);
}

void md_json_bool(md_json *j, int b)
{
    pre(j);
    fputs(b ? "true" : "false", j->f);
}

void md_json_null(md_json *j)
{
    pre(j);
    fputs("null", j->f);
}
