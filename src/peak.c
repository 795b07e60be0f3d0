/* The SIMD multiply-add peak of one core, for the benchmark's "fraction of peak" column, and of all threads
 * together (ae_peak_run_threads: make bench's two-core check). Twelve
 * independent 4-lane accumulators (the GEMM micro-kernel's register budget), each doing acc = acc·a + b
 * as a separate multiply and add (no FMA, like every kernel here): 8 flops per accumulator per iteration.
 * Called repeatedly with a moderate count so V8 tiers it up (a single long call stays in baseline code). */
#include "internal.h"
#include <string.h>

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
