/* Activations, applied elementwise to a layer's pre-activation z. Backward uses the saved output y:
 * identity f' = 1; sigmoid f' = y(1-y); tanh f' = 1-y²; ReLU f' = [y>0]; leaky ReLU f' = [y>0] + 0.01[y<=0]
 * (y > 0 exactly when z > 0, since the slope below zero is positive). */
#include "aelab.h"
#include "vecmath.h"
#include <string.h>

#define LEAKY_SLOPE 0.01f

static const char *const names[AE_ACT_COUNT] = {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"};

const char *ae_act_name(ae_act a) { return (unsigned)a < AE_ACT_COUNT ? names[a] : "?"; }

int ae_act_parse(const char *s, ae_act *out) {
    if (!s) return AE_ERR_ARG;
    if (!strcmp(s, "identity") || !strcmp(s, "none")) { *out = AE_ACT_IDENTITY; return AE_OK; }
    if (!strcmp(s, "leakyrelu") || !strcmp(s, "leaky-relu")) { *out = AE_ACT_LEAKY_RELU; return AE_OK; }
    for (int i = 0; i < AE_ACT_COUNT; i++)
        if (!strcmp(s, names[i])) { *out = (ae_act)i; return AE_OK; }
    return AE_ERR_ARG;
}

/* Softmax of one row, max-subtracted so exp never overflows. */
static void softmax_row(const float *z, float *y, int n) {
    float mx = z[0];
    for (int i = 1; i < n; i++) mx = z[i] > mx ? z[i] : mx;
    float s = 0.0f;
    for (int i = 0; i < n; i++) { y[i] = ae_expf(z[i] - mx); s += y[i]; }
    float inv = 1.0f / s;
    for (int i = 0; i < n; i++) y[i] *= inv;
}

/* Sigmoid over n values, four at a time; the tail through a zero-padded vector (same bits per value). */
static void sigmoid_span(const float *z, float *y, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) v4_store(y + i, v4_sigmoid(v4_load(z + i)));
    if (i < n) {
        float t[4] = {0};
        memcpy(t, z + i, (n - i) * sizeof *t);
        v4_store(t, v4_sigmoid(v4_load(t)));
        memcpy(y + i, t, (n - i) * sizeof *t);
    }
}

/* ReLU and leaky ReLU four at a time, as a select on z > 0 (or y > 0) rather than a branch on each value's
 * sign, which random signs make slow. The same bits as `z > 0 ? z : 0` (ReLU: +0, never slope·z, which
 * would be -0 for a negative z) and `z > 0 ? z : slope·z` (leaky), -0 and NaN included. */
static void relu_span(const float *z, float *y, size_t n, int leaky) {
    const v4f s = v4_splat(LEAKY_SLOPE), zero = v4_splat(0.0f);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f v = v4_load(z + i);
        v4_store(y + i, v4_select(v > zero, v, leaky ? v * s : zero));
    }
    for (; i < n; i++) y[i] = z[i] > 0.0f ? z[i] : leaky ? LEAKY_SLOPE * z[i] : 0.0f;
}

/* dz = dy where y > 0; elsewhere 0 (ReLU) or slope·dy (leaky) */
static void relu_back_span(const float *y, const float *dy, float *dz, size_t n, int leaky) {
    const v4f s = v4_splat(LEAKY_SLOPE), zero = v4_splat(0.0f);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f g = v4_load(dy + i);
        v4_store(dz + i, v4_select(v4_load(y + i) > zero, g, leaky ? g * s : zero));
    }
    for (; i < n; i++) dz[i] = y[i] > 0.0f ? dy[i] : leaky ? LEAKY_SLOPE * dy[i] : 0.0f;
}

void ae_act_forward(ae_act a, const float *z, float *y, size_t n, int width) {
    switch (a) {
    case AE_ACT_IDENTITY: if (y != z) memmove(y, z, n * sizeof *y); break;
    case AE_ACT_SIGMOID: sigmoid_span(z, y, n); break;
    case AE_ACT_TANH: for (size_t i = 0; i < n; i++) y[i] = ae_tanhf(z[i]); break;
    case AE_ACT_RELU: relu_span(z, y, n, 0); break;
    case AE_ACT_LEAKY_RELU: relu_span(z, y, n, 1); break;
    case AE_ACT_SOFTMAX: for (size_t r = 0; r < n / (size_t)width; r++) softmax_row(z + r * width, y + r * width, width); break;
    default: break;
    }
}

void ae_act_l1_grad(ae_act a, const float *y, float *dz, float c, size_t n) {
    /* d/dz of c·|y| = c·sgn(y)·f'(z), f' from y as in ae_act_backward */
    for (size_t i = 0; i < n; i++) {
        const float v = y[i], s = v > 0.0f ? c : v < 0.0f ? -c : 0.0f;
        switch (a) {
        case AE_ACT_IDENTITY: dz[i] += s; break;
        case AE_ACT_SIGMOID: dz[i] += s * (v * (1.0f - v)); break;
        case AE_ACT_TANH: dz[i] += s * (1.0f - v * v); break;
        case AE_ACT_RELU: dz[i] += v > 0.0f ? s : 0.0f; break;
        case AE_ACT_LEAKY_RELU: dz[i] += v > 0.0f ? s : s * 0.01f; break;
        default: break; /* softmax codes are refused by the trainer */
        }
    }
}

void ae_act_backward(ae_act a, const float *y, const float *dy, float *dz, size_t n) {
    switch (a) {
    case AE_ACT_IDENTITY: if (dz != dy) memmove(dz, dy, n * sizeof *dz); break;
    case AE_ACT_SIGMOID: for (size_t i = 0; i < n; i++) dz[i] = y[i] * (1.0f - y[i]) * dy[i]; break;
    case AE_ACT_TANH: for (size_t i = 0; i < n; i++) dz[i] = (1.0f - y[i] * y[i]) * dy[i]; break;
    case AE_ACT_RELU: relu_back_span(y, dy, dz, n, 0); break;
    case AE_ACT_LEAKY_RELU: relu_back_span(y, dy, dz, n, 1); break;
    default: break; /* softmax only occurs as the output of softmax cross-entropy, which yields dz itself */
    }
}
