// The training Worker: owns the wasm engine, the MNIST data, the model and its trainer. The page sends
// commands and receives progress, losses and images; nothing here ever blocks the page's main thread.
//
// Training runs in chunks of a few minibatches (about CHUNK_MS of work), then yields to the event loop so
// Pause/Stop/Step messages are handled between chunks.
import { loadAelab, gunzipIfNeeded } from './aelab.js';

const CHUNK_MS = 60;
const RECON_MS = 400; // how often the reconstruction grid and filters are refreshed
const N_SHOW = 16; // fixed test digits shown with their reconstructions

let ae = null;
let train = null;
let test = null;
let model = null;
let trainer = null;
let cfg = null;
let running = false;
let finished = false;
let showX = null;
let lastRecon = 0;
let chunkSteps = 4;
let latent = null; // { mean, v1, v2, dims } of the last projection, for decoding clicked points
let reconCount = 0;
const N_LATENT = 2000;

const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);
const fail = (e) => post({ type: 'error', message: e && e.message ? e.message : String(e) });

async function fetchIdx(name) {
  const url = new URL(`data/${name}.gz`, self.location.href);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname} (HTTP ${res.status}); run 'make serve' to build the data`);
  return gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()));
}

async function init() {
  const t0 = performance.now();
  ae = await loadAelab();
  post({ type: 'engine', variant: ae.variant, simd: ae.simd });
  post({ type: 'status', message: 'Loading MNIST (60,000 training and 10,000 test digits)…' });
  const [ti, tl, vi, vl] = await Promise.all(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map(fetchIdx));
  train = ae.dataset(ti, tl);
  test = ae.dataset(vi, vl);
  showX = test.batch(0, N_SHOW);
  post({ type: 'data', train: train.n, test: test.n, rows: train.rows, cols: train.cols, ms: performance.now() - t0, labels: Array.from(test.labels(0, N_SHOW)) });
}

function destroyRun() {
  if (trainer) trainer.destroy();
  trainer = null;
}

/** Build a fresh model (or adopt a loaded one) and its trainer from the page's configuration. */
function configure(c, loaded = null) {
  destroyRun();
  if (model) model.destroy();
  model = null;
  cfg = c;
  model = loaded ?? ae.model({ sizes: c.sizes, hidden: c.hidden, code: c.code, output: c.output, loss: c.loss, init: c.init, maxBatch: c.batch, seed: c.seed });
  trainer = ae.trainer(model, train, {
    batch: c.batch, optimizer: c.optimizer, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, seed: c.seed,
    noise: c.noise, noiseLevel: c.noiseLevel, meanOutputBias: !loaded, // a loaded model keeps its own biases
  });
  finished = false;
  chunkSteps = 2;
  post({ type: 'model', sizes: model.sizes, code: model.code, activations: model.activations, nParams: model.nParams, stepsPerEpoch: Math.ceil(train.n / c.batch) });
  sendImages(true);
}

function sendImages(force) {
  const now = performance.now();
  if (!model || (!force && now - lastRecon < RECON_MS)) return;
  lastRecon = now;
  const noisy = cfg.noise !== 'none' ? ae.corrupt(showX, cfg.noise, cfg.noiseLevel, 12345) : null;
  const recon = model.forward(noisy ?? showX, N_SHOW);
  const filters = model.sizes[0] === train.rows * train.cols ? model.weights(0).slice(0, Math.min(model.sizes[1], 32) * model.sizes[0]) : null;
  post({ type: 'images', inputs: showX, noisy, recon, filters, nFilters: filters ? Math.min(model.sizes[1], 32) : 0, step: trainer ? trainer.state?.step ?? 0 : 0 });
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
  post({ type: 'latent', points, labels: test.labels(0, n), dims: d });
}

function evaluateTest(epoch) {
  const t0 = performance.now();
  const { loss } = model.evaluate(test);
  post({ type: 'test', epoch, loss, ms: performance.now() - t0 });
}

/** Train one chunk; returns false when the run is over or failed. */
function chunk(maxSteps) {
  const t0 = performance.now();
  let s;
  try {
    s = trainer.run(maxSteps, true);
  } catch (e) {
    running = false;
    post({ type: 'diverged', message: e.message });
    post({ type: 'state', running: false });
    sendImages(true);
    return false;
  }
  const ms = performance.now() - t0;
  post({ type: 'progress', ...s, ms });
  if (s.pos === 0 && s.steps > 0) evaluateTest(s.epoch);
  sendImages(false);
  if (s.epoch >= cfg.epochs) {
    running = false;
    finished = true;
    sendImages(true);
    post({ type: 'state', running: false, finished: true });
    return false;
  }
  // aim for CHUNK_MS per chunk so pauses are prompt and progress is smooth
  if (ms > 0) chunkSteps = Math.max(1, Math.min(512, Math.round(chunkSteps * Math.min(2, CHUNK_MS / ms))));
  return true;
}

function loop() {
  if (!running) return;
  if (chunk(chunkSteps)) setTimeout(loop, 0);
}

const handlers = {
  async init() {
    await init();
  },
  configure(msg) {
    running = false;
    configure(msg.config);
    post({ type: 'state', running: false });
  },
  start(msg) {
    if (!model || msg.config) configure(msg.config ?? cfg);
    if (finished) configure(cfg);
    running = true;
    post({ type: 'state', running: true });
    loop();
  },
  pause() {
    running = false;
    post({ type: 'state', running: false, paused: true });
    sendImages(true);
  },
  resume() {
    if (!trainer || finished) return;
    running = true;
    post({ type: 'state', running: true });
    loop();
  },
  step() {
    if (!trainer) configure(cfg);
    running = false;
    chunk(1);
    sendImages(true);
    post({ type: 'state', running: false, paused: true });
  },
  stop() {
    running = false;
    finished = true;
    post({ type: 'state', running: false, finished: true });
    sendImages(true);
  },
  save() {
    if (!model) throw new Error('There is no model to save yet.');
    const bytes = model.save();
    post({ type: 'file', kind: 'model', name: `aelab-${model.spec}.safetensors`, mime: 'application/octet-stream', bytes }, [bytes.buffer]);
  },
  load(msg) {
    running = false;
    // Parse first: a bad file leaves the current model and data untouched.
    const loaded = ae.loadModel(new Uint8Array(msg.bytes), Math.max(cfg?.batch ?? 256, 1));
    if (loaded.inputSize !== train.rows * train.cols || loaded.outputSize !== loaded.inputSize) {
      loaded.destroy();
      throw new Error(`This model maps ${loaded.inputSize} inputs to ${loaded.outputSize} outputs; the page needs a ${train.rows * train.cols}-pixel autoencoder.`);
    }
    const acts = loaded.activations;
    const c = { ...(cfg ?? msg.config), sizes: loaded.spec, hidden: acts[0], code: acts[loaded.code - 1] ?? acts[0], output: acts[acts.length - 1], loss: loaded.loss };
    configure(c, loaded);
    post({ type: 'loaded', config: c, name: msg.name });
    post({ type: 'state', running: false });
  },
  exportPng(msg) {
    if (!model) throw new Error('There is no model yet.');
    let bytes;
    if (msg.what === 'filters') bytes = model.filtersPng(train.rows, train.cols, 16, 2);
    else {
      const noisy = cfg.noise !== 'none' ? ae.corrupt(showX, cfg.noise, cfg.noiseLevel, 12345) : null;
      const recon = model.forward(noisy ?? showX, N_SHOW);
      const rows = noisy ? [showX, noisy, recon] : [showX, recon];
      const tiles = new Float32Array(rows.length * N_SHOW * showX.length / N_SHOW);
      rows.forEach((r, i) => tiles.set(r, i * r.length));
      bytes = ae.pngGrid(tiles, rows.length * N_SHOW, train.rows, train.cols, N_SHOW, 2);
    }
    post({ type: 'file', kind: 'png', name: `aelab-${msg.what}.png`, mime: 'image/png', bytes }, [bytes.buffer]);
  },
  /** Clean, corrupted and reconstructed copies of 8 test digits, with the mean squared error of each. */
  noiseDemo(msg) {
    if (!model) return;
    const n = 8;
    const clean = showX.subarray(0, n * train.rows * train.cols);
    const noisy = ae.corrupt(clean, msg.kind, msg.level, 777);
    const recon = model.forward(noisy, n);
    const mse = (a) => a.reduce((s, v, i) => s + (v - clean[i]) ** 2, 0) / a.length;
    post({ type: 'noiseDemo', clean, noisy, recon, noisyMse: mse(noisy), reconMse: mse(recon), kind: msg.kind, level: msg.level });
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
};

self.onmessage = async (ev) => {
  const msg = ev.data;
  const h = handlers[msg.type];
  if (!h) return fail(`unknown command '${msg.type}'`);
  try {
    await h(msg);
  } catch (e) {
    running = false;
    fail(e);
    post({ type: 'state', running: false });
  }
};
