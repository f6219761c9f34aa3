/* md_node.h - the one interface every processor, source and sink implements.
 *
 * Phases (LV2's threading classes):
 *   prepare  - allocate per-stream state for a rate/channel count/block size
 *   update   - recompute derived values after a parameter change (never in process)
 *   process  - one block: no allocation, no lock, no I/O; frames may be 0
 *   reset    - forget history (delay lines, filter state), keep parameters
 *   release  - undo prepare
 * A NULL callback means "nothing to do": no work, zero latency, zero tail.
 */
#ifndef MD_NODE_H
#define MD_NODE_H

#include <stddef.h>
#include <stdint.h>
#include "md_error.h"
#include "md_param.h"

typedef struct md_node md_node;

typedef struct md_stream {
    double rate_hz;       /* sample rate */
    unsigned channels;    /* 1..MD_MAX_CHANNELS */
    unsigned max_frames;  /* largest block process() will see */
} md_stream;

enum {
    MD_NODE_NO_INPLACE = 1u << 0,      /* out must not alias in */
    MD_NODE_SOURCE = 1u << 1,          /* no input; produces audio with generate() */
    MD_NODE_SINK = 1u << 2,            /* no output; consumes audio with consume() */
    MD_NODE_CHANGES_RATE = 1u << 3,    /* output rate differs: uses process_var() */
    MD_NODE_EXTENDS = 1u << 4,         /* its tail is musical (reverb, echo): renders add it */
    MD_NODE_HIDDEN = 1u << 5,          /* internal, not listed by `mixdown nodes` */
};

typedef struct md_node_vtable {
    const char *name;             /* "compressor" */
    const char *doc;              /* one paragraph, shown by `mixdown nodes NAME` */
    const md_param_desc *params;  /* ends with { NULL } */
    size_t priv_size;             /* the engine allocates and zeroes it */
    unsigned flags;
    unsigned inputs;              /* 0 (source), 1, or 2 (main + sidechain) */

    /* in: the stream arriving (for sources: rate = the graph's rate, channels 0).
     * out: preset to *in; the node changes channels (pan: mono in, stereo out)
     * or rate (resample). Allocation belongs here. */
    md_status (*prepare)(md_node *n, const md_stream *in, md_stream *out, md_error *err);
    void (*update)(md_node *n);
    void (*reset)(md_node *n);
    /* in[c], out[c]: planar channels; in may alias out unless MD_NODE_NO_INPLACE.
     * For 2-input nodes, in[in_channels + c] are the sidechain's channels. */
    void (*process)(md_node *n, const float *const *in, float *const *out, unsigned frames);
    /* MD_NODE_CHANGES_RATE: consume in_frames, write up to out_capacity, return
     * the frames written. */
    unsigned (*process_var)(md_node *n, const float *const *in, unsigned in_frames,
                            float *const *out, unsigned out_capacity);
    unsigned (*latency)(const md_node *n); /* frames of delay, fixed after prepare */
    unsigned (*tail)(const md_node *n);    /* frames of output after input ends */
    void (*release)(md_node *n);

    /* Sources: write frames frames (zero what you do not have) and return how
     * many are real audio; fewer than frames means the source has ended.
     * May read files (sources and sinks are the I/O edge of the graph). */
    unsigned (*generate)(md_node *n, float *const *out, unsigned frames, md_error *err);
    int64_t (*length)(const md_node *n);   /* frames at the graph rate, -1 unknown */
    double (*native_rate)(const md_node *n); /* a file source's own rate, 0 none */
    /* Sinks: consume frames; commit on success, discard on failure/cancel. */
    md_status (*consume)(md_node *n, const float *const *in, unsigned frames, md_error *err);
    md_status (*commit)(md_node *n, md_error *err);
    void (*discard)(md_node *n);
    /* Optional: a one-line summary for plans and DOT, e.g. "song.wav 2ch 44100 Hz". */
    void (*describe)(const md_node *n, char *buf, unsigned size);
} md_node_vtable;

/* --- for node implementations (valid from prepare on) ---------------------- */

void *md_node_priv(const md_node *n);
const md_node_vtable *md_node_type(const md_node *n);
const char *md_node_name(const md_node *n);      /* the vtable's name */
const md_stream *md_node_in(const md_node *n);   /* what prepare was given */
const md_stream *md_node_out(const md_node *n);  /* what prepare decided */
unsigned md_node_sidechain_channels(const md_node *n); /* 0 without a sidechain */

/* Current value of a scalar parameter (NUMBER/INT/BOOL/ENUM index). NaN for
 * an "auto" value. */
double md_node_value(const md_node *n, unsigned idx);
const char *md_node_string(const md_node *n, unsigned idx); /* "" if unset */
unsigned md_node_list_count(const md_node *n, unsigned idx);
/* Field f of item i of list param idx (default if never set). */
double md_node_list_value(const md_node *n, unsigned idx, unsigned item, unsigned field);
/* Was the list field given explicitly? (e.g. a band's optional threshold) */
int md_node_list_isset(const md_node *n, unsigned idx, unsigned item, unsigned field);
int md_node_isset(const md_node *n, unsigned idx);

/* Per-sample smoothed values of a NUMBER parameter for this block (a one-pole
 * glide of ~10 ms toward the newest value; block-size independent). dB params
 * with as_linear convert to linear gain. dst holds frames floats. */
void md_node_fill_param(md_node *n, unsigned idx, float *dst, unsigned frames, int as_linear);

/* --- for hosts: setting parameters (before or between renders) ------------ */

/* Each validates against the table and fails with a message naming the node
 * and parameter ("compressor: ratio must be >= 1, got 0.5"). */
md_status md_node_set_number(md_node *n, const char *name, double v, md_error *err);
md_status md_node_set_string(md_node *n, const char *name, const char *s, md_error *err);
md_status md_node_set_list_count(md_node *n, const char *name, unsigned count, md_error *err);
md_status md_node_set_item_number(md_node *n, const char *name, unsigned item,
                                  const char *field, double v, md_error *err);
md_status md_node_set_item_string(md_node *n, const char *name, unsigned item,
                                  const char *field, const char *s, md_error *err);
/* Node references (sidechain): the graph adds ref as this node's second input. */
md_status md_node_set_node(md_node *n, const char *name, md_node *ref, md_error *err);
/* Read back a scalar value by name (for hosts and tests). */
md_status md_node_get_number(const md_node *n, const char *name, double *v, md_error *err);

/* Standalone use (tests, meters): create a node of a type, outside a graph. */
md_node *md_node_create(const md_node_vtable *vt, md_error *err);
void md_node_destroy(md_node *n);
md_status md_node_prepare(md_node *n, const md_stream *in, md_error *err);
/* The same for a 2-input node fed a sidechain of sc_channels channels: process()
 * then reads them at in[in->channels + c]. */
md_status md_node_prepare_sc(md_node *n, const md_stream *in, unsigned sc_channels,
                             md_error *err);
void md_node_run(md_node *n, const float *const *in, float *const *out, unsigned frames);
void md_node_reset(md_node *n);
unsigned md_node_latency(const md_node *n);
unsigned md_node_tail(const md_node *n);

/* --- registry ---------------------------------------------------------------- */

/* Every node type, sources and sinks included, NULL-terminated. */
const md_node_vtable *const *md_node_types(void);
const md_node_vtable *md_node_lookup(const char *name);
/* Closest registered name, or NULL. */
const char *md_node_suggest(const char *name);

#endif
