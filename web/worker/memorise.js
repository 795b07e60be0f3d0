// Sensitive enough to reconstruct, insensitive enough not to memorise: an autoencoder trained on only a few
// hundred training images, for hundreds of epochs, with its loss on those images and on 1,000 test images
// measured every few epochs. The training loss keeps falling; the test loss bottoms out and turns up as the
// model starts to remember its training images rather than learn digits. Independent of the main model;
// trained in turns so that the Worker keeps answering.
import { post, alone } from './core.js';

const SPEC = '784-256-784'; // the page's data size replaces 784 (any image size works)
const N_TEST = 1000;
const EVERY = 5; // epochs between two points of the curves

/** mem: the run; memGen: its generation, kept outside it so that a pending turn of an earlier run stops. */
export function state() {
  return { mem: null, memGen: 0 };
}

function destroy(w) {
  if (!w.mem) return;
  for (const h of [w.mem.job, w.mem.model, w.mem.train, w.mem.test]) h?.destroy();
  w.mem = null;
}

export function releaseData(w) {
  if (w.mem) post({ type: 'memorise-reset' }); // the panel's Train comes back
  w.memGen++;
  destroy(w);
}

/** A float dataset of the first n items of d (its values as the model reads them). */
const head = (ae, d, n) => ae.floatDataset(d.batch(0, n), n, d.rows, d.cols);

function turn(w, gen) {
  const m = w.mem;
  if (!m || w.memGen !== gen) return;
  try {
    const t0 = performance.now();
    while (m.epoch < m.epochs && performance.now() - t0 < 150) {
      // EVERY epochs in slices of at most 64 batches, so that the Worker answers the page between turns
      const left = m.spe * EVERY - m.stepsInBlock;
      const s = m.job.run(Math.min(64, left));
      m.stepsInBlock += s.steps;
      if (m.stepsInBlock < m.spe * EVERY) continue;
      m.stepsInBlock = 0;
      m.epoch += EVERY;
      const train = m.model.evaluate(m.train).loss, test = m.model.evaluate(m.test).loss;
      m.points.push([m.epoch, train, test]);
    }
    if (!m.points.length) { setTimeout(() => turn(w, gen), 0); return; }
  } catch (e) {
    post({ type: 'memorise-error', message: alone(e.message) });
    destroy(w);
    return;
  }
  const best = m.points.reduce((b, p) => (p[2] < b[2] ? p : b), m.points[0]);
  post({ type: 'memorise', points: m.points, epochs: m.epochs, n: m.n, spec: m.spec, best, done: m.epoch >= m.epochs });
  if (m.epoch < m.epochs) setTimeout(() => turn(w, gen), 0);
}

export const handlers = {
  /** msg.n training images (300; 10 to 1,000: a few hundred is the point, and more would hold the Worker
   * longer), msg.epochs (300; 2·EVERY to 1,000, in steps of EVERY). Errors go to the panel, never to the main run. */
  memorise(msg, w) {
    const { ae } = w;
    const gen = ++w.memGen;
    destroy(w);
    const whole = (v, lo, hi, def) => (Number.isFinite(v) ? Math.max(lo, Math.min(hi, Math.round(v))) : def);
    const n = whole(msg.n, 10, Math.min(1000, w.trainBase.n), Math.min(300, w.trainBase.n)), epochs = EVERY * whole(msg.epochs / EVERY, 2, 1000 / EVERY, 300 / EVERY);
    const spec = SPEC.replaceAll('784', String(w.trainBase.dim));
    const mem = { n, epochs, spec, epoch: 0, points: [], spe: Math.ceil(n / 32), stepsInBlock: 0 };
    w.mem = mem;
    try {
      mem.train = head(ae, w.trainBase, n);
      mem.test = head(ae, w.testBase, Math.min(N_TEST, w.testBase.n));
      mem.model = ae.model({ sizes: spec, maxBatch: 1000, seed: 1 });
      mem.model.initOutputBias(mem.train);
      mem.job = ae.trainer(mem.model, mem.train, { batch: 32, seed: 1, optimizer: 'adam', lr: 0.001 });
    } catch (e) {
      destroy(w);
      post({ type: 'memorise-error', message: alone(e.message) });
      return;
    }
    setTimeout(() => turn(w, gen), 0);
  },
};
