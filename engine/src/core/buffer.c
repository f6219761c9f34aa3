/* buffer.c - aligned planar buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mixdown/md_buffer.h"

void *md_aligned_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0)
        bytes = MD_ALIGN;
    if (posix_memalign(&p, MD_ALIGN, bytes) != 0)
        return NULL;
    memset(p, 0, bytes);
    return p;
}

void md_aligned_free(void *p) { free(p); }

int md_buffer_init(md_buffer *b, unsigned channels, unsigned frames)
{
    memset(b, 0, sizeof *b);
    if (channels == 0 || channels > MD_MAX_CHANNELS || frames > (1u << 24))
        return -1;
    /* round each channel up to a multiple of the alignment */
    size_t stride = ((size_t)frames * sizeof(float) + MD_ALIGN - 1) / MD_ALIGN * MD_ALIGN;
    if (stride == 0)
        stride = MD_ALIGN;
    b->ch = calloc(channels, sizeof *b->ch);
    b->mem = md_aligned_alloc(stride * channels);
    if (!b->ch || !b->mem) {
        free(b->ch);
        md_aligned_free(b->mem);
        memset(b, 0, sizeof *b);
        return -1;
    }
    for (unsigned c = 0; c < channels; c++)
        b->ch[c] = (float *)((char *)b->mem + stride * c);
    b->channels = channels;
    b->frames = frames;
    return 0;
}

void md_buffer_deinit(md_buffer *b)
{
    if (!b)
        return;
    free(b->ch);
    md_aligned_free(b->mem);
    memset(b, 0, sizeof *b);
}

void md_buffer_zero(md_buffer *b, unsigned frames)
{
    if (frames > b->frames)
        frames = b->frames;
    for (unsigned c = 0; c < b->channels; c++)
        memset(b->ch[c], 0, frames * sizeof(float));
}
