/* The losses against plain scalar references, bit for bit: binary cross-entropy's four-lane loop (terms
 * and dL/dz, at sizes that fill whole vectors and leave tails of 1 to 3, on 1 and 2 threads), MSE, and
 * softmax cross-entropy, which must use aelab's own exp and log (src/mathfn.c) so that every build gets
 * the same bits; and each loss against a double-precision value computed with libm. */
#include "internal.h"
#include "vecmath.h"
#include "check.h"

#define BLOCKS 64 /* src/loss.c: the fixed split of n = B·D values into blocks, summed in order */

static float logv(float x) { return v4_log(v4_splat(x))[0]; } /* one lane of the vector log; lanes are independent */

static float bce_term(float z, float y, float t) {
    return (z > 0.0f ? z : 0.0f) - z * t - logv(y > 1.0f - y ? y : 1.0f - y);
}

/* BCE one value at a time. Within a block, the whole groups of four go to four running sums in double,
 * one per lane, added as (s0 + s1) + (s2 + s3); the rest follow in order; then the block sums in order. */
static double bce_ref(const float *z, const float *y, const float *t, float *dz, size_t n) {
    const size_t per = (n + BLOCKS - 1) / BLOCKS;
    const float scale = 1.0f / (float)n;
    double total = 0.0;
    for (int b = 0; b < BLOCKS; b++) {
        size_t lo = (size_t)b * per, hi = lo + per < n ? lo + per : n;
        if (lo >= hi) continue;
        size_t whole = lo + (hi - lo) / 4 * 4;
        double lane[4] = {0, 0, 0, 0};
        for (size_t i = lo; i < whole; i++) lane[(i - lo) % 4] += bce_term(z[i], y[i], t[i]);
        double sum = (lane[0] + lane[1]) + (lane[2] + lane[3]);
        for (size_t i = whole; i < hi; i++) sum += bce_term(z[i], y[i], t[i]);
        for (size_t i = lo; i < hi; i++) dz[i] = (y[i] - t[i]) * scale;
        total += sum;
    }
    return total / (double)n;
}

/* MSE with a sigmoid output: (1/n) Σ (y - t)², dz = y (1 - y) · 2 (y - t) / n; sums per block in order. */
static double mse_ref(const float *y, const float *t, float *dz, size_t n) {
    const size_t per = (n + BLOCKS - 1) / BLOCKS;
    const float scale = 2.0f / (float)n;
    double total = 0.0;
    for (int b = 0; b < BLOCKS; b++) {
        size_t lo = (size_t)b * per, hi = lo + per < n ? lo + per : n;
        double sum = 0.0;
        for (size_t i = lo; i < hi; i++) { double d = (double)y[i] - t[i]; sum += d * d; }
        for (size_t i = lo; i < hi; i++) dz[i] = y[i] * (1.0f - y[i]) * (scale * (y[i] - t[i]));
        total += sum;
    }
    return total / (double)n;
}

/* Softmax CE with aelab's exp and log: lse = max + log Σ e^{z - max}, the sum in double. */
static double softmax_ce_ref(const float *z, const float *y, const float *t, float *dz, int B, int D) {
    double sum = 0.0;
    for (int r = 0; r < B; r++) {
        const float *zr = z + (size_t)r * D, *tr = t + (size_t)r * D;
        float mx = zr[0];
        double s = 0.0;
        for (int j = 1; j < D; j++) mx = zr[j] > mx ? zr[j] : mx;
        for (int j = 0; j < D; j++) s += ae_expf(zr[j] - mx);
        double lse = (double)mx + ae_logf((float)s);
        for (int j = 0; j < D; j++) sum -= tr[j] * (zr[j] - lse);
        for (int j = 0; j < D; j++) dz[(size_t)r * D + j] = (y[(size_t)r * D + j] - tr[j]) * (1.0f / (float)B);
    }
    return sum / (double)B;
}

int main(void) {
    enum { MAXN = 4099 };
    static float z[MAXN], y[MAXN], t[MAXN], dz[MAXN], dr[MAXN];
    ae_rng g;
    ae_rng_seed(&g, 17, 1);
    for (int i = 0; i < MAXN; i++) {
        z[i] = 12.0f * (ae_rng_uniform(&g) - 0.5f); /* logits in [-6, 6]: both branches of max(y, 1-y) */
        t[i] = (i % 5 == 0) ? (float)(i % 2) : ae_rng_uniform(&g); /* pixel-like targets, some exactly 0 or 1 */
    }
    z[3] = 0.0f; z[10] = -40.0f; z[11] = 40.0f; /* the tie and saturated sigmoids */
    ae_act_forward(AE_ACT_SIGMOID, z, y, MAXN, MAXN);

    /* n from 1 to 4099: blocks of 1 value (all tail), blocks with tails of 1..3 and blocks of whole vectors */
    static const int sizes[] = {1, 3, 7, 64, 65, 190, 255, 256, 257, 258, 259, 784, 1000, 2 * 784 + 3, 4096, 4099};
    for (int th = 1; th <= 2; th++) {
        CHECK(ae_set_threads(th) == AE_OK, "%s", ae_last_error());
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            const int n = sizes[k];
            double got = ae_loss_eval(AE_LOSS_BCE, AE_ACT_SIGMOID, z, y, t, dz, 1, n);
            double want = bce_ref(z, y, t, dr, (size_t)n);
            CHECK(!memcmp(&got, &want, sizeof got), "BCE n=%d on %d thread(s): %.17g, the scalar reference %.17g", n, th, got, want);
            CHECK(!memcmp(dz, dr, (size_t)n * sizeof *dz), "BCE dL/dz n=%d on %d thread(s) differs from the scalar reference", n, th);
            /* the same as a (B, D) batch: only the product B·D matters */
            if (n % 4 == 0) {
                double got2 = ae_loss_eval(AE_LOSS_BCE, AE_ACT_SIGMOID, z, y, t, NULL, 4, n / 4);
                CHECK(!memcmp(&got, &got2, sizeof got), "BCE as (1, %d) and (4, %d)", n, n / 4);
            }
            /* and close to libm in double */
            double truth = 0.0;
            for (int i = 0; i < n; i++) {
                double zd = z[i];
                truth += (zd > 0 ? zd : 0) - zd * t[i] + log1p(exp(-fabs(zd)));
            }
            truth /= n;
            CHECK(fabs(got - truth) <= 1e-6 * truth + 1e-9, "BCE n=%d: %.9g, libm in double %.9g", n, got, truth);

            got = ae_loss_eval(AE_LOSS_MSE, AE_ACT_SIGMOID, z, y, t, dz, 1, n);
            want = mse_ref(y, t, dr, (size_t)n);
            CHECK(!memcmp(&got, &want, sizeof got), "MSE n=%d on %d thread(s): %.17g vs %.17g", n, th, got, want);
            CHECK(!memcmp(dz, dr, (size_t)n * sizeof *dz), "MSE dL/dz n=%d on %d thread(s)", n, th);
        }
    }
    ae_set_threads(1);

    /* softmax CE over 50 rows of 10 classes, one-hot targets, logits wide enough that the max matters */
    enum { B = 50, D = 10 };
    float zs[B * D], ys[B * D], ts[B * D] = {0}, dzs[B * D], drs[B * D];
    for (int i = 0; i < B * D; i++) zs[i] = 30.0f * (ae_rng_uniform(&g) - 0.5f);
    for (int r = 0; r < B; r++) ts[r * D + (r * 7) % D] = 1.0f;
    ae_act_forward(AE_ACT_SOFTMAX, zs, ys, B * D, D);
    double got = ae_loss_eval(AE_LOSS_SOFTMAX_CE, AE_ACT_SOFTMAX, zs, ys, ts, dzs, B, D);
    double want = softmax_ce_ref(zs, ys, ts, drs, B, D);
    CHECK(!memcmp(&got, &want, sizeof got), "softmax CE %.17g, the reference with ae_expf/ae_logf %.17g", got, want);
    CHECK(!memcmp(dzs, drs, sizeof dzs), "softmax CE dL/dz");
    double truth = 0.0;
    for (int r = 0; r < B; r++) {
        double mx = zs[r * D], s = 0.0;
        for (int j = 1; j < D; j++) mx = fmax(mx, zs[r * D + j]);
        for (int j = 0; j < D; j++) s += exp(zs[r * D + j] - mx);
        truth += mx + log(s) - zs[r * D + (r * 7) % D];
    }
    truth /= B;
    CHECK(fabs(got - truth) <= 1e-6 * truth, "softmax CE %.9g, libm in double %.9g", got, truth);
    return check_report("test_loss");
}
