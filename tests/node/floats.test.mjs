// Float datasets (ae.floatDataset): the values go in and come out as the same bits; one seed trains to the
// same bits natively and in every wasm build (MNIST's pixels handed over as the floats x/255 that an IDX
// dataset makes of them, against the native CLI on the IDX file); data outside [0,1] (a layer's codes)
// gets its output bias from a double sum in item order, equal in every build; bad values are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AelabError, loadAelab, mnist, native, safetensorsParams, tmpdir } from './helpers.mjs';

const N = 3000;

/** The first n items of an IDX file's payload: images (16-byte header) as x/255 the way the engine rounds
 * it ((float)px * (float)(1/255), exact in a double before fround), labels (8-byte header) as an IDX file. */
function mnistFloats(images, n) {
  const k = Math.fround(1 / 255), x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(images[16 + i] * k);
  return x;
}
function labelFile(labels, n) {
  const b = new Uint8Array(8 + n);
  new DataView(b.buffer).setUint32(0, 0x801);
  new DataView(b.buffer).setUint32(4, n);
  b.set(labels.subarray(8, 8 + n), 8);
  return b;
}

const configs = [
  { name: 'denoising autoencoder, Adam', sizes: '784-32-784', hidden: 'relu', output: 'sigmoid', loss: 'bce', lr: 2e-3, noise: 'gaussian' },
  { name: 'supervised classifier (labels on a float dataset)', sizes: '784-32-10', hidden: 'relu', output: 'softmax', loss: 'softmax_ce', lr: 2e-3, noise: 'none', supervised: true },
];

for (const c of configs) {
  test(`a float dataset trains to the same bits natively, in wasm threads, SIMD and scalar: ${c.name}`, async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'native.safetensors');
    native(['train', '--arch', c.sizes, '--hidden', c.hidden, '--output', c.output, '--loss', c.loss, ...(c.supervised ? ['--supervised'] : []),
      '--opt', 'adam', '--lr', String(c.lr), '--batch', '128', '--seed', '7', '--noise', c.noise, '--noise-level', '0.25',
      '--train-limit', String(N), '--epochs', '2', '--max-steps', '40', '--output-bias', 'zero', '--out', file, '--quiet']);
    const nativeParams = safetensorsParams(fs.readFileSync(file));
    const images = await mnist('train-images-idx3-ubyte');
    const x = mnistFloats(images, N);
    const labels = c.supervised ? labelFile(await mnist('train-labels-idx1-ubyte'), N) : null;
    for (const variant of ['threads', 'simd', 'scalar']) {
      const ae = await loadAelab({ variant, threads: 2 });
      const data = ae.floatDataset(x, N, 28, 28, labels);
      assert.deepEqual([data.n, data.rows, data.cols, data.floats, data.nClasses], [N, 28, 28, true, c.supervised ? 10 : 0]);
      // the batch is the input's bits, and the bits an IDX dataset of the same file hands out
      const idx = ae.dataset(images).limit(N);
      assert.ok(!idx.floats);
      assert.deepEqual(Buffer.from(data.batch(0, N).buffer), Buffer.from(x.buffer));
      assert.deepEqual(Buffer.from(idx.batch(0, N).buffer), Buffer.from(x.buffer));
      const model = ae.model({ sizes: c.sizes, hidden: c.hidden, output: c.output, loss: c.loss, maxBatch: 128, seed: 7 });
      const tr = ae.trainer(model, data, { batch: 128, optimizer: 'adam', lr: c.lr, seed: 7, noise: c.noise, noiseLevel: 0.25, supervised: !!c.supervised });
      tr.run(40);
      const p = model.params();
      assert.equal(p.length, nativeParams.length);
      let diff = 0;
      for (let i = 0; i < p.length; i++) if (!Object.is(p[i], nativeParams[i])) diff++;
      assert.equal(diff, 0, `${variant}: ${diff} of ${p.length} parameters differ from native`);
      [tr, model, data, idx].forEach((h) => h.destroy());
    }
    fs.rmSync(dir, { recursive: true });
  });
}

test('data outside [0,1]: the output bias is the double-sum mean, and every wasm build trains to the same bits', async () => {
  // 2000 codes-like points in 6-D near a 2-D plane, centred at 3 with spread ~4
  const n = 2000, dim = 6, x = new Float32Array(n * dim);
  let r = 99;
  const rnd = () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
  for (let i = 0; i < n; i++) {
    const a = 8 * rnd(), b = 4 * rnd();
    for (let j = 0; j < dim; j++) x[i * dim + j] = 3 + a * Math.cos(j) + b * Math.sin(2 * j) + 0.01 * rnd();
  }
  // what ae_model_init_output_bias computes: each column summed in double in item order, divided by n
  const mean = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * dim + j];
    mean[j] = s / n;
  }
  let first;
  for (const variant of ['threads', 'simd', 'scalar']) {
    const ae = await loadAelab({ variant, threads: 2 });
    const data = ae.floatDataset(x, n, 1, dim);
    const model = ae.model({ sizes: '6-2-6', hidden: 'linear', output: 'linear', loss: 'mse', maxBatch: 100, seed: 3 });
    model.initOutputBias(data);
    assert.deepEqual(model.params().slice(-dim), mean, `${variant}: the output bias is not the data mean`);
    const before = model.evaluate(data).loss;
    const tr = ae.trainer(model, data, { batch: 100, optimizer: 'adam', lr: 1e-2, seed: 5 });
    tr.run(400);
    const after = model.evaluate(data).loss;
    assert.ok(after < before / 20, `${variant}: MSE ${before} -> ${after}`);
    const p = model.params();
    first ??= p;
    assert.deepEqual(Buffer.from(p.buffer), Buffer.from(first.buffer), `${variant} differs from the threads build`);
    [tr, model, data].forEach((h) => h.destroy());
  }
});

test('a float dataset refuses NaN, Inf, absurd sizes and mismatched labels with a message, and splits and limits', async () => {
  const ae = await loadAelab({ variant: 'simd' });
  const throwsC = (fn, re) => assert.throws(fn, (e) => e instanceof AelabError && re.test(e.message), `expected ${re}`);
  const x = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);
  throwsC(() => ae.floatDataset(x.map((v, i) => (i === 5 ? NaN : v)), 4, 1, 2), /item 2, value 1 \(counting from 0\) is NaN/);
  throwsC(() => ae.floatDataset(x.map((v, i) => (i === 0 ? -Infinity : v)), 8, 1, 1), /is -Inf/);
  throwsC(() => ae.floatDataset(x, 9, 1, 1), /9 rows of 1 need 9 values, but 8 were given/);
  throwsC(() => ae.floatDataset(x, 2, 0, 4), /at least 1/);
  throwsC(() => ae.floatDataset(x, 4, 1, 2, labelFile(new Uint8Array(8 + 3), 3)), /3 labels but the float dataset has 4 items/);
  // a count that JS did not check (the export called directly): refused before anything is read
  const p = ae.alloc(64);
  try {
    throwsC(() => ae.check(ae.M._ae_wasm_dataset_floats(p, 100000000, 1024, 1024, 0, 0)), /more than this build can address/);
    throwsC(() => ae.check(ae.M._ae_wasm_dataset_floats(p, 1, 4096, 4096, 0, 0)), /values per item/);
  } finally {
    ae.free(p);
  }
  const labels = labelFile(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1]), 4);
  const d = ae.floatDataset(x, 4, 1, 2, labels);
  assert.equal(d.nClasses, 3);
  const tail = d.split(3);
  assert.deepEqual([d.n, tail.n], [3, 1]);
  assert.deepEqual([...tail.batch(0, 1)], [6, 7]);
  assert.deepEqual([...tail.labels(0, 1)], [1]);
  d.limit(2);
  assert.deepEqual([...d.batch(0, 2)], [0, 1, 2, 3]);
  assert.deepEqual([...d.labels(0, 2)], [1, 0]);
  d.destroy();
  tail.destroy();
});
