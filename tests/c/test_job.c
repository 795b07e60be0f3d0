/* Training settings that a job carries, and jobs themselves, on small synthetic float data: the layer range
 * (from/to) updates exactly the layers it names and refuses ranges outside the model; a target dataset
 * ("another tensor") is what the loss compares with, and mismatched ones are refused; a "train" job runs its
 * planned epochs in slices, stops at each epoch's end with the test set's loss as ae_evaluate gives it, and
 * trains the same bits as ae_trainer_step driven by hand with the same settings. */
#include "aelab.h"
#include "check.h"

#define N 200  /* training items */
#define NT 60  /* test items */
#define DIM 8

static ae_dataset train, test, targets;

/* n points of DIM values in [0, 1] near a 2-D subspace, so an autoencoder has something to learn */
static void points(float *x, int n, uint64_t seed) {
    ae_rng g;
    ae_rng_seed(&g, seed, 1);
    for (int i = 0; i < n; i++) {
        const float u = ae_rng_uniform(&g), v = ae_rng_uniform(&g);
        for (int j = 0; j < DIM; j++) {
            float w = (j % 2 ? u : v) * (0.3f + 0.1f * j) + 0.05f * ae_rng_uniform(&g);
            x[i * DIM + j] = w < 1.0f ? w : 1.0f;
        }
    }
}

static int make_model(ae_model *m, const char *spec, int max_batch, uint64_t seed) {
    ae_arch a;
    int rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL);
    if (!rc) rc = ae_model_init(m, &a, max_batch, seed);
    CHECK(rc == AE_OK, "model %s: %s", spec, ae_last_error());
    return rc;
}

static int parse_cfg(ae_train_cfg *c, const char *spec) {
    int rc = ae_train_cfg_parse(c, spec);
    CHECK(rc == AE_OK, "'%s': %s", spec, ae_last_error());
    return rc;
}

/* Whether layer l's parameters are the same bits in a and b. */
static int same_layer(const ae_model *a, const float *b_params, int l) {
    return !memcmp(a->params + a->p_off[l], b_params + a->p_off[l], (a->p_off[l + 1] - a->p_off[l]) * sizeof(float));
}

/* ---- from/to: the layers [from, to) learn, the others stay as they were ---- */
static void check_range(const char *spec, int L, unsigned changed_mask) {
    ae_model m;
    ae_trainer t;
    ae_train_cfg c;
    if (make_model(&m, "8-6-5-8:linear", 32, 3) || parse_cfg(&c, spec)) return;
    c.batch = 32;
    float *before = malloc(m.n_params * sizeof(float));
    memcpy(before, m.params, m.n_params * sizeof(float));
    CHECK(ae_trainer_init(&t, &m, &train, &c) == AE_OK, "'%s': %s", spec, ae_last_error());
    double loss;
    /* the model flips between two copies of its state at every step: the frozen layers are checked after each */
    int frozen_same = 1;
    for (int s = 0; s < 9; s++) {
        CHECK(ae_trainer_step(&t, &loss) == AE_OK, "'%s': %s", spec, ae_last_error());
        for (int l = 0; l < L; l++)
            if (!((changed_mask >> l) & 1)) frozen_same &= same_layer(&m, before, l);
    }
    CHECK(frozen_same, "'%s': a frozen layer changed at some step", spec);
    for (int l = 0; l < L; l++) {
        const int want = (changed_mask >> l) & 1, same = same_layer(&m, before, l);
        CHECK(same != want, "'%s': layer %d %s", spec, l, want ? "did not change" : "changed though frozen");
        if (!want) { /* a frozen layer's optimizer state stays untouched too */
            int zero = 1;
            for (size_t i = m.p_off[l]; i < m.p_off[l + 1]; i++) zero &= m.opt_m[i] == 0.0f && m.opt_v[i] == 0.0f;
            CHECK(zero, "'%s': frozen layer %d has optimizer state", spec, l);
        }
    }
    free(before);
    ae_trainer_free(&t);
    ae_model_free(&m);
}

static void range_refused(const char *spec, const char *want) {
    ae_model m;
    ae_trainer t;
    ae_train_cfg c;
    if (make_model(&m, "8-6-5-8:linear", 32, 3) || parse_cfg(&c, spec)) return;
    c.batch = 32;
    ae_clear_error();
    int rc = ae_trainer_init(&t, &m, &train, &c);
    CHECK(rc == AE_ERR_ARG && strstr(ae_last_error(), want), "'%s': rc %d '%s', want '%s'", spec, rc, ae_last_error(), want);
    if (rc == AE_OK) ae_trainer_free(&t);
    /* a job refuses it the same way, and leaves no job behind */
    ae_job *j = (ae_job *)&m;
    char full[128];
    snprintf(full, sizeof full, "batch=32 %s", spec);
    rc = ae_job_create(&j, "train", &m, &train, NULL, NULL, full);
    CHECK(rc == AE_ERR_ARG && j == NULL && strstr(ae_last_error(), want), "job '%s': rc %d '%s'", spec, rc, ae_last_error());
    if (rc == AE_OK) ae_job_free(j);
    ae_model_free(&m);
}

/* ---- a target dataset: the loss compares the output with it, row for row ---- */

/* Mean squared error of the model's outputs over d against tgt (both N rows). */
static double mse_against(ae_model *m, const ae_dataset *d, const ae_dataset *tgt) {
    const int out = m->arch.sizes[m->arch.n_layers];
    float *y = malloc((size_t)d->n * out * sizeof(float));
    CHECK(ae_model_map_rows(m, 0, m->arch.n_layers, d->values, d->n, y) == AE_OK, "%s", ae_last_error());
    double s = 0;
    for (size_t i = 0; i < (size_t)d->n * out; i++) s += ((double)y[i] - tgt->values[i]) * ((double)y[i] - tgt->values[i]);
    free(y);
    return s / ((double)d->n * out);
}

static void check_targets(void) {
    ae_model m;
    ae_trainer t;
    ae_train_cfg c = ae_train_default();
    c.batch = 20;
    c.opt.lr = 1e-2f;
    if (make_model(&m, "8-16-8:linear", 20, 5)) return;
    CHECK(ae_trainer_init_targets(&t, &m, &train, &targets, &c) == AE_OK, "%s", ae_last_error());
    const double at0 = mse_against(&m, &train, &targets);
    double loss, first = 0;
    for (int s = 0; s < 1000; s++) {
        CHECK(ae_trainer_step(&t, &loss) == AE_OK, "%s", ae_last_error());
        if (s == 0) first = loss;
    }
    const double after = mse_against(&m, &train, &targets), vs_input = mse_against(&m, &train, &train);
    printf("targets 1 - x: MSE against the targets %.4g -> %.4g (against the input %.4g)\n", at0, after, vs_input);
    CHECK(after < at0 / 20 && after < first / 20, "the model did not learn the targets: %.4g (first batch %.4g) -> %.4g", at0, first, after);
    CHECK(vs_input > 10 * after, "the model learned the input (%.4g) instead of the targets (%.4g)", vs_input, after);
    ae_trainer_free(&t);

    /* a target of another width than the input: a model from 8 to 3 values learns 3 of the targets' columns */
    ae_model m3;
    ae_dataset t3;
    float *v = malloc(N * 3 * sizeof(float));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 3; j++) v[i * 3 + j] = targets.values[i * DIM + j];
    CHECK(ae_dataset_floats(&t3, v, N, 1, 3) == AE_OK, "%s", ae_last_error());
    if (!make_model(&m3, "8-16-3:linear", 20, 5)) {
        CHECK(ae_trainer_init_targets(&t, &m3, &train, &t3, &c) == AE_OK, "8 to 3: %s", ae_last_error());
        const double b3 = mse_against(&m3, &train, &t3);
        for (int s = 0; s < 500; s++) CHECK(ae_trainer_step(&t, &loss) == AE_OK, "%s", ae_last_error());
        const double a3 = mse_against(&m3, &train, &t3);
        CHECK(a3 < b3 / 10, "8 to 3: %.4g -> %.4g", b3, a3);
        ae_trainer_free(&t);
        /* mismatches refused, each with what does not fit */
        CHECK(ae_trainer_init_targets(&t, &m3, &train, &targets, &c) == AE_ERR_ARG && strstr(ae_last_error(), "targets are 8 wide but the model outputs 3"),
              "8-wide targets for 3 outputs: %s", ae_last_error());
        ae_model_free(&m3);
    }
    CHECK(ae_trainer_init_targets(&t, &m, &train, &t3, &c) == AE_ERR_ARG && strstr(ae_last_error(), "targets are 3 wide but the model outputs 8"),
          "3-wide targets for 8 outputs: %s", ae_last_error());
    ae_dataset few = targets;
    few.n = N - 1;
    CHECK(ae_trainer_init_targets(&t, &m, &train, &few, &c) == AE_ERR_ARG && strstr(ae_last_error(), "one row per training item (200), not 199"),
          "199 targets: %s", ae_last_error());
    ae_dataset empty = {0};
    CHECK(ae_trainer_init_targets(&t, &m, &train, &empty, &c) == AE_ERR_ARG && strstr(ae_last_error(), "one row per training item (200), not 0"),
          "no targets: %s", ae_last_error());
    ae_train_cfg sup = c;
    sup.supervised = 1;
    ae_dataset labelled = train;
    static uint8_t lab[N];
    for (int i = 0; i < N; i++) lab[i] = (uint8_t)(i % 2);
    labelled.labels = lab;
    labelled.n_classes = 2;
    CHECK(ae_trainer_init_targets(&t, &m, &labelled, &targets, &sup) == AE_ERR_ARG && strstr(ae_last_error(), "takes no target dataset"),
          "supervised with targets: %s", ae_last_error());
    /* targets that change size under the trainer are refused at the next step */
    few = targets;
    CHECK(ae_trainer_init_targets(&t, &m, &train, &few, &c) == AE_OK, "%s", ae_last_error());
    few.n = 50;
    CHECK(ae_trainer_step(&t, &loss) == AE_ERR_ARG && strstr(ae_last_error(), "changed from 200 to 50 items"), "shrunk targets: %s", ae_last_error());
    ae_trainer_free(&t);
    ae_dataset_free(&t3);
    free(v);
    ae_model_free(&m);
}

/* ---- jobs ---- */
static void check_job_errors(void) {
    ae_model m;
    ae_job *j = NULL;
    if (make_model(&m, "8-4-8", 32, 1)) return;
    CHECK(ae_job_kind_name(0) && !strcmp(ae_job_kind_name(0), "train") && ae_job_kind_name(1) && !strcmp(ae_job_kind_name(1), "pretrain") &&
              ae_job_kind_name(2) == NULL && ae_job_kind_name(-1) == NULL,
          "job kinds: train, pretrain, then NULL");
    j = (ae_job *)&m;
    CHECK(ae_job_create(&j, "bogus", &m, &train, NULL, NULL, "") == AE_ERR_ARG && j == NULL && strstr(ae_last_error(), "unknown job kind 'bogus'"),
          "unknown kind: %s", ae_last_error());
    CHECK(ae_job_create(&j, NULL, &m, &train, NULL, NULL, "") == AE_ERR_ARG && strstr(ae_last_error(), "unknown job kind"), "NULL kind: %s",
          ae_last_error());
    CHECK(ae_job_create(&j, "Train", &m, &train, NULL, NULL, "") == AE_ERR_ARG, "kinds are matched exactly");
    CHECK(ae_job_create(NULL, "train", &m, &train, NULL, NULL, "") == AE_ERR_ARG, "no place for the job");
    CHECK(ae_job_create(&j, "train", &m, &train, &targets, &test, "") == AE_ERR_ARG && j == NULL && strstr(ae_last_error(), "takes no test set"),
          "targets with a test set: %s", ae_last_error());
    CHECK(ae_job_create(&j, "train", &m, &train, NULL, NULL, "lr=0") == AE_ERR_ARG && j == NULL && strstr(ae_last_error(), "learning rate"),
          "a bad spec: %s", ae_last_error());
    CHECK(ae_job_create(&j, "train", &m, &train, NULL, NULL, "batch=64") == AE_ERR_ARG && strstr(ae_last_error(), "batch size 64 is outside 1..32"),
          "a batch larger than the model's: %s", ae_last_error());
    ae_model none;
    memset(&none, 0, sizeof none);
    CHECK(ae_job_create(&j, "train", &none, &train, NULL, NULL, "") == AE_ERR_ARG && strstr(ae_last_error(), "not initialised"), "%s", ae_last_error());
    ae_job_state st;
    CHECK(ae_job_step(NULL, 1, &st) == AE_ERR_ARG && ae_job_state_get(NULL, &st) == AE_ERR_ARG, "a NULL job");
    CHECK(ae_job_create(&j, "train", &m, &train, NULL, NULL, "batch=32") == AE_OK, "%s", ae_last_error());
    CHECK(ae_job_step(j, -1, &st) == AE_ERR_ARG, "negative steps");
    CHECK(ae_job_step(j, 0, &st) == AE_OK && st.step == 0 && !st.done && st.epochs == 0 && st.phase == 0 && st.n_phases == 1 && isnan(st.test_loss),
          "zero steps: step %ld", st.step);
    /* epochs=0 runs until stopped: never done */
    for (int k = 0; k < 5; k++) CHECK(ae_job_step(j, 100, &st) == AE_OK, "%s", ae_last_error());
    CHECK(st.epoch == 5 && st.step == 35 && !st.done, "epochs=0 after 5 slices: epoch %d step %ld done %d", st.epoch, st.step, st.done);
    ae_job_free(j);
    ae_job_free(NULL);
    ae_model_free(&m);
}

/* A "train" job for `epochs` epochs: slices of `slice` steps; it stops at each epoch's end with the test
 * loss as ae_evaluate gives it, ends after exactly epochs × steps_per_epoch steps, and trains the same bits
 * as a trainer stepped by hand with the same settings on a twin model. */
static void check_train_job(const char *model, const char *spec, const ae_dataset *tr, const ae_dataset *tgt, const ae_dataset *te, int supervised,
                            int epochs, int slice) {
    ae_model m, twin;
    ae_job *j = NULL;
    ae_trainer t;
    ae_train_cfg c;
    if (make_model(&m, model, 32, 9) || make_model(&twin, model, 32, 9) || parse_cfg(&c, spec)) return;
    CHECK(ae_job_create(&j, "train", &m, tr, tgt, te, spec) == AE_OK, "'%s': %s", spec, ae_last_error());
    CHECK(ae_trainer_init_targets(&t, &twin, tr, tgt, &c) == AE_OK, "%s", ae_last_error());
    if (!j) return;
    ae_job_state st;
    CHECK(ae_job_state_get(j, &st) == AE_OK, "%s", ae_last_error());
    const int spe = st.steps_per_epoch;
    CHECK(spe == ae_trainer_steps_per_epoch(&t) && spe == (tr->n + c.batch - 1) / c.batch && st.epochs == epochs && !st.done && st.step == 0,
          "'%s': %d steps per epoch, %d epochs", spec, spe, st.epochs);
    CHECK(isnan(st.test_loss) && isnan(st.test_acc), "test loss before any epoch ended: %g", st.test_loss);
    int calls = 0, ends = 0;
    long prev = 0;
    while (!st.done && calls < 1000) {
        int rc = ae_job_step(j, slice, &st);
        calls++;
        CHECK(rc == AE_OK, "'%s' step: %s", spec, ae_last_error());
        if (rc) break;
        /* a slice goes on until its n steps or an epoch's end, whichever comes first */
        const long want = (prev / spe + 1) * spe < prev + slice ? (prev / spe + 1) * spe : prev + slice;
        CHECK(st.step == want, "'%s': a slice of %d from step %ld ended at %ld, want %ld", spec, slice, prev, st.step, want);
        CHECK(st.epoch_ended == (st.step % spe == 0) && st.epoch == st.step / spe, "'%s': at step %ld epoch_ended %d epoch %d", spec, st.step,
              st.epoch_ended, st.epoch);
        CHECK(ae_job_trainer(j) && ae_job_trainer(j)->step == st.step && st.loss == ae_job_trainer(j)->last_loss, "the job's trainer");
        for (long s = prev; s < st.step; s++) {
            double l;
            CHECK(ae_trainer_step(&t, &l) == AE_OK, "%s", ae_last_error());
        }
        CHECK(st.loss == t.last_loss, "'%s' at step %ld: the job's loss %.9g, by hand %.9g", spec, st.step, st.loss, t.last_loss);
        if (st.epoch_ended) {
            ends++;
            if (te) {
                double tl;
                int right = 0;
                CHECK(ae_evaluate(&twin, te, supervised, &tl, &right) == AE_OK, "%s", ae_last_error());
                CHECK(st.test_loss == tl, "'%s' epoch %d: the job's test loss %.9g, ae_evaluate's %.9g", spec, st.epoch, st.test_loss, tl);
                if (supervised) CHECK(st.test_acc == (double)right / te->n, "'%s': test accuracy %g, want %d/%d", spec, st.test_acc, right, te->n);
                else CHECK(isnan(st.test_acc), "an autoencoder's test accuracy is NaN, not %g", st.test_acc);
                /* a denoising run also reports the loss of the test set corrupted with its seed's test noise */
                if (c.noise && !supervised) {
                    double nl;
                    CHECK(ae_evaluate_noisy(&twin, te, 0, c.noise, c.noise_level, ae_test_noise_seed(c.seed), &nl, NULL) == AE_OK, "%s", ae_last_error());
                    CHECK(st.test_noisy_loss == nl && nl != tl, "'%s': noisy test loss %.9g, ae_evaluate_noisy's %.9g (clean %.9g)", spec,
                          st.test_noisy_loss, nl, tl);
                } else {
                    CHECK(isnan(st.test_noisy_loss), "'%s': no noise, but a noisy test loss %g", spec, st.test_noisy_loss);
                }
            } else {
                CHECK(isnan(st.test_loss), "no test set, but a test loss %g", st.test_loss);
            }
        }
        prev = st.step;
    }
    CHECK(st.done && st.step == (long)epochs * spe && st.epoch == epochs && ends == epochs, "'%s': done %d at step %ld (want %ld), %d epoch ends",
          spec, st.done, st.step, (long)epochs * spe, ends);
    CHECK(!memcmp(m.params, twin.params, m.n_params * sizeof(float)) && !memcmp(m.opt_v, twin.opt_v, m.n_params * sizeof(float)) && m.t == twin.t,
          "'%s': the job's model differs from the one trained by hand", spec);
    /* a done job stays done: more steps do nothing */
    float *keep = malloc(m.n_params * sizeof(float));
    memcpy(keep, m.params, m.n_params * sizeof(float));
    CHECK(ae_job_step(j, 10, &st) == AE_OK && st.done && st.step == (long)epochs * spe && !st.epoch_ended &&
              !memcmp(keep, m.params, m.n_params * sizeof(float)), "a done job trained on");
    free(keep);
    ae_job_free(j);
    ae_trainer_free(&t);
    ae_model_free(&m);
    ae_model_free(&twin);
}

/* ae_evaluate_noisy: level 0 is the clean loss; the corruption is per row, so models with other chunk sizes
 * see the same corrupted set (their sums differ only by rounding); another seed is another corruption */
static void check_noisy_eval(void) {
    ae_model a, b;
    if (make_model(&a, "8-4-8", 32, 3) || make_model(&b, "8-4-8", 7, 3)) return;
    double clean, zero, na, nb, other, again;
    CHECK(ae_evaluate(&a, &test, 0, &clean, NULL) == AE_OK && ae_evaluate_noisy(&a, &test, 0, AE_NOISE_GAUSSIAN, 0.0f, 1, &zero, NULL) == AE_OK &&
              ae_evaluate_noisy(&a, &test, 0, AE_NOISE_GAUSSIAN, 0.5f, 1, &na, NULL) == AE_OK &&
              ae_evaluate_noisy(&b, &test, 0, AE_NOISE_GAUSSIAN, 0.5f, 1, &nb, NULL) == AE_OK &&
              ae_evaluate_noisy(&a, &test, 0, AE_NOISE_GAUSSIAN, 0.5f, 2, &other, NULL) == AE_OK &&
              ae_evaluate_noisy(&a, &test, 0, AE_NOISE_GAUSSIAN, 0.5f, 1, &again, NULL) == AE_OK,
          "%s", ae_last_error());
    CHECK(zero == clean, "noise level 0: %.9g, clean %.9g", zero, clean);
    CHECK(na == again && fabs(na - nb) <= 1e-6 * na && na != clean, "chunks of 32 and 7: %.9g and %.9g (clean %.9g)", na, nb, clean);
    CHECK(fabs(other - na) > 1e-4 * na, "seeds 1 and 2 gave the same corruption: %.9g %.9g", na, other);
    CHECK(ae_evaluate_noisy(&a, &test, 0, AE_NOISE_GAUSSIAN, 1.5f, 1, &na, NULL) == AE_ERR_ARG && strstr(ae_last_error(), "not in [0, 1]"),
          "level 1.5: %s", ae_last_error());
    CHECK(ae_evaluate_noisy(&a, &test, 0, (ae_noise)99, 0.5f, 1, &na, NULL) == AE_ERR_ARG, "noise kind 99");
    ae_model_free(&a);
    ae_model_free(&b);
}

int main(void) {
    static float x[N * DIM], xt[NT * DIM], y[N * DIM];
    points(x, N, 1);
    points(xt, NT, 2);
    for (int i = 0; i < N * DIM; i++) y[i] = 1.0f - x[i];
    CHECK(ae_dataset_floats(&train, x, N, 1, DIM) == AE_OK && ae_dataset_floats(&test, xt, NT, 1, DIM) == AE_OK &&
          ae_dataset_floats(&targets, y, N, 1, DIM) == AE_OK, "%s", ae_last_error());
    if (check_fail) return check_report("test_job");

    /* layer ranges on a 3-layer model: only [from, to) learn; to=0 means through the last layer */
    check_range("from=1 to=2", 3, 0x2);
    check_range("from=1", 3, 0x6);
    check_range("to=1", 3, 0x1);
    check_range("from=2 to=3", 3, 0x4);
    check_range("", 3, 0x7);
    range_refused("from=3", "from=3 to=0 cannot be trained: the model has layers 0..2");
    range_refused("from=5 to=6", "cannot be trained");
    range_refused("to=4", "from=0 to=4 cannot be trained: the model has layers 0..2");
    range_refused("from=1 to=1", "cannot be trained");
    range_refused("from=2 to=1", "cannot be trained");

    check_targets();

    check_job_errors();
    check_noisy_eval();
    /* 200 items in batches of 32: 7 steps an epoch, the last of 8 */
    check_train_job("8-4-8:linear", "batch=32 lr=0.01 epochs=2", &train, NULL, &test, 0, 2, 3);
    check_train_job("8-4-8:linear", "batch=32 lr=0.01 epochs=2", &train, NULL, &test, 0, 2, 1000);
    check_train_job("8-4-8", "batch=25 opt=sgd lr=0.5 epochs=3 noise=mask noise_level=0.2 seed=4", &train, NULL, NULL, 0, 3, 5);
    check_train_job("8-4-8", "batch=25 epochs=2 noise=gaussian noise_level=0.3 seed=5", &train, NULL, &test, 0, 2, 4);
    check_train_job("8-6-5-8:linear", "batch=32 epochs=2 from=1 to=2", &train, &targets, NULL, 0, 2, 4);
    {
        /* a classifier: the test accuracy too */
        static uint8_t lab[8 + N], labt[8 + NT];
        uint8_t *files[2] = {lab, labt};
        const int ns[2] = {N, NT};
        const float *xs[2] = {x, xt};
        ae_dataset *ds[2] = {&train, &test};
        for (int k = 0; k < 2; k++) {
            uint8_t *b = files[k];
            b[0] = 0; b[1] = 0; b[2] = 8; b[3] = 1; b[4] = 0; b[5] = 0; b[6] = (uint8_t)(ns[k] >> 8); b[7] = (uint8_t)ns[k];
            for (int i = 0; i < ns[k]; i++) b[8 + i] = (uint8_t)((xs[k][i * DIM] > 0.25f) + (xs[k][i * DIM + 1] > 0.3f));
            CHECK(ae_idx_labels_mem(ds[k], b, 8 + (size_t)ns[k]) == AE_OK, "%s", ae_last_error());
        }
        check_train_job("8-12-3:softmax", "batch=32 lr=0.01 epochs=2 supervised=1", &train, NULL, &test, 1, 2, 6);
    }
    ae_dataset_free(&train);
    ae_dataset_free(&test);
    ae_dataset_free(&targets);
    return check_report("test_job");
}
