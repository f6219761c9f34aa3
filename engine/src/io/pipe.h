/* pipe.h - a bounded queue of buffers between the render thread and one I/O
 * worker thread, so that decoding/encoding and disk I/O overlap the DSP on a
 * second core. Slots travel in order; memory is fixed at creation. */
#ifndef MDI_PIPE_H
#define MDI_PIPE_H

#include <stddef.h>

typedef struct mdi_pipe mdi_pipe;

/* The worker's job for one slot. Writer pipes: consume `frames` frames of data,
 * return 0, or -1 to fail (sticky). Reader pipes: fill data with up to `frames`
 * frames and return how many (0 = end of data, -1 = error; both end the
 * worker). */
typedef long (*mdi_pipe_fn)(void *user, void *data, unsigned frames);

/* nslots buffers of slot_bytes; slot_frames is the frames a reader asks for.
 * Starts the worker. NULL when out of memory or no thread can be made. */
mdi_pipe *mdi_pipe_create(int reader, unsigned nslots, size_t slot_bytes, unsigned slot_frames,
                          mdi_pipe_fn fn, void *user);
/* Stops and joins the worker (a writer first finishes what was submitted
 * unless `abandon`), then frees. NULL: no-op. */
void mdi_pipe_destroy(mdi_pipe *p, int abandon);

/* Writer side: an empty slot to fill (blocks while all are in flight); NULL
 * once the worker has failed. */
void *mdi_pipe_get_empty(mdi_pipe *p);
void mdi_pipe_submit(mdi_pipe *p, unsigned frames);
/* Waits until every submitted slot is consumed; 0, or -1 if the worker failed. */
int mdi_pipe_drain(mdi_pipe *p);
int mdi_pipe_failed(mdi_pipe *p);

/* Reader side: the next filled slot (blocks until the worker has it); *frames
 * = 0 at the end of the data, -1 (as long) on error via the return of
 * mdi_pipe_last. Release it after use. */
const void *mdi_pipe_get_full(mdi_pipe *p, long *frames);
void mdi_pipe_release(mdi_pipe *p);

#endif
