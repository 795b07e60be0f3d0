#!/usr/bin/env node
// The wasm side of docs/experiments.md: the same training as scripts/experiments.sh (Adam lr 1e-3, BCE,
// batch 128, seed 1, the output bias at the data mean, all of MNIST), in Node with the page's wasm build,
// for a few epochs, printing each epoch's wall time and test loss. The whole 50- or 100-epoch runs take
// hours in wasm; their wall time there is the measured time per epoch times the epochs, and the table says so.
//   node --no-experimental-fetch scripts/experiments-wasm.mjs keras|w3 [EPOCHS=1] [VARIANT=simd] [THREADS=1]
// Run from the repository root after `make site data`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { loadAelab, gunzipIfNeeded } = await import(path.join(root, 'build/site/aelab.js'));
const MODELS = {
  keras: '1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3',
  w3: '1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3',
};
const [name, epochs = '1', variant = 'simd', threads = '1'] = process.argv.slice(2);
if (!MODELS[name]) {
  console.error('usage: experiments-wasm.mjs keras|w3 [EPOCHS] [simd|scalar|threads] [THREADS]');
  process.exit(2);
}
const read = async (f) => gunzipIfNeeded(fs.readFileSync(path.join(root, 'data', `${f}.gz`)));
const ae = await loadAelab({ variant, threads: Number(threads) });
const train = ae.dataset(await read('train-images-idx3-ubyte'));
const test = ae.dataset(await read('t10k-images-idx3-ubyte'));
const model = ae.model({ sizes: MODELS[name], maxBatch: 128, seed: 1 });
model.initOutputBias(train);
const job = ae.trainer(model, train, { batch: 128, optimizer: 'adam', lr: 1e-3, seed: 1, epochs: Number(epochs), test });
console.log(`# ${name}: ${MODELS[name]}, wasm ${ae.variant} build, ${ae.threads} thread(s), ${Number(epochs)} epoch(s)`);
const t0 = performance.now();
for (let e = 1; e <= Number(epochs); e++) {
  const te = performance.now();
  let s;
  do s = job.run(1 << 30, true);
  while (!s.epochEnded);
  const secs = (performance.now() - te) / 1000;
  console.log(`epoch ${e}/${epochs}  train_loss ${s.meanLoss.toFixed(5)}  test_loss ${s.testLoss.toFixed(5)}  ${secs.toFixed(1)} s  ${(train.n / secs).toFixed(0)} samples/s`);
}
console.log(`# wall time ${((performance.now() - t0) / 1000).toFixed(0)} s`);
process.exit(0);
