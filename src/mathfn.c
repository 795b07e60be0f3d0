/* exp and log evaluated in double with fixed polynomials, then rounded to float. Every step is an IEEE
 * basic operation, so results are bit-identical under glibc, musl (wasm) and any compiler that does not
 * contract a*b+c (we build with -ffp-contract=off). Accuracy: within 1 ulp of float. They are also the
 * references for the four-lane versions in src/vecmath.h; the sigmoid is the four-lane one on one value. */
#include "aelab.h"
#include "vecmath.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(x) = 2^n · exp(r), n = round(x / ln2), |r| <= ln2/2; exp(r) by its Taylor series to r^13/13!,
 * whose truncation error (0.35^14/14! ~ 4e-18) is far below float precision. */
static double exp_d(double x) {
    double n = __builtin_floor(x * 1.4426950408889634 + 0.5);
    /* ln2 split in two so r = x - n ln2 is computed almost exactly. */
    /* |x| <= 104 here */
    double r = (x - n * 0.6931471803691238) - n * 1.9082149292705877e-10;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* scale by 2^n by building the double's exponent bits (exact; n in [-150, 129] here) */
    int e = (int)n;
    double scale = 1.0;
    uint64_t bits = (uint64_t)(e + 1023) << 52;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

float ae_expf(float x) {
    if (x != x) return x;
    if (x > 88.8f) return INFINITY;
    if (x < -104.0f) return 0.0f;
    return (float)exp_d(x);
}

/* log(x) = e ln2 + log(m), m in [sqrt(1/2), sqrt(2)); log(m) = 2 atanh(s) = 2(s + s³/3 + s⁵/5 + ...),
 * s = (m-1)/(m+1), |s| < 0.172, summed to s^21 (error < 0.172^23/23 ~ 1e-19). */
float ae_logf(float xf) {
    if (xf != xf || xf < 0.0f) return NAN;
    if (xf == 0.0f) return -INFINITY;
    if (xf == INFINITY) return INFINITY;
    double x = xf;
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023; /* float inputs are normal as doubles */
    bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
    double m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double p = 1.0 / 21;
    for (int k = 19; k >= 1; k -= 2) p = p * s2 + 1.0 / k;
    return (float)((double)e * 0.6931471805599453 + 2.0 * s * p);
}

/* The four-lane sigmoid of src/vecmath.h on one value, so the scalar and vector paths agree bit for bit. */
float ae_sigmoidf(float x) {
    v4f r = v4_sigmoid(v4_splat(x));
    return r[0];
}

/* tanh x = sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}), in double so the subtraction near 0 keeps float
 * precision; below 2^-12 the cubic term is under half an ulp and tanh x = x. */
float ae_tanhf(float x) {
    if (x != x) return x; /* NaN (a diverged run, a bad model file): exp_d would convert it to int, which is undefined */
    double ax = x < 0.0f ? -(double)x : (double)x;
    if (ax < 2.44140625e-4) return x;
    if (ax > 20.0) return x < 0.0f ? -1.0f : 1.0f;
    double e = exp_d(-2.0 * ax);
    double t = (1.0 - e) / (1.0 + e);
    return (float)(x < 0.0f ? -t : t);
}
