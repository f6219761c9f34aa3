/* error.c - md_error helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "mixdown/md_error.h"

md_status md_error_set(md_error *e, md_status s, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = s;
    }
    return s;
}

void md_error_clear(md_error *e)
{
    if (e) {
        e->status = MD_OK;
        e->msg[0] = '\0';
    }
}

const char *md_status_name(md_status s)
{
    switch (s) {
    case MD_OK: return "ok";
    case MD_ERR_NOMEM: return "out of memory";
    case MD_ERR_INVALID: return "invalid argument";
    case MD_ERR_IO: return "input/output error";
    case MD_ERR_FORMAT: return "unsupported format";
    case MD_ERR_GRAPH: return "invalid graph";
    case MD_ERR_STATE: return "invalid state";
    case MD_ERR_CANCELLED: return "cancelled";
    case MD_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
