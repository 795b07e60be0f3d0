/* Private helpers shared by the files in src/. */
#ifndef AE_INTERNAL_H
#define AE_INTERNAL_H
#include "aelab.h"
#include <stdarg.h>

/* Record a message for ae_last_error() and return code (so `return ae_fail(AE_ERR_ARG, ...)`). */
int ae_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Overflow-checked size arithmetic: 0 on success. */
static inline int ae_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > (size_t)-1 / a) return -1;
    *out = a * b;
    return 0;
}

/* Dense layer (src/dense.c). x (B, in), W (out, in), b (out), z and y (B, out).
 * forward:  z = x W^T + b;  y = f(z)
 * backward: dz = f'(z) ⊙ dy (skipped when dy is NULL: dz already holds dL/dz, as the loss leaves it);
 *           dW += dz^T x;  db += Σ_batch dz;  dx += dz W (when dx is not NULL). */
void ae_dense_forward(const float *x, const float *W, const float *b, float *z, float *y,
                      int B, int in, int out, ae_act act);
void ae_dense_backward(const float *x, const float *W, const float *y, const float *dy, float *dz,
                       float *dx, float *dW, float *db, int B, int in, int out, ae_act act);
#endif
