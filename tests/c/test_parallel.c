/* The thread pool (src/parallel.c). A worker held still (as the OS holds a thread it has descheduled to
 * run the page's main thread or another program on a machine with no spare core) must not hold up
 * parallel loops it has no task of: the caller runs them all by itself. The pool this replaced had the
 * caller wait for every worker to check in to every job, so one held worker stopped every loop, and two
 * threads on two busy cores trained 5-10x slower than one. Also: every task of many jobs of many sizes
 * runs exactly once, on 2, 3 and 4 threads, and ae_parallel_chain runs its pipeline in order. */
#include "internal.h"
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#define HELD_JOBS 200

static atomic_int started;
static pthread_t ran_on[2];

/* Two tasks that each wait for the other to start: one must run on a worker. */
static void meet(void *ctx, int i) {
    (void)ctx;
    ran_on[i] = pthread_self();
    atomic_fetch_add(&started, 1);
    while (atomic_load(&started) < 2) {}
}

static atomic_int held, jobs_done, jobs_while_held = -1;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Runs on the worker: keep it here until the caller has finished HELD_JOBS loops. The time limit only
 * ends a hold that would otherwise never end (a pool that needs the worker): it is not what is checked. */
static void hold(int sig) {
    (void)sig;
    atomic_store(&held, 1);
    double t0 = now();
    while (atomic_load(&jobs_done) < HELD_JOBS && now() - t0 < 5.0) {}
    atomic_store(&jobs_while_held, atomic_load(&jobs_done));
    atomic_store(&held, 0);
}

typedef struct { atomic_int *count; pthread_t caller; atomic_int *elsewhere; } count_job;

static void count_task(void *p, int i) {
    count_job *j = p;
    atomic_fetch_add(&j->count[i], 1);
    if (!pthread_equal(pthread_self(), j->caller)) atomic_fetch_add(j->elsewhere, 1);
}

static void held_worker(void) {
    CHECK(ae_set_threads(2) == AE_OK, "%s", ae_last_error());
    ae_parallel_for(2, meet, NULL);
    pthread_t self = pthread_self(), worker = pthread_equal(ran_on[0], self) ? ran_on[1] : ran_on[0];
    CHECK(!pthread_equal(worker, self), "one of the two meeting tasks ran on the worker");
    struct sigaction sa = {0};
    sa.sa_handler = hold;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "signal handler installed");
    /* let the idle worker fall asleep first: stopped there, it holds none of the pool's locks */
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    CHECK(pthread_kill(worker, SIGUSR1) == 0, "worker signalled");
    while (!atomic_load(&held)) {}

    static atomic_int count[8];
    atomic_int elsewhere = 0;
    count_job j = {count, self, &elsewhere};
    for (int k = 0; k < HELD_JOBS; k++) {
        ae_parallel_for(8, count_task, &j);
        atomic_fetch_add(&jobs_done, 1);
    }
    while (atomic_load(&jobs_while_held) < 0) {}
    CHECK(atomic_load(&jobs_while_held) == HELD_JOBS, "the caller finished %d of %d parallel loops while the worker was held",
          atomic_load(&jobs_while_held), HELD_JOBS);
    CHECK(atomic_load(&elsewhere) == 0, "%d tasks ran on the held worker", atomic_load(&elsewhere));
    int once = 1;
    for (int i = 0; i < 8; i++) once &= atomic_load(&count[i]) == HELD_JOBS;
    CHECK(once, "every task of every loop ran exactly once");
    while (atomic_load(&held)) {}

    /* released, the worker takes part again: the meeting needs it */
    atomic_store(&started, 0);
    ae_parallel_for(2, meet, NULL);
    CHECK(atomic_load(&started) == 2, "the released worker runs tasks again");
}

typedef struct { int *out; int gen; } stamp_job;
static void stamp(void *p, int i) {
    stamp_job *j = p;
    j->out[i] += j->gen; /* a task run twice or never leaves the wrong sum */
}

static void many_jobs(void) {
    static int out[5000];
    for (int threads = 2; threads <= 4; threads++) {
        CHECK(ae_set_threads(threads) == AE_OK, "%s", ae_last_error());
        int bad = 0;
        for (int g = 1; g <= 3000; g++) {
            int n = g % 100 == 0 ? 5000 : 1 + (g * 7919) % 9;
            memset(out, 0, sizeof out);
            stamp_job j = {out, g};
            ae_parallel_for(n, stamp, &j);
            for (int i = 0; i < n; i++) bad += out[i] != g;
        }
        CHECK(bad == 0, "%d tasks ran other than once on %d threads", bad, threads);
    }
    CHECK(ae_set_threads(1) == AE_OK, "back to one thread");
}

/* ae_parallel_chain: every step of every part and every free task runs once, and step s of part r only
 * after step s of part r − 1 (each step reads the one before it in the chain and adds one, so a step run too
 * early leaves a short count). Parts 1 to 5 on 1 to 4 threads (more parts than threads: the later parts wait
 * on parts not yet claimed), steps taking a little time so that the threads overlap. */
enum { CHAIN_PARTS = 5, CHAIN_STEPS = 40 };
typedef struct { atomic_int v[CHAIN_PARTS][CHAIN_STEPS]; atomic_int free_runs, bad; } chain_state;
static void chain_step(void *p, int r, int s) {
    chain_state *c = p;
    if (s < 0) { atomic_fetch_add(&c->free_runs, 1); return; }
    const int before = r ? atomic_load(&c->v[r - 1][s]) : 0;
    if (r && before != r) atomic_fetch_add(&c->bad, 1);
    for (volatile int spin = 0; spin < 2000 * (1 + (s + r) % 3); spin++) {}
    if (atomic_fetch_add(&c->v[r][s], before + 1) != 0) atomic_fetch_add(&c->bad, 1); /* run twice */
}

static void chain(void) {
    static chain_state c;
    for (int threads = 1; threads <= 4; threads++) {
        CHECK(ae_set_threads(threads) == AE_OK, "%s", ae_last_error());
        for (int parts = 1; parts <= CHAIN_PARTS; parts++)
            for (int free = 0; free <= 1; free++)
                for (int rep = 0; rep < 20; rep++) {
                    memset(&c, 0, sizeof c);
                    ae_parallel_chain(parts, CHAIN_STEPS, free, chain_step, &c);
                    int missing = 0;
                    for (int r = 0; r < parts; r++)
                        for (int st = 0; st < CHAIN_STEPS; st++) missing += atomic_load(&c.v[r][st]) != r + 1;
                    CHECK(!atomic_load(&c.bad) && !missing && atomic_load(&c.free_runs) == free,
                          "%d threads, %d parts, %d free: %d steps out of order or twice, %d missing, %d free runs", threads, parts, free,
                          atomic_load(&c.bad), missing, atomic_load(&c.free_runs));
                }
    }
    CHECK(ae_set_threads(1) == AE_OK, "back to one thread");
}

/* The peak on all threads (`aelab bench --peak --threads N`) has every task's result in its checksum, on 1 and 2
 * threads (a task never run would leave its part out); the flops are counted by formula, for the task count
 * clamped to 1..AE_PEAK_TASKS. */
static void peak_threads(void) {
    double f1, f;
    const double one = ae_peak_run(1000, &f1);
    double eight = 0; /* the tasks' checksums added in task order */
    for (int i = 0; i < 8; i++) eight += one;
    for (int threads = 1; threads <= 2; threads++) {
        CHECK(ae_set_threads(threads) == AE_OK, "%s", ae_last_error());
        const double s = ae_peak_run_threads(1000, 8, &f);
        CHECK(f == 8 * f1, "%d threads: %g flops counted for 8 runs of %g", threads, f, f1);
        CHECK(s == eight, "%d threads: checksum %.17g, not 8 runs' %.17g", threads, s, eight);
        ae_peak_run_threads(1000, 100, &f);
        CHECK(f == AE_PEAK_TASKS * f1, "100 tasks are clamped to %d (%g flops)", AE_PEAK_TASKS, f);
        ae_peak_run_threads(1000, 0, &f);
        CHECK(f == f1, "0 tasks are clamped to 1 (%g flops)", f);
    }
    CHECK(ae_set_threads(1) == AE_OK, "back to one thread");
}

/* The round-trip probe (make bench's check of where the host put the two cores) ends, twice in a row, and
 * answers a time no faster than its fastest batch (their size is the machine's, not checked here), also
 * for one batch of one round trip; it refuses bad arguments. Ending with both threads on one core is
 * tests/node/cli.test.mjs's (taskset). */
static void round_trip(void) {
    for (int k = 0; k < 2; k++) {
        double fast = 0;
        const double ns = ae_peak_round_trip_ns(3, 100, &fast);
        CHECK(fast > 0 && fast <= ns && ns < 1e9, "call %d: 3 batches of 100 round trips: median %g ns, fastest %g", k + 1, ns, fast);
    }
    double fast = 0;
    const double one = ae_peak_round_trip_ns(1, 1, &fast);
    CHECK(one > 0 && fast == one, "one round trip: %g ns, fastest %g", one, fast);
    CHECK(ae_peak_round_trip_ns(3, 10, NULL) > 0, "without the fastest");
    const int bad[][2] = {{0, 100}, {AE_PEAK_TASKS + 1, 100}, {3, 0}, {3, 1000001}};
    for (int i = 0; i < 4; i++) {
        fast = 0;
        CHECK(ae_peak_round_trip_ns(bad[i][0], bad[i][1], &fast) == -1.0 && fast == -1.0, "%d batches of %d refused", bad[i][0], bad[i][1]);
    }
}

int main(void) {
    held_worker();
    many_jobs();
    chain();
    peak_threads();
    round_trip();
    return check_report("test_parallel");
}
