/* The convolution kinds (src/layers/conv.c, convt.c, patches.c):
 *  - against a plain direct convolution written here from the definitions (nested loops in double over
 *    outputs and taps, Keras's padding formulas written out again), on random shapes: forward z, y = f(z)
 *    from the fused epilogue, and backward dx (with the layer below's derivative fused), dW and db added to
 *    what the gradient buffers held; the same bits on 1, 2 and 3 threads (the weight gradient's sums pass
 *    from thread to thread; 3 parts on this 2-core machine wait on each other), and a batch the same bits as its
 *    examples one at a time (the slices of a batch change nothing);
 *  - central-difference gradient checks of whole models at awkward shapes: odd sizes, stride 2 where 'same'
 *    rounds up, one channel, a kernel as large as the input and larger, even kernels, stride 3, a transposed
 *    kernel smaller than its stride, several channels in and out, dense layers between, and a batch over
 *    several slices;
 *  - the activation backward fused into the products (m->fuse = 1) against it as its own step, and 1 against
 *    2 threads: the same bits through backward and Adam steps;
 *  - the spec tokens: shapes as Keras infers them, print and parse back, and every malformed token or
 *    impossible shape refused with a message. */
#include "aelab.h"
#include "internal.h"
#include "layers/layer.h"
#include "check.h"

/* ---- the direct reference ---- */

typedef struct {
    ae_layer_kind kind;
    int ci, h, w, co, k, s, valid, B;
} conv_case;

/* Keras: conv same out = ceil(in/s), pad_before = floor(max((out-1)s + k - in, 0) / 2); valid out = floor((in-k)/s) + 1.
 * Conv2DTranspose: same out = in·s, pad_before = floor(max(k - s, 0) / 2); valid out = (in-1)s + k, pad 0. */
static int ref_out(const conv_case *c, int in) {
    if (c->kind == AE_LAYER_CONV) return c->valid ? (in - c->k) / c->s + 1 : (in + c->s - 1) / c->s;
    return c->valid ? (in - 1) * c->s + c->k : in * c->s;
}
static int ref_pad(const conv_case *c, int in) {
    if (c->valid) return 0;
    int t = c->kind == AE_LAYER_CONV ? (ref_out(c, in) - 1) * c->s + c->k - in : c->k - c->s;
    return t > 0 ? t / 2 : 0;
}

/* Every (input pixel, tap, output pixel) triple of one example: conv's output (oy, ox) with tap (ky, kx) reads
 * input (oy·s + ky − pt, ox·s + kx − pl); convt's input (iy, ix) with tap (ky, kx) writes output
 * (iy·s + ky − pt, ix·s + kx − pl). fn(ctx, in_pixel, out_pixel, ky, kx). */
typedef void (*pair_fn)(void *ctx, int in_px, int out_px, int ky, int kx);
static void for_pairs(const conv_case *c, pair_fn fn, void *ctx) {
    const int Ho = ref_out(c, c->h), Wo = ref_out(c, c->w), pt = ref_pad(c, c->h), pl = ref_pad(c, c->w);
    const int conv = c->kind == AE_LAYER_CONV, gh = conv ? Ho : c->h, gw = conv ? Wo : c->w, ih = conv ? c->h : Ho, iw = conv ? c->w : Wo;
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++)
            for (int ky = 0; ky < c->k; ky++)
                for (int kx = 0; kx < c->k; kx++) {
                    int y = gy * c->s + ky - pt, x = gx * c->s + kx - pl;
                    if (y < 0 || y >= ih || x < 0 || x >= iw) continue;
                    if (conv) fn(ctx, y * c->w + x, gy * Wo + gx, ky, kx);
                    else fn(ctx, gy * c->w + gx, y * Wo + x, ky, kx);
                }
}

/* The weight of (input channel i, tap, output channel o): conv W (co, k, k, ci), convt Wt (ci, k, k, co). */
static size_t widx(const conv_case *c, int i, int o, int ky, int kx) {
    return c->kind == AE_LAYER_CONV ? (((size_t)o * c->k + ky) * c->k + kx) * c->ci + i : (((size_t)i * c->k + ky) * c->k + kx) * c->co + o;
}

/* Reference values with the sum of |terms| beside each, for a rounding-aware tolerance. */
typedef struct {
    const conv_case *c;
    const float *x, *W, *dz;
    double *z, *zs, *dx, *dxs, *dW, *dWs; /* one example's z and dx; dW over the batch */
    int n_in, n_out;
} ref_ctx;

static void ref_pair(void *p, int in_px, int out_px, int ky, int kx) {
    ref_ctx *r = p;
    const conv_case *c = r->c;
    for (int i = 0; i < c->ci; i++)
        for (int o = 0; o < c->co; o++) {
            const double w = r->W[widx(c, i, o, ky, kx)], xv = r->x[in_px * c->ci + i], d = r->dz[out_px * c->co + o];
            r->z[out_px * c->co + o] += xv * w;
            r->zs[out_px * c->co + o] += fabs(xv * w);
            r->dx[in_px * c->ci + i] += d * w;
            r->dxs[in_px * c->ci + i] += fabs(d * w);
            r->dW[widx(c, i, o, ky, kx)] += d * xv;
            r->dWs[widx(c, i, o, ky, kx)] += fabs(d * xv);
        }
}

/* |a - ref| within 4 float epsilons × sqrt(terms) of the sum of |terms|, plus a floor */
static int close_to(double a, double ref, double abs_sum, double terms) { return fabs(a - ref) <= 2.4e-7 * sqrt(terms + 1) * abs_sum + 1e-30; }

static double act_deriv(ae_act a, double y) {
    switch (a) {
    case AE_ACT_SIGMOID: return y * (1 - y);
    case AE_ACT_TANH: return 1 - y * y;
    case AE_ACT_RELU: return y > 0;
    case AE_ACT_LEAKY_RELU: return y > 0 ? 1 : 0.01;
    default: return 1;
    }
}

typedef struct {
    float *x, *W, *b, *z, *y, *dz, *dx, *gW, *gb, *scratch;
} bufs;

static void bufs_alloc(bufs *u, size_t nx, size_t nz, size_t nw, size_t nb, uint64_t ns) {
    u->x = malloc(nx * 4); u->dx = malloc(nx * 4);
    u->z = malloc(nz * 4); u->y = malloc(nz * 4); u->dz = malloc(nz * 4);
    u->W = malloc(nw * 4); u->gW = malloc(nw * 4);
    u->b = malloc(nb * 4); u->gb = malloc(nb * 4);
    u->scratch = malloc((size_t)ns * 4 + 4);
}
static void bufs_free(bufs *u) {
    free(u->x); free(u->dx); free(u->z); free(u->y); free(u->dz); free(u->W); free(u->gW); free(u->b); free(u->gb); free(u->scratch);
}

/* Runs the kind's forward (act fused) and backward (below's derivative fused, gradients added to gW0/gb0) on
 * B examples starting at example `first` of the given buffers. */
static void run_layer(const ae_layer *l, ae_shape in, ae_shape out, int B, int first, const float *x, const float *W, const float *b,
                      const float *dz, float *z, float *y, float *dx, float *gW, float *gb, float *scratch, ae_act below) {
    const ae_layer_ops *ops = ae_layer_ops_of(l->kind);
    const size_t ni = (size_t)AE_SHAPE_SIZE(in), no = (size_t)AE_SHAPE_SIZE(out);
    ae_layer_ctx c = {.spec = l, .in = in, .out = out, .B = B, .p = {W, b}, .g = {gW, gb}, .x = x + first * ni, .z = z + first * no,
                      .y = y + first * no, .dz = dz + first * no, .dx = dx + first * ni, .apply_act = 1, .fuse_below = (int)below,
                      .scratch = scratch};
    ops->forward(&c);
    c.apply_act = 0;
    ops->backward(&c);
}

static int n_cases, n_checked;

static void check_case(const conv_case *c, ae_act act, ae_act below, uint64_t seed) {
    ae_layer l = {.kind = c->kind, .act = act, .units = c->co, .kernel = c->k, .stride = c->s, .valid = c->valid};
    const ae_layer_ops *ops = ae_layer_ops_of(c->kind);
    const ae_shape in = {c->ci, c->h, c->w};
    ae_shape out;
    CHECK(ops->infer(&l, in, &out) == AE_OK, "infer: %s", ae_last_error());
    const int Ho = ref_out(c, c->h), Wo = ref_out(c, c->w);
    CHECK(out.c == c->co && out.h == Ho && out.w == Wo, "%s: shape %dx%dx%d, want %dx%dx%d", ops->name, out.c, out.h, out.w, c->co, Ho, Wo);
    if (out.h != Ho || out.w != Wo) return;
    ae_tensor_info t[AE_MAX_TENSORS];
    CHECK(ops->tensors(&l, in, out, t) == 2, "two tensors");
    const int B = c->B;
    const size_t ni = (size_t)AE_SHAPE_SIZE(in), no = (size_t)AE_SHAPE_SIZE(out), nw = (size_t)c->ci * c->co * c->k * c->k, nb = (size_t)c->co;
    CHECK(t[0].ndim == 4 && (size_t)t[0].dims[0] * t[0].dims[1] * t[0].dims[2] * t[0].dims[3] == nw && t[1].ndim == 1 && t[1].dims[0] == c->co,
          "tensor shapes");
    bufs u[5]; /* 1 thread, 2 threads, one example then the rest, 3 threads, z written into y's buffer (as a model's hidden layers do) */
    for (int k = 0; k < 5; k++) bufs_alloc(&u[k], B * ni, B * no, nw, nb, ops->scratch(&l, in, out, B));
    ae_rng g;
    ae_rng_seed(&g, seed, 77);
    for (size_t i = 0; i < B * ni; i++) u[0].x[i] = 2 * ae_rng_uniform(&g) - 1; /* tanh-like outputs of a layer below */
    if (below == AE_ACT_SIGMOID) for (size_t i = 0; i < B * ni; i++) u[0].x[i] = 0.5f + 0.5f * u[0].x[i];
    for (size_t i = 0; i < nw; i++) u[0].W[i] = 2 * ae_rng_uniform(&g) - 1;
    for (size_t i = 0; i < nb; i++) u[0].b[i] = ae_rng_uniform(&g) - 0.5f;
    for (size_t i = 0; i < B * no; i++) u[0].dz[i] = 2 * ae_rng_uniform(&g) - 1;
    for (size_t i = 0; i < nw; i++) u[0].gW[i] = ae_rng_uniform(&g) - 0.5f; /* backward adds to what is there */
    for (size_t i = 0; i < nb; i++) u[0].gb[i] = ae_rng_uniform(&g) - 0.5f;
    for (int k = 1; k < 5; k++) {
        memcpy(u[k].x, u[0].x, B * ni * 4); memcpy(u[k].W, u[0].W, nw * 4); memcpy(u[k].b, u[0].b, nb * 4);
        memcpy(u[k].dz, u[0].dz, B * no * 4); memcpy(u[k].gW, u[0].gW, nw * 4); memcpy(u[k].gb, u[0].gb, nb * 4);
    }
    float *gW0 = malloc(nw * 4), *gb0 = malloc(nb * 4);
    memcpy(gW0, u[0].gW, nw * 4);
    memcpy(gb0, u[0].gb, nb * 4);
    ae_set_threads(1);
    run_layer(&l, in, out, B, 0, u[0].x, u[0].W, u[0].b, u[0].dz, u[0].z, u[0].y, u[0].dx, u[0].gW, u[0].gb, u[0].scratch, below);
    ae_set_threads(2);
    run_layer(&l, in, out, B, 0, u[1].x, u[1].W, u[1].b, u[1].dz, u[1].z, u[1].y, u[1].dx, u[1].gW, u[1].gb, u[1].scratch, below);
    /* on 2 threads, the first example alone and then the rest: batches smaller than the one the scratch was
     * sized for, as a model's last, partial batch */
    run_layer(&l, in, out, 1, 0, u[2].x, u[2].W, u[2].b, u[2].dz, u[2].z, u[2].y, u[2].dx, u[2].gW, u[2].gb, u[2].scratch, below);
    if (B > 1) run_layer(&l, in, out, B - 1, 1, u[2].x, u[2].W, u[2].b, u[2].dz, u[2].z, u[2].y, u[2].dx, u[2].gW, u[2].gb, u[2].scratch, below);
    ae_set_threads(3);
    run_layer(&l, in, out, B, 0, u[3].x, u[3].W, u[3].b, u[3].dz, u[3].z, u[3].y, u[3].dx, u[3].gW, u[3].gb, u[3].scratch, below);
    /* f applied in place over z (softmax, which reads a whole row, only ever on the output, whose z is kept) */
    const int in_place = act != AE_ACT_SOFTMAX;
    ae_set_threads(2);
    if (in_place) run_layer(&l, in, out, B, 0, u[4].x, u[4].W, u[4].b, u[4].dz, u[4].y, u[4].y, u[4].dx, u[4].gW, u[4].gb, u[4].scratch, below);
    ae_set_threads(1);

    /* the reference, example by example */
    double *z = calloc(no, 8), *zs = calloc(no, 8), *dx = calloc(ni, 8), *dxs = calloc(ni, 8), *dW = calloc(nw, 8), *dWs = calloc(nw, 8);
    double db[64] = {0}, dbs[64] = {0};
    int bad_z = 0, bad_y = 0, bad_dx = 0, bad_dW = 0, bad_db = 0, nonzero = 0;
    float *fz = malloc(no * 4);
    for (int e = 0; e < B; e++) {
        memset(z, 0, no * 8); memset(zs, 0, no * 8); memset(dx, 0, ni * 8); memset(dxs, 0, ni * 8);
        ref_ctx r = {c, u[0].x + e * ni, u[0].W, u[0].dz + e * no, z, zs, dx, dxs, dW, dWs, (int)ni, (int)no};
        for_pairs(c, ref_pair, &r);
        const double taps = (double)c->k * c->k * (c->ci > c->co ? c->ci : c->co);
        for (size_t i = 0; i < no; i++) {
            const double want = u[0].b[i % c->co] + z[i];
            bad_z += !close_to(u[0].z[e * no + i], want, zs[i] + fabs(u[0].b[i % c->co]), taps);
            fz[i] = u[0].z[e * no + i];
            db[i % c->co] += u[0].dz[e * no + i];
            dbs[i % c->co] += fabs(u[0].dz[e * no + i]);
        }
        ae_act_forward(act, fz, fz, no, (int)no); /* y = f(z) of the layer's own z, to the bit */
        bad_y += memcmp(fz, u[0].y + e * no, no * 4) != 0;
        for (size_t i = 0; i < ni; i++) {
            const double d = act_deriv(below, u[0].x[e * ni + i]);
            /* f'(y) is rounded in float too: 1 − y² near y = ±1 carries an absolute error of about an epsilon */
            bad_dx += fabs(u[0].dx[e * ni + i] - d * dx[i]) > 2.4e-7 * sqrt(taps + 1) * fabs(d) * dxs[i] + 2.4e-7 * fabs(dx[i]) + 1e-30;
        }
    }
    const double rows = (double)B * (c->kind == AE_LAYER_CONV ? Ho * Wo : c->h * c->w);
    int reached = 0; /* taps that meet the image somewhere: the others' gradients are zero */
    for (size_t i = 0; i < nw; i++) {
        bad_dW += !close_to(u[0].gW[i], gW0[i] + dW[i], fabs(gW0[i]) + dWs[i], rows);
        nonzero += u[0].gW[i] != gW0[i];
        reached += dWs[i] > 0;
    }
    for (size_t i = 0; i < nb; i++) bad_db += !close_to(u[0].gb[i], gb0[i] + db[i], fabs(gb0[i]) + dbs[i], (double)B * no);
    char tok[64];
    ops->print(&l, tok, sizeof tok);
    CHECK(!bad_z && !bad_y && !bad_dx && !bad_dW && !bad_db, "%s %dx%dx%d B=%d %s/%s: against the direct convolution, %d z, %d y, %d dx, %d dW, %d db differ",
          tok, c->ci, c->h, c->w, B, ae_act_name(act), ae_act_name(below), bad_z, bad_y, bad_dx, bad_dW, bad_db);
    CHECK(nonzero > reached / 2, "%s: the weight gradient is (nearly) all zero (%d of %d nonzero)", tok, nonzero, reached);
    /* bits: 2 threads, one example then the rest, 3 threads */
    for (int k = 1; k < 4; k++)
        CHECK(!memcmp(u[0].z, u[k].z, B * no * 4) && !memcmp(u[0].y, u[k].y, B * no * 4) && !memcmp(u[0].dx, u[k].dx, B * ni * 4) &&
                  !memcmp(u[0].gW, u[k].gW, nw * 4) && !memcmp(u[0].gb, u[k].gb, nb * 4),
              "%s %dx%dx%d B=%d: %s gives other bits", tok, c->ci, c->h, c->w, B, k == 1 ? "2 threads" : k == 2 ? "one example, then the rest" : "3 threads");
    if (in_place)
        CHECK(!memcmp(u[0].y, u[4].y, B * no * 4) && !memcmp(u[0].dx, u[4].dx, B * ni * 4) && !memcmp(u[0].gW, u[4].gW, nw * 4) &&
                  !memcmp(u[0].gb, u[4].gb, nb * 4),
              "%s %dx%dx%d B=%d %s: z written into y's buffer gives other bits", tok, c->ci, c->h, c->w, B, ae_act_name(act));
    n_cases++;
    n_checked += !bad_z;
    free(z); free(zs); free(dx); free(dxs); free(dW); free(dWs); free(fz); free(gW0); free(gb0);
    for (int k = 0; k < 5; k++) bufs_free(&u[k]);
}

static void random_cases(int n) {
    static const int chans[] = {1, 2, 3, 5, 8, 9, 16, 17};
    ae_rng r;
    ae_rng_seed(&r, 2025, 10);
    for (int i = 0; i < n; i++) {
        conv_case c = {ae_rng_below(&r, 2) ? AE_LAYER_CONV : AE_LAYER_CONVT, chans[ae_rng_below(&r, 8)], 1 + (int)ae_rng_below(&r, 11),
                       1 + (int)ae_rng_below(&r, 11), chans[ae_rng_below(&r, 8)], 1 + (int)ae_rng_below(&r, 5), 1 + (int)ae_rng_below(&r, 3),
                       ae_rng_below(&r, 3) == 0, 1 + (int)ae_rng_below(&r, 4)};
        if (c.kind == AE_LAYER_CONV && c.valid && (c.h < c.k || c.w < c.k)) c.valid = 0;
        const ae_act acts[] = {AE_ACT_IDENTITY, AE_ACT_SIGMOID, AE_ACT_TANH, AE_ACT_RELU, AE_ACT_LEAKY_RELU};
        check_case(&c, acts[ae_rng_below(&r, 5)], acts[ae_rng_below(&r, 5)], 100 + (uint64_t)i);
    }
}

/* ---- gradient checks of whole models: L(θ) central differences against backward ---- */

#define H 1e-3f

/* the signs of the pre-activations of (leaky) ReLU layers: a step that flips one crossed a kink */
static int relu_mask(ae_model *m, uint8_t *mask, int B, int store) {
    size_t k = 0;
    int changed = 0;
    for (int l = 0; l < m->arch.n_layers; l++)
        for (int i = 0; i < B * m->arch.sizes[l + 1]; i++, k++) {
            if (m->arch.layer[l].act != AE_ACT_RELU && m->arch.layer[l].act != AE_ACT_LEAKY_RELU) continue;
            uint8_t v = m->a[l + 1][i] > 0; /* y > 0 exactly where z > 0 for every activation with a kink */
            if (store) mask[k] = v;
            else changed |= mask[k] != v;
        }
    return changed;
}

static double loss_at(ae_model *m, const float *x, const float *t, int B, uint8_t *mask, int *kink) {
    memcpy(ae_model_input(m), x, (size_t)B * m->arch.sizes[0] * 4);
    ae_model_forward(m, B);
    *kink |= relu_mask(m, mask, B, 0);
    return ae_model_loss(m, t, B, 0);
}

/* Checks every parameter, or about max_params of them spread over every tensor when there are more. */
static void check_model(const char *spec, int B, int max_params) {
    ae_arch a;
    ae_model m;
    int rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL);
    CHECK(rc == AE_OK, "'%s': %s", spec, ae_last_error());
    if (rc) return;
    CHECK(ae_model_init(&m, &a, B, 3) == AE_OK, "init: %s", ae_last_error());
    const int L = a.n_layers, D = a.sizes[L];
    ae_rng g;
    ae_rng_seed(&g, 8, 8);
    float *x = malloc((size_t)B * a.sizes[0] * 4), *t = malloc((size_t)B * D * 4);
    for (int i = 0; i < B * a.sizes[0]; i++) x[i] = ae_rng_uniform(&g);
    for (int i = 0; i < B * D; i++) t[i] = ae_rng_uniform(&g);
    for (size_t i = 0; i < m.n_params; i++) m.params[i] += 0.1f * (2 * ae_rng_uniform(&g) - 1); /* nonzero biases */
    size_t nz = 0;
    for (int l = 0; l < L; l++) nz += (size_t)B * a.sizes[l + 1];
    uint8_t *mask = malloc(nz);
    memcpy(ae_model_input(&m), x, (size_t)B * a.sizes[0] * 4);
    ae_model_forward(&m, B);
    relu_mask(&m, mask, B, 1);
    ae_model_loss(&m, t, B, 1);
    ae_model_zero_grad(&m);
    ae_model_backward(&m, 0, B);
    double scale = 0;
    for (size_t i = 0; i < m.n_params; i++) scale = fmax(scale, fabs(m.grads[i]));
    double max_err = 0;
    int n = 0, skipped = 0, nonzero = 0;
    const size_t step = m.n_params > (size_t)max_params ? m.n_params / max_params : 1;
    for (size_t i = 0; i < m.n_params; i += step) {
        const float keep = m.params[i];
        int kink = 0;
        m.params[i] = keep + H;
        const double lp = loss_at(&m, x, t, B, mask, &kink);
        m.params[i] = keep - H;
        const double lm = loss_at(&m, x, t, B, mask, &kink);
        m.params[i] = keep;
        if (kink) { skipped++; continue; }
        const double num = (lp - lm) / ((double)(keep + H) - (double)(keep - H)), ana = m.grads[i];
        const double err = fabs(ana - num) / (1e-2 * fmax(fabs(ana), fabs(num)) + 1e-3 * scale + 1e-300);
        max_err = fmax(max_err, err);
        nonzero += fabs(ana) > 1e-7 * scale;
        n++;
    }
    CHECK(max_err <= 1.0, "'%s' B=%d: gradient error %.3g of tolerance", spec, B, max_err);
    CHECK(nonzero > n / 2, "'%s': gradient is (nearly) all zero (%d of %d)", spec, nonzero, n);
    CHECK(skipped < n / 10 + 1, "'%s': %d of %d parameters skipped at kinks", spec, skipped, n);
    free(mask); free(x); free(t);
    ae_model_free(&m);
}

/* ---- fused against unfused, 1 against 2 threads: the same bits through backward and Adam steps ---- */
static void check_bits(const char *spec, int B) {
    ae_arch a;
    ae_model m[3]; /* fused 1 thread, unfused 1 thread, fused 2 threads */
    CHECK(ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL) == AE_OK, "'%s': %s", spec, ae_last_error());
    for (int k = 0; k < 3; k++) {
        CHECK(ae_model_init(&m[k], &a, B, 21) == AE_OK, "init: %s", ae_last_error());
        m[k].fuse = k != 1;
    }
    const int L = a.n_layers, in = a.sizes[0], D = a.sizes[L];
    ae_rng g;
    ae_rng_seed(&g, 17, (uint64_t)B);
    float *x = malloc((size_t)B * in * 4), *t = malloc((size_t)B * D * 4);
    for (int i = 0; i < B * D; i++) t[i] = ae_rng_uniform(&g);
    const ae_optim_cfg opt = ae_optim_default(AE_OPT_ADAM);
    const size_t bytes = m[0].n_params * 4;
    int same[3] = {1, 1, 1}, nonzero = 0;
    for (int step = 0; step < 4; step++) {
        for (int i = 0; i < B * in; i++) x[i] = 2.0f * ae_rng_uniform(&g) - 0.5f;
        const int from = step == 3 && L > 2 ? 1 : 0;
        for (int k = 0; k < 3; k++) {
            ae_set_threads(k == 2 ? 2 : 1);
            memcpy(ae_model_input(&m[k]), x, (size_t)B * in * 4);
            CHECK(ae_model_forward(&m[k], B) == AE_OK, "%s", ae_last_error());
            ae_model_loss(&m[k], t, B, 1);
            ae_model_zero_grad(&m[k]);
            CHECK(ae_model_backward(&m[k], from, B) == AE_OK, "%s", ae_last_error());
        }
        for (size_t i = 0; i < m[0].n_params; i++) nonzero += m[0].grads[i] != 0.0f;
        for (int k = 1; k < 3; k++) same[k] &= !memcmp(m[0].grads, m[k].grads, bytes) && !memcmp(m[0].a[L], m[k].a[L], (size_t)B * D * 4);
        for (int k = 0; k < 3; k++) {
            ae_set_threads(k == 2 ? 2 : 1);
            CHECK(ae_model_step(&m[k], &opt, from, L) == AE_OK, "%s", ae_last_error());
        }
        for (int k = 1; k < 3; k++) same[k] &= !memcmp(m[0].params, m[k].params, bytes) && !memcmp(m[0].opt_v, m[k].opt_v, bytes);
    }
    ae_set_threads(1);
    CHECK(same[1], "'%s' B=%d: fused and unfused activations give other bits", spec, B);
    CHECK(same[2], "'%s' B=%d: 1 and 2 threads give other bits", spec, B);
    CHECK(nonzero > (int)m[0].n_params, "'%s': the gradients are (nearly) all zero", spec);
    free(x); free(t);
    for (int k = 0; k < 3; k++) ae_model_free(&m[k]);
}

/* ---- spec tokens ---- */

/* spec reads to these shapes (as ae_arch_sizes_str prints them) and prints back as `prints` */
static void reads(const char *spec, const char *sizes, const char *prints) {
    ae_arch a, b;
    char buf[AE_SPEC_CAP], buf2[AE_SPEC_CAP];
    int rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL);
    CHECK(rc == AE_OK, "'%s': %s", spec, ae_last_error());
    if (rc) return;
    ae_arch_sizes_str(&a, buf, sizeof buf);
    CHECK(!strcmp(buf, sizes), "'%s' has shapes %s, want %s", spec, buf, sizes);
    CHECK(ae_arch_spec(&a, buf, sizeof buf) && !strcmp(buf, prints), "'%s' prints as '%s', want '%s'", spec, buf, prints);
    CHECK(ae_arch_parse(&b, buf, NULL, NULL, NULL, NULL) == AE_OK && ae_arch_spec(&b, buf2, sizeof buf2) && !strcmp(buf, buf2) &&
              !memcmp(&a, &b, sizeof a),
          "'%s' does not read back", buf);
}

static void refused(const char *spec, const char *want) {
    ae_arch a;
    ae_clear_error();
    int rc = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL);
    CHECK(rc == AE_ERR_ARG && strstr(ae_last_error(), want), "'%s': rc %d, message '%s', want '%s'", spec, rc, ae_last_error(), want);
}

static void check_specs(void) {
    /* Keras's shapes: same rounds up (7 -> 4 at stride 2), valid drops the kernel's overhang, transposed same doubles */
    reads("1x28x28-conv16k3-conv8k3s2-convt8k3s2-conv1k3", "28x28-16x28x28-8x14x14-8x28x28-28x28", "28x28-conv16k3-conv8k3s2-convt8k3s2-conv1k3");
    reads("1x7x7-conv4k3s2-conv2k3s2-convt3k3s2v", "7x7-4x4x4-2x2x2-3x5x5", "7x7-conv4k3s2-conv2k3s2-convt3k3s2v");
    reads("8x16x16-conv16k3v-conv1k3s1:linear", "8x16x16-16x14x14-14x14", "8x16x16-conv16k3v-conv1k3:linear");
    reads("3x9x5-conv2k5s3v-convt4k2s3-convt1k1", "3x9x5-2x2x1-4x6x3-6x3", "3x9x5-conv2k5s3v-convt4k2s3-convt1k1");
    reads("2x5x5-conv3k7-12-convt2k3s2", "2x5x5-3x5x5-12-2x2x2", "2x5x5-conv3k7-12-convt2k3s2");
    reads("1x28x28-conv32k3-conv32k3s2-*convt32k3s2:tanh-conv1k3 loss=mse init=he_normal",
          "28x28-32x28x28-32x14x14-32x28x28-28x28", "28x28-conv32k3-conv32k3s2-*convt32k3s2:tanh-conv1k3 loss=mse init=he_normal");
    reads("28x28-conv016k03s01-784", "28x28-16x28x28-784", "28x28-conv16k3-784"); /* leading zeros, an explicit stride 1 */
    /* the tensors: conv (C_out, K, K, C_in), convt (C_in, K, K, C_out), Keras's fans */
    ae_arch a;
    ae_model m;
    CHECK(ae_arch_parse(&a, "3x8x8-conv5k3-convt2k4s2", NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, 2, 1) == AE_OK, "%s",
          ae_last_error());
    const ae_tensor_info *w0 = &m.tensor[0][0], *w1 = &m.tensor[1][0];
    CHECK(w0->ndim == 4 && w0->dims[0] == 5 && w0->dims[1] == 3 && w0->dims[2] == 3 && w0->dims[3] == 3 && w0->fan_in == 27 && w0->fan_out == 45 &&
              !strcmp(w0->name, "weight") && !strcmp(m.tensor[0][1].name, "bias") && m.tensor[0][1].count == 5,
          "conv tensors");
    CHECK(w1->ndim == 4 && w1->dims[0] == 5 && w1->dims[1] == 4 && w1->dims[2] == 4 && w1->dims[3] == 2 && w1->fan_in == 32 && w1->fan_out == 80 &&
              m.tensor[1][1].count == 2 && m.n_params == 5 * 27 + 5 + 5 * 16 * 2 + 2,
          "convt tensors");
    CHECK(ae_model_train_flops(&m) == 4.0 * 64 * 5 * 27 + 6.0 * 64 * 5 * 16 * 2, "flops %g", ae_model_train_flops(&m));
    ae_model_free(&m);
    /* the keras.io model: 28,353 parameters */
    CHECK(ae_arch_parse(&a, "1x28x28-conv32k3-conv32k3s2-convt32k3s2-conv1k3", NULL, NULL, NULL, NULL) == AE_OK, "%s", ae_last_error());
    uint64_t np = 0;
    CHECK(ae_arch_n_params(&a, &np) == 0 && np == 320 + 9248 + 9248 + 289, "%llu parameters", (unsigned long long)np);

    refused("28x28-conv", "'conv': a conv layer is conv<filters>k<kernel>[s<stride>][v]");
    refused("28x28-conv8", "a conv layer is");
    refused("28x28-conv8k", "a conv layer is");
    refused("28x28-convk3", "a conv layer is");
    refused("28x28-conv8k3s", "a conv layer is");
    refused("28x28-conv8k3v2", "a conv layer is");
    refused("28x28-conv8k3s2vv", "a conv layer is");
    refused("28x28-conv8k3x", "a conv layer is");
    refused("28x28-conv0k3", "each number 1 to 1048576");
    refused("28x28-conv8k0", "a conv layer is");
    refused("28x28-conv8k3s0", "a conv layer is");
    refused("28x28-conv8k3s1048577", "a conv layer is");
    refused("28x28-convx8k3", "a conv layer is");
    refused("28x28-convt", "a convt layer is convt<filters>");
    refused("28x28-convt8k3s", "a convt layer is");
    refused("28x28-convtt8k3", "a convt layer is");
    refused("28x28-CONV8k3", "unknown layer");
    refused("5x5-conv8k7v", "a 7×7 kernel with 'valid' padding needs an input of at least 7×7, not 5×5");
    refused("4x9-conv2k5v", "not 4×9");
    refused("1024x1024-conv2k3", "at most 1048576");                 /* 2 M outputs */
    refused("2x2-conv1k1025", "kernel² × channels must be at most"); /* 1025² taps */
    refused("64x64-conv300k64", "kernel² × channels must be at most");
    refused("32x32-convt4k3s64", "values out; at most 1048576");
    refused("32x32-convt2k3s1048576", "values out; at most 1048576");
}

/* The gradients' buffers (src/model.c's dz_buffers): layers that share one have the same width (so each
 * example's gradient sits where the last layer in it put the same example's: the threads' halves of the batch
 * stay on their own cores' cache lines) and are at least two apart (never live at once), and buffers that
 * are not shared do not overlap. For these models they take no more room than two of the widest. And the
 * pre-activations (z_own): y's own rows, except where z is read later, then a buffer past the activations. */
static int check_buffers(const char *spec, int B) { /* returns the count of dz buffers */
    ae_arch a;
    ae_model m;
    const int ok = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, B, 1) == AE_OK;
    CHECK(ok, "%s: %s", spec, ae_last_error());
    if (!ok) return 0;
    const int L = a.n_layers;
    size_t widest = 0, room = 0;
    int buffers = 0;
    for (int l = 0; l < L; l++) {
        const size_t w = (size_t)a.sizes[l + 1];
        widest = w > widest ? w : widest;
        /* z: a buffer of its own only where it is read after the layer's forward (the output's logits, a
         * pooling layer's maxima under an activation); elsewhere y's, f applied in place */
        const int own = a.layer[l].act != AE_ACT_IDENTITY && (l == L - 1 || ae_layer_ops_of(a.layer[l].kind)->reads_z);
        CHECK(own ? m.z[l] + w * B <= m.a[0] || m.z[l] >= m.a[L] + (size_t)a.sizes[L] * B : m.z[l] == m.a[l + 1],
              "%s: layer %d's z %s", spec, l, own ? "should have a buffer of its own" : "should be its y");
        int first = 1;
        for (int k = 0; k < l; k++) {
            const size_t wk = (size_t)a.sizes[k + 1];
            if (m.dz[k] == m.dz[l]) {
                CHECK(wk == w && l - k >= 2, "%s: dz[%d] (width %zu) and dz[%d] (width %zu) share a buffer", spec, k, wk, l, w);
                first = 0;
            } else
                CHECK(m.dz[k] + wk * B <= m.dz[l] || m.dz[l] + w * B <= m.dz[k], "%s: dz[%d] and dz[%d] overlap", spec, k, l);
        }
        if (first) { room += w * B; buffers++; }
    }
    CHECK(room <= 2 * widest * B, "%s: the gradients take %zu floats, more than two of the widest (%zu)", spec, room, 2 * widest * B);
    ae_model_free(&m);
    return buffers;
}

/* Every layer kind's forward with its z written into y's rows (as the model now plans a hidden layer's z),
 * against the same forward with a z buffer of its own: y to the bit. The model runs forward in place; each
 * layer is then run again by hand from the model's own a[l], its z in a buffer apart. */
static void check_in_place(const char *spec, int B) {
    ae_arch a;
    ae_model m;
    const int ok = ae_arch_parse(&a, spec, NULL, NULL, NULL, NULL) == AE_OK && ae_model_init(&m, &a, B, 7) == AE_OK;
    CHECK(ok, "%s: %s", spec, ae_last_error());
    if (!ok) return;
    ae_rng r;
    ae_rng_seed(&r, 11, 3);
    float *in = ae_model_input(&m);
    for (size_t i = 0; i < (size_t)B * a.sizes[0]; i++) in[i] = ae_rng_uniform(&r);
    ae_set_threads(2);
    CHECK(ae_model_forward(&m, B) == AE_OK, "%s: forward: %s", spec, ae_last_error());
    for (int l = 0; l < a.n_layers; l++) {
        const size_t n = (size_t)B * a.sizes[l + 1];
        float *z = malloc(n * 4), *y = malloc(n * 4);
        const ae_layer_ops *ops = ae_layer_ops_of(a.layer[l].kind);
        ae_layer_ctx c = {.spec = &a.layer[l], .in = a.shape[l], .out = a.shape[l + 1], .B = B, .x = m.a[l], .z = z, .y = y,
                          .apply_act = ops->fuses_act, .fuse_below = -1, .scratch = m.scratch};
        for (int k = 0; k < m.n_tensors[l]; k++) c.p[k] = ae_model_tensor(&m, l, k);
        ops->forward(&c);
        if (!c.apply_act) ae_act_forward(a.layer[l].act, z, y, n, a.sizes[l + 1]);
        CHECK(!memcmp(y, m.a[l + 1], n * 4), "%s: layer %d (%s, %s): y with z in its own buffer differs from y computed in place", spec, l,
              ops->name, ae_act_name(a.layer[l].act));
        free(z);
        free(y);
    }
    ae_set_threads(1);
    ae_model_free(&m);
}

int main(void) {
    check_specs();
    check_buffers("1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3", 4); /* W3 */
    check_buffers("1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3", 3);                     /* keras.io */
    check_buffers("784-100-100-100-100-784", 2);
    check_buffers("1x28x28-conv4k3:tanh-pool2:tanh-up2-conv1k3", 2); /* a pooling layer's z under an activation is kept */
    check_buffers("784-64:tanh-32:linear-64:sigmoid-784 loss=mse output=linear", 2);
    /* every kind and every elementwise activation computed in place: dense, conv, convt, pooling, upsampling and a reshape */
    check_in_place("784-64:tanh-32:leaky_relu-2:linear-64:sigmoid-784", 5);
    check_in_place("1x28x28-conv6k3:tanh-pool2:sigmoid-conv4k3s2:leaky_relu-196:tanh-4x7x7-convt3k3s2:relu-up2:tanh-conv1k3", 3);
    CHECK(check_buffers("784-100-784-100-784", 2) == 2, "784-100-784-100-784: the loss's dz[3] and dz[1], dz[2] and dz[0], should share");
    /* hand-picked shapes for every path and edge of the kernels: one channel in or out (the dot kernel),
     * channels past a multiple of 8 (partial column tiles), a kernel larger than the image, even kernels
     * (asymmetric 'same' padding), strides 2 and 3 (dx by col2im), kernels smaller than the stride, tap rows
     * longer than 32 with a tail (grads runs), and batches over several slices */
    static const conv_case fixed[] = {
        {AE_LAYER_CONV, 1, 7, 9, 16, 3, 1, 0, 3},   {AE_LAYER_CONV, 16, 9, 7, 1, 3, 1, 0, 3},  {AE_LAYER_CONV, 3, 5, 5, 4, 5, 1, 1, 2},
        {AE_LAYER_CONV, 2, 4, 3, 3, 6, 1, 0, 2},    {AE_LAYER_CONV, 5, 7, 7, 9, 4, 2, 0, 2},   {AE_LAYER_CONV, 3, 11, 8, 17, 3, 3, 1, 2},
        {AE_LAYER_CONV, 5, 9, 9, 1, 7, 1, 0, 2},    {AE_LAYER_CONV, 9, 6, 6, 3, 2, 2, 0, 3},   {AE_LAYER_CONV, 1, 1, 1, 1, 1, 1, 0, 1},
        {AE_LAYER_CONV, 4, 3, 3, 2, 1, 2, 0, 2},    {AE_LAYER_CONVT, 8, 4, 4, 8, 3, 2, 0, 3},  {AE_LAYER_CONVT, 1, 5, 3, 2, 3, 2, 1, 2},
        {AE_LAYER_CONVT, 3, 3, 3, 1, 4, 2, 0, 2},   {AE_LAYER_CONVT, 17, 2, 5, 3, 1, 2, 0, 2}, {AE_LAYER_CONVT, 2, 3, 4, 9, 5, 3, 1, 2},
        {AE_LAYER_CONVT, 5, 1, 1, 16, 3, 1, 0, 2},  {AE_LAYER_CONVT, 9, 4, 3, 5, 2, 2, 1, 3},
        {AE_LAYER_CONV, 16, 72, 72, 4, 3, 1, 0, 5}, /* 3 slices of the padded input (74·74·16 floats each) on one thread; all 5 at once on more */
        {AE_LAYER_CONV, 16, 72, 72, 4, 3, 1, 0, 6}, /* the same, 3 slices on any thread count, and a partial batch of 5 all at once */
        {AE_LAYER_CONV, 32, 66, 66, 2, 3, 1, 0, 3}, /* room for one padded input: fewer than the threads (one thread) */
        {AE_LAYER_CONV, 12, 40, 40, 1, 3, 2, 0, 7}, /* stride 2: several slices of dcol */
        {AE_LAYER_CONVT, 3, 20, 20, 16, 3, 2, 0, 9}, /* 3 slices of D */
    };
    const ae_act acts[] = {AE_ACT_TANH, AE_ACT_SIGMOID, AE_ACT_RELU, AE_ACT_IDENTITY, AE_ACT_LEAKY_RELU};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) check_case(&fixed[i], acts[i % 5], acts[(i + 2) % 5], 10 + i);
    check_case(&fixed[4], AE_ACT_SOFTMAX, AE_ACT_TANH, 40); /* softmax over each example's output, after the product */
    check_case(&fixed[10], AE_ACT_SOFTMAX, AE_ACT_RELU, 41);
    /* one output channel: its forward pass (the dot kernel, 75 positions: a short last tile) and its weight
     * gradient's runs of k·C_in floats, here 3 to 33: every vector count 1-8 and every tail length 1-3 */
    for (int ci = 1; ci <= 11; ci++) {
        const conv_case c = {AE_LAYER_CONV, ci, 5, 5, 1, 3, 1, 0, 3};
        check_case(&c, acts[ci % 5], acts[(ci + 1) % 5], 60 + (uint64_t)ci);
    }
    random_cases(300);
    printf("direct convolution: %d of %d shapes agree\n", n_checked, n_cases);

    check_model("1x7x9-conv3k3:tanh-conv2k3s2:tanh-convt2k3s2:tanh-conv1k3", 3, 1000);   /* 7x9 -> 4x5 -> 8x10 -> 8x10 */
    check_model("1x5x5-conv2k5v:tanh-convt3k5v:tanh-conv1k1", 2, 1000);                  /* a kernel as large as the input */
    check_model("3x3x4-conv2k5:sigmoid-conv3k4s3:tanh-convt2k4s2:tanh-convt3k1s2", 3, 1000); /* larger kernels, even kernels, k < s */
    check_model("2x8x7-conv3k3s3v:tanh-convt2k3s2v:tanh-conv2k2", 2, 1000);
    check_model("2x5x5-conv3k3:tanh-6:tanh-convt2k3s2:tanh-conv1k3-9 loss=mse", 3, 1000); /* dense between */
    check_model("1x6x6-conv8k3:tanh-conv9k3s2:relu-convt8k3s2:tanh-conv1k3", 2, 1000); /* relu: the steps that cross a kink skipped */
    check_model("2x9x9-conv17k3:tanh-conv16k3:sigmoid-conv1k3:tanh-convt17k3s2", 2, 600);  /* wide tiles and one channel */
    check_model("16x72x72-conv4k3:tanh-conv2k3s2:tanh-convt1k3s2", 5, 150);               /* several slices in every layer */

    for (int k = 0; k < 2; k++) {
        check_bits("1x12x12-conv8k3-conv9k3s2:tanh-convt8k3s2:leaky_relu-conv1k3", 5);
        check_bits("2x9x7-conv3k3:sigmoid-12-convt4k3s2v-conv2k3v:tanh hidden=relu", 4);
        check_bits("16x72x72-conv4k3-conv2k3s2-convt1k3s2", 5);
    }
    return check_report("test_conv");
}
