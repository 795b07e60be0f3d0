// Infilling: a test image for the page to erase, and the model's fill of the erased pixels.
import { post, testIndex, labelOf } from './core.js';

export const handlers = {
  /** A test image for the infilling panel. */
  digit(msg, w) {
    const i = testIndex(w, msg.index);
    post({ type: 'digit', purpose: msg.purpose, index: i, image: w.test.batch(i, 1), label: labelOf(w, i) });
  },
  /** The image goes through the model with its erased pixels (known = 0) black; the known pixels stay and
   * the erased ones take the reconstruction's values. One pass: feeding the filled image back in again and
   * again drifts (on 50 test digits the error of the fill grows with each round, most of all for denoising
   * models). Errors are over the erased pixels only. */
  infill(msg, w) {
    const { model } = w;
    if (!model) return;
    const x0 = msg.original, known = msg.known, dim = x0.length;
    if (dim !== model.inputSize) throw new Error(`This image has ${dim} pixels; the model takes ${model.inputSize}.`);
    const x = x0.map((v, i) => (known[i] ? v : 0));
    const y = model.forward(x, 1);
    for (let i = 0; i < dim; i++) if (!known[i]) x[i] = y[i];
    let erased = 0, fillErr = 0, blankErr = 0;
    for (let i = 0; i < dim; i++) {
      if (known[i]) continue;
      erased++;
      fillErr += (x[i] - x0[i]) ** 2;
      blankErr += x0[i] ** 2;
    }
    post({ type: 'infilled', filled: x, output: y, erased, fillMse: erased ? fillErr / erased : 0, blankMse: erased ? blankErr / erased : 0 });
  },
};
