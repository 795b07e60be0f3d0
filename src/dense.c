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
