// Blending: the straight path between the codes of two test images, decoded, beside a pixel cross-fade.
import { post, testIndex, labelOf } from './core.js';

const STEPS = 10;

export const handlers = {
  blend(msg, w) {
    const { model, test } = w;
    if (!model) return;
    const a = testIndex(w, msg.a), b = testIndex(w, msg.b);
    const dim = test.dim, d = model.codeSize, S = STEPS;
    const xa = test.batch(a, 1), xb = test.batch(b, 1);
    const ca = model.encode(xa, 1), cb = model.encode(xb, 1);
    const codes = new Float32Array(S * d); // (S, d)
    const fade = new Float32Array(S * dim); // (S, dim)
    for (let s = 0; s < S; s++) {
      const t = s / (S - 1);
      for (let j = 0; j < d; j++) codes[s * d + j] = (1 - t) * ca[j] + t * cb[j];
      for (let j = 0; j < dim; j++) fade[s * dim + j] = (1 - t) * xa[j] + t * xb[j];
    }
    post({ type: 'blend', steps: S, path: model.decode(codes, S), fade, a, b, labelA: labelOf(w, a), labelB: labelOf(w, b) });
  },
};
