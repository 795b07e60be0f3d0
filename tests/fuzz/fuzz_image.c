/* libFuzzer target: a picture from memory (ae_image_gray), as the CLI's --pictures and the page's Data panel
 * get it from a user: any bytes are refused with a message or become exactly one grey item, and a header
 * that claims a giant picture allocates nothing (the target's -malloc_limit_mb catches any that would). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t out[12 * 20 + 1];
    out[12 * 20] = 0x5A; /* one byte past the item: must survive */
    ae_clear_error();
    int rc = ae_image_gray(data, size, 12, 20, out);
    fuzz_check_rc(rc, "ae_image_gray");
    FUZZ_ASSERT(out[12 * 20] == 0x5A, "wrote past the item");
    return 0;
}
