/* Model files: save/load round-trips bit-exactly (parameters and outputs); every truncation, a corrupted
 * header or model spec, mismatched tensors and weights that are NaN or infinite are rejected with a message
 * and without a crash (run under ASan too). Version-1 files (dense-only metadata) still load to the same
 * architecture and outputs; the "input" field says whether the model was trained on floats or pixels. */
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

/* A format-version-1 file as aelab 0.1 wrote it, by hand: u64 header length, the JSON header with v1's
 * dense-only metadata (sizes, code, activations, loss, init) and layers.L.weight [out, in] / bias [out]
 * with their byte ranges in layout order, space-padded to a multiple of 8, then src's parameters. */
static uint8_t *v1_file(const ae_model *src, const char *sizes, const char *code, const char *acts, const char *loss, const char *init,
                        size_t *len) {
    char hdr[4096];
    int k = snprintf(hdr, sizeof hdr,
                     "{\"__metadata__\":{\"format\":\"aelab\",\"format_version\":\"1\",\"sizes\":\"%s\",\"code\":\"%s\",\"activations\":\"%s\","
                     "\"loss\":\"%s\",\"init\":\"%s\"}", sizes, code, acts, loss, init);
    size_t off = 0;
    for (int l = 0; l < src->arch.n_layers; l++) {
        const int in = src->arch.sizes[l], out = src->arch.sizes[l + 1];
        k += snprintf(hdr + k, sizeof hdr - k, ",\"layers.%d.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}", l, out,
                      in, off, off + (size_t)out * in * 4);
        off += (size_t)out * in * 4;
        k += snprintf(hdr + k, sizeof hdr - k, ",\"layers.%d.bias\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}", l, out, off,
                      off + (size_t)out * 4);
        off += (size_t)out * 4;
    }
    k += snprintf(hdr + k, sizeof hdr - k, "}");
    while (k % 8) hdr[k++] = ' ';
    *len = 8 + (size_t)k + off;
    uint8_t *b = malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)k >> (8 * i));
    memcpy(b + 8, hdr, (size_t)k);
    memcpy(b + 8 + k, src->params, off);
    return b;
}

/* Version-1 files still load: the architecture from the old metadata (code index, one activation per
 * layer, loss), the weights bit for bit, so the outputs are the source model's. Bad v1 metadata is refused. */
static void check_v1(void) {
    ae_arch a;
    ae_model src, l;
    CHECK(ae_arch_parse(&a, "20-9-5:linear-9:tanh-20", NULL, NULL, NULL, NULL) == AE_OK && a.code == 2, "%s", ae_last_error());
    CHECK(ae_model_init(&src, &a, 4, 5) == AE_OK, "%s", ae_last_error());
    for (size_t i = 0; i < src.n_params; i++) src.params[i] += 0.01f * (float)((int)(i % 9) - 4); /* nonzero biases */
    size_t len;
    uint8_t *b = v1_file(&src, "20-9-5-9-20", "2", "relu,linear,tanh,sigmoid", "bce", "glorot_uniform", &len);
    CHECK(ae_model_load_mem(&l, b, len, 4) == AE_OK, "a version-1 file: %s", ae_last_error());
    if (l.mem) {
        CHECK(l.arch.n_layers == 4 && l.arch.code == 2 && l.arch.layer[0].act == AE_ACT_RELU && l.arch.layer[1].act == AE_ACT_IDENTITY &&
                  l.arch.layer[2].act == AE_ACT_TANH && l.arch.layer[3].act == AE_ACT_SIGMOID && l.arch.loss == AE_LOSS_BCE &&
                  l.arch.init == AE_INIT_GLOROT_UNIFORM,
              "v1 architecture: code %d, loss %s", l.arch.code, ae_loss_name(l.arch.loss));
        CHECK(!memcmp(&l.arch, &src.arch, sizeof a), "v1 architecture differs from the source's");
        CHECK(l.n_params == src.n_params && !memcmp(l.params, src.params, src.n_params * 4), "v1 weights not bit-exact");
        CHECK(l.data_floats == 0, "a v1 file is a pixel model");
        float x[4 * 20];
        for (int i = 0; i < 80; i++) x[i] = (float)((i * 7) % 17) / 17.0f;
        memcpy(ae_model_input(&src), x, sizeof x);
        memcpy(ae_model_input(&l), x, sizeof x);
        CHECK(ae_model_forward(&src, 4) == AE_OK && ae_model_forward(&l, 4) == AE_OK, "%s", ae_last_error());
        CHECK(!memcmp(ae_model_output(&src), ae_model_output(&l), sizeof x), "a v1 file's model computes other outputs");
        ae_model_free(&l);
    }
    free(b);
    /* a loss and an init other than the defaults reach the architecture too */
    b = v1_file(&src, "20-9-5-9-20", "1", "tanh,tanh,linear,sigmoid", "mse", "he_normal", &len);
    CHECK(ae_model_load_mem(&l, b, len, 4) == AE_OK && l.arch.loss == AE_LOSS_MSE && l.arch.init == AE_INIT_HE_NORMAL && l.arch.code == 1 &&
              l.arch.layer[0].act == AE_ACT_TANH && l.arch.layer[2].act == AE_ACT_IDENTITY,
          "v1 with mse and he_normal: %s", ae_last_error());
    if (l.mem) ae_model_free(&l);
    free(b);
    /* the old metadata checked as before */
    static const char *const bad[][4] = {
        {"20-9-5-9-20", "2", "relu,linear,tanh", "do not match 4 layers"},
        {"20-9-5-9-20", "4", "relu,linear,tanh,sigmoid", "bad code index"},
        {"20-9-5-9-20", "2", "relu,linear,tanh,bogus", "do not match 4 layers"},
        {"20-9-5-9-20 loss=mse", "2", "relu,linear,tanh,sigmoid", "are not widths"},
        {"20-9-5-9-21", "2", "relu,linear,tanh,sigmoid", "mismatched"},
    };
    for (int i = 0; i < 5; i++) {
        b = v1_file(&src, bad[i][0], bad[i][1], bad[i][2], "bce", "glorot_uniform", &len);
        int rc = ae_model_load_mem(&l, b, len, 4);
        CHECK(rc == AE_ERR_FORMAT && strstr(ae_last_error(), bad[i][3]), "v1 %s/%s/%s: rc %d '%s'", bad[i][0], bad[i][1], bad[i][2], rc, ae_last_error());
        if (rc == AE_OK) ae_model_free(&l);
        free(b);
    }
    ae_model_free(&src);
}

/* The "input" metadata: a model trained on a float dataset says so (m->data_floats), on pixels says
 * pixels / 255, and either survives save and load. */
static void check_input_kind(void) {
    ae_arch a;
    ae_model m, l;
    ae_trainer t;
    ae_dataset fd, px;
    float x[6 * 20];
    uint8_t idx[16 + 6 * 20] = {0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 5};
    for (int i = 0; i < 6 * 20; i++) { x[i] = (float)(i % 11) / 11.0f; idx[16 + i] = (uint8_t)(i * 37); }
    CHECK(ae_dataset_floats(&fd, x, 6, 1, 20) == AE_OK && ae_idx_images_mem(&px, idx, sizeof idx) == AE_OK, "%s", ae_last_error());
    ae_train_cfg cfg = ae_train_default();
    cfg.batch = 3;
    CHECK(ae_arch_parse(&a, "20-4-20", NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, 3, 1) == AE_OK, "%s", ae_last_error());
    for (int k = 0; k < 2; k++) {
        const int floats = k == 0;
        CHECK(ae_trainer_init(&t, &m, floats ? &fd : &px, &cfg) == AE_OK, "%s", ae_last_error());
        ae_trainer_free(&t);
        CHECK(m.data_floats == floats, "trained on %s: data_floats %d", floats ? "floats" : "pixels", m.data_floats);
        uint8_t *buf;
        size_t len;
        CHECK(ae_model_save_mem(&m, &buf, &len) == AE_OK, "%s", ae_last_error());
        uint64_t hlen = 0;
        for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
        char *hdr = calloc(1, hlen + 1);
        memcpy(hdr, buf + 8, hlen);
        const char *want = floats ? "\"input\":\"floats as given" : "\"input\":\"uint8 pixels / 255";
        CHECK(strstr(hdr, want) != NULL, "header lacks %s: %s", want, hdr);
        CHECK(ae_model_load_mem(&l, buf, len, 3) == AE_OK && l.data_floats == floats, "loaded data_floats %d, want %d: %s", l.data_floats, floats,
              ae_last_error());
        ae_model_free(&l);
        free(hdr);
        free(buf);
    }
    ae_model_free(&m);
    ae_dataset_free(&fd);
    ae_dataset_free(&px);
}

int main(void) {
    check_v1();
    check_input_kind();
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
    CHECK(l.arch.code == 1 && l.arch.layer[0].act == AE_ACT_IDENTITY, "code index and code activation kept");
    CHECK(l.arch.n_layers == 4 && l.arch.layer[1].act == AE_ACT_TANH && l.arch.layer[3].act == AE_ACT_SIGMOID && l.arch.loss == AE_LOSS_BCE, "arch kept");
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
    mutate_expect_fail(buf, len, "\"format_version\":\"2\"", "\"format_version\":\"9\"", "version");
    mutate_expect_fail(buf, len, "layers.0.bias", "layers.7.bias", "missing");
    /* the architecture is the "spec" field: a width that does not fit the data, and one the grammar refuses */
    /* files carry the spec in full, nothing left to a reader's defaults */
    mutate_expect_fail(buf, len, "\"spec\":\"20-*9:linear-5:tanh-9:tanh-20:sigmoid loss=bce init=glorot_uniform\"",
                       "\"spec\":\"20-*9:linear-5:tanh-9:tanh-21:sigmoid loss=bce init=glorot_uniform\"", "mismatched");
    mutate_expect_fail(buf, len, "\"spec\":\"20-*9:", "\"spec\":\"20-*0:", "layer widths must be 1 to");
    mutate_expect_fail(buf, len, "\"spec\":\"", "\"spex\":\"", "\"spec\" is missing");
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
