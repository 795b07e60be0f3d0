/* IDX files (LeCun's MNIST format): bytes 0-1 zero, byte 2 the element type (0x08 = unsigned byte), byte 3
 * the number of dimensions, then each dimension as a big-endian uint32, then the data row-major.
 * Images are (n, rows, cols) or (n, dim); labels are (n). Everything is checked before it is read. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef __EMSCRIPTEN__
#include <zlib.h>
#endif

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Validate the header; on success dims[0..ndim) and the payload offset are set. */
static int parse_header(const uint8_t *buf, size_t len, const char *what, int want_min, int want_max, uint32_t *dims, int *ndim,
                        size_t *off) {
    if (!buf || len == 0) return ae_fail(AE_ERR_FORMAT, "%s file is empty", what);
    if (len < 4) return ae_fail(AE_ERR_FORMAT, "%s file is truncated: %zu bytes, not even a 4-byte header", what, len);
    if (buf[0] == 0x1f && buf[1] == 0x8b)
        return ae_fail(AE_ERR_FORMAT, "%s file is still gzip-compressed; decompress it first", what);
    if (buf[0] != 0 || buf[1] != 0)
        return ae_fail(AE_ERR_FORMAT, "%s file is not IDX: wrong magic %02x %02x %02x %02x (expected 00 00 08 0%d)", what, buf[0],
                       buf[1], buf[2], buf[3], want_max);
    if (buf[2] != 0x08)
        return ae_fail(AE_ERR_FORMAT, "%s file has element type 0x%02x; only unsigned bytes (0x08) are supported", what, buf[2]);
    int nd = buf[3];
    if (nd < want_min || nd > want_max)
        return ae_fail(AE_ERR_FORMAT, "%s file has %d dimension%s; expected %s", what, nd, nd == 1 ? "" : "s",
                       want_min == want_max ? "1" : "2 or 3 (count, rows, columns)");
    if (len < 4 + 4 * (size_t)nd) return ae_fail(AE_ERR_FORMAT, "%s file is truncated inside its header", what);
    for (int i = 0; i < nd; i++) {
        dims[i] = be32(buf + 4 + 4 * i);
        if (dims[i] == 0) return ae_fail(AE_ERR_FORMAT, "%s file has a zero dimension (dimension %d)", what, i);
    }
    if (dims[0] > AE_MAX_ITEMS) return ae_fail(AE_ERR_FORMAT, "%s file claims %u items; at most %d are supported", what, dims[0], AE_MAX_ITEMS);
    *ndim = nd;
    *off = 4 + 4 * (size_t)nd;
    return AE_OK;
}

int ae_idx_images_mem(ae_dataset *d, const uint8_t *buf, size_t len) {
    memset(d, 0, sizeof *d);
    uint32_t dims[3] = {0, 1, 1};
    int nd;
    size_t off;
    int rc = parse_header(buf, len, "image", 2, 3, dims, &nd, &off);
    if (rc) return rc;
    uint32_t rows = nd == 3 ? dims[1] : 1, cols = nd == 3 ? dims[2] : dims[1];
    /* 64-bit products (n·rows·cols reaches 2^96 from a header; wasm's size_t is 32 bits), compared with the
     * bytes actually there before anything is allocated */
    const uint64_t dim = (uint64_t)rows * cols, total = (uint64_t)dims[0] * dim;
    if (rows > AE_MAX_WIDTH || cols > AE_MAX_WIDTH || dim > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_FORMAT, "image file claims %u×%u images; at most %d pixels per image are supported", rows, cols, AE_MAX_WIDTH);
    if (total > (uint64_t)(len - off))
        return ae_fail(AE_ERR_FORMAT, "image file is truncated: the header promises %u images of %u×%u (%llu bytes) but only %zu bytes follow",
                       dims[0], rows, cols, (unsigned long long)total, len - off);
    if (total < (uint64_t)(len - off))
        return ae_fail(AE_ERR_FORMAT, "image file has %llu bytes after its %u images of %u×%u; it is not a valid IDX file",
                       (unsigned long long)(len - off - total), dims[0], rows, cols);
    d->pixels = malloc((size_t)total); /* total <= len: it fits a size_t */
    if (!d->pixels) return ae_fail(AE_ERR_NOMEM, "out of memory for %llu bytes of images", (unsigned long long)total);
    memcpy(d->pixels, buf + off, (size_t)total);
    d->n = (int)dims[0];
    d->rows = (int)rows;
    d->cols = (int)cols;
    return AE_OK;
}

int ae_idx_labels_mem(ae_dataset *d, const uint8_t *buf, size_t len) {
    if (!ae_dataset_loaded(d)) return ae_fail(AE_ERR_ARG, "load the images (or floats) before the labels");
    uint32_t dims[1];
    int nd;
    size_t off;
    int rc = parse_header(buf, len, "label", 1, 1, dims, &nd, &off);
    if (rc) return rc;
    if (dims[0] > len - off)
        return ae_fail(AE_ERR_FORMAT, "label file is truncated: the header promises %u labels but only %zu bytes follow", dims[0], len - off);
    if (dims[0] < len - off) return ae_fail(AE_ERR_FORMAT, "label file has %zu bytes after its %u labels", len - off - dims[0], dims[0]);
    if ((int)dims[0] != d->n)
        return ae_fail(AE_ERR_FORMAT, "the label file has %u labels but the %s has %d %s", dims[0], d->pixels ? "image file" : "float dataset",
                       d->n, d->pixels ? "images" : "items");
    /* Labels number the classes: K = 1 + the largest label, and one-hot targets are K wide. A label far above
     * the rest (a stray 200 among digits) would make most of those classes empty, so a file in which more
     * classes are missing than present is refused, naming its largest label. A few empty classes are fine:
     * a small test file without a 7, or EMNIST letters, numbered from 1. */
    size_t count[256] = {0}, first_at[256] = {0};
    int mx = 0, present = 0;
    for (size_t i = 0; i < dims[0]; i++) {
        const uint8_t v = buf[off + i];
        if (!count[v]++) { first_at[v] = i; present++; }
        mx = v > mx ? v : mx;
    }
    if (mx + 1 - present > present)
        return ae_fail(AE_ERR_FORMAT, "label file: its largest label, %d (first at item %zu, counting from 0), would make %d classes, "
                       "but only %d of them occur; labels must number the classes from 0 without wide gaps", mx, first_at[mx], mx + 1, present);
    uint8_t *labels = malloc(dims[0]);
    if (!labels) return ae_fail(AE_ERR_NOMEM, "out of memory for labels");
    memcpy(labels, buf + off, dims[0]);
    free(d->labels);
    d->labels = labels;
    d->n_classes = mx + 1;
    return AE_OK;
}

#ifndef __EMSCRIPTEN__
/* Read a whole file through zlib, which inflates gzip and passes plain files through unchanged. */
static int read_maybe_gz(const char *path, uint8_t **out, size_t *len) {
    gzFile f = gzopen(path, "rb");
    if (!f) return ae_fail(AE_ERR_IO, "cannot open '%s'", path);
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) { gzclose(f); return ae_fail(AE_ERR_NOMEM, "out of memory reading '%s'", path); }
        int k = gzread(f, buf + n, (unsigned)(cap - n));
        if (k < 0) {
            int err;
            const char *msg = gzerror(f, &err);
            ae_fail(AE_ERR_FORMAT, "'%s' is corrupt: %s", path, msg);
            free(buf); gzclose(f);
            return AE_ERR_FORMAT;
        }
        if (k == 0) break;
        n += (size_t)k;
        if (n == cap) {
            if (cap >= ((size_t)1 << 31)) { free(buf); gzclose(f); return ae_fail(AE_ERR_FORMAT, "'%s' is larger than 2 GiB", path); }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    gzclose(f);
    *out = buf;
    *len = n;
    return AE_OK;
}

int ae_idx_images_file(ae_dataset *d, const char *path) {
    uint8_t *buf;
    size_t len;
    memset(d, 0, sizeof *d);
    int rc = read_maybe_gz(path, &buf, &len);
    if (rc) return rc;
    rc = ae_idx_images_mem(d, buf, len);
    free(buf);
    if (rc) return ae_fail(rc, "%s: %s", path, ae_last_error());
    return rc;
}

int ae_idx_labels_file(ae_dataset *d, const char *path) {
    uint8_t *buf;
    size_t len;
    int rc = read_maybe_gz(path, &buf, &len);
    if (rc) return rc;
    rc = ae_idx_labels_mem(d, buf, len);
    free(buf);
    if (rc) return ae_fail(rc, "%s: %s", path, ae_last_error());
    return rc;
}
#endif
