#!/usr/bin/env node
// The wasm wall time of a pretraining experiment (docs/experiments.md, issue 11): the same "pretrain" jobs as
// `aelab pretrain` with the same settings, run by the page's wasm build in Node, but only SAMPLE epochs of
// every phase; the full run's time is then estimated from them (with the 784-1000-1000-1000-10 settings a
// seed's three runs take about an hour in wasm).
//   node --no-experimental-fetch scripts/pretrain-wasm.mjs [--sample 2] [--variant simd] [--threads 1]
//        [--recipe greedy,e2e,none] [--seed 1] AELAB-PRETRAIN-OPTIONS...
// AELAB-PRETRAIN-OPTIONS: those of scripts/pretrain-experiments.sh (--arch --pre-epochs --top-epochs
// --fine-epochs --labels-per-class --noise --noise-level --historical, and its OPTIONS' --lr --pre-lr --lr-decay
// --weight-decay, which replace the setting's), which passes its own with --wasm.
// --sample 0 runs every epoch instead and prints the measured time beside the estimate that --sample 2 would
// make (the check that the estimate holds).
//
// How the estimate is made. Every epoch of a phase does the same work (its steps, then the test set), so a
// phase of E epochs costs setup + E × (the time of one). A phase's setup (building its autoencoder,
// and for a layer above the first the codes of all 70,000 images through the layers below) runs at the end of
// the phase before, inside that phase's last run() call: it is that call's time less an epoch's, an epoch's
// being the mean of the phase's other timed ones (the last phase's: all of them). The first phase's setup is
// the job's creation. Time it on an idle machine: the header prints the load average when it started.
// Run from the repository root after `make site data`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { loadAelab, gunzipIfNeeded } = await import(path.join(root, 'build/site/aelab.js'));
// the walkthrough's two settings, which are those of `aelab pretrain` and of its --historical
const { SETTINGS } = await import(path.join(root, 'build/site/worker/pretrain.js'));

const o = { sample: '2', variant: 'simd', threads: '1', recipe: 'greedy,e2e,none', seed: '1', arch: '784-500-500-500-10', 'pre-epochs': '1',
  'top-epochs': '1', 'fine-epochs': '1', 'labels-per-class': '0', noise: 'none', 'noise-level': '0.25', historical: false,
  lr: null, 'pre-lr': null, 'lr-decay': null, 'weight-decay': null }; // null: the setting's (aelab pretrain's defaults)
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (k === 'historical') { o.historical = true; continue; }
  if (!(k in o) || i + 1 >= argv.length) {
    console.error(`pretrain-wasm: unknown or incomplete option ${argv[i]}`);
    console.error(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12).join('\n'));
    process.exit(2);
  }
  o[k] = argv[++i];
}
const sample = Number(o.sample);
if (!(Number.isInteger(sample) && (sample >= 2 || sample === 0))) {
  console.error('pretrain-wasm: --sample must be 0 (every epoch) or an integer of at least 2 (the second epoch of a phase gives the next one\'s setup)');
  process.exit(2);
}
const full = { pre: Number(o['pre-epochs']), top: Number(o['top-epochs']), fine: Number(o['fine-epochs']) };
const setting = SETTINGS[o.historical ? 'historical' : 'modern'];

const ae = await loadAelab({ variant: o.variant, threads: Number(o.threads) });
const read = async (f) => gunzipIfNeeded(fs.readFileSync(path.join(root, 'data', `${f}.gz`)));
const train = ae.dataset(await read('train-images-idx3-ubyte'), await read('train-labels-idx1-ubyte'));
const test = ae.dataset(await read('t10k-images-idx3-ubyte'), await read('t10k-labels-idx1-ubyte'));
console.log(`# wasm ${ae.variant} build, ${ae.threads} thread(s), in Node ${process.version}: ${o.arch} ${o.historical ? 'historical' : 'modern'}, ` +
  `${full.pre} pretraining, ${full.top} top-layer and ${full.fine} fine-tuning epochs, labels per class ${o['labels-per-class']}, noise ${o.noise}` +
  `${o.noise === 'none' ? '' : ` ${o['noise-level']}`}${['lr', 'pre-lr', 'lr-decay', 'weight-decay'].filter((k) => o[k] !== null).map((k) => `, ${k} ${o[k]}`).join('')}, seed ${o.seed}; ${sample ? `${sample} epochs of each phase timed` : 'every epoch run'}; load average ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores`);
const fmt = (s) => `${s.toFixed(0)} s${s >= 600 ? ` (${(s / 3600).toFixed(2)} h)` : ''}`;
for (const recipe of o.recipe.split(',')) {
  const { hidden, ...opt } = setting;
  const model = ae.model({ sizes: o.arch, hidden, output: 'softmax', maxBatch: 256, seed: Number(o.seed) });
  const cfg = { ...opt, recipe, preEpochs: sample || full.pre, topEpochs: sample || full.top, fineEpochs: sample || full.fine, labelsPerClass: Number(o['labels-per-class']),
    noise: o.noise, noiseLevel: Number(o['noise-level']), batch: 128, seed: Number(o.seed), test };
  for (const [k, js] of [['lr', 'lr'], ['pre-lr', 'preLr'], ['lr-decay', 'lrDecay'], ['weight-decay', 'weightDecay']]) if (o[k] !== null) cfg[js] = Number(o[k]);
  let t = performance.now();
  const job = ae.job('pretrain', model, train, cfg);
  let s = job.run(0);
  const create = (performance.now() - t) / 1000;
  const phases = s.phases, names = [...Array(phases).keys()].map((p) => job.phaseName(p));
  const times = names.map(() => []); // the time of each run() call that ended an epoch of the phase
  while (!s.done) {
    t = performance.now();
    s = job.run(1 << 30, true);
    const secs = (performance.now() - t) / 1000;
    if (s.epochEnds.length !== 1) throw new Error(`a run() call ended ${s.epochEnds.length} epochs`);
    times[s.epochEnds[0].phase].push(secs);
  }
  // the full run's epochs of each phase: pretraining phases, then the top layer and fine-tuning (the baseline: one phase of both)
  const top = recipe === 'greedy' ? phases - 2 : recipe === 'e2e' ? 1 : 0;
  const epochsOf = (p) => (recipe === 'none' ? full.top + full.fine : p < top ? full.pre : p === top ? full.top : full.fine);
  let total = create, measured = create;
  console.log(`${recipe}: job created in ${create.toFixed(1)} s`);
  for (let p = 0; p < phases; p++) {
    // an epoch: the mean of the timed ones but the last, which also holds the next phase's setup (the last
    // phase: all of them); with --sample 0, of the epochs --sample 2 would have timed (the baseline's one
    // phase is a top-layer and a fine-tuning phase in one: 2 + 2)
    const ts = times[p], timed = sample ? ts.length : Math.min(ts.length, recipe === 'none' ? 4 : 2);
    const k = Math.max(1, timed - (p + 1 < phases ? 1 : 0)), first = ts.slice(0, k).reduce((a, b) => a + b, 0) / k;
    const setupNext = p + 1 < phases ? Math.max(0, ts[ts.length - 1] - first) : 0;
    const est = epochsOf(p) * first + setupNext;
    total += est;
    measured += ts.reduce((a, b) => a + b, 0);
    console.log(`  phase ${p + 1}/${phases} ${names[p]}: epochs timed ${ts.slice(0, 4).map((x) => x.toFixed(1)).join(' ')}${ts.length > 4 ? ' ...' : ''} s; ` +
      `${epochsOf(p)} epochs ≈ ${fmt(epochsOf(p) * first)}${p + 1 < phases ? `, the next phase's setup ${setupNext.toFixed(1)} s` : ''}`);
  }
  if (sample) console.log(`${recipe}: estimated wall time of the full run ${fmt(total)} (test error after ${sample} epochs a phase: ${(100 * (1 - s.testAcc)).toFixed(2)}%)`);
  else console.log(`${recipe}: measured wall time ${fmt(measured)}, estimated as --sample 2 would ${fmt(total)} (test error ${(100 * (1 - s.testAcc)).toFixed(2)}%)`);
  job.destroy();
  model.destroy();
}
