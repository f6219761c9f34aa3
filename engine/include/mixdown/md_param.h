/* md_param.h - parameter tables: the one description of every node parameter.
 *
 * The CLI (`mixdown nodes`), the REPL's help, the Lua bindings' validation and
 * the docs are all generated from these tables (LV2's .ttl data, in C).
 */
#ifndef MD_PARAM_H
#define MD_PARAM_H

typedef enum md_param_type {
    MD_PT_NUMBER = 0, /* a real number in [min, max] */
    MD_PT_INT,        /* a whole number in [min, max] */
    MD_PT_BOOL,       /* true/false, stored as 0/1 */
    MD_PT_ENUM,       /* one of choices[], stored as its index */
    MD_PT_STRING,     /* free text, e.g. a file path */
    MD_PT_LIST,       /* an array of items, each described by fields[] (eq bands) */
    MD_PT_NODE,       /* a reference to another node (sidechain) */
} md_param_type;

enum {
    MD_PARAM_AUTOMATABLE = 1u << 0, /* may change while rendering; smoothed */
    MD_PARAM_DB = 1u << 1,          /* a level in dB: smoothed/interpolated in dB */
    MD_PARAM_LOG = 1u << 2,         /* smoothed on a log scale (frequencies) */
    MD_PARAM_AUTO = 1u << 3,        /* also accepts the string "auto" (stored as NaN) */
    MD_PARAM_REQUIRED = 1u << 4,    /* no default: must be given */
};

typedef struct md_param_desc {
    const char *name;  /* "threshold": Lua key, CLI key, doc anchor */
    const char *unit;  /* "dB", "ms", "Hz", "s", "LUFS", "dBTP", "" */
    double min, max, def;
    const char *doc;   /* one line */
    md_param_type type;
    unsigned flags;
    const char *const *choices;           /* MD_PT_ENUM: NULL-terminated names */
    const struct md_param_desc *fields;   /* MD_PT_LIST: item fields, ends with {NULL} */
    unsigned max_items;                   /* MD_PT_LIST: at most this many items */
} md_param_desc;

/* Number of entries before the terminating {NULL}. */
unsigned md_param_count(const md_param_desc *params);
/* Index of name in params, or -1. */
int md_param_find(const md_param_desc *params, const char *name);
/* The closest name (edit distance <= 3), or NULL: for "did you mean". */
const char *md_param_suggest(const md_param_desc *params, const char *name);
/* Index of choice in an enum's choices, or -1. */
int md_param_choice(const md_param_desc *p, const char *choice);
/* Human-readable type, e.g. "number", "one of: bell, lowshelf, ...". */
const char *md_param_type_name(md_param_type t);

/* Edit distance between two short strings (for suggestions). */
unsigned md_edit_distance(const char *a, const char *b);

#endif
