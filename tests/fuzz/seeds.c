/* Writes the fuzzers' starting corpora into <dir>/<target>/: small valid inputs made by the engine itself
 * (IDX files, gzip-compressed IDX, saved models, link fields), so the seeds follow the formats as they
 * change. Run by `make fuzz` and `make test-fuzz`; what the fuzzers find grows build/fuzz/corpus/. */
#include "aelab.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

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

static void model(const char *name, const char *sizes, const char *hidden, const char *output, const char *loss) {
    ae_arch a;
    ae_model m;
    uint8_t *buf;
    size_t len;
    if (ae_arch_parse(&a, sizes, hidden, NULL, output, loss) || ae_model_init(&m, &a, 1, 7) || ae_model_save_mem(&m, &buf, &len)) {
        fprintf(stderr, "seeds: model %s: %s\n", sizes, ae_last_error());
        exit(1);
    }
    put("model", name, buf, len);
    free(buf);
    ae_model_free(&m);
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

    model("4-2-4", "4-2-4", "relu", "sigmoid", "bce");
    model("5-3-2-3-5", "5-3-2-3-5", "tanh", "linear", "mse");
    model("4-3-3-softmax", "4-3-3", "leaky_relu", "softmax", "softmax_ce");
    model("3-2", "3-2", NULL, "sigmoid", "mse");

    /* link fields: sizes, hidden, code, output, loss, init, separated by NUL */
    static const char *const links[][6] = {
        {"784-32-784", "relu", "", "sigmoid", "bce", "glorot_uniform"},
        {"784-*1000-784", "tanh", "linear", "sigmoid", "bce", "he_normal"},
        {"784-128-64-32-64-128-784", "leaky_relu", "sigmoid", "linear", "mse", "glorot_normal"},
        {"784-128-10", "relu", "", "softmax", "softmax_ce", "he_uniform"},
        {"2-3-2", "linear", "", "linear", "mse", "he"},
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
    return 0;
}
