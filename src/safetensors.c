/* Model files in the safetensors format (https://huggingface.co/docs/safetensors), so a trained aelab
 * model opens in PyTorch, NumPy or any other safetensors reader:
 *
 *   u64 little-endian N | N bytes of JSON header (space-padded to a multiple of 8) | tensor data
 *
 * The header maps each layer's tensors, "layers.L.<name>" (F32, shapes from the layer kind: dense has
 * "weight" [out, in] and "bias" [out]), to byte ranges of the data, and "__metadata__" (string → string)
 * records the format, its version, the architecture and how inputs are normalised. Version 2 keeps the
 * architecture as one model spec ("spec": "784-32-784"); version 1 (dense only: "sizes", "code",
 * "activations", "loss", "init") still loads. The JSON is tokenised with jsmn (Debian's libjsmn-dev); every offset, shape
 * and name is checked before a byte is copied. */
#include "internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#define FORMAT_NAME "aelab"
#define FORMAT_VERSION 2
#define MAX_HEADER (1 << 20)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this code copies floats as they are in memory"
#endif

static int appendf(char *buf, size_t cap, size_t *k, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int appendf(char *buf, size_t cap, size_t *k, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *k, *k < cap ? cap - *k : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    *k += (size_t)n;
    return *k < cap ? 0 : -1;
}

int ae_model_save_mem(const ae_model *m, uint8_t **out, size_t *out_len) {
    if (!m || !m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    const ae_arch *a = &m->arch;
    char hdr[8192], spec[AE_SPEC_CAP];
    size_t k = 0;
    if (!ae_arch_spec_full(a, spec, sizeof spec)) return ae_fail(AE_ERR_ARG, "model spec too long to save");
    /* the spec's characters ([0-9a-z_x*:=, -]) need no JSON escaping */
    int bad = appendf(hdr, sizeof hdr, &k,
                      "{\"__metadata__\":{\"format\":\"" FORMAT_NAME "\",\"format_version\":\"%d\",\"aelab_version\":\"" AE_VERSION
                      "\",\"spec\":\"%s\",\"input\":\"%s\",\"layout\":\"row-major; dense weight [out, in], y = x W^T + b\"}",
                      FORMAT_VERSION, spec, m->data_floats ? "floats as given, row-major" : "uint8 pixels / 255, row-major");
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < m->n_tensors[l]; t++) {
            const ae_tensor_info *ti = &m->tensor[l][t];
            size_t lo = (m->t_off[l][t] - m->p_off[0]) * 4, hi = lo + ti->count * 4;
            bad |= appendf(hdr, sizeof hdr, &k, ",\"layers.%d.%s\":{\"dtype\":\"F32\",\"shape\":[", l, ti->name);
            for (int d = 0; d < ti->ndim; d++) bad |= appendf(hdr, sizeof hdr, &k, "%s%d", d ? "," : "", ti->dims[d]);
            bad |= appendf(hdr, sizeof hdr, &k, "],\"data_offsets\":[%zu,%zu]}", lo, hi);
        }
    bad |= appendf(hdr, sizeof hdr, &k, "}");
    if (bad) return ae_fail(AE_ERR_ARG, "model header too long");
    while (k % 8) hdr[k++] = ' ';
    size_t data = m->n_params * sizeof(float), total = 8 + k + data;
    uint8_t *buf = malloc(total);
    if (!buf) return ae_fail(AE_ERR_NOMEM, "out of memory saving the model");
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)k >> (8 * i));
    memcpy(buf + 8, hdr, k);
    memcpy(buf + 8 + k, m->params, data);
    *out = buf;
    *out_len = total;
    return AE_OK;
}

typedef struct { const char *js; const jsmntok_t *tok; int n; } json;

static int tok_eq(const json *j, int t, const char *s) {
    size_t len = (size_t)(j->tok[t].end - j->tok[t].start);
    return j->tok[t].type == JSMN_STRING && strlen(s) == len && !memcmp(j->js + j->tok[t].start, s, len);
}

/* Index of the token after t and everything nested in it. */
static int skip(const json *j, int t) {
    int end = j->tok[t].end;
    t++;
    while (t < j->n && j->tok[t].start < end) t++;
    return t;
}

/* Value token for key in the object at t, or -1. */
static int obj_get(const json *j, int obj, const char *key) {
    if (j->tok[obj].type != JSMN_OBJECT) return -1;
    int t = obj + 1;
    for (int i = 0; i < j->tok[obj].size; i++) {
        /* a key has its value after it (jsmn: size 1); jsmn also accepts {"a","b":1}, whose pairs would run
         * past the last token */
        if (t + 1 >= j->n || j->tok[t].size != 1) return -1;
        if (tok_eq(j, t, key)) return t + 1;
        t = skip(j, t + 1);
    }
    return -1;
}

/* Copy a string value (at most cap-1 chars); -1 if not a string or too long. */
static int tok_str(const json *j, int t, char *out, size_t cap) {
    if (t < 0 || j->tok[t].type != JSMN_STRING) return -1;
    size_t len = (size_t)(j->tok[t].end - j->tok[t].start);
    if (len >= cap) return -1;
    memcpy(out, j->js + j->tok[t].start, len);
    out[len] = 0;
    return 0;
}

static int tok_uint(const json *j, int t, uint64_t *v) {
    if (t < 0 || j->tok[t].type != JSMN_PRIMITIVE) return -1;
    uint64_t x = 0;
    int any = 0;
    for (int i = j->tok[t].start; i < j->tok[t].end; i++) {
        char c = j->js[i];
        if (c < '0' || c > '9' || x > (UINT64_MAX - 9) / 10) return -1;
        x = x * 10 + (uint64_t)(c - '0');
        any = 1;
    }
    *v = x;
    return any ? 0 : -1;
}

static int meta(const json *j, int md, const char *key, char *out, size_t cap) {
    if (tok_str(j, obj_get(j, md, key), out, cap))
        return ae_fail(AE_ERR_FORMAT, "model file: metadata field \"%s\" is missing or not a short string", key);
    return AE_OK;
}

/* Check one tensor entry against the shape the architecture gives it and copy its data into dst. */
static int load_tensor(const json *j, const uint8_t *data, size_t data_len, const char *name, const ae_tensor_info *ti, float *dst,
                       uint8_t *seen, int *n_found) {
    int root = 0, t = obj_get(j, root, name);
    if (t < 0) return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" is missing", name);
    char dtype[16], want_s[64];
    size_t wk = 0;
    want_s[0] = 0;
    for (int d = 0; d < ti->ndim; d++) appendf(want_s, sizeof want_s, &wk, "%s%d", d ? "," : "", ti->dims[d]);
    if (tok_str(j, obj_get(j, t, "dtype"), dtype, sizeof dtype) || strcmp(dtype, "F32"))
        return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" must have dtype F32", name);
    int sh = obj_get(j, t, "shape");
    if (sh < 0 || j->tok[sh].type != JSMN_ARRAY || j->tok[sh].size != ti->ndim)
        return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" must have a %d-dimensional shape", name, ti->ndim);
    for (int d = 0; d < ti->ndim; d++) {
        uint64_t v;
        if (tok_uint(j, sh + 1 + d, &v) || v != (uint64_t)ti->dims[d])
            return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" has the wrong shape for the architecture (expected [%s])", name, want_s);
    }
    int off = obj_get(j, t, "data_offsets");
    uint64_t lo, hi;
    if (off < 0 || j->tok[off].type != JSMN_ARRAY || j->tok[off].size != 2 || tok_uint(j, off + 1, &lo) || tok_uint(j, off + 2, &hi))
        return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" has no valid data_offsets", name);
    uint64_t want = (uint64_t)ti->count * 4;
    if (hi < lo || hi - lo != want || hi > data_len)
        return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" has data_offsets [%llu, %llu] that do not fit its shape or the file "
                       "(%zu data bytes); the file may be truncated", name, (unsigned long long)lo, (unsigned long long)hi, data_len);
    for (uint64_t i = lo; i < hi; i++)
        if (seen[i]) return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" overlaps another tensor", name);
    memset(seen + lo, 1, (size_t)(hi - lo));
    memcpy(dst, data + lo, (size_t)want);
    /* a NaN or infinite weight would poison every output (a damaged file, or one saved from a run that blew up) */
    for (size_t i = 0; i < ti->count; i++)
        if (!isfinite(dst[i])) {
            char at[64];
            size_t ak = 0, rest = i;
            at[0] = 0;
            size_t idx[4];
            for (int d = ti->ndim - 1; d >= 0; d--) { idx[d] = rest % (size_t)ti->dims[d]; rest /= (size_t)ti->dims[d]; }
            for (int d = 0; d < ti->ndim; d++) appendf(at, sizeof at, &ak, "%s%zu", d ? ", " : "[", idx[d]);
            appendf(at, sizeof at, &ak, "]");
            return ae_fail(AE_ERR_FORMAT, "model file: tensor \"%s\" holds %s at %s; a model with weights that are not finite numbers "
                           "cannot be used", name, isnan(dst[i]) ? "NaN" : dst[i] > 0 ? "+Inf" : "-Inf", at);
        }
    (*n_found)++;
    return AE_OK;
}

/* Version 1's dense-only metadata: "sizes" (784-32-784), "code" (index), "activations" (one per layer, comma
 * separated), "loss", "init". */
static int arch_v1(const json *j, int md, ae_arch *a) {
    char sizes[256], code[16], acts[256], loss[32], init[32];
    int rc;
    if ((rc = meta(j, md, "sizes", sizes, sizeof sizes)) || (rc = meta(j, md, "code", code, sizeof code)) ||
        (rc = meta(j, md, "activations", acts, sizeof acts)) || (rc = meta(j, md, "loss", loss, sizeof loss)) ||
        (rc = meta(j, md, "init", init, sizeof init)))
        return rc;
    for (const char *c = sizes; *c; c++)
        if ((*c < '0' || *c > '9') && *c != '-') return ae_fail(AE_ERR_FORMAT, "model file: sizes \"%s\" are not widths like 784-32-784", sizes);
    if ((rc = ae_arch_parse(a, sizes, NULL, NULL, NULL, NULL))) return ae_fail(AE_ERR_FORMAT, "model file: %s", ae_last_error());
    char *e;
    long c = strtol(code, &e, 10);
    if (*e || c < 0 || c >= a->n_layers) return ae_fail(AE_ERR_FORMAT, "model file: bad code index \"%s\"", code);
    a->code = (int)c;
    char *s = acts;
    for (int l = 0; l < a->n_layers; l++) {
        char *comma = strchr(s, ',');
        if (comma) *comma = 0;
        if ((l < a->n_layers - 1) != (comma != NULL) || ae_act_parse(s, &a->layer[l].act))
            return ae_fail(AE_ERR_FORMAT, "model file: activations \"%s\" do not match %d layers", acts, a->n_layers);
        s = comma ? comma + 1 : s;
    }
    if (ae_loss_parse(loss, &a->loss) || ae_init_parse(init, &a->init)) return ae_fail(AE_ERR_FORMAT, "model file: unknown loss or init");
    if ((rc = ae_arch_check(a))) return ae_fail(AE_ERR_FORMAT, "model file: %s", ae_last_error());
    return AE_OK;
}

int ae_model_load_mem(ae_model *m, const uint8_t *buf, size_t len, int max_batch) {
    memset(m, 0, sizeof *m);
    if (!buf || len < 8) return ae_fail(AE_ERR_FORMAT, "model file is truncated (%zu bytes; a safetensors file starts with 8)", len);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    if (hlen < 2 || hlen > MAX_HEADER || hlen > len - 8)
        return ae_fail(AE_ERR_FORMAT, "not a safetensors model file, or truncated: header length %llu with %zu bytes in the file",
                       (unsigned long long)hlen, len);
    const char *js = (const char *)buf + 8;
    if (js[0] != '{') return ae_fail(AE_ERR_FORMAT, "not a safetensors model file: the header is not a JSON object");
    jsmn_parser p;
    jsmn_init(&p);
    int ntok = jsmn_parse(&p, js, (size_t)hlen, NULL, 0);
    if (ntok < 1) return ae_fail(AE_ERR_FORMAT, "model file: the JSON header is malformed");
    jsmntok_t *tok = malloc((size_t)ntok * sizeof *tok);
    uint8_t *seen = NULL;
    if (!tok) return ae_fail(AE_ERR_NOMEM, "out of memory reading the model header");
    jsmn_init(&p);
    json j = {js, tok, jsmn_parse(&p, js, (size_t)hlen, tok, (unsigned)ntok)};
    int rc = AE_ERR_FORMAT;
    char fmt[32], ver[16], spec[AE_SPEC_CAP], input[64], sizes[256];
    if (j.n < 1 || tok[0].type != JSMN_OBJECT) { ae_fail(rc, "model file: the JSON header is malformed"); goto done; }
    int md = obj_get(&j, 0, "__metadata__");
    if (md < 0) { ae_fail(rc, "model file has no __metadata__; it was not written by aelab"); goto done; }
    if ((rc = meta(&j, md, "format", fmt, sizeof fmt))) goto done;
    rc = AE_ERR_FORMAT;
    if (strcmp(fmt, FORMAT_NAME)) { ae_fail(rc, "model file has format \"%s\"; expected \"" FORMAT_NAME "\"", fmt); goto done; }
    if ((rc = meta(&j, md, "format_version", ver, sizeof ver))) goto done;
    rc = AE_ERR_FORMAT;
    const int version = !strcmp(ver, "1") ? 1 : !strcmp(ver, "2") ? 2 : 0;
    if (!version) { ae_fail(rc, "model file is format version %s; this aelab reads versions 1 and %d", ver, FORMAT_VERSION); goto done; }
    ae_arch a;
    if (version == 1) {
        if ((rc = arch_v1(&j, md, &a))) goto done;
    } else {
        if ((rc = meta(&j, md, "spec", spec, sizeof spec))) goto done;
        if ((rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL))) { rc = ae_fail(AE_ERR_FORMAT, "model file: %s", ae_last_error()); goto done; }
    }
    ae_arch_sizes_str(&a, sizes, sizeof sizes);
    rc = AE_ERR_FORMAT;
    /* The data must hold every parameter: checked before ae_model_init allocates several times that, or a
     * few header bytes could ask for gigabytes. */
    uint64_t need = 0;
    if (ae_arch_n_params(&a, &need) || need > AE_MAX_MODEL_BYTES / sizeof(float) || need * 4 != (uint64_t)(len - 8 - hlen)) {
        ae_fail(rc, "model file holds %llu data bytes; architecture %s needs %llu (truncated or mismatched)",
                (unsigned long long)(len - 8 - hlen), sizes, (unsigned long long)need * 4);
        goto done;
    }
    if ((rc = ae_model_init(m, &a, max_batch, 0))) { ae_fail(rc, "model file: %s", ae_last_error()); goto done; }
    rc = AE_ERR_FORMAT;
    /* "input" is informative: a file without it loads as pixels, and its lookup leaves no message behind */
    if (version == 2 && !tok_str(&j, obj_get(&j, md, "input"), input, sizeof input)) m->data_floats = !strncmp(input, "floats", 6);
    const uint8_t *data = buf + 8 + hlen;
    size_t data_len = len - 8 - (size_t)hlen;
    if (data_len != m->n_params * sizeof(float)) {
        ae_fail(rc, "model file holds %zu data bytes; architecture %s needs %zu (truncated or mismatched)", data_len, sizes,
                m->n_params * sizeof(float));
        goto done;
    }
    seen = calloc(data_len ? data_len : 1, 1);
    if (!seen) { rc = ae_fail(AE_ERR_NOMEM, "out of memory"); goto done; }
    int found = 0;
    for (int l = 0; l < a.n_layers; l++)
        for (int t = 0; t < m->n_tensors[l]; t++) {
            char name[64];
            snprintf(name, sizeof name, "layers.%d.%s", l, m->tensor[l][t].name);
            if ((rc = load_tensor(&j, data, data_len, name, &m->tensor[l][t], ae_model_tensor(m, l, t), seen, &found))) goto done;
        }
    rc = AE_ERR_FORMAT;
    if (tok[0].size != found + 1) { ae_fail(rc, "model file has %d tensors; architecture %s has %d", tok[0].size - 1, sizes, found); goto done; }
    rc = AE_OK;
done:
    if (rc && m->mem) { char keep[512]; snprintf(keep, sizeof keep, "%s", ae_last_error()); ae_model_free(m); ae_fail(rc, "%s", keep); }
    free(seen);
    free(tok);
    return rc;
}
