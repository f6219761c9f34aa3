/* ring.c - planar slots handed from the caller's thread to a consumer on a
 * worker thread (a bounded queue: memory is fixed and the caller waits when
 * the worker falls behind), with a second consumer that runs on the caller's
 * thread on the same slot meanwhile.
 *
 *   producer: mdi_ring_slot -> fill the head slot -> commit -> (full) publish:
 *             queue it for the worker, run the inline consumer on it
 *   worker:   wait for a queued slot -> consume it -> free it
 * Slots in the queue are head-count .. head-1 (mod nslots); the head slot is
 * the producer's alone, queued slots are read-only until the worker frees them.
 */
#include "meters.h"
#include <pthread.h>
#include <stdlib.h>

#define NSLOTS 4

struct mdi_ring {
    float *mem;
    unsigned channels, slot_frames, nslots;
    unsigned head, fill, count;
    unsigned frames[NSLOTS];
    mdi_ring_consume_fn on_worker, inline_;
    void *user;
    int threaded, started, quit;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t work, space;
};

static float *slot(mdi_ring *r, unsigned i)
{
    return r->mem + (size_t)i * r->slot_frames * r->channels;
}

static void *worker(void *arg)
{
    mdi_ring *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->count == 0 && !r->quit)
            pthread_cond_wait(&r->work, &r->mu);
        if (r->count == 0)
            break;
        unsigned tail = (r->head + r->nslots - r->count) % r->nslots;
        unsigned n = r->frames[tail];
        pthread_mutex_unlock(&r->mu);
        r->on_worker(r->user, slot(r, tail), r->slot_frames, n);
        pthread_mutex_lock(&r->mu);
        r->count--;
        pthread_cond_signal(&r->space);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

mdi_ring *mdi_ring_create(unsigned channels, unsigned slot_frames, mdi_ring_consume_fn on_worker,
                          mdi_ring_consume_fn on_caller, void *user, int threaded, md_error *err)
{
    mdi_ring *r = calloc(1, sizeof *r);
    if (!r) {
        md_error_set(err, MD_ERR_NOMEM, "analyze: out of memory");
        return NULL;
    }
    r->channels = channels;
    r->slot_frames = slot_frames;
    r->on_worker = on_worker;
    r->inline_ = on_caller;
    r->user = user;
    r->threaded = on_worker != NULL && threaded;
    r->nslots = r->threaded ? NSLOTS : 1;
    r->mem = malloc(sizeof(float) * (size_t)slot_frames * channels * r->nslots);
    if (!r->mem) {
        free(r);
        md_error_set(err, MD_ERR_NOMEM, "analyze: out of memory");
        return NULL;
    }
    if (r->threaded) {
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->work, NULL);
        pthread_cond_init(&r->space, NULL);
        if (pthread_create(&r->th, NULL, worker, r) != 0) {
            pthread_cond_destroy(&r->space);
            pthread_cond_destroy(&r->work);
            pthread_mutex_destroy(&r->mu);
            free(r->mem);
            free(r);
            md_error_set(err, MD_ERR_INTERNAL, "analyze: cannot start the true-peak thread");
            return NULL;
        }
        r->started = 1;
    }
    return r;
}

float *mdi_ring_slot(mdi_ring *r, unsigned *fill, unsigned *avail)
{
    *fill = r->fill;
    *avail = r->slot_frames - r->fill;
    return slot(r, r->head);
}

unsigned mdi_ring_stride(const mdi_ring *r)
{
    return r->slot_frames;
}

static void publish(mdi_ring *r)
{
    unsigned n = r->fill;
    float *s = slot(r, r->head);
    r->fill = 0;
    if (n == 0)
        return;
    if (!r->threaded) {
        if (r->on_worker)
            r->on_worker(r->user, s, r->slot_frames, n);
        if (r->inline_)
            r->inline_(r->user, s, r->slot_frames, n);
        return;
    }
    pthread_mutex_lock(&r->mu);
    r->frames[r->head] = n;
    r->count++;
    r->head = (r->head + 1) % r->nslots;
    pthread_cond_signal(&r->work);
    pthread_mutex_unlock(&r->mu);
    /* the worker may be reading s now: both sides only read it */
    if (r->inline_)
        r->inline_(r->user, s, r->slot_frames, n);
    pthread_mutex_lock(&r->mu);
    while (r->count >= r->nslots) /* the new head slot is still queued */
        pthread_cond_wait(&r->space, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

void mdi_ring_commit(mdi_ring *r, unsigned frames)
{
    r->fill += frames;
    if (r->fill >= r->slot_frames)
        publish(r);
}

void mdi_ring_drain(mdi_ring *r)
{
    publish(r);
    if (!r->threaded)
        return;
    pthread_mutex_lock(&r->mu);
    while (r->count > 0)
        pthread_cond_wait(&r->space, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

void mdi_ring_destroy(mdi_ring *r)
{
    if (!r)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->quit = 1;
        pthread_cond_signal(&r->work);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->th, NULL);
        pthread_cond_destroy(&r->space);
        pthread_cond_destroy(&r->work);
        pthread_mutex_destroy(&r->mu);
    }
    free(r->mem);
    free(r);
}
