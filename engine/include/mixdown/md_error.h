/* md_error.h - status codes and error messages of the mixdown engine.
 *
 * Fallible functions return md_status (constructors return NULL) and take a
 * nullable md_error * last: the status is for programs, the message for people.
 * Messages read "<who>: <what>, got <value>": lowercase, no trailing period.
 */
#ifndef MD_ERROR_H
#define MD_ERROR_H

typedef enum md_status {
    MD_OK = 0,
    MD_ERR_NOMEM,     /* allocation failed; objects stay valid unless documented */
    MD_ERR_INVALID,   /* bad argument or parameter value */
    MD_ERR_IO,        /* read or write failed (disk full, permission, ...) */
    MD_ERR_FORMAT,    /* unreadable or unsupported audio */
    MD_ERR_GRAPH,     /* cycle, channel or rate mismatch, unconnected input */
    MD_ERR_STATE,     /* not allowed now, e.g. connect after compile */
    MD_ERR_CANCELLED, /* render interrupted */
    MD_ERR_INTERNAL
} md_status;

typedef struct md_error {
    md_status status;
    char msg[512];
} md_error;

/* Sets e (if not NULL) and returns s, so "return md_error_set(...)" reads well. */
md_status md_error_set(md_error *e, md_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void md_error_clear(md_error *e);
const char *md_status_name(md_status s);

#endif
