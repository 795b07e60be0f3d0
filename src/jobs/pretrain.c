/* The "pretrain" job: autoencoders as the initialisation of a classifier, the lecture's last part. The job's
 * model is the classifier: dense layers H_0 → H_1 → … → H_k → C with a softmax output (H_0 the input). Its
 * phases run in order, each a "train" job of its own:
 *
 *   recipe=greedy  phase i < k: layer i+1 as a shallow autoencoder H_i → H_{i+1} → H_i whose encoder is
 *                  the classifier's layer i, trained on the codes of the frozen layers below it (the
 *                  images for i = 0), corrupted afresh every batch when noise is set (a stacked denoising
 *                  autoencoder); its decoder is kept only for the views (ae_job_reconstruct).
 *                  phase k: the top (softmax) layer on the labels, the encoder frozen;
 *                  phase k+1: every layer on the labels, by backpropagation.
 *   recipe=e2e     phase 0: the deep autoencoder H_0 → … → H_k → … → H_0 whose encoder is the classifier's
 *                  hidden layers, trained as a whole; then the same two supervised phases.
 *   recipe=none    the baseline: every layer on the labels from the random initialisation, one phase as long
 *                  as the two supervised phases above together (the same budget of supervised steps).
 *
 * The labelled subset (labels_per_class=N) feeds only the supervised phases; pretraining uses every image.
 * Pretraining runs at pre_lr (0: lr) throughout; lr_decay shrinks the supervised phases' rate, each phase's
 * from lr again: greedy and e2e restart it for fine-tuning, while the baseline's single phase decays through
 * all its top+fine epochs (the same supervised steps, a different schedule).
 * With a subset, each supervised epoch's end also measures the accuracy on it (train_acc). After
 * pretraining, the top layer starts at zero; the baseline keeps its random one.
 * A phase starts from the classifier's weights alone, with fresh optimizer state and a seed of its own
 * (the run's seed and the phase number), so a run stopped after phase p and started again with start=p+1
 * from the weights saved then trains the same bits as one that never stopped. */
#include "job.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GREEDY, E2E, NONE };
static const char *const recipes[] = {"greedy", "e2e", "none"};

typedef struct {
    int recipe, pre_epochs, top_epochs, fine_epochs, per_class, start;
    float pre_lr;          /* the pretraining phases' learning rate (0: the supervised one) */
    ae_train_cfg cfg;      /* the settings every phase shares (noise: pretraining only) */
    int k;                 /* hidden layers: the classifier's layers but its top */
    ae_dataset labelled;   /* labels_per_class > 0: the labelled subset */
    const ae_dataset *sup; /* what the supervised phases train on */
    int phase;             /* the phase running now */
    ae_model pm;           /* its autoencoder (pretraining phases); the classifier itself otherwise */
    int has_pm;
    ae_dataset codes, test_codes; /* greedy layer i > 0: the codes of layers [0, i) of the images */
    ae_model dec[AE_MAX_LAYERS]; /* the decoders pretraining left, for ae_job_reconstruct's views: greedy, */
    int has_dec[AE_MAX_LAYERS];  /* dec[i] is layer i+1's, H_{i+1} -> H_i (a resumed run lacks those before
                                  * its start); e2e, dec[0] is the deep one's */
    ae_job *inner;         /* the phase's "train" job */
    long steps_before;     /* batches of the phases before this one */
} pretrain_job;

static int n_phases(const pretrain_job *p) { return p->recipe == GREEDY ? p->k + 2 : p->recipe == E2E ? 3 : 1; }
/* the first supervised phase */
static int top_phase(const pretrain_job *p) { return p->recipe == GREEDY ? p->k : p->recipe == E2E ? 1 : 0; }

/* a seed for phase `ph` of the run with seed s (splitmix64's finaliser: nearby inputs, unrelated outputs) */
static uint64_t phase_seed(uint64_t s, int ph) {
    uint64_t z = s + 0x9E3779B97F4A7C15ull * (uint64_t)(ph + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* the pixel rows of the images or the codes of a greedy layer's input */
static int input_is_unit(const ae_model *m, int layer) {
    return layer == 0 ? !m->data_floats : m->arch.layer[layer - 1].act == AE_ACT_SIGMOID;
}

static int copy_layer(ae_model *dst, int dl, ae_model *src, int sl) {
    if (dst->n_tensors[dl] != src->n_tensors[sl]) return ae_fail(AE_ERR_ARG, "layers %d and %d differ", dl, sl);
    for (int t = 0; t < src->n_tensors[sl]; t++) {
        if (dst->tensor[dl][t].count != src->tensor[sl][t].count) return ae_fail(AE_ERR_ARG, "layers %d and %d differ", dl, sl);
        memcpy(ae_model_tensor(dst, dl, t), ae_model_tensor(src, sl, t), src->tensor[sl][t].count * sizeof(float));
    }
    return AE_OK;
}

/* codes (n, sizes[layer]) of layers [0, layer) of m for every item of d, max_batch rows at a time */
static int codes_of(ae_model *m, int layer, const ae_dataset *d, ae_dataset *out) {
    const int w = m->arch.sizes[layer];
    memset(out, 0, sizeof *out);
    out->values = malloc((size_t)d->n * w * sizeof(float));
    if (!out->values) return ae_fail(AE_ERR_NOMEM, "out of memory for the codes of %d items × %d units", d->n, w);
    for (int first = 0; first < d->n; first += m->max_batch) {
        const int B = d->n - first < m->max_batch ? d->n - first : m->max_batch;
        ae_dataset_batch(d, NULL, first, B, ae_model_input(m));
        int rc = ae_model_forward_range(m, 0, layer, B);
        if (rc) { ae_dataset_free(out); return rc; }
        memcpy(out->values + (size_t)first * w, m->a[layer], (size_t)B * w * sizeof(float));
    }
    out->n = d->n;
    out->rows = 1;
    out->cols = w;
    return AE_OK;
}

static void end_phase_data(pretrain_job *p) {
    ae_job_free(p->inner);
    p->inner = NULL;
    if (p->has_pm) ae_model_free(&p->pm);
    p->has_pm = 0;
    ae_dataset_free(&p->codes);
    ae_dataset_free(&p->test_codes);
}

/* "784-500:sigmoid-784:sigmoid": the autoencoder of a pretraining phase, encoder layers [0, upto) of m
 * mirrored, its output sigmoid (BCE) for data in [0, 1] and linear (MSE) otherwise */
static int ae_spec_of(const ae_model *m, int from, int upto, char *buf, size_t cap) {
    const ae_arch *a = &m->arch;
    size_t used = (size_t)snprintf(buf, cap, "%d", a->sizes[from]);
    for (int l = from; l < upto && used < cap; l++) used += (size_t)snprintf(buf + used, cap - used, "-%d:%s", a->sizes[l + 1], ae_act_name(a->layer[l].act));
    for (int l = upto - 1; l > from && used < cap; l--) used += (size_t)snprintf(buf + used, cap - used, "-%d:%s", a->sizes[l], ae_act_name(a->layer[l - 1].act));
    if (used < cap) used += (size_t)snprintf(buf + used, cap - used, "-%d:%s", a->sizes[from], input_is_unit(m, from) ? "sigmoid" : "linear");
    return used < cap ? AE_OK : ae_fail(AE_ERR_ARG, "the autoencoder's spec is too long");
}

/* A model of the layers [from, L) of autoencoder a, with their weights: its decoder, kept for the views
 * with buffers for 64 rows instead of the training batch's (as any model it carries optimizer state, about
 * 7 floats per parameter in all). */
static int decoder_of(ae_model *a, int from, ae_model *out) {
    char spec[AE_SPEC_CAP];
    size_t used = (size_t)snprintf(spec, sizeof spec, "%d", a->arch.sizes[from]);
    for (int l = from; l < a->arch.n_layers && used < sizeof spec; l++)
        used += (size_t)snprintf(spec + used, sizeof spec - used, "-%d:%s", a->arch.sizes[l + 1], ae_act_name(a->arch.layer[l].act));
    ae_arch d;
    int rc = used < sizeof spec ? ae_arch_parse(&d, spec, NULL, NULL, NULL, NULL) : ae_fail(AE_ERR_ARG, "the decoder's spec is too long");
    if (!rc) rc = ae_model_init(out, &d, 64, 1);
    for (int l = from; !rc && l < a->arch.n_layers; l++) rc = copy_layer(out, l - from, a, l);
    if (rc && out->mem) ae_model_free(out);
    return rc;
}

static int begin_phase(ae_job *j) {
    pretrain_job *p = j->impl;
    ae_model *m = j->m;
    const int ph = p->phase, top = top_phase(p);
    ae_train_cfg c = p->cfg;
    c.seed = phase_seed(p->cfg.seed, ph);
    c.from = c.to = 0;
    const ae_dataset *train = p->sup, *test = j->test;
    ae_model *target = m;
    int rc;
    if (ph < top) { /* pretraining: an autoencoder on the images or on the codes below */
        const int from = p->recipe == GREEDY ? ph : 0, upto = p->recipe == GREEDY ? ph + 1 : p->k;
        char spec[AE_SPEC_CAP];
        ae_arch a;
        if ((rc = ae_spec_of(m, from, upto, spec, sizeof spec)) || (rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL))) return rc;
        a.init = m->arch.init;
        if ((rc = ae_model_init(&p->pm, &a, m->max_batch, c.seed))) return rc;
        p->has_pm = 1;
        for (int l = from; l < upto && !rc; l++) rc = copy_layer(&p->pm, l - from, m, l);
        train = j->train;
        if (!rc && from > 0) {
            rc = codes_of(m, from, j->train, &p->codes);
            if (!rc && test) rc = codes_of(m, from, test, &p->test_codes);
            train = &p->codes;
            test = test ? &p->test_codes : NULL;
        }
        p->pm.data_floats = train->values != NULL;
        /* the decoder's output starts at the data's mean (as a new autoencoder does in the CLI and the page) */
        if (!rc) rc = ae_model_init_output_bias(&p->pm, train);
        if (rc) { end_phase_data(p); return rc; }
        target = &p->pm;
        c.supervised = 0;
        c.epochs = p->pre_epochs;
        if (p->pre_lr > 0.0f) c.opt.lr = p->pre_lr;
        c.lr_decay = 1.0f; /* the decay is the supervised phases': decaying by 0.9 an epoch left the third
                            * autoencoder's training loss 41% higher after 10 (docs/experiments.md) */
    } else { /* on the labels: the top layer alone first (except the baseline), then every layer */
        c.supervised = 1;
        c.noise = AE_NOISE_NONE;
        c.epochs = ph == top ? p->top_epochs : p->fine_epochs;
        if (p->recipe == NONE) c.epochs = p->top_epochs + p->fine_epochs;
        /* after pretraining, the softmax layer alone, from zero (as the deeplearning.net tutorials' logistic
         * layer): every class equally likely, so its first steps learn from the features instead of undoing
         * a random projection of them, whose logits are large when pretrained features are. The baseline
         * keeps the random one. */
        if (ph == top && p->recipe != NONE) {
            c.from = p->k;
            for (int t = 0; t < m->n_tensors[p->k]; t++) memset(ae_model_tensor(m, p->k, t), 0, m->tensor[p->k][t].count * sizeof(float));
        }
        ae_model_reset_optimizer(m);
    }
    char spec[AE_TRAIN_CFG_STR_CAP];
    if (!ae_train_cfg_str(&c, spec, sizeof spec)) { end_phase_data(p); return ae_fail(AE_ERR_ARG, "the phase's settings do not fit"); }
    rc = ae_job_create(&p->inner, "train", target, train, NULL, test, spec);
    if (rc) { end_phase_data(p); return rc; }
    ae_job_state s;
    ae_job_state_get(p->inner, &s);
    j->st.phase = ph;
    j->st.epoch = 0;
    j->st.epochs = s.epochs;
    j->st.steps_per_epoch = s.steps_per_epoch;
    j->st.pos = 0;
    return AE_OK;
}

/* the weights the phase trained go back into the classifier */
static int end_phase(ae_job *j) {
    pretrain_job *p = j->impl;
    int rc = AE_OK;
    if (p->has_pm) {
        const int from = p->recipe == GREEDY ? p->phase : 0, upto = p->recipe == GREEDY ? p->phase + 1 : p->k;
        for (int l = from; l < upto && !rc; l++) rc = copy_layer(j->m, l, &p->pm, l - from);
        /* kept for the views only: without memory for it the run goes on, and the views say so */
        if (!rc && !p->has_dec[from]) p->has_dec[from] = decoder_of(&p->pm, upto - from, &p->dec[from]) == AE_OK;
    }
    ae_job_state s;
    ae_job_state_get(p->inner, &s);
    p->steps_before += s.step;
    end_phase_data(p);
    return rc;
}

/* key=value pairs of the job's own keys out of spec; the rest goes to ae_train_cfg_parse */
static int parse(pretrain_job *p, const char *spec) {
    static const char *const own[] = {"recipe", "pre_epochs", "top_epochs", "fine_epochs", "labels_per_class", "start", "pre_lr"};
    static const char *const sep = " \t\r\n,";
    char rest[AE_TRAIN_CFG_STR_CAP * 2];
    size_t used = 0;
    p->recipe = GREEDY;
    p->pre_epochs = p->top_epochs = p->fine_epochs = 1;
    for (const char *s = spec ? spec + strspn(spec, sep) : ""; *s; s += strspn(s, sep)) {
        const size_t n = strcspn(s, sep);
        const char *eq = memchr(s, '=', n);
        int k = -1;
        for (int i = 0; eq && i < (int)(sizeof own / sizeof *own); i++)
            if ((size_t)(eq - s) == strlen(own[i]) && !strncmp(s, own[i], (size_t)(eq - s))) k = i;
        if (k < 0) {
            if (eq && ((eq - s == 6 && !strncmp(s, "epochs", 6)) || (eq - s == 4 && !strncmp(s, "from", 4)) || (eq - s == 2 && !strncmp(s, "to", 2)) ||
                       (eq - s == 10 && !strncmp(s, "supervised", 10))))
                return ae_fail(AE_ERR_ARG, "'%.*s': a pretraining run sets each phase's epochs, layers and targets itself "
                               "(pre_epochs, top_epochs, fine_epochs)", (int)(n > 40 ? 40 : n), s);
            if (used + n + 2 > sizeof rest) return ae_fail(AE_ERR_ARG, "the pretraining settings are too long");
            memcpy(rest + used, s, n);
            used += n;
            rest[used++] = ' ';
            s += n;
            continue;
        }
        char v[48];
        const size_t vn = n - (size_t)(eq - s) - 1;
        snprintf(v, sizeof v, "%.*s", (int)(vn < sizeof v - 1 ? vn : sizeof v - 1), eq + 1);
        char *e = NULL;
        if (k == 0) {
            p->recipe = -1;
            for (int r = 0; r < 3; r++)
                if (!strcmp(v, recipes[r])) p->recipe = r;
            if (p->recipe < 0 || vn >= sizeof v) return ae_fail(AE_ERR_ARG, "recipe must be greedy, e2e or none, not '%s'", v);
        } else if (k == 6) {
            const double x = strtod(v, &e);
            if (!*v || *e || !(x >= 0.0 && x < 1e30) || vn >= sizeof v) return ae_fail(AE_ERR_ARG, "pre_lr must be 0 (the supervised rate) or a positive number, not '%s'", v);
            p->pre_lr = (float)x;
        } else {
            /* a phase of 0 epochs would be a train job that never ends */
            const long x = strtol(v, &e, 10), lo = k <= 3 ? 1 : 0, hi = k == 4 ? 1000000 : k == 5 ? 1000 : 100000;
            if (!*v || *e || x < lo || x > hi || vn >= sizeof v) return ae_fail(AE_ERR_ARG, "%s must be a whole number from %ld to %ld, not '%s'", own[k], lo, hi, v);
            int *f[] = {NULL, &p->pre_epochs, &p->top_epochs, &p->fine_epochs, &p->per_class, &p->start};
            *f[k] = (int)x;
        }
        s += n;
    }
    rest[used] = 0;
    return ae_train_cfg_parse(&p->cfg, rest);
}

/* The labelled subset: the first N items of each class in an order shuffled by the seed. */
static int pick_labelled(pretrain_job *p, const ae_dataset *d) {
    uint32_t *idx = malloc((size_t)d->n * sizeof *idx), *take = malloc((size_t)d->n * sizeof *take);
    int *count = calloc((size_t)d->n_classes, sizeof *count), n = 0, rc = AE_OK;
    if (!idx || !take || !count) { rc = ae_fail(AE_ERR_NOMEM, "out of memory choosing the labelled subset"); goto out; }
    ae_rng r;
    ae_rng_seed(&r, p->cfg.seed, 0x6c6162656c73ull /* "labels" */);
    for (int i = 0; i < d->n; i++) idx[i] = (uint32_t)i;
    for (int i = d->n - 1; i > 0; i--) {
        const uint32_t s = ae_rng_below(&r, (uint32_t)i + 1), t = idx[i];
        idx[i] = idx[s];
        idx[s] = t;
    }
    for (int i = 0; i < d->n; i++)
        if (count[d->labels[idx[i]]] < p->per_class) { count[d->labels[idx[i]]]++; take[n++] = idx[i]; }
    for (int c = 0; c < d->n_classes; c++)
        if (count[c] < p->per_class) { rc = ae_fail(AE_ERR_ARG, "labels_per_class=%d, but class %d has only %d items", p->per_class, c, count[c]); goto out; }
    rc = ae_dataset_subset(&p->labelled, d, take, n);
out:
    free(idx);
    free(take);
    free(count);
    return rc;
}

static void job_free(ae_job *j) {
    pretrain_job *p = j->impl;
    if (!p) return;
    end_phase_data(p);
    for (int i = 0; i < AE_MAX_LAYERS; i++)
        if (p->has_dec[i]) ae_model_free(&p->dec[i]);
    ae_dataset_free(&p->labelled);
    free(p);
    j->impl = NULL;
}

static int init(ae_job *j, const char *spec) {
    pretrain_job *p = calloc(1, sizeof *p);
    if (!p) return ae_fail(AE_ERR_NOMEM, "out of memory for a job");
    j->impl = p;
    int rc = parse(p, spec);
    const ae_arch *a = &j->m->arch;
    const int L = a->n_layers;
    if (!rc && j->targets) rc = ae_fail(AE_ERR_ARG, "a pretraining run takes no target data: its targets are the images and the labels");
    if (!rc && L < 2) rc = ae_fail(AE_ERR_ARG, "pretraining needs a classifier with at least one hidden layer, not %d layer", L);
    for (int l = 0; !rc && l < L; l++)
        if (a->layer[l].kind != AE_LAYER_DENSE)
            rc = ae_fail(AE_ERR_ARG, "pretraining works on dense layers; layer %d is %s", l, ae_layer_kind_name(a->layer[l].kind));
    if (!rc && a->layer[L - 1].act != AE_ACT_SOFTMAX)
        rc = ae_fail(AE_ERR_ARG, "the classifier's last layer is %s; pretraining ends in a softmax layer (…-10:softmax)", ae_act_name(a->layer[L - 1].act));
    if (!rc && (!j->train || !ae_dataset_loaded(j->train) || !j->train->labels)) rc = ae_fail(AE_ERR_ARG, "pretraining needs labelled training images");
    if (!rc && (rc = ae_evaluate_check(j->m, j->train, 1))) rc = ae_fail(rc, "the training set: %s", ae_last_error());
    if (!rc && j->test && (rc = ae_evaluate_check(j->m, j->test, 1))) rc = ae_fail(rc, "the test set: %s", ae_last_error());
    if (rc) { job_free(j); return rc; }
    p->k = L - 1;
    /* Gaussian and salt-and-pepper noise put values in [0, 1]: right for pixels, wrong for codes that are not
     * (ReLU, tanh, linear units); masking (zeroing) suits any layer */
    j->m->data_floats = j->train->values != NULL;
    const int last_pre = p->recipe == GREEDY ? p->k - 1 : p->recipe == E2E ? 0 : -1;
    for (int i = 0; i <= last_pre && (p->cfg.noise == AE_NOISE_GAUSSIAN || p->cfg.noise == AE_NOISE_SALT_PEPPER); i++)
        if (!input_is_unit(j->m, i)) {
            rc = ae_fail(AE_ERR_ARG, "noise=%s clips to [0, 1], but %s not in [0, 1]: use noise=mask", ae_noise_name(p->cfg.noise),
                         i == 0 ? "the data are" : "the codes of the layers below are");
            job_free(j);
            return rc;
        }
    p->sup = j->train;
    if (p->per_class > 0) {
        if ((rc = pick_labelled(p, j->train))) { job_free(j); return rc; }
        p->sup = &p->labelled;
    }
    if (p->start >= n_phases(p)) {
        rc = ae_fail(AE_ERR_ARG, "start=%d: recipe %s has phases 0..%d", p->start, recipes[p->recipe], n_phases(p) - 1);
        job_free(j);
        return rc;
    }
    /* the phases before start are done: their steps counted as they would have been */
    const long b = p->cfg.batch;
    for (int ph = 0; ph < p->start; ph++)
        p->steps_before += ph < top_phase(p) ? p->pre_epochs * ((j->train->n + b - 1) / b)
                                             : (ph == top_phase(p) ? p->top_epochs : p->fine_epochs) * ((p->sup->n + b - 1) / b);
    j->st.n_phases = n_phases(p);
    j->st.step = p->steps_before;
    p->phase = p->start;
    if ((rc = begin_phase(j))) { job_free(j); return rc; }
    return AE_OK;
}

static int step(ae_job *j, int n) {
    pretrain_job *p = j->impl;
    if (!p->inner) return ae_fail(AE_ERR_ARG, "this pretraining run stopped at an error setting up phase %d; make a new one", p->phase);
    ae_job_state s = j->st;
    int rc = ae_job_step(p->inner, n, &s);
    j->st.steps_run = s.steps_run;
    j->st.samples = s.samples;
    j->st.loss_sum = s.loss_sum;
    j->st.loss = s.loss;
    j->st.epoch = s.epoch;
    j->st.pos = s.pos;
    j->st.epoch_ended = s.epoch_ended;
    j->st.step = p->steps_before + s.step;
    if (s.epoch_ended) {
        j->st.test_loss = s.test_loss;
        j->st.test_acc = s.test_acc;
        j->st.test_noisy_loss = s.test_noisy_loss;
        /* with few labels, the accuracy on them beside the test accuracy: the gap is a deep network
         * remembering its training set */
        if (!rc && p->phase >= top_phase(p) && p->per_class > 0) {
            int right = 0;
            rc = ae_evaluate(j->m, p->sup, 1, NULL, &right);
            j->st.train_acc = (double)right / p->sup->n;
        }
    }
    if (rc || !s.done) return rc;
    /* the phase is over: its weights go into the classifier and the next phase is set up, so the state
     * already describes it */
    j->st.phase_ended = 1;
    if ((rc = end_phase(j))) return rc;
    if (++p->phase == n_phases(p)) {
        j->st.done = 1;
        j->st.phase = p->phase - 1;
        return AE_OK;
    }
    return begin_phase(j);
}

static ae_trainer *trainer(ae_job *j) {
    pretrain_job *p = j->impl;
    return p->inner ? ae_job_trainer(p->inner) : NULL;
}

static ae_model *model(ae_job *j) {
    pretrain_job *p = j->impl;
    return p->has_pm ? &p->pm : j->m;
}

/* x (n, H_0) through the encoder as far as pretraining has reached and back to pixels through the
 * decoders: while layer i+1 is pretrained, its autoencoder reconstructs the codes of layer i, which the
 * decoders of layers i..1 take back to images; after pretraining, the classifier's hidden layers (as the
 * supervised phases change them) encode and the decoders decode. */
static int reconstruct(ae_job *j, int at, const float *x, int n, float *out) {
    pretrain_job *p = j->impl;
    ae_model *m = j->m;
    if (p->recipe == NONE) return ae_fail(AE_ERR_ARG, "the baseline has no autoencoder to reconstruct with");
    if (at >= 0 && (p->recipe != GREEDY || at < 1 || at > p->k))
        return ae_fail(AE_ERR_ARG, "level %d: %s", at, p->recipe != GREEDY ? "levels are the greedy stack's" : "the stack has no such layer");
    const int pretraining = at < 0 && p->phase < top_phase(p) && p->has_pm;
    /* the decoders needed: those of the phases before this one, or all of them after pretraining */
    const int need = at >= 0 ? at : p->recipe == E2E ? !pretraining : pretraining ? p->phase : p->k;
    for (int l = 0; l < need; l++)
        if (!p->has_dec[l])
            return ae_fail(AE_ERR_ARG, at >= 0 && l >= p->phase ? "level %d: that layer's pretraining is not done"
                                                                 : "the decoders of the pretraining phases are not here (a run resumed after them keeps only the classifier)", at);
    if (p->recipe == E2E) {
        if (pretraining) return ae_model_map_rows(&p->pm, 0, p->pm.arch.n_layers, x, n, out);
        float *h = malloc((size_t)n * m->arch.sizes[p->k] * sizeof(float));
        int rc = h ? ae_model_map_rows(m, 0, p->k, x, n, h) : ae_fail(AE_ERR_NOMEM, "out of memory for %d reconstructions", n);
        if (!rc) rc = ae_model_map_rows(&p->dec[0], 0, p->dec[0].arch.n_layers, h, n, out);
        free(h);
        return rc;
    }
    const int level = at >= 0 ? at : pretraining ? p->phase : p->k; /* the decoders [0, level) take the codes back to pixels */
    if (level == 0) return ae_model_map_rows(&p->pm, 0, 2, x, n, out); /* layer 1's autoencoder on the images */
    int wmax = 0;
    for (int l = 0; l <= m->arch.n_layers; l++) wmax = m->arch.sizes[l] > wmax ? m->arch.sizes[l] : wmax;
    float *a = malloc((size_t)n * wmax * sizeof(float)), *b = malloc((size_t)n * wmax * sizeof(float)), *cur = a;
    int rc = a && b ? ae_model_map_rows(m, 0, level, x, n, a) : ae_fail(AE_ERR_NOMEM, "out of memory for %d reconstructions", n);
    if (!rc && pretraining && !(rc = ae_model_map_rows(&p->pm, 0, 2, a, n, b))) cur = b; /* layer level+1's own autoencoder */
    for (int l = level - 1; !rc && l >= 0; l--) { /* layer l+1's decoder: H_{l+1} -> H_l */
        float *dst = l == 0 ? out : cur == a ? b : a;
        if (!(rc = ae_model_map_rows(&p->dec[l], 0, 1, cur, n, dst))) cur = dst;
    }
    free(a);
    free(b);
    return rc;
}

static int phase_name(ae_job *j, int ph, char *buf, size_t cap) {
    pretrain_job *p = j->impl;
    char spec[AE_SPEC_CAP];
    if (ph < 0 || ph >= n_phases(p)) return ae_fail(AE_ERR_ARG, "phase %d: recipe %s has phases 0..%d", ph, recipes[p->recipe], n_phases(p) - 1);
    const int top = top_phase(p);
    if (ph < top && p->recipe == GREEDY) {
        ae_spec_of(j->m, ph, ph + 1, spec, sizeof spec);
        snprintf(buf, cap, "pretrain layer %d as an autoencoder %s%s", ph + 1, spec, p->cfg.noise ? " (denoising)" : "");
    } else if (ph < top) {
        ae_spec_of(j->m, 0, p->k, spec, sizeof spec);
        snprintf(buf, cap, "pretrain the deep autoencoder %s end to end%s", spec, p->cfg.noise ? " (denoising)" : "");
    } else if (p->recipe == NONE) {
        snprintf(buf, cap, "train every layer on the labels from random weights (the baseline)");
    } else {
        snprintf(buf, cap, ph == top ? "train the top layer on the labels, the encoder frozen" : "fine-tune every layer on the labels");
    }
    return AE_OK;
}

const ae_job_ops ae_job_pretrain = {"pretrain", init, step, trainer, job_free, model, phase_name, reconstruct};
