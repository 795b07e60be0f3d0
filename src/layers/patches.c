/* The convolutions' shared arithmetic (src/layers/patches.h). The two kernels are the GEMM's (src/gemm.c)
 * register tiles with the patch matrix read in place from the padded copy instead of from a packed
 * block: a tap row (ky) of a position is one contiguous run of k·c floats there, and a position's next tap
 * row is one padded row (wp·c floats) further on.
 *   conv:  a tile of MR positions × 8 output columns lives in 2·MR vector registers for the whole depth
 *          K = k·k·c; each step broadcasts one patch value per position and multiplies two vectors of the
 *          packed B. With N = 1 (a one-channel output) it runs along the depth instead, four lanes at a time.
 *   grads: a tile of MR depth indices × 8 columns of A (dW^T's tile) lives in registers while the
 *          positions stream past; with M = 1 a tile of up to 32 depth values of one tap row (a row's runs
 *          as even as multiples of 4 allow). For a convolution A is dz, and the tiles at depth 0 also sum
 *          db from the dz vectors they load, instead of another pass over dz. Each thread takes one
 *          contiguous part of the slice's examples through every tile, handing each tile's sums on to the
 *          next part's thread: it reads only its own part of the slice, which it padded, not all of it
 *          once per tile (grads_part).
 * Every value is summed in one fixed order whatever the tile it lands in or the thread that runs it, with
 * IEEE multiplies and adds only (no fused multiply-add): the same bits natively and in wasm with or
 * without SIMD, on any number of threads. Rows of floats are copied and summed by src/vecmath.h's inline
 * row helpers (a one-channel image row is short, and a call per row would cost more than the copy). The
 * accumulators stay in registers in both compilers' code (ROWS_UNROLLED, grads_run's named accumulators;
 * tests/node/kernels.test.mjs checks the wasm build's). */
#include "patches.h"
#include "../vecmath.h"
#include <stdio.h>
#include <string.h>

/* Positions (conv) or depth indices (grads) per tile: 6 natively (12 accumulators, two B vectors and a
 * broadcast fill the 16 SSE registers), 4 in wasm, where V8 spills 6 (as src/gemm.c's tiles). */
#ifdef __wasm__
#define MR 4
#else
#define MR 6
#endif
/* Before a loop over a tile's rows that reads its accumulators: clang (the wasm build) needs it unrolled,
 * with MR as its bound besides the row count, or the accumulators, indexed by a variable there, are kept in
 * memory, and every one of them is stored on every step of the tile's inner loop (the 8- and 16-channel
 * convolutions of W3 ran 19-31% slower in wasm than natively that way). gcc keeps them in registers
 * anyway, and was slower natively with the loop unrolled. */
#ifdef __clang__
#define ROWS_UNROLLED _Pragma("GCC unroll 8")
#else
#define ROWS_UNROLLED
#endif
_Static_assert(MR <= 8, "ROWS_UNROLLED unrolls 8 rows at most");
#define SLACK AE_PATCH_SLACK /* a partial vector of a grads run reads at most 31 floats past a position's tap row */
#define GRAIN_FLOATS 16384 /* at least this much work per thread: below it a parallel loop costs more than it saves */

static size_t grain(size_t work_per_item) { return work_per_item >= GRAIN_FLOATS ? 1 : GRAIN_FLOATS / (work_per_item ? work_per_item : 1); }

/* ---- the padded copy ---- */

static int pad_h(const ae_patches *g) { return (g->gh - 1) * g->s + g->k; }
static int pad_w(const ae_patches *g) { return (g->gw - 1) * g->s + g->k; }

uint64_t ae_patch_padded(const ae_patches *g) { return (uint64_t)pad_h(g) * pad_w(g) * g->c; }

typedef struct {
    const ae_patches *g;
    const float *img;
    float *pad;
} pad_job;

/* padded rows [lo, hi), a row being (example, yp): image row yp − pad_t, shifted right by pad_l, zero
 * around it (and the image's rows and columns that no tap reaches left out) */
NO_LIBCALLS static void pad_rows(void *p, size_t lo, size_t hi) {
    const pad_job *j = p;
    const ae_patches *g = j->g;
    const int hp = pad_h(g), wp = pad_w(g), c = g->c, nx = g->w < wp - g->pad_l ? g->w : wp - g->pad_l;
    for (size_t r = lo; r < hi; r++) {
        const int e = (int)(r / (size_t)hp), y = (int)(r % (size_t)hp) - g->pad_t;
        float *d = j->pad + r * (size_t)wp * c;
        if (y < 0 || y >= g->h) { zero_run(d, wp * c); continue; }
        zero_run(d, g->pad_l * c);
        copy_run(d + g->pad_l * c, j->img + ((size_t)e * g->h + y) * g->w * c, nx * c);
        zero_run(d + (g->pad_l + nx) * c, (wp - g->pad_l - nx) * c);
    }
}

NO_LIBCALLS const float *ae_patch_pad(const ae_patches *g, const float *img, float *pad, int n, int need_slack) {
    const int hp = pad_h(g), wp = pad_w(g);
    if (!need_slack && g->pad_t == 0 && g->pad_l == 0 && hp == g->h && wp == g->w) return img;
    pad_job j = {g, img, pad};
    /* whole examples per thread, ⌈n / T⌉ of them as in ae_parallel_range's split of a batch and the weight
     * gradient's parts (grads_part), so that a thread pads the examples it then reads */
    ae_parallel_range((size_t)n * hp, grain((size_t)wp * g->c), (size_t)hp, pad_rows, &j);
    zero_run(pad + (size_t)n * hp * wp * g->c, SLACK);
    return pad;
}

/* ---- B packed for the conv kernel ---- */

uint64_t ae_patch_pack_floats(int K, int N) { return N == 1 ? (uint64_t)K : (uint64_t)(N + 7) / 8 * 8 * K; }

void ae_patch_pack(const float *src, int sk, int sn, int K, int N, float *packed) {
    if (N == 1) {
        for (int k = 0; k < K; k++) packed[k] = src[(size_t)k * sk];
        return;
    }
    for (int t = 0; t < N; t += 8)
        for (int k = 0; k < K; k++)
            for (int c = 0; c < 8; c++) *packed++ = t + c < N ? src[(size_t)k * sk + (size_t)(t + c) * sn] : 0.0f;
}

/* ---- out = init + P B ---- */

typedef struct {
    const ae_patches *g;
    const float *pad, *b;
    int N, kc;          /* output columns; k·c, one tap row's run */
    size_t img, pitch;  /* floats per padded image, per padded row */
    float *out;
    const ae_epilogue *ep;
    int e0;             /* the example that pad's first image is (the fused path pads a part at a time) */
} conv_job;

/* MR positions a[i] (cnt of them real) × columns [t, t + nt) of out, over the whole depth */
static inline __attribute__((always_inline)) void conv_tile(const conv_job *j, const float *const *a, size_t q, int cnt, int t) {
    const ae_patches *g = j->g;
    const int N = j->N, nt = N - t < 8 ? N - t : 8, kc = j->kc;
    const float *b = j->b + (size_t)t * g->k * kc;
    v4f acc[MR][2], i0 = v4_splat(0.0f), i1 = i0;
    if (j->ep && j->ep->bias && nt == 8) {
        i0 = v4_load(j->ep->bias + t);
        i1 = v4_load(j->ep->bias + t + 4);
    } else if (j->ep && j->ep->bias) {
        float bb[8] = {0};
        memcpy(bb, j->ep->bias + t, (size_t)nt * sizeof *bb);
        i0 = v4_load(bb);
        i1 = v4_load(bb + 4);
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) { acc[i][0] = i0; acc[i][1] = i1; }
    for (int ky = 0; ky < g->k; ky++) {
        const float *r[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) r[i] = a[i] + ky * j->pitch;
        for (int jj = 0; jj < kc; jj++, b += 8) {
            const v4f b0 = v4_load(b), b1 = v4_load(b + 4);
#pragma GCC unroll 8
            for (int i = 0; i < MR; i++) {
                const v4f x = v4_splat(r[i][jj]);
                acc[i][0] += x * b0;
                acc[i][1] += x * b1;
            }
        }
    }
    ROWS_UNROLLED
    for (int i = 0; i < MR && i < cnt; i++) {
        float *o = j->out + (q + i) * N + t;
        if (nt == 8) {
            v4_store(o, acc[i][0]);
            v4_store(o + 4, acc[i][1]);
        } else {
            float tmp[8];
            v4_store(tmp, acc[i][0]);
            v4_store(tmp + 4, acc[i][1]);
            memcpy(o, tmp, (size_t)nt * sizeof *o);
        }
    }
}

/* N = 1: out = init + Σ over tap rows of four-lane partial sums (then lanes (0+1) + (2+3)) and scalar tails */
static inline void conv_dot(const conv_job *j, const float *const *a, size_t q, int cnt) {
    const ae_patches *g = j->g;
    const int kc = j->kc;
    v4f acc[MR];
    float tail[MR];
    for (int i = 0; i < MR; i++) { acc[i] = v4_splat(0.0f); tail[i] = 0.0f; }
    for (int ky = 0; ky < g->k; ky++) {
        const float *r[MR], *w = j->b + (size_t)ky * kc;
        for (int i = 0; i < MR; i++) r[i] = a[i] + ky * j->pitch;
        int jj = 0;
        for (; jj + 4 <= kc; jj += 4) {
            const v4f wv = v4_load(w + jj);
#pragma GCC unroll 8
            for (int i = 0; i < MR; i++) acc[i] += v4_load(r[i] + jj) * wv;
        }
        for (; jj < kc; jj++)
            for (int i = 0; i < MR; i++) tail[i] += r[i][jj] * w[jj];
    }
    const float init = j->ep && j->ep->bias ? j->ep->bias[0] : 0.0f;
    ROWS_UNROLLED
    for (int i = 0; i < MR && i < cnt; i++)
        j->out[q + i] = init + (((acc[i][0] + acc[i][1]) + (acc[i][2] + acc[i][3])) + tail[i]);
}

/* positions [lo, hi) in chunks of 8·MR, the epilogue's post over each chunk's rows while they are in cache */
static void conv_range(void *p, size_t lo, size_t hi) {
    const conv_job *j = p;
    const ae_epilogue *ep = j->ep;
    const ae_patches *g = j->g;
    const int N = j->N;
    /* the next position's (example, gy, gx), stepped along rather than divided out each time */
    const size_t per = (size_t)g->gh * g->gw;
    int e = (int)(lo / per), gy = (int)(lo % per / (size_t)g->gw), gx = (int)(lo % (size_t)g->gw);
    for (size_t p0 = lo; p0 < hi; p0 += 8 * MR) {
        const size_t p1 = p0 + 8 * MR < hi ? p0 + 8 * MR : hi;
        for (size_t q = p0; q < p1; q += MR) {
            const int cnt = p1 - q < MR ? (int)(p1 - q) : MR;
            const float *a[MR];
            for (int i = 0; i < cnt; i++) {
                a[i] = j->pad + (size_t)(e - j->e0) * j->img + (size_t)gy * g->s * j->pitch + (size_t)gx * g->s * g->c;
                if (++gx == g->gw) {
                    gx = 0;
                    if (++gy == g->gh) { gy = 0; e++; }
                }
            }
            for (int i = cnt; i < MR; i++) a[i] = a[0]; /* a short tile repeats its first */
            if (N == 1) conv_dot(j, a, q, cnt);
            else
                for (int t = 0; t < N; t += 8) conv_tile(j, a, q, cnt, t);
        }
        const size_t n = (p1 - p0) * N;
        float *o = j->out + p0 * N;
        if (ep && ep->post == AE_POST_FORWARD) ae_act_forward(ep->act, o, ep->y + p0 * N, n, (int)n);
        else if (ep && ep->post == AE_POST_BACKWARD) ae_act_backward(ep->act, ep->fy + p0 * N, o, o, n);
    }
}

void ae_patch_conv(const ae_patches *g, const float *pad, const float *packed, int N, float *out, int n, const ae_epilogue *ep) {
    const int wp = pad_w(g);
    conv_job j = {g, pad, packed, N, g->k * g->c, (size_t)pad_h(g) * wp * g->c, (size_t)wp * g->c, out, ep, 0};
    ae_parallel_range((size_t)n * g->gh * g->gw, grain((size_t)g->k * j.kc * N), MR, conv_range, &j);
}

typedef struct {
    const float *img;
    float *pad;         /* room for `cap` padded images, a part of it each task's */
    conv_job conv;
    int n, per, part;   /* examples; examples per task; padded images in a task's part of pad */
} pad_conv_job;

/* task i: examples [i·per, (i + 1)·per), padded `part` at a time into the task's own part of the buffer and
 * convolved by the same thread while the copy is in its cache */
NO_LIBCALLS static void pad_conv_task(void *p, int i) {
    const pad_conv_job *j = p;
    const ae_patches *g = j->conv.g;
    const size_t positions = (size_t)g->gh * g->gw;
    const int lo = i * j->per, hi = lo + j->per < j->n ? lo + j->per : j->n;
    for (int e = lo; e < hi; e += j->part) {
        const int e1 = e + j->part < hi ? e + j->part : hi;
        conv_job c = j->conv;
        if (j->pad) {
            const pad_job pj = {g, j->img + (size_t)e * g->h * g->w * g->c, j->pad + (size_t)i * j->part * c.img};
            pad_rows((void *)&pj, 0, (size_t)(e1 - e) * pad_h(g));
            c.pad = pj.pad;
            c.e0 = e;
        }
        conv_range(&c, (size_t)e * positions, (size_t)e1 * positions);
    }
}

void ae_patch_pad_conv(const ae_patches *g, const float *img, float *pad, int cap, const float *packed, int N, float *out, int n,
                       const ae_epilogue *ep) {
    const int hp = pad_h(g), wp = pad_w(g), copy = !(g->pad_t == 0 && g->pad_l == 0 && hp == g->h && wp == g->w);
    const size_t positions = (size_t)g->gh * g->gw, in = (size_t)g->h * g->w * g->c;
    const size_t work = positions * g->k * g->k * g->c * (size_t)N; /* multiply-adds per example */
    const int t = (size_t)n * work < 2 * GRAIN_FLOATS ? 1 : ae_threads(); /* below the grain: on the caller */
    if (t > 1 && (n < t || (copy && cap < t))) { /* too few to share out: a slice's copy, then its positions, on all threads */
        for (int b = 0; b < n; b += cap) {
            const int m = n - b < cap ? n - b : cap;
            ae_epilogue e = ep ? *ep : (ae_epilogue){0};
            if (e.y) e.y += (size_t)b * positions * N;
            if (e.fy) e.fy += (size_t)b * positions * N;
            ae_patch_conv(g, ae_patch_pad(g, img + (size_t)b * in, pad, m, 0), packed, N, out + (size_t)b * positions * N, m, ep ? &e : NULL);
        }
        return;
    }
    const int per = (n + t - 1) / t;
    pad_conv_job j = {img, copy ? pad : NULL,
                      {g, copy ? pad : img, packed, N, g->k * g->c, (size_t)hp * wp * g->c, (size_t)wp * g->c, out, ep, 0},
                      n, per, copy ? cap / t : per};
    ae_parallel_for((n + per - 1) / per, pad_conv_task, &j);
}

/* ---- dW += A^T P, db += Σ dz ---- */

typedef struct {
    const ae_patches *g;
    const float *pad, *A, *dz;
    float *dW, *db;
    int n, M, K, kc, rows, c;
    int mt, kt;         /* tiles: M ≥ 2: kt of MR depth indices × mt of 8 columns; M = 1: kt = k · runs per tap row */
    int run;            /* M = 1: floats per run, at most 32, the runs of a tap row as even as multiples of 4 allow */
    int fold_db;        /* A is dz (a convolution's): db is summed by the tiles at depth 0, in the pass they make anyway */
    size_t img, pitch;
    int parts;          /* contiguous parts of the examples, one per thread, run as a pipeline (each thread then
                         * reads the part of the slice that it padded, rather than all of it); 0: one task per tile */
    int per;            /* examples per part: ⌈n / T⌉, as ae_patch_pad and ae_parallel_range share out examples */
} grads_job;

/* acc += Σ over the positions p of examples [e0, e1), in order, of patch(p)[off[i]] · A[p][m0 ..]: the columns of A loaded as two
 * vectors (full: all 8 there) or through a zero-padded copy (the last, partial tile) */
static inline __attribute__((always_inline)) void grads_positions(const grads_job *j, const size_t *off, int m0, int nm, int e0, int e1,
                                                                  v4f acc[MR][2], v4f db[2], const int full, const int fold) {
    const ae_patches *g = j->g;
    const int M = j->M, gw = g->gw;
    const size_t step = (size_t)g->s * g->c, row = (size_t)g->s * j->pitch;
    const float *d = j->A + (size_t)e0 * g->gh * gw * M + m0;
    for (int e = e0; e < e1; e++)
        for (int gy = 0; gy < g->gh; gy++) {
            const float *a = j->pad + e * j->img + gy * row;
            for (int gx = 0; gx < gw; gx++, a += step, d += M) {
                v4f b0, b1;
                if (full) {
                    b0 = v4_load(d);
                    b1 = v4_load(d + 4);
                } else {
                    float bb[8] = {0};
                    for (int c = 0; c < nm; c++) bb[c] = d[c];
                    b0 = v4_load(bb);
                    b1 = v4_load(bb + 4);
                }
#pragma GCC unroll 8
                for (int i = 0; i < MR; i++) {
                    const v4f x = v4_splat(a[off[i]]);
                    acc[i][0] += x * b0;
                    acc[i][1] += x * b1;
                }
                if (fold) { /* db += this row of dz: add_run's order, row after row */
                    db[0] += b0;
                    db[1] += b1;
                }
            }
        }
}

/* dW^T's tile: depth indices [k0, k0 + MR) × columns [m0, m0 + 8) of A, the positions of examples [e0, e1)
 * added in order to what dW holds */
static void grads_tile(const grads_job *j, int k0, int m0, int e0, int e1) {
    const int M = j->M, K = j->K, nk = K - k0 < MR ? K - k0 : MR, nm = M - m0 < 8 ? M - m0 : 8;
    size_t off[MR]; /* each depth index's place in a position's patch; a short tile repeats its first */
    for (int i = 0; i < MR; i++) {
        const int kk = k0 + (i < nk ? i : 0);
        off[i] = (size_t)(kk / j->kc) * j->pitch + kk % j->kc;
    }
    float t[MR][8] = {{0}};
    for (int i = 0; i < nk; i++)
        for (int c = 0; c < nm; c++) t[i][c] = j->dW[(size_t)(m0 + c) * K + k0 + i];
    v4f acc[MR][2], db[2];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) { acc[i][0] = v4_load(t[i]); acc[i][1] = v4_load(t[i] + 4); }
    const int fold = j->fold_db && k0 == 0;
    float d[8] = {0};
    if (fold) memcpy(d, j->db + m0, (size_t)nm * sizeof *d);
    db[0] = v4_load(d);
    db[1] = v4_load(d + 4);
    if (nm == 8 && fold) grads_positions(j, off, m0, nm, e0, e1, acc, db, 1, 1);
    else if (nm == 8) grads_positions(j, off, m0, nm, e0, e1, acc, db, 1, 0);
    else if (fold) grads_positions(j, off, m0, nm, e0, e1, acc, db, 0, 1);
    else grads_positions(j, off, m0, nm, e0, e1, acc, db, 0, 0);
    for (int i = 0; i < MR; i++) { v4_store(t[i], acc[i][0]); v4_store(t[i] + 4, acc[i][1]); }
    for (int i = 0; i < nk; i++)
        for (int c = 0; c < nm; c++) j->dW[(size_t)(m0 + c) * K + k0 + i] = t[i][c];
    if (fold) {
        v4_store(d, db[0]);
        v4_store(d + 4, db[1]);
        memcpy(j->db + m0, d, (size_t)nm * sizeof *d);
    }
}

/* M = 1: dW[ky·kc + j0 ..] (NV vectors of it; lanes past the run are read from the slack and dropped), over
 * the positions of examples [e0, e1) */
static inline __attribute__((always_inline)) void grads_run(const grads_job *j, int ky, int j0, int nj, int e0, int e1, const int NV) {
    const ae_patches *g = j->g;
    const int fold = j->fold_db && ky == 0 && j0 == 0;
    float t[32] = {0}, db = fold ? j->db[0] : 0.0f;
    float *dw = j->dW + (size_t)ky * j->kc + j0;
    memcpy(t, dw, (size_t)nj * sizeof *t);
    /* eight named accumulators, the unused ones (v ≥ NV) folded away: as an array indexed in loops, clang
     * 14 kept them in memory and stored all of them on every position (W3's last layer's backward pass
     * took 4.4 ms in wasm against 2.7 natively, 3.1 once fixed) */
#define ACC(v) v4f acc##v = v4_load(t + 4 * v);
    ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
    const float *d = j->A + (size_t)e0 * g->gh * g->gw;
    for (int e = e0; e < e1; e++)
        for (int gy = 0; gy < g->gh; gy++) {
            const float *a = j->pad + e * j->img + ((size_t)gy * g->s + ky) * j->pitch + j0;
            for (int gx = 0; gx < g->gw; gx++, a += (size_t)g->s * g->c, d++) {
                const v4f x = v4_splat(*d);
#define ACC(v) if (NV > v) acc##v += v4_load(a + 4 * v) * x;
                ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
                if (fold) db += *d;
            }
        }
    /* lanes past nj were read from the next run or the slack and are dropped: dW there is another run's */
#define ACC(v)                                                                                                                             \
    if (NV > v) {                                                                                                                          \
        const int left = nj - 4 * v;                                                                                                       \
        if (left >= 4) v4_store(dw + 4 * v, acc##v);                                                                                       \
        else {                                                                                                                             \
            if (left > 0) dw[4 * v] = acc##v[0];                                                                                           \
            if (left > 1) dw[4 * v + 1] = acc##v[1];                                                                                       \
            if (left > 2) dw[4 * v + 2] = acc##v[2];                                                                                       \
        }                                                                                                                                  \
    }
    ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
    if (fold) j->db[0] = db;
}

/* tile t of dW over the positions of examples [e0, e1); a function of its own for both ways of running the
 * tiles below (and for tests/node/kernels.test.mjs, which reads its IR) */
static __attribute__((noinline)) void grads_one(const grads_job *j, int t, int e0, int e1) {
    if (j->M > 1) { grads_tile(j, t / j->mt * MR, t % j->mt * 8, e0, e1); return; }
    /* runs numbered run-major (every tap row's first run, then every row's second run, ...). run·(runs − 1)
     * < kc (run ≤ 32 < kc / (runs − 1)), so no run is empty */
    const int ky = t % j->g->k, j0 = t / j->g->k * j->run, nj = j->kc - j0 < j->run ? j->kc - j0 : j->run;
    switch ((nj + 3) / 4) {
    case 1: grads_run(j, ky, j0, nj, e0, e1, 1); break;
    case 2: grads_run(j, ky, j0, nj, e0, e1, 2); break;
    case 3: grads_run(j, ky, j0, nj, e0, e1, 3); break;
    case 4: grads_run(j, ky, j0, nj, e0, e1, 4); break;
    case 5: grads_run(j, ky, j0, nj, e0, e1, 5); break;
    case 6: grads_run(j, ky, j0, nj, e0, e1, 6); break;
    case 7: grads_run(j, ky, j0, nj, e0, e1, 7); break;
    default: grads_run(j, ky, j0, nj, e0, e1, 8); break;
    }
}

/* db: column sums of dz, rows in order */
static void grads_db(const grads_job *j) {
    for (int r = 0; r < j->rows; r++) add_run(j->db, j->dz + (size_t)r * j->c, j->c);
}

/* Tile by tile: task t < tiles is tile t over every example; the task after them db (when not folded). */
static void grads_task(void *p, int task) {
    const grads_job *j = p;
    if (task == j->kt * j->mt) grads_db(j);
    else grads_one(j, task, 0, j->n);
}

/* As a pipeline: part r's examples through tile t (step −1: db). A tile's chain, its values summed over the
 * positions of examples 0, 1, …, n − 1 as on one thread, passes from part to part through dW itself: part r
 * continues tile t once part r − 1 has stored it (ae_parallel_chain), so the parts run a tile apart (on two
 * threads the second waits one tile at the start, the first one tile at the end). */
static void grads_part(void *p, int part, int t) {
    const grads_job *j = p;
    const int e0 = part * j->per, e1 = e0 + j->per < j->n ? e0 + j->per : j->n;
    if (t < 0) grads_db(j);
    else grads_one(j, t, e0, e1);
}

void ae_patch_grads(const ae_patches *g, const float *pad, const float *A, int M, float *dW, int n, const float *dz, int rows,
                    int c, float *db) {
    const int wp = pad_w(g), kc = g->k * g->c, K = g->k * kc, runs = (kc + 31) / 32, T = ae_threads();
    const int fold = A == dz && M == c && (size_t)rows == (size_t)n * g->gh * g->gw;
    grads_job j = {g, pad, A, dz, dW, db, n, M, K, kc, rows, c, M > 1 ? (M + 7) / 8 : 1, M > 1 ? (K + MR - 1) / MR : g->k * runs,
                   ((kc + runs - 1) / runs + 3) / 4 * 4, fold, (size_t)pad_h(g) * wp * g->c, (size_t)wp * g->c, T < n ? T : n, 1};
    /* The pipeline takes tiles + parts − 1 steps of a tile's part; tile by tile, ⌈tiles / T⌉ whole tiles,
     * parts steps each. The pipeline is kept unless it costs more than a quarter more than that: its threads
     * read only their own examples (W3 on 2 threads, all of whose layers keep it: 4-24 tiles, docs/benchmarks.md).
     * On many threads with few tiles the pipeline's start and end would cost more. The same sums either way. */
    const int tiles = j.kt * j.mt;
    if (j.parts > 1) {
        j.per = (n + j.parts - 1) / j.parts;
        j.parts = (n + j.per - 1) / j.per; /* none empty (5 on 4 threads: 2, 2, 1) */
    }
    if (j.parts <= 1 || 4L * (tiles + j.parts - 1) > 5L * j.parts * ((tiles + T - 1) / T)) j.parts = 0; /* one example: tiles */
    if (j.parts) ae_parallel_chain(j.parts, tiles, !fold, grads_part, &j);
    else ae_parallel_for(tiles + !fold, grads_task, &j);
}

/* ---- col2im ---- */

typedef struct {
    const ae_patches *g;
    const float *col;
    float *img;
    const ae_epilogue *ep;
} col2im_job;

/* image rows [lo, hi), an image row being (example, y): w pixels, each gathered from the col rows of the
 * positions whose taps meet it: ky ≡ y + pad_t (mod s) with gy = (y + pad_t − ky) / s in [0, gh), the same
 * for kx */
NO_LIBCALLS static void col2im_rows(void *p, size_t lo, size_t hi) {
    const col2im_job *j = p;
    const ae_patches *g = j->g;
    const ae_epilogue *ep = j->ep;
    const int c = g->c, s = g->s, row = g->k * g->k * c, wc = g->w * c;
    for (size_t r = lo; r < hi; r++) {
        const int e = (int)(r / (size_t)g->h), y = (int)(r % (size_t)g->h), ty = y + g->pad_t;
        const float *cols = j->col + (size_t)e * g->gh * g->gw * row;
        float *out = j->img + r * (size_t)wc;
        for (int x = 0; x < g->w; x++) {
            float *o = out + (size_t)x * c;
            if (ep && ep->bias) copy_run(o, ep->bias, c);
            else zero_run(o, c);
            const int tx = x + g->pad_l;
            for (int ky = ty % s; ky < g->k && ky <= ty; ky += s) {
                const int gy = (ty - ky) / s;
                if (gy >= g->gh) continue;
                for (int kx = tx % s; kx < g->k && kx <= tx; kx += s) {
                    const int gx = (tx - kx) / s;
                    if (gx < g->gw) add_run(o, cols + ((size_t)gy * g->gw + gx) * row + (ky * g->k + kx) * c, c);
                }
            }
        }
        if (ep && ep->post == AE_POST_FORWARD) ae_act_forward(ep->act, out, ep->y + r * (size_t)wc, (size_t)wc, wc);
        else if (ep && ep->post == AE_POST_BACKWARD) ae_act_backward(ep->act, ep->fy + r * (size_t)wc, out, out, (size_t)wc);
    }
}

void ae_col2im(const ae_patches *g, const float *col, float *img, int n, const ae_epilogue *ep) {
    col2im_job j = {g, col, img, ep};
    /* about k²/s² runs of c summed per pixel */
    const size_t per_row = (size_t)g->w * g->c * ((size_t)g->k * g->k / ((size_t)g->s * g->s) + 1);
    ae_parallel_range((size_t)n * g->h, grain(per_row), 1, col2im_rows, &j);
}


int ae_patch_slice(uint64_t per_example, int B) {
    uint64_t n = per_example ? AE_PATCH_BUDGET / per_example : (uint64_t)B;
    return n < 1 ? 1 : n > (uint64_t)B ? B : (int)n;
}

/* ---- the spec tokens ---- */

/* A whole number 1..AE_MAX_WIDTH at tok[*i..): advances *i past its digits; -1 if there is none or it is out
 * of range. */
static long token_number(const char *tok, size_t len, size_t *i) {
    long v = 0;
    size_t start = *i;
    for (; *i < len && tok[*i] >= '0' && tok[*i] <= '9'; (*i)++)
        if (v <= AE_MAX_WIDTH) v = v * 10 + (tok[*i] - '0');
    return *i > start && v >= 1 && v <= AE_MAX_WIDTH ? v : -1;
}

int ae_patch_token_parse(const char *tok, size_t len, const char *prefix, ae_layer *out) {
    const size_t p = strlen(prefix);
    if (len < p || memcmp(tok, prefix, p)) return 0;
    size_t i = p;
    long c = token_number(tok, len, &i), k = -1, s = 1;
    int valid = 0;
    if (c > 0 && i < len && tok[i] == 'k') {
        i++;
        k = token_number(tok, len, &i);
    }
    if (k > 0 && i < len && tok[i] == 's') {
        i++;
        s = token_number(tok, len, &i);
    }
    if (k > 0 && s > 0 && i < len && tok[i] == 'v') {
        i++;
        valid = 1;
    }
    if (c < 1 || k < 1 || s < 1 || i != len)
        return ae_fail(AE_ERR_ARG, "'%.*s': a %s layer is %s<filters>k<kernel>[s<stride>][v], each number 1 to %d, like %s16k3, %s8k3s2 or "
                       "%s16k3v ('valid' padding)", (int)(len < 40 ? len : 40), tok, prefix, prefix, AE_MAX_WIDTH, prefix, prefix, prefix);
    out->units = (int)c;
    out->kernel = (int)k;
    out->stride = (int)s;
    out->valid = valid;
    return 1;
}

int ae_patch_token_print(const ae_layer *l, const char *prefix, char *buf, size_t cap) {
    char st[16] = "";
    if (l->stride != 1) snprintf(st, sizeof st, "s%d", l->stride);
    return snprintf(buf, cap, "%s%dk%d%s%s", prefix, l->units, l->kernel, st, l->valid ? "v" : "");
}
