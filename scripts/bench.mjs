#!/usr/bin/env node
// make bench: training speed of the dense workloads of issue #4 on every engine in one run, interleaved
// (each round runs every engine once per workload, so machine noise hits all of them alike), reporting the
// median, min and max samples/s over the rounds, GFLOP/s, the fraction of the measured SIMD peak, ratios
// to TensorFlow.js's wasm backend and to aelab's own 1-thread SIMD build, the 2-thread speedups, and the
// wasm memory after a full-MNIST W1 run. Engines: aelab native (1 and 2 threads), aelab wasm threads
// build (2 threads), SIMD and scalar builds (1 thread), TensorFlow.js wasm and cpu backends (npm).
//   node scripts/bench.mjs [--rounds 3] [--seconds 1.5] [--only W1,W2] [--no-tfjs] [--base DIR]
// --base DIR: a checkout of another commit with its own build/aelab and build/site (`make bench BASE=rev`
// makes one in build/base); its native and wasm engines run interleaved with ours, and the report ends with
// this commit's speed as a ratio of that one's, the median of per-round ratios.
// All workloads: ReLU hidden, sigmoid output, BCE, Adam lr 1e-3, batch 256, float32, MNIST training images.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { loadAelab, gunzipIfNeeded } = await import(path.join(root, 'build/site/aelab.js'));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', 3));
const SECONDS = Number(arg('seconds', 1.5));
const WORKLOADS = [
  ['W1', '784-32-784'],
  ['W2', '784-128-64-32-64-128-784'],
  ['W4', '784-1000-500-250-30-250-500-1000-784'],
].filter(([w]) => !arg('only') || arg('only').split(',').includes(w));
const BATCH = 256;

const BASE = arg('base') ? path.resolve(arg('base')) : null;
const images = gunzipIfNeeded(fs.readFileSync(path.join(root, 'data/train-images-idx3-ubyte.gz')));
const wasm = {};
for (const [name, variant, threads] of [['aelab wasm threads, 2 threads', 'threads', 2], ['aelab wasm SIMD, 1 thread', 'simd', 1], ['aelab wasm scalar, 1 thread', 'scalar', 1]]) {
  const ae = await loadAelab({ variant, threads });
  wasm[name] = { ae, data: ae.dataset(await images) };
}
const based = {}; // our engine name -> the base commit's engine of the same kind
if (BASE) {
  const old = await import(path.join(BASE, 'build/site/aelab.js'));
  for (const [name, variant, threads] of [['aelab wasm threads, 2 threads', 'threads', 2], ['aelab wasm SIMD, 1 thread', 'simd', 1]]) {
    const ae = await old.loadAelab({ variant, threads });
    wasm[`base: ${name}`] = { ae, data: ae.dataset(await images) };
    based[name] = `base: ${name}`;
  }
}
const SIMD1 = 'aelab wasm SIMD, 1 thread';
const TFJS = 'TF.js wasm (SIMD), 1 thread';

const lastJson = (out) => JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());

function nativeRun(sizes, threads, dir = root) {
  const out = execFileSync(path.join(dir, 'build/aelab'), ['bench', '--arch', sizes, '--batch', String(BATCH), '--seconds', String(SECONDS), '--threads', String(threads)], { cwd: root, encoding: 'utf8' });
  return lastJson(out).samples_per_s;
}

// each TF.js run in a process of its own (scripts/bench-tfjs.mjs), so its memory and threads are its own
function tfjsRun(sizes, backend) {
  const out = execFileSync(process.execPath, [path.join(root, 'scripts/bench-tfjs.mjs'), '--backend', backend, '--arch', sizes, '--batch', String(BATCH), '--seconds', String(SECONDS)],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return lastJson(out).samples_per_s;
}

// engine name -> [run(sizes), peak key, threads]
const engines = {
  'aelab native, 1 thread': [(s) => nativeRun(s, 1), 'native', 1],
  'aelab native, 2 threads': [(s) => nativeRun(s, 2), 'native', 2],
  ...(BASE ? {
    'base: aelab native, 1 thread': [(s) => nativeRun(s, 1, BASE), 'native', 1],
    'base: aelab native, 2 threads': [(s) => nativeRun(s, 2, BASE), 'native', 2],
  } : {}),
  ...Object.fromEntries(Object.entries(wasm).map(([name, e]) => [name, [(s) => wasmRun(e, s), 'wasm simd', e.ae.threads]])),
  ...(process.argv.includes('--no-tfjs') ? {} : {
    [TFJS]: [(s) => tfjsRun(s, 'wasm'), 'wasm simd', 1],
    'TF.js cpu': [(s) => tfjsRun(s, 'cpu'), 'wasm simd', 1],
  }),
};

function wasmRun({ ae, data }, sizes) {
  const model = ae.model({ sizes, hidden: 'relu', output: 'sigmoid', loss: 'bce', maxBatch: BATCH, seed: 1 });
  model.initOutputBias?.(data); // as the native bench does (older builds did it in the trainer)
  const tr = ae.trainer(model, data, { batch: BATCH, optimizer: 'adam', lr: 1e-3 });
  try {
    // warm-up: V8 optimises a wasm function once it is called again, so call run() in short chunks
    let t0 = performance.now();
    while (performance.now() - t0 < 250 * SECONDS) tr.run(1);
    let samples = 0;
    t0 = performance.now();
    while (performance.now() - t0 < 1000 * SECONDS) samples += tr.run(1).samples;
    return samples / ((performance.now() - t0) / 1000);
  } finally {
    tr.destroy();
    model.destroy();
  }
}

function peakWasm(ae) {
  const p = ae.alloc(8);
  try {
    for (let i = 0; i < 200; i++) ae.M._ae_wasm_peak(20000, p); // warm-up and tier-up
    let flops = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) { ae.M._ae_wasm_peak(200000, p); flops += ae.M.HEAPF64[p >> 3]; }
    return flops / ((performance.now() - t0) / 1000) / 1e9;
  } finally {
    ae.free(p);
  }
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
// the C core's own count (ae_model_train_flops), so the bench and the CLI agree by construction
function flopsOf(sizes) {
  const ae = wasm[SIMD1].ae;
  const m = ae.model({ sizes, maxBatch: 1 });
  try {
    return ae.M._ae_wasm_model_flops(m.handle);
  } finally {
    m.destroy();
  }
}

const peaks = {
  native: JSON.parse(execFileSync(path.join(root, 'build/aelab'), ['bench', '--peak', '--seconds', '1'], { encoding: 'utf8' })).peak_gflops,
  'wasm simd': peakWasm(wasm[SIMD1].ae),
};
const names = Object.keys(engines);
const results = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [w, sizes] of WORKLOADS) {
    for (const name of names) {
      const sps = engines[name][0](sizes);
      ((results[w] ??= {})[name] ??= []).push(sps);
      process.stderr.write(`round ${r + 1}/${ROUNDS} ${w} ${name}: ${Math.round(sps)} samples/s\n`);
    }
  }
}

// memory: a full-MNIST W1 epoch in a fresh wasm instance
const fresh = await loadAelab({ variant: 'simd' });
const d = fresh.dataset(await images);
const m = fresh.model({ sizes: '784-32-784', maxBatch: BATCH });
fresh.trainer(m, d, { batch: BATCH }).run(1e9, true);
const memMiB = fresh.heapBytes / 2 ** 20;

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [];
lines.push(`Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}; ${ROUNDS} interleaved rounds of ${SECONDS} s per engine and workload.`);
lines.push(`SIMD multiply-add peak of one core (no FMA): native ${peaks.native.toFixed(1)} GFLOP/s, wasm SIMD ${peaks['wasm simd'].toFixed(1)} GFLOP/s.`);
lines.push('');
lines.push('Peak for a 2-thread row: twice the one-core peak.');
lines.push('');
lines.push(`| workload | engine | samples/s median | min | max | GFLOP/s | % of peak | vs ${TFJS} | vs ${SIMD1} |`);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [w, sizes] of WORKLOADS) {
  const base = median(results[w][SIMD1]);
  const tf = results[w][TFJS] ? median(results[w][TFJS]) : null;
  for (const name of names) {
    const a = results[w][name];
    const med = median(a);
    const gf = (med * flopsOf(sizes)) / 1e9;
    const [, peakKey, threads] = engines[name];
    const peak = peaks[peakKey] * threads;
    lines.push(`| ${w} ${sizes} | ${name} | ${Math.round(med)} | ${Math.round(Math.min(...a))} | ${Math.round(Math.max(...a))} | ${gf.toFixed(2)} | ${((100 * gf) / peak).toFixed(0)}% | ${tf ? `${(med / tf).toFixed(1)}×` : '–'} | ${(med / base).toFixed(2)}× |`);
  }
}
lines.push('');
// thread scaling from runs next to each other in time: the ratio within each round, then its median
// (a neighbour on the shared machine taking a core for a few seconds hurts one round, not the result)
const ratio = (r, a, b) => {
  const q = r[a].map((x, i) => x / r[b][i]);
  return `${median(q).toFixed(2)}× (rounds ${Math.min(...q).toFixed(2)}–${Math.max(...q).toFixed(2)})`;
};
lines.push('2 threads against 1, median of per-round ratios: ' + WORKLOADS.map(([w]) => {
  const r = results[w];
  return `${w} wasm ${ratio(r, 'aelab wasm threads, 2 threads', SIMD1)}, native ${ratio(r, 'aelab native, 2 threads', 'aelab native, 1 thread')}`;
}).join('; ') + '.');
if (BASE) {
  for (const n of ['aelab native, 1 thread', 'aelab native, 2 threads']) based[n] = `base: ${n}`;
  lines.push('');
  lines.push(`This commit against the base (${BASE}), median of per-round ratios (above 1: faster now):`);
  for (const [w] of WORKLOADS) lines.push(`- ${w}: ` + Object.entries(based).map(([n, b]) => `${n} ${ratio(results[w], n, b)}`).join('; '));
}
lines.push('');
lines.push(`wasm memory after one full-MNIST epoch of W1 (60,000 images as uint8, model, buffers): ${memMiB.toFixed(0)} MiB.`);
console.log(lines.join('\n'));
