/* Private helpers shared by the files in src/. */
#ifndef AE_INTERNAL_H
#define AE_INTERNAL_H
#include "aelab.h"
#include <stdarg.h>
#include <time.h>

/* Seconds on the monotonic clock (the profile's, the pool's spin limit, the round-trip probe's). */
static inline double ae_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Record a message for ae_last_error() and return code (so `return ae_fail(AE_ERR_ARG, ...)`). */
int ae_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Overflow-checked size arithmetic: 0 on success. Sizes that come from outside (layer widths, file
 * headers) are planned in 64 bits, so that wasm's 32-bit size_t never wraps, then checked against what
 * the build can address before they become a size_t. */
static inline int ae_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (a != 0 && b > UINT64_MAX / a) return -1;
    *out = a * b;
    return 0;
}
/* The most bytes one buffer can have in this build: wasm32's whole memory is 2 GiB. */
#define AE_ADDRESSABLE (SIZE_MAX <= 0xFFFFFFFFu ? ((uint64_t)1 << 31) : (uint64_t)SIZE_MAX / 2)
/* The most items a dataset may hold (1e8): far beyond any real set, small enough that n·dim stays sane. */
#define AE_MAX_ITEMS 100000000
/* "3.2 GiB", "512 MiB", "12 KiB": for messages about sizes. Returns buf. */
const char *ae_fmt_bytes(uint64_t bytes, char *buf, size_t cap);

/* Parallel loops (src/parallel.c): fn(ctx, i) for i in [0, n); fn(ctx, lo, hi) over contiguous ranges. */
typedef void (*ae_task_fn)(void *ctx, int i);
typedef void (*ae_range_fn)(void *ctx, size_t lo, size_t hi);
void ae_parallel_for(int n, ae_task_fn fn, void *ctx);
void ae_parallel_range(size_t n, size_t grain, size_t align, ae_range_fn fn, void *ctx);
void ae_parallel_copy(float *dst, const float *src, size_t n); /* memcpy, or zero-fill when src is NULL */
/* A pipeline: fn(ctx, r, s) for every part r < parts and step s < steps, a part's steps in order on one thread,
 * and step s of part r only once step s of part r − 1 is done (so it may read and carry on what that wrote);
 * then fn(ctx, r, −1) once for each of `free` more tasks, r = parts … parts + free − 1, which wait for
 * nothing. Parts beyond AE_MAX_THREADS, or one thread, run one after another. */
typedef void (*ae_chain_fn)(void *ctx, int part, int step);
void ae_parallel_chain(int parts, int steps, int free, ae_chain_fn fn, void *ctx);

/* The mean image of a pixel dataset drawn at another size (ae_dataset_draw_at), out (rows·cols) in [0, 1]:
 * the stored items' mean, drawn once. Drawing is linear, so this is the mean of the drawn items up to rounding,
 * at the cost of one pass over the stored bytes instead of drawing every item. */
int ae_dataset_drawn_mean(const ae_dataset *d, float *out);

/* What a GEMM does to its output block besides C += op(A) op(B) (src/gemm.c). Applied per block of C while
 * it is still in cache, instead of in separate passes over C:
 *  - init: C starts from the bias row (bias != NULL) or from zero (zero) instead of its old contents;
 *  - post, after the last K block: AE_POST_FORWARD writes y = f(C) (an elementwise f; y may be C itself),
 *    AE_POST_BACKWARD replaces C by f'(fy) ⊙ C (fy: the saved outputs of f). Same bits as the separate passes. */
enum { AE_POST_NONE = 0, AE_POST_FORWARD, AE_POST_BACKWARD };
typedef struct {
    const float *bias; /* (N) */
    int zero;
    int post;
    ae_act act;
    float *y; int ldy;        /* AE_POST_FORWARD */
    const float *fy; int ldfy; /* AE_POST_BACKWARD */
} ae_epilogue;
void ae_gemm_ex(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, const ae_epilogue *ep);
/* The same product cut into n_tasks independent tasks (strips of C, one per thread; a single task when
 * small or single-threaded), so that independent products can run in one parallel loop. */
typedef struct {
    int transA, transB, M, N, K, lda, ldb, ldc, split_n, per, n_tasks;
    const float *A, *B;
    float *C;
    const ae_epilogue *ep;
} ae_gemm_plan;
void ae_gemm_plan_init(ae_gemm_plan *g, int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
                       int ldb, float *C, int ldc, const ae_epilogue *ep);
void ae_gemm_plan_task(const ae_gemm_plan *g, int t);

/* The one loop over "B rows in chunks of at most max_batch" (the rows the model's buffers hold): fn(m, first,
 * b, ctx) for rows [first, first+b) in order; stops at and returns the first nonzero result. B = 0 calls
 * nothing. ae_model_map_rows is the common case; ae_evaluate passes its own fn. */
typedef int (*ae_chunk_fn)(ae_model *m, int first, int b, void *ctx);
int ae_model_chunks(ae_model *m, int B, ae_chunk_fn fn, void *ctx);

/* Parameters of an architecture checked by ae_arch_check, counted without building it (model files check
 * their size against it first). -1 if the count does not fit the build's memory. */
int ae_arch_n_params(const ae_arch *a, uint64_t *n);

/* Dense layer (src/layers/dense.c). x (B, in), W (out, in), b (out), z and y (B, out).
 * forward:  z = x W^T + b;  y = f(z)
 * backward, given dz = dL/dz (B, out):
 *           dW += dz^T x;  db += Σ_batch dz;
 *           dx = dz W (when dx is not NULL), then dx = f_below'(x) ⊙ dx when below_act >= 0: the
 *           layer below's dL/dz, since x is that layer's output. */
void ae_dense_forward(const float *x, const float *W, const float *b, float *z, float *y,
                      int B, int in, int out, ae_act act);
void ae_dense_backward(const float *x, const float *W, const float *dz, float *dx, float *dW, float *db,
                       int B, int in, int out, int below_act);
#endif
