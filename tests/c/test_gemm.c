/* The blocked SIMD GEMM against its plain-C reference: bit-identical on random and awkward shapes and all
 * transpose cases (same summation order by construction), and the reference against a double-precision
 * product (so "identical to the reference" means "right"). */
#include "aelab.h"
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

int main(void) {
    ae_rng r;
    ae_rng_seed(&r, 42, 1);
    const int dims[] = {1, 3, 6, 8, 17, 64, 97, 257, 785};
    const int nd = sizeof dims / sizeof *dims;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int x = 0; x < nd; x++)
                for (int y = 0; y < nd; y++) {
                    int M = dims[x], N = dims[y], K = dims[(x + y) % nd];
                    if ((double)M * N * K > 3e7) continue;
                    one(&r, ta, tb, M, N, K);
                }
    /* shapes of the model's products: batch 256, 784 <-> 32, and larger than one block in every dimension */
    one(&r, 0, 1, 256, 32, 784);
    one(&r, 0, 0, 256, 784, 32);
    one(&r, 1, 0, 32, 784, 256);
    one(&r, 0, 0, 200, 2100, 300);
    one(&r, 1, 1, 101, 2053, 513);
    ref_vs_double(&r, 33, 45, 1000);
    ref_vs_double(&r, 7, 9, 5);
    return check_report("test_gemm");
}
