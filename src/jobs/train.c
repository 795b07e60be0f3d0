/* The "train" job: one phase of training, today's whole recipe. Its settings are ae_train_cfg's (epochs=N
 * ends it); the loss target is the input, the label (supervised=1) or the job's target dataset, and the
 * layers that learn are from..to. At each epoch's end it evaluates the test set and hands back, so the
 * caller can draw the curve point. */
#include "job.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    ae_trainer tr;
} train_job;

static int init(ae_job *j, const char *spec) {
    ae_train_cfg cfg;
    int rc = ae_train_cfg_parse(&cfg, spec);
    if (rc) return rc;
    /* the test loss compares with the input or the label; target data have no counterpart for the test set */
    if (j->targets && j->test)
        return ae_fail(AE_ERR_ARG, "a job with target data takes no test set (its loss would compare with the test inputs, not targets); "
                       "evaluate the model separately");
    if (j->test && (rc = ae_evaluate_check(j->m, j->test, cfg.supervised))) return ae_fail(rc, "the test set: %s", ae_last_error());
    train_job *t = calloc(1, sizeof *t);
    if (!t) return ae_fail(AE_ERR_NOMEM, "out of memory for a job");
    if ((rc = ae_trainer_init_targets(&t->tr, j->m, j->train, j->targets, &cfg))) { free(t); return rc; }
    j->impl = t;
    j->st.epochs = cfg.epochs;
    j->st.steps_per_epoch = ae_trainer_steps_per_epoch(&t->tr);
    return AE_OK;
}

static int step(ae_job *j, int n) {
    train_job *t = j->impl;
    ae_trainer *tr = &t->tr;
    int rc = AE_OK;
    for (int i = 0; i < n && !rc; i++) {
        const int epoch = tr->epoch;
        double loss;
        rc = ae_trainer_step(tr, &loss);
        if (rc) break;
        j->st.steps_run++;
        j->st.samples += tr->last_batch;
        j->st.loss_sum += loss;
        if (tr->epoch != epoch) {
            j->st.epoch_ended = 1;
            if (j->test) {
                double tl;
                int right = 0;
                rc = ae_evaluate(j->m, j->test, tr->cfg.supervised, &tl, &right);
                if (!rc) {
                    j->st.test_loss = tl;
                    j->st.test_acc = tr->cfg.supervised ? (double)right / j->test->n : NAN;
                }
                /* a denoising run is judged on corrupted test inputs too: one fixed corruption of the test
                 * set (its own seed, not the training stream's) */
                if (!rc && tr->cfg.noise && tr->cfg.noise_level > 0.0f && !tr->cfg.supervised)
                    rc = ae_evaluate_noisy(j->m, j->test, 0, tr->cfg.noise, tr->cfg.noise_level, ae_test_noise_seed(tr->cfg.seed),
                                           &j->st.test_noisy_loss, NULL);
            }
            break;
        }
    }
    j->st.step = tr->step;
    j->st.epoch = tr->epoch;
    j->st.loss = tr->last_loss;
    j->st.pos = tr->pos;
    j->st.done = tr->cfg.epochs > 0 && tr->epoch >= tr->cfg.epochs;
    return rc;
}

static ae_trainer *trainer(ae_job *j) { return &((train_job *)j->impl)->tr; }

static void job_free(ae_job *j) {
    train_job *t = j->impl;
    if (!t) return;
    ae_trainer_free(&t->tr);
    free(t);
    j->impl = NULL;
}

const ae_job_ops ae_job_train = {"train", init, step, trainer, job_free, NULL, NULL, NULL};
