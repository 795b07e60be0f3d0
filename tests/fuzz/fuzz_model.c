/* libFuzzer target: a model file from memory (ae_model_load_mem, safetensors with aelab's metadata), as the
 * page gets it from "Load model" and the CLI from --load. An accepted file must give finite parameters and
 * a model that runs forward and saves to a file (format version 2, whichever version it came in) that loads
 * back to the same architecture, input kind and parameter bits. */
#include "fuzz.h"
#include <math.h>

#define MAX_BATCH 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ae_model m, again;
    ae_clear_error();
    int rc = ae_model_load_mem(&m, data, size, MAX_BATCH);
    fuzz_check_rc(rc, "ae_model_load_mem");
    if (rc) {
        FUZZ_ASSERT(!m.mem, "a refused file left a model behind");
        return 0;
    }
    FUZZ_ASSERT(ae_arch_check(&m.arch) == AE_OK, "loaded an invalid architecture: %s", ae_last_error());
    FUZZ_ASSERT(m.n_params * sizeof(float) <= size, "%zu parameters from a %zu-byte file", m.n_params, size);
    for (size_t i = 0; i < m.n_params; i++) FUZZ_ASSERT(isfinite(m.params[i]), "parameter %zu is %g", i, m.params[i]);
    memset(ae_model_input(&m), 0, (size_t)MAX_BATCH * m.arch.sizes[0] * sizeof(float));
    FUZZ_ASSERT(ae_model_forward(&m, MAX_BATCH) == AE_OK, "forward: %s", ae_last_error());

    uint8_t *buf;
    size_t len;
    FUZZ_ASSERT(ae_model_save_mem(&m, &buf, &len) == AE_OK, "save: %s", ae_last_error());
    FUZZ_ASSERT(ae_model_load_mem(&again, buf, len, MAX_BATCH) == AE_OK, "reload of a saved model: %s", ae_last_error());
    FUZZ_ASSERT(!memcmp(&again.arch, &m.arch, sizeof m.arch) && again.n_params == m.n_params && again.data_floats == m.data_floats &&
                    !memcmp(again.params, m.params, m.n_params * sizeof(float)),
                "save/load does not round-trip");
    free(buf);
    ae_model_free(&again);
    ae_model_free(&m);
    return 0;
}
