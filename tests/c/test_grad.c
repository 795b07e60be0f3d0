/* Gradient checks: central differences against backward, for the dense layer with every activation
 * (including the input gradient), every loss with the output activations it allows, and whole
 * multi-layer models. Points within h of a ReLU kink are skipped; an all-zero analytic gradient fails. */
#include "aelab.h"
#include "internal.h"
#include "check.h"

#define H 1e-3f

typedef struct { double max_err; int n, skipped, nonzero; } gstat;

/* Compare analytic g with numeric n; scale-aware: |g - n| <= 2e-2 · max(|g|, |n|) + 2e-3 · scale. */
static void cmp(gstat *s, double ana, double num, double scale) {
    double err = fabs(ana - num) / (2e-2 * fmax(fabs(ana), fabs(num)) + 2e-3 * scale + 1e-12);
    if (err > s->max_err) s->max_err = err;
    s->n++;
    s->nonzero += fabs(ana) > 1e-7;
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
            cmp(&s, grads[k][i], (lp - lm) / (2.0 * H), 1.0);
        }
    CHECK(s.max_err <= 1.0, "dense+%s: gradient error %.3g of tolerance", ae_act_name(act), s.max_err);
    CHECK(s.nonzero > s.n / 2, "dense+%s: gradient is (nearly) all zero (%d of %d nonzero)", ae_act_name(act), s.nonzero, s.n);
}

/* ---- whole models through ae_model_* with a given loss ---- */
static int relu_mask_changed(ae_model *m, uint8_t *mask, int B, int store) {
    size_t k = 0;
    int changed = 0;
    for (int l = 0; l < m->arch.n_layers; l++)
        for (int i = 0; i < B * m->arch.sizes[l + 1]; i++, k++) {
            uint8_t v = m->z[l][i] > 0;
            if (store) mask[k] = v;
            else changed |= mask[k] != v;
        }
    return changed;
}

static void check_model(const char *sizes, const char *hidden, const char *code, const char *output, const char *loss, int B) {
    ae_arch a;
    ae_model m;
    CHECK(ae_arch_parse(&a, sizes, hidden, code, output, loss) == AE_OK, "arch %s: %s", sizes, ae_last_error());
    CHECK(ae_model_init(&m, &a, B, 11) == AE_OK, "init: %s", ae_last_error());
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
    CHECK(s.max_err <= 1.0, "model %s %s/%s/%s %s: gradient error %.3g of tolerance", sizes, hidden, code ? code : hidden, output, loss, s.max_err);
    CHECK(s.nonzero > s.n / 4, "model %s %s: gradient is (nearly) all zero (%d of %d)", sizes, loss, s.nonzero, s.n);
    CHECK(s.skipped < s.n / 10, "model %s: %d of %d parameters skipped at kinks", sizes, s.skipped, s.n);
    free(mask); free(t); free(x);
    ae_model_free(&m);
}

int main(void) {
    for (int act = 0; act < AE_ACT_SOFTMAX; act++) check_layer((ae_act)act);
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
    return check_report("test_grad");
}
