/* The 2-D convolution (Keras's Conv2D), forward and backward. Its spec token is conv<C>k<K>[s<S>][v]: C
 * filters of K×K over all input channels, stride S (default 1), 'same' padding unless the trailing v asks
 * for 'valid'. Keras's shapes, per side:
 *   same:  out = ceil(in / S), pad_total = max((out − 1)·S + K − in, 0), pad_before = floor(pad_total / 2)
 *   valid: out = floor((in − K) / S) + 1, pad 0 (refused if in < K)
 * W (C_out, K, K, C_in) is stored like a dense layer's (C_out, K·K·C_in) rows, fans K·K·C_in and K·K·C_out
 * (Keras's); b (C_out).
 *
 * Dense over patches (src/layers/patches.h): with P (B·Ho·Wo, K·K·C_in) the matrix of x's patches, one row
 * per output position, read in place from a padded copy of at most S_b examples at a time (so the copy stays
 * near AE_PATCH_BUDGET floats; P itself is never built: for 32 channels at 28×28 and batch 256 it is 230 MB).
 * The two products by a kernel (z and stride-1 dx) share the batch out in one contiguous run of examples
 * per thread, each thread padding its examples into its own part of the buffer, so a thread reads what it
 * wrote and tends to meet the same examples as in the pooling and upsampling layers around it; dW takes
 * the batch a slice at a time, each thread reading its own part of the slice's copy (src/layers/patches.c),
 * or on several threads, where it is small enough, the whole batch at once (grads_whole):
 *   forward:  z = P W^T + b, y = f(z) on each block of rows as it is finished
 *   backward: dW += dz^T P;  db += Σ_rows dz;
 *     stride 1: dx = P'(dz) Wf, P' the patches of dz at the input's positions (padding K−1−pad_before) and
 *               Wf (K·K·C_out, C_in) = W(co, K−1−ky, K−1−kx, ci) the kernel turned half a turn; f_below' on
 *               each block of dx rows as it is finished;
 *     stride > 1: dcol = dz W (S_b·Ho·Wo, K·K·C_in) by GEMM, then dx = col2im(dcol), f_below' per row.
 * The first dx form is a convolution like forward and avoids dcol, C_in/C_out times the size of dz's patches,
 * and a product of depth C_out (1 for an output layer); strided layers take the second, where the first would
 * multiply mostly inserted zeros. */
#include "patches.h"
#include <stdio.h>
#include <string.h>

static int side(const ae_layer *l, int in) { return l->valid ? (in - l->kernel) / l->stride + 1 : (in + l->stride - 1) / l->stride; }

static int pad_before(const ae_layer *l, int in, int out) {
    const int t = (out - 1) * l->stride + l->kernel - in;
    return l->valid || t <= 0 ? 0 : t / 2;
}

static ae_patches geom(const ae_layer *l, ae_shape in, ae_shape out) {
    return (ae_patches){in.h, in.w, in.c, out.h, out.w, l->kernel, l->stride, pad_before(l, in.h, out.h), pad_before(l, in.w, out.w)};
}

/* stride 1: dx(y, x) = Σ dz(y + pad_t − ky, x + pad_l − kx) W(ky, kx); with ky' = K−1−ky that is tap ky' of
 * position y over dz with pad K−1−pad_t */
static ae_patches geom_dx(const ae_layer *l, ae_shape in, ae_shape out) {
    const ae_patches g = geom(l, in, out);
    return (ae_patches){out.h, out.w, out.c, in.h, in.w, l->kernel, 1, l->kernel - 1 - g.pad_t, l->kernel - 1 - g.pad_l};
}

/* Per example: the padded input, which backward reuses for the padded dz (stride 1) or dcol (stride > 1). */
static uint64_t per_example(const ae_layer *l, ae_shape in, ae_shape out) {
    const ae_patches g = geom(l, in, out), gd = geom_dx(l, in, out);
    const uint64_t x = ae_patch_padded(&g), b = l->stride == 1 ? ae_patch_padded(&gd) : (uint64_t)out.h * out.w * l->kernel * l->kernel * in.c;
    return x > b ? x : b;
}

/* After a slice's buffer: W packed for forward; for dx at stride 1 the turned kernel and its packing. */
static uint64_t packed_floats(const ae_layer *l, ae_shape in, ae_shape out) {
    const int kk = l->kernel * l->kernel;
    const uint64_t f = ae_patch_pack_floats(kk * in.c, out.c),
                   b = l->stride == 1 ? (uint64_t)kk * out.c * in.c + ae_patch_pack_floats(kk * out.c, in.c) : 0;
    return f > b ? f : b;
}

/* ---- the layer kind ---- */

static int parse(const char *tok, size_t len, ae_layer *out) {
    if (len > 4 && tok[4] == 't') return 0; /* convt: the transposed kind's */
    int r = ae_patch_token_parse(tok, len, "conv", out);
    if (r == 1) out->kind = AE_LAYER_CONV;
    return r;
}

static int print(const ae_layer *l, char *buf, size_t cap) { return ae_patch_token_print(l, "conv", buf, cap); }

static int infer(const ae_layer *l, ae_shape in, ae_shape *out) {
    if (l->units < 1 || l->units > AE_MAX_WIDTH || l->kernel < 1 || l->kernel > AE_MAX_WIDTH || l->stride < 1 || l->stride > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "filters %d, kernel %d, stride %d: each must be 1 to %d", l->units, l->kernel, l->stride, AE_MAX_WIDTH);
    const int64_t kk = (int64_t)l->kernel * l->kernel;
    if (kk * in.c > AE_MAX_WIDTH || kk * l->units > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "a %d×%d kernel from %d to %d channels: kernel² × channels must be at most %d on either side", l->kernel,
                       l->kernel, in.c, l->units, AE_MAX_WIDTH);
    if (l->valid && (in.h < l->kernel || in.w < l->kernel))
        return ae_fail(AE_ERR_ARG, "a %d×%d kernel with 'valid' padding needs an input of at least %d×%d, not %d×%d", l->kernel, l->kernel,
                       l->kernel, l->kernel, in.h, in.w);
    *out = (ae_shape){l->units, side(l, in.h), side(l, in.w)};
    return AE_OK;
}

/* W (C_out, K, K, C_in), random with fans (K·K·C_in, K·K·C_out), decayed; b (C_out), zero. */
static int tensors(const ae_layer *l, ae_shape in, ae_shape out, ae_tensor_info *t) {
    const int k = l->kernel, kk = k * k, co = l->units;
    t[0] = (ae_tensor_info){.name = "weight", .ndim = 4, .dims = {co, k, k, in.c}, .decay = 1,
                            .random = 1, .fan_in = kk * in.c, .fan_out = kk * co};
    t[1] = (ae_tensor_info){.name = "bias", .ndim = 1, .dims = {co}};
    return 2;
}

/* On several threads a stride-1 layer's weight gradient takes the whole batch at once where its padded input
 * is at most 2·AE_PATCH_BUDGET floats (2 MB) and dz at most 8·AE_PATCH_BUDGET (8 MB): at batch 128, W3's
 * first, second and sixth convolutions. Its parts (src/layers/patches.c, grads_part) are then the contiguous
 * shares of the batch that the loops around it give each thread, so each thread reads only what it wrote. A
 * slice at a time, half of each thread's part of a slice is the other core's examples, whose cache lines
 * cross once to be read and again to be written in the next step, which costs most with the cores on
 * different chiplets. Larger layers keep their slices: with the whole batch each tile would stream both
 * threads' shares from L3 (docs/benchmarks.md has what each choice measured). On one thread slices keep
 * what a tile rereads in L2. The slices only group the examples: the sums, and so the bits, are the same.
 * Returns the most examples taken at once. */
static int grads_whole(const ae_layer *l, ae_shape in, ae_shape out) {
    const ae_patches g = geom(l, in, out);
    const uint64_t a = 2 * (uint64_t)AE_PATCH_BUDGET / ae_patch_padded(&g), b = 8 * (uint64_t)AE_PATCH_BUDGET / (uint64_t)AE_SHAPE_SIZE(out),
                   n = a < b ? a : b;
    return l->stride != 1 ? 0 : n > AE_MAX_BATCH ? AE_MAX_BATCH : (int)n;
}

/* Floats before the buffer: the packed kernels, whose place so depends on nothing that varies with the batch
 * (rounded to a 64-byte multiple, so the buffer starts as aligned as the scratch does). */
static size_t head(const ae_layer *l, ae_shape in, ae_shape out) { return (size_t)(packed_floats(l, in, out) + 15) / 16 * 16; }

/* Floats of the buffer for a batch of B, never fewer for a larger B (a model's scratch is sized for its
 * largest batch, and a partial batch must fit in it): a slice's padded copy (or dcol), or the padded input
 * of up to grads_whole examples. */
static uint64_t buf_floats(const ae_layer *l, ae_shape in, ae_shape out, int B) {
    const ae_patches g = geom(l, in, out);
    const int gw = grads_whole(l, in, out);
    const uint64_t pe = per_example(l, in, out), s = (uint64_t)ae_patch_slice(pe, B) * pe, w = (uint64_t)(B < gw ? B : gw) * ae_patch_padded(&g);
    return s > w ? s : w;
}

/* the packed kernels, then the buffer and its slack */
static uint64_t scratch(const ae_layer *l, ae_shape in, ae_shape out, int B) {
    return head(l, in, out) + buf_floats(l, in, out, B) + AE_PATCH_SLACK;
}

static void forward(const ae_layer_ctx *c) {
    const ae_layer *l = c->spec;
    const ae_patches g = geom(l, c->in, c->out);
    const int co = l->units, kkc = l->kernel * l->kernel * c->in.c;
    const size_t n_out = (size_t)AE_SHAPE_SIZE(c->out);
    const uint64_t pe = per_example(l, c->in, c->out);
    const int S = ae_patch_slice(pe, c->B), post = c->apply_act && l->act != AE_ACT_SOFTMAX;
    float *packed = c->scratch, *pad = c->scratch + head(l, c->in, c->out);
    ae_patch_pack(c->p[0], 1, kkc, kkc, co, packed); /* B (K·K·C_in, C_out) = W^T */
    /* z (B·Ho·Wo, C_out) = bias + P(x) W^T, y = f(z) */
    const ae_epilogue ep = {.bias = c->p[1], .post = post ? AE_POST_FORWARD : AE_POST_NONE, .act = l->act, .y = c->y, .ldy = co};
    ae_patch_pad_conv(&g, c->x, pad, S, packed, co, c->z, c->B, &ep);
    if (c->apply_act && !post) ae_act_forward(l->act, c->z, c->y, (size_t)c->B * n_out, (int)n_out);
}

/* Wf (K, K, C_out, C_in) = W (C_out, K, K, C_in) turned half a turn: Wf(ky, kx, co) = W(co, K−1−ky, K−1−kx) */
static void turn_kernel(const float *W, float *Wf, int k, int co, int ci) {
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
            for (int o = 0; o < co; o++)
                memcpy(Wf + (((size_t)ky * k + kx) * co + o) * ci, W + (((size_t)o * k + (k - 1 - ky)) * k + (k - 1 - kx)) * ci,
                       (size_t)ci * sizeof *Wf);
}

static void backward(const ae_layer_ctx *c) {
    const ae_layer *l = c->spec;
    const ae_patches g = geom(l, c->in, c->out), gd = geom_dx(l, c->in, c->out);
    const int ci = c->in.c, co = l->units, kk = l->kernel * l->kernel, pos = c->out.h * c->out.w;
    const size_t n_in = (size_t)AE_SHAPE_SIZE(c->in), n_out = (size_t)AE_SHAPE_SIZE(c->out);
    const uint64_t pe = per_example(l, c->in, c->out);
    const int S = ae_patch_slice(pe, c->B), turned = l->stride == 1;
    float *Wf = c->scratch, *packed = Wf + (size_t)kk * co * ci, *buf = c->scratch + head(l, c->in, c->out);
    const int Sg = ae_threads() > 1 && c->B <= grads_whole(l, c->in, c->out) ? c->B : S; /* examples per pass of dW */
    if (c->dx && turned) {
        turn_kernel(c->p[0], Wf, l->kernel, co, ci);
        ae_patch_pack(Wf, ci, 1, kk * co, ci, packed); /* B (K·K·C_out, C_in) = Wf */
    }
    const ae_act below = c->fuse_below >= 0 ? (ae_act)c->fuse_below : AE_ACT_IDENTITY;
    for (int b = 0; b < c->B; b += Sg) {
        const int n = c->B - b < Sg ? c->B - b : Sg;
        const float *x = c->x + b * n_in, *dz = c->dz + b * n_out;
        /* dW += dz^T P(x);  db += Σ dz */
        ae_patch_grads(&g, ae_patch_pad(&g, x, buf, n, 1), dz, co, c->g[0], n, dz, n * pos, co, c->g[1]);
        if (!c->dx || turned) continue;
        /* dcol = dz W, dx = col2im(dcol) ⊙ f_below'(x) */
        const ae_epilogue ep = {.post = c->fuse_below >= 0 ? AE_POST_BACKWARD : AE_POST_NONE, .act = below, .fy = x, .ldfy = ci};
        const ae_epilogue zero = {.zero = 1};
        ae_gemm_ex(0, 0, n * pos, kk * ci, co, dz, co, c->p[0], kk * ci, buf, kk * ci, &zero);
        ae_col2im(&g, buf, c->dx + b * n_in, n, &ep);
    }
    if (c->dx && turned) { /* dx (B·Hi·Wi, C_in) = P'(dz) Wf, then ⊙ f_below'(x), once the gradients are done with buf */
        const ae_epilogue ep = {.post = c->fuse_below >= 0 ? AE_POST_BACKWARD : AE_POST_NONE, .act = below, .fy = c->x, .ldfy = ci};
        ae_patch_pad_conv(&gd, c->dz, buf, S, packed, ci, c->dx, c->B, &ep);
    }
}

static double flops(const ae_layer *l, ae_shape in, ae_shape out, int need_dx) {
    return (need_dx ? 6.0 : 4.0) * (double)out.h * out.w * l->units * l->kernel * l->kernel * in.c;
}

const ae_layer_ops ae_conv_ops = {AE_LAYER_CONV, "conv", parse, print, infer, tensors, scratch, forward, backward, flops, 1, 1, "conv16k3", 0};
