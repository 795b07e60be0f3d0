/* Nearest upsampling, forward and backward. Its spec token is up<F> ("up2"): every value becomes an F x F
 * block, as Keras's UpSampling2D(F) (interpolation 'nearest').
 *
 *   forward:  z(yo, xo, ch) = x(yo / F, xo / F, ch)                       z (H·F, W·F, C), x (H, W, C)
 *   backward: dx(yi, xi, ch) = Σ_{fy, fx < F} dz(yi·F + fy, xi·F + fx, ch), summed in (fy, fx) row-major order
 *
 * No parameters. Each example is computed alone in one fixed order, so the sums are the same bits for any
 * thread count. The activation is elementwise, so forward applies it and backward applies the layer below's
 * derivative on each slice of examples while it is in cache: the same bits as the model's separate step. */
#include "layer.h"
#include "../vecmath.h"
#include <stdio.h>
#include <string.h>

typedef struct {
    const ae_layer_ctx *c;
    int F;
} up_job;

NO_LIBCALLS static void forward_range(void *p, size_t lo, size_t hi) {
    const up_job *j = p;
    const ae_layer_ctx *c = j->c;
    const int F = j->F, C = c->in.c, H = c->in.h, W = c->in.w, Wo = c->out.w;
    const size_t n_in = (size_t)C * H * W, n_out = n_in * F * F, row = (size_t)Wo * C; /* one output row (Wo, C) */
    for (size_t b = lo; b < hi; b++) {
        const float *x = c->x + b * n_in;
        float *z = c->z + b * n_out;
        for (int iy = 0; iy < H; iy++) {
            float *r = z + (size_t)iy * F * row; /* output row iy·F, then copied to the F - 1 rows below it */
            for (int ix = 0; ix < W; ix++)
                for (int fx = 0; fx < F; fx++) copy_run(r + ((size_t)ix * F + fx) * C, x + ((size_t)iy * W + ix) * C, C);
            for (int fy = 1; fy < F; fy++) copy_run(r + fy * row, r, (int)row);
        }
    }
    if (c->apply_act) ae_act_forward(c->spec->act, c->z + lo * n_out, c->y + lo * n_out, (hi - lo) * n_out, (int)n_out);
}

/* Row by row: for each of the F·F offsets (fy, fx) in order, the whole input row at once (its W·C values,
 * four lanes at a time): each sum is still taken in (fy, fx) order. */
NO_LIBCALLS static void backward_range(void *p, size_t lo, size_t hi) {
    const up_job *j = p;
    const ae_layer_ctx *c = j->c;
    const int F = j->F, C = c->in.c, H = c->in.h, W = c->in.w, Wo = c->out.w;
    const size_t n_in = (size_t)C * H * W, n_out = n_in * F * F, row = (size_t)Wo * C;
    for (size_t b = lo; b < hi; b++)
        for (int iy = 0; iy < H; iy++) {
            float *d = c->dx + b * n_in + (size_t)iy * W * C; /* (W, C) */
            for (int fy = 0; fy < F; fy++)
                for (int fx = 0; fx < F; fx++) {
                    const float *g = c->dz + b * n_out + ((size_t)iy * F + fy) * row + (size_t)fx * C; /* dz(iy·F + fy, fx, ·) */
                    if (fy == 0 && fx == 0) {
                        for (int ix = 0; ix < W; ix++) copy_run(d + (size_t)ix * C, g + (size_t)ix * F * C, C);
                        continue;
                    }
                    for (int ix = 0; ix < W; ix++) add_run(d + (size_t)ix * C, g + (size_t)ix * F * C, C);
                }
        }
    if (c->fuse_below >= 0)
        ae_act_backward((ae_act)c->fuse_below, c->x + lo * n_in, c->dx + lo * n_in, c->dx + lo * n_in, (hi - lo) * n_in);
}

/* ---- the layer kind: spec token, shapes, and the model's calls ---- */

static int parse(const char *tok, size_t len, ae_layer *out) {
    if (len < 2 || memcmp(tok, "up", 2)) return 0;
    long v = 0;
    size_t i = 2;
    for (; i < len && i < 10 && tok[i] >= '0' && tok[i] <= '9'; i++) v = v * 10 + (tok[i] - '0');
    if (i == 2 || i < len || v < 1 || v > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "'%.*s': upsampling is up<F>, each value repeated F x F times with F a whole number 1 to %d, like up2",
                       (int)(len < 40 ? len : 40), tok, AE_MAX_WIDTH);
    out->kind = AE_LAYER_UP;
    out->size = (int)v;
    return 1;
}

static int print(const ae_layer *l, char *buf, size_t cap) { return snprintf(buf, cap, "up%d", l->size); }

static int infer(const ae_layer *l, ae_shape in, ae_shape *out) {
    if (l->size < 1 || l->size > AE_MAX_WIDTH) return ae_fail(AE_ERR_ARG, "an upsampling factor must be 1 to %d, not %d", AE_MAX_WIDTH, l->size);
    const int64_t F = l->size, n = AE_SHAPE_SIZE(in) * F * F; /* at most 2^20 · 2^40: no overflow */
    if (n > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "upsampling %d×%d×%d by %d would give %lld values; at most %d", in.c, in.h, in.w, l->size, (long long)n, AE_MAX_WIDTH);
    *out = (ae_shape){in.c, (int)(in.h * F), (int)(in.w * F)};
    return AE_OK;
}

static int tensors(const ae_layer *l, ae_shape in, ae_shape out, ae_tensor_info *t) { return 0; }

static uint64_t scratch(const ae_layer *l, ae_shape in, ae_shape out, int B) { return 0; }

static void forward(const ae_layer_ctx *c) {
    up_job j = {c, c->spec->size};
    ae_parallel_range((size_t)c->B, ae_examples_per_range(c->out, 16384), 1, forward_range, &j);
}

static void backward(const ae_layer_ctx *c) {
    if (!c->dx) return; /* no parameters: only the input gradient to give */
    up_job j = {c, c->spec->size};
    ae_parallel_range((size_t)c->B, ae_examples_per_range(c->out, 16384), 1, backward_range, &j);
}

static double flops(const ae_layer *l, ae_shape in, ae_shape out, int need_dx) { return 0.0; } /* copies and sums, no products */

const ae_layer_ops ae_up_ops = {AE_LAYER_UP, "up", parse, print, infer, tensors, scratch, forward, backward, flops, 1, 1, "up2", 0};
