/* PNG images of digits and filters, encoded with stb_image_write (Debian's libstb-dev) into memory;
 * natively the CLI writes the bytes to a file, in wasm JS turns them into a Blob. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#define STBIW_ASSERT(x) ((void)0)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

typedef struct { uint8_t *buf; size_t len, cap; int failed; } membuf;

static void mem_write(void *ctx, void *data, int size) {
    membuf *m = ctx;
    if (m->failed || size <= 0) return;
    if (m->len + (size_t)size > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4096;
        while (cap < m->len + (size_t)size) cap *= 2;
        uint8_t *nb = realloc(m->buf, cap);
        if (!nb) { m->failed = 1; return; }
        m->buf = nb;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, data, (size_t)size);
    m->len += (size_t)size;
}

static int encode_gray(const uint8_t *img, int W, int H, uint8_t **png, size_t *len) {
    membuf m = {0};
    if (!stbi_write_png_to_func(mem_write, &m, W, H, 1, img, W) || m.failed) {
        free(m.buf);
        return ae_fail(AE_ERR_NOMEM, "PNG encoding failed (out of memory?)");
    }
    *png = m.buf;
    *len = m.len;
    return AE_OK;
}

/* Lay out n tiles (h, w) in a grid with 1-pixel gaps (mid grey), each pixel drawn scale×scale.
 * norm: 0 clips values to [0,1]; 1 stretches each tile's own min..max to 0..255 (for filters). */
static int grid(const float *tiles, int n, int h, int w, int cols, int scale, int norm, uint8_t **png, size_t *len) {
    if (n < 1 || h < 1 || w < 1 || cols < 1 || scale < 1 || scale > 16 || h > 4096 || w > 4096)
        return ae_fail(AE_ERR_ARG, "bad image grid: %d tiles of %d×%d, %d columns, scale %d", n, h, w, cols, scale);
    if (cols > n) cols = n;
    /* in 64 bits: cols·(w·scale+1) reaches 2^47, past wasm's 32-bit size_t. Within 16384², n·h·w is too. */
    const uint64_t rows = ((uint64_t)n + (uint64_t)cols - 1) / (uint64_t)cols;
    const uint64_t W64 = (uint64_t)cols * ((uint64_t)w * scale + 1) + 1, H64 = rows * ((uint64_t)h * scale + 1) + 1;
    if (W64 > 16384 || H64 > 16384)
        return ae_fail(AE_ERR_ARG, "image grid of %llux%llu pixels is too large (at most 16384x16384)", (unsigned long long)W64,
                       (unsigned long long)H64);
    const size_t W = (size_t)W64, H = (size_t)H64;
    uint8_t *img = malloc(W * H);
    if (!img) return ae_fail(AE_ERR_NOMEM, "out of memory for the image grid");
    memset(img, 128, W * H);
    for (int t = 0; t < n; t++) {
        const float *p = tiles + (size_t)t * h * w;
        float lo = 0.0f, hi = 1.0f;
        if (norm) {
            lo = hi = p[0];
            for (int i = 1; i < h * w; i++) { lo = p[i] < lo ? p[i] : lo; hi = p[i] > hi ? p[i] : hi; }
            if (hi <= lo) hi = lo + 1.0f;
        }
        size_t x0 = (size_t)(t % cols) * (w * scale + 1) + 1, y0 = (size_t)(t / cols) * (h * scale + 1) + 1;
        for (int y = 0; y < h * scale; y++)
            for (int x = 0; x < w * scale; x++) {
                float v = (p[(y / scale) * w + x / scale] - lo) / (hi - lo);
                v = v != v ? 0.0f : v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
                img[(y0 + y) * W + x0 + x] = (uint8_t)(v * 255.0f + 0.5f);
            }
    }
    int rc = encode_gray(img, (int)W, (int)H, png, len);
    free(img);
    return rc;
}

int ae_png_grid(const float *tiles, int n, int h, int w, int cols, int scale, uint8_t **png, size_t *len) {
    return grid(tiles, n, h, w, cols, scale, 0, png, len);
}

/* A conv first layer's kernels: W (C_out, K, K, C_in), weight (o, ky, kx, ci) at ((o·K + ky)·K + kx)·C_in + ci.
 * Tile t = o·C_in + ci is the K×K slice of output channel o over input channel ci (strided by C_in in W, so
 * gathered into contiguous tiles first), normalised to its own range as dense filters are. */
static int conv_kernels(const ae_model *m, int cols, int scale, uint8_t **png, size_t *len) {
    const ae_tensor_info *t = &m->tensor[0][0];
    const int co = t->dims[0], K = t->dims[1], ci = t->dims[3];
    const int n = (int64_t)co * ci < 256 ? co * ci : 256; /* the first 256, as for dense filters */
    float *tiles = malloc((size_t)n * K * K * sizeof *tiles);
    if (!tiles) return ae_fail(AE_ERR_NOMEM, "out of memory for the filters image");
    const float *W = m->params + m->t_off[0][0];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K * K; k++) /* k = ky·K + kx */
            tiles[(size_t)i * K * K + k] = W[((size_t)(i / ci) * K * K + k) * ci + i % ci];
    int rc = grid(tiles, n, K, K, cols, scale, 1, png, len);
    free(tiles);
    return rc;
}

int ae_png_filters(const ae_model *m, int h, int w, int cols, int scale, uint8_t **png, size_t *len) {
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    const ae_layer_kind kind = m->arch.layer[0].kind;
    if (kind == AE_LAYER_CONV) return conv_kernels(m, cols, scale, png, len);
    if (kind != AE_LAYER_DENSE)
        return ae_fail(AE_ERR_ARG, "the filters view draws the weights of a dense or conv first layer; this model starts with a %s layer",
                       ae_layer_kind_name(kind));
    if ((int64_t)h * w != m->arch.sizes[0])
        return ae_fail(AE_ERR_ARG, "filters of %d×%d do not match the input width %d", h, w, m->arch.sizes[0]);
    int n = m->arch.sizes[1] < 256 ? m->arch.sizes[1] : 256; /* the first 256 are plenty to look at */
    return grid(m->params + m->t_off[0][0], n, h, w, cols, scale, 1, png, len); /* W (out, in): row j is unit j's filter */
}
