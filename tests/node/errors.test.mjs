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
  throwsC(() => ae.dataset(good.subarray(0, 1000)), /truncated.*10000 images of 28x28/);
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
  throwsC(() => ae.model({ sizes: '784-x-784' }), /whole numbers/);
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
  throwsC(() => m.destroy(), /in use by 1 trainer/);
  t.destroy();
  m.destroy();
  throwsC(() => m.forward(new Float32Array(784), 1), /invalid model handle/);
  throwsC(() => ae.trainer(back, data, { batch: 100000 }), /batch size/);
  throwsC(() => ae.trainer(back, data, { lr: -1 }), /learning rate/);
  assert.throws(() => ae.trainer(back, data, { optimizer: 'rmsprop' }), /unknown optimizer/);
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
