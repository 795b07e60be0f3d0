/* Reconstruction and classification losses, each evaluated on the output layer's logits z and output
 * y = f(z), returning the mean and, optionally, dL/dz. Sums run in double so the reported mean does not
 * depend on float rounding over 784·B terms. */
#include "internal.h"
#include "vecmath.h"
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

/* MSE and BCE are sums over n = B·D values. They run as LOSS_BLOCKS fixed blocks (a split that depends
 * on n only), each summed in order in double, and the block sums are added in order: the same bits for
 * any number of threads. */
#define LOSS_BLOCKS 64

typedef struct {
    ae_loss l;
    ae_act out_act;
    const float *z, *y, *t;
    float *dz;
    size_t n;
    double sum[LOSS_BLOCKS];
} loss_job;

static void mse_block(const loss_job *j, size_t lo, size_t hi, double *sum) {
    /* L = (1/n) Σ (y - t)²;  dL/dy = 2 (y - t) / n;  dz = f'(z) ⊙ dL/dy */
    const float *y = j->y, *t = j->t;
    float scale = 2.0f / (float)j->n;
    for (size_t i = lo; i < hi; i++) { double d = (double)y[i] - t[i]; *sum += d * d; }
    if (!j->dz) return;
    for (size_t i = lo; i < hi; i++) {
        float g = scale * (y[i] - t[i]);
        switch (j->out_act) {
        case AE_ACT_IDENTITY: j->dz[i] = g; break;
        case AE_ACT_SIGMOID: j->dz[i] = y[i] * (1.0f - y[i]) * g; break;
        case AE_ACT_TANH: j->dz[i] = (1.0f - y[i] * y[i]) * g; break;
        case AE_ACT_RELU: j->dz[i] = y[i] > 0.0f ? g : 0.0f; break;
        case AE_ACT_LEAKY_RELU: j->dz[i] = y[i] > 0.0f ? g : 0.01f * g; break;
        default: j->dz[i] = g; break;
        }
    }
}

static void bce_block(const loss_job *j, size_t lo, size_t hi, double *sum) {
    /* From logits: L_i = max(z,0) - z t + log(1 + e^{-|z|});  dL/dz = (sigmoid(z) - t) / n.
     * With y = sigmoid(z) at hand, log(1 + e^{-|z|}) = -log sigmoid(|z|) = -log max(y, 1-y): one log
     * of a number in [1/2, 1] per value, four at a time (src/vecmath.h); the terms are summed in double,
     * one running sum per lane, added together at the end of the block. */
    float scale = 1.0f / (float)j->n;
    const v4f zero = v4_splat(0.0f), one = v4_splat(1.0f), vs = v4_splat(scale);
    v2d lo2 = {0.0, 0.0}, hi2 = {0.0, 0.0}; /* four running sums in double, one per lane */
    size_t i = lo;
    for (; i + 4 <= hi; i += 4) {
        v4f zv = v4_load(j->z + i), yv = v4_load(j->y + i), tv = v4_load(j->t + i);
        v4f term = v4_select(zv > zero, zv, zero) - zv * tv - v4_log(v4_select(yv > one - yv, yv, one - yv));
        lo2 += __builtin_convertvector(__builtin_shufflevector(term, term, 0, 1), v2d);
        hi2 += __builtin_convertvector(__builtin_shufflevector(term, term, 2, 3), v2d);
        if (j->dz) v4_store(j->dz + i, (yv - tv) * vs);
    }
    *sum += (lo2[0] + lo2[1]) + (hi2[0] + hi2[1]);
    for (; i < hi; i += 4) { /* the tail, through zero-padded vectors: the same operations */
        size_t k = hi - i < 4 ? hi - i : 4;
        float zb[4] = {0}, yb[4] = {0}, tb[4] = {0}, term[4];
        memcpy(zb, j->z + i, k * sizeof *zb);
        memcpy(yb, j->y + i, k * sizeof *yb);
        memcpy(tb, j->t + i, k * sizeof *tb);
        v4f zv = v4_load(zb), yv = v4_load(yb), tv = v4_load(tb);
        v4f pos = v4_select(zv > v4_splat(0.0f), zv, v4_splat(0.0f));
        v4f sy = v4_select(yv > one - yv, yv, one - yv);
        v4_store(term, pos - zv * tv - v4_log(sy));
        for (size_t q = 0; q < k; q++) *sum += term[q];
        if (j->dz)
            for (size_t q = 0; q < k; q++) j->dz[i + q] = (yb[q] - tb[q]) * scale;
    }
}

static void loss_block(void *p, int b) {
    loss_job *j = p;
    size_t per = (j->n + LOSS_BLOCKS - 1) / LOSS_BLOCKS, lo = (size_t)b * per, hi = lo + per < j->n ? lo + per : j->n;
    double sum = 0.0;
    if (lo < hi) (j->l == AE_LOSS_MSE ? mse_block : bce_block)(j, lo, hi, &sum);
    j->sum[b] = sum;
}

double ae_loss_eval(ae_loss l, ae_act out_act, const float *z, const float *y, const float *t,
                    float *dz, int B, int D) {
    size_t n = (size_t)B * D;
    double sum = 0.0;
    switch (l) {
    case AE_LOSS_MSE:
    case AE_LOSS_BCE: {
        loss_job j = {.l = l, .out_act = out_act, .z = z, .y = y, .t = t, .dz = dz, .n = n};
        ae_parallel_for(LOSS_BLOCKS, loss_block, &j);
        for (int b = 0; b < LOSS_BLOCKS; b++) sum += j.sum[b];
        return sum / (double)n;
    }
    case AE_LOSS_SOFTMAX_CE: {
        /* L = -(1/B) Σ_r Σ_j t_rj log softmax(z_r)_j, log softmax = z - max - log Σ e^{z - max};
         * dL/dz = (softmax(z) - t) / B. exp and log are ours (src/mathfn.c), not libm's, so every build
         * gets the same bits; the sum of e^{z - max} is >= 1 (its largest term is 1), in double. */
        float scale = 1.0f / (float)B;
        for (int r = 0; r < B; r++) {
            const float *zr = z + (size_t)r * D, *tr = t + (size_t)r * D;
            float mx = zr[0];
            double s = 0.0;
            for (int j = 1; j < D; j++) mx = zr[j] > mx ? zr[j] : mx;
            for (int j = 0; j < D; j++) s += ae_expf(zr[j] - mx);
            double lse = (double)mx + ae_logf((float)s);
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
