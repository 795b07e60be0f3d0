/* Writes the fuzzers' starting corpora into <dir>/<target>/: small valid inputs made by the engine itself
 * (IDX files, gzip-compressed IDX, saved models, link fields), so the seeds follow the formats as they
 * change. Run by `make fuzz` and `make test-fuzz`; what the fuzzers find grows build/fuzz/corpus/. */
#include "aelab.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <stb_image_write.h> /* the library's own copy (src/png.c compiles it) */

static const char *root;

static void put(const char *target, const char *name, const void *buf, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, target);
    mkdir(root, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    if (ae_write_file(path, buf, len)) { fprintf(stderr, "seeds: %s\n", ae_last_error()); exit(1); }
}

static void put_gz(const char *target, const char *name, const void *buf, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    gzFile f = gzopen(path, "wb9");
    if (!f || gzwrite(f, buf, (unsigned)len) != (int)len || gzclose(f) != Z_OK) { fprintf(stderr, "seeds: cannot write %s\n", path); exit(1); }
}

/* stb_image_write's output, collected in memory */
static uint8_t pic[8192];
static size_t pic_w;
static void pic_put(void *ctx, void *data, int size) {
    (void)ctx;
    if (pic_w + (size_t)size > sizeof pic) { fprintf(stderr, "seeds: picture too large\n"); exit(1); }
    memcpy(pic + pic_w, data, (size_t)size);
    pic_w += (size_t)size;
}

/* IDX: 00 00 08 nd, nd big-endian dimensions, then the bytes. Returns the length. */
static size_t idx(uint8_t *b, int nd, const uint32_t *dims) {
    size_t n = 1, o = 4 + 4 * (size_t)nd;
    b[0] = 0; b[1] = 0; b[2] = 8; b[3] = (uint8_t)nd;
    for (int i = 0; i < nd; i++) {
        for (int k = 0; k < 4; k++) b[4 + 4 * i + k] = (uint8_t)(dims[i] >> (24 - 8 * k));
        n *= dims[i];
    }
    for (size_t i = 0; i < n; i++) b[o + i] = (uint8_t)(i * 37);
    return o + n;
}

/* A saved model; floats marks it as trained on float data (the "input" metadata). */
static void model(const char *name, const char *sizes, const char *hidden, const char *output, const char *loss, int floats) {
    ae_arch a;
    ae_model m;
    uint8_t *buf;
    size_t len;
    if (ae_arch_parse(&a, sizes, hidden, NULL, output, loss) || ae_model_init(&m, &a, 1, 7)) {
        fprintf(stderr, "seeds: model %s: %s\n", sizes, ae_last_error());
        exit(1);
    }
    m.data_floats = floats;
    if (ae_model_save_mem(&m, &buf, &len)) { fprintf(stderr, "seeds: model %s: %s\n", sizes, ae_last_error()); exit(1); }
    put("model", name, buf, len);
    free(buf);
    ae_model_free(&m);
}

/* A format-version-1 file as aelab 0.1 wrote it (dense only: sizes, code, activations, loss, init), which
 * still loads: widths w[0..L], the code index, activations "a,b,..", then L layers of weight and bias. */
static void model_v1(const char *name, const int *w, int L, const char *code, const char *acts, const char *loss) {
    char hdr[2048], sizes[128];
    int k = 0, s = 0;
    size_t off = 0;
    for (int i = 0; i <= L; i++) s += snprintf(sizes + s, sizeof sizes - s, "%s%d", i ? "-" : "", w[i]);
    k += snprintf(hdr + k, sizeof hdr - k, "{\"__metadata__\":{\"format\":\"aelab\",\"format_version\":\"1\",\"sizes\":\"%s\",\"code\":\"%s\","
                  "\"activations\":\"%s\",\"loss\":\"%s\",\"init\":\"glorot_uniform\"}", sizes, code, acts, loss);
    for (int l = 0; l < L; l++) {
        k += snprintf(hdr + k, sizeof hdr - k, ",\"layers.%d.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}", l,
                      w[l + 1], w[l], off, off + 4 * (size_t)w[l + 1] * w[l]);
        off += 4 * (size_t)w[l + 1] * w[l];
        k += snprintf(hdr + k, sizeof hdr - k, ",\"layers.%d.bias\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}", l,
                      w[l + 1], off, off + 4 * (size_t)w[l + 1]);
        off += 4 * (size_t)w[l + 1];
    }
    k += snprintf(hdr + k, sizeof hdr - k, "}");
    while (k % 8) hdr[k++] = ' ';
    uint8_t *b = calloc(1, 8 + (size_t)k + off);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)k >> (8 * i));
    memcpy(b + 8, hdr, (size_t)k);
    for (size_t i = 0; i < off / 4; i++) {
        float v = 0.01f * (float)(int)(i % 17) - 0.08f;
        memcpy(b + 8 + k + 4 * i, &v, 4);
    }
    put("model", name, b, 8 + (size_t)k + off);
    free(b);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: seeds DIR\n"); return 2; }
    root = argv[1];
    uint8_t b[256];
    size_t n;
    n = idx(b, 3, (uint32_t[]){3, 2, 2});
    put("idx_images", "3x2x2", b, n);
    put("idx_gzip", "3x2x2-plain", b, n);
    put_gz("idx_gzip", "3x2x2.gz", b, n);
    n = idx(b, 3, (uint32_t[]){2, 4, 5});
    put_gz("idx_gzip", "2x4x5.gz", b, n);
    /* 1 MB of zero pixels in 1 kB: the reader has to grow its buffer past its first 1 MB */
    uint8_t *big = calloc(1, 16 + (1u << 20));
    n = idx(big, 3, (uint32_t[]){1, 1024, 1024});
    memset(big + 16, 0, n - 16);
    put_gz("idx_gzip", "1x1024x1024-zeros.gz", big, n);
    free(big);
    n = idx(b, 2, (uint32_t[]){2, 5});
    put("idx_images", "2x5", b, n);
    n = idx(b, 3, (uint32_t[]){1, 1, 1});
    put("idx_images", "1x1x1", b, n);
    /* labels are classes 0..K-1, each given to some item */
    n = idx(b, 1, (uint32_t[]){3});
    b[n - 3] = 2; b[n - 2] = 0; b[n - 1] = 1;
    put("idx_labels", "3", b, n);
    put_gz("idx_gzip", "labels-3.gz", b, n);
    n = idx(b, 1, (uint32_t[]){12});
    for (int i = 0; i < 12; i++) b[n - 12 + i] = (uint8_t)(i * 7 % 10);
    put("idx_labels", "12", b, n);

    /* pictures: a PNG from the engine's grid writer, grey and colour JPEGs and an RGB PNG from stb_image_write */
    {
        float tile[6 * 5];
        for (int i = 0; i < 30; i++) tile[i] = (float)(i % 7) / 6.0f;
        uint8_t *png = NULL;
        size_t len = 0;
        if (ae_png_grid(tile, 1, 6, 5, 1, 1, &png, &len)) { fprintf(stderr, "seeds: %s\n", ae_last_error()); return 1; }
        put("image", "grid.png", png, len);
        free(png);
        uint8_t px[3 * 8 * 6]; /* 8×6, grey reads the first third */
        for (int i = 0; i < 3 * 8 * 6; i++) px[i] = (uint8_t)(i * 29);
        pic_w = 0;
        stbi_write_jpg_to_func(pic_put, NULL, 8, 6, 1, px, 90); put("image", "grey.jpg", pic, pic_w); pic_w = 0;
        stbi_write_jpg_to_func(pic_put, NULL, 8, 6, 3, px, 90); put("image", "rgb.jpg", pic, pic_w); pic_w = 0;
        stbi_write_png_to_func(pic_put, NULL, 8, 6, 3, px, 0); put("image", "rgb.png", pic, pic_w); pic_w = 0;
    }

    model("4-2-4", "4-2-4", "relu", "sigmoid", "bce", 0);
    model("5-3-2-3-5", "5-3-2-3-5", "tanh", "linear", "mse", 0);
    model("4-3-3-softmax", "4-3-3", "leaky_relu", "softmax", "softmax_ce", 0);
    model("3-2", "3-2", NULL, "sigmoid", "mse", 1);
    model("4x4-*6:tanh-3-16", "4x4-*6:tanh-3-16 init=he_normal", NULL, NULL, NULL, 1);
    model("2x3x2-5-12", "2x3x2-5-12:linear hidden=leaky_relu", NULL, NULL, NULL, 0);
    model_v1("v1-4-3-2-3-4", (const int[]){4, 3, 2, 3, 4}, 4, "2", "relu,linear,tanh,sigmoid", "bce");
    model_v1("v1-3-2-3", (const int[]){3, 2, 3}, 2, "1", "tanh,linear", "mse");

    /* the arch target's fields: spec, hidden, code, output, loss, init, separated by NUL */
    static const char *const links[][6] = {
        {"784-32-784", "relu", "", "sigmoid", "bce", "glorot_uniform"},
        {"784-*1000-784", "tanh", "linear", "sigmoid", "bce", "he_normal"},
        {"784-128-64-32-64-128-784", "leaky_relu", "sigmoid", "linear", "mse", "glorot_normal"},
        {"784-128-10", "relu", "", "softmax", "softmax_ce", "he_uniform"},
        {"2-3-2", "linear", "", "linear", "mse", "he"},
        {"16-8-16,output=linear,code=sigmoid,hidden=tanh", "relu", "", "sigmoid", "mse", "he_uniform"}, /* the spec's keys win */
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char buf[256], name[16];
        size_t k = 0;
        for (int f = 0; f < 6; f++) {
            size_t l = strlen(links[i][f]);
            memcpy(buf + k, links[i][f], l);
            k += l;
            if (f < 5) buf[k++] = 0;
        }
        snprintf(name, sizeof name, "link-%zu", i);
        put("arch", name, buf, k);
    }
    put("arch", "sizes-only", "10000-20-10000", 14);
    /* a spec alone (the other fields NULL): its own keys, image inputs, marked codes, per-layer activations */
    static const char *const specs[] = {
        "28x28-*64:tanh-32-784 loss=mse init=he_normal",
        "1x28x28-256-10:softmax",
        "3x8x8-48-*12:linear-48-192:linear hidden=leaky_relu",
        "784-1048576-784",
        "1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "spec-%zu", i);
        put("arch", name, specs[i], strlen(specs[i]));
    }
    return 0;
}
