/* The autoencoder model: a stack of dense layers with a named bottleneck (the code). Layers [0, code)
 * are the encoder, [code, n_layers) the decoder. Everything the model needs for a training step, at any
 * batch size up to max_batch, is carved out of one allocation here. */
#include "internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int ae_arch_check(const ae_arch *a) {
    if (!a) return ae_fail(AE_ERR_ARG, "no architecture given");
    if (a->n_layers < 1 || a->n_layers > AE_MAX_LAYERS)
        return ae_fail(AE_ERR_ARG, "a model needs 1 to %d layers, got %d", AE_MAX_LAYERS, a->n_layers);
    for (int i = 0; i <= a->n_layers; i++)
        if (a->sizes[i] < 1 || a->sizes[i] > AE_MAX_WIDTH)
            return ae_fail(AE_ERR_ARG, "layer width %d is %d; widths must be 1 to %d", i, a->sizes[i], AE_MAX_WIDTH);
    if (a->code < 0 || a->code > a->n_layers)
        return ae_fail(AE_ERR_ARG, "code index %d is outside 0..%d", a->code, a->n_layers);
    if (a->code == a->n_layers)
        return ae_fail(AE_ERR_ARG, "the code cannot be the output layer");
    for (int l = 0; l < a->n_layers; l++) {
        if ((unsigned)a->act[l] >= AE_ACT_COUNT) return ae_fail(AE_ERR_ARG, "layer %d has an unknown activation", l);
        if (a->act[l] == AE_ACT_SOFTMAX && l != a->n_layers - 1)
            return ae_fail(AE_ERR_ARG, "softmax is only allowed on the output layer");
    }
    ae_act out = a->act[a->n_layers - 1];
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

int ae_arch_parse(ae_arch *a, const char *sizes, const char *hidden, const char *code, const char *output,
                  const char *loss) {
    memset(a, 0, sizeof *a);
    if (!sizes || !*sizes) return ae_fail(AE_ERR_ARG, "empty architecture: give widths like 784-32-784");
    const char *p = sizes;
    int n = 0, marked = -1;
    while (*p) {
        if (n > AE_MAX_LAYERS) return ae_fail(AE_ERR_ARG, "architecture '%s' has more than %d layers", sizes, AE_MAX_LAYERS);
        if (*p == '*') { marked = n; p++; }
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > AE_MAX_WIDTH)
            return ae_fail(AE_ERR_ARG, "architecture '%s': widths must be whole numbers from 1 to %d, separated by '-'", sizes, AE_MAX_WIDTH);
        a->sizes[n++] = (int)v;
        p = end;
        if (*p == '-') { p++; if (!*p) return ae_fail(AE_ERR_ARG, "architecture '%s' ends with '-'", sizes); }
        else if (*p) return ae_fail(AE_ERR_ARG, "architecture '%s': unexpected '%c'", sizes, *p);
    }
    if (n < 2) return ae_fail(AE_ERR_ARG, "architecture '%s' needs at least an input and an output width", sizes);
    a->n_layers = n - 1;
    if (marked == 0 || marked == n - 1) return ae_fail(AE_ERR_ARG, "architecture '%s': the code ('*') must be an interior layer", sizes);
    a->code = marked;
    if (marked < 0) { /* the narrowest interior layer; none for a single-layer model */
        a->code = 0;
        for (int i = 1; i < n - 1; i++)
            if (a->code == 0 || a->sizes[i] < a->sizes[a->code]) a->code = i;
    }
    ae_act h = AE_ACT_RELU, c, o = AE_ACT_SIGMOID;
    if (hidden && ae_act_parse(hidden, &h)) return ae_fail(AE_ERR_ARG, "unknown activation '%s' (linear, sigmoid, tanh, relu, leaky_relu)", hidden);
    c = h;
    if (code && ae_act_parse(code, &c)) return ae_fail(AE_ERR_ARG, "unknown code activation '%s'", code);
    if (output && ae_act_parse(output, &o)) return ae_fail(AE_ERR_ARG, "unknown output activation '%s'", output);
    for (int l = 0; l < a->n_layers; l++) a->act[l] = (l + 1 == a->code) ? c : h;
    a->act[a->n_layers - 1] = o;
    a->loss = AE_LOSS_BCE;
    if (loss && ae_loss_parse(loss, &a->loss)) return ae_fail(AE_ERR_ARG, "unknown loss '%s' (mse, bce, softmax_ce)", loss);
    a->init = AE_INIT_GLOROT_UNIFORM;
    return ae_arch_check(a);
}

char *ae_arch_sizes_str(const ae_arch *a, char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i <= a->n_layers && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%s%d", i ? "-" : "", "", a->sizes[i]);
    return buf;
}

/* Glorot: Var = 2/(fan_in+fan_out); He: Var = 2/fan_in. Uniform on [-L, L] has Var L²/3. Biases 0. */
void ae_model_reset(ae_model *m, uint64_t seed) {
    ae_rng r;
    ae_rng_seed(&r, seed, 0x61656c6162ULL /* "aelab" */);
    const ae_arch *a = &m->arch;
    for (int l = 0; l < a->n_layers; l++) {
        int in = a->sizes[l], out = a->sizes[l + 1];
        float *W = m->params + m->w_off[l];
        double var = (a->init == AE_INIT_HE_UNIFORM || a->init == AE_INIT_HE_NORMAL) ? 2.0 / in : 2.0 / (in + out);
        int uniform = a->init == AE_INIT_GLOROT_UNIFORM || a->init == AE_INIT_HE_UNIFORM;
        float lim = (float)sqrt(3.0 * var), sd = (float)sqrt(var);
        for (size_t i = 0; i < (size_t)in * out; i++)
            W[i] = uniform ? lim * (2.0f * ae_rng_uniform(&r) - 1.0f) : sd * ae_rng_normal(&r);
        memset(m->params + m->b_off[l], 0, (size_t)out * sizeof(float));
    }
    size_t bytes = m->n_params * sizeof(float);
    memset(m->grads, 0, bytes);
    memset(m->opt_m, 0, bytes);
    memset(m->opt_v, 0, bytes);
    m->t = 0;
    m->can_undo = 0;
}

/* params, opt_m and opt_v point into state copy c: (3, n) = params, m, v. */
static void use_state(ae_model *m, int c) {
    m->cur = c;
    m->params = m->state[c];
    m->opt_m = m->state[c] + m->n_params;
    m->opt_v = m->state[c] + 2 * m->n_params;
}

/* How much one allocation holds, in 64 bits so that nothing wraps in wasm's 32-bit size_t: two copies of
 * (params, m, v), the gradients, activations for max_batch rows (a[0..L] over every width; z and dz over
 * widths 1..L; the target at the output width), and one decay-mask byte per parameter. Widths are at most
 * AE_MAX_WIDTH (2^20) and layers AE_MAX_LAYERS, so these sums cannot overflow 64 bits; the products are
 * checked all the same. */
static int plan(const ae_arch *a, int max_batch, uint64_t *n_params, uint64_t *bytes) {
    const int L = a->n_layers;
    uint64_t n = 0, acts = 0, w, act_floats, floats;
    for (int l = 0; l < L; l++) {
        if (ae_mul_u64((uint64_t)a->sizes[l], (uint64_t)a->sizes[l + 1], &w)) return -1;
        n += w + (uint64_t)a->sizes[l + 1];
    }
    for (int i = 0; i <= L; i++) acts += (uint64_t)a->sizes[i] * (i ? 3 : 1);
    acts += (uint64_t)a->sizes[L];
    if (ae_mul_u64(acts, (uint64_t)max_batch, &act_floats) || ae_mul_u64(n, 7, &floats) || floats + act_floats < floats ||
        ae_mul_u64(floats + act_floats, sizeof(float), bytes) || *bytes + n < *bytes)
        return -1;
    *bytes += n;
    *n_params = n;
    return 0;
}

int ae_model_init(ae_model *m, const ae_arch *a, int max_batch, uint64_t seed) {
    memset(m, 0, sizeof *m);
    int rc = ae_arch_check(a);
    if (rc) return rc;
    if (max_batch < 1 || max_batch > AE_MAX_BATCH)
        return ae_fail(AE_ERR_ARG, "batch size %d is outside 1..%d", max_batch, AE_MAX_BATCH);
    const int L = a->n_layers;
    uint64_t n64 = 0, need = UINT64_MAX;
    char sizes[256], need_s[32], cap[32];
    ae_arch_sizes_str(a, sizes, sizeof sizes);
    if (plan(a, max_batch, &n64, &need) || need > AE_MAX_MODEL_BYTES)
        return ae_fail(AE_ERR_NOMEM, "model %s would need %s of memory (%llu parameters, batches of up to %d); this build can hold "
                       "at most %s%s. Use narrower layers.", sizes, ae_fmt_bytes(need, need_s, sizeof need_s), (unsigned long long)n64, max_batch,
                       ae_fmt_bytes(AE_MAX_MODEL_BYTES, cap, sizeof cap), SIZE_MAX <= 0xFFFFFFFFu ? " (WebAssembly's 32-bit memory)" : "");
    const size_t n = (size_t)n64, bytes = (size_t)need;
    m->arch = *a;
    m->max_batch = max_batch;
    m->n_params = n;
    size_t off = 0;
    for (int l = 0; l < L; l++) {
        m->w_off[l] = off;
        off += (size_t)a->sizes[l] * a->sizes[l + 1];
        m->b_off[l] = off;
        off += (size_t)a->sizes[l + 1];
    }
    float *mem = malloc(bytes);
    if (!mem) return ae_fail(AE_ERR_NOMEM, "out of memory allocating %s for model %s", ae_fmt_bytes(need, need_s, sizeof need_s), sizes);
    memset(mem, 0, bytes);
    m->mem = mem;
    float *p = mem;
    m->state[0] = p; p += 3 * n;
    m->state[1] = p; p += 3 * n;
    use_state(m, 0);
    m->grads = p; p += n;
    for (int i = 0; i <= L; i++) {
        size_t sz = (size_t)a->sizes[i] * max_batch;
        m->a[i] = p; p += sz;
        if (i) { m->z[i - 1] = p; p += sz; m->dz[i - 1] = p; p += sz; }
    }
    m->target = p; p += (size_t)a->sizes[L] * max_batch;
    m->decay_mask = (uint8_t *)p;
    for (int l = 0; l < L; l++) {
        memset(m->decay_mask + m->w_off[l], 1, (size_t)a->sizes[l] * a->sizes[l + 1]);
        memset(m->decay_mask + m->b_off[l], 0, (size_t)a->sizes[l + 1]);
    }
    ae_model_reset(m, seed);
    return AE_OK;
}

void ae_model_free(ae_model *m) {
    if (!m) return;
    free(m->mem);
    memset(m, 0, sizeof *m);
}

float *ae_model_weight(ae_model *m, int l) { return m->params + m->w_off[l]; }
float *ae_model_bias(ae_model *m, int l) { return m->params + m->b_off[l]; }
float *ae_model_input(ae_model *m) { return m->a[0]; }
const float *ae_model_output(const ae_model *m) { return m->a[m->arch.n_layers]; }
const float *ae_model_code(const ae_model *m) { return m->a[m->arch.code]; }

static int check_batch(const ae_model *m, int B) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (B < 1 || B > m->max_batch) return ae_fail(AE_ERR_ARG, "batch of %d rows; this model takes 1 to %d", B, m->max_batch);
    return AE_OK;
}

int ae_model_forward_range(ae_model *m, int from, int to, int B) {
    int rc = check_batch(m, B);
    if (rc) return rc;
    const ae_arch *a = &m->arch;
    if (from < 0 || to > a->n_layers || from > to) return ae_fail(AE_ERR_ARG, "layer range [%d, %d) is outside the model", from, to);
    for (int l = from; l < to; l++)
        ae_dense_forward(m->a[l], m->params + m->w_off[l], m->params + m->b_off[l], m->z[l], m->a[l + 1], B,
                         a->sizes[l], a->sizes[l + 1], a->act[l]);
    return AE_OK;
}

int ae_model_forward(ae_model *m, int B) { return ae_model_forward_range(m, 0, m->arch.n_layers, B); }

double ae_model_loss(ae_model *m, const float *t, int B, int grad) {
    if (check_batch(m, B)) return NAN;
    const int L = m->arch.n_layers;
    double loss = ae_loss_eval(m->arch.loss, m->arch.act[L - 1], m->z[L - 1], m->a[L], t, grad ? m->dz[L - 1] : NULL, B,
                               m->arch.sizes[L]);
    return isfinite(loss) ? loss : NAN;
}

void ae_model_zero_grad(ae_model *m) { ae_parallel_copy(m->grads, NULL, m->n_params); }

int ae_model_backward(ae_model *m, int from, int B) {
    int rc = check_batch(m, B);
    if (rc) return rc;
    const ae_arch *a = &m->arch;
    const int L = a->n_layers;
    if (from < 0 || from >= L) return ae_fail(AE_ERR_ARG, "backward from layer %d: the model has layers 0..%d", from, L - 1);
    /* dz[L-1] comes from the loss; each layer's input-gradient GEMM ends by multiplying with the layer
     * below's f', which gives that layer's dz directly. */
    for (int l = L - 1; l >= from; l--)
        ae_dense_backward(m->a[l], m->params + m->w_off[l], m->dz[l], l > from ? m->dz[l - 1] : NULL,
                          m->grads + m->w_off[l], m->grads + m->b_off[l], B, a->sizes[l], a->sizes[l + 1],
                          l > 0 ? (int)a->act[l - 1] : -1);
    return AE_OK;
}

int ae_model_step(ae_model *m, const ae_optim_cfg *c, int from, int to) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (from < 0 || to > m->arch.n_layers || from >= to) return ae_fail(AE_ERR_ARG, "layer range [%d, %d) is outside the model", from, to);
    if (!(c->lr > 0.0f) || !isfinite(c->lr)) return ae_fail(AE_ERR_ARG, "learning rate must be a positive number");
    const size_t n = m->n_params, lo = m->w_off[from], hi = m->b_off[to - 1] + (size_t)m->arch.sizes[to];
    const float *src = m->state[m->cur];
    float *dst = m->state[!m->cur];
    /* the frozen layers' parameters and moments carry over to the other copy unchanged */
    for (int k = 0; k < 3 && (lo > 0 || hi < n); k++) {
        ae_parallel_copy(dst + k * n, src + k * n, lo);
        ae_parallel_copy(dst + k * n + hi, src + k * n + hi, n - hi);
    }
    m->t++;
    ae_optim_step_to(c, m->t, hi - lo, src + lo, m->grads + lo, src + n + lo, src + 2 * n + lo, dst + lo, dst + n + lo,
                     dst + 2 * n + lo, m->decay_mask + lo);
    use_state(m, !m->cur);
    m->can_undo = 1;
    return AE_OK;
}

int ae_model_undo_step(ae_model *m) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (!m->can_undo) return ae_fail(AE_ERR_ARG, "there is no optimizer step to undo");
    use_state(m, !m->cur); /* the copy the last step read from, untouched since */
    m->t--;
    m->can_undo = 0;
    return AE_OK;
}

int ae_model_chunks(ae_model *m, int B, ae_chunk_fn fn, void *ctx) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (B < 0) return ae_fail(AE_ERR_ARG, "%d rows; give at least 0", B);
    for (int r = 0; r < B; r += m->max_batch) {
        int rc = fn(m, r, B - r < m->max_batch ? B - r : m->max_batch, ctx);
        if (rc) return rc;
    }
    return AE_OK;
}

typedef struct { int from, to; const float *x; float *out; } map_ctx;

/* rows [first, first+b): x rows into a[from], layers [from, to), a[to] out */
static int map_chunk(ae_model *m, int first, int b, void *ctx) {
    const map_ctx *c = ctx;
    const int in = m->arch.sizes[c->from], ow = m->arch.sizes[c->to];
    memcpy(m->a[c->from], c->x + (size_t)first * in, (size_t)b * in * sizeof(float));
    int rc = ae_model_forward_range(m, c->from, c->to, b);
    if (!rc) memcpy(c->out + (size_t)first * ow, m->a[c->to], (size_t)b * ow * sizeof(float));
    return rc;
}

int ae_model_map_rows(ae_model *m, int from, int to, const float *x, int B, float *out) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (from < 0 || to > m->arch.n_layers || from > to) return ae_fail(AE_ERR_ARG, "layer range [%d, %d) is outside the model", from, to);
    map_ctx c = {from, to, x, out};
    return ae_model_chunks(m, B, map_chunk, &c);
}

int ae_model_encode(ae_model *m, const float *x, int B, float *code) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (m->arch.code == 0) return ae_fail(AE_ERR_ARG, "this model has no code layer");
    return ae_model_map_rows(m, 0, m->arch.code, x, B, code);
}

int ae_model_decode(ae_model *m, const float *code, int B, float *out) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (m->arch.code == 0) return ae_fail(AE_ERR_ARG, "this model has no code layer");
    return ae_model_map_rows(m, m->arch.code, m->arch.n_layers, code, B, out);
}

double ae_model_train_flops(const ae_model *m) {
    double f = 0.0;
    for (int l = 0; l < m->arch.n_layers; l++) f += (l ? 6.0 : 4.0) * m->arch.sizes[l] * m->arch.sizes[l + 1];
    return f;
}
