/* The SIMD multiply-add peak of one core, for the benchmark's "fraction of peak" column, and of all threads
 * together (ae_peak_run_threads: `aelab bench --peak --threads N`); and the time a cache line takes between
 * two cores (ae_peak_round_trip_ns: make bench's round-trip probe). Twelve
 * independent 4-lane accumulators (the GEMM micro-kernel's register budget), each doing acc = acc·a + b
 * as a separate multiply and add (no FMA, like every kernel here): 8 flops per accumulator per iteration.
 * Called repeatedly with a moderate count so V8 tiers it up (a single long call stays in baseline code). */
#include "internal.h"
#include <string.h>
#ifdef AE_THREADS
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#endif

typedef float v4f __attribute__((vector_size(16)));

double ae_peak_run(long iters, double *flops) {
    v4f a = {0.999f, 0.998f, 0.997f, 0.996f}, b = {1e-3f, 2e-3f, 3e-3f, 4e-3f};
    v4f c0 = b, c1 = b * 2, c2 = b * 3, c3 = b * 4, c4 = b * 5, c5 = b * 6;
    v4f c6 = b * 7, c7 = b * 8, c8 = b * 9, c9 = b * 10, c10 = b * 11, c11 = b * 12;
    for (long i = 0; i < iters; i++) {
        c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b;
        c4 = c4 * a + b; c5 = c5 * a + b; c6 = c6 * a + b; c7 = c7 * a + b;
        c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
    }
    v4f s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    *flops = (double)iters * 12 * 4 * 2;
    return (double)s[0] + s[1] + s[2] + s[3]; /* keeps the loop alive */
}

/* Many short tasks rather than one per thread, claimed as threads come free: a thread that the machine
 * slows down (another program, or a virtual core sharing its physical core) runs fewer of them, so the total
 * measures what the threads give together, not the slowest one. */
typedef struct { long iters; double sum[AE_PEAK_TASKS]; } peak_job;

static void peak_task(void *p, int i) {
    peak_job *j = p;
    double f;
    j->sum[i] = ae_peak_run(j->iters, &f);
}

double ae_peak_run_threads(long iters, int tasks, double *flops) {
    peak_job j = {iters, {0}};
    if (tasks < 1) tasks = 1;
    if (tasks > AE_PEAK_TASKS) tasks = AE_PEAK_TASKS;
    ae_parallel_for(tasks, peak_task, &j);
    double s = 0;
    for (int i = 0; i < tasks; i++) s += j.sum[i];
    *flops = (double)tasks * (double)iters * 12 * 4 * 2;
    return s;
}

/* Two threads handing a cache line back and forth (make bench's round-trip probe): the time of one round
 * trip is what the caches charge whenever one core reads what the other wrote, as a parallel training step
 * does at every loop's start and end and wherever a thread reads another's examples. Two cores under one
 * L3 cache answer in tens of nanoseconds; a virtual machine whose host has put its two cores on different
 * chiplets answers several times slower, and its parallel steps slow down with it while the multiply-add
 * peak does not. Batches of `per` round trips: the median batch is the answer; the fastest is kept beside
 * it, since a batch in which the OS ran both threads on one core (each wait then lasts until the other is
 * scheduled; the waits yield, so it ends) is slow for another reason than distance. */
#ifdef AE_THREADS
typedef struct {
    _Alignas(64) atomic_llong ball; /* odd: the partner's turn; even: the caller's (64-bit: wasm's long is 32) */
    long long n;                    /* round trips in all */
} rally;

static void wait_for(atomic_llong *ball, long long v) {
    for (unsigned spins = 1; atomic_load_explicit(ball, memory_order_acquire) != v; spins++)
        if (!(spins & 1023)) sched_yield();
}

static void *partner(void *p) {
    rally *r = p;
    const long long n = r->n; /* read once: the ball's line is the only one the two threads should share */
    for (long long i = 0; i < n; i++) {
        wait_for(&r->ball, 2 * i + 1);
        atomic_store_explicit(&r->ball, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

double ae_peak_round_trip_ns(int batches, int per, double *fastest) {
    if (fastest) *fastest = -1.0;
    if (batches < 1 || batches > AE_PEAK_TASKS || per < 1 || per > 1000000) return -1.0;
    rally r = {.n = (long long)batches * per}; /* the partner is joined before this returns */
    atomic_init(&r.ball, 0);
    double ns[AE_PEAK_TASKS];
    pthread_t th;
    if (pthread_create(&th, NULL, partner, &r) != 0) return -1.0;
    for (int b = 0; b < batches; b++) {
        const double t0 = ae_seconds();
        for (long long i = (long long)b * per; i < (long long)(b + 1) * per; i++) {
            atomic_store_explicit(&r.ball, 2 * i + 1, memory_order_release);
            wait_for(&r.ball, 2 * i + 2);
        }
        ns[b] = 1e9 * (ae_seconds() - t0) / per;
    }
    pthread_join(th, NULL);
    for (int i = 1; i < batches; i++) /* insertion sort: at most AE_PEAK_TASKS values */
        for (int k = i; k > 0 && ns[k - 1] > ns[k]; k--) { const double t = ns[k]; ns[k] = ns[k - 1]; ns[k - 1] = t; }
    if (fastest) *fastest = ns[0];
    return 0.5 * (ns[(batches - 1) / 2] + ns[batches / 2]); /* an even count: the mean of the middle two */
}
#else
double ae_peak_round_trip_ns(int batches, int per, double *fastest) {
    if (fastest) *fastest = -1.0;
    return -1.0;
}
#endif
