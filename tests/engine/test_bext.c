/* test_bext.c - delivery metadata: the sink's tags and Broadcast Wave bext
 * chunk, and md_bext_write_loudness() filling the EBU Tech 3285 v2 loudness
 * fields in place.
 *
 * Everything is read back with libsndfile's own calls (sf_command
 * SFC_GET_BROADCAST_INFO, sf_get_string), independent of the in-place
 * writer, which walks the RIFF chunks itself; the bytes of the file before
 * and after are compared directly. */
#include "io_util.h"
#include "mixdown/md_tags.h"
#include "ts_signal.h"
#include <criterion/criterion.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static void setup(void)
{
    dir = io_tmpdir();
}

static void teardown(void)
{
    io_rmtree(dir);
    free(dir);
}

TestSuite(bext, .init = setup, .fini = teardown);

/* writes ch channels of a 1 kHz sine through the sink; strings with spaces
 * are set here, the rest through opts */
static md_status write_tone(const char *path, unsigned ch, const char *opts, const char *title,
                            md_error *err)
{
    const size_t frames = 48000 * 2;
    float **x = io_planar(ch, frames);
    for (unsigned c = 0; c < ch; c++)
        ts_sine(x[c], (unsigned)frames, 1000.0, 48000, 0.25, c * 0.3);
    md_node *n = md_node_create(md_node_lookup("sink"), err);
    cr_assert(n);
    cr_assert_eq(md_node_set_string(n, "path", path, err), MD_OK);
    io_set_opts(n, opts);
    if (title)
        cr_assert_eq(md_node_set_string(n, "title", title, err), MD_OK, "%s", err->msg);
    md_stream in = {48000, ch, 1024};
    md_status s = md_node_prepare(n, &in, err);
    const float *p[MD_MAX_CHANNELS];
    for (size_t done = 0; s == MD_OK && done < frames;) {
        unsigned k = frames - done < 1024 ? (unsigned)(frames - done) : 1024;
        for (unsigned c = 0; c < ch; c++)
            p[c] = x[c] + done;
        s = md_node_type(n)->consume(n, p, k, err);
        done += k;
    }
    if (s == MD_OK)
        s = md_node_type(n)->commit(n, err);
    else
        md_node_type(n)->discard(n);
    md_node_destroy(n);
    io_free_planar(x, ch);
    return s;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*len);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static int get_bext(const char *path, SF_BROADCAST_INFO *b)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    cr_assert(sf, "%s: %s", path, sf_strerror(NULL));
    memset(b, 0, sizeof *b);
    int ok = sf_command(sf, SFC_GET_BROADCAST_INFO, b, sizeof *b) == SF_TRUE;
    sf_close(sf);
    return ok;
}

Test(bext, wav_gets_tags_and_bext_and_its_loudness_fields_are_filled_in_place)
{
    char *path = io_join(dir, "master.wav");
    md_error e;
    cr_assert_eq(write_tone(path, 2,
                            "bits=24 bext=true isrc=gb-aaa-25-00001 artist=Someone "
                            "album=Tests",
                            "A Song Title", &e),
                 MD_OK, "%s", e.msg);
    SF_BROADCAST_INFO b;
    cr_assert(get_bext(path, &b), "no bext chunk");
    cr_expect_eq(b.version, 2);
    cr_expect_str_eq(b.description, "ISRC:GBAAA2500001");
    cr_expect_str_eq(b.originator, "mixdown");
    cr_expect_eq(b.loudness_value, 0x7fff, "not set before measuring: %d", b.loudness_value);
    cr_expect_eq(b.max_shortterm_loudness, 0x7fff);

    size_t n0, n1;
    unsigned char *before = slurp(path, &n0);
    md_bext_loudness v = {-14.004, 5.5, -1.006, -12.346, NAN};
    cr_assert_eq(md_bext_write_loudness(path, &v, &e), MD_OK, "%s", e.msg);
    unsigned char *after = slurp(path, &n1);
    cr_expect_eq(n1, n0, "the size stays %zu, got %zu", n0, n1);
    size_t changed = 0;
    for (size_t i = 0; i < n0 && i < n1; i++)
        changed += before[i] != after[i];
    cr_log_info("%zu bytes changed of %zu", changed, n0);
    cr_expect(changed > 0 && changed <= 10, "%zu bytes changed, want 1..10 (five int16)", changed);

    cr_assert(get_bext(path, &b));
    cr_log_info("bext v%u: loudness %d, range %d, true peak %d, momentary %d, short-term %d",
                b.version, b.loudness_value, b.loudness_range, b.max_true_peak_level,
                b.max_momentary_loudness, b.max_shortterm_loudness);
    cr_expect_eq(b.version, 2);
    cr_expect_eq(b.loudness_value, -1400);
    cr_expect_eq(b.loudness_range, 550);
    cr_expect_eq(b.max_true_peak_level, -101);
    cr_expect_eq(b.max_momentary_loudness, -1235);
    cr_expect_eq(b.max_shortterm_loudness, 0x7fff, "NAN stays not set");
    cr_expect_str_eq(b.description, "ISRC:GBAAA2500001");

    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    cr_assert(sf);
    cr_expect_str_eq(sf_get_string(sf, SF_STR_TITLE), "A Song Title");
    cr_expect_str_eq(sf_get_string(sf, SF_STR_ARTIST), "Someone");
    cr_expect_str_eq(sf_get_string(sf, SF_STR_ALBUM), "Tests");
    cr_expect_eq(info.frames, 96000);
    sf_close(sf);

    /* md_bext_read agrees */
    md_bext r;
    cr_assert_eq(md_bext_read(path, &r, &e), MD_OK, "%s", e.msg);
    cr_expect(r.present);
    cr_expect_float_eq(r.loudness.integrated_lufs, -14.0, 1e-9);
    cr_expect_float_eq(r.loudness.true_peak_dbtp, -1.01, 1e-9);
    cr_expect(isnan(r.loudness.max_short_term_lufs));
    free(before);
    free(after);
    free(path);
}

Test(bext, the_samples_are_untouched_and_multichannel_wavex_works)
{
    char *path = io_join(dir, "six.wav");
    md_error e;
    cr_assert_eq(write_tone(path, 6, "bits=16 bext=true", NULL, &e), MD_OK, "%s", e.msg);
    SF_INFO i0, i1;
    int32_t *a = io_read_int(path, &i0);
    cr_expect_eq(i0.format & SF_FORMAT_TYPEMASK, SF_FORMAT_WAVEX);
    md_bext_loudness v = {-23.0, 0.0, -5.99, -22.5, -22.9};
    cr_assert_eq(md_bext_write_loudness(path, &v, &e), MD_OK, "%s", e.msg);
    int32_t *b = io_read_int(path, &i1);
    cr_expect_eq(i1.frames, i0.frames);
    cr_expect(memcmp(a, b, sizeof(int32_t) * (size_t)i0.frames * 6) == 0, "samples changed");
    SF_BROADCAST_INFO bi;
    cr_assert(get_bext(path, &bi));
    cr_expect_eq(bi.loudness_value, -2300);
    cr_expect_eq(bi.max_true_peak_level, -599);
    cr_expect_eq(bi.max_shortterm_loudness, -2290);
    free(a);
    free(b);
    free(path);
}

Test(bext, flac_and_ogg_carry_the_tags_and_the_isrc_in_the_comment)
{
    const char *names[] = {"t.flac", "t.ogg", "t.aiff"};
    for (int k = 0; k < 3; k++) {
        char *path = io_join(dir, names[k]);
        md_error e;
        cr_assert_eq(
            write_tone(path, 2, "isrc=USABC2512345 artist=Band comment=mastered", "Tune", &e),
            MD_OK, "%s: %s", names[k], e.msg);
        md_tags t;
        cr_assert_eq(md_file_tags(path, &t, &e), MD_OK, "%s", e.msg);
        cr_log_info("%s: title '%s', artist '%s', comment '%s'", names[k], t.value[MD_TAG_TITLE],
                    t.value[MD_TAG_ARTIST], t.value[MD_TAG_COMMENT]);
        cr_expect_str_eq(t.value[MD_TAG_TITLE], "Tune", "%s", names[k]);
        cr_expect_str_eq(t.value[MD_TAG_ARTIST], "Band", "%s", names[k]);
        cr_expect_str_eq(t.value[MD_TAG_COMMENT], "mastered ISRC:USABC2512345", "%s", names[k]);
        SF_BROADCAST_INFO b;
        cr_expect(!get_bext(path, &b), "%s has no bext chunk", names[k]);
        cr_expect_eq(md_bext_write_loudness(path, &(md_bext_loudness){0, 0, 0, 0, 0}, &e),
                     MD_ERR_FORMAT);
        cr_expect(strstr(e.msg, "not a WAV file") != NULL, "%s", e.msg);
        free(path);
    }
}

Test(bext, errors_name_the_file_and_the_problem)
{
    md_error e;
    char *plain = io_join(dir, "plain.wav");
    cr_assert_eq(write_tone(plain, 2, "bits=16", NULL, &e), MD_OK, "%s", e.msg);
    SF_BROADCAST_INFO b;
    cr_expect(!get_bext(plain, &b), "without bext the sink writes no bext chunk");
    md_bext_loudness v = {-14, 3, -1, -12, -13};
    cr_expect_eq(md_bext_write_loudness(plain, &v, &e), MD_ERR_FORMAT);
    cr_expect(strstr(e.msg, "plain.wav: no bext chunk") != NULL, "%s", e.msg);
    md_bext r;
    cr_assert_eq(md_bext_read(plain, &r, &e), MD_OK);
    cr_expect(!r.present);

    char *missing = io_join(dir, "missing.wav");
    cr_expect_eq(md_bext_write_loudness(missing, &v, &e), MD_ERR_IO);
    cr_expect(strstr(e.msg, "missing.wav: cannot open") != NULL, "%s", e.msg);

    char *bad = io_join(dir, "bad.wav");
    cr_expect_eq(write_tone(bad, 2, "isrc=GB-AAA-25", NULL, &e), MD_ERR_INVALID);
    cr_expect_str_eq(e.msg,
                     "sink: isrc must be 12 characters like CC-XXX-YY-NNNNN, got 'GB-AAA-25'");
    cr_expect(!io_exists(bad), "no file is left behind");
    cr_expect_eq(io_count_entries(dir), 1u, "only plain.wav");
    free(plain);
    free(missing);
    free(bad);
}

Test(bext, values_are_rounded_and_clamped_to_int16)
{
    char *path = io_join(dir, "clamp.wav");
    md_error e;
    cr_assert_eq(write_tone(path, 1, "bext=true", NULL, &e), MD_OK, "%s", e.msg);
    md_bext_loudness v = {400.0, -400.0, 0.004, -0.005, INFINITY};
    cr_assert_eq(md_bext_write_loudness(path, &v, &e), MD_OK, "%s", e.msg);
    SF_BROADCAST_INFO b;
    cr_assert(get_bext(path, &b));
    cr_expect_eq(b.loudness_value, 32766, "0x7fff is reserved for 'not set'");
    cr_expect_eq(b.loudness_range, -32768);
    cr_expect_eq(b.max_true_peak_level, 0);
    cr_expect_eq(b.max_momentary_loudness, 0, "-0.005 rounds half up to 0, got %d",
                 b.max_momentary_loudness);
    cr_expect_eq(b.max_shortterm_loudness, 0x7fff);
    free(path);
}

Test(isrc, normalizes_the_iso_3901_forms_and_refuses_the_rest)
{
    char out[13];
    cr_expect(md_isrc_normalize("GB-AAA-25-00001", out));
    cr_expect_str_eq(out, "GBAAA2500001");
    cr_expect(md_isrc_normalize("us1a22512345", out));
    cr_expect_str_eq(out, "US1A22512345");
    const char *bad[] = {"",
                         "GBAAA250000",
                         "GBAAA25000011",
                         "1BAAA2500001",
                         "GBAA-A2500X01",
                         "GB AAA2500001",
                         "GBAA!2500001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect(!md_isrc_normalize(bad[i], out), "'%s' is not an ISRC", bad[i]);
    cr_expect_eq(md_tag_find("Title"), MD_TAG_TITLE);
    cr_expect_eq(md_tag_find("isrc"), -1);
    cr_expect_str_eq(md_tag_name(MD_TAG_TRACKNUMBER), "tracknumber");
}
