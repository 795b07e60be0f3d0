// ae.trainer's settings reach C as one key=value spec (src/train_cfg.c): what C holds for a trainer is what
// the JS object meant, key by key, for every option; a key JS does not know, or a value that would read as
// more than one token, throws instead of being dropped or smuggling in another key; and the native CLI
// given the trainer's spec (--train-spec) trains to the same bits as the wasm trainer, flags overriding it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadAelab, mnist, native, safetensorsParams, tmpdir, AelabError } from './helpers.mjs';

const ae = await loadAelab({ variant: 'simd' });
const data = ae.dataset(await mnist('t10k-images-idx3-ubyte')).limit(600);
const labelled = ae.dataset(await mnist('t10k-images-idx3-ubyte'), await mnist('t10k-labels-idx1-ubyte')).limit(600);

/** A spec as { key: value string }. */
const fields = (spec) => Object.fromEntries(spec.split(' ').map((kv) => kv.split('=')));

// JS key -> C key and how C's printed value compares with the JS value
const f32 = (js, c) => Math.fround(js) === Math.fround(Number(c));
const CHECKS = {
  batch: ['batch', (js, c) => js === Number(c)], optimizer: ['opt', (js, c) => js === c], lr: ['lr', f32], momentum: ['momentum', f32],
  beta1: ['beta1', f32], beta2: ['beta2', f32], eps: ['eps', f32], weightDecay: ['weight_decay', f32],
  seed: ['seed', (js, c) => (js >>> 0) === Number(c)], noise: ['noise', (js, c) => js === c], noiseLevel: ['noise_level', f32],
  supervised: ['supervised', (js, c) => (js ? '1' : '0') === c], divergeFactor: ['diverge_factor', f32],
  epochs: ['epochs', (js, c) => js === Number(c)], from: ['from', (js, c) => js === Number(c)], to: ['to', (js, c) => js === Number(c)],
  l1: ['l1', f32], lrDecay: ['lr_decay', f32],
};

test('the spec C holds for a trainer is what the JS object meant, for every option', () => {
  const model = ae.model({ sizes: '784-8-784', maxBatch: 512 });
  const deep = ae.model({ sizes: '784-16-8-16-784', maxBatch: 512 });
  const classifier = ae.model({ sizes: '784-8-10', output: 'softmax', loss: 'softmax_ce', maxBatch: 512 });
  const cfgs = [
    { batch: 77, optimizer: 'sgd', lr: 0.3, momentum: 0.75, weightDecay: 1e-4, seed: 12345, noise: 'gaussian', noiseLevel: 0.1, divergeFactor: 0 },
    { batch: 512, optimizer: 'adam', lr: 1 / 3, beta1: 0.8, beta2: 0.995, eps: 1e-8, weightDecay: 0, seed: -1, noise: 'salt_pepper', noiseLevel: 1, divergeFactor: 3.5 },
    { optimizer: 'adam', lr: 2e-3, seed: 2 ** 32 + 5, noise: 'mask', noiseLevel: 0.25, supervised: true, divergeFactor: 1e6 },
    { noise: 'none', lr: undefined, momentum: undefined },
    { epochs: 7, from: 1, to: 3 },
    { l1: 1e-4, noise: 'mask', noiseLevel: 0.5 },
    { lrDecay: 0.9, optimizer: 'sgd', lr: 0.05 },
  ];
  for (const cfg of cfgs) {
    const t = ae.trainer(cfg.supervised ? classifier : cfg.to ? deep : model, cfg.supervised ? labelled : data, cfg);
    const got = fields(t.spec);
    assert.deepEqual(Object.keys(got), ['batch', 'opt', 'lr', 'momentum', 'beta1', 'beta2', 'eps', 'weight_decay', 'seed', 'noise', 'noise_level',
      'supervised', 'diverge_factor', 'epochs', 'from', 'to', 'l1', 'lr_decay']);
    for (const [k, v] of Object.entries(cfg)) {
      if (v === undefined) continue;
      const [ck, same] = CHECKS[k];
      assert.ok(same(v, got[ck]), `${k}: ${v} in JS but ${ck}=${got[ck]} in C (${t.spec})`);
    }
    // what JS left out is C's default, the optimizer's own where it has one
    const sgd = cfg.optimizer === 'sgd';
    const defaults = { batch: '256', opt: 'adam', lr: sgd ? '0.01' : '0.001', momentum: '0.9', beta1: '0.9', beta2: '0.999', eps: '1e-07',
      weight_decay: '0', seed: '1', noise: 'none', noise_level: '0.3', supervised: '0', diverge_factor: '100', epochs: '0', from: '0', to: '0', lr_decay: '1' };
    const given = new Set(Object.entries(cfg).filter(([, v]) => v !== undefined).map(([k]) => CHECKS[k][0]));
    for (const [ck, v] of Object.entries(defaults)) if (!given.has(ck)) assert.equal(got[ck], v, `${ck} left out: ${t.spec}`);
    t.destroy();
  }
  model.destroy();
  deep.destroy();
  classifier.destroy();
});

test('an unknown JS key, or a value that is not one token, throws a clear AelabError', () => {
  const model = ae.model({ sizes: '784-8-784' });
  assert.throws(() => ae.trainer(model, data, { learningRate: 0.1 }), (e) => e instanceof AelabError &&
    /unknown trainer setting 'learningRate' \(batch, optimizer, lr, .*divergeFactor, epochs, from, to, l1, lrDecay, recipe, .*start\)/.test(e.message));
  assert.throws(() => ae.trainer(model, data, { opt: 'sgd' }), /unknown trainer setting 'opt'/); // C's name, not JS's
  assert.throws(() => ae.trainer(model, data, { optimizer: 'sgd lr=5' }), /optimizer: 'sgd lr=5' is not a single value/);
  assert.throws(() => ae.trainer(model, data, { noise: 'mask,batch=1' }), /not a single value/);
  assert.throws(() => ae.trainer(model, data, { noise: '' }), /not a single value/);
  // values C refuses come back with C's message naming the key and its range
  assert.throws(() => ae.trainer(model, data, { noiseLevel: 2 }), /noise level must be a number in \[0, 1\], not '2' \(key noise_level\)/);
  assert.throws(() => ae.trainer(model, data, { batch: 2.5 }), /batch size must be a whole number from 1 to 4096, not '2.5' \(key batch\)/);
  assert.throws(() => ae.trainer(model, data, { lr: NaN }), /learning rate must be a positive number, not 'NaN' \(key lr\)/);
  assert.throws(() => ae.trainer(model, data, { noise: 'blur' }), /unknown noise 'blur': none, gaussian, mask or salt_pepper \(key noise\)/);
  model.destroy();
});

test('the native CLI given a trainer\'s spec trains to the same bits, and a flag overrides the spec', async () => {
  const dir = tmpdir();
  const train = ae.dataset(await mnist('train-images-idx3-ubyte')).limit(1000);
  const model = ae.model({ sizes: '784-24-784', maxBatch: 64, seed: 9 });
  model.initOutputBias(train);
  const t = ae.trainer(model, train, { batch: 64, optimizer: 'sgd', lr: 0.4, momentum: 0.8, weightDecay: 1e-4, seed: 9, noise: 'mask', noiseLevel: 0.2 });
  t.run(12);
  const spec = t.spec;
  const run = (extra) => {
    const file = path.join(dir, 'm.safetensors');
    native(['train', '--arch', '784-24-784', '--train-spec', spec, ...extra, '--train-limit', '1000', '--epochs', '1', '--max-steps', '12',
      '--out', file, '--quiet', '--threads', '1']);
    return safetensorsParams(fs.readFileSync(file));
  };
  assert.deepEqual(run([]), model.params(), 'the CLI with --train-spec differs from the wasm trainer');
  // --lr after the spec wins: a different run; naming the spec's own value gives the same one
  assert.notDeepEqual(run(['--lr', '0.1']), model.params());
  assert.deepEqual(run(['--lr', '0.4', '--opt', 'sgd']), model.params());
  const bad = () => native(['train', '--train-spec', 'lr=0.1 lr=0.2', '--epochs', '0']);
  assert.throws(bad, (e) => /--train-spec: lr is given twice/.test(String(e.stderr)));
  t.destroy();
  model.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});
