#!/usr/bin/env node
// One TensorFlow.js measurement for make bench (scripts/bench.mjs runs it in its own process per run):
// the same model as aelab's workload (dense, ReLU hidden, sigmoid output, binary cross-entropy, Adam
// lr 1e-3, float32, Glorot-uniform weights), trained with trainOnBatch on MNIST minibatches.
//   node scripts/bench-tfjs.mjs --backend wasm|cpu --arch 784-32-784 [--batch 256] [--seconds 1.5]
// Prints one JSON line: {"samples_per_s": ..., "steps": ...}. The TF.js packages are npm devDependencies;
// the wasm backend's binaries are read from node_modules (nothing is fetched).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const backend = arg('backend', 'wasm');
const sizes = arg('arch', '784-32-784').split('-').map(Number);
const BATCH = Number(arg('batch', 256));
const SECONDS = Number(arg('seconds', 1.5));

if (backend === 'wasm') setWasmPaths(`${path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialise`);
await tf.ready();

const img = zlib.gunzipSync(fs.readFileSync(path.join(root, 'data/train-images-idx3-ubyte.gz')));
const N_BATCHES = 8; // minibatches prepared up front and cycled: the data pipeline is not what is measured
const batches = [];
for (let b = 0; b < N_BATCHES; b++) {
  const x = new Float32Array(BATCH * 784);
  for (let i = 0; i < x.length; i++) x[i] = img[16 + b * BATCH * 784 + i] / 255;
  batches.push(tf.tensor2d(x, [BATCH, 784]));
}

const model = tfl.sequential();
for (let l = 1; l < sizes.length; l++) {
  model.add(tfl.layers.dense({
    units: sizes[l], activation: l === sizes.length - 1 ? 'sigmoid' : 'relu', kernelInitializer: 'glorotUniform',
    ...(l === 1 ? { inputShape: [sizes[0]] } : {}),
  }));
}
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });

let step = 0;
const trainStep = async () => {
  const x = batches[step++ % N_BATCHES];
  await model.trainOnBatch(x, x); // resolves once the loss is read back: the step is done
};
// warm-up: at least two steps and a quarter of the time (kernels compile, memory settles)
let t0 = performance.now();
for (let i = 0; i < 2 || performance.now() - t0 < 250 * SECONDS; i++) await trainStep();
let steps = 0;
t0 = performance.now();
while (steps < 2 || performance.now() - t0 < 1000 * SECONDS) {
  await trainStep();
  steps++;
}
const sps = (steps * BATCH) / ((performance.now() - t0) / 1000);
console.log(JSON.stringify({ samples_per_s: Number(sps.toFixed(1)), steps }));
