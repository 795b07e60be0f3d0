#!/usr/bin/env node
// make bench: training speed of the dense workloads of issue #4 and the convolutional ones of issue #10 on
// every engine in one run, interleaved (each round runs every engine once per workload, so machine noise
// hits all of them alike), reporting the median, min and max samples/s over the rounds, GFLOP/s, the
// fraction of the measured SIMD peak, ratios to TensorFlow.js's wasm backend, to PyTorch on one thread and
// to aelab's own 1-thread SIMD build, the 2-thread speedups, the goals of issue #10, and the wasm memory
// of full-MNIST runs. Engines: aelab native (1 and 2 threads), aelab wasm threads build (2 threads), SIMD
// and scalar builds (1 thread), TensorFlow.js wasm and cpu backends (npm), PyTorch (Debian's python3-torch,
// 1 and 2 threads).
//   node scripts/bench.mjs [--rounds 3] [--seconds 1.5] [--only W1,W2,W3,K] [--no-tfjs] [--no-torch]
//        [--no-check] [--python /usr/bin/python3] [--base DIR]
// --no-check: without the round-trip probes (to see whether they change the runs after them).
// --base DIR: a checkout of another commit with its own build/aelab and build/site (`make bench BASE=rev`
// makes one in build/base); its native and wasm engines run interleaved with ours, and the report ends with
// this commit's speed as a ratio of that one's, the median of per-round ratios (for 2 threads also over the
// rounds in which the cores were together around both runs). A base that cannot build a
// workload's model (one from before the convolutional layers) reads 'n/a' there.
// Around every 2-thread run, the cache line round trip between two threads (`build/aelab bench
// --round-trip`, before and after): tens of ns while the host keeps this machine's two cores under one
// L3 cache, hundreds while it has put them on different chiplets, which it does for stretches of seconds
// to minutes. A parallel training step reads across the cores at every loop, so a split machine gains
// much less from its second thread while its arithmetic peak is unchanged. The report gives the
// 2-thread ratios of all rounds and of the rounds whose 2-thread runs had the cores under one cache (both
// readings at most SPLIT_NS), and each round's ratio with its two readings.
// An engine that cannot train a workload is run once and its message goes in the table: TF.js's wasm
// backend fails on convolutional training (it has no Conv2DBackpropFilter kernel).
// All workloads: ReLU hidden, sigmoid output, BCE, Adam lr 1e-3, float32, MNIST training images; batch 256
// dense, 128 convolutional (as keras.io); the convolutional ones run for 2/3 of --seconds (their steps are
// longer, their GFLOP/s steadier).
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
// [name, spec, batch, seconds per run]
const WORKLOADS = [
  ['W1', '784-32-784', 256, SECONDS],
  ['W2', '784-128-64-32-64-128-784', 256, SECONDS],
  ['W4', '784-1000-500-250-30-250-500-1000-784', 256, SECONDS],
  // the Keras blog's convolutional autoencoder: 4,385 parameters, a 8×4×4 code
  ['W3', '1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3', 128, (2 * SECONDS) / 3],
  // keras.io's convolutional autoencoder: 28,353 parameters
  ['K', '1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3', 128, (2 * SECONDS) / 3],
].filter(([w]) => !arg('only') || arg('only').split(',').includes(w));
const isConv = (spec) => /conv|pool|up/.test(spec);
// TF.js's cpu backend trains the convolutional models at a few samples/s (a step of 128: 20 s on W3, about
// 90 s on K): there it runs one round, on steps of TFJS_CPU_CONV_BATCH (pure-JS loops per example, so its
// samples/s hardly depends on the batch), one warm-up step and one timed step.
const TFJS_CPU_CONV_BATCH = 8;

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
const SIMD1 = 'aelab wasm SIMD, 1 thread', WT2 = 'aelab wasm threads, 2 threads';
const NT1 = 'aelab native, 1 thread', NT2 = 'aelab native, 2 threads';
const TFJS = 'TF.js wasm (SIMD), 1 thread';

const lastJson = (out) => JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());

/** The JSON line a runner prints; a failing runner throws its own message (its JSON "error", or else its
 * last line on stderr). */
function runJson(file, args, env = process.env) {
  let j;
  try {
    j = lastJson(execFileSync(file, args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (e) {
    let msg;
    try { msg = lastJson(e.stdout ?? '').error; } catch { /* no JSON: the message is on stderr */ }
    throw new Error(msg ?? String(e.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? e.message);
  }
  if (j.error) throw new Error(j.error);
  return j;
}

// a workload as the engines take it: { spec, batch, seconds }
function nativeRun({ spec, batch, seconds }, threads, dir = root) {
  return runJson(path.join(dir, 'build/aelab'), ['bench', '--arch', spec, '--batch', String(batch), '--seconds', String(seconds), '--threads', String(threads)]).samples_per_s;
}

// each TF.js run in a process of its own (scripts/bench-tfjs.mjs), so its memory and threads are its own
function tfjsRun({ spec, batch, seconds }, backend) {
  const slow = backend === 'cpu' && isConv(spec);
  const j = runJson(process.execPath, [path.join(root, 'scripts/bench-tfjs.mjs'), '--backend', backend, '--arch', spec,
    '--batch', String(slow ? TFJS_CPU_CONV_BATCH : batch), '--seconds', String(seconds), '--min-steps', slow ? '1' : '2']);
  return [j.samples_per_s, j.params];
}

// PyTorch (scripts/bench-torch.py), a process per run. Debian's python3-torch is for /usr/bin/python3,
// which a python3 earlier on PATH (pyenv, a venv) may not see.
const PYTHON = arg('python', fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
let torch = null; // { version, blas } once found
if (!process.argv.includes('--no-torch')) {
  try {
    torch = { version: execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() };
  } catch { /* the rows say n/a */ }
}
const TORCH = (threads, tuned = false) => `PyTorch${torch ? ` ${torch.version.replace(/^(\d+\.\d+).*/, '$1')}` : ''}${tuned ? ' (malloc tuned)' : ''}, ${threads} thread${threads > 1 ? 's' : ''}`;
const TORCH1 = TORCH(1), TORCH1M = TORCH(1, true);
// PyTorch as Debian runs it gives each step's freed tensors back to the OS (glibc malloc serves large blocks
// with mmap and munmap, and trims its heap), so every step faults its memory in again: on W3 about a third
// of the time goes to the kernel. PyTorch's own CPU tuning advice is a caching allocator (jemalloc,
// tcmalloc); glibc's documented MALLOC_*_ environment variables keep the memory the same way with no other
// package, and W3 on one thread trains much faster. Both are run.
const MALLOC_KEEPS = { MALLOC_MMAP_THRESHOLD_: '1073741824', MALLOC_TRIM_THRESHOLD_: '1073741824', MALLOC_TOP_PAD_: '268435456' };
function torchRun({ spec, batch, seconds }, threads, tuned = false) {
  if (!torch) throw new Error('python3-torch not installed');
  const j = runJson(PYTHON, [path.join(root, 'scripts/bench-torch.py'), '--arch', spec, '--batch', String(batch), '--seconds', String(seconds), '--threads', String(threads)],
    tuned ? { ...process.env, ...MALLOC_KEEPS } : process.env);
  torch.blas = j.blas;
  return [j.samples_per_s, j.params];
}

// engine name -> { run(workload) -> samples/s or [samples/s, parameters], peak key, threads,
//   na: a failure reads 'n/a (why)' rather than 'fails: why', once(workload): run in the first round only }
const engines = {
  [NT1]: { run: (wl) => nativeRun(wl, 1), peak: 'native', threads: 1 },
  [NT2]: { run: (wl) => nativeRun(wl, 2), peak: 'native', threads: 2 },
  ...(BASE ? {
    'base: aelab native, 1 thread': { run: (wl) => nativeRun(wl, 1, BASE), peak: 'native', threads: 1, na: true },
    'base: aelab native, 2 threads': { run: (wl) => nativeRun(wl, 2, BASE), peak: 'native', threads: 2, na: true },
  } : {}),
  ...Object.fromEntries(Object.entries(wasm).map(([name, e]) => [name, { run: (wl) => wasmRun(e, wl), peak: 'wasm simd', threads: e.ae.threads, na: name.startsWith('base:') }])),
  ...(process.argv.includes('--no-tfjs') ? {} : {
    [TFJS]: { run: (wl) => tfjsRun(wl, 'wasm'), peak: 'wasm simd', threads: 1 },
    'TF.js cpu': { run: (wl) => tfjsRun(wl, 'cpu'), peak: 'wasm simd', threads: 1, once: (wl) => isConv(wl.spec) },
  }),
  ...(process.argv.includes('--no-torch') ? {} : {
    [TORCH1]: { run: (wl) => torchRun(wl, 1), peak: 'native', threads: 1, na: !torch },
    [TORCH(2)]: { run: (wl) => torchRun(wl, 2), peak: 'native', threads: 2, na: !torch, noProbe: !torch },
    [TORCH1M]: { run: (wl) => torchRun(wl, 1, true), peak: 'native', threads: 1, na: !torch },
    [TORCH(2, true)]: { run: (wl) => torchRun(wl, 2, true), peak: 'native', threads: 2, na: !torch, noProbe: !torch },
  }),
};

function wasmRun({ ae, data }, { spec, batch, seconds }) {
  const model = ae.model({ sizes: spec, hidden: 'relu', output: 'sigmoid', loss: 'bce', maxBatch: batch, seed: 1 });
  let tr;
  try {
    model.initOutputBias?.(data); // as the native bench does (older builds did it in the trainer)
    tr = ae.trainer(model, data, { batch, optimizer: 'adam', lr: 1e-3 });
    // warm-up: V8 optimises a wasm function once it is called again, so call run() in short chunks
    let t0 = performance.now();
    while (performance.now() - t0 < 250 * seconds) tr.run(1);
    let samples = 0;
    t0 = performance.now();
    while (performance.now() - t0 < 1000 * seconds) samples += tr.run(1).samples;
    return samples / ((performance.now() - t0) / 1000);
  } finally {
    tr?.destroy();
    model.destroy();
  }
}

const median = (a) => {
  const v = [...a].sort((x, y) => x - y), h = Math.floor(v.length / 2);
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2; // an even count: the mean of the middle two
};
// the C core's own count (ae_model_train_flops), so the bench and the CLI agree by construction; and the
// parameter count, which every other engine's model must match
const counts = new Map();
function countsOf(spec) {
  if (counts.has(spec)) return counts.get(spec);
  const ae = wasm[SIMD1].ae;
  const m = ae.model({ sizes: spec, maxBatch: 1 });
  try {
    counts.set(spec, { flops: m.flops(), params: m.nParams });
    return counts.get(spec);
  } finally {
    m.destroy();
  }
}

/** The native peak loop on `threads` threads together, GFLOP/s (aelab bench --peak). */
function nativePeak(threads, seconds) {
  const j = runJson(path.join(root, 'build/aelab'), ['bench', '--peak', '--seconds', String(seconds), '--threads', String(threads)]);
  if ((j.threads ?? 1) !== threads) throw new Error(`build/aelab bench --peak ran on ${j.threads ?? 1} thread(s), not ${threads}: rebuild it`);
  return j.peak_gflops;
}
const peaks = {
  native: nativePeak(1, 1),
  'wasm simd': wasm[SIMD1].ae.peakGflops(),
};
// The round-trip probe (see the header); a failed probe reads NaN ('n/a') and the bench goes on.
const CHECK = !process.argv.includes('--no-check');
const SPLIT_NS = 200; // this machine's threshold: about 60-110 ns under one L3 cache, 320-610 ns across chiplets
function roundTrip() {
  if (!CHECK) return NaN;
  try {
    return runJson(path.join(root, 'build/aelab'), ['bench', '--round-trip']).round_trip_ns;
  } catch (e) {
    process.stderr.write(`round-trip probe: ${e.message}\n`);
    return NaN;
  }
}
const names = Object.keys(engines);
const trips = {}; // workload -> 2-thread engine -> per round, { before, after }: the round trips around its run (ns, NaN: failed)
const fmtTrip = (t) => [t.before, t.after].map((x) => (Number.isFinite(x) ? Math.round(x) : '–')).join('/') + ' ns'; // –: a failed reading
const results = {}; // workload -> engine -> samples/s per round
const failed = {}; // workload -> engine -> the table's text: 'fails: <message>' or 'n/a (<message>)'
const notes = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const [w, spec, batch, seconds] of WORKLOADS) {
    const wl = { spec, batch, seconds };
    for (const name of names) {
      const e = engines[name];
      // an engine that failed on a workload fails the same way every round; a slow one runs once
      if (failed[w]?.[name] || (r > 0 && e.once?.(wl))) continue;
      const probe = CHECK && e.threads > 1 && !e.noProbe;
      let sps, params, trip = null;
      try {
        const before = probe ? roundTrip() : NaN;
        [sps, params] = [e.run(wl)].flat();
        if (probe) trip = { before, after: roundTrip() };
      } catch (err) {
        const msg = String(err?.message ?? err).split('\n')[0].split(spec).join('…'); // the spec is in the legend
        (failed[w] ??= {})[name] = e.na ? `n/a (${msg})` : `fails: ${msg}`;
        if (results[w]?.[name]) notes.push(`${w} ${name}: ran in earlier rounds, then ${failed[w][name]}.`);
        process.stderr.write(`round ${r + 1}/${ROUNDS} ${w} ${name}: ${failed[w][name]}\n`);
        continue;
      }
      if (params !== undefined && r === 0 && params !== countsOf(spec).params) {
        notes.push(`${w} ${name}: the model has ${params} parameters, aelab's ${countsOf(spec).params}: not the same model.`);
      }
      ((results[w] ??= {})[name] ??= []).push(sps);
      if (probe) ((trips[w] ??= {})[name] ??= []).push(trip);
      process.stderr.write(`round ${r + 1}/${ROUNDS} ${w} ${name}: ${Math.round(sps)} samples/s${probe ? `, round trip ${fmtTrip(trip)}` : ''}\n`);
    }
  }
}

/** wasm memory of a fresh SIMD instance holding full MNIST and a model training on it at batch. */
async function memoryOf(spec, batch, steps) {
  const fresh = await loadAelab({ variant: 'simd' });
  const d = fresh.dataset(await images);
  const m = fresh.model({ sizes: spec, maxBatch: batch });
  fresh.trainer(m, d, { batch }).run(steps, true);
  return fresh.heapBytes / 2 ** 20;
}
// a full-MNIST W1 epoch; the keras.io model (when it runs) for 3 steps: a step allocates nothing, so
// the memory after 3 is the memory after an epoch
const memW1 = await memoryOf('784-32-784', 256, 1e9);
const K = WORKLOADS.find(([w]) => w === 'K');
const memK = K ? await memoryOf(K[1], K[2], 3) : null;

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [];
lines.push(`Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}; ${ROUNDS} interleaved rounds of ${SECONDS} s per engine and workload (the convolutional ones ${(2 * SECONDS / 3).toFixed(2)} s).`);
lines.push(`SIMD multiply-add peak of one core (no FMA): native ${peaks.native.toFixed(1)} GFLOP/s, wasm SIMD ${peaks['wasm simd'].toFixed(1)} GFLOP/s.`);
if (torch) lines.push(`PyTorch ${torch.version} (${PYTHON}), convolutions on oneDNN, dense layers on ${torch.blas ?? 'the BLAS it loads'}.`);
lines.push('');
lines.push(['Peak for a 2-thread row: twice the one-core peak. GFLOP/s of every engine: samples/s times aelab\'s count of its model\'s training flops.',
  torch ? 'PyTorch\'s rows against the native peak, four-lane multiply-adds without FMA: oneDNN uses 256-bit AVX2 and FMA where the CPU has them.' : '',
  engines['TF.js cpu'] && WORKLOADS.some(([, spec]) => isConv(spec)) ? `TF.js cpu on the convolutional workloads: one round, steps of ${TFJS_CPU_CONV_BATCH} examples.` : '',
].filter(Boolean).join(' '));
lines.push('');
lines.push('Workloads: ' + WORKLOADS.map(([w, spec, batch]) => `${w} \`${spec}\` (${countsOf(spec).params.toLocaleString('en-US')} parameters, batch ${batch})`).join('; ') + '.');
lines.push('');
lines.push(`| workload | engine | samples/s median | min | max | GFLOP/s | % of peak | vs ${TFJS} | vs ${TORCH1} | vs ${SIMD1} |`);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const med = (w, name) => (results[w]?.[name] ? median(results[w][name]) : null);
const fmtSps = (x) => (x < 10 ? x.toFixed(1) : Math.round(x)); // a decimal below 10: TF.js cpu on the conv models
for (const [w, spec] of WORKLOADS) {
  const { flops } = countsOf(spec);
  const vs = (x, ref, digits) => (ref ? `${(x / ref).toFixed(digits)}×` : '–');
  for (const name of names) {
    const a = results[w]?.[name];
    if (!a) {
      lines.push(`| ${w} | ${name} | ${failed[w]?.[name] ?? 'n/a'} | – | – | – | – | – | – | – |`);
      continue;
    }
    const m = median(a);
    const gf = (m * flops) / 1e9;
    const peak = peaks[engines[name].peak] * engines[name].threads;
    lines.push(`| ${w} | ${name} | ${fmtSps(m)} | ${fmtSps(Math.min(...a))} | ${fmtSps(Math.max(...a))} | ${gf.toFixed(2)} | ${((100 * gf) / peak).toFixed(0)}% | ${vs(m, med(w, TFJS), 1)} | ${vs(m, med(w, TORCH1), 2)} | ${vs(m, med(w, SIMD1), 2)} |`);
  }
}
lines.push('');
// ratios from runs next to each other in time: the ratio within each round, then its median (a
// neighbour on the shared machine taking a core for a few seconds hurts one round, not the result)
const ratioOf = (w, a, b) => {
  const r = results[w] ?? {};
  if (!r[a] || !r[b] || r[a].length !== r[b].length) return null;
  return median(r[a].map((x, i) => x / r[b][i]));
};
const ratio = (w, a, b) => {
  const r = results[w] ?? {};
  if (ratioOf(w, a, b) === null) {
    const why = failed[w]?.[a] ?? failed[w]?.[b] ?? 'not run';
    return why.startsWith('n/a') ? why : `n/a (${why})`;
  }
  const q = r[a].map((x, i) => x / r[b][i]);
  return `${median(q).toFixed(2)}× (rounds ${Math.min(...q).toFixed(2)}–${Math.max(...q).toFixed(2)})`;
};
lines.push('2 threads against 1, median of per-round ratios: ' + WORKLOADS.map(([w]) =>
  `${w} wasm ${ratio(w, WT2, SIMD1)}, native ${ratio(w, NT2, NT1)}`).join('; ') + '.');
// The same over the rounds in which the host kept the two cores together: a round counts when every
// probed run of the pair read at most SPLIT_NS both before and after it (a failed reading is left out; a
// run with none is unprobed, and so is its round).
const tripOf = (t) => {
  const ok = [t.before, t.after].filter(Number.isFinite);
  return ok.length ? Math.max(...ok) : NaN;
};
const togetherAt = (w, names, i) => { // true, false (a reading over SPLIT_NS), or null: a run without readings
  const ts = names.filter((n) => trips[w]?.[n]).map((n) => (trips[w][n][i] ? tripOf(trips[w][n][i]) : NaN));
  if (ts.some((x) => x > SPLIT_NS)) return false;
  return !ts.length || ts.some(Number.isNaN) ? null : true;
};
const sharedQ = (w, a, b) => {
  const r = results[w] ?? {};
  if (ratioOf(w, a, b) === null) return null;
  const q = r[a].map((x, i) => [x / r[b][i], togetherAt(w, [a, b], i)]);
  return { q: q.filter(([, t]) => t === true).map(([x]) => x), unprobed: q.filter(([, t]) => t === null).length, n: q.length };
};
const sharedOf = (w, a, b) => {
  const s = sharedQ(w, a, b);
  return s?.q.length ? median(s.q) : null;
};
const shared = (w, a, b) => {
  const s = sharedQ(w, a, b);
  if (s === null) return ratio(w, a, b);
  const un = s.unprobed ? `, ${s.unprobed} unprobed` : '';
  if (!s.q.length) return `n/a (none of ${s.n} rounds${un})`;
  return `${median(s.q).toFixed(2)}× (${s.q.length} of ${s.n} rounds${un}, ${Math.min(...s.q).toFixed(2)}–${Math.max(...s.q).toFixed(2)})`;
};
if (CHECK) {
  lines.push(`The same over the rounds whose 2-thread run had both cores under one L3 cache (a round trip of at most ${SPLIT_NS} ns before and after it, this machine's threshold): ` +
    WORKLOADS.map(([w]) => `${w} wasm ${shared(w, WT2, SIMD1)}, native ${shared(w, NT2, NT1)}`).join('; ') + '.');
}
// each round's 2-thread ratio beside the round trips before and after its 2-thread run
const perRound = (w, a, b) => {
  const r = results[w] ?? {}, t = trips[w]?.[a];
  if (ratioOf(w, a, b) === null) return 'n/a';
  return r[a].map((x, i) => `${(x / r[b][i]).toFixed(2)}${t ? ` (${fmtTrip(t[i])})` : ''}`).join(', ');
};
lines.push('');
lines.push(`The 2-thread ratios round by round${CHECK ? ', each with the cache line round trip between the two cores before and after its 2-thread run' : ''}:`);
const torchRounds = (w) => [[TORCH(2), TORCH1], [TORCH(2, true), TORCH1M]].filter(([a]) => results[w]?.[a])
  .map(([a, b]) => `; ${a} against 1 ${perRound(w, a, b)}`).join('');
for (const [w] of WORKLOADS) lines.push(`- ${w}: wasm ${perRound(w, WT2, SIMD1)}; native ${perRound(w, NT2, NT1)}${torchRounds(w)}`);
if (BASE) {
  for (const n of [NT1, NT2]) based[n] = `base: ${n}`;
  lines.push('');
  lines.push(`This commit against the base (${BASE}), median of per-round ratios (above 1: faster now)${CHECK ? '; for 2 threads also over the rounds in which the cores were together around both runs' : ''}:`);
  for (const [w] of WORKLOADS) {
    const pairs = Object.entries(based);
    const one = (n, b) => `${n} ${ratio(w, n, b)}${CHECK && engines[n].threads > 1 && ratioOf(w, n, b) !== null ? `, together ${shared(w, n, b)}` : ''}`;
    if (pairs.every(([n, b]) => ratioOf(w, n, b) === null)) lines.push(`- ${w}: ${ratio(w, ...pairs[0])} on every engine`);
    else lines.push(`- ${w}: ` + pairs.map(([n, b]) => one(n, b)).join('; '));
  }
}

// the goals of issue #10, each from this run
const goal = (q, min) => (q === null ? '' : q >= min ? ' — met' : ' — NOT met');
const goals = [];
if (results.W3) {
  goals.push(`- W3, aelab wasm SIMD on one thread against ${TORCH1} (goal ≥ 2×): ${ratio('W3', SIMD1, TORCH1)}${goal(ratioOf('W3', SIMD1, TORCH1), 2)}.`);
  goals.push(`  Against ${TORCH1M}, the same PyTorch with freed memory kept: ${ratio('W3', SIMD1, TORCH1M)}${goal(ratioOf('W3', SIMD1, TORCH1M), 2)}.`);
}
for (const [w] of WORKLOADS.filter(([, spec]) => isConv(spec))) {
  const both = (a, b) => `all rounds ${ratio(w, a, b)}${goal(ratioOf(w, a, b), 1.7)}` +
    (CHECK ? `; cores under one cache ${shared(w, a, b)}${goal(sharedOf(w, a, b), 1.7)}` : '');
  goals.push(`- ${w}, 2 threads against 1 (goal ≥ 1.7×): wasm ${both(WT2, SIMD1)}. Native ${both(NT2, NT1)}.`);
}
if (K) {
  const { flops } = countsOf(K[1]);
  goals.push('- keras.io model, GFLOP/s against the peak measured in this run: ' + [SIMD1, WT2, NT1, NT2].map((n) => {
    const m = med('K', n);
    if (m === null) return `${n} ${failed.K?.[n] ?? 'not run'}`;
    const gf = (m * flops) / 1e9, peak = peaks[engines[n].peak] * engines[n].threads;
    return `${n} ${gf.toFixed(2)} of ${peak.toFixed(1)} (${((100 * gf) / peak).toFixed(0)}%)`;
  }).join('; ') + '.');
}
if (goals.length) lines.push('', 'Goals of issue #10 (medians of per-round ratios):', ...goals);
lines.push('');
lines.push(`wasm memory after one full-MNIST epoch of W1 (60,000 images as uint8, model, buffers): ${memW1.toFixed(0)} MiB.`);
if (memK !== null) lines.push(`wasm memory training the keras.io model on full MNIST at batch ${K[2]} (goal ≤ 192 MiB): ${memK.toFixed(0)} MiB.`);
if (notes.length) lines.push('', ...notes);
console.log(lines.join('\n'));
