/* Shared by the libFuzzer targets in tests/fuzz (one file per parser of outside bytes). Besides the
 * sanitizers' own reports (ASan, UBSan, leaks, a malloc past -malloc_limit_mb), a target fails through
 * abort() when the engine breaks its error contract: a refused input must give a negative AE_ERR_* code
 * and a message, and an accepted one must satisfy what the caller relies on. */
#ifndef AE_FUZZ_H
#define AE_FUZZ_H
#include "aelab.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond, ...)                                                     \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "FUZZ %s:%d: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                          \
            fputc('\n', stderr);                                                   \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* rc from a call made after ae_clear_error(): AE_OK, or an error code with a message. */
static inline void fuzz_check_rc(int rc, const char *call) {
    if (rc == AE_OK) return;
    FUZZ_ASSERT(rc == AE_ERR_ARG || rc == AE_ERR_NOMEM || rc == AE_ERR_IO || rc == AE_ERR_FORMAT, "%s returned %d", call, rc);
    FUZZ_ASSERT(strcmp(ae_last_error(), "no error") && ae_last_error()[0], "%s failed (%d) without a message", call, rc);
}
#endif
