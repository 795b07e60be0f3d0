/* Single-precision GEMM: C(M,N) += op(A)(M,K) · op(B)(K,N).
 *
 * Blocked and packed after Goto & van de Geijn ("Anatomy of high-performance matrix multiplication"):
 * a KC×NC panel of op(B) is packed into NR-wide column strips, an MC×KC block of op(A) into MR-tall row
 * strips, and an MR×NR micro-kernel keeps its tile of C in registers for KC steps.
 *
 * The micro-kernel is written with GCC/Clang vector extensions (4 floats), which become SSE on x86-64,
 * WASM SIMD128 with -msimd128, and plain scalar code in a wasm build without it: one source for all.
 * Each C(i,j) is one lane of one accumulator, loaded from C, updated as c += a·b for k ascending (K
 * blocks ascend too) and stored back, so the summation order is exactly that of ae_gemm_ref: every
 * build gives the same bits as the reference, and native and wasm runs agree bit for bit.
 *
 * Packing buffers are fixed-size and per thread: a call allocates nothing. The bias, the activation and
 * its derivative can be applied to each block of C as it is finished (ae_epilogue, src/internal.h). */
#include "internal.h"
#include <string.h>

typedef float v4f __attribute__((vector_size(16)));

/* The micro-tile. Natively 6x8 (12 accumulators, two B vectors and a broadcast fill the 16 SSE
 * registers). In wasm 4x8: V8 does not keep 6x8's 15 live vectors in registers and spills inside the
 * k loop; 4x8 measured about 1.5x faster there. The tile shape does not change any sum's order, so both
 * give the same bits (tests/node/agreement.test.mjs compares native and wasm). */
#ifndef AE_MR
#ifdef __wasm__
#define AE_MR 4
#else
#define AE_MR 6
#endif
#define AE_NR 8
#endif
#define MR AE_MR
#define NR AE_NR
#define KC 256
#define MC (96 / MR * MR) /* a multiple of MR (pack_a fills whole strips): MC·KC floats <= 96 KiB, in L2 */
#define NC (2048 / NR * NR) /* multiple of NR: KC·NC floats = 2 MiB */

static inline v4f ld4(const float *p) { v4f v; memcpy(&v, p, sizeof v); return v; }
static inline void st4(float *p, v4f v) { memcpy(p, &v, sizeof v); }

/* Reference: the definition, in the summation order every other path reproduces. */
void ae_gemm_ref(int transA, int transB, int M, int N, int K,
                 const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float c = C[(size_t)i * ldc + j];
            for (int k = 0; k < K; k++) {
                float a = transA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                float b = transB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                c += a * b;
            }
            C[(size_t)i * ldc + j] = c;
        }
}

/* op(A)[i0.., k0..] (mc, kc) -> strips of MR rows: strip s holds, for each k, MR consecutive values.
 * Rows past mc are zero (their results are discarded). */
static void pack_a(int transA, const float *A, int lda, int i0, int mc, int k0, int kc, float *buf) {
    for (int s = 0; s < mc; s += MR) {
        int mr = mc - s < MR ? mc - s : MR;
        if (!transA) { /* row by row: contiguous reads */
            for (int r = 0; r < MR; r++) {
                const float *src = A + (size_t)(i0 + s + r) * lda + k0;
                for (int k = 0; k < kc; k++) buf[k * MR + r] = r < mr ? src[k] : 0.0f;
            }
            buf += (size_t)kc * MR;
            continue;
        }
        for (int k = 0; k < kc; k++) {
            for (int r = 0; r < mr; r++) {
                size_t i = (size_t)(i0 + s + r), kk = (size_t)(k0 + k);
                buf[r] = transA ? A[kk * lda + i] : A[i * lda + kk];
            }
            for (int r = mr; r < MR; r++) buf[r] = 0.0f;
            buf += MR;
        }
    }
}

/* op(B)[k0.., j0..] (kc, nc) -> strips of NR columns: strip t holds, for each k, NR consecutive values. */
static void pack_b(int transB, const float *B, int ldb, int k0, int kc, int j0, int nc, float *buf) {
    for (int t = 0; t < nc; t += NR) {
        int nr = nc - t < NR ? nc - t : NR;
        if (!transB && nr == NR) {
            for (int k = 0; k < kc; k++, buf += NR) memcpy(buf, B + (size_t)(k0 + k) * ldb + j0 + t, NR * sizeof(float));
            continue;
        }
        if (transB) { /* column by column of op(B), i.e. row by row of B: contiguous reads */
            for (int c = 0; c < NR; c++) {
                const float *src = B + (size_t)(j0 + t + c) * ldb + k0;
                for (int k = 0; k < kc; k++) buf[k * NR + c] = c < nr ? src[k] : 0.0f;
            }
            buf += (size_t)kc * NR;
            continue;
        }
        for (int k = 0; k < kc; k++) {
            for (int c = 0; c < nr; c++) {
                size_t j = (size_t)(j0 + t + c), kk = (size_t)(k0 + k);
                buf[c] = transB ? B[j * ldb + kk] : B[kk * ldb + j];
            }
            for (int c = nr; c < NR; c++) buf[c] = 0.0f;
            buf += NR;
        }
    }
}

/* C tile (MR, NR) at c with row stride ldc: c += a_strip · b_strip over kc steps.
 * a: (kc, MR) packed, b: (kc, NR) packed. The loops have constant bounds and are unrolled completely
 * (gcc -O2 does not do it by itself), so the MR·NR/4 accumulators live in vector registers. Each C(i,j)
 * is one lane of one accumulator. */
#define NV (NR / 4)
static void kernel_tile(int kc, const float *restrict a, const float *restrict b, float *restrict c, int ldc) {
    v4f acc[MR][NV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[r][v] = ld4(c + (size_t)r * ldc + 4 * v);
    for (int k = 0; k < kc; k++, a += MR, b += NR) {
        v4f bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) bv[v] = ld4(b + 4 * v);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            v4f x = {a[r], a[r], a[r], a[r]};
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++) acc[r][v] += x * bv[v];
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) st4(c + (size_t)r * ldc + 4 * v, acc[r][v]);
}

/* A partial tile (mr < MR or nr < NR) goes through a full-size scratch tile. */
static void kernel_edge(int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr) {
    float t[MR * NR];
    memset(t, 0, sizeof t);
    for (int i = 0; i < mr; i++) memcpy(t + i * NR, c + (size_t)i * ldc, (size_t)nr * sizeof(float));
    kernel_tile(kc, a, b, t, NR);
    for (int i = 0; i < mr; i++) memcpy(c + (size_t)i * ldc, t + i * NR, (size_t)nr * sizeof(float));
}

static _Thread_local float pack_a_buf[MC * KC];
static _Thread_local float pack_b_buf[KC * NC];

/* The macro-kernel over one packed A block (mc, kc) and packed B panel (kc, nc). */
static void macro(int mc, int nc, int kc, const float *pa, const float *pb, float *C, int ldc) {
    for (int j = 0; j < nc; j += NR) {
        int nr = nc - j < NR ? nc - j : NR;
        for (int i = 0; i < mc; i += MR) {
            int mr = mc - i < MR ? mc - i : MR;
            float *c = C + (size_t)i * ldc + j;
            const float *a = pa + (size_t)i * kc, *b = pb + (size_t)j * kc;
            if (mr == MR && nr == NR) kernel_tile(kc, a, b, c, ldc);
            else kernel_edge(kc, a, b, c, ldc, mr, nr);
        }
    }
}

/* Epilogue on the block C[0..mc, 0..nc) (row stride ldc) whose top-left is (i0, j0) of the whole C. */
static void block_init(const ae_epilogue *ep, int mc, int nc, int j0, float *C, int ldc) {
    for (int r = 0; r < mc; r++) {
        float *c = C + (size_t)r * ldc;
        if (ep->bias) memcpy(c, ep->bias + j0, (size_t)nc * sizeof *c);
        else memset(c, 0, (size_t)nc * sizeof *c);
    }
}

static void block_post(const ae_epilogue *ep, int mc, int nc, int i0, int j0, float *C, int ldc) {
    for (int r = 0; r < mc; r++) {
        float *c = C + (size_t)r * ldc;
        if (ep->post == AE_POST_FORWARD)
            ae_act_forward(ep->act, c, ep->y + (size_t)(i0 + r) * ep->ldy + j0, (size_t)nc, nc);
        else
            ae_act_backward(ep->act, ep->fy + (size_t)(i0 + r) * ep->ldfy + j0, c, c, (size_t)nc);
    }
}

/* One thread's GEMM over the whole of its (M, N); i0, j0 place it in the full C for the epilogue. */
static void gemm_serial(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                        float *C, int ldc, const ae_epilogue *ep, int i0, int j0) {
    const int init = ep && (ep->bias || ep->zero), post = ep && ep->post != AE_POST_NONE;
    if (K <= 0) { /* no products: only the epilogue */
        if (init) block_init(ep, M, N, j0, C, ldc);
        if (post) block_post(ep, M, N, i0, j0, C, ldc);
        return;
    }
    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            pack_b(transB, B, ldb, pc, kc, jc, nc, pack_b_buf);
            for (int ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                float *Cb = C + (size_t)ic * ldc + jc;
                pack_a(transA, A, lda, ic, mc, pc, kc, pack_a_buf);
                if (init && pc == 0) block_init(ep, mc, nc, j0 + jc, Cb, ldc);
                macro(mc, nc, kc, pack_a_buf, pack_b_buf, Cb, ldc);
                if (post && pc + kc == K) block_post(ep, mc, nc, i0 + ic, j0 + jc, Cb, ldc);
            }
        }
    }
}

/* Threads split C into column strips (whole NR strips) or row strips (whole MR strips), whichever
 * dimension is larger; each thread packs its own panels. Every C(i,j) still sums over k in the same
 * order, so the bits do not depend on the split. Small products stay on one thread. */
#define PAR_MIN_FLOPS 4.0e5

void ae_gemm_plan_task(const ae_gemm_plan *g, int t) {
    int dim = g->split_n ? g->N : g->M, lo = t * g->per, hi = lo + g->per < dim ? lo + g->per : dim;
    if (lo >= hi) return;
    if (g->split_n) {
        const float *Bt = g->transB ? g->B + (size_t)lo * g->ldb : g->B + lo;
        gemm_serial(g->transA, g->transB, g->M, hi - lo, g->K, g->A, g->lda, Bt, g->ldb, g->C + lo, g->ldc, g->ep, 0, lo);
    } else {
        const float *At = g->transA ? g->A + lo : g->A + (size_t)lo * g->lda;
        gemm_serial(g->transA, g->transB, hi - lo, g->N, g->K, At, g->lda, g->B, g->ldb, g->C + (size_t)lo * g->ldc, g->ldc, g->ep, lo, 0);
    }
}

void ae_gemm_plan_init(ae_gemm_plan *g, int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
                       int ldb, float *C, int ldc, const ae_epilogue *ep) {
    *g = (ae_gemm_plan){transA, transB, M, N, K, lda, ldb, ldc, N >= M, 0, 0, A, B, C, ep};
    if (M <= 0 || N <= 0) return;
    int T = ae_threads(), dim = g->split_n ? N : M, unit = g->split_n ? NR : MR;
    /* one strip per thread: every extra strip packs the shared operand once more, which measured slower
     * than the imbalance that finer, dynamically claimed strips would even out */
    int parts = (T <= 1 || 2.0 * M * N * (K > 0 ? K : 1) < PAR_MIN_FLOPS) ? 1 : T;
    g->per = parts == 1 ? dim : ((dim + parts - 1) / parts + unit - 1) / unit * unit;
    g->n_tasks = (dim + g->per - 1) / g->per;
}

static void plan_task(void *p, int t) { ae_gemm_plan_task(p, t); }

void ae_gemm_ex(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, const ae_epilogue *ep) {
    ae_gemm_plan g;
    ae_gemm_plan_init(&g, transA, transB, M, N, K, A, lda, B, ldb, C, ldc, ep);
    if (g.n_tasks == 1) ae_gemm_plan_task(&g, 0);
    else ae_parallel_for(g.n_tasks, plan_task, &g);
}

void ae_gemm(int transA, int transB, int M, int N, int K,
             const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    ae_gemm_ex(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, NULL);
}
