/* Max pooling, nearest upsampling and reshape (src/layers/pool.c, up.c, reshape.c):
 *  - each layer's fast path against a plain reference written from the definition (pooling over a window
 *    padded with -inf, keeping the argmax index; upsampling by index division; reshape as the identity), on
 *    random shapes, 1 and 2 threads, with and without the activation and the layer below's derivative folded
 *    in: forward and input gradient the same values;
 *  - ties in max pooling: the gradient goes to the first maximum in row-major window order, only there;
 *  - the input gradient of each layer against central differences (in double) at awkward shapes: odd sides
 *    where 'same' rounds up (7 -> 4), 1x1 inputs, a window wider than the input, several channels;
 *  - whole models mixing them with dense layers through the spec: parameter gradients against central
 *    differences, and m->fuse 0 / 1 and 1 / 2 threads giving the same bits through training steps;
 *  - the spec tokens: shapes inferred, printed back, and malformed or mismatched ones refused with a message. */
#include "aelab.h"
#include "internal.h"
#include "layers/layer.h"
#include "check.h"

#define H 1e-3f

/* ---- the layer through its ops, as the model calls it ---- */

static ae_layer_ctx make_ctx(const ae_layer *l, ae_shape in, ae_shape out, int B) {
    return (ae_layer_ctx){.spec = l, .in = in, .out = out, .B = B, .fuse_below = -1};
}

static void run_forward(const ae_layer *l, ae_shape in, ae_shape out, int B, const float *x, float *z, float *y, int apply_act) {
    ae_layer_ctx c = make_ctx(l, in, out, B);
    c.x = x; c.z = z; c.y = y; c.apply_act = apply_act;
    ae_layer_ops_of(l->kind)->forward(&c);
}

static void run_backward(const ae_layer *l, ae_shape in, ae_shape out, int B, const float *x, const float *z, const float *dz, float *dx,
                         int fuse_below) {
    ae_layer_ctx c = make_ctx(l, in, out, B);
    const ae_layer_ops *ops = ae_layer_ops_of(l->kind);
    c.x = x; c.z = (float *)z; c.dz = dz; c.dx = dx; c.fuse_below = fuse_below;
    c.scratch = malloc(ops->scratch(l, in, out, B) * sizeof(float) + 1);
    ops->backward(&c);
    free(c.scratch);
}

static ae_shape infer(const ae_layer *l, ae_shape in) {
    ae_shape out = {0, 0, 0};
    int rc = ae_layer_ops_of(l->kind)->infer(l, in, &out);
    CHECK(rc == AE_OK, "infer %s on %dx%dx%d: %s", ae_layer_kind_name(l->kind), in.c, in.h, in.w, ae_last_error());
    return out;
}

/* ---- plain references, from the definitions ---- */

/* z (B, Ho, Wo, C): the max over each P x P window of x (B, H, W, C) padded with -inf to Ho·P x Wo·P; arg:
 * the index within the example of the first maximum (row-major in the window). */
static void pool_ref(const float *x, float *z, int *arg, int B, ae_shape in, int P) {
    const int C = in.c, Hh = in.h, W = in.w, Ho = (Hh + P - 1) / P, Wo = (W + P - 1) / P;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++)
                for (int ch = 0; ch < C; ch++) {
                    float best = -INFINITY;
                    int at = -1;
                    for (int dy = 0; dy < P; dy++)
                        for (int dx = 0; dx < P; dx++) {
                            const int iy = oy * P + dy, ix = ox * P + dx;
                            const float v = iy < Hh && ix < W ? x[(size_t)b * C * Hh * W + ((size_t)iy * W + ix) * C + ch] : -INFINITY;
                            if (at < 0 || v > best) { best = v; at = (iy * W + ix) * C + ch; }
                        }
                    const size_t o = (size_t)b * C * Ho * Wo + ((size_t)oy * Wo + ox) * C + ch;
                    z[o] = best;
                    arg[o] = at;
                }
}

static void pool_ref_back(const int *arg, const float *dz, float *dx, int B, ae_shape in, ae_shape out) {
    const size_t n_in = (size_t)AE_SHAPE_SIZE(in), n_out = (size_t)AE_SHAPE_SIZE(out);
    memset(dx, 0, (size_t)B * n_in * sizeof *dx);
    for (int b = 0; b < B; b++)
        for (size_t o = 0; o < n_out; o++) dx[b * n_in + (size_t)arg[b * n_out + o]] += dz[b * n_out + o];
}

/* z(yo, xo, ch) = x(yo / F, xo / F, ch); dx(yi, xi, ch) = Σ of dz over the outputs that copied it */
static void up_ref(const float *x, float *z, int B, ae_shape in, int F) {
    const int C = in.c, Ho = in.h * F, Wo = in.w * F;
    for (int b = 0; b < B; b++)
        for (int yo = 0; yo < Ho; yo++)
            for (int xo = 0; xo < Wo; xo++)
                for (int ch = 0; ch < C; ch++)
                    z[(size_t)b * C * Ho * Wo + ((size_t)yo * Wo + xo) * C + ch] = x[(size_t)b * C * in.h * in.w + ((size_t)(yo / F) * in.w + xo / F) * C + ch];
}

static void up_ref_back(const float *dz, float *dx, int B, ae_shape in, int F) {
    const int C = in.c, Ho = in.h * F, Wo = in.w * F;
    memset(dx, 0, (size_t)B * AE_SHAPE_SIZE(in) * sizeof *dx);
    for (int b = 0; b < B; b++)
        for (int yo = 0; yo < Ho; yo++)
            for (int xo = 0; xo < Wo; xo++)
                for (int ch = 0; ch < C; ch++)
                    dx[(size_t)b * C * in.h * in.w + ((size_t)(yo / F) * in.w + xo / F) * C + ch] += dz[(size_t)b * C * Ho * Wo + ((size_t)yo * Wo + xo) * C + ch];
}

/* i where a and b first differ (== on floats), or -1 */
static long first_diff(const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(a[i] == b[i])) return (long)i;
    return -1;
}

static void fill(ae_rng *r, float *v, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * ae_rng_uniform(r);
}

/* Fast path against the reference for one layer and shape: plain (no activation), then with the layer's
 * activation applied in forward (apply_act) and the layer below's derivative in backward (fuse_below),
 * which must equal the reference followed by ae_act_forward / ae_act_backward. */
static void compare_ref(const ae_layer *l, ae_shape in, int B, int threads, ae_rng *r, int ties) {
    const ae_shape out = infer(l, in);
    const size_t n_in = (size_t)B * AE_SHAPE_SIZE(in), n_out = (size_t)B * AE_SHAPE_SIZE(out);
    float *x = malloc(n_in * 4), *z = malloc(n_out * 4), *y = malloc(n_out * 4), *dz = malloc(n_out * 4), *dx = malloc(n_in * 4);
    float *zr = malloc(n_out * 4), *yr = malloc(n_out * 4), *dxr = malloc(n_in * 4);
    int *arg = malloc(n_out * sizeof *arg);
    fill(r, x, n_in, -1, 1);
    if (ties) /* few distinct values (and ReLU-like zeros): many windows hold their maximum more than once */
        for (size_t i = 0; i < n_in; i++) x[i] = x[i] < 0 ? 0.0f : (float)(int)(x[i] * 3) / 3;
    fill(r, dz, n_out, -1, 1);
    CHECK(ae_set_threads(threads) == AE_OK, "%s", ae_last_error());
    const char *name = ae_layer_kind_name(l->kind);
    const int P = l->size;
    for (int fused = 0; fused < 2; fused++) {
        ae_layer lf = *l;
        lf.act = fused ? AE_ACT_TANH : AE_ACT_IDENTITY;
        const int below = fused ? AE_ACT_SIGMOID : -1; /* x is then read as the outputs of a sigmoid below */
        memset(z, 0xff, n_out * 4); memset(y, 0xff, n_out * 4); memset(dx, 0xff, n_in * 4); /* NaN: unwritten values show */
        run_forward(&lf, in, out, B, x, z, y, fused);
        run_backward(&lf, in, out, B, x, z, dz, dx, below);
        if (l->kind == AE_LAYER_POOL) {
            pool_ref(x, zr, arg, B, in, P);
            pool_ref_back(arg, dz, dxr, B, in, out);
        } else if (l->kind == AE_LAYER_UP) {
            up_ref(x, zr, B, in, l->size);
            up_ref_back(dz, dxr, B, in, l->size);
        } else {
            memcpy(zr, x, n_in * 4);
            memcpy(dxr, dz, n_in * 4);
        }
        long dz_at = first_diff(z, zr, n_out);
        CHECK(dz_at < 0, "%s%d on %dx%dx%d B=%d, %d thread(s), fused %d: z differs from the reference at %ld (%g, want %g)", name, P, in.c,
              in.h, in.w, B, threads, fused, dz_at, dz_at < 0 ? 0.0 : z[dz_at], dz_at < 0 ? 0.0 : zr[dz_at]);
        if (fused) {
            ae_act_forward(lf.act, zr, yr, n_out, (int)AE_SHAPE_SIZE(out));
            ae_act_backward((ae_act)below, x, dxr, dxr, n_in);
            long at = first_diff(y, yr, n_out);
            CHECK(at < 0, "%s%d on %dx%dx%d: the fused activation differs from its own step at %ld", name, P, in.c, in.h, in.w, at);
        }
        long at = first_diff(dx, dxr, n_in);
        CHECK(at < 0, "%s%d on %dx%dx%d B=%d, %d thread(s), fused %d: dx differs from the reference at %ld (%g, want %g)", name, P, in.c, in.h,
              in.w, B, threads, fused, at, at < 0 ? 0.0 : dx[at], at < 0 ? 0.0 : dxr[at]);
    }
    ae_set_threads(1);
    free(x); free(z); free(y); free(dz); free(dx); free(zr); free(yr); free(dxr); free(arg);
}

/* ---- ties: the gradient goes to the first maximum of each window, and nowhere else ---- */
static void check_ties(void) {
    /* two channels of 5x5, P = 2: windows of 4, 2 and 1 values */
    const ae_layer l = {.kind = AE_LAYER_POOL, .size = 2};
    const ae_shape in = {2, 5, 5}, out = infer(&l, in);
    float x[50], z[18], dz[18], dx[50];
    for (int i = 0; i < 50; i++) x[i] = (i % 2) ? -2.0f : 1.0f; /* channel 0 all 1 (ties everywhere), channel 1 all -2 */
    x[(1 * 5 + 1) * 2 + 1] = 3.0f; /* channel 1, (1, 1): the only maximum of the first window, its last position */
    x[(0 * 5 + 2) * 2 + 0] = 0.0f; /* channel 0, window (0, 1): (0, 3), (1, 2) and (1, 3) tied at 1: (0, 3) first */
    for (int i = 0; i < 18; i++) dz[i] = (float)(i + 1);
    run_forward(&l, in, out, 1, x, z, z, 0);
    run_backward(&l, in, out, 1, x, z, dz, dx, -1);
    for (int iy = 0; iy < 5; iy++)
        for (int ix = 0; ix < 5; ix++)
            for (int ch = 0; ch < 2; ch++) {
                const int i = (iy * 5 + ix) * 2 + ch, o = ((iy / 2) * 3 + ix / 2) * 2 + ch;
                int wy = iy / 2 * 2, wx = ix / 2 * 2; /* where the gradient goes: the window's first position, */
                if (ch == 1 && iy / 2 == 0 && ix / 2 == 0) wy = wx = 1;   /* but the lone 3 */
                if (ch == 0 && iy / 2 == 0 && ix / 2 == 1) wy = 0, wx = 3; /* and the first 1 after the 0 */
                const float want = iy == wy && ix == wx ? dz[o] : 0.0f;
                CHECK(dx[i] == want, "ties: dx(%d, %d, ch %d) = %g, want %g", iy, ix, ch, dx[i], want);
            }
    CHECK(z[(0 * 3 + 1) * 2 + 0] == 1.0f && z[0 * 3 * 2 + 1] == 3.0f, "ties: maxima %g %g", z[2], z[1]);
}

/* ---- the input gradient against central differences: L = Σ r ⊙ tanh(z(x)), in double ---- */
typedef struct { double max_err; int n, nonzero; } gstat;

static void cmp_tol(gstat *s, double ana, double num, double rel, double abs_) {
    double err = fabs(ana - num) / (rel * fmax(fabs(ana), fabs(num)) + abs_ + 1e-300);
    if (err > s->max_err) s->max_err = err;
    s->n++;
    s->nonzero += fabs(ana) > 1e-7;
}

static double layer_loss(const ae_layer *l, ae_shape in, ae_shape out, int B, const float *x, float *z, float *y, const float *r) {
    run_forward(l, in, out, B, x, z, y, 1);
    double s = 0;
    for (size_t i = 0; i < (size_t)B * AE_SHAPE_SIZE(out); i++) s += (double)r[i] * y[i];
    return s;
}

static void check_layer_grad(ae_layer l, ae_shape in, int B) {
    l.act = AE_ACT_TANH;
    const ae_shape out = infer(&l, in);
    const size_t n_in = (size_t)B * AE_SHAPE_SIZE(in), n_out = (size_t)B * AE_SHAPE_SIZE(out);
    float *x = malloc(n_in * 4), *z = malloc(n_out * 4), *y = malloc(n_out * 4), *r = malloc(n_out * 4), *dz = malloc(n_out * 4),
          *dx = malloc(n_in * 4);
    ae_rng g;
    ae_rng_seed(&g, 31, n_in * 131 + (size_t)l.kind);
    /* distinct values 0.01 apart, shuffled: no two in a window within a step h of each other (no argmax
     * changes under the differences) */
    for (size_t i = 0; i < n_in; i++) x[i] = 0.01f * (float)i - 0.005f * (float)n_in;
    for (size_t i = n_in; i > 1; i--) {
        size_t k = ae_rng_below(&g, (uint32_t)i);
        float t = x[i - 1]; x[i - 1] = x[k]; x[k] = t;
    }
    if (n_in > 200) for (size_t i = 0; i < n_in; i++) x[i] *= 200.0f / (float)n_in; /* keep tanh off its flat tails */
    fill(&g, r, n_out, -1, 1);
    layer_loss(&l, in, out, B, x, z, y, r);
    ae_act_backward(l.act, y, r, dz, n_out);
    run_backward(&l, in, out, B, x, z, dz, dx, -1);
    gstat s = {0};
    for (size_t i = 0; i < n_in; i++) {
        const float keep = x[i];
        x[i] = keep + H;
        const double lp = layer_loss(&l, in, out, B, x, z, y, r);
        x[i] = keep - H;
        const double lm = layer_loss(&l, in, out, B, x, z, y, r);
        x[i] = keep;
        cmp_tol(&s, dx[i], (lp - lm) / ((double)(keep + H) - (double)(keep - H)), 2e-3, 2e-4);
    }
    const char *name = ae_layer_kind_name(l.kind);
    CHECK(s.max_err <= 1.0, "%s%d on %dx%dx%d B=%d: input gradient error %.3g of tolerance", name, l.size, in.c, in.h, in.w, B, s.max_err);
    /* pooling passes a gradient to one input of each window: the others are rightly 0 */
    const int want = l.kind == AE_LAYER_POOL ? (int)(n_out / 2) : (int)(n_in * 9 / 10);
    CHECK(s.nonzero >= want, "%s%d on %dx%dx%d: only %d of %d input gradients nonzero", name, l.size, in.c, in.h, in.w, s.nonzero, s.n);
    free(x); free(z); free(y); free(r); free(dz); free(dx);
}

/* ---- whole models from specs ---- */

/* What must not change under a parameter's finite difference: each ReLU's side and each pooling window's
 * first maximum. sig (n ints) is written (store) or compared; returns 1 if anything changed. */
static int kinks_changed(ae_model *m, int B, int *sig, size_t *n, int store) {
    const ae_arch *a = &m->arch;
    size_t k = 0;
    int changed = 0;
#define PUT(v) do { int v_ = (v); if (store) sig[k] = v_; else changed |= sig[k] != v_; k++; } while (0)
    for (int l = 0; l < a->n_layers; l++) {
        const ae_shape in = a->shape[l], out = a->shape[l + 1];
        const size_t no = (size_t)AE_SHAPE_SIZE(out), ni = (size_t)AE_SHAPE_SIZE(in);
        if (a->layer[l].act == AE_ACT_RELU || a->layer[l].act == AE_ACT_LEAKY_RELU)
            for (size_t i = 0; i < (size_t)B * no; i++) PUT(m->a[l + 1][i] > 0); /* y > 0 exactly where z > 0 */
        if (a->layer[l].kind != AE_LAYER_POOL) continue;
        int *arg = malloc((size_t)B * no * sizeof *arg);
        float *zr = malloc((size_t)B * no * 4);
        pool_ref(m->a[l], zr, arg, B, in, a->layer[l].size);
        for (size_t i = 0; i < (size_t)B * no; i++) PUT(arg[i] + (int)(i / no * ni));
        free(arg); free(zr);
    }
#undef PUT
    *n = k;
    return changed;
}

static void check_model_grad(const char *spec, const char *hidden, int B) {
    ae_arch a;
    ae_model m;
    CHECK(ae_arch_parse(&a, spec, hidden, NULL, NULL, NULL) == AE_OK, "%s: %s", spec, ae_last_error());
    CHECK(ae_model_init(&m, &a, B, 13) == AE_OK, "%s: %s", spec, ae_last_error());
    const int L = a.n_layers, D = a.sizes[L], in = a.sizes[0];
    ae_rng g;
    ae_rng_seed(&g, 3, (uint64_t)D);
    float *x = malloc((size_t)B * in * 4), *t = malloc((size_t)B * D * 4);
    fill(&g, x, (size_t)B * in, -1, 1);
    fill(&g, t, (size_t)B * D, 0, 1);
    for (size_t i = 0; i < m.n_params; i++) m.params[i] += 0.1f * (2 * ae_rng_uniform(&g) - 1); /* nonzero biases */
    int *sig = malloc(1 << 22);
    size_t n_sig;
    memcpy(ae_model_input(&m), x, (size_t)B * in * 4);
    ae_model_forward(&m, B);
    kinks_changed(&m, B, sig, &n_sig, 1);
    ae_model_loss(&m, t, B, 1);
    ae_model_zero_grad(&m);
    ae_model_backward(&m, 0, B);
    double scale = 0;
    for (size_t i = 0; i < m.n_params; i++) scale = fmax(scale, fabs(m.grads[i]));
    gstat s = {0};
    int skipped = 0;
    for (size_t i = 0; i < m.n_params; i++) {
        const float keep = m.params[i];
        double l2[2];
        int moved = 0;
        for (int k = 0; k < 2; k++) {
            m.params[i] = k ? keep - H : keep + H;
            memcpy(ae_model_input(&m), x, (size_t)B * in * 4);
            ae_model_forward(&m, B);
            moved |= kinks_changed(&m, B, sig, &n_sig, 0);
            l2[k] = ae_model_loss(&m, t, B, 0);
        }
        m.params[i] = keep;
        if (moved) { skipped++; continue; }
        cmp_tol(&s, m.grads[i] / scale, (l2[0] - l2[1]) / ((double)(keep + H) - (double)(keep - H)) / scale, 1e-2, 1e-3);
    }
    CHECK(s.max_err <= 1.0, "model %s (%s): gradient error %.3g of tolerance", spec, hidden, s.max_err);
    CHECK(s.nonzero > s.n / 4, "model %s: gradient (nearly) all zero (%d of %d)", spec, s.nonzero, s.n);
    CHECK(skipped < s.n / 10, "model %s: %d of %d parameters skipped at kinks", spec, skipped, s.n);
    /* the first layer's weights get their gradient through every pooling, upsampling and reshape above */
    double first = 0;
    for (size_t i = 0; i < m.p_off[1]; i++) first = fmax(first, fabs(m.grads[i]));
    CHECK(first > 1e-6 * scale, "model %s: the first layer's gradient is zero", spec);
    free(sig); free(x); free(t);
    ae_model_free(&m);
}

/* The same training steps on four models: fused and unfused activations, 1 and 2 threads; gradients,
 * parameters, moments and outputs the same bits. Backward runs from the first layer and from a middle one. */
static void check_same_bits(const char *spec, const char *hidden, int B) {
    ae_arch a;
    ae_model m[4];
    CHECK(ae_arch_parse(&a, spec, hidden, NULL, NULL, NULL) == AE_OK, "%s: %s", spec, ae_last_error());
    for (int k = 0; k < 4; k++) {
        CHECK(ae_model_init(&m[k], &a, B, 21) == AE_OK, "init %s: %s", spec, ae_last_error());
        m[k].fuse = k % 2 == 0;
    }
    const int L = a.n_layers, in = a.sizes[0], D = a.sizes[L];
    ae_rng g;
    ae_rng_seed(&g, 17, (uint64_t)B);
    float *x = malloc((size_t)B * in * 4), *t = malloc((size_t)B * D * 4);
    fill(&g, t, (size_t)B * D, 0, 1);
    const ae_optim_cfg opt = ae_optim_default(AE_OPT_ADAM);
    const size_t bytes = m[0].n_params * 4, obytes = (size_t)B * D * 4;
    int same_grads = 1, same_params = 1, same_out = 1, nonzero = 0;
    for (int step = 0; step < 4; step++) {
        fill(&g, x, (size_t)B * in, -0.5f, 1.5f);
        if (step == 1) /* ties for the pooling: ReLU-like zeros and repeated values */
            for (int i = 0; i < B * in; i++) x[i] = x[i] < 0.3f ? 0.0f : (float)(int)(x[i] * 4);
        const int from = step == 3 ? L / 2 : 0;
        for (int k = 0; k < 4; k++) {
            CHECK(ae_set_threads(k < 2 ? 1 : 2) == AE_OK, "%s", ae_last_error());
            memcpy(ae_model_input(&m[k]), x, (size_t)B * in * 4);
            CHECK(ae_model_forward(&m[k], B) == AE_OK, "%s", ae_last_error());
            ae_model_loss(&m[k], t, B, 1);
            ae_model_zero_grad(&m[k]);
            CHECK(ae_model_backward(&m[k], from, B) == AE_OK, "%s", ae_last_error());
            CHECK(ae_model_step(&m[k], &opt, from, L) == AE_OK, "%s", ae_last_error());
        }
        for (int k = 1; k < 4; k++) {
            same_grads &= !memcmp(m[0].grads, m[k].grads, bytes);
            same_out &= !memcmp(ae_model_output(&m[0]), ae_model_output(&m[k]), obytes);
            same_params &= !memcmp(m[0].params, m[k].params, bytes) && !memcmp(m[0].opt_m, m[k].opt_m, bytes) &&
                           !memcmp(m[0].opt_v, m[k].opt_v, bytes);
        }
        for (size_t i = 0; i < m[0].n_params; i++) nonzero += m[0].grads[i] != 0.0f;
    }
    ae_set_threads(1);
    CHECK(same_out, "%s (%s) B=%d: outputs differ between fused/unfused or 1/2 threads", spec, hidden, B);
    CHECK(same_grads, "%s (%s) B=%d: gradients differ between fused/unfused or 1/2 threads", spec, hidden, B);
    CHECK(same_params, "%s (%s) B=%d: parameters differ between fused/unfused or 1/2 threads", spec, hidden, B);
    CHECK(nonzero > (int)m[0].n_params, "%s: the gradients are (nearly) all zero", spec);
    free(x); free(t);
    for (int k = 0; k < 4; k++) ae_model_free(&m[k]);
}

/* ---- the spec: shapes, printing, refusals ---- */

static void reads_sizes(const char *spec, const char *sizes, const char *printed) {
    ae_arch a, b;
    char buf[AE_SPEC_CAP], buf2[AE_SPEC_CAP];
    int rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL);
    CHECK(rc == AE_OK, "'%s': %s", spec, ae_last_error());
    if (rc) return;
    CHECK(!strcmp(ae_arch_sizes_str(&a, buf, sizeof buf), sizes), "'%s' has shapes %s, want %s", spec, buf, sizes);
    CHECK(ae_arch_spec(&a, buf, sizeof buf) && !strcmp(buf, printed), "'%s' prints as '%s', want '%s'", spec, buf, printed);
    CHECK(ae_arch_parse(&b, buf, NULL, NULL, NULL, NULL) == AE_OK && !memcmp(&a, &b, sizeof a) && ae_arch_spec(&b, buf2, sizeof buf2) &&
              !strcmp(buf, buf2), "'%s' does not read back", buf);
}

static void refused(const char *spec, const char *want) {
    ae_arch a;
    ae_clear_error();
    int rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL);
    CHECK(rc == AE_ERR_ARG && strstr(ae_last_error(), want), "'%s': rc %d, message '%s', want '%s'", spec, rc, ae_last_error(), want);
}

static void check_spec(void) {
    reads_sizes("1x28x28-pool2-up2-784", "28x28-14x14-28x28-784", "28x28-pool2-up2-784");
    reads_sizes("784-392-8x7x7-up2-pool2-784", "784-392-8x7x7-8x14x14-8x7x7-784", "784-392-8x7x7-up2-pool2-784");
    reads_sizes("28x28-pool2-pool2-pool2-up3", "28x28-14x14-7x7-4x4-12x12", "28x28-pool2-pool2-pool2-up3"); /* 7 -> 4 */
    reads_sizes("3x7x5-pool3-up1-pool7", "3x7x5-3x3x2-3x3x2-3", "3x7x5-pool3-up1-pool7"); /* a window wider than the input */
    reads_sizes("1x1-pool2-up2-4", "1-1-2x2-4", "1-pool2-up2-4");
    reads_sizes("784-28x28-1x28x28-784x1x1-1x784-784", "784-28x28-28x28-784-1x784-784", "784-28x28-28x28-784x1x1-1x784-784");
    reads_sizes("784-32-*8x2x2:linear-up7-1568", "784-32-8x2x2-8x14x14-1568", "784-32-*8x2x2-up7-1568"); /* a reshape passes values through by default */
    reads_sizes("784-pool02-up002-784", "784-784-784x2x2-784", "784-pool2-up2-784"); /* 784x1x1: nothing to pool */
    refused("784-28xx28-784", "'28xx28': a reshape is");
    refused("784-28x-784", "'28x': a reshape is");
    refused("784-28x28x-784", "'28x28x': a reshape is");
    refused("784-1x1x28x28-784", "'1x1x28x28': a reshape is");
    refused("784-0x784-784", "'0x784': a reshape is");
    refused("784-1024x1025-784", "at most 1048576 values");
    refused("784-999999999x1-784", "'999999999x1': a reshape is");
    refused("784-32x32-784", "cannot reshape 784×1×1 (784 values) to 1×32×32 (1024 values)");
    refused("784-392-8x7x8-784", "layer 2 (reshape): cannot reshape 392×1×1 (392 values) to 8×7×8 (448 values)");
    refused("784-28x28a-784", "unknown layer '28x28a'");
    refused("784-x28-784", "unknown layer 'x28'");
    refused("784-28X28-784", "unknown layer '28X28'");
    refused("784-pool-784", "'pool': max pooling is pool<P>");
    refused("784-pool0-784", "'pool0': max pooling is pool<P>");
    refused("784-pool2x-784", "'pool2x': max pooling is pool<P>");
    refused("784-pool-2-784", "'pool': max pooling");
    refused("784-pool1048577-784", "'pool1048577'");
    refused("784-pool999999999-784", "'pool999999999'");
    refused("784-up-784", "'up': upsampling is up<F>");
    refused("784-up0-784", "'up0': upsampling is up<F>");
    refused("784-up2.5-784", "'up2.5': upsampling");
    refused("784-upsample2-784", "'upsample2': upsampling");
    refused("28x28-up37-1", "upsampling 1×28×28 by 37 would give 1073296 values; at most 1048576"); /* up36 fits */
    refused("1024x1024-up1048576-1", "would give");
    /* hand-built layers with fields out of range: refused by ae_arch_check, not trusted */
    ae_arch a;
    CHECK(ae_arch_parse(&a, "28x28-pool2-up2-784", NULL, NULL, NULL, NULL) == AE_OK, "%s", ae_last_error());
    ae_arch bad = a;
    bad.layer[0].size = 0;
    CHECK(ae_arch_check(&bad) == AE_ERR_ARG && strstr(ae_last_error(), "pooling window must be 1 to"), "pool size 0: %s", ae_last_error());
    bad = a;
    bad.layer[1].size = -3;
    CHECK(ae_arch_check(&bad) == AE_ERR_ARG && strstr(ae_last_error(), "upsampling factor must be 1 to"), "up -3: %s", ae_last_error());
    bad = a;
    bad.layer[1] = (ae_layer){.kind = AE_LAYER_RESHAPE, .act = AE_ACT_RELU, .shape = {0, 14, 14}};
    CHECK(ae_arch_check(&bad) == AE_ERR_ARG && strstr(ae_last_error(), "cannot reshape to 0×14×14"), "reshape 0x14x14: %s", ae_last_error());
    bad.layer[1].shape = (ae_shape){1, 14, 15};
    CHECK(ae_arch_check(&bad) == AE_ERR_ARG && strstr(ae_last_error(), "the sizes must match"), "reshape to the wrong size: %s", ae_last_error());
    bad.layer[1].shape = (ae_shape){4, 7, 7};
    CHECK(ae_arch_check(&bad) == AE_OK && bad.sizes[2] == 196, "reshape 4x7x7: %s", ae_last_error());
    /* no parameters, no products counted */
    ae_model m;
    CHECK(ae_model_init(&m, &a, 2, 1) == AE_OK && m.n_params == (size_t)784 * 784 + 784 && m.n_tensors[0] == 0 && m.n_tensors[1] == 0 &&
              ae_model_train_flops(&m) == 6.0 * 784 * 784, "28x28-pool2-up2-784: %zu parameters, %g flops", m.n_params, ae_model_train_flops(&m));
    ae_model_free(&m);
}

int main(void) {
    ae_rng r;
    ae_rng_seed(&r, 2025, 10);

    check_spec();
    check_ties();

    /* the fast paths against the references: fixed awkward shapes, then random ones */
    static const struct { ae_layer_kind k; int p; ae_shape in; } fixed[] = {
        {AE_LAYER_POOL, 2, {1, 7, 7}}, {AE_LAYER_POOL, 2, {3, 5, 4}}, {AE_LAYER_POOL, 2, {2, 1, 1}}, {AE_LAYER_POOL, 3, {1, 7, 7}},
        {AE_LAYER_POOL, 4, {5, 6, 9}}, {AE_LAYER_POOL, 5, {2, 3, 3}}, {AE_LAYER_POOL, 1, {3, 4, 4}}, {AE_LAYER_POOL, 2, {16, 28, 28}},
        {AE_LAYER_UP, 2, {1, 1, 1}},   {AE_LAYER_UP, 3, {3, 4, 5}},   {AE_LAYER_UP, 2, {2, 7, 3}},   {AE_LAYER_UP, 1, {4, 2, 3}},
        {AE_LAYER_UP, 2, {8, 7, 7}},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (int th = 1; th <= 2; th++)
            for (int ties = 0; ties < 2; ties++) {
                const ae_layer l = {.kind = fixed[i].k, .size = fixed[i].p};
                /* on 2 threads a batch that splits: more than twice the examples of the layer's 16384-value grain */
                const int n = (int)AE_SHAPE_SIZE(fixed[i].in), B = th == 1 ? 3 : 2 * (16384 / n + 1);
                compare_ref(&l, fixed[i].in, B, th, &r, ties);
            }
    compare_ref(&(ae_layer){.kind = AE_LAYER_RESHAPE, .shape = {1, 14, 28}}, (ae_shape){8, 7, 7}, 2 * (65536 / 392 + 1), 2, &r, 0);
    for (int i = 0; i < 150 && check_fail < 20; i++) {
        const ae_shape in = {1 + (int)ae_rng_below(&r, 6), 1 + (int)ae_rng_below(&r, 12), 1 + (int)ae_rng_below(&r, 12)};
        const int B = 1 + (int)ae_rng_below(&r, i % 10 == 0 ? 300 : 9), th = 1 + (int)ae_rng_below(&r, 2), ties = (int)ae_rng_below(&r, 2);
        ae_layer l = {.kind = (ae_layer_kind)(AE_LAYER_POOL + i % 3)};
        if (l.kind == AE_LAYER_POOL) l.size = 1 + (int)ae_rng_below(&r, 5);
        if (l.kind == AE_LAYER_UP) l.size = 1 + (int)ae_rng_below(&r, 4);
        if (l.kind == AE_LAYER_RESHAPE) l.shape = (ae_shape){in.w, in.c, in.h};
        compare_ref(&l, in, B, th, &r, ties);
    }

    /* input gradients at awkward shapes */
    static const struct { ae_layer_kind k; int p; ae_shape in; int B; } grads[] = {
        {AE_LAYER_POOL, 2, {1, 7, 7}, 2},  {AE_LAYER_POOL, 2, {3, 5, 4}, 3}, {AE_LAYER_POOL, 2, {4, 1, 1}, 2}, {AE_LAYER_POOL, 3, {2, 7, 5}, 2},
        {AE_LAYER_POOL, 5, {2, 3, 4}, 2},  {AE_LAYER_POOL, 2, {1, 1, 5}, 3}, {AE_LAYER_UP, 2, {1, 1, 1}, 3},   {AE_LAYER_UP, 3, {3, 4, 5}, 2},
        {AE_LAYER_UP, 2, {2, 7, 3}, 2},    {AE_LAYER_UP, 1, {2, 3, 3}, 2},  {AE_LAYER_UP, 2, {5, 3, 2}, 2},  {AE_LAYER_POOL, 2, {6, 3, 3}, 2},
    };
    for (size_t i = 0; i < sizeof grads / sizeof grads[0]; i++) {
        const ae_layer l = {.kind = grads[i].k, .size = grads[i].p};
        check_layer_grad(l, grads[i].in, grads[i].B);
    }
    check_layer_grad((ae_layer){.kind = AE_LAYER_RESHAPE, .shape = {5, 3, 4}}, (ae_shape){3, 4, 5}, 2);
    check_layer_grad((ae_layer){.kind = AE_LAYER_RESHAPE, .shape = {1, 1, 7}}, (ae_shape){7, 1, 1}, 3);

    /* whole models: parameter gradients through the three kinds, between dense layers */
    check_model_grad("20-147-3x7x7-pool2-up3-20", "tanh", 3);
    check_model_grad("2x5x3-30-2x5x3-pool2-up2-6x8-30", "sigmoid", 4);
    check_model_grad("3-4-4x1x1-pool2-up2-3", "tanh", 5);
    check_model_grad("6-12-3x2x2-pool3-up1-6", "leaky_relu", 3);
    check_model_grad("12-50-2x5x5-pool2-2x3x3-up3-1x18x9-12 output=linear loss=mse", "relu", 4);

    /* fused / unfused and 1 / 2 threads: the same bits, with batches that split over both threads */
    check_same_bits("1x28x28-pool2-up2-784", "relu", 64);
    check_same_bits("784-392-8x7x7-up2-pool2-64-784", "relu", 48);
    check_same_bits("3x7x5-45-5x3x3-up3-pool2-pool2-20-105", "tanh", 300);
    check_same_bits("30-98-2x7x7-pool2-up2-2x16x4-pool3-30 output=linear", "leaky_relu", 200);
    return check_report("test_pool");
}
