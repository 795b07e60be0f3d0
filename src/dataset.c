/* Datasets: n items of rows×cols values, held either as uint8 pixels (an IDX file: 60,000 MNIST images are
 * 47 MB as bytes, 188 MB as floats), read as x/255 a batch at a time, or as floats taken as they are (toy
 * point sets, a layer's codes as the next layer's training data). Every reader below handles both kinds;
 * labels (src/idx.c) go with either. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ae_dataset_floats(ae_dataset *d, const float *x, int n, int rows, int cols) {
    memset(d, 0, sizeof *d);
    if (!x) return ae_fail(AE_ERR_ARG, "float dataset: no values given");
    if (n < 1 || rows < 1 || cols < 1)
        return ae_fail(AE_ERR_ARG, "float dataset of %d items of %d×%d: every count must be at least 1", n, rows, cols);
    if (n > AE_MAX_ITEMS) return ae_fail(AE_ERR_ARG, "float dataset of %d items; at most %d are supported", n, AE_MAX_ITEMS);
    const uint64_t dim = (uint64_t)rows * (uint64_t)cols, total = (uint64_t)n * dim;
    if (dim > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "float dataset of %d×%d values per item; at most %d are supported", rows, cols, AE_MAX_WIDTH);
    if (total * sizeof(float) > AE_ADDRESSABLE) {
        char b[32];
        return ae_fail(AE_ERR_NOMEM, "float dataset of %d items of %llu values would take %s, more than this build can address", n,
                       (unsigned long long)dim, ae_fmt_bytes(total * sizeof(float), b, sizeof b));
    }
    /* NaN or ±Inf would poison every loss and gradient it touches: refused here, where it can be named */
    for (uint64_t i = 0; i < total; i++)
        if (!isfinite(x[i]))
            return ae_fail(AE_ERR_ARG, "float dataset: item %llu, value %llu (counting from 0) is %s; every value must be a finite number",
                           (unsigned long long)(i / dim), (unsigned long long)(i % dim), isnan(x[i]) ? "NaN" : x[i] > 0 ? "+Inf" : "-Inf");
    d->values = malloc((size_t)total * sizeof(float));
    if (!d->values) return ae_fail(AE_ERR_NOMEM, "out of memory for %d items of %llu floats", n, (unsigned long long)dim);
    memcpy(d->values, x, (size_t)total * sizeof(float));
    d->n = n;
    d->rows = rows;
    d->cols = cols;
    return AE_OK;
}

void ae_dataset_free(ae_dataset *d) {
    if (!d) return;
    free(d->pixels);
    free(d->values);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

int ae_dataset_split(ae_dataset *d, int keep, ae_dataset *tail) {
    memset(tail, 0, sizeof *tail);
    if (!d || !ae_dataset_loaded(d) || keep < 1 || keep >= d->n)
        return ae_fail(AE_ERR_ARG, "cannot split %d items after item %d: both parts need at least one", d ? d->n : 0, keep);
    const size_t m = (size_t)(d->n - keep), row = (size_t)ae_dataset_dim(d) * (d->values ? sizeof(float) : 1);
    void *data = malloc(m * row);
    tail->labels = d->labels ? malloc(m) : NULL;
    if (!data || (d->labels && !tail->labels)) {
        free(data); free(tail->labels);
        memset(tail, 0, sizeof *tail);
        return ae_fail(AE_ERR_NOMEM, "out of memory splitting a dataset of %d items", d->n);
    }
    if (d->values) { memcpy(data, d->values + (size_t)keep * ae_dataset_dim(d), m * row); tail->values = data; }
    else { memcpy(data, d->pixels + (size_t)keep * row, m * row); tail->pixels = data; }
    if (d->labels) memcpy(tail->labels, d->labels + keep, m);
    tail->n = (int)m; tail->rows = d->rows; tail->cols = d->cols; tail->n_classes = d->n_classes;
    d->n = keep; /* the tail's values stay allocated in d until it is freed: no realloc that could fail */
    return AE_OK;
}

int ae_dataset_subset(ae_dataset *dst, const ae_dataset *src, const uint32_t *idx, int n) {
    memset(dst, 0, sizeof *dst);
    if (!src || !ae_dataset_loaded(src) || !idx || n < 1) return ae_fail(AE_ERR_ARG, "a subset needs a dataset and at least one item");
    for (int i = 0; i < n; i++)
        if (idx[i] >= (uint32_t)src->n) return ae_fail(AE_ERR_ARG, "item %u of a subset is past the dataset's %d items", idx[i], src->n);
    const size_t row = (size_t)ae_dataset_dim(src) * (src->values ? sizeof(float) : 1);
    uint8_t *data = malloc((size_t)n * row);
    dst->labels = src->labels ? malloc((size_t)n) : NULL;
    if (!data || (src->labels && !dst->labels)) {
        free(data); free(dst->labels);
        memset(dst, 0, sizeof *dst);
        return ae_fail(AE_ERR_NOMEM, "out of memory for a subset of %d items", n);
    }
    const uint8_t *from = src->values ? (const uint8_t *)src->values : src->pixels;
    for (int i = 0; i < n; i++) {
        memcpy(data + (size_t)i * row, from + (size_t)idx[i] * row, row);
        if (src->labels) dst->labels[i] = src->labels[idx[i]];
    }
    if (src->values) dst->values = (float *)(void *)data;
    else dst->pixels = data;
    /* the classes are the source's, even if the subset misses the last of them */
    dst->n = n; dst->rows = src->rows; dst->cols = src->cols; dst->n_classes = src->n_classes;
    return AE_OK;
}

int ae_dataset_dim(const ae_dataset *d) { return d->rows * d->cols; }
int ae_dataset_loaded(const ae_dataset *d) { return d->pixels || d->values; }

typedef struct { const ae_dataset *d; const uint32_t *idx; int first; float *out; } batch_job;

static void batch_rows(void *p, size_t lo, size_t hi) {
    const batch_job *j = p;
    const size_t dim = (size_t)ae_dataset_dim(j->d);
    for (size_t r = lo; r < hi; r++) {
        const size_t item = j->idx ? j->idx[r] : (uint32_t)(j->first + (int)r);
        float *o = j->out + r * dim;
        if (j->d->values) { memcpy(o, j->d->values + item * dim, dim * sizeof *o); continue; }
        const uint8_t *px = j->d->pixels + item * dim;
        for (size_t i = 0; i < dim; i++) o[i] = (float)px[i] * (1.0f / 255.0f);
    }
}

void ae_dataset_batch(const ae_dataset *d, const uint32_t *idx, int first, int B, float *out) {
    batch_job j = {d, idx, first, out};
    ae_parallel_range((size_t)B, 32, 1, batch_rows, &j);
}

void ae_dataset_onehot(const ae_dataset *d, const uint32_t *idx, int first, int B, int n_classes, float *out) {
    memset(out, 0, (size_t)B * n_classes * sizeof *out);
    for (int r = 0; r < B; r++) {
        int lab = d->labels[idx ? idx[r] : (uint32_t)(first + r)];
        if (lab < n_classes) out[(size_t)r * n_classes + lab] = 1.0f;
    }
}
