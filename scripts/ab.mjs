#!/usr/bin/env node
// Two native builds side by side: alternating training runs of one workload on each, with the cache line
// round trip between the two cores (`aelab bench --round-trip`) before and after every run, and the medians
// per build over the runs whose two readings were both at most SPLIT_NS ("together": the host kept the two
// cores under one L3 cache) and both above it ("apart"). `make bench BASE=rev` compares whole commits
// across every engine; this is the quicker check of one change to the native engine, the one behind the
// A/B tables of docs/benchmarks.md, where a split that comes and goes for seconds at a time decides most
// of a 2-thread run's speed.
//   node scripts/ab.mjs A B [--workload W3|K|W1|W2|W4|SPEC] [--threads 2] [--runs 6] [--seconds 1] [--batch N]
// A and B: aelab binaries (build/base/build/aelab and build/aelab, or copies of them); runs are AB BA AB …
// (so that whatever drifts between a pair's first and second run favours neither),
// each `aelab bench --arch SPEC --batch N --seconds S --threads T` run from a directory with data/.
// Prints one line per run and, per build, median samples/s together and apart with their counts; exits 1
// if a run fails. Takes about runs × 2 × (seconds + 1.5) s.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPLIT_NS = 200; // as scripts/bench.mjs: this machine's threshold between the two cores' placements
const WORKLOADS = {
  W1: ['784-32-784', 256],
  W2: ['784-128-64-32-64-128-784', 256],
  W4: ['784-1000-500-250-30-250-500-1000-784', 256],
  W3: ['1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3', 128],
  K: ['1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3', 128],
};
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const bins = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--'))).map((b) => path.resolve(b));
if (bins.length !== 2 || !bins.every((b) => fs.existsSync(b))) {
  console.error('usage: node scripts/ab.mjs A B [--workload W3] [--threads 2] [--runs 6] [--seconds 1] [--batch N] (A, B: aelab binaries)');
  process.exit(2);
}
const w = opt('workload', 'W3');
const [spec, defBatch] = WORKLOADS[w] || [w, 128];
const threads = Number(opt('threads', 2)), runs = Number(opt('runs', 6)), seconds = Number(opt('seconds', 1)), batch = Number(opt('batch', defBatch));
for (const [name, v] of [['threads', threads], ['runs', runs], ['batch', batch]])
  if (!Number.isInteger(v) || v < 1) { console.error(`--${name} must be a whole number from 1, not '${opt(name)}'`); process.exit(2); }
if (!(seconds > 0)) { console.error(`--seconds must be a number above 0, not '${opt('seconds')}'`); process.exit(2); }
if (!spec) { console.error('--workload needs a name (W1, W2, W3, W4, K) or a model spec'); process.exit(2); }

const json = (out) => JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());
const run = (bin, argv) => json(execFileSync(bin, argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
const roundTrip = (bin) => run(bin, ['bench', '--round-trip']).round_trip_ns;
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

console.log(`${w} (${spec}), batch ${batch}, ${threads} thread(s), ${runs} runs of ${seconds} s per build, alternating`);
const got = bins.map(() => ({ together: [], apart: [], mixed: 0 }));
try {
  for (let r = 0; r < runs; r++)
    for (const k of r % 2 ? [1, 0] : [0, 1]) {
      const before = roundTrip(bins[k]);
      const s = run(bins[k], ['bench', '--arch', spec, '--batch', String(batch), '--seconds', String(seconds), '--threads', String(threads)]).samples_per_s;
      const after = roundTrip(bins[k]);
      const where = before <= SPLIT_NS && after <= SPLIT_NS ? 'together' : before > SPLIT_NS && after > SPLIT_NS ? 'apart' : null;
      if (where) got[k][where].push(s);
      else got[k].mixed++;
      console.log(`${'AB'[k]} run ${r + 1}: ${s.toFixed(0)} samples/s, round trip ${before.toFixed(0)}/${after.toFixed(0)} ns${where ? '' : ' (the cores moved)'}`);
    }
} catch (e) {
  console.error(`a run failed: ${e.stderr || e.message}`);
  process.exit(1);
}
const sum = (v) => (v.length ? `${median(v).toFixed(0)} (${v.length} run${v.length > 1 ? 's' : ''}, ${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)})` : 'no runs');
bins.forEach((b, k) => console.log(`${'AB'[k]} ${path.relative(root, b) || b}: together ${sum(got[k].together)}; apart ${sum(got[k].apart)}${got[k].mixed ? `; ${got[k].mixed} with the cores moving` : ''}`));
for (const where of ['together', 'apart'])
  if (got[0][where].length && got[1][where].length) console.log(`B against A, ${where}: ${(median(got[1][where]) / median(got[0][where])).toFixed(3)}×`);
