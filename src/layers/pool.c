/* Max pooling, forward and backward. Its spec token is pool<P> ("pool2"): P x P windows at stride P over
 * every channel, with Keras's 'same' rounding: out = ceil(in / P) on each side, and a window at the right or
 * bottom edge covers only the values that exist (TensorFlow pads with -inf, which never wins), so 7 -> 4.
 * The windows start at 0, P, 2P, …: Keras's do too whenever its padding is under 2 (always for pool2), but
 * Keras puts half of a larger padding in front (pool3 over 7: windows at -1, 2, 5), which this does not yet.
 * Windows do not overlap and cover the input, so every input value has exactly one output above it.
 *
 *   forward:  z(oy, ox, ch) = max over iy in [oy·P, min(oy·P + P, H)), ix likewise, of x(iy, ix, ch)
 *   backward: dx(iy, ix, ch) = dz(oy, ox, ch) at the first position of its window (row-major) where
 *             x == z, 0 elsewhere.
 *
 * The first maximum is found again from x and z, so no indices are stored; ties (equal values, common after
 * a ReLU's zeros) go to the first of them, whatever the thread count. No parameters. The activation is
 * elementwise, so forward applies it and backward applies the layer below's derivative to each dx row as
 * soon as the row is complete, while it is in cache: the same bits as the model's separate step. */
#include "layer.h"
#include "../vecmath.h"
#include <stdio.h>
#include <string.h>

/* The examples [lo, hi) of one parallel range; each example is computed alone, in one fixed order. */
typedef struct {
    const ae_layer_ctx *c;
    int P;
} pool_job;

/* Both directions go through an output row's windows one window position (iy, ix = ox·P + kx) at a time,
 * row-major, for all the row's windows at once. The channels run four lanes at a time with compares as masks:
 * scalar code branches on them, and random maxima defeat a branch predictor (several times slower). */
NO_LIBCALLS static void forward_range(void *p, size_t lo, size_t hi) {
    const pool_job *j = p;
    const ae_layer_ctx *c = j->c;
    const int P = j->P, C = c->in.c, H = c->in.h, W = c->in.w, Ho = c->out.h, Wo = c->out.w;
    const size_t n_in = (size_t)C * H * W, n_out = (size_t)C * Ho * Wo;
    for (size_t b = lo; b < hi; b++)
        for (int oy = 0; oy < Ho; oy++) {
            float *o = c->z + b * n_out + (size_t)oy * Wo * C; /* (Wo, C) */
            const int y0 = oy * P, y1 = y0 + P < H ? y0 + P : H;
            for (int iy = y0; iy < y1; iy++) {
                const float *xr = c->x + b * n_in + (size_t)iy * W * C; /* (W, C) */
                for (int kx = 0; kx < P && kx < W; kx++) {
                    const int n_ox = (W - kx + P - 1) / P; /* windows whose column kx exists */
                    for (int ox = 0; ox < n_ox; ox++) {
                        const float *v = xr + ((size_t)ox * P + kx) * C;
                        float *m = o + (size_t)ox * C;
                        if (iy == y0 && kx == 0) {
                            copy_run(m, v, C);
                            continue;
                        }
                        int ch = 0; /* a NaN after the first value never wins */
                        for (; ch + 4 <= C; ch += 4) {
                            const v4f a = v4_load(v + ch), o4 = v4_load(m + ch);
                            v4_store(m + ch, v4_select(a > o4, a, o4));
                        }
                        for (; ch < C; ch++) m[ch] = v[ch] > m[ch] ? v[ch] : m[ch];
                    }
                }
            }
        }
    if (c->apply_act) ae_act_forward(c->spec->act, c->z + lo * n_out, c->y + lo * n_out, (hi - lo) * n_out, (int)n_out);
}

/* rem (Wo, C), per example in the scratch: each window's gradient not yet given. The first position equal to
 * the maximum takes it all; every position is written once (windows tile the input), so dx needs no zeroing. */
NO_LIBCALLS static void backward_range(void *p, size_t lo, size_t hi) {
    const pool_job *j = p;
    const ae_layer_ctx *c = j->c;
    const int P = j->P, C = c->in.c, H = c->in.h, W = c->in.w, Ho = c->out.h, Wo = c->out.w;
    const size_t n_in = (size_t)C * H * W, n_out = (size_t)C * Ho * Wo, row = (size_t)Wo * C;
    for (size_t b = lo; b < hi; b++) {
        float *rem = c->scratch + b * row;
        for (int oy = 0; oy < Ho; oy++) {
            const float *z = c->z + b * n_out + oy * row;
            copy_run(rem, c->dz + b * n_out + oy * row, (int)row);
            const int y0 = oy * P, y1 = y0 + P < H ? y0 + P : H;
            for (int iy = y0; iy < y1; iy++) {
                const float *xr = c->x + b * n_in + (size_t)iy * W * C;
                float *dr = c->dx + b * n_in + (size_t)iy * W * C;
                for (int kx = 0; kx < P && kx < W; kx++) {
                    const int n_ox = (W - kx + P - 1) / P;
                    for (int ox = 0; ox < n_ox; ox++) {
                        const size_t at = ((size_t)ox * P + kx) * C, o = (size_t)ox * C;
                        /* a NaN maximum matches nowhere: its gradient is dropped */
                        int ch = 0;
                        for (; ch + 4 <= C; ch += 4) {
                            const v4i hit = v4_load(xr + at + ch) == v4_load(z + o + ch);
                            const v4f r = v4_load(rem + o + ch), zero = v4_splat(0.0f);
                            v4_store(dr + at + ch, v4_select(hit, r, zero));
                            v4_store(rem + o + ch, v4_select(hit, zero, r));
                        }
                        for (; ch < C; ch++) {
                            const int hit = xr[at + ch] == z[o + ch];
                            dr[at + ch] = hit ? rem[o + ch] : 0.0f;
                            rem[o + ch] = hit ? 0.0f : rem[o + ch];
                        }
                    }
                }
                /* the row is complete: the layer below's f' while it is in cache */
                if (c->fuse_below >= 0) ae_act_backward((ae_act)c->fuse_below, xr, dr, dr, (size_t)W * C);
            }
        }
    }
}

/* ---- the layer kind: spec token, shapes, and the model's calls ---- */

static int parse(const char *tok, size_t len, ae_layer *out) {
    if (len < 4 || memcmp(tok, "pool", 4)) return 0;
    long v = 0;
    size_t i = 4;
    for (; i < len && i < 12 && tok[i] >= '0' && tok[i] <= '9'; i++) v = v * 10 + (tok[i] - '0');
    if (i == 4 || i < len || v < 1 || v > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "'%.*s': max pooling is pool<P>, P x P windows with P a whole number 1 to %d, like pool2",
                       (int)(len < 40 ? len : 40), tok, AE_MAX_WIDTH);
    out->kind = AE_LAYER_POOL;
    out->size = (int)v;
    return 1;
}

static int print(const ae_layer *l, char *buf, size_t cap) { return snprintf(buf, cap, "pool%d", l->size); }

static int infer(const ae_layer *l, ae_shape in, ae_shape *out) {
    if (l->size < 1 || l->size > AE_MAX_WIDTH) return ae_fail(AE_ERR_ARG, "a pooling window must be 1 to %d wide, not %d", AE_MAX_WIDTH, l->size);
    const int P = l->size;
    *out = (ae_shape){in.c, (in.h + P - 1) / P, (in.w + P - 1) / P}; /* 'same': ceil(in / P) */
    return AE_OK;
}

static int tensors(const ae_layer *l, ae_shape in, ae_shape out, ae_tensor_info *t) { return 0; }

static uint64_t scratch(const ae_layer *l, ae_shape in, ae_shape out, int B) { return (uint64_t)B * out.w * out.c; } /* backward's rem rows */

static void forward(const ae_layer_ctx *c) {
    pool_job j = {c, c->spec->size};
    ae_parallel_range((size_t)c->B, ae_examples_per_range(c->in, 16384), 1, forward_range, &j);
}

static void backward(const ae_layer_ctx *c) {
    if (!c->dx) return; /* no parameters: only the input gradient to give */
    pool_job j = {c, c->spec->size};
    ae_parallel_range((size_t)c->B, ae_examples_per_range(c->in, 16384), 1, backward_range, &j);
}

static double flops(const ae_layer *l, ae_shape in, ae_shape out, int need_dx) { return 0.0; } /* comparisons, no products */

const ae_layer_ops ae_pool_ops = {AE_LAYER_POOL, "pool", parse, print, infer, tensors, scratch, forward, backward, flops, 1, 1, "pool2", 1};
