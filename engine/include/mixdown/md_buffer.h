/* md_buffer.h - planar 32-bit float audio buffers, aligned for SIMD. */
#ifndef MD_BUFFER_H
#define MD_BUFFER_H

#include <stddef.h>

#define MD_ALIGN 64            /* bytes: a cache line, enough for AVX-512 */
#define MD_MAX_CHANNELS 64     /* hard limit for files and nodes */
#define MD_MAX_RATE 1536000.0  /* Hz; lowest accepted is MD_MIN_RATE */
#define MD_MIN_RATE 1000.0

typedef struct md_buffer {
    unsigned channels;
    unsigned frames;   /* capacity, per channel */
    float **ch;        /* ch[c] points to frames floats, MD_ALIGN aligned */
    void *mem;
} md_buffer;

/* Allocates channels x frames zeroed floats. Returns 0 or -1 (out of memory,
 * or a size over the limits); b is zeroed on failure. */
int md_buffer_init(md_buffer *b, unsigned channels, unsigned frames);
void md_buffer_deinit(md_buffer *b); /* safe on a zeroed or deinit'ed buffer */
void md_buffer_zero(md_buffer *b, unsigned frames);

/* Aligned allocation for nodes' state (zeroed); free with md_aligned_free. */
void *md_aligned_alloc(size_t bytes);
void md_aligned_free(void *p);

#endif
