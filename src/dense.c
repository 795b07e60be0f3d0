/* The dense (fully connected) layer, forward and backward. W is stored (out, in) like torch.nn.Linear,
 * so the three products are: forward x W^T (GEMM with B transposed), input gradient dz W (plain), and
 * weight gradient dz^T x (A transposed). */
#include "internal.h"
#include <string.h>

void ae_dense_forward(const float *x, const float *W, const float *b, float *z, float *y,
                      int B, int in, int out, ae_act act) {
    /* z (B, out) starts as the bias in every row, then accumulates x (B, in) · W^T (in, out) */
    for (int r = 0; r < B; r++) memcpy(z + (size_t)r * out, b, (size_t)out * sizeof *z);
    ae_gemm(0, 1, B, out, in, x, in, W, in, z, out);
    ae_act_forward(act, z, y, (size_t)B * out, out);
}

void ae_dense_backward(const float *x, const float *W, const float *y, const float *dy, float *dz,
                       float *dx, float *dW, float *db, int B, int in, int out, ae_act act) {
    if (dy) {
        memset(dz, 0, (size_t)B * out * sizeof *dz);
        ae_act_backward(act, y, dy, dz, (size_t)B * out);
    }
    ae_gemm(1, 0, out, in, B, dz, out, x, in, dW, in);              /* dW (out, in) += dz^T (out, B) · x (B, in) */
    for (int r = 0; r < B; r++)                                      /* db (out) += Σ_r dz[r] */
        for (int j = 0; j < out; j++) db[j] += dz[(size_t)r * out + j];
    if (dx) ae_gemm(0, 0, B, in, out, dz, out, W, in, dx, in);       /* dx (B, in) += dz (B, out) · W (out, in) */
}
