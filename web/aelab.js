// aelab.js: the one JS module over the WebAssembly core, used unchanged by the page's Web Worker and by
// Node. It loads the threads build where shared memory is allowed, else the SIMD build where WebAssembly
// SIMD validates, else the scalar build, and wraps
// the C exports (src/wasm.c) in small classes that hold handles. Every C error becomes an AelabError
// carrying the C message.
//
// Tensors cross the boundary as Float32Array, row-major: a batch of B images of D pixels is (B, D).

const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

// The engine's enums, value i named ACTIVATIONS[i] and so on: filled in place from C (ae_wasm_enum_name in
// src/wasm.c) when the first engine loads, so that JS cannot drift from C. Empty until then.
export const ACTIVATIONS = [];
export const LOSSES = [];
export const INITS = [];
export const OPTIMIZERS = [];
export const NOISES = [];
export const LAYERS = []; // layer kinds (src/layers/registry.c)
export const JOBS = []; // job kinds (src/jobs/job.c)
const ENUM_LISTS = { activation: ACTIVATIONS, loss: LOSSES, init: INITS, optimizer: OPTIMIZERS, noise: NOISES, layer: LAYERS, job: JOBS };

/** The names of every C enum kind (ae_wasm_enum_kind) as { kind: [name of value 0, ...] }. */
function readEnums(ae) {
  const kinds = {};
  for (let k = 0; ; k++) {
    const kp = ae.M._ae_wasm_enum_kind(k);
    if (!kp) break;
    const kind = ae.readCString(kp);
    const n = ae.check(ae.M._ae_wasm_enum_count(k));
    kinds[kind] = Array.from({ length: n }, (_, i) => {
      const p = ae.M._ae_wasm_enum_name(k, i);
      if (!p) throw new AelabError(`the engine has no name for ${kind} value ${i} (of ${n})`);
      return ae.readCString(p);
    });
  }
  return kinds;
}

// A training job's settings: each JS key and the ae_train_cfg_parse key (src/train_cfg.c) it becomes.
// epochs: 0 runs until stopped; from/to: the layers [from, to) that learn (to 0: through the last).
const TRAIN_KEYS = {
  batch: 'batch', optimizer: 'opt', lr: 'lr', momentum: 'momentum', beta1: 'beta1', beta2: 'beta2', eps: 'eps',
  weightDecay: 'weight_decay', seed: 'seed', noise: 'noise', noiseLevel: 'noise_level', supervised: 'supervised',
  divergeFactor: 'diverge_factor', epochs: 'epochs', from: 'from', to: 'to', l1: 'l1', lrDecay: 'lr_decay',
  // the "pretrain" job's own (src/jobs/pretrain.c)
  recipe: 'recipe', preEpochs: 'pre_epochs', topEpochs: 'top_epochs', fineEpochs: 'fine_epochs', labelsPerClass: 'labels_per_class',
  preLr: 'pre_lr', start: 'start',
};

/** The C spec ("batch=64 opt=sgd ...") for ae.trainer's settings; C checks the values, this only the keys.
 * A whole-number seed is taken modulo 2^32 as ae.model's is; supervised is truthy or not. */
export function trainSpec(cfg = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(cfg)) {
    if (!Object.hasOwn(TRAIN_KEYS, k)) throw new AelabError(`unknown trainer setting '${k}' (${Object.keys(TRAIN_KEYS).join(', ')})`);
    if (v === undefined) continue;
    const text = k === 'supervised' ? (v ? '1' : '0') : k === 'seed' && Number.isInteger(v) ? String(v >>> 0) : String(v);
    // a value must stay one token: C would otherwise read its pieces as further keys
    if (text === '' || /[\s,=]/.test(text)) throw new AelabError(`trainer setting ${k}: '${text}' is not a single value`);
    parts.push(`${TRAIN_KEYS[k]}=${text}`);
  }
  return parts.join(' ');
}

export class AelabError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'AelabError';
    this.code = code;
  }
}

/** True where this engine validates a module using WebAssembly SIMD128. */
export function simdSupported() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** True where shared-memory threads can run: SharedArrayBuffer and shared wasm memory exist and, in a
 * browser, the page is cross-origin isolated (served with COOP/COEP headers). */
export function threadsSupported() {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if (globalThis.crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/** Cores this JS engine reports. */
export async function cores() {
  if (isNode) return (await import('node:os')).availableParallelism();
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

async function readBinary(url) {
  if (url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    return new Uint8Array(await fs.readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new AelabError(`could not load ${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export const VARIANTS = ['threads', 'simd', 'scalar'];

// The builds' maximum memory (-sMAXIMUM_MEMORY in the Makefile): no one buffer can be larger.
const MAX_WASM_BYTES = 2 ** 31;
const formatBytes = (b) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${b} bytes`);

/** n items of `size` numbers each: a positive whole count, and n·size numbers present in `array`. */
function checkRows(what, array, n, size) {
  if (!Number.isInteger(n) || n < 1) throw new AelabError(`${what}: ${n} rows; give a whole number of at least 1`);
  if (array.length < n * size) throw new AelabError(`${what}: ${n} rows of ${size} need ${n * size} values, but ${array.length} were given`);
}

/**
 * Load the engine. options.variant: 'threads' (SIMD on several threads), 'simd' or 'scalar'; by default
 * the first of these the JS engine supports (threads need 2+ cores and, in a browser, cross-origin
 * isolation). options.threads: threads for the threads build (default: the cores, at most 8).
 * The wasm binary is fetched (browser) or read (Node) next to this module and handed to the Emscripten
 * glue, which then never tries to locate or fetch it itself.
 */
export async function loadAelab(options = {}) {
  const n = await cores();
  const variant = options.variant ?? (simdSupported() ? (threadsSupported() && n > 1 ? 'threads' : 'simd') : 'scalar');
  if (!VARIANTS.includes(variant)) throw new AelabError(`unknown build variant '${variant}' (${VARIANTS.join(', ')})`);
  if (variant === 'threads' && !threadsSupported()) throw new AelabError('the threads build needs SharedArrayBuffer: serve the page cross-origin isolated (COOP/COEP headers)');
  const threads = variant === 'threads' ? Math.max(1, Math.min(8, options.threads ?? n)) : 1;
  const base = options.baseUrl ? new URL(options.baseUrl) : new URL('./', import.meta.url);
  if (variant === 'threads' && isNode) {
    // Emscripten 3.1.6's Node support in an ES module build still uses CommonJS names.
    const { createRequire } = await import('node:module');
    globalThis.require ??= createRequire(import.meta.url);
    globalThis.__dirname ??= (await import('node:url')).fileURLToPath(base);
  }
  const [{ default: factory }, binary] = await Promise.all([
    import(new URL(`aelab-${variant}.mjs`, base).href),
    options.wasmBinary ? Promise.resolve(options.wasmBinary) : readBinary(new URL(`aelab-${variant}.wasm`, base)),
  ]);
  const module = await factory({
    wasmBinary: binary,
    instantiateWasm(imports, receive) {
      // the module goes along too: the threads build sends it to its workers
      WebAssembly.instantiate(binary, imports).then((r) => receive(r.instance, r.module));
      return {};
    },
    // the pthread pool (src/parallel.c's workers; the calling thread is one more). Never 0: Emscripten
    // 3.1.6 waits for the pool to load before it starts and never starts with an empty one.
    aeWorkers: Math.max(1, threads - 1),
    locateFile(path) {
      // Node runs the pthread entry as CommonJS: the .cjs copy next to it
      const url = new URL(isNode ? path.replace(/\.worker\.js$/, '.worker.cjs') : path, base);
      return url.protocol === 'file:' ? decodeURIComponent(url.pathname) : url.href;
    },
    print: (s) => console.log(s),
    printErr: (s) => console.warn(s),
  });
  if (variant === 'threads') {
    const rc = module._ae_wasm_set_threads(threads);
    if (rc < 0) throw new AelabError(`could not start ${threads} threads`, rc);
    // Node: the workers must not keep a finished script alive
    if (isNode) for (const w of [...module.PThread.unusedWorkers, ...module.PThread.runningWorkers]) w.unref?.();
  }
  return new Aelab(module, variant);
}

export class Aelab {
  constructor(module, variant) {
    this.M = module;
    this.variant = variant;
    this.simd = module._ae_wasm_simd() === 1;
    this.threads = module._ae_wasm_threads();
    this.encoder = new TextEncoder();
    this.decoder = new TextDecoder();
    const kinds = readEnums(this);
    for (const [kind, list] of Object.entries(ENUM_LISTS)) {
      if (!kinds[kind]) throw new AelabError(`the engine does not name its ${kind} values`);
      list.splice(0, list.length, ...kinds[kind]);
    }
  }

  get heapBytes() {
    return this.M.HEAPU8.length;
  }

  // ---- memory helpers: every allocation is freed in a finally block ----
  alloc(bytes) {
    // _malloc takes a 32-bit size: a larger number would wrap to a small block that C then overruns
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new AelabError(`cannot allocate ${bytes} bytes`);
    if (bytes > MAX_WASM_BYTES) throw new AelabError(`${formatBytes(bytes)} is more than WebAssembly's memory can hold (${formatBytes(MAX_WASM_BYTES)})`);
    const p = this.M._malloc(Math.max(bytes, 1));
    if (!p) throw new AelabError(`out of wasm memory allocating ${formatBytes(bytes)}`);
    return p;
  }
  free(p) {
    if (p) this.M._free(p);
  }
  cstr(s) {
    if (s === undefined || s === null) return 0;
    const bytes = this.encoder.encode(String(s));
    const p = this.alloc(bytes.length + 1);
    this.M.HEAPU8.set(bytes, p);
    this.M.HEAPU8[p + bytes.length] = 0;
    return p;
  }
  readCString(p) {
    const h = this.M.HEAPU8;
    let e = p;
    while (h[e]) e++;
    // slice, not subarray: TextDecoder refuses a view of the threads build's shared memory
    return this.decoder.decode(h.slice(p, e));
  }
  lastError() {
    return this.readCString(this.M._ae_wasm_error());
  }
  check(rc) {
    if (rc < 0) throw new AelabError(this.lastError(), rc);
    return rc;
  }
  withBytes(bytes, fn) {
    const p = bytes ? this.alloc(bytes.length) : 0;
    try {
      if (p) this.M.HEAPU8.set(bytes, p);
      return fn(p, bytes ? bytes.length : 0);
    } finally {
      this.free(p);
    }
  }
  withFloats(n, fn, init) {
    const p = this.alloc(n * 4);
    try {
      if (init) this.M.HEAPF32.set(init.subarray(0, n), p >> 2);
      const r = fn(p);
      return { r, out: this.M.HEAPF32.slice(p >> 2, (p >> 2) + n) };
    } finally {
      this.free(p);
    }
  }
  /** Call fn(outPtrPtr, lenPtr) for a C function that mallocs a buffer; return a copy and free it. */
  takeBuffer(fn) {
    const pp = this.alloc(8);
    try {
      this.check(fn(pp, pp + 4));
      const p = this.M.HEAPU32[pp >> 2];
      const len = this.M.HEAPU32[(pp + 4) >> 2];
      const copy = this.M.HEAPU8.slice(p, p + len);
      this.free(p);
      return copy;
    } finally {
      this.free(pp);
    }
  }

  // ---- factories ----
  /** IDX image bytes (and optional label bytes), already decompressed. */
  dataset(images, labels = null) {
    return this.withBytes(images, (ip, il) =>
      this.withBytes(labels, (lp, ll) => new Dataset(this, this.check(this.M._ae_wasm_dataset_idx(ip, il, lp, ll)))));
  }
  /**
   * n black pictures of rows×cols, to be filled one file at a time with setImage (so that a folder of photos
   * is never all in memory at once).
   */
  pictures(n, rows, cols) {
    return new Dataset(this, this.check(this.M._ae_wasm_dataset_pictures(n, rows, cols)));
  }
  /**
   * n items of rows×cols floats from x (Float32Array, (n, rows*cols)), copied and read as they are (no /255):
   * points (rows 1), a layer's codes as the next layer's data. Labels optional, as IDX label bytes.
   */
  floatDataset(x, n, rows, cols, labels = null) {
    checkRows('floatDataset', x, n, rows * cols);
    if (!(x instanceof Float32Array)) x = Float32Array.from(x);
    return this.withFloats(x.length, (xp) =>
      this.withBytes(labels, (lp, ll) => new Dataset(this, this.check(this.M._ae_wasm_dataset_floats(xp, n, rows, cols, lp, ll)))), x).r;
  }

  /**
   * A model: { sizes: '784-32-784', hidden: 'relu', code, output: 'sigmoid', loss, init, maxBatch: 256,
   * seed: 1 }. sizes is a model spec in the C grammar (include/aelab.h: "784-*32:linear-784 loss=mse",
   * "28x28-64-784"); hidden, code, output and loss fill only what it leaves unsaid (loss: by the output
   * activation), init overrides it when given.
   */
  model(spec = {}) {
    const s = { sizes: '784-32-784', hidden: 'relu', output: 'sigmoid', loss: '', init: '', maxBatch: 256, seed: 1, ...spec };
    const ptrs = [s.sizes, s.hidden, s.code ?? '', s.output, s.loss, s.init].map((x) => this.cstr(x));
    try {
      return new Model(this, this.check(this.M._ae_wasm_model_create(...ptrs, s.maxBatch, s.seed >>> 0)));
    } finally {
      ptrs.forEach((p) => this.free(p));
    }
  }

  /** A model from .safetensors bytes. */
  loadModel(bytes, maxBatch = 256) {
    return this.withBytes(bytes, (p, n) => new Model(this, this.check(this.M._ae_wasm_model_load(p, n, maxBatch))));
  }

  /**
   * A training job of the given kind (JOBS; "train": one phase of training; "pretrain": autoencoders as the
   * initialisation of a classifier, in phases) on a model and its training set.
   * opts: the settings (TRAIN_KEYS: batch, optimizer, lr, momentum, beta1, beta2, eps, weightDecay, seed,
   * noise, noiseLevel, supervised, divergeFactor, epochs, from, to, l1, lrDecay (the rate times lrDecay after
   * every epoch); a "pretrain" job's recipe, preEpochs,
   * topEpochs, fineEpochs, labelsPerClass, preLr, start instead of epochs, from, to, supervised), plus targets (a Dataset, one row per
   * training item, what the output should be instead of the input) and test (a Dataset evaluated at each
   * epoch's end). A setting left out or undefined takes the engine's default (lr: 1e-3 for adam, 0.01 for
   * sgd); an unknown key throws. The settings reach C as one key=value spec, which C checks and refuses with
   * a message. divergeFactor: a batch loss above this times the reference (the first step's loss, at least
   * that of an output that knows nothing) stops training (see Job.run); 0 stops only on a loss that is not a
   * finite number. A job never changes the model's biases: for a fresh autoencoder, call
   * model.initOutputBias(data) first.
   */
  job(kind, model, data, opts = {}) {
    const { targets = null, test = null, ...cfg } = opts;
    const ps = [this.cstr(kind), this.cstr(trainSpec(cfg))];
    let h;
    try {
      h = this.check(this.M._ae_wasm_job_create(ps[0], model.handle, data.handle, targets ? targets.handle : 0, test ? test.handle : 0, ps[1]));
    } finally {
      ps.forEach((p) => this.free(p));
    }
    return new Job(this, h, model, data, cfg);
  }

  /** The "train" job: ae.job('train', model, data, cfg). */
  trainer(model, data, cfg = {}) {
    return this.job('train', model, data, cfg);
  }

  /** Corrupt x (Float32Array, values in [0,1]) in a copy: the same noise as training uses. */
  corrupt(x, kind, level, seed = 1) {
    const k = NOISES.indexOf(kind);
    if (k < 0) throw new AelabError(`unknown noise '${kind}'`);
    return this.withFloats(x.length, (p) => this.check(this.M._ae_wasm_corrupt(k, level, seed >>> 0, p, x.length)), x).out;
  }

  /** The SIMD multiply-add peak of one core in this module, GFLOP/s, over about `ms` milliseconds: the
   * benchmark's and the profile's "fraction of peak" (src/peak.c; called in short runs so that V8 tiers it up). */
  peakGflops(ms = 1000) {
    const p = this.alloc(8);
    try {
      for (let i = 0; i < 200; i++) this.M._ae_wasm_peak(20000, p); // warm-up and tier-up
      let flops = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < ms) { this.M._ae_wasm_peak(200000, p); flops += this.M.HEAPF64[p >> 3]; }
      return flops / ((performance.now() - t0) / 1000) / 1e9;
    } finally {
      this.free(p);
    }
  }

  /** PNG bytes of n tiles (h, w) in [0,1], laid out in `cols` columns. */
  pngGrid(tiles, n, h, w, cols, scale = 2) {
    checkRows('pngGrid', tiles, n, h * w);
    return this.withFloats(tiles.length, (p) => this.takeBuffer((pp, lp) => this.M._ae_wasm_png_grid(p, n, h, w, cols, scale, pp, lp)), tiles).r;
  }
}

class Handle {
  constructor(ae, handle) {
    this.ae = ae;
    this.handle = handle;
  }
  destroy() {
    if (this.handle) this.ae.check(this.ae.M._ae_wasm_destroy(this.handle));
    this.handle = 0;
  }
}

export class Dataset extends Handle {
  constructor(ae, h) {
    super(ae, h);
    this.refresh();
  }
  refresh() {
    const ae = this.ae;
    const p = ae.alloc(28);
    try {
      ae.check(ae.M._ae_wasm_dataset_info(this.handle, p));
      let floats;
      [this.n, this.rows, this.cols, this.nClasses, floats, this.storedRows, this.storedCols] = ae.M.HEAP32.slice(p >> 2, (p >> 2) + 7);
      this.floats = floats === 1; // values as given, not uint8 pixels / 255
    } finally {
      ae.free(p);
    }
  }
  get dim() {
    return this.rows * this.cols;
  }
  /**
   * Read the images at rows×cols from now on, drawn from the stored ones a batch at a time (bilinear): MNIST
   * at 100×100 for a 10000-20-10000 model without holding 600 MB. The stored size undoes it.
   */
  drawAt(rows, cols) {
    this.ae.check(this.ae.M._ae_wasm_dataset_draw_at(this.handle, rows, cols));
    this.refresh();
    return this;
  }
  /** A new Dataset reading this one's items without a copy (this one cannot be destroyed while it lives). */
  view() {
    return new Dataset(this.ae, this.ae.check(this.ae.M._ae_wasm_dataset_view(this.handle)));
  }
  /** Fill item i from a PNG or JPEG file's bytes (Uint8Array): grey, centre-cropped, resized to the item's size. */
  setImage(i, bytes) {
    this.ae.withBytes(bytes, (p, n) => this.ae.check(this.ae.M._ae_wasm_dataset_set_image(this.handle, i, p, n)));
  }
  /** Keep only the first n items. */
  limit(n) {
    this.ae.check(this.ae.M._ae_wasm_dataset_limit(this.handle, n));
    this.refresh();
    return this;
  }
  /** Move items keep.. into a new Dataset (returned) and keep the first `keep` here: a held-out set. */
  split(keep) {
    const tail = new Dataset(this.ae, this.ae.check(this.ae.M._ae_wasm_dataset_split(this.handle, keep)));
    this.refresh();
    return tail;
  }
  /** Rows first..first+B as floats, (B, dim): pixels in [0,1], a float dataset's values as they are. */
  batch(first, B) {
    return this.ae.withFloats(B * this.dim, (p) => this.ae.check(this.ae.M._ae_wasm_dataset_batch(this.handle, first, B, p))).out;
  }
  labels(first, n) {
    const ae = this.ae;
    const p = ae.alloc(n);
    try {
      ae.check(ae.M._ae_wasm_dataset_labels(this.handle, first, n, p));
      return ae.M.HEAPU8.slice(p, p + n);
    } finally {
      ae.free(p);
    }
  }
}

export class Model extends Handle {
  constructor(ae, h) {
    super(ae, h);
    const p = ae.alloc(4 * (6 + 17 + 2 * 16 + 3 * 17));
    try {
      const k = ae.check(ae.M._ae_wasm_model_info(h, p));
      const v = ae.M.HEAP32.slice(p >> 2, (p >> 2) + k);
      const L = v[0];
      this.nLayers = L;
      this.code = v[1];
      this.maxBatch = v[2];
      this.loss = LOSSES[v[3]];
      this.init = INITS[v[4]];
      this.nParams = v[5];
      this.sizes = Array.from(v.slice(6, 7 + L));
      this.activations = Array.from(v.slice(7 + L, 7 + 2 * L), (a) => ACTIVATIONS[a]);
      this.kinds = Array.from(v.slice(7 + 2 * L, 7 + 3 * L), (a) => LAYERS[a]);
      // shapes[i] = [channels, height, width] of the input (i = 0) and of layer i-1's output
      this.shapes = Array.from({ length: L + 1 }, (_, i) => Array.from(v.slice(7 + 3 * L + 3 * i, 10 + 3 * L + 3 * i)));
    } finally {
      ae.free(p);
    }
    this.spec = ae.withBytes(new Uint8Array(1024), (q, n) => {
      ae.check(ae.M._ae_wasm_model_spec(h, q, n));
      return ae.readCString(q);
    });
  }
  get inputSize() {
    return this.sizes[0];
  }
  get outputSize() {
    return this.sizes[this.nLayers];
  }
  get codeSize() {
    return this.sizes[this.code];
  }
  /** A copy of the flat parameter block: layer by layer, each layer's tensors in order (dense: W (out, in),
   * then b (out)). */
  params() {
    const p = this.ae.M._ae_wasm_model_params(this.handle);
    if (!p) throw new AelabError(this.ae.lastError());
    return this.ae.M.HEAPF32.slice(p >> 2, (p >> 2) + this.nParams);
  }
  /** Layer l's tensor k as { data (a copy), dims } (dense: 0 is the weight (out, in), 1 the bias (out)). */
  tensor(l, k) {
    const ae = this.ae;
    return ae.withBytes(new Uint8Array(20), (q) => {
      const p = ae.M._ae_wasm_model_tensor(this.handle, l, k, q);
      if (!p) throw new AelabError(ae.lastError());
      const d = ae.M.HEAP32.slice(q >> 2, (q >> 2) + 5);
      const dims = Array.from(d.slice(1, 1 + d[0]));
      return { data: ae.M.HEAPF32.slice(p >> 2, (p >> 2) + dims.reduce((a, b) => a * b, 1)), dims };
    });
  }
  /** Layer l's weights (its first tensor) as a copy. */
  weights(l) {
    return this.tensor(l, 0).data;
  }
  reset(seed) {
    this.ae.check(this.ae.M._ae_wasm_model_reset(this.handle, seed >>> 0));
  }
  /** Start the output bias at the data's mean pixel (sigmoid or linear outputs; throws for others): for a
   * fresh autoencoder, so that its first steps learn the digits' shapes rather than their average
   * brightness. A trained or loaded model keeps its biases unless this is called. */
  initOutputBias(data) {
    this.ae.check(this.ae.M._ae_wasm_model_init_output_bias(this.handle, data.handle));
  }
  /** Run fn(handle, in, B, out) over B rows of width inW, returning (B, outW). */
  mapRows(fn, x, B, inW, outW) {
    checkRows('model', x, B, inW);
    const ae = this.ae;
    const pin = ae.alloc(B * inW * 4);
    try {
      ae.M.HEAPF32.set(x.subarray(0, B * inW), pin >> 2);
      return ae.withFloats(B * outW, (po) => ae.check(fn(this.handle, pin, B, po))).out;
    } finally {
      ae.free(pin);
    }
  }
  /** x (B, in) -> output (B, out). */
  forward(x, B) {
    return this.mapRows(this.ae.M._ae_wasm_model_forward, x, B, this.inputSize, this.outputSize);
  }
  /** Every tensor one example x (in) makes on its way through: [{ shape: [c, h, w], data }] for the input
   * and each layer's output, data channels last ((y·w + x)·c + ch). For feature maps. */
  layers(x) {
    checkRows('model', x, 1, this.inputSize);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    const all = this.mapRows((h, pin, B, po) => this.ae.M._ae_wasm_model_layers(h, pin, po), x, 1, this.inputSize, total);
    let k = 0;
    return this.sizes.map((n, i) => {
      const t = { shape: this.shapes[i], data: all.subarray(k, k + n) };
      k += n;
      return t;
    });
  }
  /** x (B, in) -> code (B, codeSize): the encoder alone. */
  encode(x, B) {
    return this.mapRows(this.ae.M._ae_wasm_model_encode, x, B, this.inputSize, this.codeSize);
  }
  /** code (B, codeSize) -> output (B, out): the decoder alone. */
  decode(code, B) {
    return this.mapRows(this.ae.M._ae_wasm_model_decode, code, B, this.codeSize, this.outputSize);
  }
  /** The model as .safetensors bytes. */
  save() {
    return this.ae.takeBuffer((pp, lp) => this.ae.M._ae_wasm_model_save(this.handle, pp, lp));
  }
  /** { loss, correct } over a dataset; the target is the input, or the label when supervised. */
  evaluate(data, supervised = false) {
    const ae = this.ae;
    const p = ae.alloc(16);
    try {
      ae.check(ae.M._ae_wasm_evaluate(this.handle, data.handle, supervised ? 1 : 0, p));
      return { loss: ae.M.HEAPF64[p >> 3], correct: ae.M.HEAPF64[(p >> 3) + 1] };
    } finally {
      ae.free(p);
    }
  }
  /** Each layer's gradient norm from the last training step, ‖∂L/∂W‖ over its weights (biases left out);
   * 0 for a layer the step did not reach (frozen below the trained range) and for layers without weights. */
  gradNorms() {
    const ae = this.ae, L = this.nLayers;
    const p = ae.alloc(8 * L);
    try {
      ae.check(ae.M._ae_wasm_model_grad_norms(this.handle, p));
      return ae.M.HEAPF64.slice(p >> 3, (p >> 3) + L);
    } finally {
      ae.free(p);
    }
  }
  /** Time each layer's forward and backward passes from now on (`aelab bench --profile`'s clock around each
   * layer): training steps, and any evaluation run meanwhile. Returns stop(): it ends the profile and gives, per
   * layer, the seconds summed since, [{ forward, backward }]; called again, null. Profiling changes no result. */
  profile() {
    const ae = this.ae, L = this.nLayers;
    if (this.profiling) throw new AelabError('this model is already being profiled');
    const p = ae.alloc(16 * L);
    ae.M.HEAPF64.fill(0, p >> 3, (p >> 3) + 2 * L);
    ae.check(ae.M._ae_wasm_model_profile(this.handle, p));
    const stop = () => {
      if (this.profiling !== stop) return null; // stopped already: its buffer is gone
      this.profiling = null;
      if (this.handle) ae.check(ae.M._ae_wasm_model_profile(this.handle, 0));
      const s = ae.M.HEAPF64.slice(p >> 3, (p >> 3) + 2 * L);
      ae.free(p);
      return Array.from({ length: L }, (_, l) => ({ forward: s[2 * l], backward: s[2 * l + 1] }));
    };
    this.profiling = stop;
    return stop;
  }
  /** Floating-point operations of one training sample: layer l's forward or backward pass, or the whole step
   * (no argument). Products only, as `aelab bench` counts them. */
  flops(l = -1, backward = false) {
    if (!this.handle) throw new AelabError('this model was destroyed');
    if (!(Number.isInteger(l) && l >= -1 && l < this.nLayers)) throw new AelabError(`layer ${l}: the model has layers 0 to ${this.nLayers - 1}`);
    return this.ae.M._ae_wasm_model_flops(this.handle, l, backward ? 1 : 0);
  }
  destroy() {
    const stop = this.profiling;
    super.destroy(); // refused while a job uses the model: then the profile goes on
    stop?.(); // the model is gone: only the profile's buffer is left to free
  }
  /** PNG of the first layer's filters, the first 256, each stretched to its own range, `cols` to a row, each
   * weight drawn scale×scale: a dense layer's rows of W as h×w images; a conv layer's K×K kernels, one per
   * (filter, input channel), filter by filter (h and w ignored). Other first layers are refused. */
  filtersPng(h, w, cols = 16, scale = 2) {
    return this.ae.takeBuffer((pp, lp) => this.ae.M._ae_wasm_png_filters(this.handle, h, w, cols, scale, pp, lp));
  }
}

export class Job extends Handle {
  constructor(ae, h, model, data, cfg) {
    super(ae, h);
    this.model = model;
    this.data = data;
    this.cfg = cfg;
    this.out = ae.alloc(8 * 18); // kept for the job's life: run() is called many times
    this.spec = ae.withBytes(new Uint8Array(512), (p, n) => {
      ae.check(ae.M._ae_wasm_job_spec(h, p, n));
      return ae.readCString(p);
    });
  }
  /**
   * Train up to `steps` minibatches (stopping at the end of an epoch when stopAtEpoch, and when the planned
   * epochs are done). Returns { steps, loss, meanLoss, epoch, step, pos, stepsPerEpoch, samples, done,
   * epochEnded, testLoss, testAcc, testNoisyLoss, trainAcc, epochEnds, epochs, phase, phases, phaseEnded }: pos is the item
   * the next batch starts at within its epoch; a job of phases stops at a phase's end (phaseEnded; phase is
   * then the next one, and epoch, epochs and stepsPerEpoch describe it); epochEnds lists { epoch, phase, testLoss, testAcc, testNoisyLoss, trainAcc } for every epoch this call completed
   * (the test set's numbers NaN without one; testNoisyLoss, the loss of corrupted test inputs against clean
   * ones, NaN unless a reconstruction job has noise); the others are the latest. On divergence (a loss that is not
   * finite or exceeds divergeFactor times its reference) throws an AelabError with code -5 whose message
   * names the loss and its reference; the model and this job are then back at the start of the last step
   * whose loss was sound (weights, optimizer moments and step counts), and this.state says where that is.
   */
  run(steps, stopAtEpoch = false) {
    const ae = this.ae;
    const epochEnds = [];
    let done = 0, sum = 0, samples = 0, rc = 0, o;
    do { // the engine stops each call at an epoch's end; go on across it unless asked not to
      rc = ae.M._ae_wasm_job_step(this.handle, steps - done, this.out);
      o = ae.M.HEAPF64.slice(this.out >> 3, (this.out >> 3) + 18);
      done += o[12];
      samples += o[13];
      sum += o[14];
      if (o[7]) epochEnds.push({ epoch: o[1], phase: o[16] && !o[6] ? o[4] - 1 : o[4], testLoss: o[10], testAcc: o[11], testNoisyLoss: o[15], trainAcc: o[17] });
    } while (rc > 0 && done < steps && !o[6] && !(stopAtEpoch && o[7]) && !o[16]);
    this.state = { steps: done, loss: o[9], meanLoss: done ? sum / done : 0, epoch: o[1], epochs: o[2], step: o[0], pos: o[8], stepsPerEpoch: o[3],
                   phase: o[4], phases: o[5], phaseEnded: !!o[16], samples, done: !!o[6], epochEnded: !!o[7], testLoss: o[10], testAcc: o[11],
                   testNoisyLoss: o[15], trainAcc: o[17], epochEnds };
    ae.check(rc);
    return this.state;
  }
  /** What phase p (0-based) does, in words. */
  phaseName(p) {
    return this.ae.withBytes(new Uint8Array(512), (b, n) => {
      this.ae.check(this.ae.M._ae_wasm_job_phase_name(this.handle, p, b, n));
      return this.ae.readCString(b);
    });
  }
  /** x (B, input) as the job reconstructs it, in input space: level -1, now (a "pretrain" job's stack as far
   * as pretraining has reached, decoded back to pixels through the layers below); level L, through the
   * classifier's first L layers once they are pretrained (throws for the baseline or a level not reached). */
  reconstruct(x, B, level = -1) {
    const ae = this.ae, w = this.model.inputSize;
    checkRows('job', x, B, w);
    const pin = ae.alloc(B * w * 4);
    try {
      ae.M.HEAPF32.set(x.subarray(0, B * w), pin >> 2);
      return ae.withFloats(B * w, (po) => ae.check(ae.M._ae_wasm_job_reconstruct(this.handle, level, pin, B, po))).out;
    } finally {
      ae.free(pin);
    }
  }
  /** PNG of the first-layer filters of the model the phase trains now (throws when it does not read the
   * h×w images): a layer pretrained on the images, live. */
  filtersPng(h, w, cols = 16, scale = 2) {
    return this.ae.takeBuffer((pp, lp) => this.ae.M._ae_wasm_job_png_filters(this.handle, h, w, cols, scale, pp, lp));
  }
  destroy() {
    super.destroy();
    this.ae.free(this.out);
    this.out = 0;
  }
}

// ---- IDX files, gzip-compressed or not ----

/** The most an IDX file may hold, inflated or read as it is. The engine holds a new dataset twice while it
 * takes it in (the bytes handed over, then its own copy), next to the data and model already loaded, within
 * the builds' 2 GiB of memory: 512 MiB leaves room for all of that. */
export const MAX_IDX_BYTES = 2 ** 29;
// Compressed bytes handed to the inflater at a time. Deflate inflates at most about 1032:1, so the output
// runs at most about 17 MB ahead of the check below: that bounds a gzip bomb's cost, not the file's size.
// A Blob is read a larger piece at a time (reading one is asynchronous, in a browser another process's work).
const INFLATE_SLICE = 16384;
const BLOB_PIECE = 1 << 20;
const IDX_ELEMENT_BYTES = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** What the IDX header at the start of `head` declares: { bytes, what }, with bytes = 4 + 4·ndims (the
 * header) + the product of the dimensions times the element size (16 + n·rows·cols for images, 8 + n for
 * labels); null while head is too short to tell. Throws if head cannot start an IDX file or declares more
 * than `limit` bytes. */
function idxDeclared(head, name, limit) {
  if (head.length < 4) return null;
  const type = head[2], nd = head[3];
  if (head[0] !== 0 || head[1] !== 0 || !IDX_ELEMENT_BYTES[type] || nd < 1) {
    const start = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new AelabError(`${name} inflates to something that is not an IDX file (it starts ${start}; IDX images start 00 00 08 03, labels 00 00 08 01); refused`);
  }
  if (head.length < 4 + 4 * nd) return null;
  const v = new DataView(head.buffer, head.byteOffset, 4 + 4 * nd);
  const dims = Array.from({ length: nd }, (_, i) => v.getUint32(4 + 4 * i));
  const bytes = 4 + 4 * nd + dims.reduce((p, d) => p * d, IDX_ELEMENT_BYTES[type]);
  const what = `${dims.join(' × ')} values${IDX_ELEMENT_BYTES[type] > 1 ? ` of ${IDX_ELEMENT_BYTES[type]} bytes` : ''} and ${4 + 4 * nd} bytes of header`;
  if (bytes > limit) throw new AelabError(`${name} has an IDX header that declares ${formatBytes(bytes)} (${what}), more than the ${formatBytes(limit)} aelab reads; refused`);
  return { bytes, what };
}

/**
 * The bytes of an IDX file given as a Uint8Array, an ArrayBuffer or a Blob (such as a File), inflated if it
 * is gzip-compressed. Inflating streams (DecompressionStream, in browsers and Node alike) and stops as soon
 * as the output passes what the file's own IDX header declares, so a gzip bomb is refused after a few MB
 * of output instead of all of it, and its stream is cancelled. A header that declares more than `limit`
 * bytes (MAX_IDX_BYTES, 512 MiB) is refused as soon as it is read, and a plain Blob larger than that before
 * it is read. Output shorter than declared is returned for the IDX parser to refuse. Plain bytes pass
 * through. `name` names the file in messages.
 */
export async function gunzipIfNeeded(input, { name = 'the file', limit = MAX_IDX_BYTES } = {}) {
  const blob = typeof Blob === 'function' && input instanceof Blob ? input : null;
  const u8 = blob ? null : input instanceof Uint8Array ? input : new Uint8Array(input);
  const size = blob ? blob.size : u8.length;
  const magic = blob ? new Uint8Array(await blob.slice(0, 2).arrayBuffer()) : u8.subarray(0, 2);
  if (magic.length < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) {
    if (!blob) return u8;
    if (size > limit) throw new AelabError(`${name} is ${formatBytes(size)}, more than the ${formatBytes(limit)} aelab reads; refused`);
    return new Uint8Array(await blob.arrayBuffer());
  }
  // the compressed bytes a slice per pull, so that the inflater gets no further ahead than the reader
  let piece = u8 ?? new Uint8Array(0), pieceAt = 0, offset = 0; // piece holds bytes pieceAt.. of the input
  const source = new ReadableStream({
    async pull(c) {
      if (offset >= size) return c.close();
      if (offset >= pieceAt + piece.length) {
        piece = new Uint8Array(await blob.slice(offset, Math.min(size, offset + BLOB_PIECE)).arrayBuffer());
        pieceAt = offset;
      }
      const end = Math.min(pieceAt + piece.length, offset + INFLATE_SLICE);
      c.enqueue(piece.subarray(offset - pieceAt, end - pieceAt));
      offset = end;
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(new DecompressionStream('gzip')).getReader();
  let out = new Uint8Array(0), got = 0, idx = null;
  try {
    for (;;) {
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        throw new AelabError(`${name} is not valid gzip: it starts like gzip but does not inflate (${String(e.message).replace(/\.$/, '')})`);
      }
      if (r.done) break;
      if (got + r.value.length > out.length) {
        // doubling, but never past what the header declares: memory follows the output, not the claim
        let cap = Math.max(2 * out.length, got + r.value.length, 1 << 20);
        if (idx) cap = Math.max(Math.min(cap, idx.bytes), got + r.value.length);
        const bigger = new Uint8Array(cap);
        bigger.set(out.subarray(0, got));
        out = bigger;
      }
      out.set(r.value, got);
      got += r.value.length;
      idx ??= idxDeclared(out.subarray(0, got), name, limit);
      if (idx && got > idx.bytes) throw new AelabError(`${name} inflates past the ${idx.bytes.toLocaleString('en')} bytes its IDX header declares (${idx.what}); refused`);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
  return out.subarray(0, got);
}
