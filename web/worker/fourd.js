// The lecture's linear-vs-non-linear example as it states it: points in 4 dimensions that lie on a 2-D
// surface, squeezed through a 2-number code. On a flat plane a linear 4-2-4 autoencoder reconstructs them
// exactly (the plane is their PCA subspace); on a curved surface it cannot, since all it can do is project
// onto a plane; a non-linear 4-32-2-32-4 one does well on both. Small models, trained between chunks of the
// main run.
import { post, alone } from './core.js';

const N = 1000;
const MODELS = {
  linear: { sizes: '4-2-4', hidden: 'linear', code: 'linear', output: 'linear', loss: 'mse' },
  nonlinear: { sizes: '4-32-2-32-4', hidden: 'tanh', code: 'linear', output: 'linear', loss: 'mse' },
};

/** A fixed rotation of R^4 (Gram-Schmidt on fixed rows), so no axis of the data is special. */
function rotation() {
  const rows = [[0.9, 0.3, -0.2, 0.4], [0.1, -0.8, 0.5, 0.3], [0.4, 0.2, 0.7, -0.6], [-0.3, 0.5, 0.4, 0.7]], q = [];
  for (const r of rows) {
    let v = r.slice();
    for (const b of q) {
      const d = v.reduce((s, x, i) => s + x * b[i], 0);
      v = v.map((x, i) => x - d * b[i]);
    }
    const n = Math.hypot(...v);
    q.push(v.map((x) => x / n));
  }
  return q;
}

/** N points (u, v) uniform in [-1, 1]², placed in 4-D: on the plane (u, v, 0, 0) or on the curved surface
 * (u, v, 1.2(u² − 1/3), 1.2uv), rotated, then scaled into about [0, 1]. Returns x (N, 4) and u (N) for colour. */
export function points(kind, seed = 12345) {
  const q = rotation(), x = new Float32Array(4 * N), us = new Float32Array(N);
  let r = seed;
  const rnd = () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < N; i++) {
    const u = 2 * rnd() - 1, v = 2 * rnd() - 1;
    us[i] = u;
    const p = kind === 'plane' ? [u, v, 0, 0] : [u, v, 1.2 * (u * u - 1 / 3), 1.2 * u * v];
    for (let j = 0; j < 4; j++) x[4 * i + j] = 0.5 + 0.35 * (q[0][j] * p[0] + q[1][j] * p[1] + q[2][j] * p[2] + q[3][j] * p[3]);
  }
  return { x, u: us };
}

/** The mean of x (N, 4) per coordinate, and its variance per coordinate averaged over the four (the
 * reference the reconstruction MSE, also per coordinate, is a share of). */
export function meanVariance(x) {
  const n = x.length / 4, mean = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) mean[j] += x[4 * i + j] / n;
  let v = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) v += (x[4 * i + j] - mean[j]) ** 2 / (4 * n);
  return { mean, variance: v };
}

/** x (N, 4) seen from the side: along the surface's u direction and the direction it bends in (u², the
 * rotation's third row), in which the plane is a straight line and the surface a parabola. (Its principal
 * directions would not do: u and v have the same variance, so the first of them is an arbitrary mix.) */
function sideView(x, mean) {
  const q = rotation(), out = new Float32Array(2 * N);
  for (let i = 0; i < N; i++) {
    for (const [o, d] of [[0, 0], [1, 2]]) {
      let s = 0;
      for (let j = 0; j < 4; j++) s += (x[4 * i + j] - mean[j]) * q[d][j];
      out[2 * i + o] = s;
    }
  }
  return out;
}

export const handlers = {
  fourd(msg, w) {
    try {
      train4(msg, w);
    } catch (e) {
      post({ type: 'fourd-error', message: alone(e.message) }); // its own panel's, never the main run's
    }
  },
};

/** Both models on both sets; the result as one 'fourd' message. */
function train4(msg, w) {
  const { ae } = w;
  const steps = msg.steps ?? 3000;
  const result = { type: 'fourd', steps };
  for (const kind of ['plane', 'surface']) {
    const { x, u } = points(kind);
    const { mean, variance } = meanVariance(x);
    const data = ae.floatDataset(x, N, 1, 4);
    const r = { u, data: sideView(x, mean), variance };
    try {
      for (const [name, spec] of Object.entries(MODELS)) {
        const m = ae.model({ ...spec, maxBatch: N, seed: 7 });
        let t;
        try {
          m.initOutputBias(data);
          t = ae.trainer(m, data, { batch: 100, optimizer: 'adam', lr: 0.01, seed: 7 });
          t.run(steps);
          const y = m.forward(x, N);
          let e = 0;
          for (let i = 0; i < 4 * N; i++) e += (y[i] - x[i]) ** 2;
          r[name] = { mse: e / (4 * N), unexplained: e / (4 * N) / variance, recon: sideView(y, mean), code: m.encode(x, N) };
        } finally {
          t?.destroy();
          m.destroy();
        }
      }
    } finally {
      data.destroy();
    }
    result[kind] = r;
  }
  post(result);
}
