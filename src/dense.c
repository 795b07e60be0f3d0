/* The dense (fully connected) layer, forward and backward. W is stored (out, in) like torch.nn.Linear,
 * so the three products are: forward x W^T (GEMM with B transposed), input gradient dz W (plain), and
 * weight gradient dz^T x (A transposed). The bias and the activation ride on the GEMMs' epilogues. */
#include "internal.h"
#include <string.h>

void ae_dense_forward(const float *x, const float *W, const float *b, float *z, float *y,
                      int B, int in, int out, ae_act act) {
    /* z (B, out) = b in every row + x (B, in) · W^T (in, out); y = f(z) block by block (softmax: by row, after) */
    ae_epilogue ep = {.bias = b, .post = act == AE_ACT_SOFTMAX ? AE_POST_NONE : AE_POST_FORWARD, .act = act, .y = y, .ldy = out};
    ae_gemm_ex(0, 1, B, out, in, x, in, W, in, z, out, &ep);
    if (act == AE_ACT_SOFTMAX) ae_act_forward(act, z, y, (size_t)B * out, out);
}

typedef struct { const float *dz; float *db; int B, out; } bias_job;

/* db[j] += Σ_r dz[r][j] for the columns [lo, hi): each column summed over rows in order. */
static void bias_grad(void *p, size_t lo, size_t hi) {
    const bias_job *j = p;
    for (int r = 0; r < j->B; r++) {
        const float *row = j->dz + (size_t)r * j->out;
        for (size_t c = lo; c < hi; c++) j->db[c] += row[c];
    }
}

void ae_dense_backward(const float *x, const float *W, const float *dz, float *dx, float *dW, float *db,
                       int B, int in, int out, int below_act) {
    ae_gemm(1, 0, out, in, B, dz, out, x, in, dW, in);              /* dW (out, in) += dz^T (out, B) · x (B, in) */
    bias_job bj = {dz, db, B, out};
    ae_parallel_range((size_t)out, 64, 16, bias_grad, &bj);
    if (!dx) return;
    /* dx (B, in) = dz (B, out) · W (out, in), then ⊙ f_below'(x) */
    ae_epilogue ep = {.zero = 1, .post = below_act >= 0 ? AE_POST_BACKWARD : AE_POST_NONE,
                      .act = below_act >= 0 ? (ae_act)below_act : AE_ACT_IDENTITY, .fy = x, .ldfy = in};
    ae_gemm_ex(0, 0, B, in, out, dz, out, W, in, dx, in, &ep);
}
