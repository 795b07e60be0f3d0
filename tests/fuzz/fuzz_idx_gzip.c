/* libFuzzer target: an IDX image file read from disk (ae_idx_images_file), the CLI's path, which inflates
 * gzip through zlib (plain files pass through) and then parses the result. The input is the file's bytes,
 * so the fuzzer mutates gzip streams (seeds: small gzip-compressed IDX files) and our read loop has to
 * survive truncated, corrupt, concatenated and highly compressed streams. The file is an in-memory
 * memfd, reached by its /proc path, so the run leaves nothing on disk. */
#define _GNU_SOURCE
#include "fuzz.h"
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fd = memfd_create("aelab-fuzz-idx", 0);
    FUZZ_ASSERT(fd >= 0, "memfd_create failed");
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FUZZ_ASSERT(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == (ssize_t)size, "writing the memfd failed");
    ae_dataset d;
    ae_clear_error();
    int rc = ae_idx_images_file(&d, path);
    fuzz_check_rc(rc, "ae_idx_images_file");
    if (rc) {
        FUZZ_ASSERT(!d.pixels && d.n == 0, "a refused file left a dataset behind");
        return 0;
    }
    FUZZ_ASSERT(d.n >= 1 && d.rows >= 1 && d.cols >= 1, "accepted n=%d rows=%d cols=%d", d.n, d.rows, d.cols);
    /* the same file as labels: always refused (an IDX file is images or labels), through the same reader */
    ae_clear_error();
    rc = ae_idx_labels_file(&d, path);
    fuzz_check_rc(rc, "ae_idx_labels_file");
    FUZZ_ASSERT(rc != AE_OK, "one file accepted as both images and labels");
    ae_dataset_free(&d);
    return 0;
}
