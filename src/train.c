/* The training recipe: shuffled minibatches, optional fresh corruption of every batch (denoising), the
 * loss against the clean input (or the label, for supervised fine-tuning), backward over the layers being
 * trained, and the optimizer step. A non-finite loss rolls the parameters back to the last ones that gave
 * a finite loss, so a diverging run never loses its model. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

ae_train_cfg ae_train_default(void) {
    ae_train_cfg c;
    memset(&c, 0, sizeof c);
    c.batch = 256;
    c.opt = ae_optim_default(AE_OPT_ADAM);
    c.seed = 1;
    c.noise = AE_NOISE_NONE;
    c.mean_output_bias = 1;
    return c;
}

/* Start a fresh autoencoder's output where the data is: bias_j = f^-1(mean of pixel j over the training
 * set) (Karpathy, "A Recipe for Training Neural Networks": init the last layer's bias to the target mean).
 * The first steps then learn structure instead of the average brightness. Exact integer sums, so every
 * build computes the same bias. */
static void init_output_bias(ae_model *m, const ae_dataset *d) {
    const int L = m->arch.n_layers, D = m->arch.sizes[L];
    const ae_act act = m->arch.act[L - 1];
    if (act != AE_ACT_SIGMOID && act != AE_ACT_IDENTITY) return;
    float *b = ae_model_bias(m, L - 1);
    for (int j = 0; j < D; j++) {
        uint64_t sum = 0;
        for (int i = 0; i < d->n; i++) sum += d->pixels[(size_t)i * D + j];
        float mean = (float)((double)sum / (255.0 * d->n));
        if (act == AE_ACT_IDENTITY) { b[j] = mean; continue; }
        mean = mean < 1e-3f ? 1e-3f : mean > 1.0f - 1e-3f ? 1.0f - 1e-3f : mean;
        b[j] = ae_logf(mean / (1.0f - mean));
    }
    memcpy(m->backup, m->params, m->n_params * sizeof(float));
}

int ae_trainer_init(ae_trainer *t, ae_model *m, const ae_dataset *d, const ae_train_cfg *cfg) {
    memset(t, 0, sizeof *t);
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (!d || !d->pixels || d->n < 1) return ae_fail(AE_ERR_ARG, "the training set is empty");
    const ae_arch *a = &m->arch;
    const int L = a->n_layers, out = a->sizes[L];
    if (ae_dataset_dim(d) != a->sizes[0])
        return ae_fail(AE_ERR_ARG, "the images have %d pixels (%dx%d) but the model's input is %d wide", ae_dataset_dim(d), d->rows,
                       d->cols, a->sizes[0]);
    if (cfg->batch < 1 || cfg->batch > m->max_batch)
        return ae_fail(AE_ERR_ARG, "batch size %d is outside 1..%d", cfg->batch, m->max_batch);
    if (!(cfg->opt.lr > 0.0f) || !isfinite(cfg->opt.lr)) return ae_fail(AE_ERR_ARG, "learning rate must be a positive number");
    if ((unsigned)cfg->opt.kind >= AE_OPT_COUNT) return ae_fail(AE_ERR_ARG, "unknown optimizer");
    if ((unsigned)cfg->noise >= AE_NOISE_COUNT) return ae_fail(AE_ERR_ARG, "unknown corruption");
    if (cfg->noise != AE_NOISE_NONE && !(cfg->noise_level >= 0.0f && cfg->noise_level <= 1.0f))
        return ae_fail(AE_ERR_ARG, "noise level must be between 0 and 1");
    if (cfg->supervised) {
        if (!d->labels) return ae_fail(AE_ERR_ARG, "supervised training needs labels");
        if (d->n_classes > out) return ae_fail(AE_ERR_ARG, "the labels have %d classes but the model outputs %d", d->n_classes, out);
    } else if (out != a->sizes[0]) {
        return ae_fail(AE_ERR_ARG, "an autoencoder's output (%d) must be as wide as its input (%d)", out, a->sizes[0]);
    }
    t->m = m;
    t->d = d;
    t->cfg = *cfg;
    t->train_from = 0;
    t->train_to = L;
    ae_rng_seed(&t->rng, cfg->seed, 0x7368756666ULL /* "shuff" */);
    t->perm = malloc((size_t)d->n * sizeof *t->perm);
    if (!t->perm) { ae_trainer_free(t); return ae_fail(AE_ERR_NOMEM, "out of memory for the trainer"); }
    for (int i = 0; i < d->n; i++) t->perm[i] = (uint32_t)i;
    if (!cfg->supervised && cfg->mean_output_bias && m->t == 0) init_output_bias(m, d);
    return AE_OK;
}

void ae_trainer_free(ae_trainer *t) {
    free(t->perm);
    memset(t, 0, sizeof *t);
}

int ae_trainer_steps_per_epoch(const ae_trainer *t) { return (t->d->n + t->cfg.batch - 1) / t->cfg.batch; }

int ae_trainer_step(ae_trainer *t, double *loss_out) {
    if (!t->m || !t->perm) return ae_fail(AE_ERR_ARG, "the trainer is not initialised");
    ae_model *m = t->m;
    const ae_dataset *d = t->d;
    const int L = m->arch.n_layers, in = m->arch.sizes[0], out = m->arch.sizes[L];
    if (t->pos == 0) /* Fisher–Yates shuffle at the start of every epoch */
        for (int i = d->n - 1; i > 0; i--) {
            uint32_t j = ae_rng_below(&t->rng, (uint32_t)i + 1), tmp = t->perm[i];
            t->perm[i] = t->perm[j];
            t->perm[j] = tmp;
        }
    const int B = d->n - t->pos < t->cfg.batch ? d->n - t->pos : t->cfg.batch;
    const uint32_t *idx = t->perm + t->pos;
    float *x = ae_model_input(m);
    ae_dataset_batch(d, idx, 0, B, x); /* x (B, in) in [0,1] */
    if (t->cfg.supervised) ae_dataset_onehot(d, idx, 0, B, out, m->target);
    else ae_parallel_copy(m->target, x, (size_t)B * in); /* the clean digit is the target */
    ae_corrupt(t->cfg.noise, t->cfg.noise_level, &t->rng, x, (size_t)B * in);

    ae_model_forward(m, B);
    double loss = ae_model_loss(m, m->target, B, 1);
    if (!isfinite(loss)) {
        memcpy(m->params, m->backup, m->n_params * sizeof(float));
        return ae_fail(AE_ERR_DIVERGED, "training diverged at epoch %d, step %ld (the loss is not a finite number); "
                       "the last weights that gave a finite loss were restored. Try a smaller learning rate.",
                       t->epoch + 1, t->step + 1);
    }
    ae_parallel_copy(m->backup, m->params, m->n_params);
    ae_model_zero_grad(m);
    ae_model_backward(m, t->train_from, B);
    ae_model_step(m, &t->cfg.opt, t->train_from, t->train_to);

    t->last_loss = loss;
    t->step++;
    t->pos += B;
    if (t->pos >= d->n) { t->pos = 0; t->epoch++; }
    if (loss_out) *loss_out = loss;
    return AE_OK;
}

int ae_evaluate(ae_model *m, const ae_dataset *d, int supervised, double *loss, int *correct) {
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (!d || !d->pixels || d->n < 1) return ae_fail(AE_ERR_ARG, "the dataset is empty");
    const int L = m->arch.n_layers, in = m->arch.sizes[0], out = m->arch.sizes[L];
    if (ae_dataset_dim(d) != in) return ae_fail(AE_ERR_ARG, "the images have %d pixels but the model's input is %d wide", ae_dataset_dim(d), in);
    if (supervised && !d->labels) return ae_fail(AE_ERR_ARG, "evaluating a classifier needs labels");
    if (supervised && d->n_classes > out) return ae_fail(AE_ERR_ARG, "the labels have %d classes but the model outputs %d", d->n_classes, out);
    if (!supervised && out != in) return ae_fail(AE_ERR_ARG, "the model's output (%d) is not as wide as its input (%d)", out, in);
    double sum = 0.0;
    int right = 0;
    float *target = m->target;
    for (int r = 0; r < d->n; r += m->max_batch) {
        int B = d->n - r < m->max_batch ? d->n - r : m->max_batch;
        ae_dataset_batch(d, NULL, r, B, ae_model_input(m));
        if (supervised) ae_dataset_onehot(d, NULL, r, B, out, target);
        else memcpy(target, ae_model_input(m), (size_t)B * in * sizeof(float));
        ae_model_forward(m, B);
        sum += ae_model_loss(m, target, B, 0) * B;
        if (supervised) {
            const float *y = ae_model_output(m);
            for (int i = 0; i < B; i++) {
                int best = 0;
                for (int j = 1; j < out; j++) if (y[(size_t)i * out + j] > y[(size_t)i * out + best]) best = j;
                right += best == d->labels[r + i];
            }
        }
    }
    if (loss) *loss = sum / d->n;
    if (correct) *correct = right;
    return AE_OK;
}
