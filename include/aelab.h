/* aelab: autoencoders in C, built natively and to WebAssembly.
 *
 * Conventions (see docs/architecture.md):
 *  - Every function that can fail returns an int status (AE_OK == 0, negative on error) and leaves a
 *    readable message in ae_last_error(). Nothing here exits or aborts on bad input.
 *  - Tensors are row-major float32. Shapes are given in comments as (rows, cols); a batch of B examples
 *    of width D is (B, D).
 *  - A model is a chain of layers of registered kinds (dense today; src/layers/), written as a model spec
 *    ("784-32-784", see ae_arch_parse). sizes[0] is the input width, sizes[n_layers] the output width,
 *    and sizes[code] the bottleneck: layers [0, code) are the encoder, [code, n_layers) the decoder.
 *  - All buffers are allocated by ae_model_init / ae_trainer_init; forward, backward and step allocate
 *    nothing.
 */
#ifndef AELAB_H
#define AELAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AE_VERSION "0.1.0"
#define AE_MAX_LAYERS 16
#define AE_MAX_WIDTH (1 << 20)     /* widest layer we accept: guards size arithmetic */
#define AE_MAX_BATCH 4096
/* The most memory one model may take (parameters, gradients, optimizer state and activations; see
 * ae_model_init). Sizes are planned in 64-bit arithmetic and checked against this before anything is
 * allocated: wasm32 addresses at most 2 GiB (-sMAXIMUM_MEMORY in the Makefile); natively 8 GiB, far above
 * any model this tool is for, keeps a typo in a layer width from asking the system for terabytes. */
#if SIZE_MAX <= 0xFFFFFFFFu
#define AE_MAX_MODEL_BYTES ((uint64_t)1 << 31)
#else
#define AE_MAX_MODEL_BYTES ((uint64_t)8 << 30)
#endif

/* ---- status and errors (src/error.c) ---- */
enum {
    AE_OK = 0,
    AE_ERR_ARG = -1,      /* wrong API use or an invalid option */
    AE_ERR_NOMEM = -2,    /* an allocation failed */
    AE_ERR_IO = -3,       /* a file could not be read or written */
    AE_ERR_FORMAT = -4,   /* malformed input file */
    AE_ERR_DIVERGED = -5, /* the loss was not finite or exploded; the last good state was restored (ae_trainer_step) */
};
const char *ae_last_error(void);
void ae_clear_error(void);

/* ---- deterministic RNG and math (src/rng.c, src/mathfn.c) ---- */
typedef struct { uint64_t state, inc; } ae_rng; /* PCG32 (O'Neill), the same stream on every platform */
void ae_rng_seed(ae_rng *r, uint64_t seed, uint64_t stream);
uint32_t ae_rng_u32(ae_rng *r);
uint32_t ae_rng_below(ae_rng *r, uint32_t n); /* uniform in [0, n), unbiased */
float ae_rng_uniform(ae_rng *r);              /* uniform in [0, 1), 24 random bits */
float ae_rng_normal(ae_rng *r);               /* N(0, 1), Marsaglia polar method */

/* Correctly-rounded-enough float math that gives the same bits natively and in wasm
 * (libm's expf/logf differ between glibc and musl in the last ulp). */
float ae_expf(float x);
float ae_logf(float x);
float ae_sigmoidf(float x);
float ae_tanhf(float x);

/* ---- threads (src/parallel.c) ----
 * Training steps split their GEMMs and elementwise loops over a pool of threads (native builds and the
 * wasm threads build). Results are the same bits for any number of threads. Default 1. */
#define AE_MAX_THREADS 16
int ae_set_threads(int n); /* 1..AE_MAX_THREADS; an error in a build without threads for n > 1 */
int ae_threads(void);

/* ---- GEMM (src/gemm.c) ----
 * C(M,N) += op(A)(M,K) · op(B)(K,N), op(X) = X or X^T. Each C(i,j) is accumulated as
 * c = C(i,j); for k = 0..K-1: c += A(i,k)*B(k,j), in that order and without fused multiply-add,
 * so the blocked SIMD kernel, the plain reference and every build (native, wasm SIMD, wasm scalar)
 * give the same bits. */
void ae_gemm(int transA, int transB, int M, int N, int K,
             const float *A, int lda, const float *B, int ldb, float *C, int ldc);
void ae_gemm_ref(int transA, int transB, int M, int N, int K,
                 const float *A, int lda, const float *B, int ldb, float *C, int ldc);

/* SIMD multiply-add peak loop (src/peak.c): runs iters iterations, sets *flops, returns a checksum. */
double ae_peak_run(long iters, double *flops);
/* The same loop as `tasks` runs of iters iterations shared out on all threads (ae_set_threads): what the
 * cores give together. Sets *flops (all tasks'), returns a checksum; tasks is clamped to 1..AE_PEAK_TASKS. */
#define AE_PEAK_TASKS 64
double ae_peak_run_threads(long iters, int tasks, double *flops);
/* Nanoseconds for one round trip of a cache line between two threads (a new one beside the caller): the
 * median of `batches` batches (1 to AE_PEAK_TASKS) of `per` round trips (1 to 10^6), the fastest batch in
 * *fastest (may be NULL). Under one L3 cache tens of ns, across chiplets hundreds. -1 (and *fastest -1) in a
 * build without threads, for bad arguments, or if the second thread cannot start. */
double ae_peak_round_trip_ns(int batches, int per, double *fastest);

/* ---- activations (src/activation.c) ---- */
typedef enum {
    AE_ACT_IDENTITY = 0, /* linear */
    AE_ACT_SIGMOID,
    AE_ACT_TANH,
    AE_ACT_RELU,
    AE_ACT_LEAKY_RELU, /* slope 0.01 below zero */
    AE_ACT_SOFTMAX,    /* output layer only, with AE_LOSS_SOFTMAX_CE */
    AE_ACT_COUNT
} ae_act;
const char *ae_act_name(ae_act a);
int ae_act_parse(const char *s, ae_act *out);
/* y = f(z) over n values; for softmax, rows of width `width`. y may be z itself except for softmax (the model
 * computes a hidden layer's f in place). */
void ae_act_forward(ae_act a, const float *z, float *y, size_t n, int width);
/* dz = f'(z) ⊙ dy, using the saved output y (every supported f' is a function of y). Not for softmax.
 * dz may be dy itself. */
void ae_act_backward(ae_act a, const float *y, const float *dy, float *dz, size_t n);
/* dz += c · sgn(y) ⊙ f'(z): the gradient of an L1 penalty c·Σ|y| on a layer's output y (a sparse code).
 * Not for softmax. */
void ae_act_l1_grad(ae_act a, const float *y, float *dz, float c, size_t n);

/* ---- losses (src/loss.c) ----
 * Each takes the output layer's pre-activation z (B, D) and output y = f(z), the target t (B, D),
 * and returns the mean loss; if dz is not NULL it also writes dL/dz (B, D) (overwriting).
 * MSE: mean over B·D of (y - t)^2, any output activation.
 * BCE: mean over B·D of -(t log y + (1-t) log(1-y)) with y = sigmoid(z), computed from the logits
 *      as max(z,0) - z t + log(1 + e^-|z|) so it never takes log(0); needs a sigmoid output.
 * Softmax CE: mean over B of -Σ_j t_j log softmax(z)_j; needs a softmax output. */
typedef enum { AE_LOSS_MSE = 0, AE_LOSS_BCE, AE_LOSS_SOFTMAX_CE, AE_LOSS_COUNT } ae_loss;
const char *ae_loss_name(ae_loss l);
int ae_loss_parse(const char *s, ae_loss *out);
double ae_loss_eval(ae_loss l, ae_act out_act, const float *z, const float *y, const float *t,
                    float *dz, int B, int D);

/* ---- optimizers (src/optim.c) ----
 * SGD with momentum:  v = μ v + g;  p -= lr v            (g includes weight decay λ p on weights)
 * Adam (Kingma & Ba): m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;
 *                     p -= lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε) */
typedef enum { AE_OPT_SGD = 0, AE_OPT_ADAM, AE_OPT_COUNT } ae_opt;
typedef struct {
    ae_opt kind;
    float lr;
    float momentum;     /* SGD */
    float beta1, beta2; /* Adam */
    float eps;          /* Adam */
    float weight_decay; /* L2 coefficient λ: adds λ·w to the gradient of every weight (not biases) */
} ae_optim_cfg;
ae_optim_cfg ae_optim_default(ae_opt kind); /* Adam: lr 1e-3, β 0.9/0.999, ε 1e-7 (Keras); SGD: 0.01, μ 0.9 */
const char *ae_opt_name(ae_opt o);
int ae_opt_parse(const char *s, ae_opt *out);
/* One update of n parameters; decay_mask[i] != 0 marks weights that get weight decay (NULL: all).
 * t is the 1-based step count (Adam bias correction). m and v are the optimizer's state (SGD uses m). */
void ae_optim_step(const ae_optim_cfg *c, long t, size_t n, float *p, const float *g, float *m, float *v,
                   const uint8_t *decay_mask);
/* The same update out of place: reads p, m, v and writes the new values to po, mo, vo (which may be p, m, v
 * themselves; SGD copies v to vo unchanged). The model steps this way so that the old state survives. */
void ae_optim_step_to(const ae_optim_cfg *c, long t, size_t n, const float *p, const float *g, const float *m,
                      const float *v, float *po, float *mo, float *vo, const uint8_t *decay_mask);

/* ---- architectures (src/spec.c) and layer kinds (src/layers/) ----
 * A model is a chain of layers, each of a registered kind (src/layers/registry.c), from an input of shape
 * channels × height × width (a plain vector of n is n×1×1) to an output. The model spec is the one text
 * form of an architecture, read and printed by the C core, used as it is by the CLI (--arch), the page's
 * field, its URL hash and the model file's metadata:
 *
 *   spec   := input ('-' layer)+ (sep key '=' value)*          sep: spaces or ','
 *   input  := W | H 'x' W | C 'x' H 'x' W                      784, 28x28, 1x28x28
 *   layer  := ['*'] token [':' activation]                     '*' marks the code (bottleneck)
 *   token  := a layer kind's own syntax; dense is its width:   32
 *   keys   := hidden, code, output (activations of the layers that name none), loss, init
 *
 * Layers without parameters (pool2, up2, 8x7x7) pass their values through unless they name an activation;
 * hidden= and code= set the layers that learn.
 *
 * "784-32-784" is a dense autoencoder: relu inside, sigmoid out, binary cross-entropy, the code at the
 * narrowest interior layer. "784-256-10:softmax" is a classifier (its loss follows the output: softmax
 * cross-entropy; sigmoid: BCE; anything else: MSE). ae_arch_spec prints a short spec that reads back to the
 * same architecture, leaving out whatever equals these defaults. */
typedef enum { AE_INIT_GLOROT_UNIFORM = 0, AE_INIT_GLOROT_NORMAL, AE_INIT_HE_UNIFORM, AE_INIT_HE_NORMAL,
               AE_INIT_COUNT } ae_init;
const char *ae_init_name(ae_init i);
int ae_init_parse(const char *s, ae_init *out);

/* Every layer kind, X(ENUM, name). A new kind is its file src/layers/<name>.c, which defines
 * ae_<name>_ops (src/layers/layer.h), and its line here (plus its own numbers in ae_layer below, if it has
 * any); the enum, the registry (src/layers/registry.c) and the JS list LAYERS follow from this list. */
#define AE_LAYER_KINDS(X) \
    X(DENSE, dense)     /* fully connected: "32" */ \
    X(CONV, conv)       /* 2-D convolution: "conv16k3", "conv8k3s2", "conv16k3v" (valid padding) */ \
    X(CONVT, convt)     /* transposed 2-D convolution: "convt32k3s2" */ \
    X(POOL, pool)       /* max pooling: "pool2" */ \
    X(UP, up)           /* nearest upsampling: "up2" */ \
    X(RESHAPE, reshape) /* a new shape for the same values: "8x7x7" */
typedef enum {
#define AE_X(e, name) AE_LAYER_##e,
    AE_LAYER_KINDS(AE_X)
#undef AE_X
    AE_LAYER_COUNT
} ae_layer_kind;
const char *ae_layer_kind_name(ae_layer_kind k);

typedef struct { int c, h, w; } ae_shape; /* a tensor per example, c×h×w, stored channels last (src/layers/layer.h) */
#define AE_SHAPE_SIZE(s) ((int64_t)(s).c * (s).h * (s).w)

typedef struct {
    ae_layer_kind kind;
    ae_act act;       /* applied to the layer's output */
    int units;        /* dense: output width; conv, convt: output channels */
    int kernel, stride, valid; /* conv, convt: K×K kernel, stride S, 'valid' padding (0: 'same') */
    int size;         /* pool: window side and stride P; up: factor F */
    ae_shape shape;   /* reshape: the shape the same values are read as */
} ae_layer;

typedef struct {
    int n_layers;                  /* 1..AE_MAX_LAYERS */
    ae_shape input;
    ae_layer layer[AE_MAX_LAYERS];
    int code;                      /* index into shape/sizes of the bottleneck; 0 if the model has none */
    ae_loss loss;
    ae_init init;
    /* Filled in by ae_arch_check from the above (shape inference through every layer's kind): */
    ae_shape shape[AE_MAX_LAYERS + 1]; /* shape[0] input, shape[l+1] layer l's output */
    int sizes[AE_MAX_LAYERS + 1];      /* their flat widths c·h·w */
} ae_arch;

/* Read a spec. hidden, code, output and loss (each may be NULL: relu, as hidden, sigmoid, by the output) are
 * defaults for what the spec leaves unsaid; the spec's own keys and ':activation's win over them. Checks the
 * result (ae_arch_check). */
int ae_arch_parse(ae_arch *a, const char *spec, const char *hidden, const char *code, const char *output,
                  const char *loss);
/* A short spec that ae_arch_parse(…, NULL, NULL, NULL, NULL) reads back to *a (defaults left out); returns buf, or NULL if
 * cap is too small (AE_SPEC_CAP always suffices). */
#define AE_SPEC_CAP 1024
char *ae_arch_spec(const ae_arch *a, char *buf, size_t cap);
/* The same with nothing left to defaults (every ':activation', the code marked, loss= and init=): what model
 * files store, so that a file means the same to any later version. */
char *ae_arch_spec_full(const ae_arch *a, char *buf, size_t cap);
/* Only the shapes, "784-32-784" or "28x28-32-784" (3x32x32 with channels): for messages. Returns buf. */
char *ae_arch_sizes_str(const ae_arch *a, char *buf, size_t cap);
/* Checks every field and infers shape[] and sizes[] through the layers' kinds. */
int ae_arch_check(ae_arch *a);

/* ---- model (src/model.c; each layer kind's forward and backward in src/layers/<kind>.c) ---- */
/* One parameter tensor of a layer, as the model file and the page see it. */
#define AE_MAX_TENSORS 2
typedef struct {
    const char *name;   /* "weight", "bias": the file names it "layers.L.<name>" */
    int ndim, dims[4];  /* e.g. dense weight (out, in) */
    size_t count;       /* product of dims */
    int decay;          /* weight decay applies (weights yes, biases no) */
    int random;         /* initialised at random from the fans (else zero) */
    int fan_in, fan_out;
} ae_tensor_info;

typedef struct ae_model {
    ae_arch arch;
    int max_batch;
    size_t n_params;
    /* params, opt_m and opt_v point into one of two copies of the state, state[cur] (each (3, n_params):
     * params, m, v). An optimizer step reads that copy and writes the other, then flips cur, so the state
     * before the last step is still there for ae_model_undo_step; read these pointers after every step. */
    float *params;   /* one block: layer by layer, each layer's tensors in order (dense: W (out, in), b (out)) */
    float *grads;    /* same layout */
    float *opt_m;    /* optimizer state, same layout */
    float *opt_v;
    float *state[2];
    int cur;
    int can_undo;    /* the last change to the state was an ae_model_step, which may be undone */
    int fuse;        /* let layers fold activations into their products (default 1; 0 runs them as their
                      * own steps: the same bits, slower; for tests) */
    int data_floats; /* trained on float data (1) or on uint8 pixels / 255 (0): the model file says which */
    uint8_t *decay_mask;
    int n_tensors[AE_MAX_LAYERS];
    ae_tensor_info tensor[AE_MAX_LAYERS][AE_MAX_TENSORS];
    size_t p_off[AE_MAX_LAYERS + 1]; /* layer l's parameters are [p_off[l], p_off[l+1]) */
    size_t t_off[AE_MAX_LAYERS][AE_MAX_TENSORS];
    float *a[AE_MAX_LAYERS + 1];  /* a[0] input (B, sizes[0]); a[l+1] = f(z[l]) (B, sizes[l+1]) */
    float *z[AE_MAX_LAYERS];      /* pre-activations (B, sizes[l+1]); kept only where read later (the output's, a
                                   * pooling layer's): elsewhere z[l] is a[l+1], which f overwrites in place */
    float *dz[AE_MAX_LAYERS];     /* dL/dz (B, sizes[l+1]) */
    float *scratch;               /* the largest scratch any layer asks for (for max_batch rows) */
    float *target;                /* (B, sizes[L]): what the loss compares the output with (trainer, ae_evaluate) */
    long t;                       /* optimizer steps taken */
    float code_l1;                /* λ of an L1 penalty λ·mean over the batch of Σ|code| that ae_model_backward
                                   * adds to the code's gradient (the trainer sets it for a step; 0: none) */
    double *prof;                 /* NULL, or (n_layers, 2): seconds each layer's forward and backward took,
                                   * added up over the calls made while it is set (a profile; aelab bench --profile) */
    void *mem;                    /* the single allocation behind everything above */
} ae_model;

/* Floating-point operations of one training sample: each layer kind counts its products (dense: forward
 * 2·in·out, backward 4·in·out, 2·in·out for the first layer, which needs no input gradient). Biases and
 * activations are not counted. */
double ae_model_train_flops(const ae_model *m);
/* Layer l's share of that: its forward pass (backward = 0) or its backward pass, input gradient included
 * except for the first layer. */
double ae_model_layer_flops(const ae_model *m, int l, int backward);
/* Refuses (AE_ERR_NOMEM, saying how much it would need) a model larger than AE_MAX_MODEL_BYTES. */
int ae_model_init(ae_model *m, const ae_arch *a, int max_batch, uint64_t seed);
void ae_model_free(ae_model *m);
void ae_model_reset(ae_model *m, uint64_t seed); /* fresh initialisation, zero optimizer state */
/* Zero optimizer state (both moments, t), the weights kept: a new phase of training starts as a model
 * loaded from a file does. */
void ae_model_reset_optimizer(ae_model *m);
/* Layer l's tensor k (its shape in m->tensor[l][k]) in the current state, or NULL if there is none. Valid
 * until the next ae_model_step or ae_model_undo_step, which switch to the other copy of the state: ask again
 * after one. ae_model_weight and ae_model_bias are tensors 0 and 1 of a dense layer. */
float *ae_model_tensor(ae_model *m, int layer, int k);
float *ae_model_weight(ae_model *m, int layer);
/* out[l] (n_layers): ‖∂L/∂W‖ of layer l's weights (biases left out) from the last backward pass; 0 where it
 * did not reach (layers below a trained range) or a layer has no weights. How the gradient fades or grows
 * on its way down: the vanishing-gradient picture of why pretraining helped. */
void ae_model_grad_norms(const ae_model *m, double *out);
float *ae_model_bias(ae_model *m, int layer);
float *ae_model_input(ae_model *m);              /* (max_batch, sizes[0]): write a batch here */
const float *ae_model_output(const ae_model *m); /* (B, sizes[n_layers]) after a forward pass */
const float *ae_model_code(const ae_model *m);   /* (B, sizes[code]) after a forward pass */

/* Run layers [from, to) on the batch already in a[from] (B rows). */
int ae_model_forward_range(ae_model *m, int from, int to, int B);
int ae_model_forward(ae_model *m, int B); /* whole model, input in ae_model_input() */
/* Loss of the last forward pass against target t (B, out); with grad != 0 also writes dz of the output
 * layer, ready for backward. Returns the mean loss (NaN if non-finite values appeared). */
double ae_model_loss(ae_model *m, const float *t, int B, int grad);
void ae_model_zero_grad(ae_model *m);
/* Backpropagate from the output layer's dz through layers [from, n_layers), accumulating into grads. */
int ae_model_backward(ae_model *m, int from, int B);
/* Optimizer update of the parameters of layers [from, to) (the others and their moments carry over). */
int ae_model_step(ae_model *m, const ae_optim_cfg *c, int from, int to);
/* Put the parameters, both moments and t back as they were before the last ae_model_step. Possible once,
 * and only if nothing else changed the state since (reset, load, ae_model_init_output_bias); else AE_ERR_ARG. */
int ae_model_undo_step(ae_model *m);

/* Layers [from, to) over any number of rows: x (B, sizes[from]) -> out (B, sizes[to]), run max_batch rows at a
 * time through the model's buffers (which it overwrites); the same bits as one batch of each chunk. */
int ae_model_map_rows(ae_model *m, int from, int to, const float *x, int B, float *out);
/* Encoder and decoder as separate calls. x (B, sizes[0]) -> code (B, sizes[code]) and back. */
int ae_model_encode(ae_model *m, const float *x, int B, float *code);
int ae_model_decode(ae_model *m, const float *code, int B, float *out);

/* ---- data (src/dataset.c; IDX files in src/idx.c) ----
 * Two kinds, one type: pixels stay uint8 (60,000 MNIST images = 47 MB) and become floats x/255 a batch at
 * a time; float datasets (points, a layer's codes as the next layer's data) are read as they are. Exactly
 * one of pixels and values is set. */
typedef struct {
    int n, rows, cols;    /* n items of rows×cols (points: 1×dim) */
    uint8_t *pixels;      /* (n, rows*cols) or NULL */
    float *values;        /* (n, rows*cols) or NULL */
    uint8_t *labels;      /* (n) or NULL */
    int n_classes;        /* 1 + max label, 0 without labels */
    int src_rows, src_cols; /* pixels stored at src_rows×src_cols and drawn at rows×cols as they are read
                             * (ae_dataset_draw_at); 0, 0 when stored as read */
    int borrowed;         /* pixels, values and labels belong to another dataset (ae_dataset_view) */
} ae_dataset;
/* A float dataset of n items of rows×cols from x (n, rows*cols), copied. Refuses counts below 1, sizes past
 * AE_MAX_WIDTH per item or the build's memory, and any NaN or ±Inf (naming the item). Labels can follow
 * with ae_idx_labels_mem. */
int ae_dataset_floats(ae_dataset *d, const float *x, int n, int rows, int cols);
/* Whether d holds items of either kind. */
int ae_dataset_loaded(const ae_dataset *d);
/* Parse IDX (big-endian; magic 0x00000803 images, 0x00000801 labels) from memory. Copies the data.
 * Labels load after the images (or the floats), one per item, and must be classes 0..K-1 with every class present at
 * least once: a stray 200 among the digits 0..9, or labels counted from 1, is refused with the label and
 * its position named. */
int ae_idx_images_mem(ae_dataset *d, const uint8_t *buf, size_t len);
int ae_idx_labels_mem(ae_dataset *d, const uint8_t *buf, size_t len);
#ifndef __EMSCRIPTEN__
/* From a file, gzip-compressed or plain (zlib reads both). */
int ae_idx_images_file(ae_dataset *d, const char *path);
int ae_idx_labels_file(ae_dataset *d, const char *path);
#endif
void ae_dataset_free(ae_dataset *d);
/* Move items [keep, n) of d into tail (a new dataset, labels too) and keep the first `keep` in d:
 * a held-out test set carved from one file. 1 <= keep < n; on failure d is unchanged. */
int ae_dataset_split(ae_dataset *d, int keep, ae_dataset *tail);
int ae_dataset_dim(const ae_dataset *d);
/* A new dataset of the items idx[0..n) of src, in that order (labels too): a labelled subset. */
int ae_dataset_subset(ae_dataset *dst, const ae_dataset *src, const uint32_t *idx, int n);
/* Rows idx[0..B) into out (B, dim): pixels as x/255, floats as they are; idx NULL means rows first..first+B. */
void ae_dataset_batch(const ae_dataset *d, const uint32_t *idx, int first, int B, float *out);
/* Read a pixel dataset's items at rows×cols (bilinear: output pixel centres mapped onto the stored grid,
 * edges clamped) without storing them at that size: MNIST's 60,000 digits are 47 MB as stored and would be
 * 600 MB at 100×100. Every reader (batches, the output bias, splits and subsets, which keep the setting) sees
 * items of rows×cols; drawing at the stored size undoes it. 1 to AE_MAX_WIDTH values per item; pixel datasets
 * only. */
int ae_dataset_draw_at(ae_dataset *d, int rows, int cols);
/* dst reads src's items without copying them (src must outlive it, and freeing dst leaves them alone): the
 * same data drawn at another size, beside the original, while jobs on the original go on. */
int ae_dataset_view(ae_dataset *dst, const ae_dataset *src);
/* A pixel dataset of n black items of rows×cols, for ae_dataset_set_image to fill. */
int ae_dataset_pixels(ae_dataset *d, int n, int rows, int cols);
/* One-hot labels (B, n_classes). */
void ae_dataset_onehot(const ae_dataset *d, const uint32_t *idx, int first, int B, int n_classes, float *out);

/* ---- pictures (src/image.c): PNG and JPEG through stb_image ----
 * A picture becomes one grey item: luma (a colour JPEG's own Y plane, an RGB PNG's 77:150:29 of R, G, B;
 * alpha dropped), its largest centred
 * part with the item's aspect ratio, resized to the item's size by stb_image_resize (Mitchell filter down,
 * cubic up). The declared size is checked before anything is decoded, so a small file that claims
 * 60,000×60,000 pixels (a "JPEG bomb"), or a PNG chunk longer than its file, is refused without
 * allocating. */
#define AE_MAX_PICTURE_SIDE 16384
/* decoding takes up to about 16 bytes per pixel for a moment (a 16-bit RGBA PNG's inflated rows and its
 * converted copy): 24 million pixels (a 6000×4000 photo) stay under 400 MB */
#define AE_MAX_PICTURE_PIXELS (24 * 1000 * 1000)
/* Decode buf (len bytes) into out (rows, cols) as bytes 0..255. Refuses empty, truncated, unknown or
 * oversized pictures with a message saying which. */
int ae_image_gray(const uint8_t *buf, size_t len, int rows, int cols, uint8_t *out);
/* The same into item i of a pixel dataset, at its stored size. */
int ae_dataset_set_image(ae_dataset *d, int i, const uint8_t *buf, size_t len);

/* ---- corruption (src/corrupt.c): the denoising autoencoder's input noise ---- */
typedef enum { AE_NOISE_NONE = 0, AE_NOISE_GAUSSIAN, AE_NOISE_MASK, AE_NOISE_SALT_PEPPER, AE_NOISE_COUNT } ae_noise;
const char *ae_noise_name(ae_noise k);
int ae_noise_parse(const char *s, ae_noise *out);
/* In place on n values in [0,1]: gaussian adds N(0, level²) and clips; mask zeroes each value with
 * probability level; salt-and-pepper sets each value to 0 or 1 (even odds) with probability level. */
void ae_corrupt(ae_noise kind, float level, ae_rng *r, float *x, size_t n);

/* ---- training recipe (src/train.c) ---- */
/* Start an autoencoder's output where the data is: bias_c = f^-1(mean of output channel c over d: a dense
 * output's unit c, a convolution's channel c over every position), for a sigmoid (logit of the mean, clipped
 * to [1e-3, 1-1e-3]) or linear output; AE_ERR_ARG for other outputs, a last layer without a bias per channel
 * (pooling, upsampling, a reshape) or an output not as wide as d's items. For a fresh model: the first steps
 * then learn the digits' structure instead of their average brightness. A trained model keeps its biases
 * unless this is called. */
int ae_model_init_output_bias(ae_model *m, const ae_dataset *d);

typedef struct {
    int batch;
    ae_optim_cfg opt;
    uint64_t seed;
    ae_noise noise; /* corruption applied afresh to every batch; the target stays clean */
    float noise_level; /* default 0.3 (used only when noise is not none) */
    int supervised; /* target is the one-hot label instead of the input */
    float diverge_factor; /* a batch loss above this times the reference ends training (ae_trainer_step);
                           * 0: only a loss that is not finite does. Default 100 */
    int epochs;     /* how long a training job runs; 0: until stopped. Default 0 */
    int from, to;   /* the layers [from, to) are updated, the others stay frozen (their gradients still flow
                     * through); to = 0 means through the last layer. Default all: 0, 0 */
    float l1;       /* sparse code: λ·(mean over the batch of Σ|code|) is added to the loss (Keras's
                     * activity_regularizer=l1(λ)); 0 (the default): none */
    float lr_decay; /* the learning rate of epoch e (from 0) is opt.lr·lr_decay^e, the product taken one float
                     * multiplication per epoch so every build gets the same bits; in (0, 1], default 1 */
} ae_train_cfg;
ae_train_cfg ae_train_default(void);
/* The settings as text (src/train_cfg.c), what the wasm boundary and the CLI's --train-spec take:
 * key=value pairs separated by spaces or commas, one key per field: batch opt lr momentum beta1 beta2 eps
 * weight_decay seed noise noise_level supervised diverge_factor epochs from to l1 lr_decay, enums by their C names ("opt=sgd
 * noise=mask"). Starts from ae_train_default(); opt=K starts the optimizer's fields from
 * ae_optim_default(K) wherever it stands, and the keys given then override them. An unknown or repeated key,
 * a value that is not a number of the field's kind or is outside its range is AE_ERR_ARG with a message
 * naming the key and the allowed values, and *c is left as it was. */
int ae_train_cfg_parse(ae_train_cfg *c, const char *spec);
/* Every field as a spec that ae_train_cfg_parse reads back to the same bits (floats as the shortest of
 * %.6g..%.9g that round-trips). Returns buf, or NULL if cap is too small (AE_TRAIN_CFG_STR_CAP always
 * suffices). */
#define AE_TRAIN_CFG_STR_CAP 512
char *ae_train_cfg_str(const ae_train_cfg *c, char *buf, size_t cap);

/* What a rollback puts back: the trainer at the start of its last step that gave a sound loss. */
typedef struct {
    int valid;
    int pos, epoch, last_batch;
    int reshuffled;    /* that step ended an epoch: the order before its reshuffle is in perm_prev */
    long step;
    long model_t;      /* the model's t before that step's update */
    double last_loss;
    ae_rng rng;
} ae_trainer_mark;

typedef struct {
    ae_model *m;
    const ae_dataset *d;
    ae_train_cfg cfg;
    int n;             /* d->n when the trainer was made; stepping refuses if the dataset changed size */
    ae_rng rng;        /* shuffling and corruption */
    uint32_t *perm;    /* (n) this epoch's order, shuffled when the previous epoch ends */
    uint32_t *perm_prev; /* (n) the order before the last reshuffle */
    int pos;           /* next index into perm */
    int epoch;         /* completed epochs */
    long step;         /* batches trained */
    int last_batch;    /* rows in the last batch trained */
    int train_from;    /* layers [train_from, train_to) are updated (cfg.from, cfg.to); the rest stay frozen */
    int train_to;
    const ae_dataset *targets; /* what the loss compares with, row for row, instead of the input (NULL) */
    double last_loss;
    double uninformed; /* the loss of an output that knows nothing: ln 2 (BCE), 1/4 (MSE), ln D (softmax CE) */
    double ref_loss;   /* the divergence reference: max(the first step's loss, uninformed); 0 before it */
    ae_trainer_mark mark;
} ae_trainer;
int ae_trainer_init(ae_trainer *t, ae_model *m, const ae_dataset *d, const ae_train_cfg *cfg);
/* The same with the loss target as its own dataset ("another tensor"): row i of targets is what the model
 * should output for item i of d (a layer's codes, clean copies of stored noisy inputs). As many items as d,
 * as wide as the output, floats or pixels; not with cfg.supervised. NULL: the input, as ae_trainer_init.
 * The trainer reads it at every step: keep it alive. */
int ae_trainer_init_targets(ae_trainer *t, ae_model *m, const ae_dataset *d, const ae_dataset *targets, const ae_train_cfg *cfg);
void ae_trainer_free(ae_trainer *t);
/* One minibatch: returns AE_OK and the batch loss in *loss. An epoch ends after ceil(n / batch) steps (the
 * last one partial).
 * Divergence: if the loss is not finite, or exceeds cfg.diverge_factor × ref_loss, the step returns
 * AE_ERR_DIVERGED with a message naming both and suggesting a smaller learning rate, having put back the
 * whole state as it was at the start of the previous step (the last one whose loss was sound): the
 * model's parameters, moments and t (ae_model_undo_step) and this trainer's counters, RNG and order. The
 * first step of a trainer only checks that its loss is finite (nothing of this trainer's to undo then). */
int ae_trainer_step(ae_trainer *t, double *loss);
int ae_trainer_steps_per_epoch(const ae_trainer *t);

/* ---- jobs (src/jobs/): a piece of training work driven in slices ----
 * A job owns its trainer(s) and schedule; the caller (the page's Worker, the CLI, a test) calls
 * ae_job_step(n) until the state says done, drawing between slices. Kinds:
 *   "train": one phase of training (the settings of ae_train_cfg_parse, with epochs=N to end it; the test
 *   set, if given, is evaluated at every epoch's end; not with target data).
 *   "pretrain": autoencoders as the initialisation of a classifier (src/jobs/pretrain.c): the model is a
 *   dense classifier ending in softmax, the training set labelled; phases of pretraining (recipe=greedy:
 *   one shallow autoencoder per hidden layer; e2e: one deep autoencoder; none: the random-init baseline),
 *   then the top layer on the labels, then every layer. Its own keys: recipe, pre_epochs, top_epochs,
 *   fine_epochs (each 1 by default), labels_per_class (0: all), pre_lr (0: lr), start (the first phase
 *   to run, the model holding the weights the phase before it left); the others are ae_train_cfg_parse's
 *   and hold for every phase (noise for pretraining only). The test set gives each epoch's reconstruction
 *   loss while pretraining, then the loss and accuracy of the classifier. */
typedef struct {
    long step;           /* batches trained */
    int epoch;           /* completed epochs */
    int epochs;          /* planned epochs, 0: until stopped */
    int steps_per_epoch;
    int phase, n_phases; /* where a schedule is; "train" is phase 0 of 1 */
    int done;            /* the planned epochs are complete */
    int epoch_ended;     /* the last ae_job_step ended an epoch (and evaluated the test set, if any) */
    int phase_ended;     /* it also ended a phase: phase is the next one now (or the last, when done) */
    int pos;             /* items of this epoch already trained */
    double loss;         /* the last batch's loss */
    double test_loss;    /* at the last epoch's end; NaN before or without a test set */
    double test_acc;     /* fraction right at the last epoch's end, supervised runs; NaN otherwise */
    double train_acc;    /* a "pretrain" job with labels_per_class: the accuracy on those labelled items at the last
                          * supervised epoch's end; NaN otherwise */
    double test_noisy_loss; /* with noise on: the test loss of corrupted inputs against clean ones (the same
                             * corruption every epoch, from the run's seed); NaN otherwise */
    /* over the steps of the last ae_job_step call: */
    int steps_run;
    long samples;        /* items trained */
    double loss_sum;     /* Σ batch losses (loss_sum / steps_run: their mean) */
} ae_job_state;
typedef struct ae_job ae_job;
/* targets: see ae_trainer_init_targets (NULL: the input). test may be NULL. The model and the datasets must
 * outlive the job. */
int ae_job_create(ae_job **job, const char *kind, ae_model *m, const ae_dataset *train, const ae_dataset *targets,
                  const ae_dataset *test, const char *spec);
/* Train up to n batches; returns early when an epoch ends (so its test loss can be drawn) or the job is
 * done. AE_ERR_DIVERGED leaves the job at its last sound step (ae_trainer_step); it can go on. *st is
 * written either way. */
int ae_job_step(ae_job *job, int n, ae_job_state *st);
int ae_job_state_get(const ae_job *job, ae_job_state *st);
/* The trainer the job is running now (its settings), or NULL; a schedule switches trainers between phases,
 * so ask again after every ae_job_step. */
ae_trainer *ae_job_trainer(ae_job *job);
/* The model the current phase trains: the job's own, or a phase's autoencoder (a "pretrain" job's layer
 * being pretrained, with its decoder), for live views. Valid until the next ae_job_step. */
ae_model *ae_job_model(ae_job *job);
/* x (n, input width) as the job's autoencoding reconstructs it, in input space (n, input width). level -1:
 * as it stands now: a "train" job's autoencoder; a "pretrain" job's stack as far as pretraining has reached
 * (the phase's own autoencoder on the codes below it), decoded back to pixels through the decoders of the
 * layers below. level L >= 1 (a "pretrain" job, greedy): through the classifier's first L layers and the
 * decoders pretraining has finished, as after layer L's phase. AE_ERR_ARG for the baseline or a level not
 * reached. Runs the models' forward passes, so call it between steps. */
int ae_job_reconstruct(ae_job *job, int level, const float *x, int n, float *out);
/* What phase p does, in words ("pretrain layer 2 as an autoencoder 500-500:sigmoid-500:sigmoid"). */
int ae_job_phase_name(ae_job *job, int phase, char *buf, size_t cap);
void ae_job_free(ae_job *job);
const char *ae_job_kind_name(int i); /* the kinds, i = 0.. until NULL */

/* Mean loss of the model over a dataset (in batches of at most max_batch); target is the clean input,
 * or the one-hot label when supervised. Also counts correct argmax predictions if correct != NULL. */
int ae_evaluate(ae_model *m, const ae_dataset *d, int supervised, double *loss, int *correct);
/* The same with corrupted inputs against the clean targets: how well a denoising autoencoder restores.
 * Row i's corruption comes from ae_rng stream i of seed, so it is the same for any chunking or build. */
int ae_evaluate_noisy(ae_model *m, const ae_dataset *d, int supervised, ae_noise noise, float level, uint64_t seed, double *loss,
                      int *correct);
/* The seed a training run with seed s corrupts its test set with (ae_job_state.test_noisy_loss): `aelab
 * eval --noise K --seed s` gives the same number. */
uint64_t ae_test_noise_seed(uint64_t s);
/* The checks ae_evaluate makes before it starts (AE_OK if it can evaluate d), for callers that take a test
 * set now and evaluate it later. */
int ae_evaluate_check(const ae_model *m, const ae_dataset *d, int supervised);

/* ---- PCA (src/pca.c): the linear baseline autoencoders are measured against ----
 * Items x (dim) of a dataset (pixels as x/255, floats as they are), n of them. The fit is
 *   μ = (1/n) Σ x,   C = (1/n) Σ (x − μ)(x − μ)ᵀ (dim, dim),   C = Σ_j λ_j u_j u_jᵀ, λ_1 ≥ λ_2 ≥ … ≥ λ_dim,
 * accumulated in double and decomposed in double (Householder, then implicit QL), the same bits on every
 * build. Through k components an item is x̂ = μ + U_k U_kᵀ (x − μ), U_k = [u_1 … u_k] (dim, k); on the
 * fitted data itself the mean of Σ_i (x_i − x̂_i)² over the items is λ_{k+1} + … + λ_dim. */
#define AE_PCA_MAX_DIM 4096 /* C takes dim² doubles: 128 MiB at 4096 */
typedef struct {
    int dim, k;       /* item size; components kept (the basis's columns) */
    int n;            /* items fitted */
    double *mean;     /* (dim) μ */
    double *eigval;   /* (dim) every λ_j, descending: the variance along u_j */
    double total_var; /* Σ_j λ_j = trace C: the mean of |x − μ|² */
    double *basis;    /* (dim, k) U_k: column j is u_{j+1}, unit length, its largest-magnitude entry positive */
    float *chunk;     /* scratch for reading items */
    double *code;     /* (k) scratch */
} ae_pca;
/* Fit on every item of d, keeping k components (1 <= k <= dim <= AE_PCA_MAX_DIM). Allocates everything
 * here; AE_ERR_ARG for an empty dataset or a k out of range. On failure *p is empty (ae_pca_free is safe). */
int ae_pca_fit(ae_pca *p, const ae_dataset *d, int k);
void ae_pca_free(ae_pca *p);
/* Reconstruction error of d's items through the first k components (1 <= k <= p->k): the mean over the
 * items of Σ_i (x_i − x̂_i)², a squared error per item (divide by dim for the mean per value). d's items
 * must be p->dim wide. Allocates nothing. */
int ae_pca_error(ae_pca *p, const ae_dataset *d, int k, double *per_item);
/* Cosines of the principal angles between span(A) and span(B), two k-dimensional subspaces of R^dim given
 * by their columns: A, B (dim, k) row-major, any bases (not necessarily orthonormal). Both are
 * orthonormalised in double (Q_A, Q_B), and cos (k) gets the singular values of Q_Aᵀ Q_B, descending:
 * all 1 for the same subspace, 0 along directions of one orthogonal to the other. AE_ERR_ARG if a basis has
 * a column that is zero or a combination of the others, or values that are not finite. */
int ae_subspace_cosines(const double *A, const double *B, int dim, int k, double *cos);

/* ---- PNG (src/png.c) ---- */
/* Grid of n grayscale tiles h×w (values in [0,1], clipped) in `cols` columns with a 1-pixel gap,
 * each pixel drawn scale×scale. Encoded with stb_image_write into a malloc'd buffer. */
int ae_png_grid(const float *tiles, int n, int h, int w, int cols, int scale, uint8_t **png, size_t *len);
/* First-layer filters, each normalised to its own range, the first 256 of them. Dense: row j of W (out, in)
 * shown as an h×w image (h·w must be the input width). Conv: one K×K tile per (output channel o, input
 * channel c) pair, tile o·C_in + c, each weight drawn scale×scale (h and w are ignored). Other first
 * layers (pool, up, reshape, convt) are refused. */
int ae_png_filters(const ae_model *m, int h, int w, int cols, int scale, uint8_t **png, size_t *len);
int ae_write_file(const char *path, const uint8_t *buf, size_t len);

/* ---- model files (src/safetensors.c) ----
 * safetensors: 8-byte little-endian header length, a JSON header naming each tensor
 * ("layers.L.weight" F32 [out, in], "layers.L.bias" F32 [out]) and "__metadata__" with format,
 * version, architecture and input normalisation, then the raw little-endian data. */
int ae_model_save_mem(const ae_model *m, uint8_t **buf, size_t *len);
/* Builds a new model from the file; m must not be initialised. */
int ae_model_load_mem(ae_model *m, const uint8_t *buf, size_t len, int max_batch);
int ae_read_file(const char *path, uint8_t **buf, size_t *len, size_t max_len);

#ifdef __cplusplus
}
#endif
#endif
