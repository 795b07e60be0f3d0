/* libFuzzer target: a model spec (the page's field, a shared link, the CLI's --arch, a model file's "spec")
 * with the default fields that ae_arch_parse takes beside it, and the init that the page may set after it.
 * The input is the fields separated by NUL bytes, in the order spec, hidden, code, output, loss, init; a
 * missing field is NULL (the engine's default), as is an empty code field. An accepted architecture must
 * pass ae_arch_check, print (ae_arch_spec) to a spec that parses back to the very same architecture and
 * prints again to the same text, and, when small, build a model that runs forward. */
#include "fuzz.h"

#define MAX_FLOATS (1 << 16) /* models up to this many parameters are built; larger ones only parsed */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1), *field[6] = {0};
    FUZZ_ASSERT(s, "out of memory");
    memcpy(s, data, size);
    s[size] = 0;
    for (size_t i = 0, k = 0; k < 6 && i <= size; k++) {
        field[k] = s + i;
        i += strlen(s + i) + 1;
    }
    ae_arch a, back;
    ae_clear_error();
    int rc = ae_arch_parse(&a, field[0], field[1], field[2] && *field[2] ? field[2] : NULL, field[3], field[4]);
    fuzz_check_rc(rc, "ae_arch_parse");
    if (!rc && field[5] && *field[5]) {
        rc = ae_init_parse(field[5], &a.init);
        FUZZ_ASSERT(rc == AE_OK || rc == AE_ERR_ARG, "ae_init_parse returned %d", rc);
    }
    if (!rc) {
        FUZZ_ASSERT(ae_arch_check(&a) == AE_OK, "parsed an invalid architecture: %s", ae_last_error());
        char str[AE_SPEC_CAP], again[AE_SPEC_CAP], sizes[24];
        FUZZ_ASSERT(ae_arch_spec(&a, str, sizeof str), "an accepted architecture does not print in AE_SPEC_CAP bytes");
        ae_clear_error();
        rc = ae_arch_parse(&back, str, NULL, NULL, NULL, NULL);
        FUZZ_ASSERT(rc == AE_OK, "'%s' does not parse back: %s", str, ae_last_error());
        /* every field, the inferred shapes and the unused layer slots (zero in both) */
        FUZZ_ASSERT(!memcmp(&back, &a, sizeof a), "'%s' parses back to another architecture", str);
        FUZZ_ASSERT(ae_arch_spec(&back, again, sizeof again) && !strcmp(str, again), "'%s' prints again as '%s'", str, again);
        ae_arch_sizes_str(&a, sizes, sizeof sizes); /* a buffer too small for most: must truncate, not overrun */
        size_t floats = 0;
        /* each kind's parameters, counted here from its definition: dense (in+1)·out; conv and convt
         * K·K·C_in·C_out weights and C_out biases; pooling, upsampling and reshapes none */
        for (int l = 0; l < a.n_layers; l++) {
            const ae_layer *ly = &a.layer[l];
            if (ly->kind == AE_LAYER_DENSE) floats += (size_t)a.sizes[l] * a.sizes[l + 1] + (size_t)a.sizes[l + 1];
            else if (ly->kind == AE_LAYER_CONV || ly->kind == AE_LAYER_CONVT)
                floats += (size_t)ly->kernel * ly->kernel * a.shape[l].c * ly->units + (size_t)ly->units;
        }
        /* and only small ones: a parameter-free layer can still make huge activations ("110-up92": 931,040 values
         * per example), which the model holds several times over */
        size_t values = 0;
        for (int i = 0; i <= a.n_layers; i++) values += (size_t)a.sizes[i];
        if (floats <= MAX_FLOATS && values <= MAX_FLOATS * 4) {
            ae_model m;
            ae_clear_error();
            rc = ae_model_init(&m, &a, 1, 1);
            FUZZ_ASSERT(rc == AE_OK, "a %zu-parameter model: %s", floats, ae_last_error());
            FUZZ_ASSERT(m.n_params == floats, "n_params %zu, expected %zu", m.n_params, floats);
            memset(ae_model_input(&m), 0, (size_t)a.sizes[0] * sizeof(float));
            FUZZ_ASSERT(ae_model_forward(&m, 1) == AE_OK, "forward: %s", ae_last_error());
            ae_model_free(&m);
        }
    }
    free(s);
    return 0;
}
