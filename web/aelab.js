// aelab.js: the one JS module over the WebAssembly core, used unchanged by the page's Web Worker and by
// Node. It loads the threads build where shared memory is allowed, else the SIMD build where WebAssembly
// SIMD validates, else the scalar build, and wraps
// the C exports (src/wasm.c) in small classes that hold handles. Every C error becomes an AelabError
// carrying the C message.
//
// Tensors cross the boundary as Float32Array, row-major: a batch of B images of D pixels is (B, D).

const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'softmax'];
export const LOSSES = ['mse', 'bce', 'softmax_ce'];
export const INITS = ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal'];
export const OPTIMIZERS = ['sgd', 'adam'];
export const NOISES = ['none', 'gaussian', 'mask', 'salt_pepper'];

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
  }

  get heapBytes() {
    return this.M.HEAPU8.length;
  }

  // ---- memory helpers: every allocation is freed in a finally block ----
  alloc(bytes) {
    const p = this.M._malloc(Math.max(bytes, 1));
    if (!p) throw new AelabError(`out of wasm memory allocating ${bytes} bytes`);
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
    return this.decoder.decode(h.subarray(p, e));
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
   * A model from a spec: { sizes: '784-32-784', hidden: 'relu', code, output: 'sigmoid', loss: 'bce',
   * init: 'glorot_uniform', maxBatch: 256, seed: 1 }.
   */
  model(spec = {}) {
    const s = { sizes: '784-32-784', hidden: 'relu', output: 'sigmoid', loss: 'bce', init: 'glorot_uniform', maxBatch: 256, seed: 1, ...spec };
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
   * A trainer: { batch: 256, optimizer: 'adam', lr, momentum: 0.9, weightDecay: 0, seed: 1,
   * noise: 'none', noiseLevel: 0.3, supervised: false, meanOutputBias: true }.
   */
  trainer(model, data, cfg = {}) {
    const c = { batch: 256, optimizer: 'adam', momentum: 0.9, weightDecay: 0, seed: 1, noise: 'none', noiseLevel: 0.3, supervised: false, meanOutputBias: true, ...cfg };
    const opt = OPTIMIZERS.indexOf(c.optimizer);
    if (opt < 0) throw new AelabError(`unknown optimizer '${c.optimizer}' (${OPTIMIZERS.join(', ')})`);
    const noise = NOISES.indexOf(c.noise);
    if (noise < 0) throw new AelabError(`unknown noise '${c.noise}' (${NOISES.join(', ')})`);
    const lr = c.lr ?? (c.optimizer === 'adam' ? 1e-3 : 0.01);
    const h = this.check(this.M._ae_wasm_trainer_create(model.handle, data.handle, c.batch, opt, lr, c.momentum, c.weightDecay,
      c.seed >>> 0, noise, c.noiseLevel, c.supervised ? 1 : 0, c.meanOutputBias ? 1 : 0));
    return new Trainer(this, h, model, data, c);
  }

  /** Corrupt x (Float32Array, values in [0,1]) in a copy: the same noise as training uses. */
  corrupt(x, kind, level, seed = 1) {
    const k = NOISES.indexOf(kind);
    if (k < 0) throw new AelabError(`unknown noise '${kind}'`);
    return this.withFloats(x.length, (p) => this.check(this.M._ae_wasm_corrupt(k, level, seed >>> 0, p, x.length)), x).out;
  }

  /** PNG bytes of n tiles (h, w) in [0,1], laid out in `cols` columns. */
  pngGrid(tiles, n, h, w, cols, scale = 2) {
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
    const p = ae.alloc(16);
    try {
      ae.check(ae.M._ae_wasm_dataset_info(this.handle, p));
      [this.n, this.rows, this.cols, this.nClasses] = ae.M.HEAP32.slice(p >> 2, (p >> 2) + 4);
    } finally {
      ae.free(p);
    }
  }
  get dim() {
    return this.rows * this.cols;
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
  /** Rows first..first+B as floats in [0,1], (B, dim). */
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
    const p = ae.alloc(4 * (6 + 2 * 17 + 1));
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
    } finally {
      ae.free(p);
    }
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
  get spec() {
    return this.sizes.join('-');
  }
  /** A copy of the flat parameter block: for layer l, W (out, in) then b (out). */
  params() {
    const p = this.ae.M._ae_wasm_model_params(this.handle);
    if (!p) throw new AelabError(this.ae.lastError());
    return this.ae.M.HEAPF32.slice(p >> 2, (p >> 2) + this.nParams);
  }
  /** Layer l's weights (out, in) as a copy. */
  weights(l) {
    const all = this.params();
    let off = 0;
    for (let i = 0; i < l; i++) off += this.sizes[i] * this.sizes[i + 1] + this.sizes[i + 1];
    return all.slice(off, off + this.sizes[l] * this.sizes[l + 1]);
  }
  reset(seed) {
    this.ae.check(this.ae.M._ae_wasm_model_reset(this.handle, seed >>> 0));
  }
  /** Run fn(handle, in, B, out) over B rows of width inW, returning (B, outW). */
  mapRows(fn, x, B, inW, outW) {
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
  /** PNG of the first layer's filters, each as an h×w image. */
  filtersPng(h, w, cols = 16, scale = 2) {
    return this.ae.takeBuffer((pp, lp) => this.ae.M._ae_wasm_png_filters(this.handle, h, w, cols, scale, pp, lp));
  }
}

export class Trainer extends Handle {
  constructor(ae, h, model, data, cfg) {
    super(ae, h);
    this.model = model;
    this.data = data;
    this.cfg = cfg;
    this.out = ae.alloc(8 * 8); // kept for the trainer's life: run() is called many times
  }
  /**
   * Train up to `steps` minibatches (stopping at the end of an epoch when stopAtEpoch).
   * Returns { steps, loss, meanLoss, epoch, step, pos, stepsPerEpoch, samples }. On divergence throws
   * an AelabError with code -5; the model then holds the last weights that gave a finite loss.
   */
  run(steps, stopAtEpoch = false) {
    const ae = this.ae;
    const rc = ae.M._ae_wasm_trainer_run(this.handle, steps, stopAtEpoch ? 1 : 0, this.out);
    const o = ae.M.HEAPF64.subarray(this.out >> 3, (this.out >> 3) + 7);
    this.state = { steps: Math.max(rc, 0), loss: o[0], meanLoss: o[1], epoch: o[2], step: o[3], pos: o[4], stepsPerEpoch: o[5], samples: o[6] };
    ae.check(rc);
    return this.state;
  }
  destroy() {
    super.destroy();
    this.ae.free(this.out);
    this.out = 0;
  }
}

/** Inflate gzip bytes (browser: DecompressionStream; Node: node:zlib). Plain bytes pass through. */
export async function gunzipIfNeeded(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length < 2 || u8[0] !== 0x1f || u8[1] !== 0x8b) return u8;
  if (typeof DecompressionStream === 'function' && typeof Response === 'function') {
    try {
      const stream = new Blob([u8]).stream().pipeThrough(new DecompressionStream('gzip'));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      throw new AelabError(`the file looks gzip-compressed but does not inflate: ${e.message}`);
    }
  }
  const zlib = await import('node:zlib');
  return new Uint8Array(zlib.gunzipSync(u8));
}
