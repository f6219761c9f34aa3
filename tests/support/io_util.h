/* io_util.h - helpers for the file I/O, dither and resampler tests: temporary
 * directories, writing through the sink node, reading back with libsndfile,
 * running the file source, and tone measurements. Failures abort the test
 * (cr_assert) unless a status is returned. */
#ifndef IO_UTIL_H
#define IO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sndfile.h>
#include "mixdown/md.h"

/* A fresh directory under $MD_TEST_TMP (or /tmp), malloc'ed; io_rmtree
 * removes it and everything in it. */
char *io_tmpdir(void);
void io_rmtree(const char *dir);
/* dir/name, malloc'ed. */
char *io_join(const char *dir, const char *name);
/* Entries in dir, "." and ".." excluded (to check that no file was left). */
unsigned io_count_entries(const char *dir);
int io_exists(const char *path);

/* Planar buffers: ch pointers to frames zeroed floats each. */
float **io_planar(unsigned ch, size_t frames);
void io_free_planar(float **x, unsigned ch);

/* Writes ch planar channels of frames frames at rate through a sink node.
 * opts: space-separated key=value pairs for the sink's parameters
 * ("bits=16 dither=none"); NULL for none. Consumes in blocks of block frames
 * (0: 1000). On success *nonfinite (nullable) gets md_sink_nonfinite.
 * Returns the first failing status, the message in err. */
md_status io_write(const char *path, float *const *x, unsigned ch, size_t frames, double rate,
                   const char *opts, unsigned block, int64_t *nonfinite, md_error *err);
/* Sets the parameters of opts on n (see io_write); asserts success. */
void io_set_opts(md_node *n, const char *opts);

/* Whole file read back with libsndfile, interleaved, malloc'ed; asserts it opens. */
int32_t *io_read_int(const char *path, SF_INFO *info);
float *io_read_float(const char *path, SF_INFO *info);

/* Runs a file source at graph_rate in blocks of block frames until it ends;
 * returns planar output (*frames real frames, *ch channels; free with
 * io_free_planar). NULL when prepare fails (message in err). */
float **io_read_source(const char *path, double graph_rate, unsigned block, unsigned *ch,
                       size_t *frames, md_error *err);

/* Least-squares fit of a sinusoid at freq to y[0..n): returns its amplitude;
 * *resid_rms (nullable) gets the RMS of what the sinusoid does not explain. */
double io_fit_tone(const float *y, size_t n, double freq, double rate, double *resid_rms);
double io_db(double ratio); /* 20 log10 */

/* Is an executable called name on PATH? */
int io_have_tool(const char *name);

#endif
