/* The blocked SIMD GEMM against its plain-C reference: bit-identical on random and awkward shapes and all
 * transpose cases (same summation order by construction), on 1, 2 and 3 threads, with and without the
 * fused bias/activation epilogues; and the reference against a double-precision product (so "identical
 * to the reference" means "right"). */
#include "internal.h"
#include "check.h"

static float frand(ae_rng *r) { return 2.0f * ae_rng_uniform(r) - 1.0f; }

static void one(ae_rng *r, int ta, int tb, int M, int N, int K) {
    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2; /* padded leading dimensions */
    size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb, nc = (size_t)M * ldc;
    float *A = malloc(na * 4), *B = malloc(nb * 4), *C1 = malloc(nc * 4), *C2 = malloc(nc * 4);
    for (size_t i = 0; i < na; i++) A[i] = frand(r);
    for (size_t i = 0; i < nb; i++) B[i] = frand(r);
    for (size_t i = 0; i < nc; i++) C1[i] = C2[i] = frand(r); /* GEMM accumulates into C */
    ae_gemm(ta, tb, M, N, K, A, lda, B, ldb, C1, ldc);
    ae_gemm_ref(ta, tb, M, N, K, A, lda, B, ldb, C2, ldc);
    CHECK(memcmp(C1, C2, nc * 4) == 0, "ae_gemm != ae_gemm_ref bitwise for ta=%d tb=%d M=%d N=%d K=%d", ta, tb, M, N, K);
    free(A); free(B); free(C1); free(C2);
}

/* The epilogues against the reference followed by the separate passes they replace:
 * forward  z = bias + x W^T, y = f(z);  backward  d = f'(fy) ⊙ (0 + dz W). */
static void epilogue(ae_rng *r, ae_act act, int M, int N, int K) {
    float *A = malloc((size_t)M * K * 4), *W = malloc((size_t)N * K * 4), *bias = malloc((size_t)N * 4);
    float *z1 = malloc((size_t)M * N * 4), *z2 = malloc((size_t)M * N * 4), *y1 = malloc((size_t)M * N * 4), *y2 = malloc((size_t)M * N * 4);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = frand(r);
    for (size_t i = 0; i < (size_t)N * K; i++) W[i] = frand(r);
    for (int i = 0; i < N; i++) bias[i] = frand(r);
    for (size_t i = 0; i < (size_t)M * N; i++) z1[i] = 1e30f; /* overwritten by the bias init */
    ae_epilogue fw = {.bias = bias, .post = AE_POST_FORWARD, .act = act, .y = y1, .ldy = N};
    ae_gemm_ex(0, 1, M, N, K, A, K, W, K, z1, N, &fw);
    for (int i = 0; i < M; i++) memcpy(z2 + (size_t)i * N, bias, (size_t)N * 4);
    ae_gemm_ref(0, 1, M, N, K, A, K, W, K, z2, N);
    ae_act_forward(act, z2, y2, (size_t)M * N, N);
    CHECK(!memcmp(z1, z2, (size_t)M * N * 4) && !memcmp(y1, y2, (size_t)M * N * 4), "forward epilogue %s %dx%dx%d", ae_act_name(act), M, N, K);
    /* backward: C (M, N) = 0 + A (M, K) · W^T..., then ⊙ f'(y2) */
    ae_epilogue bw = {.zero = 1, .post = AE_POST_BACKWARD, .act = act, .fy = y2, .ldfy = N};
    ae_gemm_ex(0, 1, M, N, K, A, K, W, K, z1, N, &bw);
    memset(z2, 0, (size_t)M * N * 4);
    ae_gemm_ref(0, 1, M, N, K, A, K, W, K, z2, N);
    ae_act_backward(act, y2, z2, z2, (size_t)M * N);
    CHECK(!memcmp(z1, z2, (size_t)M * N * 4), "backward epilogue %s %dx%dx%d", ae_act_name(act), M, N, K);
    free(A); free(W); free(bias); free(z1); free(z2); free(y1); free(y2);
}

/* Reference correctness on C = 0 start, against double. */
static void ref_vs_double(ae_rng *r, int M, int N, int K) {
    float *A = malloc((size_t)M * K * 4), *B = malloc((size_t)K * N * 4), *C = calloc((size_t)M * N, 4);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = frand(r);
    for (size_t i = 0; i < (size_t)K * N; i++) B[i] = frand(r);
    ae_gemm(0, 0, M, N, K, A, K, B, N, C, N);
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (int k = 0; k < K; k++) { s += (double)A[i * K + k] * B[k * N + j]; mag += fabs((double)A[i * K + k] * B[k * N + j]); }
            double e = fabs(C[i * N + j] - s) / (mag * K * 1.2e-7 + 1e-30);
            worst = e > worst ? e : worst;
        }
    CHECK(worst <= 1.0, "gemm %dx%dx%d deviates from the double product beyond the float bound (%.3g of it)", M, N, K, worst);
    free(A); free(B); free(C);
}

/* Every transpose case over awkward sizes, the model's shapes, and the epilogues for every activation. */
static void all_shapes(ae_rng *r) {
    const int dims[] = {1, 3, 6, 8, 17, 64, 97, 257, 785};
    const int nd = sizeof dims / sizeof *dims;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int x = 0; x < nd; x++)
                for (int y = 0; y < nd; y++) {
                    int M = dims[x], N = dims[y], K = dims[(x + y) % nd];
                    if ((double)M * N * K > 3e7) continue;
                    one(r, ta, tb, M, N, K);
                }
    /* shapes of the model's products: batch 256, 784 <-> 32, and larger than one block in every dimension */
    one(r, 0, 1, 256, 32, 784);
    one(r, 0, 0, 256, 784, 32);
    one(r, 1, 0, 32, 784, 256);
    one(r, 0, 0, 200, 2100, 300);
    one(r, 1, 1, 101, 2053, 513);
    for (int a = 0; a < AE_ACT_SOFTMAX; a++) {
        epilogue(r, (ae_act)a, 256, 784, 32);
        epilogue(r, (ae_act)a, 17, 3, 785);
        epilogue(r, (ae_act)a, 1, 1, 1);
        epilogue(r, (ae_act)a, 300, 2100, 7);
    }
}

int main(void) {
    ae_rng r;
    ae_rng_seed(&r, 42, 1);
    for (int threads = 1; threads <= 3; threads++) {
        CHECK(ae_set_threads(threads) == AE_OK && ae_threads() == threads, "%d threads: %s", threads, ae_last_error());
        all_shapes(&r);
    }
    CHECK(ae_set_threads(0) == AE_ERR_ARG && ae_set_threads(AE_MAX_THREADS + 1) == AE_ERR_ARG && ae_threads() == 3, "bad thread counts refused");
    CHECK(ae_set_threads(1) == AE_OK, "back to one thread");
    ref_vs_double(&r, 33, 45, 1000);
    ref_vs_double(&r, 7, 9, 5);
    return check_report("test_gemm");
}
