/* Optimizers over the model's flat parameter block (one loop each; state mirrors the block). */
#include "aelab.h"
#include <string.h>

static const char *const names[AE_OPT_COUNT] = {"sgd", "adam"};
const char *ae_opt_name(ae_opt o) { return (unsigned)o < AE_OPT_COUNT ? names[o] : "?"; }

int ae_opt_parse(const char *s, ae_opt *out) {
    if (!s) return AE_ERR_ARG;
    for (int i = 0; i < AE_OPT_COUNT; i++)
        if (!strcmp(s, names[i])) { *out = (ae_opt)i; return AE_OK; }
    return AE_ERR_ARG;
}

ae_optim_cfg ae_optim_default(ae_opt kind) {
    ae_optim_cfg c = {kind, 1e-3f, 0.9f, 0.9f, 0.999f, 1e-7f, 0.0f};
    if (kind == AE_OPT_SGD) c.lr = 0.01f;
    return c;
}

/* b^t by repeated squaring: only IEEE multiplications, so every platform gets the same bits
 * (pow() from different libms need not agree). */
static double ipow(double b, long t) {
    double r = 1.0;
    while (t > 0) { if (t & 1) r *= b; b *= b; t >>= 1; }
    return r;
}

void ae_optim_step(const ae_optim_cfg *c, long t, size_t n, float *p, const float *g, float *m, float *v,
                   const uint8_t *decay_mask) {
    const float wd = c->weight_decay;
    if (c->kind == AE_OPT_SGD) {
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + ((!decay_mask || decay_mask[i]) ? wd * p[i] : 0.0f);
            m[i] = c->momentum * m[i] + gi;
            p[i] -= c->lr * m[i];
        }
        return;
    }
    const float b1 = c->beta1, b2 = c->beta2;
    const float c1 = (float)(1.0 / (1.0 - ipow(b1, t))), c2 = (float)(1.0 / (1.0 - ipow(b2, t)));
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + ((!decay_mask || decay_mask[i]) ? wd * p[i] : 0.0f);
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] -= c->lr * (m[i] * c1) / (__builtin_sqrtf(v[i] * c2) + c->eps);
    }
}
