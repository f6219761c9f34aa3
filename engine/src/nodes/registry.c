/* registry.c - the list of node types (from node_list.h) and look-ups. */
#include <string.h>
#include "../internal.h"

#define MD_NODE(x) extern const md_node_vtable md_node_##x;
#include "node_list.h"
#undef MD_NODE

static const md_node_vtable *const types[] = {
#define MD_NODE(x) &md_node_##x,
#include "node_list.h"
#undef MD_NODE
    &mdi_mix_vtable,
    NULL,
};

const md_node_vtable *const *md_node_types(void) { return types; }

const md_node_vtable *md_node_lookup(const char *name)
{
    for (unsigned i = 0; types[i]; i++)
        if (strcmp(types[i]->name, name) == 0)
            return types[i];
    return NULL;
}

const char *md_node_suggest(const char *name)
{
    const char *best = NULL;
    unsigned best_d = 4;
    for (unsigned i = 0; types[i]; i++) {
        if (types[i]->flags & MD_NODE_HIDDEN)
            continue;
        unsigned d = md_edit_distance(name, types[i]->name);
        if (strlen(name) >= 3 && strncmp(types[i]->name, name, strlen(name)) == 0)
            d = 1;
        if (d < best_d) {
            best_d = d;
            best = types[i]->name;
        }
    }
    return best;
}
