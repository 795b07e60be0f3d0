/* Patches of images: the arithmetic that the convolution (conv.c) and the transposed convolution (convt.c)
 * share. Both are products of a matrix of image patches with a kernel; here they run straight from a padded
 * copy of the images, without materialising the patch matrix (im2col), in register-tiled kernels like the
 * GEMM's (src/gemm.c), plus the scatter of patch rows back into an image (col2im) that the transposed
 * convolution's forward needs.
 *
 * Geometry: an image of h×w pixels with c channels, channels last ((y·w + x)·c + ch), and a grid of gh×gw
 * patch positions. Position (gy, gx) and tap (ky, kx) meet pixel (gy·s + ky − pad_t, gx·s + kx − pad_l);
 * taps off the image read zero. The patch matrix P (conceptually) has one row per position, row-major over
 * (gy, gx), of k·k·c columns ordered (ky, kx, ch); n images make n·gh·gw rows. The padded copy holds, per
 * image, the hp×wp pixels the taps reach, hp = (gh − 1)·s + k, wp = (gw − 1)·s + k, zero off the image. */
#ifndef AE_PATCHES_H
#define AE_PATCHES_H
#include "layer.h"

typedef struct {
    int h, w, c;      /* the image, per example */
    int gh, gw;       /* patch positions: P rows per example */
    int k, s;         /* k×k taps, stride s */
    int pad_t, pad_l; /* taps before the image's first row and column */
} ae_patches;

/* Floats of one image's padded copy. A buffer for n of them holds n·ae_patch_padded + AE_PATCH_SLACK: the
 * kernels may read (and discard) a few floats past the last. */
uint64_t ae_patch_padded(const ae_patches *g);
#define AE_PATCH_SLACK 64
/* The padded copy of img (n, h, w, c) in pad; returns pad, or img itself when the copy would equal it and
 * need_slack is 0. */
const float *ae_patch_pad(const ae_patches *g, const float *img, float *pad, int n, int need_slack);

/* B (K, N) for ae_patch_conv, K = k·k·c, packed from B(kk, j) = src[kk·sk + j·sn]: strips of 8 columns
 * (zero-filled past N), or the plain column when N = 1. ae_patch_pack_floats floats. */
uint64_t ae_patch_pack_floats(int K, int N);
void ae_patch_pack(const float *src, int sk, int sn, int K, int N, float *packed);

/* out (n·gh·gw, N) = init + P B, P from the padded copy, B packed; ep (may be NULL) as a GEMM's epilogue
 * over out: init from ep->bias (N) or zero; then AE_POST_FORWARD writes ep->y = f(out) (ep->y may be out), AE_POST_BACKWARD
 * sets out = f'(ep->fy) ⊙ out, y and fy laid out as out (ldy, ldfy = N); softmax is the caller's. Each out
 * value is init + Σ over K in ascending order (N = 1: in four lanes, then summed), whatever the thread count. */
void ae_patch_conv(const ae_patches *g, const float *pad, const float *packed, int N, float *out, int n, const ae_epilogue *ep);
/* The same product from n images themselves, with pad room for cap padded images (ae_patch_padded each)
 * plus AE_PATCH_SLACK: the batch in one contiguous share of examples per thread, each padded a part of pad
 * at a time (when a copy is needed) by the thread that then reads it, so that a thread tends to keep the
 * same examples from layer to layer; with fewer examples or room than threads, slices of cap padded on all
 * threads, then convolved; below the parallel grain, on the caller. The same bits as ae_patch_pad then
 * ae_patch_conv, for any thread count. */
void ae_patch_pad_conv(const ae_patches *g, const float *img, float *pad, int cap, const float *packed, int N, float *out, int n,
                       const ae_epilogue *ep);

/* The weight and bias gradients of one slice: dW (M, K) += A^T P with A (n·gh·gw, M), each dW value summed
 * over P's rows in order (so consecutive slices sum as one batch); pad must carry the slack. In the same
 * parallel loop, db (c) += the column sums of dz (rows, c), rows in order. */
void ae_patch_grads(const ae_patches *g, const float *pad, const float *A, int M, float *dW, int n, const float *dz, int rows,
                    int c, float *db);

/* img (n, h, w, c) = init + Σ of col's values at the (position, tap) pairs meeting each pixel, col being
 * (n·gh·gw, k·k·c) laid out as P; summed per pixel in a fixed order (ky, then kx, ascending): a gather, so
 * pixels are independent and run on all threads. ep as for ae_patch_conv, with out = img (n·h·w, c). */
void ae_col2im(const ae_patches *g, const float *col, float *img, int n, const ae_epilogue *ep);

/* Examples per slice for a layer whose per-example buffers take per_example floats: as many as keep a
 * slice's near AE_PATCH_BUDGET floats (written and read back while in cache), at least 1, at most B. It
 * depends only on the shapes and B, never on the thread count. */
#define AE_PATCH_BUDGET (1 << 18)
int ae_patch_slice(uint64_t per_example, int B);

/* The spec tokens of both kinds, <prefix><C>k<K>[s<S>][v] ("conv16k3", "convt32k3s2", "conv16k3v"): 1 and
 * out->units, kernel, stride, valid set if tok starts with prefix and the rest is well formed; AE_ERR_ARG
 * (message) if it starts with prefix but is malformed; 0 if it does not start with prefix. print writes the
 * token back (stride 1 and 'same' left out). */
int ae_patch_token_parse(const char *tok, size_t len, const char *prefix, ae_layer *out);
int ae_patch_token_print(const ae_layer *l, const char *prefix, char *buf, size_t cap);
#endif
