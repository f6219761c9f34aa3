/* pipe.c - the I/O worker queue (see pipe.h). A mutex and two condition
 * variables guard a ring of slots; nothing is allocated after creation. */
#include <pthread.h>
#include <stdlib.h>
#include "pipe.h"

typedef struct slot {
    void *data;
    long frames;
} slot;

struct mdi_pipe {
    int reader;
    unsigned nslots, slot_frames;
    slot *slots;
    unsigned head, tail, count; /* full slots: [head, head+count) */
    int quit, failed, ended, busy;
    mdi_pipe_fn fn;
    void *user;
    pthread_mutex_t mu;
    pthread_cond_t cv_full, cv_empty;
    pthread_t thread;
    int started;
};

static void *worker(void *arg)
{
    mdi_pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->reader) {
            while (!p->quit && p->count == p->nslots)
                pthread_cond_wait(&p->cv_empty, &p->mu);
            if (p->quit)
                break;
            slot *s = &p->slots[(p->head + p->count) % p->nslots];
            pthread_mutex_unlock(&p->mu);
            long got = p->fn(p->user, s->data, p->slot_frames);
            pthread_mutex_lock(&p->mu);
            s->frames = got;
            p->count++;
            pthread_cond_signal(&p->cv_full);
            if (got <= 0) {
                p->ended = 1;
                break;
            }
        } else {
            while (!p->quit && p->count == 0)
                pthread_cond_wait(&p->cv_full, &p->mu);
            if (p->count == 0 && p->quit)
                break;
            slot *s = &p->slots[p->head];
            p->busy = 1;
            pthread_mutex_unlock(&p->mu);
            long r = p->failed ? -1 : p->fn(p->user, s->data, (unsigned)s->frames);
            pthread_mutex_lock(&p->mu);
            p->busy = 0;
            if (r < 0)
                p->failed = 1;
            p->head = (p->head + 1) % p->nslots;
            p->count--;
            pthread_cond_signal(&p->cv_empty);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

mdi_pipe *mdi_pipe_create(int reader, unsigned nslots, size_t slot_bytes, unsigned slot_frames,
                          mdi_pipe_fn fn, void *user)
{
    mdi_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->reader = reader;
    p->nslots = nslots;
    p->slot_frames = slot_frames;
    p->fn = fn;
    p->user = user;
    p->slots = calloc(nslots, sizeof *p->slots);
    if (!p->slots) {
        free(p);
        return NULL;
    }
    for (unsigned i = 0; i < nslots; i++)
        if (!(p->slots[i].data = malloc(slot_bytes ? slot_bytes : 1))) {
            mdi_pipe_destroy(p, 1);
            return NULL;
        }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_full, NULL);
    pthread_cond_init(&p->cv_empty, NULL);
    if (pthread_create(&p->thread, NULL, worker, p) != 0) {
        mdi_pipe_destroy(p, 1);
        return NULL;
    }
    p->started = 1;
    return p;
}

void mdi_pipe_destroy(mdi_pipe *p, int abandon)
{
    if (!p)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        p->quit = 1;
        if (abandon && !p->reader) {
            p->failed = 1; /* the worker skips what is left */
        }
        pthread_cond_broadcast(&p->cv_empty);
        pthread_cond_broadcast(&p->cv_full);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv_full);
        pthread_cond_destroy(&p->cv_empty);
    }
    for (unsigned i = 0; p->slots && i < p->nslots; i++)
        free(p->slots[i].data);
    free(p->slots);
    free(p);
}

void *mdi_pipe_get_empty(mdi_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (!p->failed && p->count == p->nslots)
        pthread_cond_wait(&p->cv_empty, &p->mu);
    void *d = p->failed ? NULL : p->slots[(p->head + p->count) % p->nslots].data;
    pthread_mutex_unlock(&p->mu);
    return d;
}

void mdi_pipe_submit(mdi_pipe *p, unsigned frames)
{
    pthread_mutex_lock(&p->mu);
    p->slots[(p->head + p->count) % p->nslots].frames = frames;
    p->count++;
    pthread_cond_signal(&p->cv_full);
    pthread_mutex_unlock(&p->mu);
}

int mdi_pipe_drain(mdi_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (!p->failed && p->count > 0)
        pthread_cond_wait(&p->cv_empty, &p->mu);
    int r = p->failed ? -1 : 0;
    pthread_mutex_unlock(&p->mu);
    return r;
}

int mdi_pipe_failed(mdi_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    int r = p->failed;
    pthread_mutex_unlock(&p->mu);
    return r;
}

const void *mdi_pipe_get_full(mdi_pipe *p, long *frames)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->ended)
        pthread_cond_wait(&p->cv_full, &p->mu);
    const void *d = NULL;
    if (p->count > 0) {
        d = p->slots[p->head].data;
        *frames = p->slots[p->head].frames;
    } else {
        *frames = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return d;
}

void mdi_pipe_release(mdi_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->count > 0) {
        p->head = (p->head + 1) % p->nslots;
        p->count--;
        pthread_cond_signal(&p->cv_empty);
    }
    pthread_mutex_unlock(&p->mu);
}
