// The pretraining walkthrough (the lecture's "Autoencoders as an initialization method for MLP"): one
// classifier architecture trained three ways on the same few labels, each a "pretrain" job of the engine
// (src/jobs/pretrain.c) from the same random weights: greedy layer-wise pretraining (a shallow autoencoder
// per hidden layer, each on the codes of the one below), the random-init baseline, and end-to-end
// pretraining of the deep autoencoder. The walkthrough's steps are those jobs' phases in the lecture's
// order; the baseline trains beside the greedy run's two supervised steps with the same number of batches,
// so their accuracies compare at equal budgets. After every turn the Worker sends what the page draws.
import { post, alone } from './core.js';

const TURN_MS = 80; // work per turn before the Worker looks at its messages again
const N_TEST = 2000; // test images the walkthrough evaluates (all 10,000 would triple its time)
const N_SHOW = 8; // test digits shown above their reconstructions

/** The two settings the lecture contrasts. Plain SGD with sigmoid units is what the 2006-2010 papers had;
 * its rates are those of `aelab pretrain --historical` (the autoencoders' loss is a mean over pixels, so
 * their rate is ten times the classifier's). */
export const SETTINGS = {
  modern: { hidden: 'relu', optimizer: 'adam', lr: 0.001 },
  historical: { hidden: 'sigmoid', optimizer: 'sgd', lr: 0.5, preLr: 5, momentum: 0 },
};
/** Labelled images: 100 per class, or all of them (fewer supervised epochs then: each has 469 batches). */
export const LABELS = {
  few: { labelsPerClass: 100, topEpochs: 30, fineEpochs: 50 },
  all: { labelsPerClass: 0, topEpochs: 1, fineEpochs: 2 },
};

export function state() {
  return { pt: null };
}

/** The walkthrough's steps: [recipe, phase, the recipe that trains beside it and its phase]. */
function plan(k) {
  const steps = [];
  for (let i = 0; i < k; i++) steps.push(['greedy', i]);
  steps.push(['greedy', k, 'none', 0], ['greedy', k + 1, 'none', 1]);
  steps.push(['e2e', 0], ['e2e', 1], ['e2e', 2]);
  return steps;
}

function destroy(w) {
  const pt = w.pt;
  if (!pt) return;
  for (const r of Object.values(pt.runs)) {
    r.job.destroy();
    r.model.destroy();
  }
  pt.test.destroy();
  w.pt = null;
}

/** A labelled dataset of the first n test items (floats), so that evaluating each epoch stays quick. */
function testSubset(w, n) {
  const { ae, test } = w;
  const x = test.batch(0, n), lab = test.labels(0, n);
  const idx = new Uint8Array(8 + n);
  new DataView(idx.buffer).setUint32(0, 0x801);
  new DataView(idx.buffer).setUint32(4, n);
  idx.set(lab, 8);
  return ae.floatDataset(x, n, test.rows, test.cols, idx);
}

function setup(w, msg) {
  destroy(w);
  const { ae, train } = w;
  if (!train.nClasses) throw new Error('the walkthrough trains a classifier: it needs labelled images (MNIST, or your own with labels)');
  if (!w.test || !w.test.nClasses) throw new Error('the walkthrough measures test accuracy: it needs a labelled test set');
  const setting = SETTINGS[msg.setting] ? msg.setting : 'modern', labels = LABELS[msg.labels] ? msg.labels : 'few';
  const sizes = `${train.dim}-${msg.hidden ?? '256-128'}-${Math.max(train.nClasses, w.test.nClasses)}`;
  const s = SETTINGS[setting];
  const cfg = { ...LABELS[labels], optimizer: s.optimizer, lr: s.lr, preLr: s.preLr, momentum: s.momentum, preEpochs: msg.preEpochs ?? 1, batch: 128,
                seed: msg.seed ?? 1 };
  if (msg.topEpochs) cfg.topEpochs = msg.topEpochs;
  if (msg.fineEpochs) cfg.fineEpochs = msg.fineEpochs;
  const test = testSubset(w, Math.min(N_TEST, w.test.n));
  const runs = {};
  try {
    for (const recipe of ['greedy', 'none', 'e2e']) {
      // the same seed: every recipe starts from the same random weights
      const model = ae.model({ sizes, hidden: s.hidden, output: 'softmax', seed: cfg.seed, maxBatch: 256 });
      let job;
      try {
        job = ae.job('pretrain', model, train, { ...cfg, recipe, test });
      } catch (e) {
        model.destroy();
        throw e;
      }
      runs[recipe] = { model, job, state: job.run(0), curve: [], supSteps: 0, acc: {}, grads: null, encoder: null };
    }
  } catch (e) {
    for (const r of Object.values(runs)) { r.job.destroy(); r.model.destroy(); }
    test.destroy();
    throw e;
  }
  const k = runs.greedy.model.nLayers - 1;
  w.pt = { runs, test, steps: plan(k), at: 0, running: false, stopAfter: -1, setting, labels, sizes, cfg, frozen: null, showX: test.batch(0, N_SHOW) };
  w.pt.names = w.pt.steps.map(([r, p]) => runs[r].job.phaseName(p));
}

/** The encoder's weights as they are now (layers below the top), to show that a frozen encoder stays put. */
const encoder = (model) => Array.from({ length: model.nLayers - 1 }, (_, l) => model.weights(l));
const same = (a, b) => a.length === b.length && a.every((x, i) => x.length === b[i].length && x.every((v, j) => Object.is(v, b[i][j])));

/** The first supervised phase of a recipe on a classifier of k hidden layers. */
const topPhase = (recipe, k) => (recipe === 'greedy' ? k : recipe === 'e2e' ? 1 : 0);

/** Train the current step's jobs for about TURN_MS, in lockstep; returns true while steps remain. */
function turn(w) {
  const pt = w.pt;
  const [recipe, phase, beside, bphase] = pt.steps[pt.at];
  const main = pt.runs[recipe], side = beside ? pt.runs[beside] : null;
  const k = main.model.nLayers - 1;
  const topStep = recipe === 'greedy' && phase === k;
  if (topStep && !pt.frozen) pt.frozen = { before: encoder(main.model), moved: false }; // the encoder must not move now
  // the step is over once its phase is, and the run beside it has finished its own (as many batches)
  const over = () => (main.state.done || main.state.phase !== phase) && !(side && !side.state.done && side.state.phase === bphase);
  const t0 = performance.now();
  let n = 1;
  while (!over() && performance.now() - t0 < TURN_MS) {
    for (const [r, rec, ph] of side ? [[main, recipe, phase], [side, beside, bphase]] : [[main, recipe, phase]]) {
      if (r.state.done || r.state.phase !== ph) continue;
      r.state = r.job.run(n);
      record(r, r.state);
      if (ph >= topPhase(rec, k)) r.grads = Array.from(r.model.gradNorms()); // the last supervised batch's
    }
    n = Math.min(64, n * 2);
  }
  if (topStep) pt.frozen.moved = !same(pt.frozen.before, encoder(main.model));
  if (over()) {
    pt.at++;
    if (pt.stopAfter >= 0 && pt.at > pt.stopAfter) pt.running = false;
  }
  return pt.at < pt.steps.length;
}

function record(r, s) {
  for (const e of s.epochEnds) {
    if (Number.isNaN(e.testAcc)) continue; // a pretraining epoch: a reconstruction loss, not an accuracy
    r.curve.push([r.curve.length + 1, e.testAcc, e.trainAcc]);
    r.acc[e.phase] = { test: e.testAcc, train: e.trainAcc };
  }
}

/** What the page draws: the steps and where the run is, each recipe's accuracies, curves and gradient
 * norms, and the greedy run's live view (reconstructions in pixels, first-layer filters). */
function send(w) {
  const pt = w.pt;
  const [recipe, phase] = pt.steps[Math.min(pt.at, pt.steps.length - 1)];
  const view = pt.runs[recipe];
  let recon = null, filters = null, reconNote = '';
  try {
    recon = view.job.reconstruct(pt.showX, N_SHOW);
  } catch (e) {
    reconNote = alone(e.message);
  }
  try {
    filters = view.job.filtersPng(w.train.rows, w.train.cols, 16, 2);
  } catch {
    filters = view.model.filtersPng(w.train.rows, w.train.cols, 16, 2); // the classifier's own first layer
  }
  const runs = {};
  for (const [name, r] of Object.entries(pt.runs)) {
    runs[name] = { phase: r.state.phase, phases: r.state.phases, epoch: r.state.epoch, epochs: r.state.epochs, done: r.state.done,
                   testLoss: r.state.testLoss, acc: r.acc, curve: r.curve, grads: r.grads, sizes: r.model.sizes };
  }
  post({ type: 'pretrain', steps: pt.steps.map(([r, p], i) => ({ recipe: r, phase: p, name: pt.names[i] })), at: pt.at, running: pt.running,
         setting: pt.setting, labels: pt.labels, sizes: pt.sizes, cfg: pt.cfg, runs, view: { recipe, phase }, showX: pt.showX, recon, reconNote,
         n: N_SHOW, rows: w.train.rows, cols: w.train.cols, filters, frozen: pt.frozen ? { moved: pt.frozen.moved } : null }, filters ? [filters.buffer] : []);
}

function loop(w) {
  const pt = w.pt;
  if (!pt || !pt.running) return;
  let more;
  try {
    more = turn(w);
  } catch (e) {
    pt.running = false;
    post({ type: 'pretrain-error', message: alone(e.message) });
    send(w);
    return;
  }
  if (!more) pt.running = false;
  send(w);
  if (pt.running) setTimeout(() => loop(w), 0);
}

export function onData(w) {
  destroy(w);
  post({ type: 'pretrain-reset' });
}

export const handlers = {
  /** Run from where the walkthrough is (a new one if none, or if its settings changed), to the end, or to
   * the end of the current step with step: true. */
  'pretrain-run'(msg, w) {
    const pt = w.pt;
    if (!pt || pt.setting !== msg.setting || pt.labels !== msg.labels || pt.at >= pt.steps.length || msg.replay) setup(w, msg);
    w.pt.running = true;
    w.pt.stopAfter = msg.step ? w.pt.at : -1;
    send(w);
    setTimeout(() => loop(w), 0);
  },
  'pretrain-pause'(msg, w) {
    if (!w.pt) return;
    w.pt.running = false;
    send(w);
  },
};
