/* The corruption step of a denoising autoencoder: the trainer draws new noise for every batch from its
 * own RNG, so each epoch sees each digit corrupted differently while the target stays clean. */
#include "aelab.h"
#include <string.h>

static const char *const names[AE_NOISE_COUNT] = {"none", "gaussian", "mask", "salt_pepper"};
const char *ae_noise_name(ae_noise k) { return (unsigned)k < AE_NOISE_COUNT ? names[k] : "?"; }

int ae_noise_parse(const char *s, ae_noise *out) {
    if (!s) return AE_ERR_ARG;
    if (!strcmp(s, "saltpepper") || !strcmp(s, "salt-pepper") || !strcmp(s, "sp")) { *out = AE_NOISE_SALT_PEPPER; return AE_OK; }
    if (!strcmp(s, "masking")) { *out = AE_NOISE_MASK; return AE_OK; }
    for (int i = 0; i < AE_NOISE_COUNT; i++)
        if (!strcmp(s, names[i])) { *out = (ae_noise)i; return AE_OK; }
    return AE_ERR_ARG;
}

void ae_corrupt(ae_noise kind, float level, ae_rng *r, float *x, size_t n) {
    switch (kind) {
    case AE_NOISE_GAUSSIAN:
        for (size_t i = 0; i < n; i++) {
            float v = x[i] + level * ae_rng_normal(r);
            x[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        }
        break;
    case AE_NOISE_MASK:
        for (size_t i = 0; i < n; i++) if (ae_rng_uniform(r) < level) x[i] = 0.0f;
        break;
    case AE_NOISE_SALT_PEPPER:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = ae_rng_u32(r);
            /* top 24 bits decide whether, the lowest bit which of salt or pepper */
            if ((float)(u >> 8) * (1.0f / 16777216.0f) < level) x[i] = (u & 1) ? 1.0f : 0.0f;
        }
        break;
    default: break;
    }
}
