/* The "pretrain" job on real MNIST (a few thousand images, so it runs in seconds, also under ASan):
 * pretraining a layer lowers its reconstruction loss; the trained encoder goes into the classifier and the
 * next layer's autoencoder learns from its codes; training the top layer leaves every encoder weight
 * bit-identical, fine-tuning changes them; the labelled subset has N items of each class; the whole
 * recipe beats chance by a wide margin; stopping after a phase and starting again from the saved weights
 * gives the same bits as a run that never stopped; bad models and settings are refused with messages. */
#include "aelab.h"
#include "check.h"

static ae_dataset train, test;

static void subset(ae_dataset *d, int n) {
    if (d->n > n) d->n = n;
}

static int make(ae_model *m, const char *spec) {
    ae_arch a;
    int rc = ae_arch_parse(&a, spec, "relu", NULL, "softmax", NULL);
    if (!rc) rc = ae_model_init(m, &a, 128, 5);
    CHECK(rc == AE_OK, "%s: %s", spec, ae_last_error());
    return rc;
}

/* a copy of layers [0, L) of m's parameters */
static float *snapshot(ae_model *m) {
    float *p = malloc(m->n_params * sizeof(float));
    memcpy(p, m->params, m->n_params * sizeof(float));
    return p;
}

static int layer_same(ae_model *m, const float *snap, int l) {
    return !memcmp(m->params + m->p_off[l], snap + m->p_off[l], (m->p_off[l + 1] - m->p_off[l]) * sizeof(float));
}

/* mean squared error of the job's reconstructions of the first 200 test images, in pixels */
static double recon_mse(ae_job *j) {
    enum { N = 200 };
    static float x[N * 784], y[N * 784];
    ae_dataset_batch(&test, NULL, 0, N, x);
    int rc = ae_job_reconstruct(j, -1, x, N, y);
    CHECK(rc == AE_OK, "reconstruct: %s", ae_last_error());
    double s = 0;
    for (int i = 0; i < N * 784; i++) s += (double)(y[i] - x[i]) * (y[i] - x[i]);
    return rc ? NAN : s / N;
}

/* run the job until its phase changes or it is done; returns the last state */
static ae_job_state run_phase(ae_job *j) {
    ae_job_state st;
    ae_job_state_get(j, &st);
    const int ph = st.phase;
    while (!st.done) {
        int rc = ae_job_step(j, 7, &st);
        CHECK(rc == AE_OK, "step: %s", ae_last_error());
        if (rc || st.phase != ph || st.phase_ended) break;
    }
    return st;
}

static void check_greedy(void) {
    ae_model m;
    if (make(&m, "784-64-32-10")) return;
    ae_job *j = NULL;
    const char *spec = "recipe=greedy pre_epochs=2 top_epochs=20 fine_epochs=20 labels_per_class=30 batch=64 seed=3 noise=mask noise_level=0.25";
    CHECK(ae_job_create(&j, "pretrain", &m, &train, NULL, &test, spec) == AE_OK, "%s", ae_last_error());
    if (!j) { ae_model_free(&m); return; }
    ae_job_state st;
    ae_job_state_get(j, &st);
    CHECK(st.n_phases == 4 && st.phase == 0 && st.steps_per_epoch == (train.n + 63) / 64 && st.epochs == 2, "greedy on 2 hidden layers: %d phases, "
          "%d steps per epoch, %d epochs", st.n_phases, st.steps_per_epoch, st.epochs);
    char name[256];
    CHECK(ae_job_phase_name(j, 1, name, sizeof name) == AE_OK && strstr(name, "pretrain layer 2") && strstr(name, "64-32:relu-64:linear") &&
              strstr(name, "denoising"), "phase 1 is '%s'", name);
    CHECK(ae_job_phase_name(j, 4, name, sizeof name) == AE_ERR_ARG, "phase 4 of 4");

    /* phase 0: layer 1's autoencoder 784-64-784 on the images; its loss falls, its encoder becomes layer 0 */
    ae_model *pm = ae_job_model(j);
    CHECK(pm != &m && pm->arch.n_layers == 2 && pm->arch.sizes[1] == 64 && pm->arch.sizes[2] == 784, "phase 0 trains a 784-64-784 autoencoder");
    double before;
    CHECK(ae_evaluate(pm, &test, 0, &before, NULL) == AE_OK, "%s", ae_last_error());
    float *init = snapshot(&m);
    /* the view of phase 0 is that autoencoder's own output */
    {
        static float x[50 * 784], y[50 * 784], want[50 * 784];
        ae_dataset_batch(&test, NULL, 0, 50, x);
        CHECK(ae_job_step(j, 5, &st) == AE_OK && ae_job_reconstruct(j, -1, x, 50, y) == AE_OK && ae_model_map_rows(pm, 0, 2, x, 50, want) == AE_OK &&
                  !memcmp(y, want, sizeof y), "phase 0's reconstructions are its autoencoder's: %s", ae_last_error());
    }
    st = run_phase(j);
    CHECK(st.phase_ended && st.phase == 1 && !isnan(st.test_loss) && st.test_loss < 0.75 * before && isnan(st.test_acc),
          "pretraining layer 1: test BCE %.4f -> %.4f", before, st.test_loss);
    CHECK(!isnan(st.test_noisy_loss) && st.test_noisy_loss > st.test_loss, "the denoising run's noisy test loss %.4f (clean %.4f)",
          st.test_noisy_loss, st.test_loss);
    printf("layer 1 pretrained: test BCE %.4f -> %.4f (masked inputs %.4f)\n", before, st.test_loss, st.test_noisy_loss);
    CHECK(!layer_same(&m, init, 0) && layer_same(&m, init, 1) && layer_same(&m, init, 2), "after phase 0 only layer 0 changed");

    /* phase 1: layer 2's autoencoder 64-32-64 on the codes of the trained layer 0 */
    pm = ae_job_model(j);
    CHECK(pm->arch.sizes[0] == 64 && pm->arch.sizes[1] == 32 && pm->arch.layer[1].act == AE_ACT_IDENTITY && pm->arch.loss == AE_LOSS_MSE,
          "phase 1 trains 64-32-64 with a linear output and MSE (ReLU codes)");
    CHECK(!memcmp(ae_model_weight(pm, 0), ae_model_weight(&m, 1), 32 * 64 * sizeof(float)), "the autoencoder starts from the classifier's layer 1");
    free(init);
    init = snapshot(&m);
    /* layer 1's finished autoencoder stays reachable (level 1) while layer 2 trains; level 2 is not there yet */
    {
        static float x[200 * 784], y[200 * 784];
        ae_dataset_batch(&test, NULL, 0, 200, x);
        CHECK(ae_job_reconstruct(j, 1, x, 200, y) == AE_OK, "level 1: %s", ae_last_error());
        double e = 0;
        for (int i = 0; i < 200 * 784; i++) e += (double)(y[i] - x[i]) * (y[i] - x[i]);
        CHECK(e / 200 < 40, "layer 1's pretrained reconstructions (the mean image scores about 52): squared error %.1f per image", e / 200);
        CHECK(ae_job_reconstruct(j, 2, x, 1, y) == AE_ERR_ARG && strstr(ae_last_error(), "level 2: that layer's pretraining is not done"), "%s",
              ae_last_error());
    }
    /* layer 2's reconstructions of layer-1 codes, decoded to pixels through layer 1's decoder, improve */
    const double r1_before = recon_mse(j);
    st = run_phase(j);
    const double r1_after = recon_mse(j);
    CHECK(r1_after < 0.8 * r1_before, "layer 2's reconstructions in pixels: squared error %.2f -> %.2f per image", r1_before, r1_after);
    printf("layer 2 pretrained: its reconstructions in pixels, squared error per image %.2f -> %.2f\n", r1_before, r1_after);
    int top_zero = 1;
    for (size_t i = m.p_off[2]; i < m.p_off[3]; i++) top_zero &= m.params[i] == 0.0f;
    CHECK(st.phase_ended && st.phase == 2 && !layer_same(&m, init, 1) && layer_same(&m, init, 0) && top_zero,
          "after phase 1 only layer 1 changed, and the top layer starts phase 2 at zero");

    /* phase 2: the top layer on 300 labelled images; the encoder stays bit-identical */
    CHECK(ae_job_model(j) == &m && st.steps_per_epoch == (300 + 63) / 64, "phase 2 trains the classifier on 10×30 labels: %d steps per epoch",
          st.steps_per_epoch);
    free(init);
    init = snapshot(&m);
    st = run_phase(j);
    CHECK(st.phase_ended && st.phase == 3 && layer_same(&m, init, 0) && layer_same(&m, init, 1) && !layer_same(&m, init, 2),
          "training the top layer moved the encoder or left the top alone");
    const double top_acc = st.test_acc;

    /* phase 3: every layer */
    free(init);
    init = snapshot(&m);
    st = run_phase(j);
    CHECK(st.done && !layer_same(&m, init, 0) && !layer_same(&m, init, 1) && !layer_same(&m, init, 2), "fine-tuning left a layer unchanged");
    CHECK(st.test_acc > 0.6 && top_acc > 0.3, "300 labels: test accuracy %.3f after the top layer, %.3f after fine-tuning (chance 0.1)", top_acc,
          st.test_acc);
    printf("greedy, 300 labels: test accuracy %.4f after the top layer, %.4f fine-tuned\n", top_acc, st.test_acc);
    /* a done job stays done */
    free(init);
    init = snapshot(&m);
    CHECK(ae_job_step(j, 5, &st) == AE_OK && st.done && !memcmp(init, m.params, m.n_params * sizeof(float)), "a done job trained on");
    free(init);
    ae_job_free(j);
    ae_model_free(&m);
}

/* end to end: phase 0 trains the deep autoencoder, whose encoder then is the classifier's; its views */
static void check_e2e(void) {
    ae_model m;
    if (make(&m, "784-48-24-10")) return;
    ae_job *j = NULL;
    ae_job_state st;
    CHECK(ae_job_create(&j, "pretrain", &m, &train, NULL, &test, "recipe=e2e pre_epochs=2 top_epochs=1 fine_epochs=1 batch=64 seed=2") == AE_OK, "%s",
          ae_last_error());
    if (!j) { ae_model_free(&m); return; }
    ae_model *pm = ae_job_model(j);
    CHECK(pm->arch.n_layers == 4 && pm->arch.sizes[2] == 24 && pm->arch.sizes[4] == 784, "phase 0 trains 784-48-24-48-784");
    static float x[40 * 784], y[40 * 784], want[40 * 784];
    ae_dataset_batch(&test, NULL, 0, 40, x);
    /* during phase 0 the view is the deep autoencoder's output */
    CHECK(ae_job_step(j, 3, &st) == AE_OK && ae_job_reconstruct(j, -1, x, 40, y) == AE_OK && ae_model_map_rows(pm, 0, 4, x, 40, want) == AE_OK &&
              !memcmp(y, want, sizeof y), "e2e phase 0's reconstructions are its autoencoder's: %s", ae_last_error());
    float *init = snapshot(&m);
    st = run_phase(j);
    int top_zero = 1;
    for (size_t i = m.p_off[2]; i < m.p_off[3]; i++) top_zero &= m.params[i] == 0.0f;
    CHECK(st.phase == 1 && !layer_same(&m, init, 0) && !layer_same(&m, init, 1) && top_zero, "the deep encoder went into layers 0 and 1, the top starts at 0");
    /* after it: the classifier's encoder and the kept decoder, which reconstruct well */
    CHECK(ae_job_reconstruct(j, -1, x, 40, y) == AE_OK, "%s", ae_last_error());
    double err = 0;
    for (int i = 0; i < 40 * 784; i++) err += (double)(y[i] - x[i]) * (y[i] - x[i]);
    CHECK(err / 40 < 40, "e2e reconstructions after pretraining: squared error %.1f per image", err / 40);
    free(init);
    ae_job_free(j);
    ae_model_free(&m);
}

/* stopped after `stop` phases, saved, loaded and started again: the same bits and steps as uninterrupted */
static void check_resume(const char *recipe, int stop) {
    char spec[256];
    snprintf(spec, sizeof spec, "recipe=%s pre_epochs=1 top_epochs=1 fine_epochs=2 labels_per_class=20 batch=50 seed=8", recipe);
    ae_model a, b;
    if (make(&a, "784-48-24-10") || make(&b, "784-48-24-10")) return;
    ae_job *ja = NULL, *jb = NULL;
    ae_job_state sa, sb;
    CHECK(ae_job_create(&ja, "pretrain", &a, &train, NULL, &test, spec) == AE_OK, "%s", ae_last_error());
    CHECK(ae_job_create(&jb, "pretrain", &b, &train, NULL, &test, spec) == AE_OK, "%s", ae_last_error());
    if (!ja || !jb) return;
    long at_stop = -1; /* the uninterrupted run's step count when phase `stop` began */
    do {
        CHECK(ae_job_step(ja, 100, &sa) == AE_OK, "%s", ae_last_error());
        if (sa.phase_ended && sa.phase == stop && !sa.done) at_stop = sa.step;
    } while (!sa.done);
    do CHECK(ae_job_step(jb, 3, &sb) == AE_OK, "%s", ae_last_error());
    while (!(sb.phase_ended && sb.phase == stop) && !sb.done);
    ae_job_free(jb);
    uint8_t *buf;
    size_t len;
    ae_model c;
    CHECK(ae_model_save_mem(&b, &buf, &len) == AE_OK && ae_model_load_mem(&c, buf, len, 128) == AE_OK, "%s", ae_last_error());
    free(buf);
    snprintf(spec + strlen(spec), sizeof spec - strlen(spec), " start=%d", stop);
    CHECK(ae_job_create(&jb, "pretrain", &c, &train, NULL, &test, spec) == AE_OK, "%s", ae_last_error());
    ae_job_state_get(jb, &sb);
    CHECK(sb.phase == stop && sb.step == at_stop, "resumed at phase %d, step %ld (uninterrupted: %ld)", sb.phase, sb.step, at_stop);
    do CHECK(ae_job_step(jb, 11, &sb) == AE_OK, "%s", ae_last_error());
    while (!sb.done);
    CHECK(sb.step == sa.step && sb.test_acc == sa.test_acc && !memcmp(a.params, c.params, a.n_params * sizeof(float)),
          "%s stopped after phase %d: step %ld vs %ld, accuracy %.4f vs %.4f, %s weights", recipe, stop - 1, sb.step, sa.step, sb.test_acc,
          sa.test_acc, memcmp(a.params, c.params, a.n_params * sizeof(float)) ? "different" : "the same");
    ae_job_free(ja);
    ae_job_free(jb);
    ae_model_free(&a);
    ae_model_free(&b);
    ae_model_free(&c);
}

static void refused(const char *model, const char *spec, const ae_dataset *tr, const char *want) {
    ae_model m;
    ae_arch a;
    if (ae_arch_parse(&a, model, "relu", NULL, NULL, NULL) || ae_model_init(&m, &a, 64, 1)) {
        CHECK(0, "%s: %s", model, ae_last_error());
        return;
    }
    ae_job *j = (ae_job *)&m; /* must become NULL */
    int rc = ae_job_create(&j, "pretrain", &m, tr, NULL, NULL, spec);
    CHECK(rc == AE_ERR_ARG && j == NULL && strstr(ae_last_error(), want), "'%s' '%s': rc %d '%s', want '%s'", model, spec, rc, ae_last_error(), want);
    ae_model_free(&m);
}

int main(void) {
    CHECK(ae_idx_images_file(&train, MNIST_TRAIN_IMAGES) == AE_OK && ae_idx_labels_file(&train, MNIST_TRAIN_LABELS) == AE_OK, "%s", ae_last_error());
    CHECK(ae_idx_images_file(&test, MNIST_TEST_IMAGES) == AE_OK && ae_idx_labels_file(&test, MNIST_TEST_LABELS) == AE_OK, "%s", ae_last_error());
    if (check_fail) return check_report("test_pretrain");
    subset(&train, 3000);
    subset(&test, 1000);

    check_greedy();
    check_resume("greedy", 1);
    check_resume("greedy", 2);
    check_resume("greedy", 3);
    check_resume("e2e", 1);
    check_e2e();
    /* a run resumed at layer 2 has no decoder for layer 1: its views say so (a wide layer 1, wider than the
     * input, so that reading the wrong decoder would also write past the output) */
    {
        ae_model m;
        ae_job *j = NULL;
        static float x[4 * 784], y[4 * 784];
        if (!make(&m, "784-1000-30-10") &&
            ae_job_create(&j, "pretrain", &m, &train, NULL, NULL, "recipe=greedy start=1 pre_epochs=1 batch=64") == AE_OK) {
            ae_job_state st;
            CHECK(ae_job_step(j, 2, &st) == AE_OK, "%s", ae_last_error());
            CHECK(ae_job_reconstruct(j, -1, x, 4, y) == AE_ERR_ARG && strstr(ae_last_error(), "decoders of the pretraining phases are not here"), "%s",
                  ae_last_error());
            CHECK(ae_job_reconstruct(j, 1, x, 4, y) == AE_ERR_ARG, "level 1 without its decoder");
            do CHECK(ae_job_step(j, 100, &st) == AE_OK, "%s", ae_last_error());
            while (!st.phase_ended);
            /* layer 2's decoder is there now, layer 1's still not */
            CHECK(ae_job_reconstruct(j, 2, x, 4, y) == AE_ERR_ARG && ae_job_reconstruct(j, -1, x, 4, y) == AE_ERR_ARG, "levels without layer 1's decoder");
        }
        ae_job_free(j);
        ae_model_free(&m);
    }

    /* the baseline: two supervised phases as long as the top-layer and fine-tuning phases */
    {
        ae_model m;
        ae_job *j = NULL;
        ae_job_state st;
        if (!make(&m, "784-32-10") &&
            ae_job_create(&j, "pretrain", &m, &train, NULL, &test, "recipe=none top_epochs=2 fine_epochs=3 labels_per_class=10 batch=32") == AE_OK) {
            long steps = 0;
            do { CHECK(ae_job_step(j, 1000, &st) == AE_OK, "%s", ae_last_error()); steps += st.steps_run; } while (!st.done);
            CHECK(st.n_phases == 1 && steps == 5 * 4 && st.step == steps, "the baseline on 100 labels: %d phase(s), %ld steps", st.n_phases, steps);
            float x[784], y[784] = {0};
            CHECK(ae_job_reconstruct(j, -1, x, 1, y) == AE_ERR_ARG && strstr(ae_last_error(), "baseline has no autoencoder"), "%s", ae_last_error());
            ae_job_free(j);
        }
        ae_model_free(&m);
    }

    ae_dataset unlabelled = train;
    unlabelled.labels = NULL;
    refused("784-32-10:softmax", "recipe=deep", &train, "recipe must be greedy, e2e or none");
    refused("784-32-10:softmax", "epochs=3", &train, "sets each phase's epochs");
    refused("784-32-10:softmax", "from=1", &train, "sets each phase's epochs");
    refused("784-32-10:softmax", "start=4", &train, "start=4: recipe greedy has phases 0..2");
    refused("784-32-10:softmax", "pre_epochs=-1", &train, "pre_epochs must be a whole number");
    refused("784-32-10:softmax", "top_epochs=0", &train, "top_epochs must be a whole number from 1"); /* 0 would never end */
    refused("784-32-10:softmax", "recipe=none start=1", &train, "start=1: recipe none has phases 0..0");
    /* Gaussian noise clips to [0, 1]: fine on pixels, not on layer 1's ReLU codes (sigmoid ones are in range) */
    refused("784-32-16-10:softmax", "noise=gaussian", &train, "noise=gaussian clips to [0, 1], but the codes of the layers below are not");
    {
        ae_model m;
        ae_arch a;
        ae_job *j = NULL;
        CHECK(ae_arch_parse(&a, "784-32:sigmoid-16:sigmoid-10:softmax", NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, 64, 1) == AE_OK &&
                  ae_job_create(&j, "pretrain", &m, &train, NULL, NULL, "noise=gaussian batch=32") == AE_OK, "gaussian noise on sigmoid codes: %s", ae_last_error());
        ae_job_free(j);
        ae_model_free(&m);
    }
    /* the training set is checked before any phase runs (its width, its classes) */
    {
        static float v[200 * 5];
        static uint8_t lab[8 + 200];
        ae_dataset narrow;
        lab[2] = 8; lab[3] = 1; lab[7] = 200;
        for (int i = 0; i < 200; i++) lab[8 + i] = (uint8_t)(i % 10);
        CHECK(ae_dataset_floats(&narrow, v, 200, 1, 5) == AE_OK && ae_idx_labels_mem(&narrow, lab, sizeof lab) == AE_OK, "%s", ae_last_error());
        refused("784-32-10:softmax", "start=1", &narrow, "the training set: the images have 5 pixels but the model's input is 784 wide");
        ae_dataset_free(&narrow);
    }
    refused("784-32-10:softmax", "lr=0", &train, "learning rate");
    refused("784-32-10:softmax", "labels_per_class=7000", &train, "labels_per_class=7000, but class");
    refused("784-32-10:softmax", "", &unlabelled, "needs labelled training images");
    refused("784-10:softmax", "", &train, "at least one hidden layer");
    refused("784-32-10:sigmoid", "", &train, "ends in a softmax layer");
    refused("1x28x28-conv4k3-10:softmax", "", &train, "dense layers; layer 0 is conv");

    ae_dataset_free(&train);
    ae_dataset_free(&test);
    return check_report("test_pretrain");
}
