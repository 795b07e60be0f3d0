// The CLI numbers scripts/claims.sh reads: `aelab pca` (PCA's test error, a saved model's beside it, the
// principal angles of a linear autoencoder's decoder against PCA's subspace) and `aelab eval`'s code_mean,
// each checked against a computation made here in JS from the images and the model file, and their errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root, tmpdir, mnist, safetensorsParams } from './helpers.mjs';

const run = (...args) => spawnSync(path.join(root, 'build/aelab'), args, { cwd: root, encoding: 'utf8' });
const num = (out, re) => {
  const m = re.exec(out);
  assert.ok(m, `${re} not in:\n${out}`);
  return Number(m[1]);
};

test('aelab pca: PCA test error for several K, the variance it keeps, help and bad arguments', async () => {
  const r = run('pca', '--k', '2,10', '--train-limit', '2000');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^pca fitted on 2000 training images of 28x28 in \S+ s; test 10000 images$/m);
  const sse2 = num(r.stdout, /^k 2 {2}pca_test_sse (\S+)/m), sse10 = num(r.stdout, /^k 10 {2}pca_test_sse (\S+)/m);
  assert.ok(sse10 < sse2, `more components reconstruct better: ${sse10} against ${sse2}`);
  assert.equal(num(r.stdout, /^k 10 .*pca_test_mse (\S+)/m).toFixed(4), (sse10 / 784).toFixed(4), 'per pixel is per image / 784');
  // the training images' error is the variance left out: with the share kept it gives the whole variance,
  // which is computed here from the pixels (Σ over pixels of their variance over the 2000 images)
  const px = await mnist('train-images-idx3-ubyte');
  let total = 0;
  for (let i = 0; i < 784; i++) {
    let s = 0, s2 = 0;
    for (let t = 0; t < 2000; t++) {
      const v = px[16 + t * 784 + i] / 255;
      s += v;
      s2 += v * v;
    }
    total += s2 / 2000 - (s / 2000) ** 2;
  }
  for (const k of [2, 10]) {
    const train = num(r.stdout, new RegExp(`^k ${k} .*pca_train_sse (\\S+)`, 'm')), kept = num(r.stdout, new RegExp(`^k ${k} .*variance_kept (\\S+)`, 'm'));
    assert.ok(kept > 0 && kept < 1, r.stdout);
    assert.ok(Math.abs(train / (1 - kept) - total) < 1e-3 * total, `k ${k}: ${train} / (1 - ${kept}) is not the variance ${total}`);
  }
  // fitted on the test images themselves, their error is the sum of the dropped eigenvalues
  const t10k = path.join(root, 'data/t10k-images-idx3-ubyte.gz');
  const same = run('pca', '--k', '3', '--train-images', t10k, '--test-images', t10k);
  assert.equal(same.status, 0, same.stderr);
  assert.ok(Math.abs(num(same.stdout, /pca_test_sse (\S+)/) - num(same.stdout, /pca_train_sse (\S+)/)) < 1e-3, same.stdout);
  assert.match(run('pca', '--help').stdout, /usage: aelab pca/);
  const bad = [
    [['--k', '0'], /--k is up to 16 numbers of components from 1 to 4096/],
    [['--k', '2,x'], /not '2,x'/],
    [['--k', '785', '--train-limit', '100'], /k = 785 components; it must be 1 to 784/],
    [['--kk', '2'], /unknown option --kk/],
    [['--train-images', 'no-such-file'], /no-such-file/],
  ];
  for (const [args, re] of bad) {
    const b = run('pca', ...args);
    assert.notEqual(b.status, 0, args.join(' '));
    assert.match(b.stderr, re);
  }
});

test('aelab pca --model: a linear autoencoder against PCA, and a non-linear one without angles', () => {
  const dir = tmpdir();
  const lin = path.join(dir, 'lin.safetensors'), relu = path.join(dir, 'relu.safetensors');
  const common = ['--epochs', '3', '--train-limit', '10000', '--batch', '64', '--lr', '3e-3', '--seed', '2', '--quiet', '--threads', '1'];
  let r = run('train', '--arch', '784-4-784', '--hidden', 'linear', '--output', 'linear', '--loss', 'mse', ...common, '--out', lin);
  assert.equal(r.status, 0, r.stderr);
  const testMse = num(r.stdout, /epoch 3\/3 .*test_loss (\S+)/);
  r = run('pca', '--model', lin, '--k', '4,6', '--train-limit', '10000');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^k 6 {2}pca_test_sse/m);
  assert.doesNotMatch(r.stdout, /^k 6 {2}(model|cosines)/m);
  const pca = num(r.stdout, /^k 4 {2}pca_test_sse (\S+)/m), model = num(r.stdout, /^k 4 {2}model_test_sse (\S+)/m);
  assert.equal((model / 784).toFixed(5), testMse.toFixed(5), 'the model error is the test MSE per pixel times 784');
  assert.ok(Math.abs(num(r.stdout, /ratio_to_pca (\S+)/) - model / pca) < 1e-4, r.stdout);
  // three short epochs find most of the subspace: every cosine is high, and they come in descending order
  const cos = /^k 4 {2}cosines (.*)$/m.exec(r.stdout)[1].split(' ').map(Number);
  assert.equal(cos.length, 4, r.stdout);
  assert.ok(cos.every((c, i) => c > 0.95 && c <= 1 && (i === 0 || c <= cos[i - 1])), r.stdout);
  assert.equal(num(r.stdout, /min_cosine (\S+)/), cos[3]);
  assert.ok(model < 1.02 * pca, r.stdout);
  // a fresh linear model's decoder spans some other subspace: its cosines are not all near 1
  const fresh = path.join(dir, 'fresh.safetensors');
  assert.equal(run('train', '--arch', '784-4-784', '--hidden', 'linear', '--output', 'linear', '--loss', 'mse', '--epochs', '0', '--out', fresh).status, 0);
  const f = run('pca', '--model', fresh, '--train-limit', '2000');
  assert.equal(f.status, 0, f.stderr);
  assert.ok(num(f.stdout, /min_cosine (\S+)/) < 0.5, f.stdout);
  // the code is 4 wide: --k must include 4
  const k = run('pca', '--model', lin, '--k', '3');
  assert.equal(k.status, 2);
  assert.match(k.stderr, /the model's code is 4 wide; --k must include 4/);
  // a sigmoid output: error and ratio, no angles
  r = run('train', '--arch', '784-8-784', ...common, '--out', relu);
  assert.equal(r.status, 0, r.stderr);
  r = run('pca', '--model', relu, '--k', '2,8', '--train-limit', '2000');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^k 8 {2}model_test_sse \S+ {2}model_test_mse \S+ {2}ratio_to_pca \S+$/m);
  assert.match(r.stdout, /no principal angles: the model's output is not a linear layer on its 8-wide code/);
  assert.doesNotMatch(r.stdout, /cosines|^k 2 {2}model/m);
  fs.rmSync(dir, { recursive: true });
});

test('aelab eval prints code_mean, the code layer\'s mean over the test images', async () => {
  const dir = tmpdir();
  const model = path.join(dir, 'm.safetensors');
  let r = run('train', '--arch', '784-16-784', '--epochs', '1', '--train-limit', '3000', '--batch', '64', '--seed', '4', '--quiet', '--threads', '1', '--out', model);
  assert.equal(r.status, 0, r.stderr);
  r = run('eval', '--model', model);
  assert.equal(r.status, 0, r.stderr);
  const got = num(r.stdout, /^code_mean (\S+) {2}\(16 units\)$/m);
  // relu(x W0ᵀ + b0) from the file's first layer (W0 (16, 784), then b0 (16)), over the 10,000 test images
  const p = safetensorsParams(fs.readFileSync(model));
  const px = await mnist('t10k-images-idx3-ubyte');
  let sum = 0;
  const x = new Float64Array(784);
  for (let t = 0; t < 10000; t++) {
    for (let i = 0; i < 784; i++) x[i] = px[16 + t * 784 + i] / 255;
    for (let j = 0; j < 16; j++) {
      let z = p[16 * 784 + j];
      for (let i = 0; i < 784; i++) z += p[j * 784 + i] * x[i];
      sum += Math.max(z, 0);
    }
  }
  const want = sum / (10000 * 16);
  assert.ok(want > 0.05, `the code is not all zero: ${want}`);
  assert.ok(Math.abs(got - want) < 1e-5 * want + 1e-6, `code_mean ${got}, computed here ${want}`);
  // a classifier has no code: no line
  const clf = path.join(dir, 'c.safetensors');
  assert.equal(run('train', '--supervised', '--epochs', '0', '--out', clf).status, 0);
  r = run('eval', '--model', clf, '--supervised');
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /code_mean/);
  fs.rmSync(dir, { recursive: true });
});
