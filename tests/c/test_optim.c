/* Optimizer steps against values computed by hand (in double, from the update formulas), the vectorised
 * Adam against its scalar reference, and the out-of-place step against the in-place one. */
#include "aelab.h"
#include "check.h"

int main(void) {
    /* SGD with momentum 0.9, lr 0.1: v1 = g1 = 0.5, p1 = 1 - 0.05 = 0.95; v2 = 0.45 + (-1) = -0.55, p2 = 0.95 + 0.055 = 1.005 */
    ae_optim_cfg s = ae_optim_default(AE_OPT_SGD);
    s.lr = 0.1f;
    s.momentum = 0.9f;
    float p = 1, m = 0, v = 0, g = 0.5f;
    ae_optim_step(&s, 1, 1, &p, &g, &m, &v, NULL);
    CHECK(fabsf(p - 0.95f) < 1e-7f && fabsf(m - 0.5f) < 1e-7f, "SGD step 1: p=%.9g m=%.9g", p, m);
    g = -1.0f;
    ae_optim_step(&s, 2, 1, &p, &g, &m, &v, NULL);
    CHECK(fabsf(p - 1.005f) < 1e-6f && fabsf(m + 0.55f) < 1e-6f, "SGD step 2: p=%.9g m=%.9g", p, m);

    /* Adam lr 0.01, β 0.9/0.999, ε 1e-8.
     * t=1, g=0.5: m=0.05 v=0.00025, m̂=0.5 v̂=0.25, p = 1 - 0.01·0.5/(0.5+1e-8)
     * t=2, g=-0.2: m=0.045-0.02=0.025, v=0.00024975+0.00004=0.00028975, m̂=m/0.19, v̂=v/0.001999 */
    ae_optim_cfg a = ae_optim_default(AE_OPT_ADAM);
    a.lr = 0.01f;
    a.eps = 1e-8f;
    p = 1; m = 0; v = 0; g = 0.5f;
    ae_optim_step(&a, 1, 1, &p, &g, &m, &v, NULL);
    double p1 = 1.0 - 0.01 * 0.5 / (0.5 + 1e-8);
    CHECK(fabs(p - p1) < 1e-7, "Adam step 1: p=%.9g want %.9g", p, p1);
    g = -0.2f;
    ae_optim_step(&a, 2, 1, &p, &g, &m, &v, NULL);
    /* the float constants 0.9f and 0.999f are what the optimizer multiplies by */
    const double b1 = 0.9f, b2 = 0.999f, g2 = (double)(-0.2f);
    double v1 = (1 - b2) * 0.25, m1 = (1 - b1) * 0.5, m2 = b1 * m1 + (1 - b1) * g2, v2 = b2 * v1 + (1 - b2) * g2 * g2;
    double mh = m2 / (1 - b1 * b1), vh = v2 / (1 - b2 * b2);
    double p2 = p1 - 0.01 * mh / (sqrt(vh) + 1e-8);
    CHECK(fabs(m - m2) < 1e-6 * fabs(m2) && fabs(v - v2) < 1e-6 * v2, "Adam moments m=%.9g v=%.9g", m, v);
    CHECK(fabs(p - p2) < 2e-7, "Adam step 2: p=%.9g want %.9g", p, p2);

    /* Weight decay reaches masked weights only: g' = g + λ p */
    float ps[2] = {2, 2}, gs[2] = {0, 0}, ms[2] = {0, 0}, vs[2] = {0, 0};
    uint8_t mask[2] = {1, 0};
    s.momentum = 0;
    s.weight_decay = 0.5f;
    ae_optim_step(&s, 1, 2, ps, gs, ms, vs, mask);
    CHECK(fabsf(ps[0] - (2 - 0.1f * 1.0f)) < 1e-7f && ps[1] == 2.0f, "weight decay: %g %g", ps[0], ps[1]);

    /* The four-lane Adam loop against the plain scalar update (the reference), bit for bit, with weight
     * decay on a mask, over 37 parameters (nine vectors and a scalar tail), for three steps. */
    enum { NP = 37 };
    float pv[NP], gv[NP], mv[NP] = {0}, vv[NP] = {0}, pr[NP], mr[NP] = {0}, vr[NP] = {0};
    uint8_t dm[NP];
    ae_rng rng;
    ae_rng_seed(&rng, 5, 5);
    for (int i = 0; i < NP; i++) { pv[i] = pr[i] = 2 * ae_rng_uniform(&rng) - 1; dm[i] = i % 3 != 0; }
    a = ae_optim_default(AE_OPT_ADAM);
    a.weight_decay = 1e-2f;
    for (long t = 1; t <= 3; t++) {
        for (int i = 0; i < NP; i++) gv[i] = 2 * ae_rng_uniform(&rng) - 1;
        ae_optim_step(&a, t, NP, pv, gv, mv, vv, dm);
        double bc1 = 1.0, bc2 = 1.0;
        for (long k = 0; k < t; k++) { bc1 *= a.beta1; bc2 *= a.beta2; }
        const float c1 = (float)(1.0 / (1.0 - bc1)), c2 = (float)(1.0 / (1.0 - bc2));
        for (int i = 0; i < NP; i++) {
            float gi = gv[i] + (dm[i] ? a.weight_decay * pr[i] : 0.0f);
            mr[i] = a.beta1 * mr[i] + (1.0f - a.beta1) * gi;
            vr[i] = a.beta2 * vr[i] + (1.0f - a.beta2) * gi * gi;
            pr[i] -= a.lr * (mr[i] * c1) / (sqrtf(vr[i] * c2) + a.eps);
        }
    }
    CHECK(!memcmp(pv, pr, sizeof pv) && !memcmp(mv, mr, sizeof mv) && !memcmp(vv, vr, sizeof vv), "vector Adam differs from the scalar reference");

    /* Out of place (how the model steps, keeping the old state for an undo): the same bits as in place, the
     * inputs untouched; SGD carries Adam's v over unchanged. On 2 threads too, over 40,000 parameters. */
    enum { NB = 40000 };
    static float pa[NB], ga[NB], ma[NB], va[NB], pb[NB], mb[NB], vb[NB], pc[NB], mc[NB], vc[NB], keep[3][NB];
    for (int i = 0; i < NB; i++) {
        pa[i] = 2 * ae_rng_uniform(&rng) - 1; ga[i] = 2 * ae_rng_uniform(&rng) - 1;
        ma[i] = 0.1f * (2 * ae_rng_uniform(&rng) - 1); va[i] = 0.01f * ae_rng_uniform(&rng);
    }
    memcpy(keep[0], pa, sizeof pa); memcpy(keep[1], ma, sizeof ma); memcpy(keep[2], va, sizeof va);
    for (int kind = 0; kind < 2; kind++)
        for (int th = 1; th <= 2; th++) {
            ae_optim_cfg c = ae_optim_default(kind ? AE_OPT_ADAM : AE_OPT_SGD);
            c.weight_decay = 1e-3f;
            CHECK(ae_set_threads(th) == AE_OK, "%s", ae_last_error());
            memcpy(pb, pa, sizeof pa); memcpy(mb, ma, sizeof ma); memcpy(vb, va, sizeof va);
            ae_optim_step(&c, 7, NB, pb, ga, mb, vb, NULL);
            ae_optim_step_to(&c, 7, NB, pa, ga, ma, va, pc, mc, vc, NULL);
            CHECK(!memcmp(pb, pc, sizeof pb) && !memcmp(mb, mc, sizeof mb) && !memcmp(vb, vc, sizeof vb), "%s out of place on %d thread(s)",
                  ae_opt_name(c.kind), th);
            CHECK(!memcmp(keep[0], pa, sizeof pa) && !memcmp(keep[1], ma, sizeof ma) && !memcmp(keep[2], va, sizeof va),
                  "%s out of place changed its inputs", ae_opt_name(c.kind));
            if (!kind) CHECK(!memcmp(vc, va, sizeof va), "SGD did not carry v over");
        }
    ae_set_threads(1);
    return check_report("test_optim");
}
