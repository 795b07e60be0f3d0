#!/usr/bin/env node
// One TensorFlow.js measurement for make bench (scripts/bench.mjs runs it in its own process per run):
// the model of an aelab spec as a tf.sequential (ReLU inside, sigmoid output, binary cross-entropy, Adam
// lr 1e-3, float32, Glorot-uniform weights), trained with trainOnBatch on MNIST minibatches. Dense widths
// ("784-32-784") and the convolutional tokens of include/aelab.h, as the Keras layers they were modelled on
// (channels last): conv<C>k<K>[s<S>][v] conv2d ('same', or 'valid' with v), convt<C>k<K>[s<S>]
// conv2dTranspose 'same', pool<P> maxPooling2d 'same' (7 -> 4), up<F> upSampling2d (nearest); an optional
// ':relu|sigmoid|linear' and a leading '*' (the code mark, which changes nothing here).
//   node scripts/bench-tfjs.mjs --backend wasm|cpu --arch 784-32-784 [--batch 256] [--seconds 1.5]
//        [--min-steps 2]
// --min-steps: at least this many warm-up steps and as many timed ones (1 for the cpu backend on conv
// models, where one step of batch 128 takes many seconds).
// Prints one JSON line: {"samples_per_s": ..., "steps": ..., "params": ...}; if the backend cannot train
// the model (TF.js wasm has no Conv2DBackpropFilter kernel), {"error": "<TF.js's message>"} and exit
// status 1. The TF.js packages are npm devDependencies; the wasm backend's binaries are read from
// node_modules (nothing is fetched).
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
const spec = arg('arch', '784-32-784');
const BATCH = Number(arg('batch', 256));
const SECONDS = Number(arg('seconds', 1.5));
const MIN_STEPS = Number(arg('min-steps', 2));

/** The tf.sequential of the spec, and the shape of one example as it takes it. */
function build(spec) {
  const toks = spec.split(/\s/)[0].split('-'); // keys after a space (loss=, init=) are aelab's defaults here
  const dims = toks[0].split('x').map(Number); // C×H×W, H×W or W
  const [c, h, w] = [...Array(3 - dims.length).fill(1), ...dims];
  const conv = toks.slice(1).some((t) => !/^\*?\d+(:\w+)?$/.test(t));
  const input = conv ? [h, w, c] : [c * h * w];
  const model = tfl.sequential();
  toks.slice(1).forEach((raw, i) => {
    const last = i === toks.length - 2;
    const [tok, act0] = raw.replace(/^\*/, '').split(':');
    const activation = act0 || (last ? 'sigmoid' : 'relu');
    const first = i === 0 ? { inputShape: input } : {};
    let m;
    if (/^\d+$/.test(tok)) {
      if (conv && model.layers.length && model.outputs[0].shape.length > 2) model.add(tfl.layers.flatten());
      model.add(tfl.layers.dense({ units: Number(tok), activation, kernelInitializer: 'glorotUniform', ...first }));
    } else if ((m = /^conv(\d+)k(\d+)(?:s(\d+))?(v?)$/.exec(tok))) {
      model.add(tfl.layers.conv2d({ filters: +m[1], kernelSize: +m[2], strides: +(m[3] ?? 1), padding: m[4] ? 'valid' : 'same', activation, kernelInitializer: 'glorotUniform', ...first }));
    } else if ((m = /^convt(\d+)k(\d+)(?:s(\d+))?$/.exec(tok))) {
      model.add(tfl.layers.conv2dTranspose({ filters: +m[1], kernelSize: +m[2], strides: +(m[3] ?? 1), padding: 'same', activation, kernelInitializer: 'glorotUniform', ...first }));
    } else if ((m = /^pool(\d+)$/.exec(tok))) {
      model.add(tfl.layers.maxPooling2d({ poolSize: +m[1], strides: +m[1], padding: 'same', ...first }));
    } else if ((m = /^up(\d+)$/.exec(tok))) {
      model.add(tfl.layers.upSampling2d({ size: [+m[1], +m[1]], ...first }));
    } else throw new Error(`layer '${raw}' not supported by this runner`);
  });
  if (conv && model.outputs[0].shape.length === 2) model.add(tfl.layers.reshape({ targetShape: input }));
  return { model, input };
}

try {
  if (backend === 'wasm') setWasmPaths(`${path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialise`);
  await tf.ready();

  const img = zlib.gunzipSync(fs.readFileSync(path.join(root, 'data/train-images-idx3-ubyte.gz')));
  const N_BATCHES = 8; // minibatches prepared up front and cycled: the data pipeline is not what is measured
  const { model, input } = build(spec);
  if (input.reduce((a, b) => a * b) !== 784) throw new Error('the runner trains on MNIST: the input must have 784 values');
  const batches = [];
  for (let b = 0; b < N_BATCHES; b++) {
    const x = new Float32Array(BATCH * 784);
    for (let i = 0; i < x.length; i++) x[i] = img[16 + b * BATCH * 784 + i] / 255;
    batches.push(tf.tensor(x, [BATCH, ...input]));
  }
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });

  let step = 0;
  const trainStep = async () => {
    const x = batches[step++ % N_BATCHES];
    await model.trainOnBatch(x, x); // resolves once the loss is read back: the step is done
  };
  // warm-up: at least MIN_STEPS steps and a quarter of the time (kernels compile, memory settles)
  let t0 = performance.now();
  for (let i = 0; i < MIN_STEPS || performance.now() - t0 < 250 * SECONDS; i++) await trainStep();
  let steps = 0;
  t0 = performance.now();
  while (steps < MIN_STEPS || performance.now() - t0 < 1000 * SECONDS) {
    await trainStep();
    steps++;
  }
  const sps = (steps * BATCH) / ((performance.now() - t0) / 1000);
  console.log(JSON.stringify({ samples_per_s: Number(sps.toFixed(1)), steps, params: model.countParams() }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.message ?? e).split('\n')[0] }));
  process.exitCode = 1;
}
