// The wasm engine trains the 784-32-784 autoencoder on all of MNIST in Node and the test loss falls below
// a bound a broken backward pass cannot reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAelab, mnist } from './helpers.mjs';

test('wasm SIMD: one epoch of 784-32-784 on 60,000 images reaches test BCE < 0.15', async () => {
  const ae = await loadAelab({ variant: 'simd' });
  assert.equal(ae.simd, true);
  const train = ae.dataset(await mnist('train-images-idx3-ubyte'));
  const test = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  assert.deepEqual([train.n, train.rows, train.cols, test.n], [60000, 28, 28, 10000]);
  const model = ae.model({ sizes: '784-32-784', hidden: 'relu', output: 'sigmoid', loss: 'bce', seed: 1 });
  model.initOutputBias(train);
  const trainer = ae.trainer(model, train, { batch: 256, optimizer: 'adam', lr: 1e-3, seed: 1 });
  // The output bias starts at the mean image (BCE ~0.26 on the test set); an all-0.5 output scores 0.69.
  const before = model.evaluate(test).loss;
  const s = trainer.run(10000, true);
  assert.equal(s.steps, 235);
  assert.equal(s.epoch, 1);
  const after = model.evaluate(test).loss;
  console.log(`test BCE ${before.toFixed(4)} -> ${after.toFixed(4)}; wasm heap ${(ae.heapBytes / 2 ** 20).toFixed(0)} MiB`);
  assert.ok(before > 0.25, `initial loss ${before}`);
  assert.ok(after < 0.15, `test loss ${after} after one epoch`);
  // the full-MNIST run fits the memory budget of issue #4
  assert.ok(ae.heapBytes <= 128 * 2 ** 20, `wasm memory ${ae.heapBytes}`);
  // encoder and decoder compose to the full forward pass
  const x = test.batch(0, 8);
  const code = model.encode(x, 8);
  assert.equal(code.length, 8 * 32);
  assert.deepEqual(model.decode(code, 8), model.forward(x, 8));
});
