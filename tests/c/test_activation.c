/* The activations' vector loops (src/activation.c) against the scalar definitions, bit for bit, over
 * lengths that end inside and outside a vector and over values whose sign handling differs between a
 * branch and a careless select: -0, +-Inf, NaN, subnormals. */
#include "check.h"
#include "aelab.h"
#include <math.h>
#include <string.h>

static uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }

/* the definitions, one value at a time */
static float ref_f(ae_act a, float z) {
    switch (a) {
    case AE_ACT_RELU: return z > 0.0f ? z : 0.0f;
    case AE_ACT_LEAKY_RELU: return z > 0.0f ? z : 0.01f * z;
    default: return z;
    }
}
static float ref_df(ae_act a, float y, float dy) {
    switch (a) {
    case AE_ACT_RELU: return y > 0.0f ? dy : 0.0f;
    case AE_ACT_LEAKY_RELU: return y > 0.0f ? dy : 0.01f * dy;
    default: return dy;
    }
}

int main(void) {
    const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-40f, -1e-40f, 3.5f, -2.25f, 1e30f, -1e30f};
    const int ns = (int)(sizeof special / sizeof special[0]);
    ae_rng r;
    ae_rng_seed(&r, 5, 1);
    const ae_act acts[] = {AE_ACT_RELU, AE_ACT_LEAKY_RELU};
    for (int ai = 0; ai < 2; ai++)
        for (int n = 0; n <= 37; n++)
            for (int rep = 0; rep < 8; rep++) {
                float z[40], y[40], dy[40], dz[40];
                for (int i = 0; i < n; i++) {
                    z[i] = ae_rng_below(&r, 3) ? 2.0f * ae_rng_uniform(&r) - 1.0f : special[ae_rng_below(&r, (uint32_t)ns)];
                    dy[i] = ae_rng_below(&r, 3) ? 2.0f * ae_rng_uniform(&r) - 1.0f : special[ae_rng_below(&r, (uint32_t)ns)];
                }
                ae_act_forward(acts[ai], z, y, (size_t)n, n ? n : 1);
                int same = 1;
                for (int i = 0; i < n; i++) same &= bits(y[i]) == bits(ref_f(acts[ai], z[i]));
                CHECK(same, "%s forward, n %d: a value differs from the definition", ae_act_name(acts[ai]), n);
                ae_act_backward(acts[ai], y, dy, dz, (size_t)n);
                same = 1;
                for (int i = 0; i < n; i++) same &= bits(dz[i]) == bits(ref_df(acts[ai], y[i], dy[i]));
                CHECK(same, "%s backward, n %d: a value differs from the definition", ae_act_name(acts[ai]), n);
                /* in place, as the model runs it (dz may be dy) */
                float in[40];
                memcpy(in, dy, sizeof in);
                ae_act_backward(acts[ai], y, in, in, (size_t)n);
                CHECK(!memcmp(in, dz, (size_t)n * 4), "%s backward in place, n %d", ae_act_name(acts[ai]), n);
            }
    return check_report("test_activation");
}
