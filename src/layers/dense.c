/* The dense (fully connected) layer, forward and backward. Its spec token is its width ("32"); an input
 * of any shape is read as a flat vector of c·h·w. W is stored (out, in) like torch.nn.Linear,
 * so the three products are: forward x W^T (GEMM with B transposed), input gradient dz W (plain), and
 * weight gradient dz^T x (A transposed). The bias and the activation ride on the GEMMs' epilogues. */
#include "layer.h"
#include <stdio.h>
#include <string.h>

void ae_dense_forward(const float *x, const float *W, const float *b, float *z, float *y,
                      int B, int in, int out, ae_act act) {
    /* z (B, out) = b in every row + x (B, in) · W^T (in, out); y = f(z) block by block (softmax: by row, after) */
    ae_epilogue ep = {.bias = b, .post = act == AE_ACT_SOFTMAX ? AE_POST_NONE : AE_POST_FORWARD, .act = act, .y = y, .ldy = out};
    ae_gemm_ex(0, 1, B, out, in, x, in, W, in, z, out, &ep);
    if (act == AE_ACT_SOFTMAX) ae_act_forward(act, z, y, (size_t)B * out, out);
}

/* The weight gradient, the input gradient and the bias gradient read the same dz and write different
 * buffers: one parallel loop runs the tasks of all three, so small layers keep both threads busy too
 * (one product each) where splitting them would not pay. */
typedef struct {
    ae_gemm_plan dW, dx;
    const float *dz;
    float *db;
    int B, out, n_bias;
} backward_job;

/* db[j] += Σ_r dz[r][j] for the columns of bias task t: each column summed over rows in order. */
static void bias_grad(const backward_job *j, int t) {
    int per = (j->out + j->n_bias - 1) / j->n_bias, lo = t * per, hi = lo + per < j->out ? lo + per : j->out;
    for (int r = 0; r < j->B; r++) {
        const float *row = j->dz + (size_t)r * j->out;
        for (int c = lo; c < hi; c++) j->db[c] += row[c];
    }
}

static void backward_task(void *p, int t) {
    const backward_job *j = p;
    if (t < j->dW.n_tasks) { ae_gemm_plan_task(&j->dW, t); return; }
    t -= j->dW.n_tasks;
    if (t < j->dx.n_tasks) { ae_gemm_plan_task(&j->dx, t); return; }
    bias_grad(j, t - j->dx.n_tasks);
}

void ae_dense_backward(const float *x, const float *W, const float *dz, float *dx, float *dW, float *db,
                       int B, int in, int out, int below_act) {
    backward_job j = {.dz = dz, .db = db, .B = B, .out = out, .n_bias = out >= 256 ? ae_threads() : 1};
    ae_gemm_plan_init(&j.dW, 1, 0, out, in, B, dz, out, x, in, dW, in, NULL); /* dW (out, in) += dz^T (out, B) · x (B, in) */
    /* dx (B, in) = dz (B, out) · W (out, in), then ⊙ f_below'(x) */
    ae_epilogue ep = {.zero = 1, .post = below_act >= 0 ? AE_POST_BACKWARD : AE_POST_NONE,
                      .act = below_act >= 0 ? (ae_act)below_act : AE_ACT_IDENTITY, .fy = x, .ldfy = in};
    if (dx) ae_gemm_plan_init(&j.dx, 0, 0, B, in, out, dz, out, W, in, dx, in, &ep);
    ae_parallel_for(j.dW.n_tasks + j.dx.n_tasks + j.n_bias, backward_task, &j);
}

/* ---- the layer kind: spec token, shapes, tensors, and the model's calls ---- */

static int parse(const char *tok, size_t len, ae_layer *out) {
    if (!len || tok[0] < '0' || tok[0] > '9') return 0;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9') return 0; /* "16x16", "conv8k3": not a width */
        if (v <= AE_MAX_WIDTH) v = v * 10 + (tok[i] - '0');
    }
    if (v < 1 || v > AE_MAX_WIDTH) return ae_fail(AE_ERR_ARG, "layer widths must be 1 to %d, not %.*s", AE_MAX_WIDTH, (int)(len < 20 ? len : 20), tok);
    out->kind = AE_LAYER_DENSE;
    out->units = (int)v;
    return 1;
}

static int print(const ae_layer *l, char *buf, size_t cap) { return snprintf(buf, cap, "%d", l->units); }

static int infer(const ae_layer *l, ae_shape in, ae_shape *out) {
    if (l->units < 1 || l->units > AE_MAX_WIDTH) return ae_fail(AE_ERR_ARG, "a dense layer's width must be 1 to %d, not %d", AE_MAX_WIDTH, l->units);
    if (AE_SHAPE_SIZE(in) > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "a dense layer cannot take %lld inputs; at most %d", (long long)AE_SHAPE_SIZE(in), AE_MAX_WIDTH);
    *out = (ae_shape){l->units, 1, 1};
    return AE_OK;
}

/* W (out, in), random with fans (in, out), decayed; b (out), zero. */
static int tensors(const ae_layer *l, ae_shape in, ae_shape out, ae_tensor_info *t) {
    const int n_in = (int)AE_SHAPE_SIZE(in), n_out = l->units;
    t[0] = (ae_tensor_info){.name = "weight", .ndim = 2, .dims = {n_out, n_in}, .decay = 1,
                            .random = 1, .fan_in = n_in, .fan_out = n_out};
    t[1] = (ae_tensor_info){.name = "bias", .ndim = 1, .dims = {n_out}};
    return 2;
}

static uint64_t scratch(const ae_layer *l, ae_shape in, ae_shape out, int B) { return 0; }

static void forward(const ae_layer_ctx *c) {
    /* without apply_act the identity epilogue leaves y = z, which the model then overwrites with f(z) */
    ae_dense_forward(c->x, c->p[0], c->p[1], c->z, c->y, c->B, (int)AE_SHAPE_SIZE(c->in), c->spec->units,
                     c->apply_act ? c->spec->act : AE_ACT_IDENTITY);
}

static void backward(const ae_layer_ctx *c) {
    ae_dense_backward(c->x, c->p[0], c->dz, c->dx, c->g[0], c->g[1], c->B, (int)AE_SHAPE_SIZE(c->in), c->spec->units, c->fuse_below);
}

static double flops(const ae_layer *l, ae_shape in, ae_shape out, int need_dx) {
    return (need_dx ? 6.0 : 4.0) * (double)AE_SHAPE_SIZE(in) * l->units;
}

const ae_layer_ops ae_dense_ops = {AE_LAYER_DENSE, "dense", parse, print, infer, tensors, scratch, forward, backward, flops, 1, 1, "32", 0};
