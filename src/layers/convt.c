/* The transposed 2-D convolution (Keras's Conv2DTranspose, output_padding None), forward and backward. Its
 * spec token is convt<C>k<K>[s<S>][v]: C filters of K×K, stride S (default 1), 'same' unless the trailing v.
 * Input position i sends its K taps to outputs o = i·S + k − pad_before; per side:
 *   same:  out = in·S, pad_total = max(K − S, 0), pad_before = floor(pad_total / 2)  (TensorFlow's
 *          conv2d_transpose: for K 3, S 2 nothing before, the last row and column fall off)
 *   valid: out = (in − 1)·S + K, pad 0
 * Wt (C_in, K, K, C_out) is stored as (C_in, K·K·C_out) rows; fans K·K·C_out (in) and K·K·C_in (out), as
 * Keras computes them for Conv2DTranspose's kernel (K, K, C_out, C_in); bt (C_out).
 *
 * This is the adjoint of a convolution whose patches are the output's (src/layers/patches.h: the output is
 * the image, the input's positions the grid), so its products are conv's turned around, a slice of S_b
 * examples at a time; P(dz) (S_b·Hi·Wi, K·K·C_out) are dz's patches, read in place from a padded copy:
 *   forward:  D (S_b·Hi·Wi, K·K·C_out) = x Wt by GEMM;  z = b + col2im(D), y = f(z) per row as it is finished
 *   backward: dWt += x^T P(dz);  db += Σ dz;  dx = P(dz) Wt^T, f_below' on each block of rows. */
#include "patches.h"
#include <stdio.h>
#include <string.h>

static int64_t side(const ae_layer *l, int in) { return l->valid ? (int64_t)(in - 1) * l->stride + l->kernel : (int64_t)in * l->stride; }

static ae_patches geom(const ae_layer *l, ae_shape in, ae_shape out) {
    const int pad = l->valid || l->kernel <= l->stride ? 0 : (l->kernel - l->stride) / 2;
    return (ae_patches){out.h, out.w, out.c, in.h, in.w, l->kernel, l->stride, pad, pad};
}

/* Per example: D (forward), or the padded dz (backward). */
static uint64_t per_example(const ae_layer *l, ae_shape in, ae_shape out) {
    const ae_patches g = geom(l, in, out);
    const uint64_t d = (uint64_t)in.h * in.w * l->kernel * l->kernel * out.c, p = ae_patch_padded(&g);
    return d > p ? d : p;
}

/* ---- the layer kind ---- */

static int parse(const char *tok, size_t len, ae_layer *out) {
    int r = ae_patch_token_parse(tok, len, "convt", out);
    if (r == 1) out->kind = AE_LAYER_CONVT;
    return r;
}

static int print(const ae_layer *l, char *buf, size_t cap) { return ae_patch_token_print(l, "convt", buf, cap); }

static int infer(const ae_layer *l, ae_shape in, ae_shape *out) {
    if (l->units < 1 || l->units > AE_MAX_WIDTH || l->kernel < 1 || l->kernel > AE_MAX_WIDTH || l->stride < 1 || l->stride > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "filters %d, kernel %d, stride %d: each must be 1 to %d", l->units, l->kernel, l->stride, AE_MAX_WIDTH);
    if ((int64_t)l->kernel * l->kernel * l->units > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "a %d×%d kernel to %d channels: kernel² × channels must be at most %d", l->kernel, l->kernel, l->units,
                       AE_MAX_WIDTH);
    const int64_t h = side(l, in.h), w = side(l, in.w);
    if (h > AE_MAX_WIDTH || w > AE_MAX_WIDTH || h * w * l->units > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "%d×%d×%d values out; at most %d", l->units, (int)(h < AE_MAX_WIDTH ? h : AE_MAX_WIDTH),
                       (int)(w < AE_MAX_WIDTH ? w : AE_MAX_WIDTH), AE_MAX_WIDTH);
    *out = (ae_shape){l->units, (int)h, (int)w};
    return AE_OK;
}

/* Wt (C_in, K, K, C_out), random with fans (K·K·C_out, K·K·C_in), decayed; b (C_out), zero. */
static int tensors(const ae_layer *l, ae_shape in, ae_shape out, ae_tensor_info *t) {
    const int k = l->kernel, kk = k * k, co = l->units;
    t[0] = (ae_tensor_info){.name = "weight", .ndim = 4, .dims = {in.c, k, k, co}, .decay = 1,
                            .random = 1, .fan_in = kk * co, .fan_out = kk * in.c};
    t[1] = (ae_tensor_info){.name = "bias", .ndim = 1, .dims = {co}};
    return 2;
}

/* a slice's D or padded dz, its slack, then Wt^T packed */
static uint64_t scratch(const ae_layer *l, ae_shape in, ae_shape out, int B) {
    const uint64_t pe = per_example(l, in, out);
    return (uint64_t)ae_patch_slice(pe, B) * pe + AE_PATCH_SLACK + ae_patch_pack_floats(l->kernel * l->kernel * out.c, in.c);
}

static void forward(const ae_layer_ctx *c) {
    const ae_layer *l = c->spec;
    const ae_patches g = geom(l, c->in, c->out);
    const int ci = c->in.c, kkc = l->kernel * l->kernel * l->units, pos_in = c->in.h * c->in.w;
    const size_t n_in = (size_t)AE_SHAPE_SIZE(c->in), n_out = (size_t)AE_SHAPE_SIZE(c->out);
    const int S = ae_patch_slice(per_example(l, c->in, c->out), c->B), post = c->apply_act && l->act != AE_ACT_SOFTMAX;
    const ae_epilogue zero = {.zero = 1};
    for (int b = 0; b < c->B; b += S) {
        const int n = c->B - b < S ? c->B - b : S;
        /* D (n·pos_in, K·K·C_out) = x (n·pos_in, C_in) · Wt (C_in, K·K·C_out) */
        ae_gemm_ex(0, 0, n * pos_in, kkc, ci, c->x + b * n_in, ci, c->p[0], kkc, c->scratch, kkc, &zero);
        const ae_epilogue ep = {.bias = c->p[1], .post = post ? AE_POST_FORWARD : AE_POST_NONE, .act = l->act, .y = c->y + b * n_out,
                                .ldy = l->units};
        ae_col2im(&g, c->scratch, c->z + b * n_out, n, &ep);
    }
    if (c->apply_act && !post) ae_act_forward(l->act, c->z, c->y, (size_t)c->B * n_out, (int)n_out);
}

static void backward(const ae_layer_ctx *c) {
    const ae_layer *l = c->spec;
    const ae_patches g = geom(l, c->in, c->out);
    const int ci = c->in.c, co = l->units, kkc = l->kernel * l->kernel * co, pos = c->out.h * c->out.w;
    const size_t n_in = (size_t)AE_SHAPE_SIZE(c->in), n_out = (size_t)AE_SHAPE_SIZE(c->out);
    const uint64_t pe = per_example(l, c->in, c->out);
    const int S = ae_patch_slice(pe, c->B);
    float *pad = c->scratch, *packed = c->scratch + (size_t)S * pe + AE_PATCH_SLACK;
    if (c->dx) ae_patch_pack(c->p[0], 1, kkc, kkc, ci, packed); /* B (K·K·C_out, C_in) = Wt^T */
    for (int b = 0; b < c->B; b += S) {
        const int n = c->B - b < S ? c->B - b : S;
        const float *x = c->x + b * n_in, *dz = c->dz + b * n_out;
        const float *pz = ae_patch_pad(&g, dz, pad, n, 1);
        ae_patch_grads(&g, pz, x, ci, c->g[0], n, dz, n * pos, co, c->g[1]); /* dWt += x^T P(dz); db += Σ dz */
        if (!c->dx) continue;
        /* dx (n·Hi·Wi, C_in) = P(dz) · Wt^T, then ⊙ f_below'(x) */
        const ae_epilogue ep = {.post = c->fuse_below >= 0 ? AE_POST_BACKWARD : AE_POST_NONE,
                                .act = c->fuse_below >= 0 ? (ae_act)c->fuse_below : AE_ACT_IDENTITY, .fy = x, .ldfy = ci};
        ae_patch_conv(&g, pz, packed, ci, c->dx + b * n_in, n, &ep);
    }
}

static double flops(const ae_layer *l, ae_shape in, ae_shape out, int need_dx) {
    return (need_dx ? 6.0 : 4.0) * (double)in.h * in.w * in.c * l->kernel * l->kernel * l->units;
}

const ae_layer_ops ae_convt_ops = {AE_LAYER_CONVT, "convt", parse, print, infer, tensors, scratch, forward, backward, flops, 1, 1, "convt32k3s2", 0};
