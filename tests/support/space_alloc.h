/* space_alloc.h - counts heap calls made by this thread between
 * sa_count_begin() and sa_count_end(), by interposing the allocator (glibc's
 * __libc_* entry points do the work). A header with definitions on purpose:
 * include it in exactly one file of a test executable, so that only that
 * executable's allocator is interposed (as a .c file in tests/support it
 * would be pulled from the support archive into every test that calls
 * malloc). Under AddressSanitizer (which owns malloc) nothing is interposed
 * and sa_count_end returns -1. */
#ifndef MD_TEST_SPACE_ALLOC_H
#define MD_TEST_SPACE_ALLOC_H

#include <errno.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define SA_INTERPOSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SA_INTERPOSE 0
#endif
#endif
#ifndef SA_INTERPOSE
#define SA_INTERPOSE 1
#endif

static _Thread_local volatile int armed; /* volatile: kept in program order around the calls */
static _Thread_local volatile int calls;

static void sa_count_begin(void)
{
    calls = 0;
    armed = 1;
}

static int sa_count_end(void)
{
    armed = 0;
    return SA_INTERPOSE ? calls : -1;
}

#if SA_INTERPOSE
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static void note(void)
{
    if (armed)
        calls++;
}

void *malloc(size_t n)
{
    note();
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    note();
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    note();
    return __libc_realloc(p, n);
}

void free(void *p)
{
    note();
    __libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    note();
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
    note();
    return __libc_memalign(align, n);
}
#endif

#endif
