/* PNG grids decode back (with stb_image, used by this test only) to exactly the pixels written. */
#include "aelab.h"
#include "check.h"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb_image.h>

int main(void) {
    enum { N = 5, H = 3, W = 4 };
    float tiles[N * H * W];
    for (int i = 0; i < N * H * W; i++) tiles[i] = (float)(i % 17) / 16.0f;
    tiles[0] = -1.0f; tiles[1] = 2.0f; /* clipped to 0 and 1 */
    uint8_t *png;
    size_t len;
    CHECK(ae_png_grid(tiles, N, H, W, 3, 2, &png, &len) == AE_OK, "%s", ae_last_error());
    int w, h, c;
    uint8_t *img = stbi_load_from_memory(png, (int)len, &w, &h, &c, 1);
    CHECK(img != NULL, "PNG does not decode: %s", stbi_failure_reason());
    /* 3 columns, 2 rows of 4x3 tiles at scale 2 with 1-pixel gaps: (3·(8+1)+1) x (2·(6+1)+1) */
    CHECK(w == 28 && h == 15, "size %dx%d", w, h);
    int bad = 0;
    for (int t = 0; t < N && img; t++)
        for (int y = 0; y < H * 2; y++)
            for (int x = 0; x < W * 2; x++) {
                float v = tiles[t * H * W + (y / 2) * W + x / 2];
                v = v < 0 ? 0 : v > 1 ? 1 : v;
                int want = (int)(v * 255.0f + 0.5f);
                int px = img[(1 + (t / 3) * 7 + y) * w + 1 + (t % 3) * 9 + x];
                bad += px != want;
            }
    CHECK(bad == 0, "%d pixels differ from what was written", bad);
    CHECK(img && img[0] == 128, "gap colour");
    stbi_image_free(img);
    free(png);

    /* filters: each row of W normalised to its own range, so min -> 0 and max -> 255 */
    ae_arch a;
    ae_model m;
    ae_arch_parse(&a, "12-2-12", "relu", NULL, "sigmoid", "bce");
    ae_model_init(&m, &a, 1, 1);
    CHECK(ae_png_filters(&m, 3, 4, 2, 1, &png, &len) == AE_OK, "%s", ae_last_error());
    img = stbi_load_from_memory(png, (int)len, &w, &h, &c, 1);
    int mn = 255, mx = 0;
    for (int y = 1; y < 4; y++) for (int x = 1; x < 5; x++) { mn = img[y * w + x] < mn ? img[y * w + x] : mn; mx = img[y * w + x] > mx ? img[y * w + x] : mx; }
    CHECK(img && mn == 0 && mx == 255, "filter normalisation %d..%d", mn, mx);
    stbi_image_free(img);
    free(png);
    CHECK(ae_png_filters(&m, 5, 5, 2, 1, &png, &len) == AE_ERR_ARG, "filter shape mismatch is an error");
    CHECK(ae_png_grid(tiles, 0, H, W, 3, 2, &png, &len) == AE_ERR_ARG, "empty grid is an error");
    /* 65535 columns of 4096·16+1 pixels: 2^32 - 1 + 1 wide, which a 32-bit size_t (wasm) wrapped to 0.
     * Refused before a tile is read. */
    CHECK(ae_png_grid(tiles, 65535, 1, 4096, 65535, 16, &png, &len) == AE_ERR_ARG && strstr(ae_last_error(), "4294967296x18 pixels is too large"),
          "grid width past 32 bits: %s", ae_last_error());
    CHECK(ae_png_filters(&m, 65536, 65536, 2, 1, &png, &len) == AE_ERR_ARG, "filters of 65536x65536 (h·w past int)");
    ae_model_free(&m);

    /* conv first layer, W (3, 2, 2, 2): one 2×2 tile per (output o, input c) pair, tile o·2 + c in 4 columns
     * at scale 3, so (4·(6+1)+1) × (2·(6+1)+1). Weight (o, ky, kx, c) set to a distinct ramp per tile whose
     * order says where each weight lands: value ky·2 + kx (+ a per-tile offset that normalisation removes),
     * except tile (1, 0), which is reversed. h and w (28×28, the input) are ignored. */
    CHECK(ae_arch_parse(&a, "2x5x5-conv3k2-50", NULL, NULL, NULL, "mse") == AE_OK, "%s", ae_last_error());
    CHECK(ae_model_init(&m, &a, 1, 1) == AE_OK, "%s", ae_last_error());
    const ae_tensor_info *ti = &m.tensor[0][0];
    CHECK(ti->ndim == 4 && ti->dims[0] == 3 && ti->dims[1] == 2 && ti->dims[2] == 2 && ti->dims[3] == 2, "conv weight dims");
    float *cw = ae_model_tensor(&m, 0, 0);
    for (int o = 0; o < 3; o++)
        for (int k = 0; k < 4; k++)
            for (int ci = 0; ci < 2; ci++) {
                const int t = o * 2 + ci;
                cw[(o * 4 + k) * 2 + ci] = (float)(10 * t + (t == 2 ? 3 - k : k));
            }
    png = NULL;
    int ok = ae_png_filters(&m, 28, 28, 4, 3, &png, &len) == AE_OK;
    CHECK(ok, "%s", ae_last_error());
    img = ok ? stbi_load_from_memory(png, (int)len, &w, &h, &c, 1) : NULL;
    CHECK(img && w == 29 && h == 15, "conv filters image %dx%d", w, h);
    bad = 0;
    for (int t = 0; t < 6 && img && w == 29 && h == 15; t++)
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++) {
                const int k = (y / 3) * 2 + x / 3, v = t == 2 ? 3 - k : k;
                bad += img[(1 + (t / 4) * 7 + y) * w + 1 + (t % 4) * 7 + x] != (int)((float)v / 3.0f * 255.0f + 0.5f);
            }
    CHECK(bad == 0, "conv kernels: %d pixels not where W (C_out, K, K, C_in) puts them", bad);
    CHECK(img && img[14 * w + 28] == 128 && img[(1 + 7 + 2) * w + 1 + 3 * 7 + 2] == 128, "gaps and the empty cells of tiles 6, 7 stay grey");
    stbi_image_free(img);
    free(png);
    ae_model_free(&m);

    /* W3's first layer: 16 kernels of 3×3 over one channel, 16 columns at scale 8: 16·25+1 × 25+1 */
    CHECK(ae_arch_parse(&a, "1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3",
                        NULL, NULL, NULL, "bce") == AE_OK, "%s", ae_last_error());
    CHECK(ae_model_init(&m, &a, 1, 1) == AE_OK, "%s", ae_last_error());
    png = NULL;
    ok = ae_png_filters(&m, 28, 28, 16, 8, &png, &len) == AE_OK;
    CHECK(ok, "%s", ae_last_error());
    img = ok ? stbi_load_from_memory(png, (int)len, &w, &h, &c, 1) : NULL;
    CHECK(img && w == 16 * 25 + 1 && h == 26, "W3 filters image %dx%d", w, h);
    for (int t = 0; t < 16 && img && w == 401; t++) { /* each tile stretched to its own range */
        mn = 255, mx = 0;
        for (int y = 1; y < 25; y++)
            for (int x = 1 + t * 25; x < 25 + t * 25; x++) { mn = img[y * w + x] < mn ? img[y * w + x] : mn; mx = img[y * w + x] > mx ? img[y * w + x] : mx; }
        CHECK(mn == 0 && mx == 255, "kernel %d spans %d..%d", t, mn, mx);
    }
    stbi_image_free(img);
    free(png);
    ae_model_free(&m);

    /* a first layer other than dense or conv is refused, saying what it is */
    static const char *unfiltered[][2] = {{"1x8x8-pool2-64", "pool"}, {"1x8x8-up2-64", "up"}, {"1x8x8-8x8-64", "reshape"}, {"1x8x8-convt2k3-64", "convt"}};
    for (int i = 0; i < 4; i++) {
        CHECK(ae_arch_parse(&a, unfiltered[i][0], NULL, NULL, NULL, "mse") == AE_OK, "%s: %s", unfiltered[i][0], ae_last_error());
        CHECK(ae_model_init(&m, &a, 1, 1) == AE_OK, "%s", ae_last_error());
        char want[64];
        snprintf(want, sizeof want, "starts with a %s layer", unfiltered[i][1]);
        CHECK(ae_png_filters(&m, 8, 8, 4, 2, &png, &len) == AE_ERR_ARG && strstr(ae_last_error(), want), "%s: %s", unfiltered[i][0],
              ae_last_error());
        ae_model_free(&m);
    }
    return check_report("test_png");
}
