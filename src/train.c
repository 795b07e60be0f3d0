/* The training recipe: shuffled minibatches, optional fresh corruption of every batch (denoising), the
 * loss against the clean input (or the label, for supervised fine-tuning), backward over the layers being
 * trained, and the optimizer step. A loss that is not finite or explodes rolls the whole state back to the
 * last step whose loss was sound, so a diverging run never loses its model. */
#include "internal.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ae_train_cfg ae_train_default(void) {
    ae_train_cfg c;
    memset(&c, 0, sizeof c);
    c.batch = 256;
    c.opt = ae_optim_default(AE_OPT_ADAM);
    c.seed = 1;
    c.noise = AE_NOISE_NONE;
    c.noise_level = 0.3f; /* what the CLI and the page start from when noise is switched on */
    /* A sane run's batch loss stays within a few times its reference; lr 1e9 reaches 1e5..1e20 times it at
     * once. Adam at lr 1 spikes to ~50× (35 BCE) and recovers, and is left to do so. */
    c.diverge_factor = 100.0f;
    c.lr_decay = 1.0f;
    return c;
}

/* Karpathy, "A Recipe for Training Neural Networks": init the last layer's bias to the target mean. The
 * output is (h, w, c) channels last, and the last layer's bias has one value per channel (a dense layer: c
 * units at one position; a convolution: c filters over every position), so bias_c is f^-1 of the mean of
 * channel c over all positions and items. Sums every build computes to the same bits: exact integers for
 * pixels; for floats, doubles added in item-then-position order (no reassociation: -ffp-contract=off and no
 * vector reduction here), so native and wasm agree. */
int ae_model_init_output_bias(ae_model *m, const ae_dataset *d) {
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (!d || !ae_dataset_loaded(d) || d->n < 1) return ae_fail(AE_ERR_ARG, "the dataset is empty");
    const int L = m->arch.n_layers, D = m->arch.sizes[L], C = m->arch.shape[L].c, P = D / C;
    const ae_act act = m->arch.layer[L - 1].act;
    if (ae_dataset_dim(d) != D)
        return ae_fail(AE_ERR_ARG, "the output bias can start at the data mean only when the output (%d wide) is an image of the "
                       "data's size (%d pixels)", D, ae_dataset_dim(d));
    if (act != AE_ACT_SIGMOID && act != AE_ACT_IDENTITY)
        return ae_fail(AE_ERR_ARG, "the output bias can start at the data mean for a sigmoid or linear output, not %s", ae_act_name(act));
    float *b = ae_model_tensor(m, L - 1, 1);
    if (!b || m->n_tensors[L - 1] != 2 || strcmp(m->tensor[L - 1][1].name, "bias") || m->tensor[L - 1][1].count != (size_t)C)
        return ae_fail(AE_ERR_ARG, "the output bias can start at the data mean only when the last layer has a bias per output channel; "
                       "this model ends with a %s layer", ae_layer_kind_name(m->arch.layer[L - 1].kind));
    /* images drawn at another size than stored (ae_dataset_draw_at): the drawn mean image, averaged per channel */
    float *drawn = NULL;
    if (d->src_rows) {
        if (!(drawn = malloc((size_t)D * sizeof *drawn))) return ae_fail(AE_ERR_NOMEM, "out of memory for the data mean");
        const int rc = ae_dataset_drawn_mean(d, drawn);
        if (rc) { free(drawn); return rc; }
    }
    for (int c = 0; c < C; c++) {
        float mean;
        if (drawn) {
            double sum = 0.0;
            for (int p = 0; p < P; p++) sum += (double)drawn[(size_t)p * C + c];
            mean = (float)(sum / P);
        } else if (d->values) {
            double sum = 0.0;
            for (int i = 0; i < d->n; i++)
                for (int p = 0; p < P; p++) sum += (double)d->values[(size_t)i * D + (size_t)p * C + c];
            mean = (float)(sum / ((double)d->n * P));
        } else {
            uint64_t sum = 0;
            for (int i = 0; i < d->n; i++)
                for (int p = 0; p < P; p++) sum += d->pixels[(size_t)i * D + (size_t)p * C + c];
            mean = (float)((double)sum / (255.0 * d->n * P));
        }
        if (act == AE_ACT_IDENTITY) { b[c] = mean; continue; }
        mean = mean < 1e-3f ? 1e-3f : mean > 1.0f - 1e-3f ? 1.0f - 1e-3f : mean;
        b[c] = ae_logf(mean / (1.0f - mean));
    }
    free(drawn);
    m->can_undo = 0; /* an undo would bring the old bias back */
    return AE_OK;
}

/* Fisher–Yates over the trainer's order, from its own RNG. */
static void shuffle(ae_trainer *t) {
    for (int i = t->n - 1; i > 0; i--) {
        uint32_t j = ae_rng_below(&t->rng, (uint32_t)i + 1), tmp = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = tmp;
    }
}

int ae_trainer_init(ae_trainer *t, ae_model *m, const ae_dataset *d, const ae_train_cfg *cfg) {
    return ae_trainer_init_targets(t, m, d, NULL, cfg);
}

int ae_trainer_init_targets(ae_trainer *t, ae_model *m, const ae_dataset *d, const ae_dataset *targets, const ae_train_cfg *cfg) {
    memset(t, 0, sizeof *t);
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (!d || !ae_dataset_loaded(d) || d->n < 1) return ae_fail(AE_ERR_ARG, "the training set is empty");
    const ae_arch *a = &m->arch;
    const int L = a->n_layers, out = a->sizes[L];
    if (ae_dataset_dim(d) != a->sizes[0])
        return ae_fail(AE_ERR_ARG, "the images have %d pixels (%d×%d) but the model's input is %d wide", ae_dataset_dim(d), d->rows,
                       d->cols, a->sizes[0]);
    if (cfg->batch < 1 || cfg->batch > m->max_batch)
        return ae_fail(AE_ERR_ARG, "batch size %d is outside 1..%d", cfg->batch, m->max_batch);
    if (!(cfg->opt.lr > 0.0f) || !isfinite(cfg->opt.lr)) return ae_fail(AE_ERR_ARG, "learning rate must be a positive number");
    if (!(cfg->lr_decay > 0.0f && cfg->lr_decay <= 1.0f)) return ae_fail(AE_ERR_ARG, "the learning rate's decay per epoch must be in (0, 1]");
    if ((unsigned)cfg->opt.kind >= AE_OPT_COUNT) return ae_fail(AE_ERR_ARG, "unknown optimizer");
    if ((unsigned)cfg->noise >= AE_NOISE_COUNT) return ae_fail(AE_ERR_ARG, "unknown corruption");
    if (!(cfg->diverge_factor == 0.0f || (cfg->diverge_factor >= 1.0f && isfinite(cfg->diverge_factor))))
        return ae_fail(AE_ERR_ARG, "the divergence factor must be 0 (off) or a number of at least 1");
    if (cfg->noise != AE_NOISE_NONE && !(cfg->noise_level >= 0.0f && cfg->noise_level <= 1.0f))
        return ae_fail(AE_ERR_ARG, "noise level must be between 0 and 1");
    if (cfg->supervised) {
        if (!d->labels) return ae_fail(AE_ERR_ARG, "supervised training needs labels");
        if (d->n_classes > out) return ae_fail(AE_ERR_ARG, "the labels have %d classes but the model outputs %d", d->n_classes, out);
        if (targets) return ae_fail(AE_ERR_ARG, "a supervised run's targets are its labels; it takes no target dataset");
    } else if (targets) {
        if (!ae_dataset_loaded(targets) || targets->n != d->n)
            return ae_fail(AE_ERR_ARG, "the targets must have one row per training item (%d), not %d", d->n, ae_dataset_loaded(targets) ? targets->n : 0);
        if (ae_dataset_dim(targets) != out)
            return ae_fail(AE_ERR_ARG, "the targets are %d wide but the model outputs %d", ae_dataset_dim(targets), out);
    } else if (out != a->sizes[0]) {
        return ae_fail(AE_ERR_ARG, "an autoencoder's output (%d) must be as wide as its input (%d)", out, a->sizes[0]);
    }
    t->targets = targets;
    t->m = m;
    t->d = d;
    t->cfg = *cfg;
    t->n = d->n;
    if (cfg->from >= L || (cfg->to && (cfg->to > L || cfg->to <= cfg->from)))
        return ae_fail(AE_ERR_ARG, "from=%d to=%d cannot be trained: the model has layers 0..%d, and from must be below to (to=0 means "
                       "through the last)", cfg->from, cfg->to, L - 1);
    if (cfg->l1 > 0.0f) {
        if (!(cfg->l1 < 1e30f)) return ae_fail(AE_ERR_ARG, "the code L1 penalty must be a finite number of at least 0");
        if (a->code < 1 || a->code >= L) return ae_fail(AE_ERR_ARG, "a code L1 penalty needs a code inside the model (a layer between input and output)");
        if (a->layer[a->code - 1].act == AE_ACT_SOFTMAX) return ae_fail(AE_ERR_ARG, "a code L1 penalty needs an elementwise code activation, not softmax");
    }
    t->train_from = cfg->from;
    t->train_to = cfg->to ? cfg->to : L;
    m->data_floats = d->values != NULL;
    t->uninformed = a->loss == AE_LOSS_BCE ? ae_logf(2.0f) : a->loss == AE_LOSS_MSE ? 0.25 : ae_logf((float)out);
    ae_rng_seed(&t->rng, cfg->seed, 0x7368756666ULL /* "shuff" */);
    t->perm = malloc((size_t)d->n * sizeof *t->perm);
    t->perm_prev = malloc((size_t)d->n * sizeof *t->perm_prev);
    if (!t->perm || !t->perm_prev) { ae_trainer_free(t); return ae_fail(AE_ERR_NOMEM, "out of memory for the trainer"); }
    for (int i = 0; i < d->n; i++) t->perm[i] = (uint32_t)i;
    shuffle(t); /* the first epoch's order; each later one is drawn as the previous epoch ends */
    return AE_OK;
}

void ae_trainer_free(ae_trainer *t) {
    free(t->perm);
    free(t->perm_prev);
    memset(t, 0, sizeof *t);
}

int ae_trainer_steps_per_epoch(const ae_trainer *t) { return (t->n + t->cfg.batch - 1) / t->cfg.batch; }

/* The step found loss at the parameters the previous step made. Put the model and this trainer back as
 * they were at the start of that previous step (t->mark), if its update is still the model's last change,
 * and say so. */
static int diverged(ae_trainer *t, double loss) {
    ae_model *m = t->m;
    const long at = t->step + 1;
    const int epoch = t->epoch + 1;
    char what[200];
    if (!isfinite(loss)) snprintf(what, sizeof what, "the loss is not a finite number");
    else snprintf(what, sizeof what, "the batch loss %.4g is more than %g times its reference %.4g (the larger of this run's first loss "
                  "and the %.3g of an output that knows nothing)", loss, (double)t->cfg.diverge_factor, t->ref_loss, t->uninformed);
    if (!(t->mark.valid && m->can_undo && m->t == t->mark.model_t + 1))
        return ae_fail(AE_ERR_DIVERGED, "training diverged at step %ld (epoch %d): %s. %s Try a smaller learning rate.", at, epoch,
                       what, t->step == 0 ? "This was the run's first step: the model was not changed." :
                                            "The model was changed outside this run, so it was left as it is.");
    ae_model_undo_step(m);
    const ae_trainer_mark k = t->mark;
    t->pos = k.pos;
    t->epoch = k.epoch;
    t->step = k.step;
    t->last_batch = k.last_batch;
    t->last_loss = k.last_loss;
    t->rng = k.rng;
    if (k.reshuffled) { uint32_t *p = t->perm; t->perm = t->perm_prev; t->perm_prev = p; }
    t->mark.valid = 0;
    return ae_fail(AE_ERR_DIVERGED, "training diverged at step %ld (epoch %d): %s. Step %ld's update caused it, so the model and the "
                   "run are back as they were before that update (%ld steps done). Try a smaller learning rate.", at, epoch, what, at - 1, at - 2);
}

/* opt.lr·lr_decay^epoch as one float product per epoch from the start: the same bits in every build, and
 * derived from the epoch alone, so a rollback (which puts the epoch back) needs nothing more. A rate decayed
 * below the normal floats is 0 (subnormal products would slow every optimizer step). */
static float lr_of_epoch(const ae_trainer *t) {
    float lr = t->cfg.opt.lr;
    if (t->cfg.lr_decay == 1.0f) return lr;
    for (int e = 0; e < t->epoch && lr >= FLT_MIN; e++) lr *= t->cfg.lr_decay;
    return lr >= FLT_MIN ? lr : 0.0f;
}

int ae_trainer_step(ae_trainer *t, double *loss_out) {
    if (!t->m || !t->perm) return ae_fail(AE_ERR_ARG, "the trainer is not initialised");
    ae_model *m = t->m;
    const ae_dataset *d = t->d;
    if (d->n != t->n || (t->targets && t->targets->n != t->n))
        return ae_fail(AE_ERR_ARG, "the training set or its targets changed from %d to %d items under this trainer; make a new trainer", t->n,
                       d->n != t->n ? d->n : t->targets->n);
    const int L = m->arch.n_layers, in = m->arch.sizes[0], out = m->arch.sizes[L];
    const ae_trainer_mark start = {1, t->pos, t->epoch, t->last_batch, 0, t->step, m->t, t->last_loss, t->rng};
    const int B = t->n - t->pos < t->cfg.batch ? t->n - t->pos : t->cfg.batch;
    const uint32_t *idx = t->perm + t->pos;
    float *x = ae_model_input(m);
    ae_dataset_batch(d, idx, 0, B, x); /* x (B, in) in [0,1] */
    if (t->cfg.supervised) ae_dataset_onehot(d, idx, 0, B, out, m->target);
    else if (t->targets) ae_dataset_batch(t->targets, idx, 0, B, m->target);
    else ae_parallel_copy(m->target, x, (size_t)B * in); /* the clean digit is the target */
    ae_corrupt(t->cfg.noise, t->cfg.noise_level, &t->rng, x, (size_t)B * in);

    ae_model_forward(m, B);
    double loss = ae_model_loss(m, m->target, B, 1);
    if (t->cfg.l1 > 0.0f) { /* the sparse code's penalty, λ·(1/B)·Σ|code|, summed in order */
        const float *h = m->a[m->arch.code];
        double s = 0.0;
        for (size_t i = 0, n = (size_t)B * m->arch.sizes[m->arch.code]; i < n; i++) s += fabs((double)h[i]);
        loss += (double)t->cfg.l1 * s / B;
    }
    if (!isfinite(loss) || (t->ref_loss > 0.0 && t->cfg.diverge_factor > 0.0f && loss > t->cfg.diverge_factor * t->ref_loss))
        return diverged(t, loss);
    if (t->ref_loss == 0.0) t->ref_loss = loss > t->uninformed ? loss : t->uninformed;
    t->mark = start; /* this step's loss is sound: its start is where a rollback returns */
    ae_model_zero_grad(m);
    m->code_l1 = t->cfg.l1;
    ae_model_backward(m, t->train_from, B);
    m->code_l1 = 0.0f;
    ae_optim_cfg opt = t->cfg.opt;
    opt.lr = lr_of_epoch(t);
    ae_model_step(m, &opt, t->train_from, t->train_to);

    t->last_loss = loss;
    t->last_batch = B;
    t->step++;
    t->pos += B;
    if (t->pos >= t->n) { /* the next epoch's order; the old one is kept in case this step is rolled back */
        t->pos = 0;
        t->epoch++;
        memcpy(t->perm_prev, t->perm, (size_t)t->n * sizeof *t->perm);
        shuffle(t);
        t->mark.reshuffled = 1;
    }
    if (loss_out) *loss_out = loss;
    return AE_OK;
}

typedef struct {
    const ae_dataset *d;
    int supervised;
    ae_noise noise; /* corrupt the inputs (the target stays clean), each row from its own stream */
    float level;
    uint64_t seed;
    double sum; /* Σ over chunks of mean loss × rows */
    int right;
} eval_ctx;

/* dataset rows [first, first+B): forward, loss against the clean input or the one-hot label, argmax hits */
static int eval_chunk(ae_model *m, int first, int B, void *ctx) {
    eval_ctx *c = ctx;
    const ae_dataset *d = c->d;
    const int in = m->arch.sizes[0], out = m->arch.sizes[m->arch.n_layers];
    float *target = m->target;
    ae_dataset_batch(d, NULL, first, B, ae_model_input(m));
    if (c->supervised) ae_dataset_onehot(d, NULL, first, B, out, target);
    else memcpy(target, ae_model_input(m), (size_t)B * in * sizeof(float));
    /* row i's noise is drawn from stream i of the seed: the same corrupted test set for any chunk size,
     * thread count or build, and the same at every epoch (as a fixed noisy test set would be) */
    for (int i = 0; c->noise && i < B; i++) {
        ae_rng r;
        ae_rng_seed(&r, c->seed, (uint64_t)(first + i));
        ae_corrupt(c->noise, c->level, &r, ae_model_input(m) + (size_t)i * in, (size_t)in);
    }
    ae_model_forward(m, B);
    c->sum += ae_model_loss(m, target, B, 0) * B;
    if (c->supervised) {
        const float *y = ae_model_output(m);
        for (int i = 0; i < B; i++) {
            int best = 0;
            for (int j = 1; j < out; j++) if (y[(size_t)i * out + j] > y[(size_t)i * out + best]) best = j;
            c->right += best == d->labels[first + i];
        }
    }
    return AE_OK;
}

int ae_evaluate_check(const ae_model *m, const ae_dataset *d, int supervised) {
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (!d || !ae_dataset_loaded(d) || d->n < 1) return ae_fail(AE_ERR_ARG, "the dataset is empty");
    const int L = m->arch.n_layers, in = m->arch.sizes[0], out = m->arch.sizes[L];
    if (ae_dataset_dim(d) != in) return ae_fail(AE_ERR_ARG, "the images have %d pixels but the model's input is %d wide", ae_dataset_dim(d), in);
    if (supervised && !d->labels) return ae_fail(AE_ERR_ARG, "evaluating a classifier needs labels");
    if (supervised && d->n_classes > out) return ae_fail(AE_ERR_ARG, "the labels have %d classes but the model outputs %d", d->n_classes, out);
    if (!supervised && out != in) return ae_fail(AE_ERR_ARG, "the model's output (%d) is not as wide as its input (%d)", out, in);
    return AE_OK;
}

uint64_t ae_test_noise_seed(uint64_t s) { return s ^ 0x7e57c0de5eed0001ull; }

int ae_evaluate(ae_model *m, const ae_dataset *d, int supervised, double *loss, int *correct) {
    return ae_evaluate_noisy(m, d, supervised, AE_NOISE_NONE, 0.0f, 0, loss, correct);
}

int ae_evaluate_noisy(ae_model *m, const ae_dataset *d, int supervised, ae_noise noise, float level, uint64_t seed, double *loss, int *correct) {
    int rc = ae_evaluate_check(m, d, supervised);
    if (rc) return rc;
    if ((unsigned)noise >= AE_NOISE_COUNT) return ae_fail(AE_ERR_ARG, "unknown noise kind %d", (int)noise);
    if (!(level >= 0.0f && level <= 1.0f)) return ae_fail(AE_ERR_ARG, "noise level %g is not in [0, 1]", level);
    eval_ctx c = {d, supervised, noise, level, seed, 0.0, 0};
    rc = ae_model_chunks(m, d->n, eval_chunk, &c);
    if (rc) return rc;
    if (loss) *loss = c.sum / d->n;
    if (correct) *correct = c.right;
    return AE_OK;
}
