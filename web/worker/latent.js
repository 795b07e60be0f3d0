// The latent map: the codes of the first N_LATENT test images, as they are for a 2-unit code, else their
// projection on the codes' two principal components; and decoding a point of that plane.
import { post } from './core.js';

const N_LATENT = 2000;
const EVERY = 5; // a projection with every EVERY-th 'images' while training (it encodes N_LATENT images)
// ... and while training at most this share of the Worker's time: a conv model's wide code (keras.io's is
// 32×7×7 = 1,568) costs about a second to encode and project, which every 2 s would halve training
const SHARE = 0.1;

export const state = () => ({
  latent: null, // { mean, v1, v2, dims } of the last projection, for decoding clicked points
  latentTicks: 0,
  latentAt: 0, // when the last projection finished (performance.now()) and how long it took
  latentMs: 0,
});

/** Top principal direction of the rows of X (n, d) (power iteration on X^T X), orthogonal to `not`,
 * starting from `from` when given (the last projection's: a few iterations then suffice, and the axes
 * keep their signs, so the map does not flip as the model trains). */
function principal(X, n, d, not, from) {
  let v = from && from.length === d ? Float64Array.from(from) : Float64Array.from({ length: d }, (_, i) => Math.sin(i + 1));
  for (let it = 0; it < 50; it++) {
    const u = new Float64Array(d);
    for (let r = 0; r < n; r++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += X[r * d + j] * v[j];
      for (let j = 0; j < d; j++) u[j] += dot * X[r * d + j];
    }
    if (not) { let p = 0; for (let j = 0; j < d; j++) p += u[j] * not[j]; for (let j = 0; j < d; j++) u[j] -= p * not[j]; }
    let ss = 0; // a plain loop: spreading a code of 10^5 values into Math.hypot overflows the call stack
    for (let i = 0; i < u.length; i++) ss += u[i] * u[i];
    const norm = Math.sqrt(ss) || 1;
    let moved = 0;
    for (let j = 0; j < d; j++) moved = Math.max(moved, Math.abs(u[j] / norm - v[j]));
    v = u.map((x) => x / norm);
    if (moved < 1e-7) break;
  }
  return v;
}

function sendLatent(w) {
  const { model, test } = w;
  if (!model || model.code === 0) return;
  const t0 = performance.now();
  const n = Math.min(N_LATENT, test.n);
  const d = model.codeSize;
  const codes = model.encode(test.batch(0, n), n);
  const points = new Float32Array(2 * n);
  const mean = new Float64Array(d);
  let v1 = null;
  let v2 = null;
  if (d === 2) points.set(codes);
  else {
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += codes[r * d + j] / n;
    const X = new Float64Array(n * d);
    for (let i = 0; i < n * d; i++) X[i] = codes[i] - mean[i % d];
    const last = w.latent?.dims === d ? w.latent : null;
    v1 = principal(X, n, d, null, last?.v1);
    v2 = principal(X, n, d, v1, last?.v2);
    for (let r = 0; r < n; r++) {
      let a = 0, b = 0;
      for (let j = 0; j < d; j++) { a += X[r * d + j] * v1[j]; b += X[r * d + j] * v2[j]; }
      points[2 * r] = a;
      points[2 * r + 1] = b;
    }
  }
  w.latent = { mean, v1, v2, dims: d };
  post({ type: 'latent', points, labels: test.nClasses ? test.labels(0, n) : null, dims: d });
  w.latentAt = performance.now();
  w.latentMs = w.latentAt - t0;
}

/** Where codes (n, d) land in the latent plot's plane: the code itself for d = 2, else its PCA coordinates;
 * null before the first projection. */
export function project(w, codes, n) {
  const { latent } = w;
  const out = new Float32Array(2 * n);
  if (!latent) return null;
  const d = latent.dims;
  if (d === 2) return out.set(codes.subarray(0, 2 * n)), out;
  for (let r = 0; r < n; r++)
    for (let j = 0; j < d; j++) {
      const c = codes[r * d + j] - latent.mean[j];
      out[2 * r] += c * latent.v1[j];
      out[2 * r + 1] += c * latent.v2[j];
    }
  return out;
}

export function onData(w) {
  w.latent = null;
}
export const onRedraw = onData;

export function onImages(w, force) {
  if (force || (++w.latentTicks % EVERY === 0 && performance.now() - w.latentAt >= w.latentMs / SHARE)) sendLatent(w);
}

export const handlers = {
  /** Decode a point of the latent plot: the code itself for a 2-unit code, else mean + x v1 + y v2. */
  decodePoint(msg, w) {
    const { model, latent } = w;
    if (!model || !latent) return;
    const code = new Float32Array(latent.dims);
    if (latent.dims === 2) code.set([msg.x, msg.y]);
    else for (let j = 0; j < latent.dims; j++) code[j] = latent.mean[j] + msg.x * latent.v1[j] + msg.y * latent.v2[j];
    post({ type: 'decoded', image: model.decode(code, 1), x: msg.x, y: msg.y });
  },
};
