// Linear against non-linear: both trained on points along a curve in the plane, squeezed through a 1-unit
// code. The linear one (2-1-2, identity activations, squared error) can only reconstruct onto a line, and
// that line is the data's first principal component; the non-linear one (2-32-1-32-2, tanh) follows the
// curve. Small, so it trains in a moment between chunks of the main run.
import { post } from './core.js';

export const handlers = {
  curve(msg, w) {
    const { ae } = w;
    const n = 1000, steps = msg.steps ?? 3000;
    // a deterministic arc (three quarters of an ellipse) in the unit square, with a little jitter: x (n, 2)
    const x = new Float32Array(2 * n);
    let r = 12345;
    const rnd = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.03;
    for (let i = 0; i < n; i++) {
      const t = (i / (n - 1)) * 1.5 * Math.PI - 0.25 * Math.PI;
      x[2 * i] = 0.5 + 0.42 * Math.cos(t) + rnd();
      x[2 * i + 1] = 0.5 + 0.3 * Math.sin(t) + rnd();
    }
    const data = ae.floatDataset(x, n, 1, 2);
    const fit = (spec, lr) => {
      const m = ae.model({ ...spec, maxBatch: n, seed: 7 });
      m.initOutputBias(data);
      const t = ae.trainer(m, data, { batch: 100, optimizer: 'adam', lr, seed: 7 });
      try {
        t.run(steps);
        const y = m.forward(x, n);
        let e = 0;
        for (let i = 0; i < 2 * n; i++) e += (y[i] - x[i]) ** 2;
        return { y, mse: e / (2 * n), w: m.weights(m.nLayers - 1) };
      } finally {
        t.destroy();
        m.destroy();
      }
    };
    try {
      const lin = fit({ sizes: '2-1-2', hidden: 'linear', code: 'linear', output: 'linear', loss: 'mse' }, 0.01);
      const non = fit({ sizes: '2-32-1-32-2', hidden: 'tanh', code: 'linear', output: 'linear', loss: 'mse' }, 0.01);
      // first principal direction of the points, and its angle to the linear decoder's column (2×1)
      let mx = 0, my = 0;
      for (let i = 0; i < n; i++) { mx += x[2 * i] / n; my += x[2 * i + 1] / n; }
      let sxx = 0, sxy = 0, syy = 0;
      for (let i = 0; i < n; i++) {
        const a = x[2 * i] - mx, b = x[2 * i + 1] - my;
        sxx += a * a; sxy += a * b; syy += b * b;
      }
      const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy); // the major axis of the covariance
      const pc = [Math.cos(theta), Math.sin(theta)];
      const wn = Math.hypot(lin.w[0], lin.w[1]);
      const angle = (Math.acos(Math.min(1, Math.abs(pc[0] * lin.w[0] + pc[1] * lin.w[1]) / wn)) * 180) / Math.PI;
      post({ type: 'curve', x, linear: lin.y, nonlinear: non.y, linearMse: lin.mse, nonlinearMse: non.mse, angle, mean: [mx, my], pc, steps });
    } finally {
      data.destroy();
    }
  },
};
