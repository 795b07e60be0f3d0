/* Data-parallel loops on a fixed pool of threads.
 *
 * ae_parallel_for(n, fn, ctx) runs fn(ctx, 0..n-1) on the caller and the pool's workers, and returns when
 * all n tasks are done. Tasks write disjoint outputs and each output is computed the same way whichever
 * thread runs it, so results do not depend on the number of threads: one seed gives the same bits with
 * 1, 2 or 8 threads, natively and in wasm.
 *
 * A training step calls this a few dozen times, microseconds apart, so workers poll a generation counter
 * for 2 ms before they sleep on a condition variable: waking a sleeping thread costs tens of microseconds
 * (a futex natively, Atomics.wait/notify in wasm), polling costs nothing while steps follow each other,
 * and the page's Worker trains in chunks with only short gaps between them.
 * Every worker takes part in every job (it checks out when it has seen the job's tasks run out), so a
 * job's state can be reused for the next one without a straggler reading it half-written.
 *
 * Without AE_THREADS (the single-threaded wasm builds) everything runs on the caller. */
#include "internal.h"
#include <string.h>

#ifdef AE_THREADS
#include <pthread.h>
#include <stdatomic.h>

#include <time.h>

#define SPIN_SECONDS 2e-3 /* how long an idle worker polls before it sleeps */

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static struct {
    int n; /* threads taking part, the caller included */
    pthread_t th[AE_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_uint gen;    /* bumped once per job (and to stop) */
    atomic_int next;    /* next task to claim */
    atomic_int out;     /* workers done with the current job */
    atomic_int quit;
    atomic_int sleepers; /* workers inside (or about to enter) the condition wait */
    int n_tasks;
    ae_task_fn fn;
    void *ctx;
} P = {.n = 1, .mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void run_tasks(void) {
    for (;;) {
        int i = atomic_fetch_add_explicit(&P.next, 1, memory_order_relaxed);
        if (i >= P.n_tasks) return;
        P.fn(P.ctx, i);
    }
}

static void *worker(void *arg) {
    unsigned seen = (unsigned)(uintptr_t)arg;
    for (;;) {
        unsigned g;
        int spins = 0;
        double t0 = 0.0;
        while ((g = atomic_load_explicit(&P.gen, memory_order_acquire)) == seen) {
            /* poll; every 4096 polls look at the clock (a call into JS in wasm, so not every time) */
            if (++spins & 4095) continue;
            if (t0 == 0.0) t0 = seconds();
            if (seconds() - t0 < SPIN_SECONDS) continue;
            pthread_mutex_lock(&P.mu);
            atomic_fetch_add(&P.sleepers, 1);
            while (atomic_load(&P.gen) == seen) pthread_cond_wait(&P.wake, &P.mu);
            atomic_fetch_sub(&P.sleepers, 1);
            pthread_mutex_unlock(&P.mu);
            spins = 0;
            t0 = 0.0;
        }
        seen = g;
        if (atomic_load(&P.quit)) return NULL;
        run_tasks();
        atomic_fetch_add_explicit(&P.out, 1, memory_order_release);
    }
}

/* Start a job. A spinning worker sees the new generation by itself; the mutex and the broadcast are
 * only for sleepers. No wake-up is lost: a worker counts itself a sleeper and re-reads gen under the
 * mutex, both sequentially consistent, so either it sees the new gen or this sees it sleeping. */
static void publish(void) {
    atomic_fetch_add(&P.gen, 1);
    if (atomic_load(&P.sleepers) == 0) return;
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);
}

static void stop_workers(void) {
    if (P.n <= 1) return;
    atomic_store(&P.quit, 1);
    publish();
    for (int i = 0; i < P.n - 1; i++) pthread_join(P.th[i], NULL);
    atomic_store(&P.quit, 0);
    P.n = 1;
}

int ae_set_threads(int n) {
    if (n < 1 || n > AE_MAX_THREADS) return ae_fail(AE_ERR_ARG, "threads must be 1 to %d, got %d", AE_MAX_THREADS, n);
    if (n == P.n) return AE_OK;
    stop_workers();
    unsigned g = atomic_load(&P.gen);
    for (int i = 0; i < n - 1; i++) {
        if (pthread_create(&P.th[i], NULL, worker, (void *)(uintptr_t)g) != 0) {
            P.n = i + 1;
            stop_workers();
            return ae_fail(AE_ERR_NOMEM, "could not start thread %d of %d", i + 2, n);
        }
    }
    P.n = n;
    return AE_OK;
}

int ae_threads(void) { return P.n; }

void ae_parallel_for(int n, ae_task_fn fn, void *ctx) {
    if (P.n <= 1 || n <= 1) {
        for (int i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    P.fn = fn;
    P.ctx = ctx;
    P.n_tasks = n;
    atomic_store_explicit(&P.next, 0, memory_order_relaxed);
    atomic_store_explicit(&P.out, 0, memory_order_relaxed);
    publish();
    run_tasks();
    while (atomic_load_explicit(&P.out, memory_order_acquire) < P.n - 1) {}
}

#else /* no threads in this build */

int ae_set_threads(int n) {
    if (n == 1) return AE_OK;
    return ae_fail(AE_ERR_ARG, "this build of aelab has no threads (asked for %d)", n);
}

int ae_threads(void) { return 1; }

void ae_parallel_for(int n, ae_task_fn fn, void *ctx) {
    for (int i = 0; i < n; i++) fn(ctx, i);
}
#endif

/* Split [0, n) into at most ae_threads() contiguous ranges, each a multiple of `align` long (but the
 * last) and at least `grain` long, and run fn(ctx, lo, hi) on each. */
typedef struct { ae_range_fn fn; void *ctx; size_t n, per; } range_job;

static void range_task(void *p, int i) {
    const range_job *j = p;
    size_t lo = (size_t)i * j->per, hi = lo + j->per < j->n ? lo + j->per : j->n;
    if (lo < hi) j->fn(j->ctx, lo, hi);
}

void ae_parallel_range(size_t n, size_t grain, size_t align, ae_range_fn fn, void *ctx) {
    int t = ae_threads();
    if (t <= 1 || n < 2 * grain) {
        if (n) fn(ctx, 0, n);
        return;
    }
    size_t per = (n + (size_t)t - 1) / (size_t)t;
    if (per < grain) per = grain;
    per = (per + align - 1) / align * align;
    range_job j = {fn, ctx, n, per};
    ae_parallel_for((int)((n + per - 1) / per), range_task, &j);
}

/* memcpy / memset of large float blocks (a model's parameters and gradients, 2.8M floats for the largest
 * benchmark model) on all threads. */
typedef struct { float *dst; const float *src; } copy_job;

static void copy_range(void *p, size_t lo, size_t hi) {
    const copy_job *j = p;
    if (j->src) memcpy(j->dst + lo, j->src + lo, (hi - lo) * sizeof(float));
    else memset(j->dst + lo, 0, (hi - lo) * sizeof(float));
}

void ae_parallel_copy(float *dst, const float *src, size_t n) {
    copy_job j = {dst, src};
    ae_parallel_range(n, 1 << 16, 16, copy_range, &j);
}
