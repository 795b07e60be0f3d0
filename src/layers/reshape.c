/* Reshape: the same values read as another shape, so that dense and convolutional layers mix in one model
 * ("784-392-8x7x7-up2-..." turns a dense output into 8 channels of 7 x 7). Its spec token is the new shape,
 * CxHxW or HxW (channels 1), as the input is written; a plain number is a dense layer, and a dense layer
 * already reads any shape as a flat vector, so flattening needs no token. The sizes must match.
 *
 * Every tensor is stored channels-last, so the values keep their order: z = x, dx = dz (as Keras's Reshape
 * on channels-last data). The copy is the price of the model owning one buffer per layer. No parameters; the
 * activation (8x7x7:relu) and the layer below's derivative are applied in the same pass. */
#include "layer.h"
#include <stdio.h>
#include <string.h>

static void forward_range(void *p, size_t lo, size_t hi) {
    const ae_layer_ctx *c = p;
    const size_t n = (size_t)AE_SHAPE_SIZE(c->in);
    memcpy(c->z + lo * n, c->x + lo * n, (hi - lo) * n * sizeof(float));
    if (c->apply_act) ae_act_forward(c->spec->act, c->z + lo * n, c->y + lo * n, (hi - lo) * n, (int)n);
}

static void backward_range(void *p, size_t lo, size_t hi) {
    const ae_layer_ctx *c = p;
    const size_t n = (size_t)AE_SHAPE_SIZE(c->in);
    /* dx = f_below'(x) ⊙ dz in one pass (identity: a copy) */
    ae_act_backward(c->fuse_below >= 0 ? (ae_act)c->fuse_below : AE_ACT_IDENTITY, c->x + lo * n, c->dz + lo * n, c->dx + lo * n, (hi - lo) * n);
}

/* ---- the layer kind: spec token, shapes, and the model's calls ---- */

/* A side 1..AE_MAX_WIDTH from s[0..len), or -1. */
static long side(const char *s, size_t len) {
    long v = 0;
    if (!len || len > 8) return -1;
    for (size_t i = 0; i < len; i++) v = v * 10 + (s[i] - '0');
    return v >= 1 && v <= AE_MAX_WIDTH ? v : -1;
}

static int parse(const char *tok, size_t len, ae_layer *out) {
    /* ours: digits and 'x' only, starting with a digit, with an 'x' (a plain number is a dense width) */
    if (!len || tok[0] < '0' || tok[0] > '9' || !memchr(tok, 'x', len)) return 0;
    for (size_t i = 0; i < len; i++)
        if (tok[i] != 'x' && (tok[i] < '0' || tok[i] > '9')) return 0;
    long d[3];
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && tok[i] != 'x') continue;
        if (n == 3 || (d[n] = side(tok + start, i - start)) < 0) goto bad;
        n++;
        start = i + 1;
    }
    ae_shape s = n == 2 ? (ae_shape){1, (int)d[0], (int)d[1]} : (ae_shape){(int)d[0], (int)d[1], (int)d[2]};
    if (AE_SHAPE_SIZE(s) > AE_MAX_WIDTH) goto bad;
    out->kind = AE_LAYER_RESHAPE;
    out->shape = s;
    return 1;
bad:
    return ae_fail(AE_ERR_ARG, "'%.*s': a reshape is height×width (28x28) or channels×height×width (8x7x7) of whole numbers from 1, "
                   "at most %d values in all", (int)(len < 40 ? len : 40), tok, AE_MAX_WIDTH);
}

static int print(const ae_layer *l, char *buf, size_t cap) {
    const ae_shape s = l->shape;
    return s.c == 1 ? snprintf(buf, cap, "%dx%d", s.h, s.w) : snprintf(buf, cap, "%dx%dx%d", s.c, s.h, s.w);
}

static int infer(const ae_layer *l, ae_shape in, ae_shape *out) {
    const ae_shape s = l->shape;
    if (s.c < 1 || s.h < 1 || s.w < 1 || s.c > AE_MAX_WIDTH || s.h > AE_MAX_WIDTH || s.w > AE_MAX_WIDTH || AE_SHAPE_SIZE(s) > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "cannot reshape to %d×%d×%d: each side must be at least 1 and the whole at most %d values", s.c, s.h, s.w,
                       AE_MAX_WIDTH);
    if (AE_SHAPE_SIZE(s) != AE_SHAPE_SIZE(in))
        return ae_fail(AE_ERR_ARG, "cannot reshape %d×%d×%d (%lld values) to %d×%d×%d (%lld values): the sizes must match", in.c, in.h, in.w,
                       (long long)AE_SHAPE_SIZE(in), s.c, s.h, s.w, (long long)AE_SHAPE_SIZE(s));
    *out = s;
    return AE_OK;
}

static int tensors(const ae_layer *l, ae_shape in, ae_shape out, ae_tensor_info *t) { return 0; }

static uint64_t scratch(const ae_layer *l, ae_shape in, ae_shape out, int B) { return 0; }

static void forward(const ae_layer_ctx *c) { ae_parallel_range((size_t)c->B, ae_examples_per_range(c->in, 65536), 1, forward_range, (void *)c); }

static void backward(const ae_layer_ctx *c) {
    if (c->dx) ae_parallel_range((size_t)c->B, ae_examples_per_range(c->in, 65536), 1, backward_range, (void *)c);
}

static double flops(const ae_layer *l, ae_shape in, ae_shape out, int need_dx) { return 0.0; }

const ae_layer_ops ae_reshape_ops = {AE_LAYER_RESHAPE, "reshape", parse, print, infer, tensors, scratch, forward, backward, flops, 1, 1, "8x7x7", 0};
