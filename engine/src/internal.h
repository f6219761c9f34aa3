/* internal.h - structures and mdi_ functions shared between engine .c files. */
#ifndef MDI_INTERNAL_H
#define MDI_INTERNAL_H

#include "mixdown/md.h"
#include "mixdown/md_buffer.h"

typedef struct mdi_list {
    unsigned count;
    double *v;            /* count x nfields values */
    unsigned char *set;   /* count x nfields: given explicitly? */
} mdi_list;

typedef struct mdi_edge {
    md_node *from;
    double gain_db;
    float gain;           /* linear */
    unsigned comp_delay;  /* frames of latency compensation on this edge */
    md_buffer delay;      /* ring of comp_delay frames, channels of from */
    unsigned delay_pos;
    int sidechain;        /* this edge feeds the sidechain input */
} mdi_edge;

struct md_node {
    const md_node_vtable *vt;
    void *priv;
    unsigned nparams;
    double *values;
    unsigned char *isset;
    char **strings;
    mdi_list *lists;
    md_node **refs;
    double *smooth;            /* per-param smoothed value (NaN = not started) */
    md_stream in, out;
    unsigned sc_channels;
    int prepared;
    int dirty;                 /* parameters changed since the last update() */
    char label[160];

    /* graph bookkeeping */
    md_graph *graph;
    unsigned index;            /* insertion order */
    mdi_edge *inputs;
    unsigned ninputs, cap_inputs;
    int is_mix;
    int order;                 /* position in the compiled order, -1 before */
    unsigned path_latency;     /* frames at this node's output rate */
    double path_tail_s;        /* seconds of musical tail to render after the end */
    int domain;                /* rate domain: frames per block are equal within one */
    int buf;                   /* index of the output buffer, -1 none */
    unsigned frames;           /* frames produced in the current block */
    float *inptrs[2 * MD_MAX_CHANNELS];
    float *outptrs[MD_MAX_CHANNELS];
    /* sinks */
    int64_t sink_skip;         /* frames still to drop (latency) */
    int64_t sink_written;
    int64_t sink_target;       /* -1 until the sources end */
    /* sources */
    int ended;
    int64_t produced;          /* real frames produced */
    /* automation (automation.c) */
    struct mdi_automation *autom; /* envelopes on parameters, NULL: none */
    int64_t frame_pos;         /* frames processed since prepare/reset */
};

/* The "mix" vertex: sums its inputs, with per-edge gains. */
extern const md_node_vtable mdi_mix_vtable;

md_status mdi_node_init(md_node *n, const md_node_vtable *vt, md_error *err);
void mdi_node_deinit(md_node *n);
md_status mdi_node_prepare(md_node *n, const md_stream *in, md_error *err);
void mdi_node_release(md_node *n);
void mdi_node_update_if_dirty(md_node *n);

/* automation.c: process() with the node's envelopes applied (control-rate
 * parameters set at aligned sub-blocks) and frame_pos advanced; every caller
 * of vt->process goes through it. */
void mdi_node_process(md_node *n, const float *const *in, float *const *out, unsigned frames);
/* Fills dst from an envelope on parameter idx and returns 1, or returns 0
 * when idx is not automated (md_node_fill_param then smooths as usual). */
int mdi_automation_fill(md_node *n, unsigned idx, float *dst, unsigned frames, int as_linear);
void mdi_automation_prepare(md_node *n); /* times -> frames at the node's rate; rewinds */
void mdi_automation_rewind(md_node *n);  /* back to frame 0 (reset) */
void mdi_automation_free(md_node *n);

/* Formats a parameter value for plans: "30 Hz", "bell", "song.wav". */
void mdi_param_format(const md_node *n, unsigned idx, char *buf, unsigned size);

#endif
