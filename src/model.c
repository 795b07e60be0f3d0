/* The model: a chain of layers (each kind's arithmetic in src/layers/) with a named bottleneck (the code).
 * Layers [0, code) are the encoder, [code, n_layers) the decoder. Everything the model needs for a
 * training step, at any batch size up to max_batch, is carved out of one allocation here; the layers'
 * activations run fused into their products where the kind can (dense), else as their own step. */
#include "layers/layer.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each random tensor from its fans: Glorot Var = 2/(fan_in+fan_out), He Var = 2/fan_in; uniform on [-L, L]
 * has Var L²/3. Other tensors (biases) start at 0. Tensors are drawn in layout order from one stream. */
void ae_model_reset(ae_model *m, uint64_t seed) {
    ae_rng r;
    ae_rng_seed(&r, seed, 0x61656c6162ULL /* "aelab" */);
    const ae_arch *a = &m->arch;
    const int he = a->init == AE_INIT_HE_UNIFORM || a->init == AE_INIT_HE_NORMAL;
    const int uniform = a->init == AE_INIT_GLOROT_UNIFORM || a->init == AE_INIT_HE_UNIFORM;
    for (int l = 0; l < a->n_layers; l++)
        for (int k = 0; k < m->n_tensors[l]; k++) {
            const ae_tensor_info *ti = &m->tensor[l][k];
            float *T = m->params + m->t_off[l][k];
            if (!ti->random) { memset(T, 0, ti->count * sizeof(float)); continue; }
            double var = he ? 2.0 / ti->fan_in : 2.0 / (ti->fan_in + ti->fan_out);
            float lim = (float)sqrt(3.0 * var), sd = (float)sqrt(var);
            for (size_t i = 0; i < ti->count; i++) T[i] = uniform ? lim * (2.0f * ae_rng_uniform(&r) - 1.0f) : sd * ae_rng_normal(&r);
        }
    size_t bytes = m->n_params * sizeof(float);
    memset(m->grads, 0, bytes);
    memset(m->opt_m, 0, bytes);
    memset(m->opt_v, 0, bytes);
    m->t = 0;
    m->can_undo = 0;
}

void ae_model_reset_optimizer(ae_model *m) {
    memset(m->opt_m, 0, m->n_params * sizeof(float));
    memset(m->opt_v, 0, m->n_params * sizeof(float));
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

int ae_arch_n_params(const ae_arch *a, uint64_t *n) {
    *n = 0;
    for (int l = 0; l < a->n_layers; l++) {
        ae_tensor_info t[AE_MAX_TENSORS];
        int nt = ae_layer_ops_of(a->layer[l].kind)->tensors(&a->layer[l], a->shape[l], a->shape[l + 1], t);
        for (int k = 0; k < nt; k++) {
            uint64_t c = 1;
            for (int d = 0; d < t[k].ndim; d++)
                if (ae_mul_u64(c, (uint64_t)t[k].dims[d], &c)) return -1;
            if (c > AE_ADDRESSABLE || *n + c < *n) return -1;
            *n += c;
        }
    }
    return 0;
}

/* Where layer l's pre-activation z lives. Only the output's z (the loss reads its logits) and a pooling
 * layer's (its backward finds the maxima again) are read after the layer's own forward; a hidden layer's y =
 * f(z) is what backward reads. So z has a buffer of its own only where it is read later, and is y itself
 * everywhere else: under the identity trivially, and otherwise because every f but softmax (output only)
 * is elementwise and ae_act_forward may run in place, so the layer writes z into y's rows and f turns them
 * into y (the same arithmetic, so the same bits as a separate z: tests/c/test_conv.c, check_in_place). No
 * buffer for z: less memory, and on two threads no layer writes its z over cache lines that a layer of
 * another width had the other core write (docs/benchmarks.md). True where z has a buffer of its own. */
static int z_own(const ae_arch *a, int l) {
    return a->layer[l].act != AE_ACT_IDENTITY && (l == a->n_layers - 1 || ae_layer_ops_of(a->layer[l].kind)->reads_z);
}

/* The gradients dz[l] (B, sizes[l+1]) share buffers: dz[l] lives only from layer l+1's backward to layer l's,
 * so it may share with any dz[m] of the same width with m < l − 1 (the width so that the layers that take
 * turns in a buffer lay their batch out alike, example e at e·width). A buffer shared by layers of different
 * widths puts an example's gradient where another layer had put another example's: on two threads, each
 * writing its own contiguous part of the batch, half of each such layer's writes then land on cache lines
 * the other core wrote last, which costs most when the host has put the two cores on different chiplets
 * (docs/benchmarks.md). Sets buf[l] to dz[l]'s buffer and width[b] to buffer b's; returns the count of
 * buffers, at most two per width. For W3 and the keras.io model this is less memory than the two buffers
 * of the largest width that took turns before, for a stack of equal widths the same; a model of many
 * different widths takes more (784-1000-500-250-30-250-500-1000-784: 2,564 floats an example, not 2,000),
 * at most half as many times as it has layers. */
static int dz_buffers(const ae_arch *a, int *buf, uint64_t *width) {
    int last[AE_MAX_LAYERS], nb = 0; /* the last layer given each buffer */
    for (int l = 0; l < a->n_layers; l++) {
        int b = 0;
        while (b < nb && !(width[b] == (uint64_t)a->sizes[l + 1] && last[b] < l - 1)) b++;
        if (b == nb) width[nb++] = (uint64_t)a->sizes[l + 1];
        buf[l] = b;
        last[b] = l;
    }
    return nb;
}

/* How much one allocation holds, in 64 bits so that nothing wraps in wasm's 32-bit size_t: two copies of
 * (params, m, v), the gradients, activations for max_batch rows (a[0..L] over every width; the z that
 * z_own gives a buffer of its own; dz over widths 1..L as dz_buffers shares them out; the target at the output width), the largest layer scratch, and one decay-mask byte per
 * parameter. Widths are at most AE_MAX_WIDTH (2^20) and layers AE_MAX_LAYERS; every product is checked. */
static int plan(ae_model *m, int max_batch, uint64_t *n_params, uint64_t *bytes, uint64_t *n_scratch) {
    const ae_arch *a = &m->arch;
    const int L = a->n_layers;
    uint64_t n = 0, acts = 0, act_floats, floats, scratch = 0;
    for (int l = 0; l < L; l++) {
        const ae_layer_ops *ops = ae_layer_ops_of(a->layer[l].kind);
        m->n_tensors[l] = ops->tensors(&a->layer[l], a->shape[l], a->shape[l + 1], m->tensor[l]);
        for (int k = 0; k < m->n_tensors[l]; k++) {
            uint64_t c = 1;
            for (int d = 0; d < m->tensor[l][k].ndim; d++)
                if (ae_mul_u64(c, (uint64_t)m->tensor[l][k].dims[d], &c)) return -1;
            m->tensor[l][k].count = (size_t)c; /* used only if the whole plan fits the build (ae_model_init) */
            n += c;
        }
        uint64_t s = ops->scratch(&a->layer[l], a->shape[l], a->shape[l + 1], max_batch);
        scratch = s > scratch ? s : scratch;
    }
    uint64_t dzw[AE_MAX_LAYERS];
    int dzb[AE_MAX_LAYERS];
    for (int i = 0; i <= L; i++) acts += (uint64_t)a->sizes[i];
    for (int b = 0, nb = dz_buffers(a, dzb, dzw); b < nb; b++) acts += dzw[b];
    for (int l = 0; l < L; l++)
        if (z_own(a, l)) acts += (uint64_t)a->sizes[l + 1];
    acts += (uint64_t)a->sizes[L]; /* the target */
    if (ae_mul_u64(acts, (uint64_t)max_batch, &act_floats) || ae_mul_u64(n, 7, &floats) || floats + act_floats < floats ||
        floats + act_floats + scratch < scratch || ae_mul_u64(floats + act_floats + scratch, sizeof(float), bytes) || *bytes + n < *bytes)
        return -1;
    *bytes += n;
    *n_params = n;
    *n_scratch = scratch;
    return 0;
}

int ae_model_init(ae_model *m, const ae_arch *arch, int max_batch, uint64_t seed) {
    memset(m, 0, sizeof *m);
    if (!arch) return ae_fail(AE_ERR_ARG, "no architecture given");
    m->arch = *arch;
    int rc = ae_arch_check(&m->arch);
    if (rc) { memset(m, 0, sizeof *m); return rc; }
    const ae_arch *a = &m->arch;
    if (max_batch < 1 || max_batch > AE_MAX_BATCH) {
        memset(m, 0, sizeof *m);
        return ae_fail(AE_ERR_ARG, "batch size %d is outside 1..%d", max_batch, AE_MAX_BATCH);
    }
    const int L = a->n_layers;
    uint64_t n64 = 0, need = UINT64_MAX, scratch64 = 0;
    char sizes[256], need_s[32], cap[32];
    ae_arch_sizes_str(a, sizes, sizeof sizes);
    if (plan(m, max_batch, &n64, &need, &scratch64) || need > AE_MAX_MODEL_BYTES) {
        memset(m, 0, sizeof *m);
        return ae_fail(AE_ERR_NOMEM, "model %s would need %s of memory (%llu parameters, batches of up to %d); this build can hold "
                       "at most %s%s. Use narrower layers.", sizes, ae_fmt_bytes(need, need_s, sizeof need_s), (unsigned long long)n64, max_batch,
                       ae_fmt_bytes(AE_MAX_MODEL_BYTES, cap, sizeof cap), SIZE_MAX <= 0xFFFFFFFFu ? " (WebAssembly's 32-bit memory)" : "");
    }
    const size_t n = (size_t)n64, bytes = (size_t)need, n_scratch = (size_t)scratch64;
    m->max_batch = max_batch;
    m->n_params = n;
    m->fuse = 1;
    size_t off = 0;
    for (int l = 0; l < L; l++) {
        m->p_off[l] = off;
        for (int k = 0; k < m->n_tensors[l]; k++) {
            m->t_off[l][k] = off;
            off += m->tensor[l][k].count;
        }
    }
    m->p_off[L] = off;
    float *mem = malloc(bytes);
    if (!mem) {
        memset(m, 0, sizeof *m);
        return ae_fail(AE_ERR_NOMEM, "out of memory allocating %s for model %s", ae_fmt_bytes(need, need_s, sizeof need_s), sizes);
    }
    memset(mem, 0, bytes);
    m->mem = mem;
    float *p = mem;
    m->state[0] = p; p += 3 * n;
    m->state[1] = p; p += 3 * n;
    use_state(m, 0);
    m->grads = p; p += n;
    for (int i = 0; i <= L; i++) {
        m->a[i] = p;
        p += (size_t)a->sizes[i] * max_batch;
    }
    for (int l = 0; l < L; l++) {
        const int own = z_own(a, l);
        m->z[l] = own ? p : m->a[l + 1];
        if (own) p += (size_t)a->sizes[l + 1] * max_batch;
    }
    uint64_t dzw[AE_MAX_LAYERS];
    int dzb[AE_MAX_LAYERS];
    float *dzbuf[AE_MAX_LAYERS];
    for (int b = 0, nb = dz_buffers(a, dzb, dzw); b < nb; b++) {
        dzbuf[b] = p;
        p += (size_t)dzw[b] * max_batch;
    }
    for (int l = 0; l < L; l++) m->dz[l] = dzbuf[dzb[l]];
    m->target = p; p += (size_t)a->sizes[L] * max_batch;
    m->scratch = n_scratch ? p : NULL; p += n_scratch;
    m->decay_mask = (uint8_t *)p;
    for (int l = 0; l < L; l++)
        for (int k = 0; k < m->n_tensors[l]; k++)
            memset(m->decay_mask + m->t_off[l][k], m->tensor[l][k].decay ? 1 : 0, m->tensor[l][k].count);
    ae_model_reset(m, seed);
    return AE_OK;
}

void ae_model_free(ae_model *m) {
    if (!m) return;
    free(m->mem);
    memset(m, 0, sizeof *m);
}

float *ae_model_tensor(ae_model *m, int l, int k) {
    if (!m->mem || l < 0 || l >= m->arch.n_layers || k < 0 || k >= m->n_tensors[l]) return NULL;
    return m->params + m->t_off[l][k];
}
float *ae_model_weight(ae_model *m, int l) { return ae_model_tensor(m, l, 0); }

void ae_model_grad_norms(const ae_model *m, double *out) {
    for (int l = 0; l < m->arch.n_layers; l++) {
        double s = 0.0;
        for (int k = 0; k < m->n_tensors[l]; k++) {
            if (!m->tensor[l][k].decay) continue; /* weights, not biases */
            const float *g = m->grads + m->t_off[l][k];
            for (size_t i = 0; i < m->tensor[l][k].count; i++) s += (double)g[i] * g[i];
        }
        out[l] = sqrt(s);
    }
}
float *ae_model_bias(ae_model *m, int l) { return ae_model_tensor(m, l, 1); }
float *ae_model_input(ae_model *m) { return m->a[0]; }
const float *ae_model_output(const ae_model *m) { return m->a[m->arch.n_layers]; }
const float *ae_model_code(const ae_model *m) { return m->a[m->arch.code]; }

static int check_batch(const ae_model *m, int B) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (B < 1 || B > m->max_batch) return ae_fail(AE_ERR_ARG, "batch of %d rows; this model takes 1 to %d", B, m->max_batch);
    return AE_OK;
}

/* Layer l's view of the model's buffers for a batch of B rows. */
static void layer_ctx(ae_model *m, int l, int B, ae_layer_ctx *c) {
    const ae_arch *a = &m->arch;
    *c = (ae_layer_ctx){.spec = &a->layer[l], .in = a->shape[l], .out = a->shape[l + 1], .B = B,
                        .x = m->a[l], .z = m->z[l], .y = m->a[l + 1], .dz = m->dz[l], .fuse_below = -1, .scratch = m->scratch};
    for (int k = 0; k < m->n_tensors[l]; k++) {
        c->p[k] = m->params + m->t_off[l][k];
        c->g[k] = m->grads + m->t_off[l][k];
    }
}

double ae_model_layer_flops(const ae_model *m, int l, int backward) {
    if (!m || l < 0 || l >= m->arch.n_layers) return 0.0;
    const ae_arch *a = &m->arch;
    const ae_layer_ops *ops = ae_layer_ops_of(a->layer[l].kind);
    /* flops() counts forward and backward: 2 per multiply-add forward, 2 for the weight gradient and 2 for
     * the input gradient, so without the input gradient it is twice the forward */
    const double fwd = ops->flops(&a->layer[l], a->shape[l], a->shape[l + 1], 0) / 2.0;
    return backward ? ops->flops(&a->layer[l], a->shape[l], a->shape[l + 1], l > 0) - fwd : fwd;
}

int ae_model_forward_range(ae_model *m, int from, int to, int B) {
    int rc = check_batch(m, B);
    if (rc) return rc;
    const ae_arch *a = &m->arch;
    if (from < 0 || to > a->n_layers || from > to) return ae_fail(AE_ERR_ARG, "layer range [%d, %d) is outside the model", from, to);
    for (int l = from; l < to; l++) {
        const double t0 = m->prof ? ae_seconds() : 0.0;
        ae_layer_ctx c;
        layer_ctx(m, l, B, &c);
        const ae_layer_ops *ops = ae_layer_ops_of(a->layer[l].kind);
        c.apply_act = m->fuse && ops->fuses_act;
        ops->forward(&c);
        if (!c.apply_act) ae_act_forward(a->layer[l].act, c.z, c.y, (size_t)B * a->sizes[l + 1], a->sizes[l + 1]);
        if (m->prof) m->prof[2 * l] += ae_seconds() - t0;
    }
    return AE_OK;
}

int ae_model_forward(ae_model *m, int B) { return ae_model_forward_range(m, 0, m->arch.n_layers, B); }

double ae_model_loss(ae_model *m, const float *t, int B, int grad) {
    if (check_batch(m, B)) return NAN;
    const int L = m->arch.n_layers;
    double loss = ae_loss_eval(m->arch.loss, m->arch.layer[L - 1].act, m->z[L - 1], m->a[L], t, grad ? m->dz[L - 1] : NULL, B,
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
    /* dz[L-1] comes from the loss. Each layer writes the gradient of its input, which is the output y of the
     * layer below; that layer's dz = f'(y) ⊙ dL/dy is either folded into the product (fuse_below) or
     * applied here in place, as its own step. */
    for (int l = L - 1; l >= from; l--) {
        const double t0 = m->prof ? ae_seconds() : 0.0;
        ae_layer_ctx c;
        layer_ctx(m, l, B, &c);
        const ae_layer_ops *ops = ae_layer_ops_of(a->layer[l].kind);
        const int below = l > from;
        const ae_act f = below ? a->layer[l - 1].act : AE_ACT_IDENTITY;
        c.dx = below ? m->dz[l - 1] : NULL;
        if (below && m->fuse && ops->fuses_below) c.fuse_below = (int)f;
        ops->backward(&c);
        if (below && c.fuse_below < 0) ae_act_backward(f, m->a[l], c.dx, c.dx, (size_t)B * a->sizes[l]);
        /* a sparse code: the penalty λ/B·Σ|a[code]| adds its gradient where the code's own is complete */
        if (below && l == a->code && m->code_l1 > 0.0f) ae_act_l1_grad(f, m->a[l], c.dx, m->code_l1 / (float)B, (size_t)B * a->sizes[l]);
        if (m->prof) m->prof[2 * l + 1] += ae_seconds() - t0;
    }
    return AE_OK;
}

int ae_model_step(ae_model *m, const ae_optim_cfg *c, int from, int to) {
    if (!m->mem) return ae_fail(AE_ERR_ARG, "the model is not initialised");
    if (from < 0 || to > m->arch.n_layers || from >= to) return ae_fail(AE_ERR_ARG, "layer range [%d, %d) is outside the model", from, to);
    if (!(c->lr > 0.0f) || !isfinite(c->lr)) return ae_fail(AE_ERR_ARG, "learning rate must be a positive number");
    const size_t n = m->n_params, lo = m->p_off[from], hi = m->p_off[to];
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
    const ae_arch *a = &m->arch;
    double f = 0.0;
    for (int l = 0; l < a->n_layers; l++) f += ae_layer_ops_of(a->layer[l].kind)->flops(&a->layer[l], a->shape[l], a->shape[l + 1], l > 0);
    return f;
}
