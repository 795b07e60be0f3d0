// The training Worker: owns the wasm engine, the MNIST data, the model and its trainer. The page sends
// commands and receives progress, losses and images; nothing here ever blocks the page's main thread.
//
// Training runs in chunks of a few minibatches (about CHUNK_MS of work), then yields to the event loop so
// Pause/Stop/Step messages are handled between chunks.
import { loadAelab, gunzipIfNeeded } from './aelab.js';
import { Keeper, History } from './persist.js';

const CHUNK_MS = 60;
const RECON_MS = 400; // how often the reconstruction grid and filters are refreshed
const N_SHOW = 16; // fixed test digits shown with their reconstructions (fewer if the test set is smaller)
const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
const BLEND_STEPS = 10;

let ae = null;
let train = null;
let test = null;
let model = null;
let trainer = null;
let cfg = null;
let running = false;
let finished = false;
let showX = null;
let nShow = N_SHOW;
let dataName = 'MNIST';
let pinned = null; // { model, name }: a snapshot kept to compare against in the noise demo
let lastRecon = 0;
let chunkSteps = 4;
let latent = null; // { mean, v1, v2, dims } of the last projection, for decoding clicked points
let reconCount = 0;
const N_LATENT = 2000;
let resumedAt = 0; // steps the current model had trained before this trainer was made (a restored run)
const history = new History(); // the loss chart's points, kept with the model

const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);
/** A message shown on its own: a sentence with a capital letter (the engine's start in lower case). */
const alone = (s) => { const m = sentence(s); return `${m.charAt(0).toUpperCase()}${m.slice(1)}`; };
const fail = (e) => post({ type: 'error', message: alone(e && e.message ? e.message : String(e)) });
/** The engine's messages are clauses without a full stop; end one before another sentence follows it. */
const sentence = (s) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
const keeper = new Keeper(post, snapshot);

async function fetchIdx(name) {
  const url = new URL(`data/${name}.gz`, self.location.href);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname} (HTTP ${res.status}); run 'make serve' to build the data`);
  return gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()), { name: url.pathname });
}

async function init(msg) {
  const t0 = performance.now();
  ae = await loadAelab(msg.engine ? { variant: msg.engine } : {});
  post({ type: 'engine', variant: ae.variant, simd: ae.simd, threads: ae.threads, forced: !!msg.engine, isolated: self.crossOriginIsolated === true });
  post({ type: 'status', message: 'Loading MNIST (60,000 training and 10,000 test digits)…' });
  const [ti, tl, vi, vl] = await Promise.all(MNIST_FILES.map(fetchIdx));
  useData(ae.dataset(ti, tl), ae.dataset(vi, vl), 'MNIST');
  post({ type: 'data', ...dataInfo(), ms: performance.now() - t0, first: true });
  await keeper.start(); // offers the run a reload or a crash interrupted, if there is one
}

function dataInfo() {
  return { name: dataName, train: train.n, test: test.n, rows: train.rows, cols: train.cols, labelled: train.nClasses > 0 };
}

/** Swap in new training and test sets. The trainer points at the old training set, so it goes first; the
 * model stays when its input width still fits, so a model trained on MNIST can be tried on other data. */
function useData(tr, te, name) {
  destroyRun();
  train?.destroy();
  test?.destroy();
  train = tr;
  test = te;
  dataName = name;
  nShow = Math.min(N_SHOW, test.n);
  showX = test.batch(0, nShow);
  latent = null;
  if (model && model.inputSize !== train.dim) {
    model.destroy();
    model = null;
  }
  if (pinned && pinned.model.inputSize !== train.dim) dropPinned();
}

function dropPinned() {
  pinned?.model.destroy();
  pinned = null;
}

function destroyRun() {
  if (trainer) trainer.destroy();
  trainer = null;
}

/** True if the page's settings `a` are not the ones the current model and trainer were made with. */
function differs(a, b) {
  if (!a) return false;
  return !b || Object.keys(a).some((k) => String(a[k]) !== String(b[k]));
}

/** Build a fresh model (or adopt a given one) and its trainer from the page's configuration. */
function configure(c, adopt = null) {
  // The new model and trainer are built before the old ones go, so settings the engine refuses (a layer
  // width of 0, a model too large) leave the current model, its run and the page's view of it as they were.
  const m = adopt ?? ae.model({ sizes: c.sizes, hidden: c.hidden, code: c.code, output: c.output, loss: c.loss, init: c.init, maxBatch: c.batch, seed: c.seed });
  let t;
  try {
    // a fresh autoencoder starts its output at the data's mean image; a loaded or kept model keeps its own biases
    if (!adopt && m.outputSize === train.dim && ['sigmoid', 'linear'].includes(m.activations.at(-1))) m.initOutputBias(train);
    t = ae.trainer(m, train, {
      batch: c.batch, optimizer: c.optimizer, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, seed: c.seed,
      noise: c.noise, noiseLevel: c.noiseLevel,
    });
  } catch (e) {
    if (!adopt) m.destroy();
    throw e;
  }
  destroyRun();
  if (model && model !== m) model.destroy();
  model = m;
  trainer = t;
  cfg = c;
  finished = false;
  resumedAt = 0;
  history.reset();
  keeper.newRun();
  chunkSteps = 2;
  post({ type: 'model', sizes: model.sizes, code: model.code, activations: model.activations, nParams: model.nParams, stepsPerEpoch: Math.ceil(train.n / c.batch) });
  sendImages(true);
}

function sendImages(force) {
  const now = performance.now();
  if (!model || (!force && now - lastRecon < RECON_MS)) return;
  lastRecon = now;
  const noisy = cfg.noise !== 'none' ? ae.corrupt(showX, cfg.noise, cfg.noiseLevel, 12345) : null;
  const recon = model.forward(noisy ?? showX, nShow);
  const filters = model.sizes[0] === train.rows * train.cols ? model.weights(0).slice(0, Math.min(model.sizes[1], 32) * model.sizes[0]) : null;
  post({ type: 'images', n: nShow, inputs: showX, noisy, recon, filters, nFilters: filters ? Math.min(model.sizes[1], 32) : 0, step: stepNow() });
  if (force || ++reconCount % 5 === 0) sendLatent();
}

/** Top principal direction of the rows of X (n, d) (power iteration on X^T X), orthogonal to `not`. */
function principal(X, n, d, not) {
  let v = Float64Array.from({ length: d }, (_, i) => Math.sin(i + 1));
  for (let it = 0; it < 50; it++) {
    const w = new Float64Array(d);
    for (let r = 0; r < n; r++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += X[r * d + j] * v[j];
      for (let j = 0; j < d; j++) w[j] += dot * X[r * d + j];
    }
    if (not) { let p = 0; for (let j = 0; j < d; j++) p += w[j] * not[j]; for (let j = 0; j < d; j++) w[j] -= p * not[j]; }
    const norm = Math.hypot(...w) || 1;
    v = w.map((x) => x / norm);
  }
  return v;
}

/** Codes of the first N_LATENT test digits: as they are for a 2-unit code, else their 2-D PCA projection. */
function sendLatent() {
  if (!model || model.code === 0) return;
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
    v1 = principal(X, n, d, null);
    v2 = principal(X, n, d, v1);
    for (let r = 0; r < n; r++) {
      let a = 0, b = 0;
      for (let j = 0; j < d; j++) { a += X[r * d + j] * v1[j]; b += X[r * d + j] * v2[j]; }
      points[2 * r] = a;
      points[2 * r + 1] = b;
    }
  }
  latent = { mean, v1, v2, dims: d };
  post({ type: 'latent', points, labels: test.nClasses ? test.labels(0, n) : null, dims: d });
}

/** Where codes (n, d) land in the latent plot's plane: the code itself for d = 2, else its PCA coordinates. */
function project(codes, n) {
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

/** How the noise demo names a model: its widths, its training noise and how far it has trained. */
function describe() {
  const noise = cfg.noise !== 'none' ? `denoising (${cfg.noise} ${cfg.noiseLevel})` : 'plain';
  return `${model.spec} ${noise}, step ${stepNow()}`;
}

/** Mean squared error and mean binary cross-entropy per pixel of y against clean targets t, both in [0,1].
 * y is clipped to [1e-6, 1 - 1e-6] for the cross-entropy, so a pixel that is exactly wrong costs 13.8, not ∞. */
function errors(y, t) {
  let mse = 0, bce = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, y[i]));
    mse += (y[i] - t[i]) ** 2;
    bce -= t[i] * Math.log(p) + (1 - t[i]) * Math.log(1 - p);
  }
  return { mse: mse / y.length, bce: bce / y.length };
}

function testIndex(i) {
  if (!Number.isInteger(i) || i < 0 || i >= test.n) throw new Error(`Pick a test image from 0 to ${test.n - 1}.`);
  return i;
}

const labelOf = (i) => (test.nClasses ? test.labels(i, 1)[0] : null);

function evaluateTest(epoch) {
  const t0 = performance.now();
  const { loss } = model.evaluate(test);
  history.setTest(loss);
  post({ type: 'test', epoch, loss, ms: performance.now() - t0 });
}

/** Steps trained on the current model, counting those before a restore. */
const stepNow = () => resumedAt + (trainer?.state?.step ?? 0);

/** Train up to maxSteps and report the run's totals. A restored run's trainer starts at step 0 and counts
 * on from resumedAt; an epoch is always spe = ceil(n / batch) steps, so the epoch and the position in it
 * (in samples, as the trainer counts it: (step mod spe) * batch) follow from the total, and a chunk stops
 * where the total ends an epoch. The new trainer's batches are not the ones the interrupted run had left:
 * its first shuffle is the seed's epoch-0 order again, so the rest of the interrupted epoch trains on the
 * first batches of that order, and from then on each counted epoch is the end of one of the trainer's
 * shuffles and the start of the next (about n samples, some twice and some not at all). Without a restore
 * the cap is where the trainer stops anyway. */
function runCounted(maxSteps) {
  const spe = Math.ceil(train.n / cfg.batch);
  const s = trainer.run(Math.min(maxSteps, spe - (stepNow() % spe)), true);
  if (!resumedAt) return s;
  const step = resumedAt + s.step;
  return { ...s, step, epoch: Math.floor(step / spe), pos: (step % spe) * cfg.batch };
}

/** The record persist.js keeps: the model's bytes and what the page needs to show the run and go on. */
function snapshot() {
  if (!model || !trainer) return null;
  return { model: model.save(), sizes: model.spec, config: cfg, data: dataName, step: stepNow(), stepsPerEpoch: Math.ceil(train.n / cfg.batch), finished, history: history.save() };
}

/** Train one chunk; returns false when the run is over or failed. */
function chunk(maxSteps) {
  const t0 = performance.now();
  let s;
  try {
    s = runCounted(maxSteps);
  } catch (e) {
    running = false;
    // the trainer is back at its last sound step: the page shows that step, not the one that blew up
    post({ type: 'diverged', message: alone(e.message), step: stepNow() });
    post({ type: 'state', running: false });
    sendImages(true);
    keeper.touch(); // the last good weights
    keeper.flush();
    return false;
  }
  const ms = performance.now() - t0;
  post({ type: 'progress', ...s, ms });
  history.add(s.step, s.meanLoss, s.samples, ms);
  keeper.touch();
  if (s.pos === 0 && s.steps > 0) evaluateTest(s.epoch);
  sendImages(false);
  if (s.epoch >= cfg.epochs) {
    running = false;
    finished = true;
    sendImages(true);
    post({ type: 'state', running: false, finished: true });
    keeper.flush();
    return false;
  }
  keeper.tick(); // at most every SAVE_EVERY_MS of training
  // aim for CHUNK_MS per chunk so pauses are prompt and progress is smooth
  if (ms > 0) chunkSteps = Math.max(1, Math.min(512, Math.round(chunkSteps * Math.min(2, CHUNK_MS / ms))));
  return true;
}

function loop() {
  if (!running) return;
  if (chunk(chunkSteps)) setTimeout(loop, 0);
}

const handlers = {
  async init(msg) {
    await init(msg);
  },
  configure(msg) {
    running = false;
    configure(msg.config);
    post({ type: 'state', running: false });
  },
  start(msg) {
    // Start trains the current model: fresh after a change of settings or Reset, or a loaded one; a run
    // that has finished or was stopped starts over, and so does one whose settings the form has since
    // changed (settings the engine refused stay refused: nothing trains under values the page shows but
    // the model does not have).
    if (!model || !trainer || finished || differs(msg.config, cfg)) configure(msg.config ?? cfg);
    running = true;
    post({ type: 'state', running: true });
    loop();
  },
  pause() {
    running = false;
    post({ type: 'state', running: false, paused: true });
    sendImages(true);
    keeper.flush();
  },
  resume() {
    if (!trainer || finished) return;
    running = true;
    post({ type: 'state', running: true });
    loop();
  },
  step(msg) {
    // one step of the current run; as Start does, a finished or stopped run, or changed settings, begin anew
    if (!model || !trainer || finished || differs(msg.config, cfg)) configure(msg.config ?? cfg);
    running = false;
    chunk(1); // its tick() writes at most every SAVE_EVERY_MS, as for a run: not once per click
    sendImages(true);
    post({ type: 'state', running: false, paused: true });
  },
  stop() {
    running = false;
    finished = true;
    post({ type: 'state', running: false, finished: true, stopped: true });
    sendImages(true);
    if (stepNow() > 0) keeper.touch(); // a restore brings it back stopped, as it is now
    keeper.flush();
  },
  save() {
    if (!model) throw new Error('There is no model to save yet.');
    const bytes = model.save();
    post({ type: 'file', kind: 'model', name: `aelab-${model.spec}.safetensors`, mime: 'application/octet-stream', bytes }, [bytes.buffer]);
  },
  load(msg) {
    running = false;
    // Parse first: a bad file leaves the current model and data untouched.
    let loaded;
    try {
      loaded = ae.loadModel(new Uint8Array(msg.bytes), Math.max(cfg?.batch ?? 256, 1));
    } catch (e) {
      throw new Error(`Could not load ${msg.name}: ${sentence(e.message)} The current model is unchanged.`);
    }
    if (loaded.inputSize !== train.rows * train.cols || loaded.outputSize !== loaded.inputSize) {
      loaded.destroy();
      throw new Error(`This model maps ${loaded.inputSize} inputs to ${loaded.outputSize} outputs; the ${dataName} images need a ${train.rows}×${train.cols} = ${train.dim}-pixel autoencoder.`);
    }
    const acts = loaded.activations;
    const c = { ...(cfg ?? msg.config), sizes: loaded.spec, hidden: acts[0], code: acts[loaded.code - 1] ?? acts[0], output: acts[acts.length - 1], loss: loaded.loss };
    configure(c, loaded);
    post({ type: 'loaded', config: c, name: msg.name });
    evaluateTest(0); // a loaded model arrives with no history: its test loss is the number to show
    post({ type: 'state', running: false });
    keeper.touch();
    keeper.flush();
  },
  exportPng(msg) {
    if (!model) throw new Error('There is no model yet.');
    let bytes;
    if (msg.what === 'filters') bytes = model.filtersPng(train.rows, train.cols, 16, 2);
    else {
      const noisy = cfg.noise !== 'none' ? ae.corrupt(showX, cfg.noise, cfg.noiseLevel, 12345) : null;
      const recon = model.forward(noisy ?? showX, nShow);
      const rows = noisy ? [showX, noisy, recon] : [showX, recon];
      const tiles = new Float32Array(rows.length * showX.length);
      rows.forEach((r, i) => tiles.set(r, i * r.length));
      bytes = ae.pngGrid(tiles, rows.length * nShow, train.rows, train.cols, nShow, 2);
    }
    post({ type: 'file', kind: 'png', name: `aelab-${msg.what}.png`, mime: 'image/png', bytes }, [bytes.buffer]);
  },
  /** Clean, corrupted and reconstructed copies of 8 test digits, with the mean squared error of each. */
  noiseDemo(msg) {
    if (!model) return;
    const n = Math.min(8, nShow);
    const clean = showX.subarray(0, n * train.dim);
    const noisy = ae.corrupt(clean, msg.kind, msg.level, 777);
    const recon = model.forward(noisy, n);
    const pin = pinned ? pinned.model.forward(noisy, n) : null;
    post({
      type: 'noiseDemo', n, clean, noisy, recon, noisyErr: errors(noisy, clean), reconErr: errors(recon, clean), kind: msg.kind, level: msg.level,
      pinned: pin, pinnedErr: pin ? errors(pin, clean) : null, pinnedName: pinned?.name ?? null, currentName: describe(),
    });
  },
  /** Keep a copy of the current model to compare against (e.g. a plain one beside a denoising one). */
  pin() {
    if (!model) throw new Error('There is no model to keep yet.');
    const copy = ae.loadModel(model.save(), 16);
    dropPinned();
    pinned = { model: copy, name: describe() };
    post({ type: 'pinned', name: pinned.name });
  },
  unpin() {
    dropPinned();
    post({ type: 'pinned', name: null });
  },
  /** A test digit for the infilling panel. */
  digit(msg) {
    const i = testIndex(msg.index);
    post({ type: 'digit', purpose: msg.purpose, index: i, image: test.batch(i, 1), label: labelOf(i) });
  },
  /** Blending: decode the straight path between the codes of two test digits, beside a pixel cross-fade. */
  blend(msg) {
    if (!model) return;
    const a = testIndex(msg.a), b = testIndex(msg.b);
    const dim = test.dim, d = model.codeSize, S = BLEND_STEPS;
    const xa = test.batch(a, 1), xb = test.batch(b, 1);
    const ca = model.encode(xa, 1), cb = model.encode(xb, 1);
    const codes = new Float32Array(S * d);
    const fade = new Float32Array(S * dim);
    for (let s = 0; s < S; s++) {
      const t = s / (S - 1);
      for (let j = 0; j < d; j++) codes[s * d + j] = (1 - t) * ca[j] + t * cb[j];
      for (let j = 0; j < dim; j++) fade[s * dim + j] = (1 - t) * xa[j] + t * xb[j];
    }
    post({ type: 'blend', steps: S, path: model.decode(codes, S), fade, a, b, labelA: labelOf(a), labelB: labelOf(b) });
  },
  /** Infilling: the digit goes through the model with its erased pixels (known = 0) black; the known pixels
   * stay and the erased ones take the reconstruction's values. One pass: feeding the filled digit back in
   * again and again drifts (on 50 test digits the error of the fill grows with each round, most of all
   * for denoising models). Errors are over the erased pixels only. */
  infill(msg) {
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
  /** A drawn digit: its reconstruction and where its code lands on the latent plot. */
  draw(msg) {
    if (!model) return;
    if (msg.image.length !== model.inputSize) throw new Error(`The drawing has ${msg.image.length} pixels; the model takes ${model.inputSize}.`);
    const code = model.encode(msg.image, 1);
    post({ type: 'drawn', recon: model.forward(msg.image, 1), point: project(code, 1), code: code.length <= 8 ? code : null });
  },
  /** Linear against non-linear: both trained on points along a curve in the plane, squeezed through a
   * 1-unit code. The linear one (2-1-2, identity activations, squared error) can only reconstruct onto a
   * line, and that line is the data's first principal component; the non-linear one (2-32-1-32-2, tanh)
   * follows the curve. Small, so it trains in a moment between chunks of the main run. */
  curve(msg) {
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
  /** Bring your own data: IDX images (+ labels), gzip or not. Everything is parsed and checked before the
   * current data is let go, so a bad file changes nothing. The last seventh (at most 10,000) is held out. */
  async loadData(msg) {
    running = false;
    const what = msg.labelsName ? `${msg.imagesName} and ${msg.labelsName}` : msg.imagesName;
    let all = null;
    try {
      // msg.images and msg.labels are the Files themselves: read here, streaming, within MAX_IDX_BYTES
      const img = await gunzipIfNeeded(msg.images, { name: msg.labels ? msg.imagesName : 'it' });
      const lab = msg.labels ? await gunzipIfNeeded(msg.labels, { name: msg.labelsName }) : null;
      all = ae.dataset(img, lab);
      if (all.n < 2) throw new Error('it holds a single image; at least 2 are needed (one to train on, one to test).');
      const held = all.split(all.n - Math.max(1, Math.min(10000, Math.round(all.n / 7))));
      useData(all, held, msg.imagesName);
    } catch (e) {
      all?.destroy();
      throw new Error(`Could not use ${what}: ${sentence(e.message)} The current data and model are unchanged.`);
    }
    post({ type: 'data', ...dataInfo(), keptModel: !!model });
    if (model) configure(cfg, model);
    post({ type: 'state', running: false });
  },
  async useMnist() {
    running = false;
    const [ti, tl, vi, vl] = await Promise.all(MNIST_FILES.map(fetchIdx));
    useData(ae.dataset(ti, tl), ae.dataset(vi, vl), 'MNIST');
    post({ type: 'data', ...dataInfo(), keptModel: !!model });
    if (model) configure(cfg, model);
    post({ type: 'state', running: false });
  },
  /** Decode a point of the latent plot: the code itself for a 2-unit code, else mean + x v1 + y v2. */
  decodePoint(msg) {
    if (!model || !latent) return;
    const code = new Float32Array(latent.dims);
    if (latent.dims === 2) code.set([msg.x, msg.y]);
    else for (let j = 0; j < latent.dims; j++) code[j] = latent.mean[j] + msg.x * latent.v1[j] + msg.y * latent.v2[j];
    post({ type: 'decoded', image: model.decode(code, 1), x: msg.x, y: msg.y });
  },
  reset(msg) {
    running = false;
    configure(msg.config ?? cfg);
    post({ type: 'state', running: false });
  },
  /** A run persist.js kept, offered at start (msg.which: 'current', or 'previous' for the earlier one): its
   * weights, settings, counters and curves, ready to go on (paused, or stopped if it was). Adam's moments
   * are not kept: they start afresh, as for a loaded file. Once the offer is answered (a second click, or
   * Start, Step or Load model, which decline it) this does nothing, so it never replaces trained steps. */
  restore(msg) {
    const which = msg.which === 'previous' ? 'previous' : 'current';
    const rec = keeper.offered(which);
    if (!rec) return;
    const loaded = ae.loadModel(rec.model, Math.max(rec.config.batch, 1));
    if (loaded.inputSize !== train.dim) {
      loaded.destroy();
      throw new Error(`The kept model takes ${loaded.inputSize} pixels per image and the ${dataName} images have ${train.dim}: load ${rec.data} under Your own data, then Restore.`);
    }
    running = false;
    configure(rec.config, loaded);
    resumedAt = rec.step;
    history.reset(rec.history);
    finished = !!rec.finished;
    keeper.taken(which);
    post({ type: 'restored', config: rec.config, data: rec.data, current: dataName, step: rec.step, stepsPerEpoch: Math.ceil(train.n / rec.config.batch), finished, history: history.save(), at: rec.at });
    post({ type: 'state', running: false, paused: !finished, finished });
  },
  discard() {
    return keeper.discard();
  },
};

// Commands run one at a time, in the order they came: an async one (loading the engine, reading a file of
// one's own) finishes before the next starts, so a Start or Reset sent during a long read cannot act on
// data or a model that is being swapped out under it.
let queue = Promise.resolve();
self.onmessage = (ev) => {
  const msg = ev.data;
  const h = handlers[msg.type];
  if (!h) return fail(`unknown command '${msg.type}'`);
  queue = queue.then(() => h(msg)).catch((e) => {
    running = false;
    fail(e);
    // a refused command changed nothing: a run that was under way is paused, ready to resume
    post({ type: 'state', running: false, paused: !!trainer && !finished && stepNow() > 0 });
  });
};
