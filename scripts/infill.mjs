#!/usr/bin/env node
// How much an erased half of a digit each kind of model fills in: the Infilling panel's measure (squared
// error on the erased pixels, filled in from one pass through the model, against leaving them black) for
// the page's Simple, Denoising and its plain twin, W3, W3 trained with masking noise and the keras.io
// model, each trained as the page's presets train (ReLU, sigmoid output, BCE, Adam 1e-3, seed 1, output
// bias at the data's mean).
//   node --no-experimental-fetch scripts/infill.mjs [EPOCHS=2] [DIGITS=100]
// Run from the repository root after `make site data`; about four minutes. The panel explains a fill that is
// little better than blank (web/panels/infill.js) from what this prints.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const epochs = Number(process.argv[2] ?? 2), digits = Number(process.argv[3] ?? 100);
const { loadAelab, gunzipIfNeeded } = await import(path.join(root, 'build/site/aelab.js'));
const ae = await loadAelab({ variant: 'simd' });
const read = async (f) => ae.dataset(await gunzipIfNeeded(fs.readFileSync(path.join(root, 'data', `${f}.gz`))));
const train = await read('train-images-idx3-ubyte'), test = await read('t10k-images-idx3-ubyte');
const W3 = '1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3';
const K = '1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3';
const models = [['Simple', '784-32-784', 'none', 256], ['Denoising (masking 0.5)', '784-128-784', 'mask', 256],
  ['Plain twin of Denoising', '784-128-784', 'none', 256], ['W3', W3, 'none', 128], ['W3, masking 0.5', W3, 'mask', 128],
  ['keras.io', K, 'none', 128]];
console.log(`top half erased on ${digits} test digits, after ${epochs} epochs: squared error on the erased pixels`);
for (const [name, sizes, noise, batch] of models) {
  const m = ae.model({ sizes, hidden: 'relu', output: 'sigmoid', loss: 'bce', maxBatch: batch, seed: 1 });
  m.initOutputBias(train);
  const t = ae.trainer(m, train, { batch, optimizer: 'adam', lr: 1e-3, noise, noiseLevel: 0.5 });
  for (let s = 0, steps = Math.ceil((epochs * train.n) / batch); s < steps; s += 50) t.run(Math.min(50, steps - s));
  let fill = 0, blank = 0;
  const half = test.dim / 2;
  for (let i = 0; i < digits; i++) {
    const x0 = test.batch(i, 1), y = m.forward(x0.map((v, k) => (k < half ? 0 : v)), 1);
    for (let k = 0; k < half; k++) { fill += (y[k] - x0[k]) ** 2; blank += x0[k] ** 2; }
  }
  console.log(`${name.padEnd(24)} filled in ${(fill / (digits * half)).toFixed(4)}   left blank ${(blank / (digits * half)).toFixed(4)}`);
  t.destroy?.();
  m.destroy();
}
