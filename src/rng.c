/* PCG32 (O'Neill 2014, pcg32_random_r): 64-bit LCG state, 32-bit xorshift-rotate output. Integer-only,
 * so a seed yields the same stream natively, in Node and in the browser. */
#include "aelab.h"

void ae_rng_seed(ae_rng *r, uint64_t seed, uint64_t stream) {
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    ae_rng_u32(r);
    r->state += seed;
    ae_rng_u32(r);
}

uint32_t ae_rng_u32(ae_rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

/* Lemire-free rejection: draw until below the largest multiple of n, so every residue is equally likely. */
uint32_t ae_rng_below(ae_rng *r, uint32_t n) {
    if (n <= 1) return 0;
    uint32_t threshold = (uint32_t)(-n) % n; /* 2^32 mod n */
    for (;;) {
        uint32_t x = ae_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

float ae_rng_uniform(ae_rng *r) { return (float)(ae_rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

/* Marsaglia polar method: (u,v) uniform in the unit disc, s = u²+v², then u·sqrt(-2 ln s / s) ~ N(0,1).
 * Only +,*,/,sqrt (IEEE-exact) and our own log, so it is reproducible everywhere. The second value of
 * each pair is dropped to keep the generator stateless beyond PCG. */
float ae_rng_normal(ae_rng *r) {
    for (;;) {
        float u = 2.0f * ae_rng_uniform(r) - 1.0f, v = 2.0f * ae_rng_uniform(r) - 1.0f;
        float s = u * u + v * v;
        if (s > 0.0f && s < 1.0f) {
            double f = -2.0 * (double)ae_logf(s) / (double)s;
            return (float)((double)u * __builtin_sqrt(f));
        }
    }
}
