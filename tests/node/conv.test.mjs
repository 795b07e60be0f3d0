// Convolutional autoencoders through the wasm builds: the same bits as the native CLI (threads, SIMD and
// scalar builds; tolerance zero, for the reasons tests/node/agreement.test.mjs gives), the memory
// bound for the keras.io model, and a short real-MNIST run whose loss a broken layer cannot reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadAelab, mnist, native, root, safetensorsParams, tmpdir } from './helpers.mjs';

const W3 = '1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3';
const KERAS_IO = '1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3';

test('a convolutional autoencoder trains to the same bits natively and in every wasm build, with noise', async () => {
  const spec = `${W3} hidden=leaky_relu`;
  const file = path.join(tmpdir(), 'conv.safetensors');
  native(['train', '--arch', spec, '--batch', '50', '--seed', '3', '--noise', 'gaussian', '--noise-level', '0.4', '--train-limit', '600',
    '--epochs', '1', '--max-steps', '7', '--out', file, '--quiet', '--threads', '2']);
  const want = safetensorsParams(fs.readFileSync(file));
  for (const variant of ['threads', 'simd', 'scalar']) {
    const ae = await loadAelab({ variant, threads: 2 });
    const data = ae.dataset(await mnist('train-images-idx3-ubyte')).limit(600);
    const model = ae.model({ sizes: spec, maxBatch: 50, seed: 3 });
    assert.equal(model.nParams, 4385);
    model.initOutputBias(data); // the CLI's default for a fresh autoencoder
    const job = ae.trainer(model, data, { batch: 50, seed: 3, noise: 'gaussian', noiseLevel: 0.4 });
    job.run(7);
    const got = model.params();
    let diff = 0;
    for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) diff++;
    assert.equal(diff, 0, `${variant}: ${diff} of ${got.length} parameters differ from native`);
    job.destroy();
    model.destroy();
    data.destroy();
  }
});

test('the keras.io model trains at batch 128 on all of MNIST within 192 MiB of wasm memory, and learns', async (t) => {
  const ae = await loadAelab({ variant: 'simd' });
  const train = ae.dataset(await mnist('train-images-idx3-ubyte'), await mnist('train-labels-idx1-ubyte'));
  const test = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  const model = ae.model({ sizes: KERAS_IO, maxBatch: 128, seed: 1 });
  assert.equal(model.nParams, 28353);
  model.initOutputBias(train);
  const before = model.evaluate(test).loss;
  const job = ae.trainer(model, train, { batch: 128 });
  job.run(25);
  const after = model.evaluate(test).loss;
  const mib = ae.M.HEAP8.buffer.byteLength / 2 ** 20;
  t.diagnostic(`wasm memory ${mib.toFixed(1)} MiB; test BCE ${before.toFixed(4)} -> ${after.toFixed(4)} in 25 steps`);
  assert.ok(mib <= 192, `wasm memory ${mib.toFixed(1)} MiB`);
  // 25 steps of Adam take the random start (about 0.39 test BCE here) down by more than 0.05 (to about 0.30);
  // a layer with a broken derivative or a wrong patch order does not descend like that
  assert.ok(after < 0.33 && after < before - 0.05, `test BCE ${before.toFixed(4)} -> ${after.toFixed(4)}`);
});

test('a profile times every layer of a step without changing a bit; scripts/profile-wasm.mjs prints it', async () => {
  const ae = await loadAelab({ variant: 'simd' });
  const data = ae.dataset(await mnist('train-images-idx3-ubyte')).limit(256);
  const params = [];
  for (const profiled of [false, true]) {
    const model = ae.model({ sizes: W3, maxBatch: 32, seed: 2 });
    model.initOutputBias(data);
    const job = ae.trainer(model, data, { batch: 32, seed: 2 });
    const stop = profiled ? model.profile() : null;
    job.run(5);
    if (stop) {
      assert.throws(() => model.profile(), /already being profiled/);
      assert.throws(() => model.destroy(), /job/); // in use: refused, and the profile goes on
      const layers = stop();
      assert.equal(stop(), null, 'a second stop');
      assert.equal(layers.length, model.nLayers);
      // every layer was timed both ways (layer 0 has no input gradient, but its weight gradient takes time)
      assert.ok(layers.every((t) => t.forward > 0 && t.backward > 0), JSON.stringify(layers));
      // and counted: a conv layer's backward pass as its forward (the weight gradient alone: layer 0), or twice
      // (with the input gradient)
      assert.ok(model.flops(0, false) > 0);
      assert.equal(model.flops(0, true), model.flops(0, false));
      assert.equal(model.flops(2, true), 2 * model.flops(2, false));
      assert.equal(model.flops(), model.kinds.reduce((s, k, l) => s + model.flops(l, false) + model.flops(l, true), 0));
    }
    params.push(model.params());
    job.destroy();
    model.destroy();
  }
  assert.deepEqual(params[1], params[0], 'profiling changed the training');
  data.destroy();
  // the script: its table has a row a layer and a rest, with shares that add up to the step
  const out = execFileSync(process.execPath, ['--no-experimental-fetch', path.join(root, 'scripts/profile-wasm.mjs'), '--seconds', '0.4', '--batch', '32'],
    { cwd: root, encoding: 'utf8' });
  assert.match(out, /^profile of 28x28-conv16k3-pool2.*batch 32, 1 thread\(s\), wasm simd: [\d.]+ ms a step, \d+ samples\/s/);
  assert.ok(Number(out.match(/one core's peak ([\d.]+) GFLOP\/s/)[1]) > 1, out.split('\n')[0]);
  const rows = out.split('\n').filter((l) => /^(\d+|rest)\s/.test(l));
  assert.equal(rows.length, 14, out);
  const share = rows.reduce((s, l) => s + Number(l.match(/([\d.]+)%$/)[1]), 0);
  assert.ok(Math.abs(share - 100) < 1, `shares add up to ${share}%`);
  // each convolution timed both ways, at some GFLOP/s, and the layers hold most of the step (the rest is the
  // difference, so an empty profile would put everything there)
  for (const r of rows.filter((l) => / conv /.test(l))) {
    const [fms, fgf, bms, bgf] = r.trim().split(/\s+/).slice(3, 7).map(Number);
    assert.ok(fms > 0 && fgf > 0 && bms > 0 && bgf > 0, r);
  }
  assert.ok(Number(rows.at(-1).match(/([\d.]+)%$/)[1]) < 20, rows.at(-1));
});
