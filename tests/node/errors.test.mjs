// Bad input and wrong API use reach JS as AelabError exceptions carrying the C message; nothing crashes
// and the engine keeps working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAelab, mnist, AelabError } from './helpers.mjs';

const ae = await loadAelab();

function throwsC(fn, pattern) {
  assert.throws(fn, (e) => e instanceof AelabError && pattern.test(e.message), `expected an AelabError matching ${pattern}`);
}

test('malformed IDX files are rejected with the reason', async () => {
  const good = await mnist('t10k-images-idx3-ubyte');
  throwsC(() => ae.dataset(new Uint8Array(0)), /empty/);
  throwsC(() => ae.dataset(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /wrong magic/);
  throwsC(() => ae.dataset(good.subarray(0, 1000)), /truncated.*10000 images of 28×28/);
  throwsC(() => ae.dataset(new Uint8Array([0x1f, 0x8b, 8, 0])), /gzip/);
  const huge = new Uint8Array(16);
  huge.set([0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
  throwsC(() => ae.dataset(huge), /items|pixels/);
  const labels = await mnist('train-labels-idx1-ubyte');
  throwsC(() => ae.dataset(good, labels), /60000 labels but the image file has 10000/);
  // still works
  assert.equal(ae.dataset(good).n, 10000);
});

test('bad architectures, model files and handles', async () => {
  throwsC(() => ae.model({ sizes: '784-x-784' }), /unknown layer 'x'; layers are written like 32 \(dense\)/);
  throwsC(() => ae.model({ sizes: '784-32-784', output: 'relu', loss: 'bce' }), /sigmoid/);
  throwsC(() => ae.model({ sizes: '784-32-784', hidden: 'swish' }), /unknown activation 'swish'/);
  throwsC(() => ae.model({ sizes: '784-32-784', maxBatch: 0 }), /batch size/);
  throwsC(() => ae.loadModel(new Uint8Array([1, 2, 3])), /truncated/);
  const m = ae.model({ sizes: '784-16-784' });
  const bytes = m.save();
  throwsC(() => ae.loadModel(bytes.subarray(0, bytes.length - 1)), /truncated|data bytes/);
  const back = ae.loadModel(bytes);
  assert.deepEqual(back.params(), m.params());
  const data = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  const small = ae.dataset(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]));
  throwsC(() => ae.trainer(m, small), /4 pixels.*784/);
  const t = ae.trainer(m, data, { batch: 64 });
  throwsC(() => m.destroy(), /in use by 1 job/);
  t.destroy();
  m.destroy();
  throwsC(() => m.forward(new Float32Array(784), 1), /invalid model handle/);
  throwsC(() => ae.trainer(back, data, { batch: 100000 }), /batch size/);
  throwsC(() => ae.trainer(back, data, { lr: -1 }), /learning rate/);
  assert.throws(() => ae.trainer(back, data, { optimizer: 'rmsprop' }), /unknown optimizer/);
});

test('a model file with NaN or infinite weights, and a label file with a stray label, are refused', async () => {
  const m = ae.model({ sizes: '784-16-784' });
  const bytes = m.save();
  const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const bad = bytes.slice();
  new DataView(bad.buffer).setFloat32(8 + hlen + 4 * (3 * 784 + 100), NaN, true); // layers.0.weight (16, 784): row 3, column 100
  throwsC(() => ae.loadModel(bad), /tensor "layers.0.weight" holds NaN at \[3, 100\]/);
  const inf = bytes.slice();
  new DataView(inf.buffer).setFloat32(inf.length - 4, -Infinity, true);
  throwsC(() => ae.loadModel(inf), /tensor "layers.1.bias" holds -Inf at \[783\]/);
  const images = await mnist('t10k-images-idx3-ubyte');
  const labels = (await mnist('t10k-labels-idx1-ubyte')).slice();
  labels[8 + 1234] = 200;
  throwsC(() => ae.dataset(images, labels), /largest label, 200 \(first at item 1234, counting from 0\), would make 201 classes, but only 11 of them occur/);
  labels[8 + 1234] = 9;
  assert.equal(ae.dataset(images, labels).nClasses, 10);
});

test('sizes past 32 bits are refused with what they would need, never wrapped (wasm32)', async () => {
  for (const variant of ['simd', 'threads', 'scalar']) {
    const e = await loadAelab({ variant, threads: 2 });
    // 866 million parameters; 8.6 billion: both were accepted and ran off their memory before
    assert.throws(() => e.model({ sizes: '784-65536-12288-784' }), (x) => x instanceof AelabError &&
      /model 784-65536-12288-784 would need 24 GiB of memory \(866398992 parameters.*at most 2 GiB \(WebAssembly's 32-bit memory\)/.test(x.message), variant);
    assert.throws(() => e.model({ sizes: '65536-65536-65536', maxBatch: 1 }), (x) => x instanceof AelabError && /would need 232 GiB.*8590065664 parameters/.test(x.message), variant);
    assert.equal(e.model({ sizes: '784-32-784' }).nParams, 50992, `${variant} still works`);
  }
  // an IDX header whose n·rows·cols is 10^8 · 2^20 bytes: the right number, not one wrapped to 32 bits
  const hdr = new Uint8Array(32);
  hdr.set([0, 0, 8, 3, 0x05, 0xf5, 0xe1, 0x00, 0, 0, 4, 0, 0, 0, 4, 0]);
  throwsC(() => ae.dataset(hdr), /promises 100000000 images of 1024×1024 \(104857600000000 bytes\) but only 16 bytes follow/);
  // a PNG grid 65535·(4096·16+1)+1 = 2^32 pixels wide, which wrapped to 0: refused before a tile is read
  const M = ae.M;
  const pp = ae.alloc(16);
  try {
    const rc = M._ae_wasm_png_grid(pp, 65535, 1, 4096, 65535, 16, pp + 8, pp + 12);
    assert.ok(rc < 0 && /4294967296x18 pixels is too large/.test(ae.lastError()), ae.lastError());
  } finally {
    ae.free(pp);
  }
  // JS checks sizes before they reach a 32-bit malloc or a C loop
  assert.throws(() => ae.alloc(2 ** 32 + 16), /more than WebAssembly's memory can hold/);
  throwsC(() => ae.pngGrid(new Float32Array(10), 3, 2, 2, 3), /3 rows of 4 need 12 values, but 10 were given/);
  const m = ae.model({ sizes: '784-16-784' });
  throwsC(() => m.forward(new Float32Array(784), 2), /2 rows of 784 need 1568 values/);
  throwsC(() => m.encode(new Float32Array(784), 0), /0 rows/);
  // the raw exports refuse negative lengths and counts
  assert.ok(M._ae_wasm_dataset_idx(0, -1, 0, 0) < 0 && /negative/.test(ae.lastError()));
  assert.ok(M._ae_wasm_model_load(0, -5, 8) < 0 && /negative/.test(ae.lastError()));
  assert.ok(M._ae_wasm_corrupt(1, 0.5, 1, 0, -3) < 0 && /corrupt: -3 values/.test(ae.lastError()));
});

test('a dataset in use by a job cannot be limited or split', async () => {
  const data = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  const m = ae.model({ sizes: '784-16-784', maxBatch: 64 });
  const t = ae.trainer(m, data, { batch: 64 });
  t.run(3);
  throwsC(() => data.limit(100), /cannot limit a dataset that 1 job\(s\) or view\(s\) use/);
  throwsC(() => data.split(5000), /cannot split a dataset that 1 job\(s\) or view\(s\) use/);
  assert.equal(data.n, 10000);
  assert.equal(t.run(2).steps, 2, 'the trainer goes on');
  t.destroy();
  assert.equal(data.limit(100).n, 100, 'free again once the trainer is gone');
});

test('the output bias starts at the data mean only when asked; a loaded model keeps its own', async () => {
  const data = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  const m = ae.model({ sizes: '784-16-784', seed: 2 });
  const bias = (model) => model.params().slice(-784);
  assert.ok(bias(m).every((b) => b === 0));
  m.initOutputBias(data);
  assert.ok(bias(m)[0] < -6 && bias(m)[400] > -6, 'logit of the mean: the corner pixel is always 0');
  const t = ae.trainer(m, data);
  t.run(40);
  t.destroy();
  const loaded = ae.loadModel(m.save());
  const before = bias(loaded);
  const lossBefore = loaded.evaluate(data).loss;
  const t2 = ae.trainer(loaded, data); // a default trainer
  assert.deepEqual(bias(loaded), before, 'making a trainer changed a loaded model\'s output bias');
  t2.run(1);
  assert.ok(loaded.evaluate(data).loss < lossBefore + 0.005, 'one more step made the loaded model much worse');
  throwsC(() => ae.model({ sizes: '784-16-784', output: 'tanh', loss: 'mse' }).initOutputBias(data), /sigmoid or linear output, not tanh/);
});

test('a diverging run throws, and the model keeps its last good weights', async () => {
  const data = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  const m = ae.model({ sizes: '784-32-784', hidden: 'linear', output: 'linear', loss: 'mse' });
  const t = ae.trainer(m, data, { optimizer: 'sgd', lr: 1e6 });
  let err;
  for (let i = 0; i < 200 && !err; i++) {
    try {
      t.run(1);
    } catch (e) {
      err = e;
    }
  }
  assert.ok(err instanceof AelabError && err.code === -5 && /diverged/.test(err.message), String(err));
  assert.ok(m.params().every(Number.isFinite), 'weights after divergence must be finite');
  const y = m.forward(data.batch(0, 2), 2);
  assert.ok(y.every(Number.isFinite));
});

test('a run that explodes but stays finite (Adam or SGD at lr 1e9) stops at once, back where it started; a sane run then goes on', async () => {
  const data = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  for (const optimizer of ['adam', 'sgd']) {
    const m = ae.model({ sizes: '784-32-784' });
    m.initOutputBias(data);
    const fresh = m.params();
    const t = ae.trainer(m, data, { optimizer, lr: 1e9 });
    let err;
    try {
      t.run(10);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof AelabError && err.code === -5, `${optimizer}: ${err}`);
    assert.match(err.message, /at step 2 \(epoch 1\): the batch loss \S+ is more than 100 times its reference 0\.69.*Step 1's update caused it, so the model and the run are back as they were before that update \(0 steps done\)\. Try a smaller learning rate/);
    assert.deepEqual(m.params(), fresh, `${optimizer}: the weights are not the last good ones`);
    assert.equal(t.state.step, 0);
    t.destroy();
    const sane = ae.trainer(m, data, { optimizer });
    const s = sane.run(30);
    assert.equal(s.steps, 30);
    assert.ok(s.loss < 0.3, `${optimizer} at its default rate after the divergence: loss ${s.loss}`);
    sane.destroy();
    // divergeFactor 0: only a loss that is not finite stops a run
    const off = ae.trainer(m, data, { optimizer, lr: 1e9, divergeFactor: 0 });
    assert.equal(off.run(3).steps, 3);
  }
  throwsC(() => ae.trainer(ae.model({ sizes: '784-16-784' }), data, { divergeFactor: 0.5 }), /divergence factor/);
});

test('threads: the threads build runs as many as asked (at most 8), the others one; all train', async () => {
  for (const [variant, asked, expect] of [['threads', 2, 2], ['threads', 64, 8], ['simd', 4, 1], ['scalar', 4, 1]]) {
    // 8 threads on this 2-core machine: slower than 2, but must work (no deadlock, same results)
    const e = await loadAelab({ variant, threads: asked });
    assert.equal(e.threads, expect, `${variant} asked for ${asked}`);
    const data = e.dataset(await mnist('t10k-images-idx3-ubyte')).limit(512);
    const model = e.model({ sizes: '784-16-784', maxBatch: 256, seed: 3 });
    const s = e.trainer(model, data, { batch: 256 }).run(2, true);
    assert.equal(s.steps, 2);
    assert.ok(Number.isFinite(s.loss));
  }
  await assert.rejects(loadAelab({ variant: 'gpu' }), /unknown build variant 'gpu'/);
});
