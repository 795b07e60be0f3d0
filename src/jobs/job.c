/* Jobs by name: the table of kinds and the calls every kind shares. */
#include "job.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every job kind: its file src/jobs/<name>.c defines ae_job_<name>; a new kind is one more X(name). */
#define JOB_KINDS(X) X(train) X(pretrain)
#define AE_X(name) extern const ae_job_ops ae_job_##name;
JOB_KINDS(AE_X)
#undef AE_X
static const ae_job_ops *const kinds[] = {
#define AE_X(name) &ae_job_##name,
    JOB_KINDS(AE_X)
#undef AE_X
};
#define N_KINDS (int)(sizeof kinds / sizeof kinds[0])

const char *ae_job_kind_name(int i) { return i >= 0 && i < N_KINDS ? kinds[i]->name : NULL; }

int ae_job_create(ae_job **out, const char *kind, ae_model *m, const ae_dataset *train, const ae_dataset *targets,
                  const ae_dataset *test, const char *spec) {
    if (!out) return ae_fail(AE_ERR_ARG, "no place for the job");
    *out = NULL;
    const ae_job_ops *ops = NULL;
    for (int i = 0; i < N_KINDS && kind; i++)
        if (!strcmp(kind, kinds[i]->name)) ops = kinds[i];
    if (!ops) return ae_fail(AE_ERR_ARG, "unknown job kind '%s' (train, pretrain)", kind ? kind : "");
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (test && (!ae_dataset_loaded(test) || test->n < 1)) return ae_fail(AE_ERR_ARG, "the test set is empty; give none instead");
    ae_job *j = calloc(1, sizeof *j);
    if (!j) return ae_fail(AE_ERR_NOMEM, "out of memory for a job");
    *j = (ae_job){.ops = ops, .m = m, .train = train, .targets = targets, .test = test};
    j->st.test_loss = j->st.test_acc = j->st.test_noisy_loss = j->st.train_acc = NAN;
    j->st.n_phases = 1;
    int rc = ops->init(j, spec);
    if (rc) { free(j); return rc; }
    *out = j;
    return AE_OK;
}

int ae_job_step(ae_job *j, int n, ae_job_state *st) {
    if (!j) return ae_fail(AE_ERR_ARG, "no job");
    if (n < 0) return ae_fail(AE_ERR_ARG, "%d steps; give at least 0", n);
    j->st.epoch_ended = 0;
    j->st.phase_ended = 0;
    j->st.steps_run = 0;
    j->st.samples = 0;
    j->st.loss_sum = 0.0;
    int rc = j->st.done || n == 0 ? AE_OK : j->ops->step(j, n);
    if (st) *st = j->st;
    return rc;
}

int ae_job_state_get(const ae_job *j, ae_job_state *st) {
    if (!j) return ae_fail(AE_ERR_ARG, "no job");
    *st = j->st;
    return AE_OK;
}

ae_trainer *ae_job_trainer(ae_job *j) { return j ? j->ops->trainer(j) : NULL; }

ae_model *ae_job_model(ae_job *j) { return !j ? NULL : j->ops->model ? j->ops->model(j) : j->m; }

int ae_job_reconstruct(ae_job *j, int level, const float *x, int n, float *out) {
    if (!j || !x || !out || n < 1) return ae_fail(AE_ERR_ARG, "no job, no rows or no room for them");
    if (j->ops->reconstruct) return j->ops->reconstruct(j, level, x, n, out);
    if (level >= 0) return ae_fail(AE_ERR_ARG, "a %s job has no levels to reconstruct through; give -1", j->ops->name);
    ae_model *m = ae_job_model(j);
    if (m->arch.sizes[m->arch.n_layers] != m->arch.sizes[0]) return ae_fail(AE_ERR_ARG, "this job's model is not an autoencoder");
    return ae_model_map_rows(m, 0, m->arch.n_layers, x, n, out);
}

int ae_job_phase_name(ae_job *j, int phase, char *buf, size_t cap) {
    if (!j || !buf || cap < 2) return ae_fail(AE_ERR_ARG, "no job or no room for the name");
    if (j->ops->phase_name) return j->ops->phase_name(j, phase, buf, cap);
    if (phase != 0) return ae_fail(AE_ERR_ARG, "phase %d: a %s job has phase 0 only", phase, j->ops->name);
    snprintf(buf, cap, "%s", j->ops->name);
    return AE_OK;
}

void ae_job_free(ae_job *j) {
    if (!j) return;
    j->ops->free(j);
    free(j);
}
