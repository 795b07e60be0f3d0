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
    return check_report("test_png");
}
