/* param.c - parameter-table look-ups and suggestions. */
#include <string.h>
#include "mixdown/md_param.h"

unsigned md_param_count(const md_param_desc *params)
{
    unsigned n = 0;
    while (params && params[n].name)
        n++;
    return n;
}

int md_param_find(const md_param_desc *params, const char *name)
{
    for (unsigned i = 0; params && params[i].name; i++)
        if (strcmp(params[i].name, name) == 0)
            return (int)i;
    return -1;
}

unsigned md_edit_distance(const char *a, const char *b)
{
    /* Levenshtein distance, two rows; names are short (truncated at 63). */
    unsigned la = (unsigned)strnlen(a, 63), lb = (unsigned)strnlen(b, 63);
    unsigned prev[64], cur[64];
    for (unsigned j = 0; j <= lb; j++)
        prev[j] = j;
    for (unsigned i = 1; i <= la; i++) {
        cur[0] = i;
        for (unsigned j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;
            unsigned m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

const char *md_param_suggest(const md_param_desc *params, const char *name)
{
    const char *best = NULL;
    unsigned best_d = 4;
    for (unsigned i = 0; params && params[i].name; i++) {
        unsigned d = md_edit_distance(name, params[i].name);
        /* a prefix is a good suggestion too ("thresh" -> "threshold") */
        if (strncmp(params[i].name, name, strlen(name)) == 0 && strlen(name) >= 3)
            d = 1;
        if (d < best_d) {
            best_d = d;
            best = params[i].name;
        }
    }
    return best;
}

int md_param_choice(const md_param_desc *p, const char *choice)
{
    for (unsigned i = 0; p->choices && p->choices[i]; i++)
        if (strcmp(p->choices[i], choice) == 0)
            return (int)i;
    return -1;
}

const char *md_param_type_name(md_param_type t)
{
    switch (t) {
    case MD_PT_NUMBER: return "number";
    case MD_PT_INT: return "integer";
    case MD_PT_BOOL: return "boolean";
    case MD_PT_ENUM: return "choice";
    case MD_PT_STRING: return "string";
    case MD_PT_LIST: return "list";
    case MD_PT_NODE: return "node";
    }
    return "?";
}
