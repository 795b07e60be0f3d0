/* The WebAssembly boundary: a handful of exported functions over integer handles and caller-provided
 * buffers. Models, datasets and jobs live here between calls; JS (web/aelab.js) only holds handles.
 * Every function returns a value >= 0 on success or a negative AE_ERR_* code, with the message in
 * ae_wasm_error(); a bad handle is an error, never a crash. */
#include "internal.h"
#include <emscripten/emscripten.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HANDLES 1024
#define API EMSCRIPTEN_KEEPALIVE

typedef enum { H_FREE = 0, H_DATA, H_MODEL, H_JOB } hkind;
/* A job holds references to the handles it reads (deps, 0 for none); those cannot be destroyed
 * before it. */
typedef struct { hkind kind; void *p; int refs; int deps[4]; } handle;
static handle handles[MAX_HANDLES]; /* slot 0 is never used, so 0 is never a valid handle */

static const char *kind_name(hkind k) {
    return k == H_DATA ? "dataset" : k == H_MODEL ? "model" : k == H_JOB ? "job" : "nothing";
}

static void *get(int h, hkind kind) {
    if (h <= 0 || h >= MAX_HANDLES || handles[h].kind != kind) {
        ae_fail(AE_ERR_ARG, "invalid %s handle %d (%s)", kind_name(kind), h,
                (h > 0 && h < MAX_HANDLES && handles[h].kind) ? "it refers to a different kind of object" : "destroyed or never created");
        return NULL;
    }
    return handles[h].p;
}

static int put(hkind kind, void *p) {
    for (int h = 1; h < MAX_HANDLES; h++)
        if (!handles[h].kind) { handles[h] = (handle){kind, p, 0, {0}}; return h; }
    return ae_fail(AE_ERR_NOMEM, "too many live objects (%d); destroy some first", MAX_HANDLES - 1);
}

/* A buffer of n values of `size` bytes that JS hands in or out: n must be positive and the whole buffer
 * addressable (wasm32: 2 GiB), else an error before size arithmetic could wrap. */
static int check_count(const char *what, int64_t n, size_t size) {
    char b[32];
    if (n < 1) return ae_fail(AE_ERR_ARG, "%s: %lld values; at least one is needed", what, (long long)n);
    if ((uint64_t)n * size > AE_ADDRESSABLE)
        return ae_fail(AE_ERR_NOMEM, "%s: %lld values would take %s, more than this build can address", what, (long long)n,
                       ae_fmt_bytes((uint64_t)n * size, b, sizeof b));
    return AE_OK;
}

API const char *ae_wasm_error(void) { return ae_last_error(); }
API int ae_wasm_simd(void) {
#ifdef __wasm_simd128__
    return 1;
#else
    return 0;
#endif
}

/* Threads for training steps (the threads build; others accept only 1). Returns the count in use. */
API int ae_wasm_set_threads(int n) {
    int rc = ae_set_threads(n);
    return rc ? rc : ae_threads();
}
API int ae_wasm_threads(void) { return ae_threads(); }

/* ---- enum names: web/aelab.js builds its lists (ACTIVATIONS, ...) from these, so JS cannot drift from C.
 * Kind k is named by ae_wasm_enum_kind(k) and has ae_wasm_enum_count(k) values, value i named
 * ae_wasm_enum_name(k, i) (an index JS passes back as the enum); NULL / an error past the end. */
typedef struct {
    const char *kind;
    int count;
    const char *(*name)(int i);
    int (*parse)(const char *s); /* the index, or -1 */
} enum_kind;
static const char *act_name(int i) { return ae_act_name((ae_act)i); }
static const char *loss_name(int i) { return ae_loss_name((ae_loss)i); }
static const char *init_name(int i) { return ae_init_name((ae_init)i); }
static const char *opt_name(int i) { return ae_opt_name((ae_opt)i); }
static const char *noise_name(int i) { return ae_noise_name((ae_noise)i); }
static int act_parse(const char *s) { ae_act v; return ae_act_parse(s, &v) ? -1 : (int)v; }
static int loss_parse(const char *s) { ae_loss v; return ae_loss_parse(s, &v) ? -1 : (int)v; }
static int init_parse(const char *s) { ae_init v; return ae_init_parse(s, &v) ? -1 : (int)v; }
static int opt_parse(const char *s) { ae_opt v; return ae_opt_parse(s, &v) ? -1 : (int)v; }
static int noise_parse(const char *s) { ae_noise v; return ae_noise_parse(s, &v) ? -1 : (int)v; }
static const char *layer_name(int i) { return ae_layer_kind_name((ae_layer_kind)i); }
static int layer_parse(const char *s) {
    for (int i = 0; i < AE_LAYER_COUNT; i++)
        if (!strcmp(s, ae_layer_kind_name((ae_layer_kind)i))) return i;
    return -1;
}
static int job_count(void) { int n = 0; while (ae_job_kind_name(n)) n++; return n; }
static const char *job_name(int i) { return ae_job_kind_name(i); }
static int job_parse(const char *s) {
    for (int i = 0; ae_job_kind_name(i); i++)
        if (!strcmp(s, ae_job_kind_name(i))) return i;
    return -1;
}
static const enum_kind enums[] = {
    {"activation", AE_ACT_COUNT, act_name, act_parse},   {"loss", AE_LOSS_COUNT, loss_name, loss_parse},
    {"init", AE_INIT_COUNT, init_name, init_parse},       {"optimizer", AE_OPT_COUNT, opt_name, opt_parse},
    {"noise", AE_NOISE_COUNT, noise_name, noise_parse},   {"layer", AE_LAYER_COUNT, layer_name, layer_parse},
    {"job", -1, job_name, job_parse}, /* counted by job_count() */
};
#define N_ENUMS (int)(sizeof enums / sizeof enums[0])

API const char *ae_wasm_enum_kind(int k) { return k >= 0 && k < N_ENUMS ? enums[k].kind : NULL; }
API int ae_wasm_enum_count(int k) {
    if (k >= 0 && k < N_ENUMS && enums[k].count < 0) return job_count();
    return k >= 0 && k < N_ENUMS ? enums[k].count : ae_fail(AE_ERR_ARG, "unknown enum kind %d (0..%d)", k, N_ENUMS - 1);
}
API const char *ae_wasm_enum_name(int k, int i) {
    return k >= 0 && k < N_ENUMS && i >= 0 && i < ae_wasm_enum_count(k) ? enums[k].name(i) : NULL;
}
/* The value that name s parses to in kind k (the C parser, aliases included). */
API int ae_wasm_enum_parse(int k, const char *s) {
    if (k < 0 || k >= N_ENUMS) return ae_fail(AE_ERR_ARG, "unknown enum kind %d (0..%d)", k, N_ENUMS - 1);
    int v = s ? enums[k].parse(s) : -1;
    return v >= 0 ? v : ae_fail(AE_ERR_ARG, "unknown %s '%s'", enums[k].kind, s ? s : "(null)");
}

API int ae_wasm_destroy(int h) {
    if (h <= 0 || h >= MAX_HANDLES || !handles[h].kind) return ae_fail(AE_ERR_ARG, "invalid handle %d", h);
    handle *e = &handles[h];
    if (e->refs) return ae_fail(AE_ERR_ARG, "this %s is in use by %d job(s) or view(s); destroy them first", kind_name(e->kind), e->refs);
    switch (e->kind) {
    case H_DATA: ae_dataset_free(e->p); break;
    case H_MODEL: ae_model_free(e->p); break;
    case H_JOB: ae_job_free(e->p); e->p = NULL; break;
    default: break;
    }
    for (int i = 0; i < 4; i++)
        if (e->deps[i]) handles[e->deps[i]].refs--;
    free(e->p);
    memset(e, 0, sizeof *e);
    return AE_OK;
}

/* ---- datasets ---- */
API int ae_wasm_dataset_idx(const uint8_t *img, int img_len, const uint8_t *lab, int lab_len) {
    if (img_len < 0 || lab_len < 0) return ae_fail(AE_ERR_ARG, "negative file length");
    ae_dataset *d = calloc(1, sizeof *d);
    if (!d) return ae_fail(AE_ERR_NOMEM, "out of memory");
    int rc = ae_idx_images_mem(d, img, (size_t)img_len);
    if (!rc && lab) rc = ae_idx_labels_mem(d, lab, (size_t)lab_len);
    int h = rc ? rc : put(H_DATA, d);
    if (h < 0) { ae_dataset_free(d); free(d); }
    return h;
}

/* n items of rows×cols floats x (n, rows*cols), copied, taken as they are (no /255); labels optional, as
 * IDX label bytes. */
API int ae_wasm_dataset_floats(const float *x, int n, int rows, int cols, const uint8_t *lab, int lab_len) {
    if (lab && lab_len < 0) return ae_fail(AE_ERR_ARG, "negative file length");
    ae_dataset *d = calloc(1, sizeof *d);
    if (!d) return ae_fail(AE_ERR_NOMEM, "out of memory");
    int rc = ae_dataset_floats(d, x, n, rows, cols);
    if (!rc && lab) rc = ae_idx_labels_mem(d, lab, (size_t)lab_len);
    int h = rc ? rc : put(H_DATA, d);
    if (h < 0) { ae_dataset_free(d); free(d); }
    return h;
}

/* n pictures of rows×cols, black until ae_wasm_dataset_set_image fills them: JS hands over one file's bytes
 * at a time, so a folder of photos never sits in wasm memory at once. */
API int ae_wasm_dataset_pictures(int n, int rows, int cols) {
    ae_dataset *d = calloc(1, sizeof *d);
    if (!d) return ae_fail(AE_ERR_NOMEM, "out of memory");
    int rc = ae_dataset_pixels(d, n, rows, cols);
    int h = rc ? rc : put(H_DATA, d);
    if (h < 0) { ae_dataset_free(d); free(d); }
    return h;
}

static int check_unused(int h, const char *what);

/* Item i from a PNG or JPEG file's bytes (grey, centre-cropped, resized). */
API int ae_wasm_dataset_set_image(int h, int i, const uint8_t *buf, int len) {
    ae_dataset *d = get(h, H_DATA);
    if (!d) return AE_ERR_ARG;
    if (len < 0) return ae_fail(AE_ERR_ARG, "negative file length");
    /* a view's items are its source's, and a job may be reading them */
    if (d->borrowed) return ae_fail(AE_ERR_ARG, "a view's pictures belong to the dataset it reads; set them there");
    if (check_unused(h, "change the pictures of")) return AE_ERR_ARG;
    return ae_dataset_set_image(d, i, buf, (size_t)len);
}

/* out: n, rows, cols, n_classes, is_float, stored rows, stored cols (as read when not drawn at another size) */
API int ae_wasm_dataset_info(int h, int *out) {
    ae_dataset *d = get(h, H_DATA);
    if (!d) return AE_ERR_ARG;
    out[0] = d->n; out[1] = d->rows; out[2] = d->cols; out[3] = d->n_classes; out[4] = d->values != NULL;
    out[5] = d->src_rows ? d->src_rows : d->rows; out[6] = d->src_rows ? d->src_cols : d->cols;
    return AE_OK;
}

/* A job's trainer keeps the size of its dataset (its shuffle order covers every item), so a dataset in use by one
 * keeps its size too. */
static int check_unused(int h, const char *what) {
    if (handles[h].refs) return ae_fail(AE_ERR_ARG, "cannot %s a dataset that %d job(s) or view(s) use; destroy them first", what, handles[h].refs);
    return AE_OK;
}

/* Use only the first n items (n <= current count), e.g. a quick run on part of MNIST. */
API int ae_wasm_dataset_limit(int h, int n) {
    ae_dataset *d = get(h, H_DATA);
    if (!d) return AE_ERR_ARG;
    if (check_unused(h, "limit")) return AE_ERR_ARG;
    if (n < 1) return ae_fail(AE_ERR_ARG, "a dataset needs at least one item");
    if (n < d->n) d->n = n;
    return d->n;
}

/* A new dataset reading h's items without a copy (ae_dataset_view), for example drawn at another size; h
 * cannot be destroyed, limited or split while the view lives. */
API int ae_wasm_dataset_view(int h) {
    ae_dataset *src = get(h, H_DATA);
    if (!src) return AE_ERR_ARG;
    ae_dataset *d = calloc(1, sizeof *d);
    if (!d) return ae_fail(AE_ERR_NOMEM, "out of memory");
    int rc = ae_dataset_view(d, src);
    int v = rc ? rc : put(H_DATA, d);
    if (v < 0) { free(d); return v; }
    handles[v].deps[0] = h;
    handles[h].refs++;
    return v;
}

/* Read the images at rows×cols from now on (ae_dataset_draw_at); the stored size undoes it. */
API int ae_wasm_dataset_draw_at(int h, int rows, int cols) {
    ae_dataset *d = get(h, H_DATA);
    if (!d) return AE_ERR_ARG;
    if (check_unused(h, "redraw")) return AE_ERR_ARG;
    return ae_dataset_draw_at(d, rows, cols);
}

/* Split off items [keep, n) as a new dataset (returned handle): a held-out test set. */
API int ae_wasm_dataset_split(int h, int keep) {
    ae_dataset *d = get(h, H_DATA);
    if (!d) return AE_ERR_ARG;
    if (check_unused(h, "split")) return AE_ERR_ARG;
    ae_dataset *t = calloc(1, sizeof *t);
    if (!t) return ae_fail(AE_ERR_NOMEM, "out of memory");
    int rc = ae_dataset_split(d, keep, t);
    int th = rc ? rc : put(H_DATA, t);
    if (th < 0) { if (!rc) { d->n += t->n; ae_dataset_free(t); } free(t); }
    return th;
}

API int ae_wasm_dataset_batch(int h, int first, int B, float *out) {
    ae_dataset *d = get(h, H_DATA);
    if (!d) return AE_ERR_ARG;
    if (first < 0 || B < 1 || first > d->n - B) return ae_fail(AE_ERR_ARG, "rows %d..%d are outside the dataset (0..%d)", first, first + B - 1, d->n - 1);
    int rc = check_count("a batch", (int64_t)B * ae_dataset_dim(d), sizeof(float));
    if (rc) return rc;
    ae_dataset_batch(d, NULL, first, B, out);
    return B;
}

API int ae_wasm_dataset_labels(int h, int first, int n, uint8_t *out) {
    ae_dataset *d = get(h, H_DATA);
    if (!d) return AE_ERR_ARG;
    if (!d->labels) return ae_fail(AE_ERR_ARG, "this dataset has no labels");
    if (first < 0 || n < 1 || first > d->n - n) return ae_fail(AE_ERR_ARG, "labels %d..%d are outside the dataset", first, first + n - 1);
    memcpy(out, d->labels + first, (size_t)n);
    return n;
}

/* ---- models ---- */
API int ae_wasm_model_create(const char *sizes, const char *hidden, const char *code, const char *output, const char *loss,
                             const char *init, int max_batch, uint32_t seed) {
    ae_arch a;
    /* an empty string leaves that default to the spec grammar (include/aelab.h) */
    int rc = ae_arch_parse(&a, sizes, hidden && *hidden ? hidden : NULL, code && *code ? code : NULL, output && *output ? output : NULL,
                           loss && *loss ? loss : NULL);
    if (rc) return rc;
    if (init && *init && ae_init_parse(init, &a.init)) return ae_fail(AE_ERR_ARG, "unknown initialisation '%s'", init);
    ae_model *m = calloc(1, sizeof *m);
    if (!m) return ae_fail(AE_ERR_NOMEM, "out of memory");
    if ((rc = ae_model_init(m, &a, max_batch, seed))) { free(m); return rc; }
    int h = put(H_MODEL, m);
    if (h < 0) { ae_model_free(m); free(m); }
    return h;
}

API int ae_wasm_model_load(const uint8_t *buf, int len, int max_batch) {
    if (len < 0) return ae_fail(AE_ERR_ARG, "negative file length");
    ae_model *m = calloc(1, sizeof *m);
    if (!m) return ae_fail(AE_ERR_NOMEM, "out of memory");
    int rc = ae_model_load_mem(m, buf, (size_t)len, max_batch);
    if (rc) { free(m); return rc; }
    int h = put(H_MODEL, m);
    if (h < 0) { ae_model_free(m); free(m); }
    return h;
}

/* out (ints): n_layers, code, max_batch, loss, init, n_params, sizes[0..n_layers], act[0..n_layers-1],
 * kind[0..n_layers-1], then (c, h, w) of shape[0..n_layers].
 * n_params fits an int: ae_model_init refuses models over AE_MAX_MODEL_BYTES (2 GiB in wasm), which at
 * 28 bytes per parameter (two copies of weights and moments, the gradient) hold under 2^27. */
API int ae_wasm_model_info(int h, int *out) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    const ae_arch *a = &m->arch;
    if (m->n_params > INT32_MAX) return ae_fail(AE_ERR_ARG, "the model has more parameters than an int can count");
    int k = 0;
    out[k++] = a->n_layers; out[k++] = a->code; out[k++] = m->max_batch; out[k++] = a->loss; out[k++] = a->init;
    out[k++] = (int)m->n_params;
    for (int i = 0; i <= a->n_layers; i++) out[k++] = a->sizes[i];
    for (int i = 0; i < a->n_layers; i++) out[k++] = a->layer[i].act;
    for (int i = 0; i < a->n_layers; i++) out[k++] = a->layer[i].kind;
    for (int i = 0; i <= a->n_layers; i++) { out[k++] = a->shape[i].c; out[k++] = a->shape[i].h; out[k++] = a->shape[i].w; }
    return k;
}

/* The model's spec (ae_arch_spec) in buf (cap bytes); returns its length. */
API int ae_wasm_model_spec(int h, char *buf, int cap) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    if (cap < 1 || !ae_arch_spec(&m->arch, buf, (size_t)cap)) return ae_fail(AE_ERR_ARG, "%d bytes cannot hold the model's spec", cap);
    return (int)strlen(buf);
}

/* Layer l's tensor k in the current state (ae_model_tensor): its address, with out (ints) = ndim, dims[4];
 * 0 if there is no such tensor. Ask again after training steps: the state alternates between two copies. */
API float *ae_wasm_model_tensor(int h, int l, int k, int *out) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return NULL;
    float *p = ae_model_tensor(m, l, k);
    if (!p) { ae_fail(AE_ERR_ARG, "layer %d has no tensor %d", l, k); return NULL; }
    const ae_tensor_info *t = &m->tensor[l][k];
    out[0] = t->ndim;
    for (int d = 0; d < 4; d++) out[1 + d] = d < t->ndim ? t->dims[d] : 1;
    return p;
}

/* Pointer to the flat parameter block (n_params floats): layer by layer, each layer's tensors in order. */
API float *ae_wasm_model_params(int h) {
    ae_model *m = get(h, H_MODEL);
    return m ? m->params : NULL;
}

/* out (doubles, n_layers): ae_model_grad_norms */
API int ae_wasm_model_grad_norms(int h, double *out) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    ae_model_grad_norms(m, out);
    return m->arch.n_layers;
}

/* A profile (aelab bench --profile's): with buf ((n_layers, 2) doubles, zeroed by the caller), each layer's
 * forward and backward seconds are added into it by the steps that follow; buf NULL stops it (before the
 * caller frees buf). */
API int ae_wasm_model_profile(int h, double *buf) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    m->prof = buf;
    return AE_OK;
}

API int ae_wasm_model_reset(int h, uint32_t seed) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    ae_model_reset(m, seed);
    return AE_OK;
}

/* Full reconstruction (or class probabilities): x (B, in) -> out (B, out), any B. */
API int ae_wasm_model_forward(int h, const float *x, int B, float *out) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    const int in = m->arch.sizes[0], ow = m->arch.sizes[m->arch.n_layers];
    int rc = check_count("forward", (int64_t)B * (in > ow ? in : ow), sizeof(float));
    if (!rc) rc = ae_model_map_rows(m, 0, m->arch.n_layers, x, B, out);
    return rc ? rc : B;
}

/* Every tensor one example makes on its way through the model: x (sizes[0]) in, out gets a[0], a[1], …,
 * a[n_layers] one after another (Σ sizes floats; each a[l] channels last, of shape[l]): the page's feature
 * maps. Overwrites the model's batch buffers, as any forward pass does. Returns the floats written. */
API int ae_wasm_model_layers(int h, const float *x, float *out) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    const ae_arch *a = &m->arch;
    memcpy(ae_model_input(m), x, (size_t)a->sizes[0] * sizeof(float));
    int rc = ae_model_forward(m, 1);
    if (rc) return rc;
    size_t k = 0;
    for (int l = 0; l <= a->n_layers; l++) {
        memcpy(out + k, m->a[l], (size_t)a->sizes[l] * sizeof(float));
        k += (size_t)a->sizes[l];
    }
    return (int)k;
}

API int ae_wasm_model_encode(int h, const float *x, int B, float *code) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    int rc = check_count("encode", (int64_t)B * m->arch.sizes[0], sizeof(float));
    if (!rc) rc = ae_model_encode(m, x, B, code);
    return rc ? rc : B;
}

API int ae_wasm_model_decode(int h, const float *code, int B, float *out) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    int rc = check_count("decode", (int64_t)B * m->arch.sizes[m->arch.n_layers], sizeof(float));
    if (!rc) rc = ae_model_decode(m, code, B, out);
    return rc ? rc : B;
}

/* The file is malloc'd here; *out and *len are written for JS, which copies and frees it. */
API int ae_wasm_model_save(int h, uint8_t **out, int *len) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return AE_ERR_ARG;
    size_t n;
    int rc = ae_model_save_mem(m, out, &n);
    if (!rc) *len = (int)n;
    return rc;
}

/* Start the output bias of an autoencoder at the data's mean pixel (ae_model_init_output_bias). */
API int ae_wasm_model_init_output_bias(int model, int data) {
    ae_model *m = get(model, H_MODEL);
    if (!m) return AE_ERR_ARG;
    ae_dataset *d = get(data, H_DATA);
    if (!d) return AE_ERR_ARG;
    return ae_model_init_output_bias(m, d);
}

/* ---- training: jobs (src/jobs/) ---- */
/* A job (ae_job_create) of the named kind over a model, its training set, an optional target dataset and an
 * optional test set (0 for none), with its settings as a spec. */
API int ae_wasm_job_create(const char *kind, int model, int train, int targets, int test, const char *spec) {
    ae_model *m = get(model, H_MODEL);
    if (!m) return AE_ERR_ARG;
    ae_dataset *d = get(train, H_DATA), *tg = NULL, *te = NULL;
    if (!d) return AE_ERR_ARG;
    if (targets && !(tg = get(targets, H_DATA))) return AE_ERR_ARG;
    if (test && !(te = get(test, H_DATA))) return AE_ERR_ARG;
    ae_job *j;
    int rc = ae_job_create(&j, kind, m, d, tg, te, spec);
    if (rc) return rc;
    int h = put(H_JOB, j);
    if (h < 0) { ae_job_free(j); return h; }
    const int deps[4] = {model, train, targets, test};
    for (int i = 0; i < 4; i++) {
        handles[h].deps[i] = deps[i];
        if (deps[i]) handles[deps[i]].refs++;
    }
    return h;
}

/* The settings of the trainer the job runs now, as a spec (ae_train_cfg_str) in buf (cap bytes); returns its
 * length. */
API int ae_wasm_job_spec(int h, char *buf, int cap) {
    ae_job *j = get(h, H_JOB);
    if (!j) return AE_ERR_ARG;
    ae_trainer *t = ae_job_trainer(j);
    if (!t) return ae_fail(AE_ERR_ARG, "this job is not training now");
    if (cap < 1 || !ae_train_cfg_str(&t->cfg, buf, (size_t)cap)) return ae_fail(AE_ERR_ARG, "%d bytes cannot hold the settings", cap);
    return (int)strlen(buf);
}

/* out (doubles), the job's state (ae_job_state) after up to n steps: step, epoch, epochs, steps_per_epoch,
 * phase, n_phases, done, epoch_ended, pos, loss, test_loss, test_acc, steps_run, samples, loss_sum, test_noisy_loss,
 * phase_ended, train_acc. Returns
 * the steps taken, or an error (AE_ERR_DIVERGED: the last sound state is back; out holds that state). */
API int ae_wasm_job_step(int h, int n, double *out) {
    ae_job *j = get(h, H_JOB);
    if (!j) return AE_ERR_ARG;
    ae_job_state st;
    int rc = ae_job_step(j, n, &st);
    const double v[] = {(double)st.step, st.epoch, st.epochs, st.steps_per_epoch, st.phase, st.n_phases, st.done, st.epoch_ended, st.pos,
                        st.loss, st.test_loss, st.test_acc, st.steps_run, (double)st.samples, st.loss_sum, st.test_noisy_loss,
                        st.phase_ended, st.train_acc};
    memcpy(out, v, sizeof v);
    return rc ? rc : st.steps_run;
}

/* What phase p of the job does, in words, into buf (cap bytes); returns its length. */
API int ae_wasm_job_phase_name(int h, int phase, char *buf, int cap) {
    ae_job *j = get(h, H_JOB);
    if (!j) return AE_ERR_ARG;
    int rc = ae_job_phase_name(j, phase, buf, cap > 0 ? (size_t)cap : 0);
    return rc ? rc : (int)strlen(buf);
}

/* x (B, input) as the job reconstructs it (ae_job_reconstruct; level -1: now) into out (B, input). */
API int ae_wasm_job_reconstruct(int h, int level, const float *x, int B, float *out) {
    ae_job *j = get(h, H_JOB);
    if (!j) return AE_ERR_ARG;
    int rc = check_count("reconstruct", B, sizeof(float));
    return rc ? rc : ae_job_reconstruct(j, level, x, B, out);
}

/* The first-layer filters of the model the job's phase trains now (ae_job_model): a layer being pretrained
 * on the images shows them as they learn. AE_ERR_ARG if that model's input is not the images. */
API int ae_wasm_job_png_filters(int h, int hh, int w, int cols, int scale, uint8_t **out, int *len) {
    ae_job *j = get(h, H_JOB);
    if (!j) return AE_ERR_ARG;
    ae_model *m = ae_job_model(j);
    if (m->arch.sizes[0] != hh * w) return ae_fail(AE_ERR_ARG, "this phase's model does not read the %d×%d images", hh, w);
    size_t l;
    int rc = ae_png_filters(m, hh, w, cols, scale, out, &l);
    if (!rc) *len = (int)l;
    return rc;
}

/* out (doubles): mean loss, correct predictions (supervised) */
API int ae_wasm_evaluate(int model, int data, int supervised, double *out) {
    ae_model *m = get(model, H_MODEL);
    if (!m) return AE_ERR_ARG;
    ae_dataset *d = get(data, H_DATA);
    if (!d) return AE_ERR_ARG;
    double loss;
    int correct = 0;
    int rc = ae_evaluate(m, d, supervised, &loss, &correct);
    if (rc) return rc;
    out[0] = loss;
    out[1] = correct;
    return AE_OK;
}

/* ---- images and noise ---- */
API int ae_wasm_png_grid(const float *tiles, int n, int h, int w, int cols, int scale, uint8_t **out, int *len) {
    size_t l;
    int rc = ae_png_grid(tiles, n, h, w, cols, scale, out, &l);
    if (!rc) *len = (int)l;
    return rc;
}

API int ae_wasm_png_filters(int model, int h, int w, int cols, int scale, uint8_t **out, int *len) {
    ae_model *m = get(model, H_MODEL);
    if (!m) return AE_ERR_ARG;
    size_t l;
    int rc = ae_png_filters(m, h, w, cols, scale, out, &l);
    if (!rc) *len = (int)l;
    return rc;
}

API int ae_wasm_corrupt(int kind, float level, uint32_t seed, float *x, int n) {
    if ((unsigned)kind >= AE_NOISE_COUNT) return ae_fail(AE_ERR_ARG, "unknown corruption %d", kind);
    int rc = check_count("corrupt", n, sizeof(float));
    if (rc) return rc;
    if (!(level >= 0.0f && level <= 1.0f)) return ae_fail(AE_ERR_ARG, "noise level must be between 0 and 1");
    ae_rng r;
    ae_rng_seed(&r, seed, 7);
    ae_corrupt((ae_noise)kind, level, &r, x, (size_t)n);
    return n;
}

/* ---- benchmark support ---- */
API double ae_wasm_peak(int iters, double *flops) { return ae_peak_run(iters, flops); }

/* Floating-point operations of one training sample: the whole step for l = -1 (ae_model_train_flops), else
 * layer l's forward pass, or its backward pass for backward 1 (ae_model_layer_flops). */
API double ae_wasm_model_flops(int h, int l, int backward) {
    ae_model *m = get(h, H_MODEL);
    if (!m) return (double)AE_ERR_ARG;
    return l < 0 ? ae_model_train_flops(m) : ae_model_layer_flops(m, l, backward);
}
