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
    if (!d->borrowed) {
        free(d->pixels);
        free(d->values);
        free(d->labels);
    }
    memset(d, 0, sizeof *d);
}

/* Values per item as held in memory; ae_dataset_dim is per item as read. */
static size_t stored_dim(const ae_dataset *d) { return d->src_rows ? (size_t)d->src_rows * (size_t)d->src_cols : (size_t)ae_dataset_dim(d); }

int ae_dataset_pixels(ae_dataset *d, int n, int rows, int cols) {
    memset(d, 0, sizeof *d);
    if (n < 1 || rows < 1 || cols < 1) return ae_fail(AE_ERR_ARG, "a dataset of %d pictures of %d×%d: every count must be at least 1", n, rows, cols);
    if (n > AE_MAX_ITEMS) return ae_fail(AE_ERR_ARG, "%d pictures; at most %d are supported", n, AE_MAX_ITEMS);
    const uint64_t dim = (uint64_t)rows * (uint64_t)cols;
    if (dim > AE_MAX_WIDTH) return ae_fail(AE_ERR_ARG, "pictures of %d×%d pixels; at most %d pixels per item are supported", rows, cols, AE_MAX_WIDTH);
    if (dim * (uint64_t)n > AE_ADDRESSABLE / 2) {
        char b[32];
        return ae_fail(AE_ERR_NOMEM, "%d pictures of %d×%d would take %s, more than this build can hold", n, rows, cols,
                       ae_fmt_bytes(dim * (uint64_t)n, b, sizeof b));
    }
    d->pixels = calloc((size_t)(dim * (uint64_t)n), 1);
    if (!d->pixels) return ae_fail(AE_ERR_NOMEM, "out of memory for %d pictures of %d×%d", n, rows, cols);
    d->n = n; d->rows = rows; d->cols = cols;
    return AE_OK;
}

int ae_dataset_view(ae_dataset *dst, const ae_dataset *src) {
    memset(dst, 0, sizeof *dst);
    if (!src || !ae_dataset_loaded(src)) return ae_fail(AE_ERR_ARG, "no dataset to view");
    *dst = *src;
    dst->borrowed = 1;
    return AE_OK;
}

int ae_dataset_draw_at(ae_dataset *d, int rows, int cols) {
    if (!d || !ae_dataset_loaded(d)) return ae_fail(AE_ERR_ARG, "no dataset to draw at another size");
    if (d->values) return ae_fail(AE_ERR_ARG, "only images can be drawn at another size, not a dataset of numbers");
    if (rows < 1 || cols < 1 || (uint64_t)rows * (uint64_t)cols > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "cannot draw images at %d×%d: 1 to %d pixels per image", rows, cols, AE_MAX_WIDTH);
    const int sr = d->src_rows ? d->src_rows : d->rows, sc = d->src_rows ? d->src_cols : d->cols;
    d->src_rows = rows == sr && cols == sc ? 0 : sr;
    d->src_cols = rows == sr && cols == sc ? 0 : sc;
    d->rows = rows;
    d->cols = cols;
    return AE_OK;
}

int ae_dataset_split(ae_dataset *d, int keep, ae_dataset *tail) {
    memset(tail, 0, sizeof *tail);
    if (!d || !ae_dataset_loaded(d) || keep < 1 || keep >= d->n)
        return ae_fail(AE_ERR_ARG, "cannot split %d items after item %d: both parts need at least one", d ? d->n : 0, keep);
    const size_t m = (size_t)(d->n - keep), row = stored_dim(d) * (d->values ? sizeof(float) : 1);
    void *data = malloc(m * row);
    tail->labels = d->labels ? malloc(m) : NULL;
    if (!data || (d->labels && !tail->labels)) {
        free(data); free(tail->labels);
        memset(tail, 0, sizeof *tail);
        return ae_fail(AE_ERR_NOMEM, "out of memory splitting a dataset of %d items", d->n);
    }
    if (d->values) { memcpy(data, d->values + (size_t)keep * stored_dim(d), m * row); tail->values = data; }
    else { memcpy(data, d->pixels + (size_t)keep * row, m * row); tail->pixels = data; }
    if (d->labels) memcpy(tail->labels, d->labels + keep, m);
    tail->n = (int)m; tail->rows = d->rows; tail->cols = d->cols; tail->n_classes = d->n_classes;
    tail->src_rows = d->src_rows; tail->src_cols = d->src_cols;
    d->n = keep; /* the tail's values stay allocated in d until it is freed: no realloc that could fail */
    return AE_OK;
}

int ae_dataset_subset(ae_dataset *dst, const ae_dataset *src, const uint32_t *idx, int n) {
    memset(dst, 0, sizeof *dst);
    if (!src || !ae_dataset_loaded(src) || !idx || n < 1) return ae_fail(AE_ERR_ARG, "a subset needs a dataset and at least one item");
    for (int i = 0; i < n; i++)
        if (idx[i] >= (uint32_t)src->n) return ae_fail(AE_ERR_ARG, "item %u of a subset is past the dataset's %d items", idx[i], src->n);
    const size_t row = stored_dim(src) * (src->values ? sizeof(float) : 1);
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
    dst->src_rows = src->src_rows; dst->src_cols = src->src_cols;
    return AE_OK;
}

int ae_dataset_dim(const ae_dataset *d) { return d->rows * d->cols; }
int ae_dataset_loaded(const ae_dataset *d) { return d->pixels || d->values; }

typedef struct { const ae_dataset *d; const uint32_t *idx; int first; float *out; } batch_job;

/* Where output coordinate i of n falls on a stored axis of m: centre (i + 0.5)·m/n − 0.5, clamped to [0, m−1];
 * the two stored neighbours i0, i1 and the weight f of i1. */
static void axis(int i, int n, int m, int *i0, int *i1, float *f) {
    float s = ((float)i + 0.5f) * (float)m / (float)n - 0.5f;
    s = s < 0.0f ? 0.0f : s > (float)(m - 1) ? (float)(m - 1) : s;
    *i0 = (int)s;
    *i1 = *i0 + 1 < m ? *i0 + 1 : *i0;
    *f = s - (float)*i0;
}

/* One stored item px (sr, sc) drawn bilinearly at o (rows, cols), times `scale` (1/255 for bytes). Plain float
 * arithmetic in a fixed order, so every build gives the same bits. */
#define DRAW_ITEM(name, T)                                                                                               \
    static void name(const T *px, int sr, int sc, int rows, int cols, float scale, float *o) {                           \
        for (int y = 0; y < rows; y++) {                                                                                 \
            int y0, y1;                                                                                                  \
            float fy;                                                                                                    \
            axis(y, rows, sr, &y0, &y1, &fy);                                                                            \
            const T *a = px + (size_t)y0 * sc, *b = px + (size_t)y1 * sc;                                                \
            for (int x = 0; x < cols; x++) {                                                                             \
                int x0, x1;                                                                                              \
                float fx;                                                                                                \
                axis(x, cols, sc, &x0, &x1, &fx);                                                                        \
                const float top = (float)a[x0] + fx * ((float)a[x1] - (float)a[x0]);                                      \
                const float bot = (float)b[x0] + fx * ((float)b[x1] - (float)b[x0]);                                      \
                o[(size_t)y * cols + x] = (top + fy * (bot - top)) * scale;                                              \
            }                                                                                                            \
        }                                                                                                                \
    }
DRAW_ITEM(draw_item, uint8_t)
DRAW_ITEM(draw_floats, float)

int ae_dataset_drawn_mean(const ae_dataset *d, float *out) {
    if (!d->pixels || !d->src_rows) return ae_fail(AE_ERR_ARG, "the dataset is not images drawn at another size");
    const size_t held = stored_dim(d);
    uint64_t *sum = calloc(held, sizeof *sum);
    float *mean = malloc(held * sizeof *mean);
    if (!sum || !mean) { free(sum); free(mean); return ae_fail(AE_ERR_NOMEM, "out of memory for the data's mean image"); }
    for (int i = 0; i < d->n; i++)
        for (size_t p = 0; p < held; p++) sum[p] += d->pixels[(size_t)i * held + p];
    for (size_t p = 0; p < held; p++) mean[p] = (float)((double)sum[p] / (255.0 * d->n));
    draw_floats(mean, d->src_rows, d->src_cols, d->rows, d->cols, 1.0f, out);
    free(sum);
    free(mean);
    return AE_OK;
}

static void batch_rows(void *p, size_t lo, size_t hi) {
    const batch_job *j = p;
    const ae_dataset *d = j->d;
    const size_t dim = (size_t)ae_dataset_dim(d), held = stored_dim(d);
    for (size_t r = lo; r < hi; r++) {
        const size_t item = j->idx ? j->idx[r] : (uint32_t)(j->first + (int)r);
        float *o = j->out + r * dim;
        if (d->values) { memcpy(o, d->values + item * dim, dim * sizeof *o); continue; }
        const uint8_t *px = d->pixels + item * held;
        if (d->src_rows) { draw_item(px, d->src_rows, d->src_cols, d->rows, d->cols, 1.0f / 255.0f, o); continue; }
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
