/* Minimal test harness: CHECK counts and reports, the program's exit status is the verdict. */
#ifndef AE_CHECK_H
#define AE_CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_pass, check_fail;

#define CHECK(cond, ...)                                                             \
    do {                                                                             \
        if (cond) check_pass++;                                                      \
        else {                                                                       \
            check_fail++;                                                            \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
        }                                                                            \
    } while (0)

static int check_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
    return check_fail != 0;
}

/* Data paths relative to the repository root, where make runs the tests. */
#define MNIST_TRAIN_IMAGES "data/train-images-idx3-ubyte.gz"
#define MNIST_TRAIN_LABELS "data/train-labels-idx1-ubyte.gz"
#define MNIST_TEST_IMAGES "data/t10k-images-idx3-ubyte.gz"
#define MNIST_TEST_LABELS "data/t10k-labels-idx1-ubyte.gz"
#endif
