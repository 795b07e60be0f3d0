/* The interface of a job kind (one file per kind in src/jobs/, one line in job.c's table). A job is a
 * schedule of training driven in slices; ae_job_step calls step() with the number of batches to run. */
#ifndef AE_JOB_H
#define AE_JOB_H
#include "../internal.h"

struct ae_job {
    const struct ae_job_ops *ops;
    ae_model *m;
    const ae_dataset *train, *targets, *test;
    ae_job_state st;
    void *impl; /* the kind's own state */
};

typedef struct ae_job_ops {
    const char *name;
    int (*init)(ae_job *j, const char *spec); /* sets j->impl and j->st; on failure frees what it made */
    int (*step)(ae_job *j, int n);            /* updates j->st */
    ae_trainer *(*trainer)(ae_job *j);
    void (*free)(ae_job *j);
    ae_model *(*model)(ae_job *j);                               /* NULL: the job's model */
    int (*phase_name)(ae_job *j, int phase, char *buf, size_t cap); /* NULL: one phase, named as the kind */
    int (*reconstruct)(ae_job *j, int level, const float *x, int n, float *out); /* NULL: the model's output */
} ae_job_ops;

#endif
