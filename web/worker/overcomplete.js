// Undercomplete against overcomplete: four autoencoders of the data's size (web/copying.js: an undercomplete
// one with a 32-number code, and three overcomplete ones, plain, sparse and denoising, each with 1000/784
// hidden units per pixel), all linear with squared error, trained one after another on the training set,
// then scored on noise (each pixel from a random training image: the data's pixel statistics, no shape) and
// on test images. The plain overcomplete one learns to copy and rebuilds the noise; the others do not.
// Independent of the main model; trained in turns so that the Worker keeps answering.
import { post, alone } from './core.js';
import { models, overWidth, noiseImages, meanImage, mse, copies, interpret } from '../copying.js';

const STEPS = 1000; // training steps of each model unless the page asks otherwise (scripts/overcomplete.mjs: 1,565)
const BATCH = 32;
const N_EVAL = 500; // noise images and test images scored
const N_SRC = 2000; // training images the noise's pixels are drawn from
const N_SHOW = 4; // of each shown
const MAX_DIM = 1024; // larger images: the overcomplete models would take too long here (cost grows as pixels²)

/** oc: the run; ocGen: its generation, kept outside it so that a pending turn of an earlier run stops. */
export function state() {
  return { oc: null, ocGen: 0 };
}

function destroy(w) {
  const r = w.oc;
  if (!r) return;
  for (const h of [r.job, r.model]) h?.destroy();
  r.job = r.model = null;
}

export function releaseData(w) {
  if (w.oc) post({ type: 'overcomplete-reset' }); // its numbers were for the old data
  w.ocGen++;
  destroy(w);
  w.oc = null;
}

/** The shown and scored rows of one model, or of the inputs themselves (y = null). */
function row(r, y, def) {
  const { dim, noise, digits, nEval, nShow } = r;
  const noiseY = y ? y(noise) : noise, digitsY = y ? y(digits) : digits;
  return { ...def, noise: y ? mse(noiseY, noise) : 0, digits: y ? mse(digitsY, digits) : 0,
    showNoise: noiseY.slice(0, nShow * dim), showDigits: digitsY.slice(0, nShow * dim), nEval };
}

/** The next model's model and trainer. */
function begin(w, r) {
  const d = r.defs[r.i];
  r.model = w.ae.model({ sizes: d.sizes, maxBatch: Math.max(BATCH, r.nEval), seed: 1 }); // trains in batches, scores all at once
  r.model.initOutputBias(w.trainBase);
  r.job = w.ae.trainer(r.model, w.trainBase, { batch: BATCH, optimizer: 'adam', lr: 0.001, seed: 1, ...d.train });
  r.step = 0;
}

/** Score the model just trained, let it go and send what is known so far. */
function finish(w, r) {
  const d = r.defs[r.i], m = r.model;
  r.rows.push(row(r, (x) => m.forward(x, r.nEval), { key: d.key, name: d.name, spec: m.spec, train: d.train }));
  destroy(w);
  r.i++;
  const done = r.i === r.defs.length;
  const err = Object.fromEntries(r.rows.slice(1).map((x) => [x.key, { noise: x.noise, digits: x.digits }]));
  post({ type: 'overcomplete', rows: r.rows, steps: r.steps, done, size: [w.trainBase.rows, w.trainBase.cols],
    ...(done ? { copies: copies(err), text: interpret(err, r.ref) } : {}), next: done ? null : r.defs[r.i].name });
}

function turn(w, gen) {
  const r = w.oc;
  if (!r || w.ocGen !== gen) return;
  try {
    const t0 = performance.now();
    while (r.i < r.defs.length && performance.now() - t0 < 150) {
      if (!r.job) begin(w, r);
      r.step += r.job.run(Math.min(8, r.steps - r.step)).steps;
      if (r.step >= r.steps) finish(w, r);
    }
  } catch (e) {
    post({ type: 'overcomplete-error', message: alone(e.message) });
    destroy(w);
    w.oc = null;
    return;
  }
  if (r.i < r.defs.length) {
    post({ type: 'overcomplete-step', model: r.defs[r.i].name, index: r.i, step: r.step, steps: r.steps });
    setTimeout(() => turn(w, gen), 0);
  }
}

export const handlers = {
  /** msg.steps: training steps of each model (STEPS; 100 to 5,000). Errors go to the panel, never to the main run. */
  overcomplete(msg, w) {
    const gen = ++w.ocGen;
    destroy(w);
    w.oc = null;
    const { trainBase: train, testBase: test } = w;
    const steps = Number.isInteger(msg.steps) && msg.steps >= 100 && msg.steps <= 5000 ? msg.steps : STEPS;
    if (train.dim > MAX_DIM) {
      post({ type: 'overcomplete-error', message: `Images of ${train.rows}×${train.cols} = ${train.dim.toLocaleString('en')} pixels would need overcomplete models of `
        + `${overWidth(train.dim).toLocaleString('en')} hidden units, too slow to train here: this panel takes images of at most ${MAX_DIM.toLocaleString('en')} pixels (32×32).` });
      return;
    }
    const dim = train.dim, nSrc = Math.min(N_SRC, train.n), nEval = Math.min(N_EVAL, test.n);
    try {
      const src = train.batch(0, nSrc);
      const noise = noiseImages(src, nSrc, dim, nEval, 1);
      const mean = meanImage(src, nSrc, dim);
      const r = { dim, nEval, nShow: Math.min(N_SHOW, nEval), steps, noise, digits: test.batch(0, nEval), defs: models(dim), i: 0, step: 0, rows: [], job: null, model: null };
      r.ref = mse(Float32Array.from({ length: nEval * dim }, (_, k) => mean[k % dim]), noise);
      r.rows.push(row(r, null, { key: 'input', name: 'input', spec: '' }));
      w.oc = r;
    } catch (e) {
      post({ type: 'overcomplete-error', message: alone(e.message) });
      return;
    }
    setTimeout(() => turn(w, gen), 0);
  },
};
