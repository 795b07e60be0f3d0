/* Data-parallel loops on a fixed pool of threads.
 *
 * ae_parallel_for(n, fn, ctx) runs fn(ctx, 0..n-1) on the caller and the pool's workers, and returns when
 * all n tasks are done. Tasks write disjoint outputs (or, in ae_parallel_chain's pipeline, the same outputs
 * one part after another, in order: the convolutions' weight gradient) and each output is computed the same
 * way whichever thread runs it, so results do not depend on the number of threads: one seed gives the same bits with
 * 1, 2 or 8 threads, natively and in wasm.
 *
 * No thread waits for another to arrive at a loop. Tasks are claimed one at a time from one 64-bit word (job
 * generation, first and last unclaimed task) by compare-and-swap, so whichever thread is running takes the
 * next task, and the caller waits only for tasks already claimed. The caller claims from the front, the
 * workers from the back: a loop split into one contiguous range of examples per thread (ae_parallel_range,
 * the convolutions) gives the caller the first range and, on two threads, the worker the second, every
 * time, so each thread reads mostly what it wrote in the loops before (with the weight gradient's
 * pipeline, src/layers/patches.c, 2 threads trained W3 about 6% faster with it than without in alternating runs:
 * docs/benchmarks.md, "The weight gradient as a pipeline"). A worker that the OS has descheduled (for
 * the page's main thread, the browser, another program: on a machine with no spare core) costs a job
 * nothing unless it holds one of its tasks. The pool this replaced had every worker check in to every
 * job, so a descheduled worker stalled each of the few dozen loops of a training step for a time slice:
 * on 2 cores with something else running, 2 threads trained 5-10x slower than 1 (docs/benchmarks.md).
 *
 * Waiting threads poll for SPIN_SECONDS, then sleep (a futex natively, Atomics.wait in wasm). Polling
 * covers the microsecond gaps between the loops of a step; sleeping soon after frees the core, so that
 * the OS can move a thread that was pushed off its own core onto it, instead of leaving it queued behind
 * a thread that only polls.
 *
 * Without AE_THREADS (the single-threaded wasm builds) everything runs on the caller. */
#include "internal.h"
#include <string.h>

/* ae_parallel_chain on the caller alone: the parts one after another, then the free tasks */
static void chain_serial(int parts, int steps, int free, ae_chain_fn fn, void *ctx) {
    for (int r = 0; r < parts; r++)
        for (int s = 0; s < steps; s++) fn(ctx, r, s);
    for (int r = parts; r < parts + free; r++) fn(ctx, r, -1);
}

#ifdef AE_THREADS
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define SPIN_SECONDS 1e-4

/* The claim word: generation (32 bits) | first unclaimed task i (16) | one past the last unclaimed e (16).
 * A claim is a CAS from (g, i, e) with i < e to (g, i + 1, e) (the caller, task i) or (g, i, e − 1) (a
 * worker, task e − 1); it can only succeed while job g is current, and job g cannot end (its caller waits
 * for all its tasks to be done) while a task is unclaimed, so fn, ctx and count read after a successful
 * claim are job g's. A stale word could compare equal only if exactly 2^32 jobs started between
 * a worker's read and its CAS, which a worker that was descheduled that long would need: not a practical ABA. */
#define CLAIM(g, i, n) (((uint64_t)(g) << 32) | ((uint64_t)(i) << 16) | (uint64_t)(n))
#define C_GEN(c) ((uint32_t)((c) >> 32))
#define C_NEXT(c) ((int)(((c) >> 16) & 0xffff))
#define C_END(c) ((int)((c) & 0xffff))
#define MAX_TASKS 0xffff

static struct {
    int n; /* threads taking part, the caller included */
    pthread_t th[AE_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* a new job, for sleeping workers */
    pthread_cond_t finished; /* the last task done, for a sleeping caller */
    _Atomic uint64_t claim;
    atomic_int done;         /* tasks of the current job finished */
    atomic_int quit;
    atomic_int sleepers;     /* workers inside (or about to enter) the wait on `wake` */
    atomic_int caller_sleeps;
    ae_task_fn fn;
    void *ctx;
    int count;               /* the current job's tasks */
} P = {.n = 1, .mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .finished = PTHREAD_COND_INITIALIZER};

/* Poll counter for a wait: false until `seconds` have passed (SPIN_SECONDS for the pool's waits). The clock
 * is read every 4096 polls (in wasm it is a call into JS). */
typedef struct { unsigned polls; double t0; } spin;
static int spun_out_after(spin *s, double seconds) {
    if (++s->polls & 4095) return 0;
    if (s->t0 == 0.0) s->t0 = ae_seconds();
    return ae_seconds() - s->t0 >= seconds;
}
static int spun_out(spin *s) { return spun_out_after(s, SPIN_SECONDS); }

/* Claim and run one task of the job in word c, the first unclaimed one (the caller) or the last (a
 * worker); false when c's job has no task left. The wake-ups below
 * and in publish() are never lost: the sleeper announces itself and re-reads the condition under the
 * mutex, both sequentially consistent, so either it sees the change or the changer sees it sleeping. */
static int run_one(uint64_t c, int from_back) {
    if (C_NEXT(c) >= C_END(c)) return 0;
    if (!atomic_compare_exchange_weak_explicit(&P.claim, &c, from_back ? c - 1 : c + (1u << 16), memory_order_acquire, memory_order_relaxed))
        return 1; /* another thread claimed it (or a new job began): look again */
    const int count = P.count; /* job g's, read before its last task can end it and the next job set it */
    P.fn(P.ctx, from_back ? C_END(c) - 1 : C_NEXT(c));
    if (atomic_fetch_add(&P.done, 1) + 1 == count && atomic_load(&P.caller_sleeps)) {
        pthread_mutex_lock(&P.mu);
        pthread_cond_signal(&P.finished);
        pthread_mutex_unlock(&P.mu);
    }
    return 1;
}

static void *worker(void *arg) {
    uint32_t seen = (uint32_t)(uintptr_t)arg; /* the last generation found with no task left */
    spin s = {0, 0.0};
    for (;;) {
        uint64_t c = atomic_load_explicit(&P.claim, memory_order_acquire);
        if (C_GEN(c) != seen) {
            if (atomic_load(&P.quit)) return NULL;
            if (!run_one(c, 1)) seen = C_GEN(c);
            s = (spin){0, 0.0};
            continue;
        }
        if (!spun_out(&s)) continue;
        pthread_mutex_lock(&P.mu);
        atomic_fetch_add(&P.sleepers, 1);
        while (C_GEN(atomic_load(&P.claim)) == seen) pthread_cond_wait(&P.wake, &P.mu);
        atomic_fetch_sub(&P.sleepers, 1);
        pthread_mutex_unlock(&P.mu);
    }
}

/* Start the next generation's job of n tasks; polling workers see it by themselves. Only the caller
 * writes a new generation, and only once every task of the last one is claimed, so a plain store is safe. */
static void publish(int n) {
    atomic_store(&P.claim, CLAIM(C_GEN(atomic_load(&P.claim)) + 1, 0, n));
    if (atomic_load(&P.sleepers) == 0) return;
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);
}

static void stop_workers(void) {
    if (P.n <= 1) return;
    atomic_store(&P.quit, 1);
    publish(0);
    for (int i = 0; i < P.n - 1; i++) pthread_join(P.th[i], NULL);
    atomic_store(&P.quit, 0);
    P.n = 1;
}

int ae_set_threads(int n) {
    if (n < 1 || n > AE_MAX_THREADS) return ae_fail(AE_ERR_ARG, "threads must be 1 to %d, got %d", AE_MAX_THREADS, n);
    if (n == P.n) return AE_OK;
    stop_workers();
    uint32_t g = C_GEN(atomic_load(&P.claim));
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
    if (P.n <= 1 || n <= 1 || n > MAX_TASKS) { /* more tasks than a claim word counts: here, same results */
        for (int i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    P.fn = fn;
    P.ctx = ctx;
    P.count = n;
    atomic_store_explicit(&P.done, 0, memory_order_relaxed);
    publish(n); /* sequentially consistent: fn, ctx, count and done are visible to whoever claims */
    while (run_one(atomic_load_explicit(&P.claim, memory_order_acquire), 0)) {}
    spin s = {0, 0.0};
    while (atomic_load_explicit(&P.done, memory_order_acquire) < n) {
        if (!spun_out(&s)) continue;
        pthread_mutex_lock(&P.mu);
        atomic_store(&P.caller_sleeps, 1);
        while (atomic_load(&P.done) < n) pthread_cond_wait(&P.finished, &P.mu);
        atomic_store(&P.caller_sleeps, 0);
        pthread_mutex_unlock(&P.mu);
    }
}

/* ---- ae_parallel_chain ---- */

/* A part's steps done, on a cache line of its own, so that one part's stores do not disturb the next one's polls */
typedef struct { _Alignas(64) atomic_int done; } chain_mark;
typedef struct { ae_chain_fn fn; void *ctx; int parts, steps; chain_mark *marks; } chain_job;

/* Until the part before has done `step` steps. Polling for CHAIN_SPIN_SECONDS, as a wait is usually part of
 * one step (a longer spin than the pool's, whose waits are between loops); then 0.1 ms sleeps (a futex wait
 * in wasm, where sched_yield does not give up the core): the part before may be on a thread that the OS has
 * pushed off its core, and a poller would keep it off. */
#define CHAIN_SPIN_SECONDS 1e-3
static void chain_wait(const chain_mark *m, int step) {
    spin s = {0, 0.0};
    while (atomic_load_explicit(&m->done, memory_order_acquire) < step)
        if (spun_out_after(&s, CHAIN_SPIN_SECONDS)) nanosleep(&(struct timespec){0, 100000}, NULL);
}

/* Task r: part r's steps, or free task r. The caller claims tasks from the front, so every part before the
 * one it claims is its own and done: it never waits. A worker's part waits for a part that is running or
 * that the caller will claim, so every wait ends. */
static void chain_task(void *p, int r) {
    const chain_job *j = p;
    if (r >= j->parts) { j->fn(j->ctx, r, -1); return; }
    for (int s = 0; s < j->steps; s++) {
        if (r > 0) chain_wait(&j->marks[r - 1], s + 1);
        j->fn(j->ctx, r, s);
        atomic_store_explicit(&j->marks[r].done, s + 1, memory_order_release);
    }
}

void ae_parallel_chain(int parts, int steps, int free, ae_chain_fn fn, void *ctx) {
    if (P.n <= 1 || parts > AE_MAX_THREADS) {
        chain_serial(parts, steps, free, fn, ctx);
        return;
    }
    chain_mark marks[AE_MAX_THREADS];
    for (int r = 0; r < parts; r++) atomic_init(&marks[r].done, 0);
    chain_job j = {fn, ctx, parts, steps, marks};
    ae_parallel_for(parts + free, chain_task, &j);
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

void ae_parallel_chain(int parts, int steps, int free, ae_chain_fn fn, void *ctx) { chain_serial(parts, steps, free, fn, ctx); }
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
