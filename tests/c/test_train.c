/* Training behaviour on real MNIST: the loss falls to a bound a broken model cannot reach, one seed gives
 * the same bits twice (on 1 thread and on 2), denoising draws fresh noise every batch, a classifier learns, and divergence is
 * caught with the last good weights restored. */
#include "aelab.h"
#include "check.h"

static ae_dataset train, test;

static void subset(ae_dataset *d, int n) { if (d->n > n) d->n = n; }

int main(void) {
    CHECK(ae_idx_images_file(&train, MNIST_TRAIN_IMAGES) == AE_OK && ae_idx_labels_file(&train, MNIST_TRAIN_LABELS) == AE_OK, "%s", ae_last_error());
    CHECK(ae_idx_images_file(&test, MNIST_TEST_IMAGES) == AE_OK && ae_idx_labels_file(&test, MNIST_TEST_LABELS) == AE_OK, "%s", ae_last_error());
    if (check_fail) return check_report("test_train");
    subset(&train, 12000);
    subset(&test, 2000);

    /* 784-32-784 for 4 epochs on 12,000 images. An untrained model with zero output bias scores ~0.69;
     * the mean-pixel image (where the output bias starts) ~0.26; learning the digits gets to ~0.16. */
    ae_arch a;
    ae_model m, m2;
    ae_trainer t, t2;
    ae_train_cfg cfg = ae_train_default();
    ae_arch_parse(&a, "784-32-784", "relu", NULL, "sigmoid", "bce");
    CHECK(ae_model_init(&m, &a, cfg.batch, 1) == AE_OK && ae_trainer_init(&t, &m, &train, &cfg) == AE_OK, "%s", ae_last_error());
    double before, after, loss;
    ae_evaluate(&m, &test, 0, &before, NULL);
    int spe = ae_trainer_steps_per_epoch(&t);
    CHECK(spe == 47, "12000/256 rounds up to 47 steps, got %d", spe);
    for (int s = 0; s < 4 * spe; s++) CHECK(ae_trainer_step(&t, &loss) == AE_OK, "%s", ae_last_error());
    CHECK(t.epoch == 4 && t.pos == 0, "epoch counter %d pos %d", t.epoch, t.pos);
    ae_evaluate(&m, &test, 0, &after, NULL);
    printf("784-32-784 test BCE %.4f -> %.4f after 4 epochs on 12k images\n", before, after);
    CHECK(after < 0.17 && after < before - 0.07, "test loss %.4f (before %.4f) did not fall below 0.17", after, before);

    /* same seed, same bits, also with the work split over 2 threads (the first run used 1) */
    CHECK(ae_set_threads(2) == AE_OK, "%s", ae_last_error());
    ae_model_init(&m2, &a, cfg.batch, 1);
    ae_trainer_init(&t2, &m2, &train, &cfg);
    for (int s = 0; s < 4 * spe; s++) ae_trainer_step(&t2, &loss);
    CHECK(memcmp(m.params, m2.params, m.n_params * 4) == 0, "two runs with seed 1 differ (1 thread, then 2)");
    CHECK(memcmp(m.opt_v, m2.opt_v, m.n_params * 4) == 0, "Adam's state differs between 1 and 2 threads");
    ae_set_threads(1);
    ae_trainer_free(&t2);
    ae_model_free(&m2);
    cfg.seed = 2;
    ae_model_init(&m2, &a, cfg.batch, 2);
    ae_trainer_init(&t2, &m2, &train, &cfg);
    ae_trainer_step(&t2, &loss);
    ae_trainer_step(&t, &loss);
    CHECK(memcmp(m.params, m2.params, m.n_params * 4) != 0, "seed 2 gives the same weights as seed 1");
    ae_trainer_free(&t2);
    ae_model_free(&m2);

    /* a wrong-width dataset and an over-sized batch are errors, not crashes */
    ae_dataset tiny = train;
    tiny.cols = 27;
    CHECK(ae_trainer_init(&t2, &m, &tiny, &cfg) == AE_ERR_ARG && strstr(ae_last_error(), "756 pixels"), "%s", ae_last_error());
    cfg.batch = 100000;
    CHECK(ae_trainer_init(&t2, &m, &train, &cfg) == AE_ERR_ARG, "batch too large");
    cfg.batch = 256;
    ae_trainer_free(&t);
    ae_model_free(&m);

    /* denoising: the corruption differs between epochs for the same image, the target stays clean */
    ae_rng r1, r2;
    float x1[784], x2[784];
    ae_dataset_batch(&train, NULL, 0, 1, x1);
    memcpy(x2, x1, sizeof x1);
    ae_rng_seed(&r1, 9, 1);
    ae_corrupt(AE_NOISE_MASK, 0.5f, &r1, x1, 784);
    ae_corrupt(AE_NOISE_MASK, 0.5f, &r1, x2, 784);
    CHECK(memcmp(x1, x2, sizeof x1) != 0, "two draws of masking noise are identical");
    float z[100000];
    for (int i = 0; i < 100000; i++) z[i] = 0.5f;
    ae_rng_seed(&r2, 3, 3);
    ae_corrupt(AE_NOISE_SALT_PEPPER, 0.2f, &r2, z, 100000);
    int salt = 0, pepper = 0;
    for (int i = 0; i < 100000; i++) { salt += z[i] == 1.0f; pepper += z[i] == 0.0f; }
    CHECK(abs(salt - 10000) < 600 && abs(pepper - 10000) < 600, "salt-and-pepper rates %d %d of 100000 at level 0.2", salt, pepper);
    for (int i = 0; i < 100000; i++) z[i] = 0.5f;
    ae_corrupt(AE_NOISE_GAUSSIAN, 0.1f, &r2, z, 100000);
    double mean = 0, var = 0;
    for (int i = 0; i < 100000; i++) mean += z[i];
    mean /= 100000;
    for (int i = 0; i < 100000; i++) var += (z[i] - mean) * (z[i] - mean);
    var /= 100000;
    CHECK(fabs(mean - 0.5) < 0.002 && fabs(sqrt(var) - 0.1) < 0.002, "gaussian noise mean %.4f sd %.4f", mean, sqrt(var));

    cfg.noise = AE_NOISE_MASK;
    cfg.noise_level = 0.5f;
    ae_model_init(&m, &a, cfg.batch, 1);
    ae_trainer_init(&t, &m, &train, &cfg);
    for (int s = 0; s < 3 * spe; s++) ae_trainer_step(&t, &loss);
    ae_evaluate(&m, &test, 0, &after, NULL);
    printf("denoising 784-32-784 (mask 0.5): clean test BCE %.4f after 3 epochs\n", after);
    CHECK(after < 0.21, "denoising AE's clean test loss %.4f", after);
    ae_trainer_free(&t);
    ae_model_free(&m);

    /* supervised: 784-64-10 softmax classifier, one epoch */
    cfg = ae_train_default();
    cfg.supervised = 1;
    ae_arch_parse(&a, "784-64-10", "relu", NULL, "softmax", "softmax_ce");
    ae_model_init(&m, &a, cfg.batch, 1);
    CHECK(ae_trainer_init(&t, &m, &train, &cfg) == AE_OK, "%s", ae_last_error());
    for (int s = 0; s < 3 * spe; s++) ae_trainer_step(&t, &loss);
    int correct;
    ae_evaluate(&m, &test, 1, &after, &correct);
    printf("784-64-10 classifier: test accuracy %.3f after 3 epochs on 12k images\n", correct / 2000.0);
    CHECK(correct > 0.85 * 2000, "classifier accuracy %.3f", correct / 2000.0);
    ae_trainer_free(&t);
    ae_model_free(&m);

    /* divergence: SGD with an absurd learning rate blows up; the step reports it and the weights are the
     * last ones that gave a finite loss */
    cfg = ae_train_default();
    cfg.opt = ae_optim_default(AE_OPT_SGD);
    cfg.opt.lr = 1e6f;
    ae_arch_parse(&a, "784-32-784", "linear", NULL, "linear", "mse");
    ae_model_init(&m, &a, cfg.batch, 1);
    ae_trainer_init(&t, &m, &train, &cfg);
    int rc = AE_OK, steps = 0;
    while (rc == AE_OK && steps < 200) { rc = ae_trainer_step(&t, &loss); steps++; }
    CHECK(rc == AE_ERR_DIVERGED && strstr(ae_last_error(), "diverged"), "no divergence detected after %d steps: %s", steps, ae_last_error());
    int finite = 1;
    for (size_t i = 0; i < m.n_params; i++) finite &= isfinite(m.params[i]);
    CHECK(finite, "weights after divergence are not finite");
    ae_trainer_free(&t);
    ae_model_free(&m);
    ae_dataset_free(&train);
    ae_dataset_free(&test);
    return check_report("test_train");
}
