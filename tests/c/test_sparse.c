/* A sparse code: the L1 penalty λ·(1/B)·Σ|code| (training setting l1). Its gradient, added where the
 * code's own gradient is complete, matches central differences of the penalised loss for every parameter
 * below the code (tanh, sigmoid, ReLU and linear codes), the same bits with the activations fused or not;
 * on real MNIST it lowers the code's mean activity a lot; settings that cannot take it are refused. */
#include "aelab.h"
#include "check.h"

enum { B = 5, D = 7 };

/* the penalised loss of model m on x: reconstruction + λ/B·Σ|code| */
static double penalised(ae_model *m, const float *x, float lam) {
    memcpy(ae_model_input(m), x, sizeof(float) * B * D);
    ae_model_forward(m, B);
    double loss = ae_model_loss(m, x, B, 0), s = 0.0;
    const float *h = m->a[m->arch.code];
    for (int i = 0; i < B * m->arch.sizes[m->arch.code]; i++) s += fabs((double)h[i]);
    return loss + lam * s / B;
}

static void check_grad(const char *spec) {
    ae_arch a;
    ae_model m, n;
    if (ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL) || ae_model_init(&m, &a, B, 3) || ae_model_init(&n, &a, B, 3)) {
        CHECK(0, "%s: %s", spec, ae_last_error());
        return;
    }
    n.fuse = 0;
    float x[B * D];
    ae_rng r;
    ae_rng_seed(&r, 7, 1);
    for (int i = 0; i < B * D; i++) x[i] = ae_rng_uniform(&r);
    const float lam = 0.05f; /* large, so that the penalty's share of the gradient is well above rounding */
    for (ae_model *mm = &m; mm; mm = mm == &m ? &n : NULL) {
        memcpy(ae_model_input(mm), x, sizeof x);
        ae_model_forward(mm, B);
        ae_model_loss(mm, x, B, 1);
        ae_model_zero_grad(mm);
        mm->code_l1 = lam;
        ae_model_backward(mm, 0, B);
        mm->code_l1 = 0.0f;
    }
    CHECK(!memcmp(m.grads, n.grads, m.n_params * sizeof(float)), "%s: fused and separate activations give other gradients", spec);
    /* central differences for the parameters of the layers below the code, where the penalty's gradient goes */
    /* |code| has a kink at 0 (and ReLU one more): where the two one-sided slopes disagree the loss is not
     * smooth within the step, and that parameter is skipped; most are not */
    int bad = 0, checked = 0, kinks = 0;
    const double center = penalised(&m, x, lam);
    for (size_t i = 0; i < m.p_off[a.code]; i++) {
        const float keep = m.params[i], h = 1e-2f;
        m.params[i] = keep + h;
        const double up = penalised(&m, x, lam);
        m.params[i] = keep - h;
        const double down = penalised(&m, x, lam);
        m.params[i] = keep;
        const double s1 = (up - center) / h, s2 = (center - down) / h, num = (up - down) / (2.0 * h), ana = m.grads[i];
        if (fabs(s1 - s2) > 1e-3 + 0.2 * fabs(num)) { kinks++; continue; }
        if (fabs(num - ana) > 2e-3 + 3e-2 * fabs(num)) bad++;
        checked++;
    }
    CHECK(bad == 0 && checked > 2 * kinks, "%s: %d of %d gradients below the code differ from central differences (%d kinks skipped)", spec, bad,
          checked, kinks);
    ae_model_free(&m);
    ae_model_free(&n);
}

static double mean_code(ae_model *m, const ae_dataset *d, int n) {
    float *x = malloc(sizeof(float) * n * 784), *c = malloc(sizeof(float) * n * 32);
    ae_dataset_batch(d, NULL, 0, n, x);
    ae_model_encode(m, x, n, c);
    double s = 0;
    for (int i = 0; i < n * 32; i++) s += c[i];
    free(x);
    free(c);
    return s / (n * 32.0);
}

int main(void) {
    check_grad("7-6:tanh-*3:tanh-6:tanh-7:sigmoid");
    check_grad("7-6:tanh-*3:sigmoid-6:tanh-7:sigmoid");
    check_grad("7-6:tanh-*4:linear-6:tanh-7:linear loss=mse");
    check_grad("7-6:sigmoid-*4:relu-7:sigmoid");

    /* refused: a model with no code inside it, a negative penalty */
    {
        ae_arch a;
        ae_model m;
        ae_dataset d;
        static float v[20 * 7];
        ae_train_cfg c;
        ae_trainer t;
        CHECK(ae_arch_parse(&a, "7-7", NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, 8, 1) == AE_OK && ae_dataset_floats(&d, v, 20, 1, 7) == AE_OK &&
                  ae_train_cfg_parse(&c, "l1=0.1 batch=8") == AE_OK,
              "%s", ae_last_error());
        CHECK(ae_trainer_init(&t, &m, &d, &c) == AE_ERR_ARG && strstr(ae_last_error(), "needs a code inside the model"), "%s", ae_last_error());
        CHECK(ae_train_cfg_parse(&c, "l1=-1") == AE_ERR_ARG && strstr(ae_last_error(), "code L1 penalty"), "%s", ae_last_error());
        ae_model_free(&m);
        ae_dataset_free(&d);
    }

    /* on MNIST: the same model, seed and steps with and without the penalty; the code's mean activity falls */
    ae_dataset train, test;
    CHECK(ae_idx_images_file(&train, MNIST_TRAIN_IMAGES) == AE_OK && ae_idx_images_file(&test, MNIST_TEST_IMAGES) == AE_OK, "%s", ae_last_error());
    if (check_fail) return check_report("test_sparse");
    train.n = 3000;
    double act[2], loss[2];
    for (int k = 0; k < 2; k++) {
        ae_arch a;
        ae_model m;
        ae_train_cfg c;
        ae_trainer t;
        char spec[64];
        snprintf(spec, sizeof spec, "batch=64 seed=2 l1=%s", k ? "0.001" : "0");
        CHECK(ae_arch_parse(&a, "784-*32-784", NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, 500, 2) == AE_OK &&
                  ae_train_cfg_parse(&c, spec) == AE_OK && ae_trainer_init(&t, &m, &train, &c) == AE_OK, "%s", ae_last_error());
        double l = 0;
        for (int s = 0; s < 3 * 47; s++) CHECK(ae_trainer_step(&t, &l) == AE_OK, "%s", ae_last_error());
        act[k] = mean_code(&m, &test, 500);
        CHECK(ae_evaluate(&m, &test, 0, &loss[k], NULL) == AE_OK, "%s", ae_last_error());
        ae_trainer_free(&t);
        ae_model_free(&m);
    }
    printf("784-32-784, 3 epochs on 3,000 digits: mean code activity %.3f plain, %.3f with l1=0.001 (test BCE %.4f, %.4f)\n", act[0], act[1], loss[0],
           loss[1]);
    CHECK(act[1] < 0.6 * act[0], "the penalty did not make the code sparser: %.3f against %.3f", act[1], act[0]);
    CHECK(loss[1] < loss[0] + 0.01, "with the penalty it reconstructs about as well: test BCE %.4f against %.4f", loss[1], loss[0]);
    ae_dataset_free(&train);
    ae_dataset_free(&test);
    return check_report("test_sparse");
}
