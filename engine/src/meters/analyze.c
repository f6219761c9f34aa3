/* analyze.c - the streaming analyzer (md_analyze.h).
 *
 *   planar in --> levels.c (peak, sums, clip runs, NaN -> 0) --> interleaved slot
 *     slot --> libebur128 "lu" (K-weighting, channel weights)  caller's thread
 *                --> piece energies --> M, S; gating.c --> I, LRA
 *     slot --> ring.c --> libebur128 "tp", one per channel (true peak):
 *              the first tp_split channels on the caller's thread, the
 *              others on a worker thread, both reading the same slot
 *
 * libebur128 does the filtering and weighting; the windows are summed here.
 * The analyzer feeds it pieces of P ms (5 or 10) and reads each piece's
 * K-weighted, channel-weighted mean square with ebur128_loudness_window(P);
 * the mean of the last 400/P (3000/P) pieces is the momentary (short-term)
 * energy (BS.1770-4 eq. 2: a window's mean square is the mean of its equal
 * pieces' mean squares). Why not ebur128_loudness_momentary/_shortterm after
 * every piece: each call re-sums its whole window, 3 s x 100 times per second
 * of audio, several times the cost of the whole measurement. Why not
 * libebur128's integrated/LRA: its histogram mode (needed so that adding
 * never allocates) bins blocks at 0.1 LU, which reads a -23.00 LUFS tone as
 * -22.95; its list mode allocates per block; and its LRA takes a short-term
 * block every 1 s where Tech 3342 v3 asks for 10 Hz. So the 400 ms gating
 * blocks and 3 s short-term blocks, every 100 ms, go to gating.c.
 *
 * Where 400 ms and 3 s are whole numbers of pieces (rates that are multiples
 * of 100 Hz) the windows are exactly libebur128's; at other rates a piece is
 * floor(rate * P / 1000) frames and the windows are up to 0.2 % short
 * (22.05 kHz), blocks up to 0.2 % closer.
 */
#include "meters.h"
#include <ebur128.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_SAMPLES 32768 /* per slot, all channels: 16384 stereo frames */

struct md_analyzer {
    double rate_hz;
    unsigned channels, flags;
    ebur128_state *lu; /* mode M: filters, weights, keeps 400 ms; never allocates in add */
    ebur128_state *tp[MD_MAX_CHANNELS]; /* TRUE_PEAK, one mono state per channel */
    unsigned tp_split;                  /* channels below it are measured on the caller's thread */
    mdi_ring *ring;
    float *scratch; /* interleaved copy of a slot's new frames, for "lu" */
    md_status failed;

    /* momentary / short-term from pieces */
    unsigned piece_ms, piece_frames, piece_fill;
    unsigned nm, ns;       /* pieces in 400 ms and in 3 s */
    unsigned series_every; /* pieces in MD_ANALYZE_SERIES_MS */
    double *energy;        /* ring of the last ns piece energies */
    unsigned pos;
    uint64_t pieces;
    double sum_m, sum_s;
    unsigned nz_m, nz_s; /* non-zero pieces in each window: silence is exactly -inf */
    double max_m, max_s;
    mdi_gate_hist *gate_i; /* 400 ms blocks every 100 ms: integrated */
    mdi_gate_hist *gate_s; /* 3 s blocks every 100 ms: loudness range */
    md_analyze_series_fn series;
    void *series_user;

    /* levels */
    uint64_t frames;
    mdi_chan_levels lv[MD_MAX_CHANNELS];
    mdi_pair_levels pair;
};

static double nan_if_inf(double x)
{
    return isfinite(x) ? x : NAN;
}

static double lin_to_db(double x)
{
    return x > 0.0 ? 20.0 * log10(x) : NAN;
}

/* BS.1770-4 eq. 2: L = -0.691 + 10 log10(sum of weighted mean squares) */
static double energy_to_lufs(double e)
{
    return e > 0.0 ? -0.691 + 10.0 * log10(e) : -INFINITY;
}

/* true-peak mode keeps no lists: adding cannot fail for memory */
static void tp_worker(void *user, const float *slot, unsigned stride, unsigned frames)
{
    md_analyzer *a = user;
    for (unsigned c = a->tp_split; c < a->channels; c++)
        ebur128_add_frames_float(a->tp[c], slot + (size_t)c * stride, frames);
}

static void tp_caller(void *user, const float *slot, unsigned stride, unsigned frames)
{
    md_analyzer *a = user;
    for (unsigned c = 0; c < a->tp_split; c++)
        ebur128_add_frames_float(a->tp[c], slot + (size_t)c * stride, frames);
}

void md_analyzer_destroy(md_analyzer *a)
{
    if (!a)
        return;
    mdi_ring_destroy(a->ring); /* joins the worker before its states go */
    for (unsigned c = 0; c < MD_MAX_CHANNELS; c++)
        if (a->tp[c])
            ebur128_destroy(&a->tp[c]);
    free(a->scratch);
    if (a->lu)
        ebur128_destroy(&a->lu);
    free(a->energy);
    free(a->gate_i);
    free(a->gate_s);
    free(a);
}

static void choose_pieces(md_analyzer *a)
{
    unsigned long rate = (unsigned long)a->rate_hz;
    /* ebur128_loudness_window() takes whole ms and uses rate * ms / 1000
     * frames: a piece must be exactly that long */
    if (rate % 200 == 0)
        a->piece_ms = 5;
    else
        a->piece_ms = 10;
    a->piece_frames = (unsigned)(rate * a->piece_ms / 1000);
    a->nm = 400 / a->piece_ms;
    a->ns = 3000 / a->piece_ms;
    a->series_every = MD_ANALYZE_SERIES_MS / a->piece_ms;
}

md_analyzer *md_analyzer_create(double rate_hz, unsigned channels, const int *channel_map,
                                unsigned flags, md_error *err)
{
    if (!(rate_hz >= MD_MIN_RATE && rate_hz <= MD_MAX_RATE) || rate_hz != floor(rate_hz)) {
        md_error_set(err, MD_ERR_INVALID,
                     "analyze: sample rate must be a whole number of Hz in %.0f..%.0f, got %g",
                     MD_MIN_RATE, MD_MAX_RATE, rate_hz);
        return NULL;
    }
    if (channels < 1 || channels > MD_MAX_CHANNELS) {
        md_error_set(err, MD_ERR_INVALID, "analyze: channels must be in 1..%d, got %u",
                     MD_MAX_CHANNELS, channels);
        return NULL;
    }
    if (flags & ~(unsigned)(MD_ANALYZE_NO_THREAD | MD_ANALYZE_NO_TRUE_PEAK)) {
        md_error_set(err, MD_ERR_INVALID, "analyze: unknown flags, got 0x%x", flags);
        return NULL;
    }
    md_analyzer *a = calloc(1, sizeof *a);
    if (!a)
        goto nomem;
    a->rate_hz = rate_hz;
    a->channels = channels;
    a->flags = flags;
    a->max_m = a->max_s = -INFINITY;
    choose_pieces(a);
    a->energy = calloc(a->ns, sizeof *a->energy);
    a->gate_i = calloc(1, sizeof *a->gate_i);
    a->gate_s = calloc(1, sizeof *a->gate_s);
    if (!a->energy || !a->gate_i || !a->gate_s)
        goto nomem;

    a->lu = ebur128_init(channels, (unsigned long)rate_hz, EBUR128_MODE_M);
    if (!a->lu)
        goto nomem;
    for (unsigned c = 0; c < channels; c++)
        ebur128_set_channel(a->lu, c, mdi_ebur128_channel(channel_map, channels, c));

    unsigned slot_frames = SLOT_SAMPLES / channels > 1024 ? SLOT_SAMPLES / channels : 1024;
    a->scratch = malloc(sizeof(float) * slot_frames * channels);
    if (!a->scratch)
        goto nomem;
    int tp = !(flags & MD_ANALYZE_NO_TRUE_PEAK), threaded = !(flags & MD_ANALYZE_NO_THREAD);
    for (unsigned c = 0; tp && c < channels; c++) {
        a->tp[c] = ebur128_init(1, (unsigned long)rate_hz, EBUR128_MODE_TRUE_PEAK);
        if (!a->tp[c])
            goto nomem;
        /* true peak is taken before the K-filter; an unused channel skips
         * the filter (5 % of the state's time) */
        ebur128_set_channel(a->tp[c], 0, EBUR128_UNUSED);
    }
    /* Balance the two threads: the caller's already filters for loudness and
     * sums the levels, about 0.6 of one channel's oversampling (measured),
     * so it takes floor(C / 2 + 0.2) channels' true peak: 0 of 1, 1 of 2,
     * 3 of 6. */
    a->tp_split = threaded ? (unsigned)floor(channels / 2.0 + 0.2) : channels;
    a->ring =
        mdi_ring_create(channels, slot_frames, tp && a->tp_split < channels ? tp_worker : NULL,
                        tp && a->tp_split > 0 ? tp_caller : NULL, a, threaded, err);
    if (!a->ring) {
        md_analyzer_destroy(a);
        return NULL;
    }
    return a;
nomem:
    md_analyzer_destroy(a);
    md_error_set(err, MD_ERR_NOMEM, "analyze: out of memory for %u channels at %.0f Hz", channels,
                 rate_hz);
    return NULL;
}

void md_analyzer_set_series(md_analyzer *a, md_analyze_series_fn fn, void *user)
{
    a->series = fn;
    a->series_user = user;
}

static void resum(md_analyzer *a)
{
    /* the running sums drift by rounding; redo them exactly now and then */
    double s = 0.0, m = 0.0;
    unsigned zs = 0, zm = 0;
    for (unsigned k = 0; k < a->ns; k++) {
        /* pos is the oldest piece; the last nm are the newest */
        double e = a->energy[(a->pos + k) % a->ns];
        s += e;
        zs += e > 0.0;
        if (k >= a->ns - a->nm) {
            m += e;
            zm += e > 0.0;
        }
    }
    a->sum_s = s;
    a->sum_m = m;
    a->nz_s = zs;
    a->nz_m = zm;
}

static void piece_done(md_analyzer *a)
{
    double l;
    ebur128_loudness_window(a->lu, a->piece_ms, &l);
    double e = l > -HUGE_VAL ? pow(10.0, (l + 0.691) / 10.0) : 0.0;

    unsigned leave_m = (a->pos + a->ns - a->nm) % a->ns; /* the piece nm ago */
    double old_s = a->energy[a->pos], old_m = a->energy[leave_m];
    a->sum_s += e - old_s;
    a->sum_m += e - old_m;
    a->nz_s += (e > 0.0) - (old_s > 0.0);
    a->nz_m += (e > 0.0) - (old_m > 0.0);
    a->energy[a->pos] = e;
    a->pos = (a->pos + 1) % a->ns;
    a->pieces++;

    int tick = a->pieces % a->series_every == 0;
    if (tick) {
        resum(a);
        /* gating blocks start once their window is full, as in BS.1770-4 */
        if (a->pieces >= a->nm)
            mdi_gate_add(a->gate_i, a->sum_m / a->nm);
        if (a->pieces >= a->ns)
            mdi_gate_add(a->gate_s, a->sum_s / a->ns);
    }
    /* windows not yet filled count their missing part as silence, as
     * libebur128 does */
    double m = a->nz_m ? energy_to_lufs(a->sum_m / a->nm) : -INFINITY;
    double s = a->nz_s ? energy_to_lufs(a->sum_s / a->ns) : -INFINITY;
    if (m > a->max_m)
        a->max_m = m;
    if (s > a->max_s)
        a->max_s = s;
    if (tick && a->series)
        a->series(a->series_user, (double)a->pieces * a->piece_frames / a->rate_hz, nan_if_inf(m),
                  nan_if_inf(s));
}

static void feed_loudness(md_analyzer *a, const float *il, unsigned frames)
{
    while (frames > 0) {
        unsigned n = a->piece_frames - a->piece_fill;
        if (n > frames)
            n = frames;
        if (ebur128_add_frames_float(a->lu, il, n) != EBUR128_SUCCESS)
            a->failed = MD_ERR_NOMEM;
        il += (size_t)n * a->channels;
        frames -= n;
        a->piece_fill += n;
        if (a->piece_fill == a->piece_frames) {
            a->piece_fill = 0;
            piece_done(a);
        }
    }
}

/* planar (il NULL) or interleaved (planar NULL) */
static md_status add(md_analyzer *a, const float *const *planar, const float *il, unsigned frames,
                     md_error *err)
{
    if (a->failed)
        return md_error_set(err, MD_ERR_STATE, "analyze: the analyzer failed earlier");
    if (frames == 0)
        return MD_OK;
    if (!planar && !il)
        return md_error_set(err, MD_ERR_INVALID, "analyze: no sample data for %u frames", frames);
    unsigned done = 0, ch = a->channels, stride = mdi_ring_stride(a->ring);
    size_t xs = il ? ch : 1;
    while (done < frames) {
        unsigned fill, avail;
        float *slot = mdi_ring_slot(a->ring, &fill, &avail);
        unsigned n = frames - done < avail ? frames - done : avail;
        const float *x[MD_MAX_CHANNELS];
        uint64_t bad = 0;
        for (unsigned c = 0; c < ch; c++) {
            x[c] = il ? il + (size_t)done * ch + c : planar[c] + done;
            /* the slot keeps the samples with non-finite ones made 0 */
            uint64_t before = a->lv[c].nonfinite;
            mdi_levels_channel(&a->lv[c], x[c], xs, n, slot + (size_t)c * stride + fill);
            bad += a->lv[c].nonfinite - before;
        }
        if (ch >= 2)
            mdi_levels_pair(&a->pair, x[0], x[1], xs, n);
        if (il && bad == 0) {
            feed_loudness(a, il + (size_t)done * ch, n); /* clean: no copy needed */
        } else {
            for (unsigned c = 0; c < ch; c++) {
                const float *src = slot + (size_t)c * stride + fill;
                for (unsigned i = 0; i < n; i++)
                    a->scratch[(size_t)i * ch + c] = src[i];
            }
            feed_loudness(a, a->scratch, n);
        }
        mdi_ring_commit(a->ring, n);
        done += n;
    }
    a->frames += frames;
    if (a->failed)
        return md_error_set(err, a->failed, "analyze: libebur128 ran out of memory");
    return MD_OK;
}

md_status md_analyzer_add(md_analyzer *a, const float *const *planar, unsigned frames,
                          md_error *err)
{
    return add(a, planar, NULL, frames, err);
}

md_status md_analyzer_add_interleaved(md_analyzer *a, const float *interleaved, unsigned frames,
                                      md_error *err)
{
    return add(a, NULL, interleaved, frames, err);
}

static double correlation(const mdi_pair_levels *p)
{
    if (p->n == 0)
        return NAN;
    double n = (double)p->n;
    double vx = p->sxx - p->sx * p->sx / n;
    double vy = p->syy - p->sy * p->sy / n;
    double cov = p->sxy - p->sx * p->sy / n;
    /* a silent or constant (DC only) channel has no variance: undefined.
     * The relative floor absorbs rounding of the sums. */
    if (!(vx > 1e-12 * p->sxx) || !(vy > 1e-12 * p->syy))
        return NAN;
    double r = cov / sqrt(vx * vy);
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

md_status md_analyzer_result(md_analyzer *a, md_analysis *out)
{
    memset(out, 0, sizeof *out);
    out->rate_hz = a->rate_hz;
    out->channels = a->channels;
    out->frames = a->frames;
    out->duration_s = (double)a->frames / a->rate_hz;

    mdi_ring_drain(a->ring);

    out->integrated_lufs = mdi_gate_integrated(a->gate_i);
    out->loudness_range_lu = mdi_gate_range(a->gate_s);
    out->max_momentary_lufs = nan_if_inf(a->max_m);
    out->max_short_term_lufs = nan_if_inf(a->max_s);

    double peak = 0.0, sum2 = 0.0, maxdc = NAN;
    uint64_t n = 0;
    out->true_peak_dbtp = NAN;
    for (unsigned c = 0; c < a->channels; c++) {
        const mdi_chan_levels *s = &a->lv[c];
        out->sample_peak_ch_dbfs[c] = lin_to_db(s->peak);
        if (s->peak > peak)
            peak = s->peak;
        sum2 += s->sum2;
        n += s->n;
        if (s->n > 0) {
            double dc = fabs(s->sum / (double)s->n);
            if (!(dc <= maxdc))
                maxdc = dc;
        }
        out->clipped_samples += s->clipped;
        out->nonfinite_samples += s->nonfinite;
        out->true_peak_ch_dbtp[c] = NAN;
        double tp;
        if (a->tp[c] && ebur128_true_peak(a->tp[c], 0, &tp) == EBUR128_SUCCESS) {
            out->true_peak_ch_dbtp[c] = lin_to_db(tp);
            if (isfinite(out->true_peak_ch_dbtp[c]) &&
                !(out->true_peak_ch_dbtp[c] <= out->true_peak_dbtp))
                out->true_peak_dbtp = out->true_peak_ch_dbtp[c];
        }
    }
    out->sample_peak_dbfs = lin_to_db(peak);
    out->rms_dbfs = n > 0 && sum2 > 0.0 ? 10.0 * log10(sum2 / (double)n) : NAN;
    out->crest_db = out->sample_peak_dbfs - out->rms_dbfs; /* NAN propagates */
    out->dc_offset = maxdc;

    out->correlation = NAN;
    out->balance_db = NAN;
    if (a->channels >= 2) {
        out->correlation = correlation(&a->pair);
        const mdi_chan_levels *l = &a->lv[0], *r = &a->lv[1];
        if (l->n > 0 && r->n > 0 && l->sum2 > 0.0 && r->sum2 > 0.0)
            out->balance_db = 10.0 * log10((l->sum2 / (double)l->n) / (r->sum2 / (double)r->n));
    }
    return a->failed;
}
