/* libFuzzer target: an IDX image file from memory (ae_idx_images_mem), as the page and the CLI get it from
 * a user. An accepted file must hold exactly n·rows·cols pixel bytes after its header, and the dataset
 * built from it must batch and split without reading outside what was copied. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ae_dataset d;
    ae_clear_error();
    int rc = ae_idx_images_mem(&d, data, size);
    fuzz_check_rc(rc, "ae_idx_images_mem");
    if (rc) {
        FUZZ_ASSERT(!d.pixels && !d.labels && d.n == 0, "a refused file left a dataset behind");
        return 0;
    }
    size_t dim = (size_t)ae_dataset_dim(&d), total = (size_t)d.n * dim;
    FUZZ_ASSERT(d.n >= 1 && d.rows >= 1 && d.cols >= 1 && !d.labels, "accepted n=%d rows=%d cols=%d", d.n, d.rows, d.cols);
    FUZZ_ASSERT(total <= size && !memcmp(d.pixels, data + size - total, total), "pixels are not the file's last n*dim bytes");
    /* every row as floats x/255 (B=1 keeps the buffer at one image; the whole file is at most -max_len bytes) */
    float *row = malloc(dim * sizeof *row);
    FUZZ_ASSERT(row, "out of memory");
    for (int i = 0; i < d.n; i++) {
        ae_dataset_batch(&d, NULL, i, 1, row);
        FUZZ_ASSERT(row[dim - 1] == (float)d.pixels[(size_t)i * dim + dim - 1] * (1.0f / 255.0f), "batch row %d", i);
    }
    free(row);
    if (d.n >= 2) {
        ae_dataset tail;
        int keep = d.n / 2, n = d.n;
        ae_clear_error();
        rc = ae_dataset_split(&d, keep, &tail);
        fuzz_check_rc(rc, "ae_dataset_split");
        if (!rc) {
            FUZZ_ASSERT(d.n == keep && tail.n == n - keep && !memcmp(tail.pixels, data + size - total + (size_t)keep * dim, (size_t)tail.n * dim),
                        "split %d at %d", n, keep);
            ae_dataset_free(&tail);
        }
    }
    ae_dataset_free(&d);
    return 0;
}
