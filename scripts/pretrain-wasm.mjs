#!/usr/bin/env node
// The wasm wall time of a pretraining experiment (docs/experiments.md, issue 11): the same "pretrain" jobs as
// `aelab pretrain` with the same settings, run by the page's wasm build, but only SAMPLE epochs of every
// phase; the full run's time is then estimated from them (scripts/pretrain-estimate.mjs says how, and how
// --sample 0 checks it; docs/experiments.md, how long the 784-1000-1000-1000-10 settings take).
//   node scripts/pretrain-wasm.mjs [--browser] [--sample 2] [--variant simd]
//        [--threads 1] [--recipe greedy,e2e,none] [--seed 1] AELAB-PRETRAIN-OPTIONS...
// AELAB-PRETRAIN-OPTIONS: those of scripts/pretrain-experiments.sh (--arch --pre-epochs --top-epochs
// --fine-epochs --labels-per-class --noise --noise-level --historical, and its OPTIONS' --lr --pre-lr --lr-decay
// --weight-decay, which replace the setting's), which passes its own with --wasm or --browser.
// --browser runs it in headless Chromium (Debian's, as the browser tests do) instead of Node: in a Worker of
// a blank, cross-origin isolated page on the origin where scripts/serve.mjs serves build/site, which fetches
// the engine, the walkthrough's settings and the gzipped MNIST from there as the page does.
// Time it on an idle machine: the header prints the load average when it started.
// Run from the repository root after `make site data`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimate } from './pretrain-estimate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const o = { sample: '2', variant: 'simd', threads: '1', recipe: 'greedy,e2e,none', seed: '1', arch: '784-500-500-500-10', 'pre-epochs': '1',
  'top-epochs': '1', 'fine-epochs': '1', 'labels-per-class': '0', noise: 'none', 'noise-level': '0.25', historical: false, browser: false,
  lr: null, 'pre-lr': null, 'lr-decay': null, 'weight-decay': null }; // null: the setting's (aelab pretrain's defaults)
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].slice(2);
  if (argv[i] === '--historical' || argv[i] === '--browser') { o[k] = true; continue; }
  if (!argv[i].startsWith('--') || !(k in o) || i + 1 >= argv.length) {
    console.error(`pretrain-wasm: unknown or incomplete option ${argv[i]}`);
    console.error(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 15).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    process.exit(2);
  }
  o[k] = argv[++i];
}
const sample = Number(o.sample);
if (!(Number.isInteger(sample) && (sample >= 2 || sample === 0))) {
  console.error('pretrain-wasm: --sample must be 0 (every epoch) or an integer of at least 2 (the second epoch of a phase gives the next one\'s setup)');
  process.exit(2);
}
// refused before anything runs (the engine refuses a bad architecture or noise itself)
const counts = { threads: 1, seed: 0, 'pre-epochs': 1, 'top-epochs': 1, 'fine-epochs': 1, 'labels-per-class': 0 };
for (const [k, min] of Object.entries(counts)) {
  if (!/^\d+$/.test(o[k]) || Number(o[k]) < min) {
    console.error(`pretrain-wasm: --${k} must be a whole number of at least ${min}, not '${o[k]}'`);
    process.exit(2);
  }
}
for (const k of ['noise-level', 'lr', 'pre-lr', 'lr-decay', 'weight-decay']) {
  if (o[k] !== null && !Number.isFinite(Number(o[k]))) {
    console.error(`pretrain-wasm: --${k} must be a number, not '${o[k]}'`);
    process.exit(2);
  }
}
if (!o.recipe.split(',').every((r) => ['greedy', 'e2e', 'none'].includes(r))) {
  console.error(`pretrain-wasm: --recipe must list greedy, e2e and none, comma-separated, not '${o.recipe}'`);
  process.exit(2);
}
if (Number(o.threads) > 1 && o.variant !== 'threads') {
  console.error(`pretrain-wasm: --threads ${o.threads} needs --variant threads (the ${o.variant} build runs on one thread)`);
  process.exit(2);
}
const load = `load average ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores`;
const log = (line) => console.log(line);

if (!o.browser) {
  try {
    const { loadAelab, gunzipIfNeeded } = await import(path.join(root, 'build/site/aelab.js'));
    // the walkthrough's two settings, which are those of `aelab pretrain` and of its --historical
    const { SETTINGS } = await import(path.join(root, 'build/site/worker/pretrain.js'));
    const ae = await loadAelab({ variant: o.variant, threads: Number(o.threads) });
    const read = async (f) => gunzipIfNeeded(fs.readFileSync(path.join(root, 'data', `${f}.gz`)));
    const train = ae.dataset(await read('train-images-idx3-ubyte'), await read('train-labels-idx1-ubyte'));
    const test = ae.dataset(await read('t10k-images-idx3-ubyte'), await read('t10k-labels-idx1-ubyte'));
    estimate({ ae, SETTINGS, train, test, o, where: `Node ${process.version}`, load, log });
  } catch (e) {
    // as in the browser: the engine's refusals by their message, anything else with where it came from
    console.error(`pretrain-wasm: ${e?.name === 'AelabError' ? e.message : e?.stack ?? e}`);
    process.exitCode = 1;
  }
} else {
  if (typeof Headers === 'undefined') {
    console.error('pretrain-wasm: --browser drives Chromium with playwright-core, which needs Node\'s fetch: run it without --no-experimental-fetch');
    process.exit(2);
  }
  const { serve, launch } = await import('../tests/browser/browser.mjs');
  const server = await serve({ isolate: true });
  process.on('exit', () => server.close()); // the server is a process of its own: never leave it behind
  let chrome;
  try {
    chrome = await launch();
    const page = await chrome.browser.newPage();
    // a blank document of the site's origin and headers (its index.html would start the app's own Worker
    // and load MNIST beside the run being timed)
    const blank = `${server.url}__pretrain-wasm.html`;
    await page.route(blank, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>pretrain-wasm</title>',
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } }));
    await page.goto(blank);
    // settled by the Worker's last message, or by the page failing under it (a crashed renderer, say out of
    // memory, sends nothing more); the page hands each message to Node through an exposed function
    let settle;
    const done = new Promise((resolve, reject) => (settle = { resolve, reject }));
    done.catch(() => {}); // awaited below; a failure before that is not an unhandled rejection
    await page.exposeFunction('__report', (m) => (m.line !== undefined ? log(m.line) : m.done ? settle.resolve() : settle.reject(new Error(m.error))));
    page.on('pageerror', settle.reject);
    page.on('crash', () => settle.reject(new Error('the page crashed (out of memory?)')));
    page.on('close', () => settle.reject(new Error('the page closed before the run ended')));
    // The Worker runs the estimator's own file, from a Blob since build/site does not hold it; it names the
    // engine it runs in itself.
    await page.evaluate(({ src, msg }) => {
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module', name: 'pretrain-estimate' });
      w.onmessage = ({ data }) => window.__report(data);
      // a module that fails to load or parse gives an Event without a message
      w.onerror = (e) => window.__report({ error: e.message ?? 'the estimating Worker did not start' });
      w.postMessage(msg);
    }, { src: fs.readFileSync(path.join(root, 'scripts/pretrain-estimate.mjs'), 'utf8'), msg: { site: server.url, o, load } });
    await done;
  } catch (e) {
    console.error(`pretrain-wasm: ${e.message}`);
    process.exitCode = 1;
  } finally {
    await chrome?.close();
    server.close();
  }
}
