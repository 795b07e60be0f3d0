/* PCA and principal angles (src/pca.c). Synthetic data built from orthogonal ±1 patterns (the columns of a
 * Hadamard matrix) along known orthonormal directions has a sample covariance known exactly, so the fit must
 * return those directions and variances; its reconstruction error on its own data is the sum of the dropped
 * variances; a point off the kept subspace loses exactly its distance; on real digits (mostly zeros, many
 * pixels that never change) the same identities hold. Principal-angle cosines: a subspace against itself in
 * another basis (all 1), against an orthogonal one (all 0), and at known angles. Bad arguments are refused
 * with messages. */
#include "aelab.h"
#include "check.h"

enum { N = 64 }; /* items: rows of a 64×64 Sylvester Hadamard matrix */

/* H[t][j] = (-1)^popcount(t & j): columns j >= 1 sum to zero and are orthogonal, Σ_t H[t][j]² = N */
static double hadamard(int t, int j) { return __builtin_popcount((unsigned)(t & j)) & 1 ? -1.0 : 1.0; }

/* a random orthogonal (dim, dim) matrix: Gram-Schmidt on normal deviates; column j is q[i*dim + j] */
static void random_orthogonal(double *q, int dim, uint64_t seed) {
    ae_rng r;
    ae_rng_seed(&r, seed, 3);
    for (int i = 0; i < dim * dim; i++) q[i] = ae_rng_normal(&r);
    for (int j = 0; j < dim; j++) {
        for (int pass = 0; pass < 2; pass++)
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < dim; i++) dot += q[i * dim + p] * q[i * dim + j];
                for (int i = 0; i < dim; i++) q[i * dim + j] -= dot * q[i * dim + p];
            }
        double n = 0;
        for (int i = 0; i < dim; i++) n += q[i * dim + j] * q[i * dim + j];
        for (int i = 0; i < dim; i++) q[i * dim + j] /= sqrt(n);
    }
}

/* x_t = μ + Σ_j s_j H[t][j+1] u_j for t < N, u_j column j of q: mean μ, covariance Σ_j s_j² u_j u_jᵀ */
static int make_data(ae_dataset *d, const double *q, int dim, const double *s, int n_dirs, const double *mu) {
    static float x[N * 64];
    for (int t = 0; t < N; t++)
        for (int i = 0; i < dim; i++) {
            double v = mu[i];
            for (int j = 0; j < n_dirs; j++) v += s[j] * hadamard(t, j + 1) * q[i * dim + j];
            x[t * dim + i] = (float)v;
        }
    return ae_dataset_floats(d, x, N, 1, dim);
}

static void known_directions(void) {
    enum { D = 8 };
    const double s[D] = {3, 2, 1.5, 1, 0.7, 0.5, 0.25, 0.1};
    double q[D * D], mu[D];
    random_orthogonal(q, D, 11);
    for (int i = 0; i < D; i++) mu[i] = 0.5 + 0.1 * i;
    ae_dataset d;
    ae_pca p;
    CHECK(make_data(&d, q, D, s, D, mu) == AE_OK && ae_pca_fit(&p, &d, D) == AE_OK, "%s", ae_last_error());
    if (check_fail) return;
    /* the data are floats: the covariance is exact to about 1e-7 of its scale */
    int bad_mean = 0, bad_val = 0, bad_vec = 0, bad_sign = 0;
    for (int i = 0; i < D; i++) bad_mean += fabs(p.mean[i] - mu[i]) > 1e-6;
    for (int j = 0; j < D; j++) {
        bad_val += fabs(p.eigval[j] - s[j] * s[j]) > 1e-5;
        double dot = 0;
        int big = 0;
        for (int i = 0; i < D; i++) {
            dot += p.basis[i * D + j] * q[i * D + j];
            if (fabs(p.basis[i * D + j]) > fabs(p.basis[big * D + j])) big = i;
        }
        bad_vec += fabs(fabs(dot) - 1.0) > 1e-6;
        bad_sign += p.basis[big * D + j] < 0;
    }
    CHECK(bad_mean == 0, "%d mean values differ from μ", bad_mean);
    CHECK(bad_val == 0, "%d eigenvalues differ from the variances s_j² (λ_1 %.6f, λ_8 %.6f; want 9, 0.01)", bad_val, p.eigval[0], p.eigval[D - 1]);
    CHECK(bad_vec == 0, "%d components are not the known directions u_j", bad_vec);
    CHECK(bad_sign == 0, "%d components have a negative largest entry", bad_sign);
    CHECK(fabs(p.total_var - 17.0625) < 1e-5, "total variance %.6f, want Σ s_j² = 17.0625", p.total_var);
    /* reconstruction of the fitted data through k components: the mean squared error per value is the sum of
     * the dropped eigenvalues divided by dim */
    int bad_err = 0;
    for (int k = 1; k <= D; k++) {
        double e = -1, dropped = 0;
        for (int j = k; j < D; j++) dropped += s[j] * s[j];
        CHECK(ae_pca_error(&p, &d, k, &e) == AE_OK, "%s", ae_last_error());
        if (fabs(e / D - dropped / D) > 1e-6) {
            bad_err++;
            fprintf(stderr, "k %d: MSE %.8f, dropped eigenvalues / dim %.8f\n", k, e / D, dropped / D);
        }
    }
    CHECK(bad_err == 0, "%d of %d reconstruction errors differ from the dropped eigenvalues", bad_err, D);
    /* other items: μ + 2u_1 is reconstructed exactly by one component; μ + 2u_8 loses all of its 2² = 4 through
     * seven and none through eight */
    float y[2 * D];
    for (int i = 0; i < D; i++) {
        y[i] = (float)(mu[i] + 2 * q[i * D]);
        y[D + i] = (float)(mu[i] + 2 * q[i * D + D - 1]);
    }
    ae_dataset one, eight;
    double e1 = -1, e7 = -1, e8 = -1;
    CHECK(ae_dataset_floats(&one, y, 1, 1, D) == AE_OK && ae_dataset_floats(&eight, y + D, 1, 1, D) == AE_OK, "%s", ae_last_error());
    CHECK(ae_pca_error(&p, &one, 1, &e1) == AE_OK && ae_pca_error(&p, &eight, 7, &e7) == AE_OK && ae_pca_error(&p, &eight, 8, &e8) == AE_OK, "%s",
          ae_last_error());
    CHECK(e1 < 1e-10 && fabs(e7 - 4.0) < 1e-5 && e8 < 1e-10, "a point along u_1: error %g with 1 component; along u_8: %g with 7, %g with 8", e1, e7, e8);
    ae_dataset_free(&one);
    ae_dataset_free(&eight);
    /* bad arguments */
    CHECK(ae_pca_error(&p, &d, 0, &e1) == AE_ERR_ARG && strstr(ae_last_error(), "k = 0"), "%s", ae_last_error());
    ae_dataset wide;
    static float w[10];
    CHECK(ae_dataset_floats(&wide, w, 1, 1, 10) == AE_OK, "%s", ae_last_error());
    CHECK(ae_pca_error(&p, &wide, 2, &e1) == AE_ERR_ARG && strstr(ae_last_error(), "10 values"), "%s", ae_last_error());
    ae_dataset_free(&wide);
    ae_pca_free(&p);
    ae_pca_free(&p); /* twice is safe */
    CHECK(ae_pca_fit(&p, &d, 0) == AE_ERR_ARG && strstr(ae_last_error(), "k = 0"), "%s", ae_last_error());
    CHECK(ae_pca_fit(&p, &d, D + 1) == AE_ERR_ARG && strstr(ae_last_error(), "1 to 8"), "%s", ae_last_error());
    CHECK(ae_pca_error(&p, &d, 1, &e1) == AE_ERR_ARG && strstr(ae_last_error(), "not fitted"), "%s", ae_last_error());
    ae_dataset empty = {0};
    CHECK(ae_pca_fit(&p, &empty, 1) == AE_ERR_ARG && strstr(ae_last_error(), "empty"), "%s", ae_last_error());
    static float huge[AE_PCA_MAX_DIM + 1];
    ae_dataset big;
    CHECK(ae_dataset_floats(&big, huge, 1, 1, AE_PCA_MAX_DIM + 1) == AE_OK, "%s", ae_last_error());
    CHECK(ae_pca_fit(&p, &big, 1) == AE_ERR_ARG && strstr(ae_last_error(), "at most 4096"), "%s", ae_last_error());
    ae_dataset_free(&big);
    ae_dataset_free(&d);
}

/* 5 directions in R^40: the other 35 eigenvalues are zero, and their (arbitrary) eigenvectors still
 * orthonormal */
static void low_rank(void) {
    enum { D = 40, R = 5 };
    const double s[R] = {2, 1.2, 0.9, 0.6, 0.3};
    static double q[D * D];
    double mu[D];
    random_orthogonal(q, D, 5);
    for (int i = 0; i < D; i++) mu[i] = i % 3 ? 0.2 : 0.0;
    ae_dataset d;
    ae_pca p;
    CHECK(make_data(&d, q, D, s, R, mu) == AE_OK && ae_pca_fit(&p, &d, D) == AE_OK, "%s", ae_last_error());
    if (check_fail) return;
    int bad = 0, bad_orth = 0;
    for (int j = 0; j < D; j++) bad += fabs(p.eigval[j] - (j < R ? s[j] * s[j] : 0.0)) > 1e-5;
    for (int a = 0; a < D; a++)
        for (int b = a; b < D; b++) {
            double dot = 0;
            for (int i = 0; i < D; i++) dot += p.basis[i * D + a] * p.basis[i * D + b];
            bad_orth += fabs(dot - (a == b)) > 1e-12;
        }
    CHECK(bad == 0, "%d of the eigenvalues differ from (4, 1.44, 0.81, 0.36, 0.09, 0, …)", bad);
    CHECK(bad_orth == 0, "%d pairs of components are not orthonormal", bad_orth);
    ae_pca_free(&p);
    ae_dataset_free(&d);
}

/* real digits, cropped to their upper middle 14×14 (dim 196, mostly zeros, the top rows always blank): the error of
 * the fitted images through k components is the sum of the dropped eigenvalues, and the eigenvalues add up
 * to the variance computed directly */
static void digits(void) {
    ae_dataset full, d;
    CHECK(ae_idx_images_file(&full, MNIST_TRAIN_IMAGES) == AE_OK, "%s", ae_last_error());
    if (check_fail) return;
    enum { M = 1000, S = 14, D = S * S };
    float *x = malloc(sizeof(float) * 784 * M), *c = malloc(sizeof(float) * D * M);
    ae_dataset_batch(&full, NULL, 0, M, x);
    for (int t = 0; t < M; t++)
        for (int r = 0; r < S; r++)
            for (int k = 0; k < S; k++) c[t * D + r * S + k] = x[t * 784 + r * 28 + k + 7];
    CHECK(ae_dataset_floats(&d, c, M, S, S) == AE_OK, "%s", ae_last_error());
    double var = 0;
    for (int i = 0; i < D; i++) {
        double m = 0, v = 0;
        for (int t = 0; t < M; t++) m += c[t * D + i];
        m /= M;
        for (int t = 0; t < M; t++) v += (c[t * D + i] - m) * (c[t * D + i] - m);
        var += v / M;
    }
    ae_pca p;
    CHECK(ae_pca_fit(&p, &d, 40) == AE_OK, "%s", ae_last_error());
    CHECK(fabs(p.total_var - var) < 1e-9 * var, "eigenvalues add up to %.12f, the variance is %.12f", p.total_var, var);
    const int ks[] = {1, 5, 20, 40};
    for (int i = 0; i < 4; i++) {
        double e = -1, dropped = 0;
        for (int j = ks[i]; j < D; j++) dropped += p.eigval[j];
        CHECK(ae_pca_error(&p, &d, ks[i], &e) == AE_OK && fabs(e - dropped) < 1e-9 * var, "k %d: error %.12f, dropped eigenvalues %.12f", ks[i], e,
              dropped);
    }
    CHECK(p.eigval[0] > p.eigval[1] && p.eigval[D - 1] > -1e-12 && fabs(p.eigval[D - 1]) < 1e-12, "eigenvalues %g … %g", p.eigval[0], p.eigval[D - 1]);
    ae_pca_free(&p);
    ae_dataset_free(&d);
    ae_dataset_free(&full);
    free(x);
    free(c);
}

/* columns j of a and b: a (dim, k) row-major */
static void set_col(double *a, int dim, int k, int j, const double *v) {
    for (int i = 0; i < dim; i++) a[i * k + j] = v[i];
}

static void angles(void) {
    enum { D = 10 };
    double q[D * D], col[D][D];
    random_orthogonal(q, D, 21);
    for (int j = 0; j < D; j++)
        for (int i = 0; i < D; i++) col[j][i] = q[i * D + j];
    double A[D * 3], B[D * 3], cs[D];
    /* the same subspace: B = A R, R a shear and scaling of the three columns */
    const double R[3][3] = {{2, 0.5, -1}, {0, 1, 3}, {0.3, 0, 0.7}};
    for (int j = 0; j < 3; j++) set_col(A, D, 3, j, col[j]);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < 3; j++) B[i * 3 + j] = A[i * 3] * R[0][j] + A[i * 3 + 1] * R[1][j] + A[i * 3 + 2] * R[2][j];
    CHECK(ae_subspace_cosines(A, B, D, 3, cs) == AE_OK, "%s", ae_last_error());
    CHECK(fabs(cs[0] - 1) < 1e-12 && fabs(cs[1] - 1) < 1e-12 && fabs(cs[2] - 1) < 1e-12, "a subspace against itself: %.15f %.15f %.15f", cs[0], cs[1], cs[2]);
    /* orthogonal subspaces */
    for (int j = 0; j < 3; j++) set_col(B, D, 3, j, col[j + 3]);
    CHECK(ae_subspace_cosines(A, B, D, 3, cs) == AE_OK, "%s", ae_last_error());
    CHECK(cs[0] < 1e-12 && cs[1] < 1e-12 && cs[2] < 1e-12, "orthogonal subspaces: %g %g %g", cs[0], cs[1], cs[2]);
    /* known angles: span(u0, u1, u2) against span(u0·3, cos .3 u1 + sin .3 u5, cos 1.1 u2 + sin 1.1 u6) in a mixed
     * basis: cosines 1, cos 0.3, cos 1.1 */
    double v[3][D];
    for (int i = 0; i < D; i++) {
        v[0][i] = 3 * col[0][i];
        v[1][i] = cos(0.3) * col[1][i] + sin(0.3) * col[5][i];
        v[2][i] = cos(1.1) * col[2][i] + sin(1.1) * col[6][i];
    }
    for (int i = 0; i < D; i++)
        for (int j = 0; j < 3; j++) B[i * 3 + j] = v[0][i] * R[0][j] + v[1][i] * R[1][j] + v[2][i] * R[2][j];
    CHECK(ae_subspace_cosines(A, B, D, 3, cs) == AE_OK, "%s", ae_last_error());
    CHECK(fabs(cs[0] - 1) < 1e-12 && fabs(cs[1] - cos(0.3)) < 1e-12 && fabs(cs[2] - cos(1.1)) < 1e-12, "known angles: %.15f %.15f %.15f, want 1 %.15f %.15f",
          cs[0], cs[1], cs[2], cos(0.3), cos(1.1));
    /* the same with the arguments swapped */
    CHECK(ae_subspace_cosines(B, A, D, 3, cs) == AE_OK && fabs(cs[1] - cos(0.3)) < 1e-12 && fabs(cs[2] - cos(1.1)) < 1e-12, "swapped: %.15f %.15f", cs[1],
          cs[2]);
    /* one direction each */
    CHECK(ae_subspace_cosines(v[1], col[1], D, 1, cs) == AE_OK && fabs(cs[0] - cos(0.3)) < 1e-12, "one direction: %.15f", cs[0]);
    /* bad arguments: k out of range, a column that is a combination of the others, a zero column, NaN */
    CHECK(ae_subspace_cosines(A, B, D, 0, cs) == AE_ERR_ARG && strstr(ae_last_error(), "k = 0"), "%s", ae_last_error());
    CHECK(ae_subspace_cosines(A, B, 2, 3, cs) == AE_ERR_ARG && strstr(ae_last_error(), "1 to 2"), "%s", ae_last_error());
    for (int i = 0; i < D; i++) B[i * 3 + 2] = 2 * B[i * 3] - B[i * 3 + 1];
    CHECK(ae_subspace_cosines(A, B, D, 3, cs) == AE_ERR_ARG && strstr(ae_last_error(), "column 2 of the second basis"), "%s", ae_last_error());
    for (int i = 0; i < D; i++) A[i * 3 + 1] = 0;
    CHECK(ae_subspace_cosines(A, B, D, 3, cs) == AE_ERR_ARG && strstr(ae_last_error(), "column 1 of the first basis is zero"), "%s", ae_last_error());
    A[4] = NAN;
    CHECK(ae_subspace_cosines(A, B, D, 3, cs) == AE_ERR_ARG && strstr(ae_last_error(), "not finite"), "%s", ae_last_error());
}

int main(void) {
    known_directions();
    low_rank();
    digits();
    angles();
    return check_report("test_pca");
}
