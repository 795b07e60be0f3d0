/* Architectures as text: the model spec grammar (include/aelab.h) read and printed, and the checks and
 * shape inference every architecture passes before a model is built. A layer token is read by whichever
 * registered kind claims it (src/layers/registry.c), so a new kind brings its own syntax. */
#include "layers/layer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPEC 4096 /* longer text is refused before it is looked at: 16 layers never need this much */

static const char *const init_names[AE_INIT_COUNT] = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal"};
const char *ae_init_name(ae_init i) { return (unsigned)i < AE_INIT_COUNT ? init_names[i] : "?"; }

int ae_init_parse(const char *s, ae_init *out) {
    if (!s) return AE_ERR_ARG;
    if (!strcmp(s, "glorot") || !strcmp(s, "xavier")) { *out = AE_INIT_GLOROT_UNIFORM; return AE_OK; }
    if (!strcmp(s, "he")) { *out = AE_INIT_HE_NORMAL; return AE_OK; }
    for (int i = 0; i < AE_INIT_COUNT; i++)
        if (!strcmp(s, init_names[i])) { *out = (ae_init)i; return AE_OK; }
    return AE_ERR_ARG;
}

/* The loss a spec gets when it names none: the one its output activation goes with. */
static ae_loss default_loss(ae_act out) {
    return out == AE_ACT_SIGMOID ? AE_LOSS_BCE : out == AE_ACT_SOFTMAX ? AE_LOSS_SOFTMAX_CE : AE_LOSS_MSE;
}

/* Layers without parameters (pooling, upsampling, reshapes) pass their values through unless they name an
 * activation: hidden= and code= are for the layers that learn. Needs the shapes (ae_arch_check). */
static int learns(const ae_arch *a, int l) {
    ae_tensor_info t[AE_MAX_TENSORS];
    return ae_layer_ops_of(a->layer[l].kind)->tensors(&a->layer[l], a->shape[l], a->shape[l + 1], t) > 0;
}

/* The bottleneck when none is marked: the narrowest interior tensor (the first of equals); 0 with none. */
static int auto_code(const ae_arch *a) {
    int code = 0;
    for (int i = 1; i < a->n_layers; i++)
        if (code == 0 || a->sizes[i] < a->sizes[code]) code = i;
    return code;
}

int ae_arch_check(ae_arch *a) {
    if (!a) return ae_fail(AE_ERR_ARG, "no architecture given");
    if (a->n_layers < 1 || a->n_layers > AE_MAX_LAYERS)
        return ae_fail(AE_ERR_ARG, "a model needs 1 to %d layers, got %d", AE_MAX_LAYERS, a->n_layers);
    ae_shape s = a->input;
    if (s.c < 1 || s.h < 1 || s.w < 1 || s.c > AE_MAX_WIDTH || s.h > AE_MAX_WIDTH || s.w > AE_MAX_WIDTH || AE_SHAPE_SIZE(s) > AE_MAX_WIDTH)
        return ae_fail(AE_ERR_ARG, "the input is %d×%d×%d; each side must be at least 1 and the whole at most %d values", s.c, s.h, s.w,
                       AE_MAX_WIDTH);
    a->shape[0] = s;
    a->sizes[0] = (int)AE_SHAPE_SIZE(s);
    for (int l = 0; l < a->n_layers; l++) {
        const ae_layer *ly = &a->layer[l];
        const ae_layer_ops *ops = ae_layer_ops_of(ly->kind);
        if (!ops) return ae_fail(AE_ERR_ARG, "layer %d has an unknown kind", l + 1);
        if ((unsigned)ly->act >= AE_ACT_COUNT) return ae_fail(AE_ERR_ARG, "layer %d has an unknown activation", l + 1);
        if (ly->act == AE_ACT_SOFTMAX && l != a->n_layers - 1) return ae_fail(AE_ERR_ARG, "softmax is only allowed on the output layer");
        int rc = ops->infer(ly, a->shape[l], &a->shape[l + 1]);
        if (rc) return ae_fail(rc, "layer %d (%s): %s", l + 1, ops->name, ae_last_error());
        const ae_shape o = a->shape[l + 1];
        if (o.c < 1 || o.h < 1 || o.w < 1 || AE_SHAPE_SIZE(o) > AE_MAX_WIDTH)
            return ae_fail(AE_ERR_ARG, "layer %d (%s) would output %d×%d×%d values; at most %d", l + 1, ops->name, o.c, o.h, o.w, AE_MAX_WIDTH);
        a->sizes[l + 1] = (int)AE_SHAPE_SIZE(o);
    }
    if (a->n_layers > 1 ? a->code < 1 || a->code >= a->n_layers : a->code != 0)
        return ae_fail(AE_ERR_ARG, "code index %d: the code must be one of the interior layers 1..%d", a->code, a->n_layers - 1);
    ae_act out = a->layer[a->n_layers - 1].act;
    if ((unsigned)a->loss >= AE_LOSS_COUNT) return ae_fail(AE_ERR_ARG, "unknown loss");
    if ((unsigned)a->init >= AE_INIT_COUNT) return ae_fail(AE_ERR_ARG, "unknown initialisation");
    if (a->loss == AE_LOSS_BCE && out != AE_ACT_SIGMOID)
        return ae_fail(AE_ERR_ARG, "binary cross-entropy needs a sigmoid output (it is computed from the logits), not %s", ae_act_name(out));
    if (a->loss == AE_LOSS_SOFTMAX_CE && out != AE_ACT_SOFTMAX)
        return ae_fail(AE_ERR_ARG, "softmax cross-entropy needs a softmax output, not %s", ae_act_name(out));
    if (a->loss != AE_LOSS_SOFTMAX_CE && out == AE_ACT_SOFTMAX)
        return ae_fail(AE_ERR_ARG, "a softmax output goes with the softmax_ce loss");
    return AE_OK;
}

/* A whole number 1..AE_MAX_WIDTH from s[0..len); -1 if it is not one. */
static long dim(const char *s, size_t len) {
    long v = 0;
    if (!len || len > 8) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= AE_MAX_WIDTH ? v : -1;
}

/* "784", "28x28" or "1x28x28" */
static int parse_input(const char *s, size_t len, ae_shape *out) {
    long d[3];
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != 'x') continue;
        if (n == 3 || (d[n] = dim(s + start, i - start)) < 0) goto bad;
        n++;
        start = i + 1;
    }
    if (n == 1) *out = (ae_shape){(int)d[0], 1, 1};
    else if (n == 2) *out = (ae_shape){1, (int)d[0], (int)d[1]};
    else *out = (ae_shape){(int)d[0], (int)d[1], (int)d[2]};
    if (AE_SHAPE_SIZE(*out) > AE_MAX_WIDTH) goto bad;
    return AE_OK;
bad:
    return ae_fail(AE_ERR_ARG, "the input '%.*s' must be a width (784), height×width (28x28) or channels×height×width (1x28x28) of whole "
                   "numbers, at most %d values in all", (int)(len < 40 ? len : 40), s, AE_MAX_WIDTH);
}

/* "32 (dense), conv16k3 (conv), …": every registered kind by an example of its token. */
static void known_kinds(char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < AE_LAYER_COUNT; i++) {
        const ae_layer_ops *o = ae_layer_kinds[i];
        if (o && k < cap) k += (size_t)snprintf(buf + k, cap - k, "%s%s (%s)", k ? ", " : "", o->example ? o->example : "?", o->name);
    }
}

static int parse_layer(const char *s, size_t len, ae_layer *out, int *marked, int *has_act) {
    *marked = len && s[0] == '*';
    if (*marked) { s++; len--; }
    const char *colon = memchr(s, ':', len);
    size_t tlen = colon ? (size_t)(colon - s) : len;
    memset(out, 0, sizeof *out);
    *has_act = colon != NULL;
    if (colon) {
        char act[32];
        size_t alen = len - tlen - 1;
        if (alen == 0) return ae_fail(AE_ERR_ARG, "layer '%.*s': give an activation after ':'", (int)(len < 40 ? len : 40), s);
        if (alen >= sizeof act) return ae_fail(AE_ERR_ARG, "unknown activation '%.*s…' (linear, sigmoid, tanh, relu, leaky_relu, softmax)", 20, colon + 1);
        memcpy(act, colon + 1, alen);
        act[alen] = 0;
        if (ae_act_parse(act, &out->act)) return ae_fail(AE_ERR_ARG, "unknown activation '%s' (linear, sigmoid, tanh, relu, leaky_relu, softmax)", act);
    }
    if (!tlen) return ae_fail(AE_ERR_ARG, "an empty layer: layers are separated by single '-'");
    for (int i = 0; i < AE_LAYER_COUNT; i++) {
        if (!ae_layer_kinds[i]) continue;
        ae_act act = out->act;
        int r = ae_layer_kinds[i]->parse(s, tlen, out);
        out->act = act;
        if (r < 0) return r;
        if (r > 0) return AE_OK;
    }
    char kinds[256];
    known_kinds(kinds, sizeof kinds);
    return ae_fail(AE_ERR_ARG, "unknown layer '%.*s'; layers are written like %s", (int)(tlen < 40 ? tlen : 40), s, kinds);
}

int ae_arch_parse(ae_arch *a, const char *spec, const char *hidden, const char *code, const char *output, const char *loss) {
    memset(a, 0, sizeof *a);
    if (!spec) return ae_fail(AE_ERR_ARG, "no model spec given");
    size_t n = strnlen(spec, MAX_SPEC + 1);
    if (n > MAX_SPEC) return ae_fail(AE_ERR_ARG, "the model spec is longer than %d characters", MAX_SPEC);
    const char *p = spec, *end = spec + n;
    while (p < end && (*p == ' ' || *p == ',')) p++;
    const char *chain = p;
    while (p < end && *p != ' ' && *p != ',') p++;
    const size_t clen = (size_t)(p - chain);
    if (!clen) return ae_fail(AE_ERR_ARG, "empty architecture: give widths like 784-32-784");

    /* the options first: they are the defaults the chain's layers fall back on */
    const char *keys[] = {"hidden", "code", "output", "loss", "init"};
    char val[5][32] = {{0}};
    int given[5] = {0};
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ',')) p++;
        if (p == end) break;
        const char *item = p;
        while (p < end && *p != ' ' && *p != ',') p++;
        const char *eq = memchr(item, '=', (size_t)(p - item));
        int k = -1;
        if (eq)
            for (int i = 0; i < 5; i++)
                if ((size_t)(eq - item) == strlen(keys[i]) && !memcmp(item, keys[i], (size_t)(eq - item))) k = i;
        if (k < 0)
            return ae_fail(AE_ERR_ARG, "'%.*s' in the model spec: after the layers come only hidden=, code=, output=, loss= and init=",
                           (int)(p - item < 40 ? p - item : 40), item);
        if (given[k]) return ae_fail(AE_ERR_ARG, "the model spec gives %s= twice", keys[k]);
        size_t vlen = (size_t)(p - eq - 1);
        if (!vlen) return ae_fail(AE_ERR_ARG, "the model spec's %s= needs a value", keys[k]);
        if (vlen >= sizeof val[k]) return ae_fail(AE_ERR_ARG, "the model spec's %s= has an unknown value '%.*s…'", keys[k], 20, eq + 1);
        memcpy(val[k], eq + 1, vlen);
        given[k] = 1;
    }
    const char *hs = given[0] ? val[0] : hidden, *cs = given[1] ? val[1] : code, *os = given[2] ? val[2] : output,
               *ls = given[3] ? val[3] : loss;
    ae_act h = AE_ACT_RELU, c, o = AE_ACT_SIGMOID;
    if (hs && ae_act_parse(hs, &h)) return ae_fail(AE_ERR_ARG, "unknown activation '%s' (linear, sigmoid, tanh, relu, leaky_relu)", hs);
    c = h;
    if (cs && ae_act_parse(cs, &c)) return ae_fail(AE_ERR_ARG, "unknown code activation '%s'", cs);
    if (os && ae_act_parse(os, &o)) return ae_fail(AE_ERR_ARG, "unknown output activation '%s'", os);
    a->init = AE_INIT_GLOROT_UNIFORM;
    if (given[4] && ae_init_parse(val[4], &a->init))
        return ae_fail(AE_ERR_ARG, "unknown init '%s' (glorot_uniform, glorot_normal, he_uniform, he_normal)", val[4]);

    /* the chain: input, then layers */
    int marked = -1, has_act[AE_MAX_LAYERS];
    size_t start = 0;
    int items = 0;
    for (size_t i = 0; i <= clen; i++) {
        if (i < clen && chain[i] != '-') continue;
        const char *it = chain + start;
        size_t ilen = i - start;
        if (!ilen) return ae_fail(AE_ERR_ARG, "architecture '%.*s': an empty item (a '-' at an end or two in a row)", (int)(clen < 80 ? clen : 80), chain);
        if (items == 0) {
            if (it[0] == '*') return ae_fail(AE_ERR_ARG, "architecture '%.*s': the code ('*') must be an interior layer", (int)(clen < 80 ? clen : 80), chain);
            int rc = parse_input(it, ilen, &a->input);
            if (rc) return rc;
        } else {
            if (items > AE_MAX_LAYERS) return ae_fail(AE_ERR_ARG, "architecture has more than %d layers", AE_MAX_LAYERS);
            int mk, rc = parse_layer(it, ilen, &a->layer[items - 1], &mk, &has_act[items - 1]);
            if (rc) return rc;
            if (mk && marked >= 0) return ae_fail(AE_ERR_ARG, "architecture: only one layer can be marked as the code ('*')");
            if (mk) marked = items;
        }
        items++;
        start = i + 1;
    }
    if (items < 2) return ae_fail(AE_ERR_ARG, "architecture '%.*s' needs at least an input and an output width", (int)(clen < 80 ? clen : 80), chain);
    a->n_layers = items - 1;
    if (marked == a->n_layers) return ae_fail(AE_ERR_ARG, "the code ('*') must be an interior layer, not the output");
    /* shapes first (with placeholder activations), then the code by width, then the activations by place */
    for (int l = 0; l < a->n_layers; l++)
        if (!has_act[l]) a->layer[l].act = AE_ACT_IDENTITY;
    a->code = a->n_layers > 1 ? 1 : 0;
    a->loss = AE_LOSS_MSE;
    const ae_act last = a->layer[a->n_layers - 1].act;
    a->layer[a->n_layers - 1].act = AE_ACT_IDENTITY; /* softmax placement is checked below, with the real activations */
    int rc = ae_arch_check(a);
    if (rc) return rc;
    a->layer[a->n_layers - 1].act = last;
    a->code = marked > 0 ? marked : auto_code(a);
    for (int l = 0; l < a->n_layers; l++)
        if (!has_act[l]) a->layer[l].act = l == a->n_layers - 1 ? o : !learns(a, l) ? AE_ACT_IDENTITY : l + 1 == a->code ? c : h;
    a->loss = default_loss(a->layer[a->n_layers - 1].act);
    if (ls && ae_loss_parse(ls, &a->loss)) return ae_fail(AE_ERR_ARG, "unknown loss '%s' (mse, bce, softmax_ce)", ls);
    return ae_arch_check(a);
}

static int shape_str(ae_shape s, char *buf, size_t cap) {
    if (s.h == 1 && s.w == 1) return snprintf(buf, cap, "%d", s.c);
    if (s.c == 1) return snprintf(buf, cap, "%dx%d", s.h, s.w);
    return snprintf(buf, cap, "%dx%dx%d", s.c, s.h, s.w);
}

char *ae_arch_sizes_str(const ae_arch *a, char *buf, size_t cap) {
    size_t k = 0;
    if (!cap) return buf;
    buf[0] = 0;
    for (int i = 0; i <= a->n_layers && k < cap; i++) {
        if (i) k += (size_t)snprintf(buf + k, cap - k, "-");
        if (k < cap) k += (size_t)shape_str(a->shape[i], buf + k, cap - k);
    }
    return buf;
}

/* full: every activation, the code's mark, the loss and the init said outright (a model file's spec means
 * the same to any later reader, whatever its defaults); else what equals the defaults is left out. */
static char *print_spec(const ae_arch *a, char *buf, size_t cap, int full) {
    size_t k = 0;
    if (!cap) return NULL;
    if (a->n_layers < 1 || a->n_layers > AE_MAX_LAYERS) return NULL; /* not an architecture ae_arch_check passed */
#define PUT(...) do { int r_ = snprintf(buf + (k < cap ? k : cap), k < cap ? cap - k : 0, __VA_ARGS__); k += r_ > 0 ? (size_t)r_ : 0; } while (0)
    const int L = a->n_layers;
    /* a shared interior activation other than relu is said once, as hidden= */
    ae_act h = AE_ACT_RELU;
    if (L > 1 && !full) {
        int first = 1;
        for (int l = 0; l < L - 1; l++) {
            if (!learns(a, l)) continue;
            if (first) h = a->layer[l].act;
            else if (a->layer[l].act != h) h = AE_ACT_RELU;
            first = 0;
        }
    }
    char tmp[64];
    shape_str(a->input, tmp, sizeof tmp);
    PUT("%s", tmp);
    const int code_auto = full ? -1 : auto_code(a);
    for (int l = 0; l < L; l++) {
        const ae_layer_ops *ops = ae_layer_ops_of(a->layer[l].kind);
        if (!ops || (unsigned)a->layer[l].act >= AE_ACT_COUNT) return NULL;
        ops->print(&a->layer[l], tmp, sizeof tmp);
        const ae_act def = l == L - 1 ? AE_ACT_SIGMOID : !learns(a, l) ? AE_ACT_IDENTITY : h;
        PUT("-%s%s", a->code == l + 1 && a->code != code_auto ? "*" : "", tmp);
        if (full || a->layer[l].act != def) PUT(":%s", ae_act_name(a->layer[l].act));
    }
    if (h != AE_ACT_RELU) PUT(" hidden=%s", ae_act_name(h));
    if (full || a->loss != default_loss(a->layer[L - 1].act)) PUT(" loss=%s", ae_loss_name(a->loss));
    if (full || a->init != AE_INIT_GLOROT_UNIFORM) PUT(" init=%s", ae_init_name(a->init));
#undef PUT
    return k < cap ? buf : NULL;
}

char *ae_arch_spec(const ae_arch *a, char *buf, size_t cap) { return print_spec(a, buf, cap, 0); }
char *ae_arch_spec_full(const ae_arch *a, char *buf, size_t cap) { return print_spec(a, buf, cap, 1); }
