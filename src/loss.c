/* Reconstruction and classification losses, each evaluated on the output layer's logits z and output
 * y = f(z), returning the mean and, optionally, dL/dz. Sums run in double so the reported mean does not
 * depend on float rounding over 784·B terms. */
#include "aelab.h"
#include <math.h>
#include <string.h>

static const char *const names[AE_LOSS_COUNT] = {"mse", "bce", "softmax_ce"};

const char *ae_loss_name(ae_loss l) { return (unsigned)l < AE_LOSS_COUNT ? names[l] : "?"; }

int ae_loss_parse(const char *s, ae_loss *out) {
    if (!s) return AE_ERR_ARG;
    if (!strcmp(s, "ce") || !strcmp(s, "crossentropy") || !strcmp(s, "softmax-ce")) { *out = AE_LOSS_SOFTMAX_CE; return AE_OK; }
    for (int i = 0; i < AE_LOSS_COUNT; i++)
        if (!strcmp(s, names[i])) { *out = (ae_loss)i; return AE_OK; }
    return AE_ERR_ARG;
}

double ae_loss_eval(ae_loss l, ae_act out_act, const float *z, const float *y, const float *t,
                    float *dz, int B, int D) {
    size_t n = (size_t)B * D;
    double sum = 0.0;
    switch (l) {
    case AE_LOSS_MSE: {
        /* L = (1/n) Σ (y - t)²;  dL/dy = 2 (y - t) / n;  dz = f'(z) ⊙ dL/dy */
        float scale = 2.0f / (float)n;
        for (size_t i = 0; i < n; i++) { double d = (double)y[i] - t[i]; sum += d * d; }
        if (dz) {
            for (size_t i = 0; i < n; i++) {
                float g = scale * (y[i] - t[i]);
                switch (out_act) {
                case AE_ACT_IDENTITY: dz[i] = g; break;
                case AE_ACT_SIGMOID: dz[i] = y[i] * (1.0f - y[i]) * g; break;
                case AE_ACT_TANH: dz[i] = (1.0f - y[i] * y[i]) * g; break;
                case AE_ACT_RELU: dz[i] = y[i] > 0.0f ? g : 0.0f; break;
                case AE_ACT_LEAKY_RELU: dz[i] = y[i] > 0.0f ? g : 0.01f * g; break;
                default: dz[i] = g; break;
                }
            }
        }
        return sum / (double)n;
    }
    case AE_LOSS_BCE: {
        /* From logits: L_i = max(z,0) - z t + log(1 + e^{-|z|});  dL/dz = (sigmoid(z) - t) / n */
        float scale = 1.0f / (float)n;
        for (size_t i = 0; i < n; i++) {
            double zi = z[i], az = fabs(zi);
            sum += (zi > 0 ? zi : 0) - zi * t[i] + log1p(exp(-az));
            if (dz) dz[i] = (y[i] - t[i]) * scale;
        }
        return sum / (double)n;
    }
    case AE_LOSS_SOFTMAX_CE: {
        /* L = -(1/B) Σ_r Σ_j t_rj log softmax(z_r)_j, log softmax = z - max - log Σ e^{z - max};
         * dL/dz = (softmax(z) - t) / B */
        float scale = 1.0f / (float)B;
        for (int r = 0; r < B; r++) {
            const float *zr = z + (size_t)r * D, *tr = t + (size_t)r * D;
            double mx = zr[0], s = 0.0;
            for (int j = 1; j < D; j++) mx = zr[j] > mx ? zr[j] : mx;
            for (int j = 0; j < D; j++) s += exp(zr[j] - mx);
            double lse = mx + log(s);
            for (int j = 0; j < D; j++) sum -= tr[j] * (zr[j] - lse);
            if (dz)
                for (int j = 0; j < D; j++) dz[(size_t)r * D + j] = (y[(size_t)r * D + j] - tr[j]) * scale;
        }
        (void)out_act;
        return sum / (double)B;
    }
    default: return NAN;
    }
}
