/* Gradient checks: central differences against backward, for every activation's derivative on its own,
 * the dense layer with every activation (including the input gradient), every loss's dL/dz value by value
 * (at sizes that reach the four-lane loops and their tails, on 1 and 2 threads), and whole multi-layer
 * models, small and large enough for the GEMM's full tiles and the vector loops. Points within h of a ReLU
 * kink are skipped; an all-zero analytic gradient fails. The tolerances are as tight as float rounding
 * allows, so that a derivative off by a quarter in a small term (a leaky-ReLU slope of 0.0125 for 0.01)
 * fails. The model checks run with the activation backward fused into the dense products and as its own
 * step (m->fuse 0), and the two give the same bits through backward and several optimizer steps. */
#include "aelab.h"
#include "internal.h"
#include "check.h"

#define H 1e-3f

typedef struct { double max_err; int n, skipped, nonzero; } gstat;

/* Compare analytic g with numeric n; scale-aware: |g - n| <= rel · max(|g|, |n|) + abs · scale. */
static void cmp_tol(gstat *s, double ana, double num, double scale, double rel, double abs_) {
    double err = fabs(ana - num) / (rel * fmax(fabs(ana), fabs(num)) + abs_ * scale + 1e-300);
    if (err > s->max_err) s->max_err = err;
    s->n++;
    s->nonzero += fabs(ana) > 1e-7 * scale;
}
/* whole models: the loss is a mean over B·D float terms, so its central difference carries more rounding */
static void cmp(gstat *s, double ana, double num, double scale) { cmp_tol(s, ana, num, scale, 1e-2, 1e-3); }

/* ---- each activation's derivative, f'(z) from the saved y against (f(z+h) - f(z-h)) / 2h ---- */
static void check_act(ae_act act) {
    enum { N = 400 };
    const float h = 1e-2f;
    float z[N], y[N], ones[N], d[N], zp[N], yp[N], zm[N], ym[N];
    int n = 0;
    for (int i = 0; i < N; i++) {
        float v = -5.0f + 10.0f * (float)i / (N - 1);
        if (fabsf(v) < 2 * h) continue; /* the kink of (leaky) ReLU */
        z[n] = v; zp[n] = v + h; zm[n] = v - h; ones[n] = 1.0f;
        n++;
    }
    ae_act_forward(act, z, y, (size_t)n, n);
    ae_act_forward(act, zp, yp, (size_t)n, n);
    ae_act_forward(act, zm, ym, (size_t)n, n);
    ae_act_backward(act, y, ones, d, (size_t)n);
    gstat s = {0};
    /* the difference of floats near 1 (sigmoid, tanh) keeps ~1e-7 / 2h of noise: the absolute term */
    for (int i = 0; i < n; i++) cmp_tol(&s, d[i], ((double)yp[i] - ym[i]) / ((double)zp[i] - zm[i]), 1.0, 1e-3, 2e-5);
    CHECK(s.max_err <= 1.0, "f' of %s: error %.3g of tolerance", ae_act_name(act), s.max_err);
    CHECK(s.nonzero > n / 3, "f' of %s is (nearly) all zero", ae_act_name(act));
}

/* ---- the dense layer alone, with L = Σ r ⊙ f(x W^T + b) for random r ---- */
static double layer_loss(const float *x, const float *W, const float *b, const float *r, float *z, float *y, int B, int in, int out, ae_act act) {
    ae_dense_forward(x, W, b, z, y, B, in, out, act);
    double s = 0;
    for (int i = 0; i < B * out; i++) s += (double)r[i] * y[i];
    return s;
}

static int near_kink(const float *z, int n, ae_act act) {
    if (act != AE_ACT_RELU && act != AE_ACT_LEAKY_RELU) return 0;
    for (int i = 0; i < n; i++) if (fabsf(z[i]) < 0.05f) return 1;
    return 0;
}

static void check_layer(ae_act act) {
    enum { B = 3, IN = 5, OUT = 4 };
    float x[B * IN], W[OUT * IN], b[OUT], r[B * OUT], z[B * OUT], y[B * OUT], dz[B * OUT];
    float dx[B * IN] = {0}, dW[OUT * IN] = {0}, db[OUT] = {0}, zz[B * OUT], yy[B * OUT];
    ae_rng g;
    ae_rng_seed(&g, 7 + act, 3);
    for (;;) { /* draw until no pre-activation sits near a kink */
        for (int i = 0; i < B * IN; i++) x[i] = 2 * ae_rng_uniform(&g) - 1;
        for (int i = 0; i < OUT * IN; i++) W[i] = 2 * ae_rng_uniform(&g) - 1;
        for (int i = 0; i < OUT; i++) b[i] = 0.5f * (2 * ae_rng_uniform(&g) - 1);
        ae_dense_forward(x, W, b, z, y, B, IN, OUT, act);
        if (!near_kink(z, B * OUT, act)) break;
    }
    for (int i = 0; i < B * OUT; i++) r[i] = 2 * ae_rng_uniform(&g) - 1;
    layer_loss(x, W, b, r, z, y, B, IN, OUT, act);
    ae_act_backward(act, y, r, dz, B * OUT); /* dL/dy = r, so dL/dz = f'(z) ⊙ r */
    ae_dense_backward(x, W, dz, dx, dW, db, B, IN, OUT, -1);
    gstat s = {0};
    float *sets[3] = {x, W, b}, *grads[3] = {dx, dW, db};
    int sizes[3] = {B * IN, OUT * IN, OUT};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < sizes[k]; i++) {
            float keep = sets[k][i];
            sets[k][i] = keep + H;
            double lp = layer_loss(x, W, b, r, zz, yy, B, IN, OUT, act);
            sets[k][i] = keep - H;
            double lm = layer_loss(x, W, b, r, zz, yy, B, IN, OUT, act);
            sets[k][i] = keep;
            cmp_tol(&s, grads[k][i], (lp - lm) / (2.0 * H), 1.0, 2e-3, 2e-4);
        }
    CHECK(s.max_err <= 1.0, "dense+%s: gradient error %.3g of tolerance", ae_act_name(act), s.max_err);
    CHECK(s.nonzero > s.n / 2, "dense+%s: gradient is (nearly) all zero (%d of %d nonzero)", ae_act_name(act), s.nonzero, s.n);
}

/* ---- each loss's dL/dz, value by value: L(z) = loss(z, f(z), t) with f the output activation ----
 * B·D values of which one moves at a time, so the other terms of the mean stay bit for bit the same and
 * the difference is that one term's (over n): the tolerance can be nearly relative to each value (the
 * scale, the largest |dL/dz|, only sets a floor), so a small term off by a quarter fails. */
static void check_loss(ae_loss l, ae_act out, int B, int D, int threads) {
    const size_t n = (size_t)B * D;
    float *z = malloc(n * 4), *y = malloc(n * 4), *t = malloc(n * 4), *dz = malloc(n * 4);
    ae_rng g;
    ae_rng_seed(&g, 9, (uint64_t)n);
    for (size_t i = 0; i < n; i++) {
        z[i] = 6.0f * (ae_rng_uniform(&g) - 0.5f);
        if ((out == AE_ACT_RELU || out == AE_ACT_LEAKY_RELU) && fabsf(z[i]) < 0.05f) z[i] = 0.5f; /* off the kink */
        t[i] = l == AE_LOSS_SOFTMAX_CE ? (float)((i % D) == (i / D) % D) : ae_rng_uniform(&g);
    }
    CHECK(ae_set_threads(threads) == AE_OK, "%s", ae_last_error());
    ae_act_forward(out, z, y, n, D);
    ae_loss_eval(l, out, z, y, t, dz, B, D);
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(dz[i]));
    gstat s = {0};
    for (size_t i = 0; i < n; i++) {
        float keep = z[i];
        double lp, lm;
        z[i] = keep + H;
        ae_act_forward(out, z, y, n, D);
        lp = ae_loss_eval(l, out, z, y, t, NULL, B, D);
        z[i] = keep - H;
        ae_act_forward(out, z, y, n, D);
        lm = ae_loss_eval(l, out, z, y, t, NULL, B, D);
        z[i] = keep;
        /* softmax CE moves a whole row's log-sum-exp, which is rounded to float: more noise */
        cmp_tol(&s, dz[i], (lp - lm) / ((double)(keep + H) - (double)(keep - H)), scale, 5e-3, l == AE_LOSS_SOFTMAX_CE ? 1e-3 : 1e-4);
    }
    ae_set_threads(1);
    CHECK(s.max_err <= 1.0, "dL/dz of %s with a %s output, (%d, %d) on %d thread(s): error %.3g of tolerance", ae_loss_name(l),
          ae_act_name(out), B, D, threads, s.max_err);
    CHECK(s.nonzero * 4 > (int)n, "dL/dz of %s is (nearly) all zero", ae_loss_name(l)); /* ReLU: about half are 0 */
    free(z); free(y); free(t); free(dz);
}

/* ---- whole models through ae_model_* with a given loss ---- */
static int relu_mask_changed(ae_model *m, uint8_t *mask, int B, int store) {
    size_t k = 0;
    int changed = 0;
    for (int l = 0; l < m->arch.n_layers; l++)
        for (int i = 0; i < B * m->arch.sizes[l + 1]; i++, k++) {
            uint8_t v = m->a[l + 1][i] > 0; /* y > 0 exactly where z > 0 for every activation with a kink */
            if (store) mask[k] = v;
            else changed |= mask[k] != v;
        }
    return changed;
}

static int model_fuse = 1; /* m->fuse of the models check_model builds */

static void check_model(const char *sizes, const char *hidden, const char *code, const char *output, const char *loss, int B) {
    ae_arch a;
    ae_model m;
    CHECK(ae_arch_parse(&a, sizes, hidden, code, output, loss) == AE_OK, "arch %s: %s", sizes, ae_last_error());
    CHECK(ae_model_init(&m, &a, B, 11) == AE_OK, "init: %s", ae_last_error());
    m.fuse = model_fuse;
    const int L = a.n_layers, D = a.sizes[L];
    ae_rng g;
    ae_rng_seed(&g, 5, 5);
    float *t = malloc((size_t)B * D * 4), *x = malloc((size_t)B * a.sizes[0] * 4);
    for (int i = 0; i < B * a.sizes[0]; i++) x[i] = ae_rng_uniform(&g);
    for (int r = 0; r < B; r++)
        for (int j = 0; j < D; j++)
            t[r * D + j] = a.loss == AE_LOSS_SOFTMAX_CE ? (j == r % D) : ae_rng_uniform(&g);
    for (size_t i = 0; i < m.n_params; i++) m.params[i] += 0.1f * (2 * ae_rng_uniform(&g) - 1); /* nonzero biases */
    memcpy(ae_model_input(&m), x, (size_t)B * a.sizes[0] * 4);
    ae_model_forward(&m, B);
    size_t nz = 0;
    for (int l = 0; l < L; l++) nz += (size_t)B * a.sizes[l + 1];
    uint8_t *mask = malloc(nz);
    relu_mask_changed(&m, mask, B, 1);
    ae_model_loss(&m, t, B, 1);
    ae_model_zero_grad(&m);
    ae_model_backward(&m, 0, B);
    double scale = 0;
    for (size_t i = 0; i < m.n_params; i++) scale = fmax(scale, fabs(m.grads[i]));
    gstat s = {0};
    for (size_t i = 0; i < m.n_params; i++) {
        float keep = m.params[i];
        m.params[i] = keep + H;
        memcpy(ae_model_input(&m), x, (size_t)B * a.sizes[0] * 4);
        ae_model_forward(&m, B);
        int c1 = relu_mask_changed(&m, mask, B, 0);
        double lp = ae_model_loss(&m, t, B, 0);
        m.params[i] = keep - H;
        memcpy(ae_model_input(&m), x, (size_t)B * a.sizes[0] * 4);
        ae_model_forward(&m, B);
        int c2 = relu_mask_changed(&m, mask, B, 0);
        double lm = ae_model_loss(&m, t, B, 0);
        m.params[i] = keep;
        if (c1 || c2) { s.skipped++; continue; } /* the step crossed a ReLU kink */
        cmp(&s, m.grads[i], (lp - lm) / (2.0 * H), scale);
    }
    CHECK(s.max_err <= 1.0, "model %s %s/%s/%s %s (fuse %d): gradient error %.3g of tolerance", sizes, hidden, code ? code : hidden, output, loss,
          model_fuse, s.max_err);
    CHECK(s.nonzero > s.n / 4, "model %s %s: gradient is (nearly) all zero (%d of %d)", sizes, loss, s.nonzero, s.n);
    CHECK(s.skipped < s.n / 10, "model %s: %d of %d parameters skipped at kinks", sizes, s.skipped, s.n);
    free(mask); free(t); free(x);
    ae_model_free(&m);
}

/* ---- the activation backward fused into the dense GEMM's epilogue (m->fuse = 1) against the same step
 * run on its own after the product (m->fuse = 0): the same bits in the gradients after every backward and
 * in the parameters and moments after every Adam step, for backward from the first layer and from a middle
 * one, on the given number of threads ---- */
static void check_fuse(const char *sizes, const char *hidden, const char *code, const char *output, int B, int threads) {
    ae_arch a;
    ae_model m[2];
    CHECK(ae_set_threads(threads) == AE_OK, "%s", ae_last_error());
    CHECK(ae_arch_parse(&a, sizes, hidden, code, output, NULL) == AE_OK, "arch %s: %s", sizes, ae_last_error());
    for (int k = 0; k < 2; k++) {
        CHECK(ae_model_init(&m[k], &a, B, 21) == AE_OK, "init: %s", ae_last_error());
        m[k].fuse = !k;
    }
    const int L = a.n_layers, in = a.sizes[0], D = a.sizes[L];
    ae_rng g;
    ae_rng_seed(&g, 17, (uint64_t)B);
    float *x = malloc((size_t)B * in * 4), *t = malloc((size_t)B * D * 4);
    for (int i = 0; i < B * D; i++) t[i] = a.loss == AE_LOSS_SOFTMAX_CE ? (float)(i % D == (i / D) % D) : ae_rng_uniform(&g);
    const ae_optim_cfg opt = ae_optim_default(AE_OPT_ADAM);
    const size_t bytes = m[0].n_params * 4;
    int same_grads = 1, same_params = 1, nonzero = 0;
    for (int step = 0; step < 4; step++) {
        for (int i = 0; i < B * in; i++) x[i] = 2.0f * ae_rng_uniform(&g) - 0.5f; /* negative inputs too: ReLU's zero side */
        const int from = step == 3 && L > 2 ? 1 : 0;
        for (int k = 0; k < 2; k++) {
            memcpy(ae_model_input(&m[k]), x, (size_t)B * in * 4);
            CHECK(ae_model_forward(&m[k], B) == AE_OK, "%s", ae_last_error());
            ae_model_loss(&m[k], t, B, 1);
            ae_model_zero_grad(&m[k]);
            CHECK(ae_model_backward(&m[k], from, B) == AE_OK, "%s", ae_last_error());
        }
        same_grads &= !memcmp(m[0].grads, m[1].grads, bytes);
        for (size_t i = 0; i < m[0].n_params; i++) nonzero += m[0].grads[i] != 0.0f;
        for (int k = 0; k < 2; k++) CHECK(ae_model_step(&m[k], &opt, from, L) == AE_OK, "%s", ae_last_error());
        same_params &= !memcmp(m[0].params, m[1].params, bytes) && !memcmp(m[0].opt_m, m[1].opt_m, bytes) && !memcmp(m[0].opt_v, m[1].opt_v, bytes);
    }
    CHECK(same_grads, "%s %s/%s/%s B=%d, %d thread(s): fused and unfused gradients differ", sizes, hidden, code ? code : hidden, output, B, threads);
    CHECK(same_params, "%s %s/%s/%s B=%d, %d thread(s): fused and unfused parameters differ", sizes, hidden, code ? code : hidden, output, B, threads);
    CHECK(nonzero > (int)m[0].n_params, "%s: the gradients are (nearly) all zero", sizes);
    ae_set_threads(1);
    free(x); free(t);
    ae_model_free(&m[0]);
    ae_model_free(&m[1]);
}

int main(void) {
    /* fused and unfused activation backward: every hidden activation, with another code activation, every
     * output; small widths and widths past the GEMM's tiles and the vector loops' tails */
    for (int th = 1; th <= 2; th++)
        for (int h = 0; h < AE_ACT_SOFTMAX; h++) {
            const char *hid = ae_act_name((ae_act)h), *code = ae_act_name((ae_act)((h + 2) % AE_ACT_SOFTMAX));
            check_fuse("13-9-5-9-13", hid, code, "sigmoid", 3, th);
            check_fuse("13-9-5-9-13", hid, code, ae_act_name((ae_act)((h + 1) % AE_ACT_SOFTMAX)), 5, th);
            check_fuse("70-37-19-37-70", hid, code, "sigmoid", 24, th);
            check_fuse("33-20-10", hid, NULL, "softmax", 7, th);
        }
    for (int act = 0; act < AE_ACT_SOFTMAX; act++) check_act((ae_act)act);
    for (int act = 0; act < AE_ACT_SOFTMAX; act++) check_layer((ae_act)act);
    /* every loss's dL/dz with the outputs it accepts; B·D = 3, 12, and 1000 and 1001: blocks of 16 values
     * (four whole vectors) and blocks with a tail */
    static const int shapes[][2] = {{1, 3}, {3, 4}, {40, 25}, {7, 143}};
    for (int k = 0; k < 4; k++)
        for (int th = 1; th <= 2; th++) {
            const int B = shapes[k][0], D = shapes[k][1];
            check_loss(AE_LOSS_BCE, AE_ACT_SIGMOID, B, D, th);
            for (int act = 0; act < AE_ACT_SOFTMAX; act++) check_loss(AE_LOSS_MSE, (ae_act)act, B, D, th);
            if (D > 1) check_loss(AE_LOSS_SOFTMAX_CE, AE_ACT_SOFTMAX, B, D, th);
        }
    /* every loss with the output activations it accepts */
    check_model("6-4-6", "tanh", NULL, "sigmoid", "bce", 3);
    check_model("6-4-6", "tanh", NULL, "sigmoid", "mse", 3);
    check_model("6-4-6", "tanh", NULL, "linear", "mse", 3);
    check_model("6-4-6", "sigmoid", NULL, "tanh", "mse", 3);
    check_model("6-4-6", "tanh", NULL, "leaky_relu", "mse", 3);
    check_model("6-5-4", "sigmoid", NULL, "softmax", "softmax_ce", 4);
    /* every hidden activation inside a model, and deep models with a distinct code activation */
    check_model("6-5-6", "linear", NULL, "sigmoid", "bce", 3);
    check_model("6-5-6", "sigmoid", NULL, "sigmoid", "bce", 3);
    check_model("6-5-6", "relu", NULL, "sigmoid", "bce", 3);
    check_model("6-5-6", "leaky_relu", NULL, "sigmoid", "bce", 3);
    check_model("8-7-5-3-5-7-8", "tanh", "linear", "sigmoid", "bce", 4);
    check_model("8-7-5-3-5-7-8", "relu", "relu", "sigmoid", "mse", 5);
    check_model("9-12-9", "sigmoid", NULL, "sigmoid", "bce", 2); /* overcomplete */
    /* large enough for the GEMM's full 6x8 (natively) tiles, the sigmoid's and BCE's four-lane loops with
     * and without tails, and the output layer's 64 loss blocks of several vectors each */
    check_model("30-17-30", "sigmoid", NULL, "sigmoid", "bce", 24);
    check_model("30-17-30", "leaky_relu", NULL, "sigmoid", "mse", 21);
    check_model("29-16-12-29", "tanh", "linear", "sigmoid", "bce", 13);
    check_model("40-24-10", "sigmoid", NULL, "softmax", "softmax_ce", 30);
    /* the same checks with the activation backward as its own step */
    model_fuse = 0;
    check_model("6-5-4", "sigmoid", NULL, "softmax", "softmax_ce", 4);
    check_model("8-7-5-3-5-7-8", "tanh", "linear", "sigmoid", "bce", 4);
    check_model("8-7-5-3-5-7-8", "leaky_relu", "sigmoid", "tanh", "mse", 5);
    check_model("6-5-6", "relu", NULL, "sigmoid", "bce", 3);
    check_model("30-17-30", "sigmoid", NULL, "sigmoid", "bce", 24);
    return check_report("test_grad");
}
