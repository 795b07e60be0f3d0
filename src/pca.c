/* Principal component analysis: the linear baseline an autoencoder is measured against. A linear
 * autoencoder with a k-wide code trained on squared error spans the same subspace as the top k principal
 * components (Baldi & Hornik 1989); a deep one should beat their reconstruction error at the same code size
 * (Hinton & Salakhutdinov 2006). Everything here is double and runs in a fixed order, so a fit gives the
 * same bits on every build. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PCA_CHUNK 256 /* items read per ae_dataset_batch call */

/* sqrt(a² + b²) without overflow, from IEEE basic operations only (libm's hypot differs between libcs) */
static double hyp(double a, double b) {
    a = fabs(a);
    b = fabs(b);
    if (a < b) { double t = a; a = b; b = t; }
    if (a == 0.0) return 0.0;
    const double r = b / a;
    return a * sqrt(1.0 + r * r);
}

/* Eigen-decomposition of the symmetric n×n matrix a (row-major, both triangles set; destroyed): Householder
 * reduction to tridiagonal form, then the implicit QL method with Wilkinson-like shifts (EISPACK's tred2 and
 * tql2, as in JAMA). On return w (n) holds the eigenvalues in descending order and row j of a the unit
 * eigenvector of w[j], its largest-magnitude entry positive (the first of equals), so the result does not
 * depend on the sign the iteration happened to reach. e (n) is scratch. AE_ERR_ARG if the QL iteration does
 * not converge (only non-finite input does that). */
static int sym_eigen(double *a, int n, double *w, double *e) {
    double *V = a, *d = w; /* tred2 leaves the orthogonal transform in V's columns */
#define Vx(i, j) V[(size_t)(i) * n + (j)]
    for (int j = 0; j < n; j++) d[j] = Vx(n - 1, j);
    for (int i = n - 1; i > 0; i--) {
        double scale = 0.0, h = 0.0;
        for (int k = 0; k < i; k++) scale += fabs(d[k]);
        if (scale == 0.0) {
            e[i] = d[i - 1];
            for (int j = 0; j < i; j++) {
                d[j] = Vx(i - 1, j);
                Vx(i, j) = 0.0;
                Vx(j, i) = 0.0;
            }
        } else {
            /* the Householder vector that zeroes row i left of its subdiagonal */
            for (int k = 0; k < i; k++) { d[k] /= scale; h += d[k] * d[k]; }
            double f = d[i - 1], g = sqrt(h);
            if (f > 0) g = -g;
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            for (int j = 0; j < i; j++) e[j] = 0.0;
            for (int j = 0; j < i; j++) {
                f = d[j];
                Vx(j, i) = f;
                g = e[j] + Vx(j, j) * f;
                for (int k = j + 1; k <= i - 1; k++) {
                    g += Vx(k, j) * d[k];
                    e[k] += Vx(k, j) * f;
                }
                e[j] = g;
            }
            f = 0.0;
            for (int j = 0; j < i; j++) { e[j] /= h; f += e[j] * d[j]; }
            const double hh = f / (h + h);
            for (int j = 0; j < i; j++) e[j] -= hh * d[j];
            for (int j = 0; j < i; j++) {
                f = d[j];
                g = e[j];
                for (int k = j; k <= i - 1; k++) Vx(k, j) -= f * e[k] + g * d[k];
                d[j] = Vx(i - 1, j);
                Vx(i, j) = 0.0;
            }
        }
        d[i] = h;
    }
    /* accumulate the transformations */
    for (int i = 0; i < n - 1; i++) {
        Vx(n - 1, i) = Vx(i, i);
        Vx(i, i) = 1.0;
        const double h = d[i + 1];
        if (h != 0.0) {
            for (int k = 0; k <= i; k++) d[k] = Vx(k, i + 1) / h;
            for (int j = 0; j <= i; j++) {
                double g = 0.0;
                for (int k = 0; k <= i; k++) g += Vx(k, i + 1) * Vx(k, j);
                for (int k = 0; k <= i; k++) Vx(k, j) -= g * d[k];
            }
        }
        for (int k = 0; k <= i; k++) Vx(k, i + 1) = 0.0;
    }
    for (int j = 0; j < n; j++) { d[j] = Vx(n - 1, j); Vx(n - 1, j) = 0.0; }
    Vx(n - 1, n - 1) = 1.0;
    /* QL's rotations act on pairs of eigenvectors: transposed, each is a contiguous row */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) { double t = Vx(i, j); Vx(i, j) = Vx(j, i); Vx(j, i) = t; }
#undef Vx
    double *Z = a; /* row j: the eigenvector of d[j] */
    for (int i = 1; i < n; i++) e[i - 1] = e[i];
    e[n - 1] = 0.0;
    double f = 0.0, tst1 = 0.0;
    const double eps = 0x1p-52;
    for (int l = 0; l < n; l++) {
        tst1 = fmax(tst1, fabs(d[l]) + fabs(e[l]));
        int m = l;
        while (m < n - 1 && fabs(e[m]) > eps * tst1) m++; /* the first negligible subdiagonal element (e[n-1] is 0) */
        for (int iter = 0; m > l; iter++) {
            if (iter == 60 || !isfinite(e[l]))
                return ae_fail(AE_ERR_ARG, "the eigen-decomposition did not converge (are the values finite?)");
            /* implicit shift */
            double g = d[l], p = (d[l + 1] - g) / (2.0 * e[l]), r = hyp(p, 1.0);
            if (p < 0) r = -r;
            d[l] = e[l] / (p + r);
            d[l + 1] = e[l] * (p + r);
            const double dl1 = d[l + 1];
            double h = g - d[l];
            for (int i = l + 2; i < n; i++) d[i] -= h;
            f += h;
            /* implicit QL transformation */
            p = d[m];
            double c = 1.0, c2 = c, c3 = c, s = 0.0, s2 = 0.0;
            const double el1 = e[l + 1];
            for (int i = m - 1; i >= l; i--) {
                c3 = c2;
                c2 = c;
                s2 = s;
                g = c * e[i];
                h = c * p;
                r = hyp(p, e[i]);
                e[i + 1] = s * r;
                s = e[i] / r;
                c = p / r;
                p = c * d[i] - s * g;
                d[i + 1] = h + s * (c * g + s * d[i]);
                double *zi = Z + (size_t)i * n, *zj = zi + n;
                for (int k = 0; k < n; k++) {
                    const double t = zj[k];
                    zj[k] = s * zi[k] + c * t;
                    zi[k] = c * zi[k] - s * t;
                }
            }
            p = -s * s2 * c3 * el1 * e[l] / dl1;
            e[l] = s * p;
            d[l] = c * p;
            if (!(fabs(e[l]) > eps * tst1)) break;
        }
        d[l] += f;
        e[l] = 0.0;
    }
    /* descending order (selection sort: n swaps of rows at most) */
    for (int i = 0; i < n - 1; i++) {
        int k = i;
        for (int j = i + 1; j < n; j++) if (d[j] > d[k]) k = j;
        if (k != i) {
            double t = d[k];
            d[k] = d[i];
            d[i] = t;
            double *zi = Z + (size_t)i * n, *zk = Z + (size_t)k * n;
            for (int j = 0; j < n; j++) { t = zi[j]; zi[j] = zk[j]; zk[j] = t; }
        }
    }
    for (int i = 0; i < n; i++) {
        double *z = Z + (size_t)i * n;
        int big = 0;
        for (int j = 1; j < n; j++) if (fabs(z[j]) > fabs(z[big])) big = j;
        if (z[big] < 0) for (int j = 0; j < n; j++) z[j] = -z[j];
    }
    return AE_OK;
}

void ae_pca_free(ae_pca *p) {
    if (!p) return;
    free(p->mean);
    free(p->eigval);
    free(p->basis);
    free(p->chunk);
    free(p->code);
    memset(p, 0, sizeof *p);
}

int ae_pca_fit(ae_pca *p, const ae_dataset *d, int k) {
    memset(p, 0, sizeof *p);
    if (!d || !ae_dataset_loaded(d) || d->n < 1) return ae_fail(AE_ERR_ARG, "PCA: the dataset is empty");
    const int dim = ae_dataset_dim(d);
    if (dim > AE_PCA_MAX_DIM)
        return ae_fail(AE_ERR_ARG, "PCA: items of %d values; at most %d (the covariance matrix has dim² entries)", dim, AE_PCA_MAX_DIM);
    if (k < 1 || k > dim) return ae_fail(AE_ERR_ARG, "PCA: k = %d components; it must be 1 to %d, the items' size", k, dim);
    const size_t dd = (size_t)dim * dim;
    double *cov = calloc(dd, sizeof(double)), *sum = calloc((size_t)dim, sizeof(double)), *e = calloc((size_t)dim, sizeof(double));
    double *xd = malloc((size_t)dim * sizeof(double));
    int *nz = malloc((size_t)dim * sizeof(int));
    p->mean = malloc((size_t)dim * sizeof(double));
    p->eigval = malloc((size_t)dim * sizeof(double));
    p->basis = malloc((size_t)dim * k * sizeof(double));
    p->chunk = malloc((size_t)PCA_CHUNK * dim * sizeof(float));
    p->code = malloc((size_t)k * sizeof(double));
    int rc = AE_OK;
    if (!cov || !sum || !e || !xd || !nz || !p->mean || !p->eigval || !p->basis || !p->chunk || !p->code) {
        char b[32];
        rc = ae_fail(AE_ERR_NOMEM, "PCA: out of memory for the %d×%d covariance matrix (%s)", dim, dim, ae_fmt_bytes(dd * sizeof(double), b, sizeof b));
        goto out;
    }
    p->dim = dim;
    p->k = k;
    p->n = d->n;
    /* S = Σ x xᵀ (upper triangle) and s = Σ x over the items, in item order; images are mostly zeros, so each
     * item adds only the products of its nonzero values. Then cov = S/n − μμᵀ with μ = s/n: the covariance
     * about the mean with 1/n (the data's own second moment, so that a fit's error on its own data is the sum
     * of the dropped eigenvalues exactly). Double keeps ~16 digits: exact enough unless the values sit far
     * from zero relative to their spread (offsets above ~10⁵ times it). */
    for (int first = 0; first < d->n; first += PCA_CHUNK) {
        const int B = d->n - first < PCA_CHUNK ? d->n - first : PCA_CHUNK;
        ae_dataset_batch(d, NULL, first, B, p->chunk);
        for (int b = 0; b < B; b++) {
            const float *x = p->chunk + (size_t)b * dim;
            int nnz = 0;
            for (int i = 0; i < dim; i++)
                if (x[i] != 0.0f) { xd[nnz] = x[i]; nz[nnz++] = i; }
            for (int a = 0; a < nnz; a++) {
                const double xa = xd[a];
                double *row = cov + (size_t)nz[a] * dim;
                sum[nz[a]] += xa;
                for (int c = a; c < nnz; c++) row[nz[c]] += xa * xd[c];
            }
        }
    }
    for (int i = 0; i < dim; i++) p->mean[i] = sum[i] / d->n;
    for (int i = 0; i < dim; i++)
        for (int j = i; j < dim; j++) {
            const double c = cov[(size_t)i * dim + j] / d->n - p->mean[i] * p->mean[j];
            cov[(size_t)i * dim + j] = c;
            cov[(size_t)j * dim + i] = c;
        }
    for (size_t i = 0; i < dd; i++)
        if (!isfinite(cov[i])) { rc = ae_fail(AE_ERR_ARG, "PCA: the covariance is not finite (values too large?)"); goto out; }
    if ((rc = sym_eigen(cov, dim, p->eigval, e))) goto out;
    p->total_var = 0.0;
    for (int i = 0; i < dim; i++) p->total_var += p->eigval[i];
    /* basis (dim, k): column j is eigenvector j (row j of cov now) */
    for (int i = 0; i < dim; i++)
        for (int j = 0; j < k; j++) p->basis[(size_t)i * k + j] = cov[(size_t)j * dim + i];
out:
    free(cov);
    free(sum);
    free(e);
    free(xd);
    free(nz);
    if (rc) ae_pca_free(p);
    return rc;
}

int ae_pca_error(ae_pca *p, const ae_dataset *d, int k, double *per_item) {
    if (!p || !p->basis) return ae_fail(AE_ERR_ARG, "PCA: not fitted");
    if (k < 1 || k > p->k) return ae_fail(AE_ERR_ARG, "PCA: k = %d components; this fit has 1 to %d", k, p->k);
    if (!d || !ae_dataset_loaded(d) || d->n < 1) return ae_fail(AE_ERR_ARG, "PCA: the dataset is empty");
    const int dim = p->dim, K = p->k;
    if (ae_dataset_dim(d) != dim) return ae_fail(AE_ERR_ARG, "PCA: the items have %d values; the fit's have %d", ae_dataset_dim(d), dim);
    double total = 0.0, *c = p->code;
    for (int first = 0; first < d->n; first += PCA_CHUNK) {
        const int B = d->n - first < PCA_CHUNK ? d->n - first : PCA_CHUNK;
        ae_dataset_batch(d, NULL, first, B, p->chunk);
        for (int b = 0; b < B; b++) {
            const float *x = p->chunk + (size_t)b * dim;
            /* c = Uᵀ (x − μ) (k); x̂ = μ + U c; error Σ_i (x_i − x̂_i)² */
            for (int j = 0; j < k; j++) c[j] = 0.0;
            for (int i = 0; i < dim; i++) {
                const double xc = x[i] - p->mean[i];
                const double *u = p->basis + (size_t)i * K;
                for (int j = 0; j < k; j++) c[j] += u[j] * xc;
            }
            double err = 0.0;
            for (int i = 0; i < dim; i++) {
                const double *u = p->basis + (size_t)i * K;
                double r = p->mean[i];
                for (int j = 0; j < k; j++) r += u[j] * c[j];
                const double diff = x[i] - r;
                err += diff * diff;
            }
            total += err;
        }
    }
    *per_item = total / d->n;
    return AE_OK;
}

/* Orthonormal rows q (k, dim) spanning the columns of a (dim, k): modified Gram-Schmidt, each vector
 * projected out twice (once is not enough when columns are nearly parallel). AE_ERR_ARG if a column is
 * (within rounding) a combination of the ones before it. */
static int orthonormalise(const double *a, int dim, int k, double *q, const char *which) {
    for (int j = 0; j < k; j++) {
        double *v = q + (size_t)j * dim, n0 = 0.0;
        for (int i = 0; i < dim; i++) { v[i] = a[(size_t)i * k + j]; n0 += v[i] * v[i]; }
        if (!isfinite(n0)) return ae_fail(AE_ERR_ARG, "principal angles: column %d of the %s basis is not finite", j, which);
        for (int pass = 0; pass < 2; pass++)
            for (int p = 0; p < j; p++) {
                const double *u = q + (size_t)p * dim;
                double dot = 0.0;
                for (int i = 0; i < dim; i++) dot += u[i] * v[i];
                for (int i = 0; i < dim; i++) v[i] -= dot * u[i];
            }
        double n1 = 0.0;
        for (int i = 0; i < dim; i++) n1 += v[i] * v[i];
        if (!(n1 > 1e-20 * n0))
            return ae_fail(AE_ERR_ARG, "principal angles: column %d of the %s basis is zero or a combination of the columns before it", j, which);
        const double s = 1.0 / sqrt(n1);
        for (int i = 0; i < dim; i++) v[i] *= s;
    }
    return AE_OK;
}

int ae_subspace_cosines(const double *a, const double *b, int dim, int k, double *cos) {
    if (!a || !b || !cos) return ae_fail(AE_ERR_ARG, "principal angles: no basis given");
    if (dim < 1 || k < 1 || k > dim) return ae_fail(AE_ERR_ARG, "principal angles: k = %d columns in R^%d; k must be 1 to %d", k, dim, dim < 1 ? 1 : dim);
    if ((uint64_t)dim * k * sizeof(double) > AE_ADDRESSABLE) return ae_fail(AE_ERR_NOMEM, "principal angles: %d×%d bases are too large", dim, k);
    double *qa = malloc((size_t)dim * k * sizeof(double)), *qb = malloc((size_t)dim * k * sizeof(double));
    double *g = malloc((size_t)k * k * sizeof(double)), *m = malloc((size_t)k * k * sizeof(double)), *e = malloc((size_t)k * sizeof(double));
    int rc = AE_OK;
    if (!qa || !qb || !g || !m || !e) { rc = ae_fail(AE_ERR_NOMEM, "principal angles: out of memory"); goto out; }
    if ((rc = orthonormalise(a, dim, k, qa, "first")) || (rc = orthonormalise(b, dim, k, qb, "second"))) goto out;
    /* M = Q_a Q_bᵀ (k, k); the cosines are its singular values: the square roots of the eigenvalues of MᵀM */
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            double s = 0.0;
            for (int t = 0; t < dim; t++) s += qa[(size_t)i * dim + t] * qb[(size_t)j * dim + t];
            m[(size_t)i * k + j] = s;
        }
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            double s = 0.0;
            for (int t = 0; t < k; t++) s += m[(size_t)t * k + i] * m[(size_t)t * k + j];
            g[(size_t)i * k + j] = s;
        }
    if ((rc = sym_eigen(g, k, cos, e))) goto out;
    for (int j = 0; j < k; j++) cos[j] = cos[j] <= 0.0 ? 0.0 : cos[j] >= 1.0 ? 1.0 : sqrt(cos[j]);
out:
    free(qa);
    free(qb);
    free(g);
    free(m);
    free(e);
    return rc;
}
