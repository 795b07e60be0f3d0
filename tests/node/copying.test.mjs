// web/copying.js, the comparison's shared part that scripts/overcomplete.mjs and the page's Undercomplete or
// overcomplete panel both use: the noise keeps each pixel's own values and nothing of any image's shape; the
// four models are one undercomplete and three overcomplete ones of which only the plain one has no
// regulariser; the claim's test and the words follow the numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { site } from './helpers.mjs';

const C = await import(path.join(site, 'copying.js'));

test('noise images: each pixel from a random source image at the same place, so no source image survives', () => {
  // 50 sources of 3 pixels: pixel 0 always 0 (never seen lit), pixel 1 always 1, pixel 2 the source's index
  const nSrc = 50, dim = 3, src = new Float32Array(nSrc * dim);
  for (let k = 0; k < nSrc; k++) src.set([0, 1, k], k * dim);
  const x = C.noiseImages(src, nSrc, dim, 200, 7);
  const col = (i) => Array.from({ length: 200 }, (_, k) => x[k * dim + i]);
  assert.deepEqual(new Set(col(0)), new Set([0]));
  assert.deepEqual(new Set(col(1)), new Set([1]));
  assert.ok(new Set(col(2)).size > 30, 'pixel 2 drawn from many sources');
  assert.deepEqual(C.noiseImages(src, nSrc, dim, 200, 7), x, 'the same seed, the same noise');
  assert.notDeepEqual(C.noiseImages(src, nSrc, dim, 200, 8), x);
  // two pixels of one image come from different sources: of 784-pixel images, none equals a source
  const n = 20, big = new Float32Array(n * 784).map((_, i) => Math.floor(i / 784) + 1);
  const y = C.noiseImages(big, n, 784, 5, 1);
  for (let k = 0; k < 5; k++) assert.ok(new Set(y.subarray(k * 784, (k + 1) * 784)).size > 10, `image ${k} mixes sources`);
});

test('the four models: undercomplete with a 32-number code, three overcomplete, only the plain one unregularised', () => {
  const m = C.models(784);
  assert.deepEqual(m.map((x) => x.key), ['under', 'plain', 'sparse', 'denoising']);
  assert.match(m[0].sizes, /^784-32-784 /);
  for (const x of m.slice(1)) assert.match(x.sizes, /^784-1000-784 /);
  for (const x of m) assert.match(x.sizes, /hidden=linear output=linear loss=mse$/);
  assert.deepEqual([m[0].train, m[1].train], [{}, {}]);
  assert.deepEqual(m[2].train, { l1: C.L1 });
  assert.deepEqual(m[3].train, { noise: 'mask', noiseLevel: 0.2 });
  assert.match(C.models(100)[1].sizes, /^100-128-100 /, 'other image sizes: overcomplete by the same ratio');
  assert.deepEqual(C.models(784, { l1: 1e-4, noiseLevel: 0.5 }).slice(2).map((x) => x.train), [{ l1: 1e-4 }, { noise: 'mask', noiseLevel: 0.5 }]);
});

test('the claim and its words follow the numbers', () => {
  const err = { under: { digits: 0.0178, noise: 0.0623 }, plain: { digits: 0.0005, noise: 0.0023 }, sparse: { digits: 0.007, noise: 0.0296 }, denoising: { digits: 0.0092, noise: 0.0382 } };
  assert.equal(C.copies(err), true);
  const yes = C.interpret(err, 0.0674);
  assert.match(yes, /^The plain overcomplete model copies: .* 0\.0023 per pixel, 27 times lower than the undercomplete model's 0\.0623 and lower even than .* \(0\.0178\); it passes 97% of the noise through\./);
  assert.match(yes, /errors on noise are 0\.0296 and 0\.0382 \(56% and 43% passed through\)/);
  // the plain model's noise error more than a third of the sparse one's: no claim, and the words say which
  const no = { ...err, plain: { digits: 0.0005, noise: 0.012 } };
  assert.equal(C.copies(no), false);
  assert.match(C.interpret(no, 0.0674), /^In this run the plain overcomplete model did not clearly copy: its error on noise, 0\.0120, is more than a third of the sparse overcomplete model's 0\.0296\./);
  assert.equal(C.copies({ ...err, plain: { digits: 0.0005, noise: 0.0623 / 3 + 1e-6 } }), false);
  assert.equal(C.copies({ ...err, under: { digits: 0.0178, noise: 0.0070 } }), true); // a third and a little: still holds
});
