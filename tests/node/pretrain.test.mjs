// The "pretrain" job through wasm: the same phases and the same bits as `aelab pretrain` natively (every
// phase's model file byte for byte, in the SIMD and scalar builds), phase names and reconstructions for the
// walkthrough, and the job's messages for bad settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadAelab, mnist, native, tmpdir } from './helpers.mjs';

const ARCH = '784-48-24-10';
const SETTINGS = { preEpochs: 2, topEpochs: 2, fineEpochs: 2, labelsPerClass: 20, batch: 50, seed: 4, noise: 'mask', noiseLevel: 0.25 };

test('a greedy pretraining run gives the same phase models natively and in wasm', async () => {
  const dir = tmpdir();
  native(['pretrain', '--arch', ARCH, '--recipe', 'greedy', '--pre-epochs', '2', '--top-epochs', '2', '--fine-epochs', '2', '--labels-per-class', '20',
    '--batch', '50', '--seed', '4', '--noise', 'mask', '--noise-level', '0.25', '--train-limit', '1500', '--out-dir', dir, '--quiet', '--threads', '2']);
  for (const variant of ['simd', 'scalar']) {
    const ae = await loadAelab({ variant, threads: 1 });
    const train = ae.dataset(await mnist('train-images-idx3-ubyte'), await mnist('train-labels-idx1-ubyte')).limit(1500);
    const testSet = ae.dataset(await mnist('t10k-images-idx3-ubyte'), await mnist('t10k-labels-idx1-ubyte'));
    const all = train.batch(0, train.n), meanImage = new Float64Array(784);
    for (let i = 0; i < all.length; i++) meanImage[i % 784] += all[i] / train.n;
    const model = ae.model({ sizes: ARCH, hidden: 'relu', output: 'softmax', maxBatch: 256, seed: 4 });
    const job = ae.job('pretrain', model, train, { ...SETTINGS, test: testSet });
    let s = job.run(0);
    assert.equal(s.phases, 4);
    // phase 0's view from its first steps: layer 1's own autoencoder, every value written
    s = job.run(20);
    const r0 = job.reconstruct(train.batch(0, 2), 2);
    assert.ok(r0.every((v) => v > 0 && v < 1), 'phase 0 reconstructs through its autoencoder');
    assert.match(job.phaseName(0), /^pretrain layer 1 as an autoencoder 784-48:relu-784:sigmoid \(denoising\)/);
    assert.match(job.phaseName(2), /top layer on the labels, the encoder frozen/);
    let phase = 0;
    while (!s.done) {
      s = job.run(1000);
      if (s.phaseEnded) {
        const mine = Buffer.from(model.save());
        const theirs = fs.readFileSync(path.join(dir, 'greedy', `phase-${phase}.safetensors`));
        assert.ok(mine.equals(theirs), `${variant}: the classifier after phase ${phase} differs from native`);
        phase++;
        // the walkthrough's views: reconstructions in pixels, close to the digits, while pretraining lasts and after it
        const x = train.batch(0, 4);
        // the phase just finished: a pretrained layer's stack by its level (the job has moved on to the next
        // layer's untrained autoencoder), then the classifier's encoder and the decoders
        const r = job.reconstruct(x, 4, phase <= 2 ? phase : -1);
        assert.equal(r.length, 4 * 784);
        // closer to the digits than the mean image is: a decoder that ignored its input could not be
        let err = 0, errMean = 0;
        for (let i = 0; i < r.length; i++) {
          err += (r[i] - x[i]) ** 2 / 4;
          errMean += (meanImage[i % 784] - x[i]) ** 2 / 4;
        }
        // (layer 1 pretrained: well below the mean image; the deeper stacks of this short run are only checked
        // to give pixels, tests/c/test_pretrain.c checks that they improve as they train)
        assert.ok(r.every((v) => v >= 0 && v <= 1) && (phase !== 1 || err < 0.8 * errMean),
          `reconstructions after phase ${phase - 1}: squared error ${err.toFixed(1)} per image, the mean image's ${errMean.toFixed(1)}`);
      }
    }
    assert.equal(phase, 4);
    assert.ok(s.testAcc > 0.3, `test accuracy ${s.testAcc} after fine-tuning on 200 labels`);
    job.destroy();
    model.destroy();
    train.destroy();
    testSet.destroy();
  }
});

test('the pretrain job refuses bad settings with the engine\'s message', async () => {
  const ae = await loadAelab({ variant: 'simd' });
  const train = ae.dataset(await mnist('train-images-idx3-ubyte'), await mnist('train-labels-idx1-ubyte')).limit(500);
  const model = ae.model({ sizes: '784-16-10', output: 'softmax' });
  assert.throws(() => ae.job('pretrain', model, train, { recipe: 'deep' }), /recipe must be greedy, e2e or none/);
  assert.throws(() => ae.job('pretrain', model, train, { epochs: 3 }), /sets each phase's epochs/);
  assert.throws(() => ae.job('pretrain', model, train, { labelsPerClass: 400 }), /labels_per_class=400, but class/);
  const ae2 = ae.model({ sizes: '784-16-784' });
  assert.throws(() => ae.job('pretrain', ae2, train, {}), /ends in a softmax layer/);
  const job = ae.job('pretrain', model, train, { recipe: 'none', topEpochs: 1, fineEpochs: 1 });
  assert.throws(() => job.reconstruct(train.batch(0, 1), 1), /baseline has no autoencoder/);
  assert.throws(() => job.phaseName(1), /phase 1: recipe none has phases 0..0/);
  job.destroy();
});
