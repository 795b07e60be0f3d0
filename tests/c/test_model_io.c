/* Model files: save/load round-trips bit-exactly (parameters and outputs); every truncation, a corrupted
 * header, mismatched tensors and weights that are NaN or infinite are rejected with a message and without
 * a crash (run under ASan too). */
#include "aelab.h"
#include "check.h"

static void mutate_expect_fail(const uint8_t *buf, size_t len, const char *from, const char *to, const char *needle) {
    /* replace the first occurrence of `from` in the header with `to` (same length) */
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    size_t n = strlen(from);
    uint8_t *p = NULL;
    for (size_t i = 8; i + n < len && !p; i++) if (!memcmp(copy + i, from, n)) p = copy + i;
    CHECK(p != NULL, "'%s' not found in header", from);
    if (p) {
        memcpy(p, to, n);
        ae_model m;
        int rc = ae_model_load_mem(&m, copy, len, 8);
        CHECK(rc != AE_OK && strstr(ae_last_error(), needle), "'%s'->'%s': rc=%d msg='%s' want '%s'", from, to, rc, ae_last_error(), needle);
        if (rc == AE_OK) ae_model_free(&m);
    }
    free(copy);
}

int main(void) {
    ae_arch a;
    ae_model m, l;
    CHECK(ae_arch_parse(&a, "20-*9-5-9-20", "tanh", "linear", "sigmoid", "bce") == AE_OK, "%s", ae_last_error());
    CHECK(ae_model_init(&m, &a, 4, 3) == AE_OK, "%s", ae_last_error());
    for (size_t i = 0; i < m.n_params; i++) m.params[i] = (float)sin((double)i) * 1e-3f * (float)(i % 7) + (i % 11 == 0 ? -0.0f : 0.0f);
    m.params[5] = 1e-40f; /* subnormal survives */
    uint8_t *buf;
    size_t len;
    CHECK(ae_model_save_mem(&m, &buf, &len) == AE_OK, "%s", ae_last_error());
    CHECK(len == 8 + (len - 8 - m.n_params * 4) + m.n_params * 4 && (len - 8 - m.n_params * 4) % 8 == 0, "header padded to 8");
    CHECK(ae_model_load_mem(&l, buf, len, 4) == AE_OK, "load: %s", ae_last_error());
    CHECK(l.n_params == m.n_params && memcmp(l.params, m.params, m.n_params * 4) == 0, "round trip not bit-exact");
    CHECK(l.arch.code == 1 && l.arch.act[0] == AE_ACT_IDENTITY, "code index and code activation kept");
    CHECK(l.arch.n_layers == 4 && l.arch.act[1] == AE_ACT_TANH && l.arch.act[3] == AE_ACT_SIGMOID && l.arch.loss == AE_LOSS_BCE, "arch kept");
    float x[4 * 20];
    for (int i = 0; i < 80; i++) x[i] = (float)(i % 13) / 13.0f;
    memcpy(ae_model_input(&m), x, sizeof x);
    memcpy(ae_model_input(&l), x, sizeof x);
    ae_model_forward(&m, 4);
    ae_model_forward(&l, 4);
    CHECK(memcmp(ae_model_output(&m), ae_model_output(&l), 80 * 4) == 0, "loaded model computes the same outputs");
    uint8_t *buf2;
    size_t len2;
    CHECK(ae_model_save_mem(&l, &buf2, &len2) == AE_OK && len2 == len && memcmp(buf, buf2, len) == 0, "save is deterministic");
    free(buf2);
    ae_model_free(&l);

    /* every truncation fails cleanly */
    int all = 1;
    for (size_t k = 0; k < len; k++) {
        int rc = ae_model_load_mem(&l, buf, k, 4);
        if (rc == AE_OK) { all = 0; ae_model_free(&l); }
    }
    CHECK(all, "some truncated file loaded");
    CHECK(ae_model_load_mem(&l, buf, len - 4, 4) == AE_ERR_FORMAT && strstr(ae_last_error(), "truncated"), "truncated message: %s", ae_last_error());
    /* flipping any single header byte never crashes (it may still parse, e.g. inside a string) */
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    for (size_t k = 0; k < 8 + hlen; k++) {
        uint8_t keep = buf[k];
        buf[k] ^= 0x5A;
        if (ae_model_load_mem(&l, buf, len, 4) == AE_OK) ae_model_free(&l);
        buf[k] = keep;
    }
    CHECK(ae_model_load_mem(&l, buf, len, 4) == AE_OK, "intact after fuzzing");
    ae_model_free(&l);
    mutate_expect_fail(buf, len, "\"F32\"", "\"F16\"", "dtype F32");
    mutate_expect_fail(buf, len, "\"shape\":[9,20]", "\"shape\":[9,02]", "wrong shape");
    mutate_expect_fail(buf, len, "\"format\":\"aelab\"", "\"format\":\"other\"", "format");
    mutate_expect_fail(buf, len, "\"format_version\":\"1\"", "\"format_version\":\"9\"", "version");
    mutate_expect_fail(buf, len, "layers.0.bias", "layers.7.bias", "missing");
    mutate_expect_fail(buf, len, "\"sizes\":\"20-9-5-9-20\"", "\"sizes\":\"20-9-5-9-21\"", "");
    /* weights that are not finite numbers are refused, the tensor and the place named */
    {
        uint8_t *bad = malloc(len);
        const float nan = NAN, inf = INFINITY;
        memcpy(bad, buf, len);
        memcpy(bad + 8 + hlen + 4 * (2 * 20 + 5), &nan, 4); /* layers.0.weight (9, 20): row 2, column 5 */
        CHECK(ae_model_load_mem(&l, bad, len, 4) == AE_ERR_FORMAT && strstr(ae_last_error(), "tensor \"layers.0.weight\" holds NaN at [2, 5]"),
              "NaN weight: %s", ae_last_error());
        memcpy(bad, buf, len);
        memcpy(bad + len - 4, &inf, 4); /* the last value: layers.3.bias (20), item 19 */
        CHECK(ae_model_load_mem(&l, bad, len, 4) == AE_ERR_FORMAT && strstr(ae_last_error(), "tensor \"layers.3.bias\" holds +Inf at [19]"),
              "Inf bias: %s", ae_last_error());
        free(bad);
    }
    uint8_t junk[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    CHECK(ae_model_load_mem(&l, junk, sizeof junk, 4) == AE_ERR_FORMAT && strstr(ae_last_error(), "header length"), "absurd header length: %s", ae_last_error());
    CHECK(ae_model_load_mem(&l, NULL, 0, 4) == AE_ERR_FORMAT, "empty");
    free(buf);
    ae_model_free(&m);
    return check_report("test_model_io");
}
