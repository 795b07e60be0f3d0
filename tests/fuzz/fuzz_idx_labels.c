/* libFuzzer target: an IDX label file from memory (ae_idx_labels_mem). Labels load after images and must
 * match their count, so the target first builds an image set of 1×1 images whose count is the one the
 * label header claims (when that count could fit in the input), letting the fuzzer past the count check
 * to the labels themselves. An accepted file must give one label per image, each below n_classes (one more
 * than the largest label), and no more of those classes may be empty than are used. */
#include "fuzz.h"

static ae_dataset images(uint32_t n) {
    uint8_t *buf = calloc(1, 16 + (size_t)n);
    FUZZ_ASSERT(buf, "out of memory");
    uint8_t hdr[16] = {0, 0, 8, 3, n >> 24, n >> 16, n >> 8, n, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(buf, hdr, 16);
    ae_dataset d;
    FUZZ_ASSERT(ae_idx_images_mem(&d, buf, 16 + (size_t)n) == AE_OK, "%u 1x1 images: %s", n, ae_last_error());
    free(buf);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ae_dataset d = {0};
    ae_clear_error();
    FUZZ_ASSERT(ae_idx_labels_mem(&d, data, size) == AE_ERR_ARG, "labels without images must be refused");

    uint32_t n = size >= 8 ? (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 | data[7] : 1;
    d = images(n >= 1 && n <= size ? n : 1);
    ae_clear_error();
    int rc = ae_idx_labels_mem(&d, data, size);
    fuzz_check_rc(rc, "ae_idx_labels_mem");
    if (rc) {
        FUZZ_ASSERT(!d.labels && d.n_classes == 0, "a refused label file changed the dataset");
    } else {
        FUZZ_ASSERT(d.labels && d.n_classes >= 1 && (size_t)d.n <= size && !memcmp(d.labels, data + size - (size_t)d.n, (size_t)d.n),
                    "labels are not the file's last n bytes");
        int seen[256] = {0};
        for (int i = 0; i < d.n; i++) {
            FUZZ_ASSERT(d.labels[i] < d.n_classes, "label %d of item %d >= %d classes", d.labels[i], i, d.n_classes);
            seen[d.labels[i]] = 1;
        }
        int used = 0;
        for (int c = 0; c < d.n_classes; c++) used += seen[c];
        FUZZ_ASSERT(seen[d.n_classes - 1] && d.n_classes - used <= used, "%d of %d classes have no item", d.n_classes - used, d.n_classes);
        float *onehot = malloc((size_t)d.n_classes * sizeof *onehot);
        FUZZ_ASSERT(onehot, "out of memory");
        for (int i = 0; i < d.n; i++) ae_dataset_onehot(&d, NULL, i, 1, d.n_classes, onehot);
        free(onehot);
    }
    ae_dataset_free(&d);
    return 0;
}
