// One seed gives the same run natively (on all cores) and in wasm: the threads build on 2 threads, the
// SIMD build and the scalar build; autoencoders (whose output bias starts at the data mean, as the CLI's
// does) and a supervised softmax classifier.
//
// Tolerance: zero. The GEMM accumulates every output in the same order in every build and on any number
// of threads (threads split the outputs, never a sum), the build flags forbid contracting a*b+c into fused
// multiply-adds, and exp/log are our own (src/mathfn.c, src/vecmath.h) instead of glibc's or musl's, so
// float32 results are identical bit for bit. Any difference is a bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadAelab, mnist, native, safetensorsParams, tmpdir } from './helpers.mjs';

const configs = [
  { name: 'deep tanh with a linear code, Adam', sizes: '784-64-16-64-784', hidden: 'tanh', code: 'linear', output: 'sigmoid', loss: 'bce', opt: 'adam', lr: 2e-3, noise: 'none' },
  { name: 'denoising (gaussian), SGD+momentum, MSE, weight decay, a decaying rate', sizes: '784-48-784', hidden: 'relu', output: 'sigmoid', loss: 'mse', opt: 'sgd', lr: 0.5, noise: 'gaussian', wd: 1e-4, decay: 0.7 },
  { name: 'salt-and-pepper, leaky ReLU, odd batch', sizes: '784-33-784', hidden: 'leaky_relu', output: 'sigmoid', loss: 'bce', opt: 'adam', lr: 1e-3, noise: 'salt_pepper', batch: 77 },
  // softmax cross-entropy's loss goes through exp and log: aelab's own, so the losses agree bit for bit too
  { name: 'supervised softmax classifier, Adam', sizes: '784-32-10', hidden: 'relu', output: 'softmax', loss: 'softmax_ce', opt: 'adam', lr: 2e-3, noise: 'none', supervised: true },
];

for (const c of configs) {
  test(`native, wasm threads, wasm SIMD and wasm scalar agree bit for bit: ${c.name}`, async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'native.safetensors');
    const batch = c.batch ?? 128;
    const out = native(['train', '--arch', c.sizes, '--hidden', c.hidden, ...(c.code ? ['--code', c.code] : []), '--output', c.output,
      ...(c.supervised ? ['--supervised'] : []),
      '--loss', c.loss, '--opt', c.opt, '--lr', String(c.lr), '--batch', String(batch), '--seed', '7', '--noise', c.noise,
      '--noise-level', '0.25', '--weight-decay', String(c.wd ?? 0), '--lr-decay', String(c.decay ?? 1), '--train-limit', '3000', '--epochs', '2', '--max-steps', '40',
      '--out', file, '--quiet']);
    const nativeParams = safetensorsParams(fs.readFileSync(file));
    const nativeLoss = Number(/epoch 2\/2\s+train_loss (\S+)/.exec(out)[1]);
    const nativeTest = Number(/epoch 2\/2.*test_loss (\S+)/.exec(out)[1]);
    let firstLoss;
    for (const variant of ['threads', 'simd', 'scalar']) {
      const ae = await loadAelab({ variant, threads: 2 });
      assert.equal(ae.threads, variant === 'threads' ? 2 : 1);
      const labels = c.supervised ? await mnist('train-labels-idx1-ubyte') : null;
      const data = ae.dataset(await mnist('train-images-idx3-ubyte'), labels).limit(3000);
      const model = ae.model({ sizes: c.sizes, hidden: c.hidden, code: c.code, output: c.output, loss: c.loss, maxBatch: batch, seed: 7 });
      if (!c.supervised) model.initOutputBias(data); // the CLI's default for a fresh autoencoder
      const tr = ae.trainer(model, data, { batch, optimizer: c.opt, lr: c.lr, seed: 7, noise: c.noise, noiseLevel: 0.25, weightDecay: c.wd ?? 0,
        lrDecay: c.decay ?? 1, supervised: !!c.supervised });
      tr.run(1000, true); // epoch 1: ceil(3000 / batch) steps
      const s = tr.run(40 - tr.state.step, true);
      const wasmParams = model.params();
      assert.equal(wasmParams.length, nativeParams.length);
      let diff = 0;
      for (let i = 0; i < wasmParams.length; i++) if (Object.is(wasmParams[i], nativeParams[i]) === false) diff++;
      assert.equal(diff, 0, `${variant}: ${diff} of ${wasmParams.length} parameters differ from native`);
      // the CLI prints the mean loss of epoch 2's steps with 5 decimals; the wasm builds agree exactly
      assert.ok(Math.abs(s.meanLoss - nativeLoss) < 1e-5, `${variant}: epoch-2 loss ${s.meanLoss} vs native ${nativeLoss}`);
      firstLoss ??= s.meanLoss;
      assert.ok(Object.is(s.meanLoss, firstLoss), `${variant}: epoch-2 loss ${s.meanLoss} vs ${firstLoss} in the threads build`);
      const testSet = ae.dataset(await mnist('t10k-images-idx3-ubyte'), c.supervised ? await mnist('t10k-labels-idx1-ubyte') : null);
      const ev = model.evaluate(testSet, !!c.supervised);
      assert.equal(ev.loss.toFixed(5), nativeTest.toFixed(5), `${variant}: test loss ${ev.loss} vs native ${nativeTest}`);
      // and the saved file is byte-identical to the native one
      assert.deepEqual(Buffer.from(model.save()), fs.readFileSync(file));
    }
    fs.rmSync(dir, { recursive: true });
  });
}
