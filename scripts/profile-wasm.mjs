#!/usr/bin/env node
// Where a training step's time goes in the page's WebAssembly build: `aelab bench --profile`, run in Node on
// the same module the page loads (build/site).
//   node --no-experimental-fetch scripts/profile-wasm.mjs [--arch SPEC] [--batch 128] [--seconds 6]
//        [--variant simd|threads|scalar] [--threads N] [--site build/site]
// Trains on MNIST's training images (sigmoid output, BCE, Adam 1e-3, seed 1; the output bias at the data's mean)
// as the native bench does: a quarter of --seconds to warm up, then --seconds timed with a clock around each
// layer's forward and backward pass (Model.profile). Prints the native profile's table: each layer's
// milliseconds a step and GFLOP/s, the rest of the step, and the SIMD multiply-add peak of one core measured
// in the same module. --arch defaults to W3, the Keras blog's convolutional autoencoder.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const W3 = '28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3';
const o = { arch: W3, batch: '128', seconds: '6', variant: 'simd', threads: undefined, site: path.join(root, 'build/site') };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (k === 'help') { console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 11).join('\n')); process.exit(0); }
  if (!(k in o) || i + 1 >= argv.length) { console.error(`profile-wasm: unknown or incomplete option ${argv[i]}`); process.exit(2); }
  o[k] = argv[++i];
}
const batch = Number(o.batch), seconds = Number(o.seconds);
if (!(Number.isInteger(batch) && batch >= 1) || !(seconds > 0)) { console.error('profile-wasm: --batch is a whole number of at least 1, --seconds a positive number'); process.exit(2); }

const { loadAelab, gunzipIfNeeded } = await import(path.join(path.resolve(o.site), 'aelab.js'));
const ae = await loadAelab({ variant: o.variant, threads: o.threads === undefined ? undefined : Number(o.threads) });
const data = ae.dataset(await gunzipIfNeeded(fs.readFileSync(path.join(root, 'data/train-images-idx3-ubyte.gz'))));
const model = ae.model({ sizes: o.arch, hidden: 'relu', output: 'sigmoid', loss: 'bce', maxBatch: batch, seed: 1 });
let trainer;
try {
  model.initOutputBias(data);
  trainer = ae.trainer(model, data, { batch, optimizer: 'adam', lr: 1e-3 });
  // warm-up in short calls: V8 optimises a wasm function once it is called again
  let t0 = performance.now();
  while (performance.now() - t0 < 250 * seconds) trainer.run(1);
  const stop = model.profile();
  let steps = 0;
  t0 = performance.now();
  while (performance.now() - t0 < 1000 * seconds) steps += trainer.run(1).steps;
  const el = (performance.now() - t0) / 1000, layers = stop();
  if (!steps) throw new Error('no step was timed: give more --seconds');

  const peak = ae.peakGflops(500); // as scripts/bench.mjs measures it

  const stepMs = (1e3 * el) / steps, sps = (steps * batch) / el;
  const pad = (s, n, left) => (left ? String(s).padEnd(n) : String(s).padStart(n));
  console.log(`profile of ${model.spec}, batch ${batch}, ${ae.threads} thread(s), wasm ${ae.variant}: ${stepMs.toFixed(2)} ms a step, ${sps.toFixed(0)} samples/s, `
    + `${((sps * model.flops()) / 1e9).toFixed(2)} GFLOP/s; one core's peak ${peak.toFixed(1)} GFLOP/s`);
  console.log(`${pad('layer', 5, 1)} ${pad('kind', 8, 1)} ${pad('output', 10, 1)} ${pad('forward ms', 12)} ${pad('GFLOP/s', 9)} ${pad('backward ms', 12)} ${pad('GFLOP/s', 9)} ${pad('share', 7)}`);
  let sum = 0;
  layers.forEach(({ forward, backward }, l) => {
    const f = (1e3 * forward) / steps, b = (1e3 * backward) / steps;
    const gf = (ms, fl) => (fl > 0 ? (fl * batch) / ms / 1e6 : 0).toFixed(2);
    const [c, h, w] = model.shapes[l + 1];
    console.log(`${pad(l, 5, 1)} ${pad(model.kinds[l], 8, 1)} ${pad(`${c}x${h}x${w}`, 10, 1)} ${pad(f.toFixed(3), 12)} ${pad(gf(f, model.flops(l, false)), 9)} `
      + `${pad(b.toFixed(3), 12)} ${pad(gf(b, model.flops(l, true)), 9)} ${pad(`${((100 * (f + b)) / stepMs).toFixed(1)}%`, 7)}`);
    sum += f + b;
  });
  console.log(`${pad('rest', 5, 1)} ${pad('', 8, 1)} ${pad('', 10, 1)} ${pad((stepMs - sum).toFixed(3), 12)} ${pad('', 9)} ${pad('', 12)} ${pad('', 9)} ${pad(`${((100 * (stepMs - sum)) / stepMs).toFixed(1)}%`, 7)}`);
  console.log("(rest: the batch's pixels to floats, the loss and its gradient, zeroing the gradients, the optimizer step)");
} catch (e) {
  console.error(`profile-wasm: ${e.message}`);
  process.exitCode = 1;
} finally {
  trainer?.destroy();
  model.destroy();
  data.destroy();
}
