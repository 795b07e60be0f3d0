/* Four-lane float math for the hot elementwise loops: the sigmoid of every output pixel and the log in
 * binary cross-entropy, 200,000 of each per step at batch 256.
 *
 * GCC/Clang vector extensions: SSE natively, WASM SIMD128 with -msimd128, scalar code in the wasm build
 * without it. Only IEEE basic operations (+ - * /, compares, integer bit moves), no fused multiply-add
 * (-ffp-contract=off) and no libm, so every build gives the same bits for the same input, and a value
 * gets the same result in whichever lane it lands.
 *
 * exp and log are Cephes' single-precision polynomials (S. Moshier, Cephes Math Library: expf.c, logf.c),
 * about 1 ulp. The plain-C references they are tested against are ae_expf/ae_logf (src/mathfn.c), which
 * evaluate in double. */
#ifndef AE_VECMATH_H
#define AE_VECMATH_H
#include <stdint.h>
#include <string.h>

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef double v2d __attribute__((vector_size(16)));

static inline v4f v4_load(const float *p) { v4f v; memcpy(&v, p, sizeof v); return v; }
static inline void v4_store(float *p, v4f v) { memcpy(p, &v, sizeof v); }
static inline v4f v4_splat(float x) { return (v4f){x, x, x, x}; }
/* m: lanes all-ones where true (the result of a vector compare) */
static inline v4f v4_select(v4i m, v4f a, v4f b) { return (v4f)((m & (v4i)a) | (~m & (v4i)b)); }

/* Correctly rounded square root in every lane (IEEE, so the same bits everywhere). */
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
static inline v4f v4_sqrt(v4f x) { return (v4f)wasm_f32x4_sqrt((v128_t)x); }
#elif defined(__SSE__)
#include <xmmintrin.h>
static inline v4f v4_sqrt(v4f x) { return (v4f)_mm_sqrt_ps((__m128)x); }
#else
static inline v4f v4_sqrt(v4f x) { return (v4f){__builtin_sqrtf(x[0]), __builtin_sqrtf(x[1]), __builtin_sqrtf(x[2]), __builtin_sqrtf(x[3])}; }
#endif

/* e^x for x <= 0. x = n ln2 + r, n = round(x log2 e) (by the 1.5·2^23 trick, exact in IEEE round-to-
 * nearest), |r| <= ln2/2; e^r = 1 + r + r²·P(r); 2^n put in the exponent bits. Below -87 (where 2^n
 * would leave the normal range) the result is 0. */
static inline v4f v4_exp_neg(v4f x) {
    const v4f magic = v4_splat(12582912.0f);
    v4i under = x < v4_splat(-87.0f);
    x = v4_select(under, v4_splat(-87.0f), x);
    v4f n = (x * v4_splat(1.44269504088896341f) + magic) - magic;
    v4f r = x - n * v4_splat(0.693359375f);
    r = r - n * v4_splat(-2.12194440e-4f);
    v4f p = v4_splat(1.9875691500e-4f);
    p = p * r + v4_splat(1.3981999507e-3f);
    p = p * r + v4_splat(8.3334519073e-3f);
    p = p * r + v4_splat(4.1665795894e-2f);
    p = p * r + v4_splat(1.6666665459e-1f);
    p = p * r + v4_splat(5.0000001201e-1f);
    p = p * (r * r) + r + v4_splat(1.0f);
    v4i ni = __builtin_convertvector(n, v4i);
    v4f scale = (v4f)((ni + 127) << 23);
    return v4_select(under, v4_splat(0.0f), p * scale);
}

/* 1/(1+e^-x), from e = e^-|x| so nothing overflows: 1/(1+e) for x >= 0, e/(1+e) below. */
static inline v4f v4_sigmoid(v4f x) {
    v4i neg = x < v4_splat(0.0f);
    v4f e = v4_exp_neg(v4_select(neg, x, -x));
    v4f d = v4_splat(1.0f) + e;
    return v4_select(neg, e / d, v4_splat(1.0f) / d);
}

/* log x for positive normal x: x = 2^e m, m in [sqrt(1/2), sqrt(2)), log m = f - f²/2 + f³ Q(f), f = m-1. */
static inline v4f v4_log(v4f x) {
    v4i bits = (v4i)x;
    v4i e = ((bits >> 23) & 0xff) - 126;
    v4f m = (v4f)((bits & 0x007fffff) | 0x3f000000); /* in [0.5, 1) */
    v4i small = m < v4_splat(0.707106781186547524f);
    e = e + small; /* true lanes are -1 */
    v4f f = v4_select(small, m + m, m) - v4_splat(1.0f); /* exact: Sterbenz */
    v4f z = f * f;
    v4f q = v4_splat(7.0376836292e-2f);
    q = q * f + v4_splat(-1.1514610310e-1f);
    q = q * f + v4_splat(1.1676998740e-1f);
    q = q * f + v4_splat(-1.2420140846e-1f);
    q = q * f + v4_splat(1.4249322787e-1f);
    q = q * f + v4_splat(-1.6668057665e-1f);
    q = q * f + v4_splat(2.0000714765e-1f);
    q = q * f + v4_splat(-2.4999993993e-1f);
    q = q * f + v4_splat(3.3333331174e-1f);
    v4f fe = __builtin_convertvector(e, v4f);
    v4f y = q * f * z;
    y = y + fe * v4_splat(-2.12194440e-4f);
    y = y - v4_splat(0.5f) * z;
    return f + y + fe * v4_splat(0.693359375f);
}

/* Runs of floats copied, zeroed and summed four at a time with short scalar tails, inline: clang turns a
 * plain copy loop into a call to memcpy, which in Emscripten's wasm leaves for JavaScript
 * (emscripten_memcpy_big, a typed array's copyWithin) from 512 bytes on, and a padded image row, a pooled
 * row or an upsampled row takes longer to call out for than to copy. NO_LIBCALLS tells clang not to form
 * those calls. A function that calls copy_run or zero_run must carry NO_LIBCALLS too: clang does not inline
 * a function with builtins turned off into one without, and each row would then cost a call
 * (tests/node/kernels.test.mjs checks pooling's and upsampling's). */
#if defined(__clang__)
#define NO_LIBCALLS __attribute__((no_builtin("memcpy", "memset")))
#else
#define NO_LIBCALLS
#endif

NO_LIBCALLS static inline void copy_run(float *restrict d, const float *restrict s, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) v4_store(d + i, v4_load(s + i));
    if (i < n) d[i] = s[i];
    if (i + 1 < n) d[i + 1] = s[i + 1];
    if (i + 2 < n) d[i + 2] = s[i + 2];
}

NO_LIBCALLS static inline void zero_run(float *d, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) v4_store(d + i, v4_splat(0.0f));
    for (; i < n; i++) d[i] = 0.0f;
}

/* d[i] += s[i]: each element on its own, so vector lanes and the scalar tail give the same bits */
static inline void add_run(float *restrict d, const float *restrict s, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) v4_store(d + i, v4_load(d + i) + v4_load(s + i));
    for (; i < n; i++) d[i] += s[i];
}

#endif
