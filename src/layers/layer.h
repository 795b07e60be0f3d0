/* The interface every layer kind implements (one file per kind in src/layers/, one line in registry.c).
 * The model (src/model.c) owns all memory and the order of layers; a kind only knows its own shapes and
 * arithmetic. Shapes are per example, ae_shape {c, h, w}; buffers hold B examples of c·h·w floats each,
 * channels last: example b's value (y, x, ch) is at b·h·w·c + (y·w + x)·c + ch (as Keras and stb_image
 * lay out images; for one channel it is the row-major image). */
#ifndef AE_LAYER_H
#define AE_LAYER_H
#include "../internal.h"

/* Everything forward and backward get. p[k] and g[k] are the layer's tensors and their gradients in the
 * order the kind's tensors() lists them. */
typedef struct {
    const ae_layer *spec;
    ae_shape in, out;
    int B;
    const float *p[AE_MAX_TENSORS];
    float *g[AE_MAX_TENSORS];
    const float *x;   /* (B, in) the layer's input: the layer below's output y */
    float *z;         /* (B, out) pre-activation */
    float *y;         /* (B, out) f(z) */
    const float *dz;  /* (B, out) dL/dz */
    float *dx;        /* (B, in) dL/dx to write (overwrite), or NULL for the first layer trained */
    int apply_act;    /* forward only: write y = f(z) too (the kind fuses its activation; else the model applies
                       * f after forward, reading z and writing y) */
    int fuse_below;   /* backward only: an elementwise activation of the layer below (an ae_act) that the
                       * kind may apply to dx itself (dx = f'(x) ⊙ dx, with x the below layer's output);
                       * -1 when the model applies it as its own step */
    float *scratch;   /* scratch(...) floats for a batch of at least B */
} ae_layer_ctx;

typedef struct {
    ae_layer_kind kind;
    const char *name;
    /* The spec token: 1 and *out filled (kind and its fields; not act) if tok[0..len) is this kind's, 0 if
     * it is not, AE_ERR_ARG (message set) if it is this kind's but malformed. */
    int (*parse)(const char *tok, size_t len, ae_layer *out);
    /* The token back; snprintf's return convention. */
    int (*print)(const ae_layer *l, char *buf, size_t cap);
    /* Output shape from input shape, or AE_ERR_ARG naming what does not fit. */
    int (*infer)(const ae_layer *l, ae_shape in, ae_shape *out);
    /* Parameter tensors (at most AE_MAX_TENSORS): name, dims, fans, decay, random; the model fills count.
     * Returns how many. */
    int (*tensors)(const ae_layer *l, ae_shape in, ae_shape out, ae_tensor_info *t);
    /* Scratch floats forward/backward need for B examples (0 if none). */
    uint64_t (*scratch)(const ae_layer *l, ae_shape in, ae_shape out, int B);
    /* forward writes z, and y = f(z) too when apply_act. */
    void (*forward)(const ae_layer_ctx *c);
    /* backward accumulates the tensors' gradients into g and writes dx = dL/dx (if dx is not NULL), then
     * f_below'(x) ⊙ dx if fuse_below >= 0. */
    void (*backward)(const ae_layer_ctx *c);
    /* Multiply-adds ×2 for one example: forward, and backward with and without the input gradient. */
    double (*flops)(const ae_layer *l, ae_shape in, ae_shape out, int need_dx);
    int fuses_act;   /* forward can apply the layer's own activation (apply_act) */
    int fuses_below; /* backward can apply the layer below's activation derivative (fuse_below) */
    const char *example; /* a token of this kind, for messages: "32", "conv16k3" */
    int reads_z;     /* backward reads the layer's own z (the model then keeps it; else z is y, f applied in place) */
} ae_layer_ops;

/* Examples per parallel range for a kind that splits its work by example: enough that a range holds about
 * `floats` values of shape s, so it outweighs handing it to a thread; at least one. */
static inline size_t ae_examples_per_range(ae_shape s, size_t floats) {
    const size_t n = (size_t)AE_SHAPE_SIZE(s);
    return n >= floats ? 1 : floats / n;
}

const ae_layer_ops *ae_layer_ops_of(ae_layer_kind k); /* NULL for an unknown kind */
extern const ae_layer_ops *const ae_layer_kinds[AE_LAYER_COUNT];

#endif
