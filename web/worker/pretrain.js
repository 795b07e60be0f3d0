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
const VIEWS_MS = 600; // how often the reconstructions and filters are redrawn while it runs

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

/** pt: the walkthrough; ptGen: its loops' generation, kept outside pt so that a new walkthrough's numbers
 * never repeat an old loop's (a loop runs only while its number is the current one). */
export function state() {
  return { pt: null, ptGen: 0 };
}

/** The walkthrough's steps: [recipe, phase, the recipe that trains beside it]. The baseline is one phase
 * as long as the greedy run's two supervised ones; it trains beside them batch for batch, so at the end of
 * each its accuracy is at the same budget. */
function plan(k) {
  const steps = [];
  for (let i = 0; i < k; i++) steps.push(['greedy', i]);
  steps.push(['greedy', k, 'none'], ['greedy', k + 1, 'none']);
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
  const { ae, testBase: test } = w;
  const x = test.batch(0, n), lab = test.labels(0, n);
  const idx = new Uint8Array(8 + n);
  new DataView(idx.buffer).setUint32(0, 0x801);
  new DataView(idx.buffer).setUint32(4, n);
  idx.set(lab, 8);
  return ae.floatDataset(x, n, test.rows, test.cols, idx);
}

function setup(w, msg) {
  destroy(w);
  const { ae, trainBase: train } = w;
  if (!train.nClasses) throw new Error('the walkthrough trains a classifier: it needs labelled images (MNIST, or your own with labels)');
  if (!w.testBase || !w.testBase.nClasses) throw new Error('the walkthrough measures test accuracy: it needs a labelled test set');
  const setting = SETTINGS[msg.setting] ? msg.setting : 'modern', labels = LABELS[msg.labels] ? msg.labels : 'few';
  const sizes = `${train.dim}-${msg.hidden ?? '256-128'}-${Math.max(train.nClasses, w.testBase.nClasses)}`;
  const s = SETTINGS[setting];
  const cfg = { ...LABELS[labels], optimizer: s.optimizer, lr: s.lr, preLr: s.preLr, momentum: s.momentum, preEpochs: msg.preEpochs ?? 1, batch: 128,
                seed: msg.seed ?? 1 };
  if (msg.topEpochs) cfg.topEpochs = msg.topEpochs;
  if (msg.fineEpochs) cfg.fineEpochs = msg.fineEpochs;
  const test = testSubset(w, Math.min(N_TEST, w.testBase.n));
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
        const few = /labels_per_class=(\d+), but class (\d+) has only (\d+) items/.exec(e.message);
        if (few) throw new Error(`the few-labels setting takes ${few[1]} images of each class, but class ${few[2]} has only ${few[3]}: choose Labels: all`);
        throw e;
      }
      // atStep[i]: the test and labelled-set accuracy at the last epoch end during step i; grads[i]: gradient sums
      runs[recipe] = { model, job, state: job.run(0), curve: [], atStep: {}, last: null, grads: {} };
    }
  } catch (e) {
    for (const r of Object.values(runs)) { r.job.destroy(); r.model.destroy(); }
    test.destroy();
    throw e;
  }
  const k = runs.greedy.model.nLayers - 1;
  w.pt = { runs, test, steps: plan(k), at: 0, running: false, stopAfter: -1, setting, labels, sizes, cfg, frozen: null, showX: test.batch(0, N_SHOW),
           viewsAt: 0, begun: false };
  w.pt.names = w.pt.steps.map(([r, p]) => runs[r].job.phaseName(p));
}

/** Every parameter of the encoder (weights and biases of the layers below the top) as it is now, to show
 * that a frozen encoder stays put. */
function encoder(model) {
  const out = [];
  for (let l = 0; l < model.nLayers - 1; l++) for (let t = 0; t < 2; t++) out.push(model.tensor(l, t).data);
  return out;
}
const same = (a, b) => a.length === b.length && a.every((x, i) => x.length === b[i].length && x.every((v, j) => Object.is(v, b[i][j])));

/** The first supervised phase of a recipe on a classifier of k hidden layers. */
const topPhase = (recipe, k) => (recipe === 'greedy' ? k : recipe === 'e2e' ? 1 : 0);

/** Each layer's gradient norm at the last batch of a turn's run, summed per step of the walkthrough: the
 * page shows their means, pretrained and baseline sampled after the same numbers of batches. */
function addGrads(r, at, frozenBelow) {
  const g = Array.from(r.model.gradNorms());
  const acc = (r.grads[at] ??= { sum: g.map(() => 0), n: 0, frozenBelow });
  g.forEach((v, l) => { acc.sum[l] += v; });
  acc.n++;
}

/** Train the current step's jobs for about TURN_MS; the run beside it takes as many batches as it did.
 * Returns true while steps remain. */
function turn(w) {
  const pt = w.pt;
  const [recipe, phase, beside] = pt.steps[pt.at];
  const main = pt.runs[recipe], side = beside ? pt.runs[beside] : null;
  const k = main.model.nLayers - 1;
  const topStep = recipe === 'greedy' && phase === k;
  if (topStep && !pt.frozen) pt.frozen = { before: encoder(main.model), moved: false }; // the encoder must not move now
  const over = () => main.state.done || main.state.phase !== phase;
  const supervised = phase >= topPhase(recipe, k);
  const t0 = performance.now();
  let n = 1;
  while (!over() && performance.now() - t0 < TURN_MS) {
    main.state = main.job.run(n);
    pt.begun ||= main.state.steps > 0;
    record(main, main.state, pt.at);
    if (supervised && main.state.steps) addGrads(main, pt.at, topStep ? k : 0);
    if (side && !side.state.done && main.state.steps) {
      side.state = side.job.run(main.state.steps);
      record(side, side.state, pt.at);
      addGrads(side, pt.at, 0);
    }
    n = Math.min(64, n * 2);
  }
  if (topStep) pt.frozen.moved = !same(pt.frozen.before, encoder(main.model));
  if (over()) {
    if (side) side.atStep[pt.at] = side.last; // the baseline's accuracy at the end of the same budget
    pt.at++;
    pt.begun = false;
    pt.viewsAt = 0; // a new step: its views at once
    if (pt.stopAfter >= 0 && pt.at > pt.stopAfter) pt.running = false;
  }
  return pt.at < pt.steps.length;
}

function record(r, s, at) {
  for (const e of s.epochEnds) {
    if (Number.isNaN(e.testAcc)) continue; // a pretraining epoch: a reconstruction loss, not an accuracy
    r.curve.push([r.curve.length + 1, e.testAcc, e.trainAcc]);
    r.last = { test: e.testAcc, train: e.trainAcc };
    r.atStep[at] = r.last;
  }
}

/** What the page draws: the steps and where the run is, each recipe's accuracies, curves and gradient
 * norms, and the greedy run's live view (reconstructions in pixels, first-layer filters). */
function send(w, force = false) {
  const pt = w.pt;
  // the view is the step under way's; paused between steps, the step just done's (its finished stack)
  const between = !pt.begun && pt.at > 0 && pt.at < pt.steps.length;
  const [recipe, phase] = pt.steps[between ? pt.at - 1 : Math.min(pt.at, pt.steps.length - 1)];
  const k = pt.runs.greedy.model.nLayers - 1;
  const level = between && recipe === 'greedy' && phase < k ? phase + 1 : -1;
  const view = pt.runs[recipe];
  // the views cost about as much as a turn of training: at most every VIEWS_MS while running
  const views = force || !pt.running || performance.now() - pt.viewsAt > VIEWS_MS;
  let recon = null, filters = null, reconNote = '';
  if (views) {
    pt.viewsAt = performance.now();
    try {
      recon = view.job.reconstruct(pt.showX, N_SHOW, level);
    } catch (e) {
      reconNote = alone(e.message);
    }
    try {
      filters = view.job.filtersPng(w.trainBase.rows, w.trainBase.cols, 16, 2);
    } catch {
      filters = view.model.filtersPng(w.trainBase.rows, w.trainBase.cols, 16, 2); // the classifier's own first layer
    }
  }
  const runs = {};
  for (const [name, r] of Object.entries(pt.runs)) {
    const grads = Object.fromEntries(Object.entries(r.grads).map(([at, g]) => [at, { mean: g.sum.map((v) => v / g.n), frozenBelow: g.frozenBelow }]));
    runs[name] = { step: r.state.step, phase: r.state.phase, phases: r.state.phases, epoch: r.state.epoch, epochs: r.state.epochs, done: r.state.done,
                   testLoss: r.state.testLoss, atStep: r.atStep, curve: r.curve, grads, sizes: r.model.sizes };
  }
  post({ type: 'pretrain', steps: pt.steps.map(([r, p], i) => ({ recipe: r, phase: p, name: pt.names[i] })), at: pt.at, running: pt.running,
         setting: pt.setting, labels: pt.labels, sizes: pt.sizes, cfg: pt.cfg, runs, view: { recipe, phase, done: between }, views, showX: pt.showX, recon, reconNote,
         n: N_SHOW, rows: w.trainBase.rows, cols: w.trainBase.cols, filters, frozen: pt.frozen ? { moved: pt.frozen.moved } : null }, filters ? [filters.buffer] : []);
}

/** One turn, then the next after the Worker has looked at its messages; a loop whose generation is no
 * longer the walkthrough's (a Replay or a new setting made a new one, a Pause and a Run came in between)
 * stops, so only one loop ever trains. */
function loop(w, gen) {
  const pt = w.pt;
  if (!pt || !pt.running || w.ptGen !== gen) return;
  try {
    if (!turn(w)) pt.running = false;
    send(w, !pt.running);
  } catch (e) {
    pt.running = false;
    post({ type: 'pretrain-error', message: alone(e.message) });
    try { send(w, true); } catch { /* the error said it; the panel keeps its last view */ }
    return;
  }
  if (pt.running) setTimeout(() => loop(w, gen), 0);
}

/** The main training run starts: the walkthrough pauses (both would share the Worker's time). */
export function onTrainStart(w) {
  if (!w.pt?.running) return;
  w.pt.running = false;
  w.ptGen++;
  send(w, true);
}

/** New data: the walkthrough's jobs hold the old datasets, so they go before those are freed. */
export function releaseData(w) {
  destroy(w);
}

export function onData(w) {
  post({ type: 'pretrain-reset', labelled: w.trainBase.nClasses > 0 && w.testBase.nClasses > 0 });
}

export const handlers = {
  /** Run from where the walkthrough is (a new one if none, or if its settings changed), to the end, or to
   * the end of the current step with step: true. Its own errors go to its panel: they never stop the main
   * run, and the main run must be paused first. */
  'pretrain-run'(msg, w) {
    try {
      if (w.running) throw new Error('Pause the training run above first: the walkthrough and it would share this tab\'s time.');
      const pt = w.pt;
      if (!pt || pt.setting !== msg.setting || pt.labels !== msg.labels || pt.at >= pt.steps.length || msg.replay) setup(w, msg);
      const gen = ++w.ptGen; // any loop still pending from before stops at its next turn
      w.pt.running = true;
      w.pt.stopAfter = msg.step ? w.pt.at : -1;
      send(w, true);
      setTimeout(() => loop(w, gen), 0);
    } catch (e) {
      post({ type: 'pretrain-error', message: alone(e.message) });
      if (w.pt) send(w, true);
    }
  },
  'pretrain-pause'(msg, w) {
    if (!w.pt) return;
    w.pt.running = false;
    w.ptGen++;
    send(w, true);
  },
};
