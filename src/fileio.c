/* Whole-file reads and writes for the native build (model files, PNGs). In wasm, JS owns the files and
 * hands the core memory buffers instead. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ae_write_file(const char *path, const uint8_t *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return ae_fail(AE_ERR_IO, "cannot write '%s'", path);
    size_t k = fwrite(buf, 1, len, f);
    if (fclose(f) != 0 || k != len) return ae_fail(AE_ERR_IO, "writing '%s' failed (disk full?)", path);
    return AE_OK;
}

int ae_read_file(const char *path, uint8_t **out, size_t *len, size_t max_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return ae_fail(AE_ERR_IO, "cannot open '%s'", path);
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) { fclose(f); return ae_fail(AE_ERR_NOMEM, "out of memory reading '%s'", path); }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (n > max_len) { free(buf); fclose(f); return ae_fail(AE_ERR_FORMAT, "'%s' is larger than %zu bytes", path, max_len); }
        if (k == 0) break;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return ae_fail(AE_ERR_IO, "reading '%s' failed", path); }
    *out = buf;
    *len = n;
    return AE_OK;
}
