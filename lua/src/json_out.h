/* json_out.h - a small streaming JSON writer (compact: no spaces, no newlines).
 *
 *   md_json j; md_json_init(&j, stdout);
 *   md_json_begin_object(&j);
 *   md_json_key(&j, "file"); md_json_string(&j, path);
 *   md_json_key(&j, "lufs"); md_json_number(&j, -23.0, 4);   -> -23.0000
 *   md_json_end_object(&j);                                  -> {"file":"a.wav","lufs":-23.0000}
 *
 * Commas are placed by the writer. Numbers that are NaN or infinite are
 * written as null: JSON has no sentinel for them and we never invent one.
 * Strings come out as valid UTF-8: control characters are escaped, bytes
 * that are not UTF-8 (a Latin-1 file name) become U+FFFD.
 */
#ifndef MD_JSON_OUT_H
#define MD_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#define MD_JSON_MAX_DEPTH 32

typedef struct md_json {
    FILE *f;
    int depth;
    int after_key;
    unsigned char comma[MD_JSON_MAX_DEPTH + 1];
} md_json;

void md_json_init(md_json *j, FILE *f);
void md_json_begin_object(md_json *j);
void md_json_end_object(md_json *j);
void md_json_begin_array(md_json *j);
void md_json_end_array(md_json *j);
/* "key": the next call writes its value */
void md_json_key(md_json *j, const char *key);
void md_json_string(md_json *j, const char *s); /* NULL: null */
/* fixed point with `decimals` digits after the point ("%.*f") */
void md_json_number(md_json *j, double v, int decimals);
/* `digits` significant digits ("%.*g"), for values of any magnitude */
void md_json_number_g(md_json *j, double v, int digits);
void md_json_int(md_json *j, int64_t v);
void md_json_uint(md_json *j, uint64_t v);
void md_json_bool(md_json *j, int b);
void md_json_null(md_json *j);

#endif
