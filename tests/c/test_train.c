/* Training behaviour on real MNIST: the loss falls to a bound a broken model cannot reach, one seed gives
 * the same bits twice (on 1 thread and on 2) and another seed different ones, denoising draws fresh noise
 * every batch, a classifier learns, the data-mean output bias is set only when asked for, a dataset that
 * changes size under a trainer is refused, and divergence (a loss that is not finite or explodes) is
 * caught with the whole state (weights, moments, step counts, the trainer's order and RNG) put back as it
 * was at the last sound step. */
#include "aelab.h"
#include "check.h"

static ae_dataset train, test;

static void subset(ae_dataset *d, int n) { if (d->n > n) d->n = n; }

/* A fresh model and trainer, every setup call checked. */
static int setup(ae_model *m, ae_trainer *t, const ae_dataset *d, const char *sizes, const char *hidden, const char *output,
                 const char *loss, uint64_t model_seed, const ae_train_cfg *cfg, int mean_bias) {
    ae_arch a;
    int rc = ae_arch_parse(&a, sizes, hidden, NULL, output, loss);
    if (!rc) rc = ae_model_init(m, &a, cfg->batch, model_seed);
    if (!rc && mean_bias) rc = ae_model_init_output_bias(m, d);
    if (!rc) rc = ae_trainer_init(t, m, d, cfg);
    CHECK(rc == AE_OK, "setting up %s %s/%s %s: %s", sizes, hidden, output, loss, ae_last_error());
    return rc;
}

/* Steps until one fails (its code) or n succeed (AE_OK); *done counts the successes. */
static int run(ae_trainer *t, int n, int *done) {
    double loss;
    int rc = AE_OK, k = 0;
    while (k < n && (rc = ae_trainer_step(t, &loss)) == AE_OK) k++;
    if (done) *done = k;
    return rc;
}

/* Model and trainer state, bit for bit: parameters, both moments, the step counts, order and RNG. */
static int same_state(const ae_model *a, const ae_trainer *ta, const ae_model *b, const ae_trainer *tb) {
    size_t n = a->n_params * sizeof(float);
    return a->n_params == b->n_params && !memcmp(a->params, b->params, n) && !memcmp(a->opt_m, b->opt_m, n) &&
           !memcmp(a->opt_v, b->opt_v, n) && a->t == b->t && ta->step == tb->step && ta->pos == tb->pos && ta->epoch == tb->epoch &&
           !memcmp(&ta->rng, &tb->rng, sizeof ta->rng) && !memcmp(ta->perm, tb->perm, (size_t)ta->n * sizeof *ta->perm);
}

int main(void) {
    CHECK(ae_idx_images_file(&train, MNIST_TRAIN_IMAGES) == AE_OK && ae_idx_labels_file(&train, MNIST_TRAIN_LABELS) == AE_OK, "%s", ae_last_error());
    CHECK(ae_idx_images_file(&test, MNIST_TEST_IMAGES) == AE_OK && ae_idx_labels_file(&test, MNIST_TEST_LABELS) == AE_OK, "%s", ae_last_error());
    if (check_fail) return check_report("test_train");
    subset(&train, 12000);
    subset(&test, 2000);

    /* 784-32-784 for 4 epochs on 12,000 images. An untrained model with zero output bias scores ~0.69;
     * the mean-pixel image (where the output bias starts) ~0.26; learning the digits gets to ~0.16. */
    ae_model m, m2;
    ae_trainer t, t2;
    ae_train_cfg cfg = ae_train_default();
    if (setup(&m, &t, &train, "784-32-784", "relu", "sigmoid", "bce", 1, &cfg, 1)) return check_report("test_train");
    double before, after, loss;
    CHECK(ae_evaluate(&m, &test, 0, &before, NULL) == AE_OK, "%s", ae_last_error());
    int spe = ae_trainer_steps_per_epoch(&t);
    CHECK(spe == 47, "12000/256 rounds up to 47 steps, got %d", spe);
    for (int s = 0; s < 4 * spe; s++) CHECK(ae_trainer_step(&t, &loss) == AE_OK, "%s", ae_last_error());
    CHECK(t.epoch == 4 && t.pos == 0, "epoch counter %d pos %d", t.epoch, t.pos);
    CHECK(ae_evaluate(&m, &test, 0, &after, NULL) == AE_OK, "%s", ae_last_error());
    printf("784-32-784 test BCE %.4f -> %.4f after 4 epochs on 12k images\n", before, after);
    CHECK(after < 0.17 && after < before - 0.07, "test loss %.4f (before %.4f) did not fall below 0.17", after, before);

    /* The data-mean output bias is an explicit call: logit of each pixel's mean, clipped (MNIST's corner
     * pixel is always 0). A loaded model (t = 0) trained on with a default trainer keeps its own biases, so
     * its test loss does not jump back towards the mean image's. */
    {
        ae_model fresh, back;
        ae_arch a;
        CHECK(ae_arch_parse(&a, "784-32-784", "relu", NULL, "sigmoid", "bce") == AE_OK && ae_model_init(&fresh, &a, 256, 1) == AE_OK, "%s", ae_last_error());
        CHECK(ae_model_bias(&fresh, 1)[0] == 0.0f, "a fresh model's output bias starts at 0");
        CHECK(ae_model_init_output_bias(&fresh, &train) == AE_OK, "%s", ae_last_error());
        uint64_t sum = 0;
        for (int i = 0; i < train.n; i++) sum += train.pixels[(size_t)i * 784 + 400];
        float mean = (float)((double)sum / (255.0 * train.n));
        CHECK(ae_model_bias(&fresh, 1)[400] == ae_logf(mean / (1.0f - mean)) && ae_model_bias(&fresh, 1)[0] == ae_logf(1e-3f / (1.0f - 1e-3f)),
              "output bias %g for mean %g", ae_model_bias(&fresh, 1)[400], mean);
        ae_model_free(&fresh);
        CHECK(ae_arch_parse(&a, "784-32-784", "relu", NULL, "tanh", "mse") == AE_OK && ae_model_init(&fresh, &a, 256, 1) == AE_OK, "%s", ae_last_error());
        CHECK(ae_model_init_output_bias(&fresh, &train) == AE_ERR_ARG && strstr(ae_last_error(), "sigmoid or linear output, not tanh"), "%s", ae_last_error());
        ae_model_free(&fresh);

        uint8_t *file;
        size_t len;
        double loaded_loss, on_loss;
        CHECK(ae_model_save_mem(&m, &file, &len) == AE_OK && ae_model_load_mem(&back, file, len, 256) == AE_OK, "%s", ae_last_error());
        free(file);
        float *bias = malloc(784 * 4);
        memcpy(bias, ae_model_bias(&back, 1), 784 * 4);
        ae_trainer tb;
        CHECK(back.t == 0 && ae_trainer_init(&tb, &back, &train, &cfg) == AE_OK, "%s", ae_last_error());
        CHECK(!memcmp(bias, ae_model_bias(&back, 1), 784 * 4), "making a trainer changed a loaded model's output bias");
        CHECK(ae_evaluate(&back, &test, 0, &loaded_loss, NULL) == AE_OK && run(&tb, 1, NULL) == AE_OK &&
              ae_evaluate(&back, &test, 0, &on_loss, NULL) == AE_OK, "%s", ae_last_error());
        CHECK(fabs(loaded_loss - after) < 1e-12 && on_loss < after + 0.005, "a loaded model at %.4f went to %.4f after one more step", after, on_loss);
        free(bias);
        ae_trainer_free(&tb);
        ae_model_free(&back);
    }

    /* same seed, same bits, also with the work split over 2 threads (the first run used 1) */
    CHECK(ae_set_threads(2) == AE_OK, "%s", ae_last_error());
    if (setup(&m2, &t2, &train, "784-32-784", "relu", "sigmoid", "bce", 1, &cfg, 1)) return check_report("test_train");
    CHECK(run(&t2, 4 * spe, NULL) == AE_OK, "%s", ae_last_error());
    CHECK(memcmp(m.params, m2.params, m.n_params * 4) == 0, "two runs with seed 1 differ (1 thread, then 2)");
    CHECK(memcmp(m.opt_v, m2.opt_v, m.n_params * 4) == 0, "Adam's state differs between 1 and 2 threads");
    ae_set_threads(1);
    ae_trainer_free(&t2);
    ae_model_free(&m2);

    /* other seeds give other weights, like against like (fresh models, the same number of steps): the
     * model's seed draws its initial weights, the trainer's its order */
    {
        ae_model ms[3];
        ae_trainer ts[3];
        const uint64_t model_seed[3] = {1, 2, 1}, trainer_seed[3] = {1, 2, 2};
        for (int k = 0; k < 3; k++) {
            ae_train_cfg c = cfg;
            c.seed = trainer_seed[k];
            if (setup(&ms[k], &ts[k], &train, "784-32-784", "relu", "sigmoid", "bce", model_seed[k], &c, 1)) return check_report("test_train");
            CHECK(run(&ts[k], 3, NULL) == AE_OK, "%s", ae_last_error());
        }
        CHECK(memcmp(ms[0].params, ms[1].params, ms[0].n_params * 4) != 0, "seed 2 gives the same weights as seed 1");
        CHECK(memcmp(ms[0].params, ms[2].params, ms[0].n_params * 4) != 0, "the trainer's seed 2 gives the same weights as its seed 1");
        for (int k = 0; k < 3; k++) { ae_trainer_free(&ts[k]); ae_model_free(&ms[k]); }
    }

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
    if (setup(&m, &t, &train, "784-32-784", "relu", "sigmoid", "bce", 1, &cfg, 1)) return check_report("test_train");
    CHECK(run(&t, 3 * spe, NULL) == AE_OK, "denoising: %s", ae_last_error());
    CHECK(ae_evaluate(&m, &test, 0, &after, NULL) == AE_OK, "%s", ae_last_error());
    printf("denoising 784-32-784 (mask 0.5): clean test BCE %.4f after 3 epochs\n", after);
    CHECK(after < 0.21, "denoising AE's clean test loss %.4f", after);
    ae_trainer_free(&t);
    ae_model_free(&m);

    /* supervised: 784-64-10 softmax classifier, one epoch */
    cfg = ae_train_default();
    cfg.supervised = 1;
    if (setup(&m, &t, &train, "784-64-10", "relu", "softmax", "softmax_ce", 1, &cfg, 0)) return check_report("test_train");
    CHECK(run(&t, 3 * spe, NULL) == AE_OK, "classifier: %s", ae_last_error());
    int correct = 0;
    CHECK(ae_evaluate(&m, &test, 1, &after, &correct) == AE_OK, "%s", ae_last_error());
    printf("784-64-10 classifier: test accuracy %.3f after 3 epochs on 12k images\n", correct / 2000.0);
    CHECK(correct > 0.85 * 2000, "classifier accuracy %.3f", correct / 2000.0);
    ae_trainer_free(&t);
    ae_model_free(&m);

    /* Divergence that stays finite (the case): Adam or SGD at lr 1e9 reach losses of 1e5..1e20 at the
     * second step. It is caught there, the message names the loss and its reference, and the model is back
     * at its state before the first update. */
    for (int k = 0; k < 2; k++) {
        cfg = ae_train_default();
        cfg.opt = ae_optim_default(k ? AE_OPT_SGD : AE_OPT_ADAM);
        cfg.opt.lr = 1e9f;
        if (setup(&m, &t, &train, "784-32-784", "relu", "sigmoid", "bce", 1, &cfg, 1)) return check_report("test_train");
        float *fresh = malloc(m.n_params * 4);
        memcpy(fresh, m.params, m.n_params * 4);
        int done = 0, rc = run(&t, 10, &done);
        CHECK(rc == AE_ERR_DIVERGED && done < 3 && strstr(ae_last_error(), "is more than 100 times its reference 0.69") &&
              strstr(ae_last_error(), "smaller learning rate"), "%s at lr 1e9: %d steps, then: %s", ae_opt_name(cfg.opt.kind), done, ae_last_error());
        CHECK(!memcmp(m.params, fresh, m.n_params * 4) && m.t == 0 && t.step == 0, "%s at lr 1e9: not back at the start", ae_opt_name(cfg.opt.kind));
        free(fresh);
        ae_trainer_free(&t);
        /* with the check turned off (factor 0) the same run goes on: only a loss that is not finite stops it */
        cfg.diverge_factor = 0.0f;
        CHECK(ae_trainer_init(&t, &m, &train, &cfg) == AE_OK && run(&t, 4, NULL) == AE_OK, "factor 0: %s", ae_last_error());
        ae_trainer_free(&t);
        ae_model_free(&m);
    }
    cfg = ae_train_default();
    if (setup(&m, &t, &train, "784-32-784", "relu", "sigmoid", "bce", 1, &cfg, 0)) return check_report("test_train");
    ae_trainer_free(&t);
    cfg.diverge_factor = 0.5f;
    CHECK(ae_trainer_init(&t, &m, &train, &cfg) == AE_ERR_ARG && strstr(ae_last_error(), "divergence factor"), "factor 0.5: %s", ae_last_error());
    ae_model_free(&m);

    /* After a divergence the whole state is the last sound one: a run at a sane rate on the same model goes
     * on (with only the weights restored, SGD's momentum from lr 1e6 blew it up again at its second step). */
    cfg = ae_train_default();
    cfg.opt = ae_optim_default(AE_OPT_SGD);
    cfg.opt.lr = 1e6f;
    if (setup(&m, &t, &train, "784-32-784", "linear", "linear", "mse", 1, &cfg, 0)) return check_report("test_train");
    int done = 0, rc = run(&t, 200, &done);
    CHECK(rc == AE_ERR_DIVERGED && strstr(ae_last_error(), "diverged"), "no divergence detected after %d steps: %s", done, ae_last_error());
    int finite = 1;
    for (size_t i = 0; i < m.n_params; i++) finite &= isfinite(m.params[i]) && isfinite(m.opt_m[i]);
    CHECK(finite, "weights or momentum after divergence are not finite");
    ae_trainer_free(&t);
    ae_train_cfg sane = ae_train_default();
    sane.opt = ae_optim_default(AE_OPT_SGD);
    CHECK(ae_trainer_init(&t, &m, &train, &sane) == AE_OK, "%s", ae_last_error());
    rc = run(&t, 60, &done);
    CHECK(rc == AE_OK, "a run at SGD's default rate after a divergence diverged too, at its step %d: %s", done + 1, ae_last_error());
    ae_trainer_free(&t);
    ae_model_free(&m);

    /* The rollback puts back exactly the state at the start of the last sound step: the model and trainer
     * equal a twin that ran only the sound steps, bit for bit, and stay equal as both go on. Adam (both
     * moments, t) with 16 steps an epoch, sent off at lr 1e9 by the step that ends epoch 2 (so the order it
     * drew for epoch 3 must go too); and SGD with momentum at lr 4 on 100 images in batches of 128, an epoch
     * and a new order every step, which diverges by itself after about 20. */
    for (int k = 0; k < 2; k++) {
        ae_dataset part = train;
        part.n = k ? 100 : 2000;
        cfg = ae_train_default();
        cfg.batch = 128;
        if (k) { cfg.opt = ae_optim_default(AE_OPT_SGD); cfg.opt.lr = 4.0f; }
        if (setup(&m, &t, &part, "784-32-784", "linear", "linear", "mse", 1, &cfg, 0)) return check_report("test_train");
        long sound;
        if (!k) {
            CHECK(run(&t, 31, NULL) == AE_OK, "%s", ae_last_error());
            t.cfg.opt.lr = 1e9f;
            rc = run(&t, 5, &done);
            CHECK(rc == AE_ERR_DIVERGED && done == 1 && t.step == 31 && strstr(ae_last_error(), "at step 33 (epoch 3)") &&
                  strstr(ae_last_error(), "Step 32's update caused it") && strstr(ae_last_error(), "(31 steps done)"), "Adam sent off at step 32: rc %d after %d: %s", rc, done, ae_last_error());
            sound = 31;
        } else {
            rc = run(&t, 200, &done);
            CHECK(rc == AE_ERR_DIVERGED && done > 3 && t.step == done - 1, "SGD lr 4: rc %d after %d steps, trainer at %ld: %s", rc, done, t.step,
                  ae_last_error());
            sound = t.step;
        }
        CHECK(setup(&m2, &t2, &part, "784-32-784", "linear", "linear", "mse", 1, &cfg, 0) == AE_OK && run(&t2, (int)sound, NULL) == AE_OK, "twin");
        CHECK(same_state(&m, &t, &m2, &t2), "%s: the state after the rollback differs from the twin's after %ld steps", k ? "SGD" : "Adam", sound);
        t.cfg.opt.lr = t2.cfg.opt.lr = 1e-3f;
        CHECK(run(&t, 20, NULL) == AE_OK && run(&t2, 20, NULL) == AE_OK, "%s", ae_last_error());
        CHECK(same_state(&m, &t, &m2, &t2), "%s: the run after the rollback differs from the twin's", k ? "SGD" : "Adam");
        ae_trainer_free(&t); ae_model_free(&m);
        ae_trainer_free(&t2); ae_model_free(&m2);
    }

    /* A linear autoencoder that can reconstruct exactly drives its loss to ~1e-7 and beyond (Adam jitters
     * there by orders of magnitude): never a divergence, since the reference never falls below the 1/4 of an
     * output that knows nothing. 300 images of 2x2 pixels. */
    {
        uint8_t idx[16 + 300 * 4] = {0, 0, 8, 3, 0, 0, 0x01, 0x2c, 0, 0, 0, 2, 0, 0, 0, 2};
        ae_rng g;
        ae_rng_seed(&g, 4, 4);
        for (int i = 0; i < 300 * 4; i++) idx[16 + i] = (uint8_t)ae_rng_below(&g, 256);
        ae_dataset px;
        CHECK(ae_idx_images_mem(&px, idx, sizeof idx) == AE_OK, "%s", ae_last_error());
        cfg = ae_train_default();
        cfg.batch = 30;
        cfg.opt.lr = 1e-2f;
        if (setup(&m, &t, &px, "4-4-4", "linear", "linear", "mse", 1, &cfg, 1)) return check_report("test_train");
        double lo = 1.0;
        rc = AE_OK;
        for (int s = 0; s < 4000 && rc == AE_OK; s++) if ((rc = ae_trainer_step(&t, &loss)) == AE_OK && loss < lo) lo = loss;
        printf("linear 4-4-4 autoencoder: lowest batch MSE %.3g in 4000 steps\n", lo);
        CHECK(rc == AE_OK && lo < 1e-6, "linear AE: rc %d, lowest loss %.3g: %s", rc, lo, ae_last_error());
        ae_trainer_free(&t);
        ae_model_free(&m);
        ae_dataset_free(&px);
    }

    /* A dataset that changes size under a trainer is refused (its order covers the old items), not read
     * past its end; back at its size it trains again. */
    {
        ae_dataset part = train;
        cfg = ae_train_default();
        if (setup(&m, &t, &part, "784-32-784", "relu", "sigmoid", "bce", 1, &cfg, 1)) return check_report("test_train");
        CHECK(run(&t, 5, NULL) == AE_OK, "%s", ae_last_error());
        part.n = 1000;
        CHECK(ae_trainer_step(&t, &loss) == AE_ERR_ARG && strstr(ae_last_error(), "changed from 12000 to 1000 items"), "shrunk: %s", ae_last_error());
        part.n = 12000;
        CHECK(ae_trainer_step(&t, &loss) == AE_OK && t.step == 6, "%s", ae_last_error());
        ae_trainer_free(&t);
        ae_model_free(&m);
    }
    /* lr_decay: epoch e's rate is lr·decay^e, the same for every step of the epoch. Plain SGD on 128 images
     * in batches of 64, two steps an epoch: a run decaying by 0.25 and a constant-rate twin take the same
     * first two steps (bit for bit); put back at the twin's point before each later step, the decaying run
     * sees the same batch (the same order, drawn by the same seed), so its steps 3-4 are a quarter and 5-6
     * a sixteenth of the twin's; a decay outside (0, 1] is refused. */
    {
        ae_dataset part = train;
        part.n = 128;
        ae_model md;
        ae_trainer td;
        cfg = ae_train_default();
        cfg.batch = 64;
        cfg.opt = ae_optim_default(AE_OPT_SGD);
        cfg.opt.momentum = 0.0f;
        cfg.opt.lr = 20.0f; /* steps far larger than the rounding of the largest weights (output biases near -7) */
        ae_train_cfg dc = cfg;
        dc.lr_decay = 0.25f;
        if (setup(&m, &t, &part, "784-16-784", "relu", "sigmoid", "bce", 1, &cfg, 1) ||
            setup(&md, &td, &part, "784-16-784", "relu", "sigmoid", "bce", 1, &dc, 1))
            return check_report("test_train");
        const size_t bytes = m.n_params * sizeof(float);
        float *p0 = malloc(bytes);
        CHECK(run(&t, 2, NULL) == AE_OK && run(&td, 2, NULL) == AE_OK && !memcmp(m.params, md.params, bytes), "epoch 0 is at the full rate");
        double worst = 0, moved = 0;
        for (int k = 2; k < 6; k++) {
            memcpy(p0, m.params, bytes);
            CHECK(run(&t, 1, NULL) == AE_OK && run(&td, 1, NULL) == AE_OK, "%s", ae_last_error());
            const double f = k / 2 == 1 ? 0.25 : 0.0625; /* step k+1 is in epoch k/2 */
            for (size_t i = 0; i < m.n_params; i++) {
                const double want = f * ((double)m.params[i] - p0[i]), got = (double)md.params[i] - p0[i];
                worst = fmax(worst, fabs(got - want) / fmax(1.0, fabs((double)p0[i])));
                moved = fmax(moved, fabs(want));
                md.params[i] = m.params[i]; /* the next step from the twin's point again */
            }
        }
        printf("lr_decay 0.25: largest step %.3g, largest departure from lr·decay^epoch %.3g (relative to the weight, at least 1)\n", moved, worst);
        CHECK(moved > 1e-4 && worst < 1e-6, "decayed steps are not lr·0.25^e: off by %g (steps up to %g)", worst, moved);
        free(p0);
        ae_trainer_free(&t);
        ae_trainer_free(&td);
        dc.lr_decay = 0.0f;
        CHECK(ae_trainer_init(&td, &md, &part, &dc) == AE_ERR_ARG && strstr(ae_last_error(), "decay per epoch must be in (0, 1]"), "%s", ae_last_error());
        dc.lr_decay = 1.5f;
        CHECK(ae_trainer_init(&td, &md, &part, &dc) == AE_ERR_ARG, "a decay of 1.5 was taken");
        ae_model_free(&m);
        ae_model_free(&md);
    }
    ae_dataset_free(&train);
    ae_dataset_free(&test);
    return check_report("test_train");
}
