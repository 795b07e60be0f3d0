// Feature maps: one test image through the current model, and what every layer makes of it. A tensor whose
// positions form an image (h×w > 1: the input and the outputs of conv, convt, pool, up and reshape layers)
// goes to the page one channel at a time, each as its own h×w plane.
import { post, testIndex, labelOf } from './core.js';

const MAX_CHANNELS = 32; // per layer: more would be tiles too small to tell apart on a phone

/** Channels 0..n-1 of t (h, w, c), channels last, as n planes (n, h, w). */
function planes(t, n) {
  const [c, h, w] = t.shape;
  const out = new Float32Array(n * h * w);
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < n; ch++) out[ch * h * w + p] = t.data[p * c + ch];
  return out;
}

export const handlers = {
  /** Test image msg.index through the model: { maps: [{ layer, kind, shape, n, planes }] }, layer -1 being
   * the input. A model without image-shaped tensors (dense layers only: vectors of c×1×1) sends its input
   * and output drawn at the data's size instead, with dense: true. */
  features(msg, w) {
    const { model, train } = w;
    if (!model) return;
    const index = testIndex(w, msg.index);
    const all = model.layers(w.test.batch(index, 1));
    const kindOf = (k) => (k === 0 ? 'input' : model.kinds[k - 1]);
    let maps = all.flatMap((t, k) => {
      if (t.shape[1] * t.shape[2] <= 1) return [];
      const n = Math.min(t.shape[0], MAX_CHANNELS);
      return [{ layer: k - 1, kind: kindOf(k), shape: t.shape, n, planes: planes(t, n) }];
    });
    const dense = maps.length === 0;
    if (dense) {
      // a flat vector of rows·cols values is the data's image, row by row
      const asImage = (k) => ({ layer: k - 1, kind: kindOf(k), shape: [1, train.rows, train.cols], n: 1, planes: all[k].data.slice() });
      maps = [0, all.length - 1].filter((k) => all[k].data.length === train.rows * train.cols).map(asImage);
    }
    post({ type: 'features', index, label: labelOf(w, index), dense, maps }, maps.map((m) => m.planes.buffer));
  },
};
