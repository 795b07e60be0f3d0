/* Optimizers over the model's flat parameter block (one loop each; state mirrors the block). */
#include "internal.h"
#include "vecmath.h"
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

typedef struct {
    const ae_optim_cfg *c;
    float c1, c2; /* Adam's bias corrections 1/(1-β^t) */
    const float *p, *m, *v, *g;
    float *po, *mo, *vo;
    const uint8_t *decay_mask;
} step_job;

/* Parameters [lo, hi): each one's update reads its own p, m, v and writes its own po, mo, vo (which may be
 * the same memory: every value is read before it is written). */
static void step_range(void *ctx, size_t lo, size_t hi) {
    const step_job *j = ctx;
    const ae_optim_cfg *c = j->c;
    const float wd = c->weight_decay;
    const float *p = j->p, *m = j->m, *v = j->v, *g = j->g;
    float *po = j->po, *mo = j->mo, *vo = j->vo;
    if (c->kind == AE_OPT_SGD) {
        for (size_t i = lo; i < hi; i++) {
            float gi = g[i] + ((!j->decay_mask || j->decay_mask[i]) ? wd * p[i] : 0.0f);
            float mi = c->momentum * m[i] + gi;
            po[i] = p[i] - c->lr * mi;
            mo[i] = mi;
        }
        if (vo != v) memcpy(vo + lo, v + lo, (hi - lo) * sizeof *vo); /* Adam's second moment, kept for a later Adam run */
        return;
    }
    const float b1 = c->beta1, b2 = c->beta2, c1 = j->c1, c2 = j->c2;
    size_t i = lo;
    /* four at a time, the same operations in the same order as the scalar loop below */
    const v4f vb1 = v4_splat(b1), vb2 = v4_splat(b2), vc1 = v4_splat(c1), vc2 = v4_splat(c2), one = v4_splat(1.0f);
    const v4f vlr = v4_splat(c->lr), veps = v4_splat(c->eps), vwd = v4_splat(wd), zero = v4_splat(0.0f);
    for (; i + 4 <= hi; i += 4) {
        v4f pv = v4_load(p + i), gv = v4_load(g + i), mv = v4_load(m + i), vv = v4_load(v + i);
        v4i on = j->decay_mask ? (v4i){-(j->decay_mask[i] != 0), -(j->decay_mask[i + 1] != 0), -(j->decay_mask[i + 2] != 0),
                                        -(j->decay_mask[i + 3] != 0)}
                               : (v4i){-1, -1, -1, -1};
        v4f gi = gv + v4_select(on, vwd * pv, zero);
        mv = vb1 * mv + (one - vb1) * gi;
        vv = vb2 * vv + (one - vb2) * gi * gi;
        pv = pv - vlr * (mv * vc1) / (v4_sqrt(vv * vc2) + veps);
        v4_store(mo + i, mv);
        v4_store(vo + i, vv);
        v4_store(po + i, pv);
    }
    for (; i < hi; i++) {
        float gi = g[i] + ((!j->decay_mask || j->decay_mask[i]) ? wd * p[i] : 0.0f);
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        po[i] = p[i] - c->lr * (mi * c1) / (__builtin_sqrtf(vi * c2) + c->eps);
        mo[i] = mi;
        vo[i] = vi;
    }
}

void ae_optim_step_to(const ae_optim_cfg *c, long t, size_t n, const float *p, const float *g, const float *m,
                      const float *v, float *po, float *mo, float *vo, const uint8_t *decay_mask) {
    step_job j = {c, 1.0f, 1.0f, p, m, v, g, po, mo, vo, decay_mask};
    if (c->kind == AE_OPT_ADAM) {
        j.c1 = (float)(1.0 / (1.0 - ipow(c->beta1, t)));
        j.c2 = (float)(1.0 / (1.0 - ipow(c->beta2, t)));
    }
    ae_parallel_range(n, 8192, 16, step_range, &j);
}

void ae_optim_step(const ae_optim_cfg *c, long t, size_t n, float *p, const float *g, float *m, float *v,
                   const uint8_t *decay_mask) {
    ae_optim_step_to(c, t, n, p, g, m, v, p, m, v, decay_mask);
}
