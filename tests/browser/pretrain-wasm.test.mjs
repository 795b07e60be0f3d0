// scripts/pretrain-wasm.mjs, the wall-time estimate of the pretraining experiments (docs/experiments.md),
// in Node and with --browser in headless Chromium: both run the same jobs from the same seed, so every
// recipe's test error after its sampled epochs is the same to the last digit; each names the engine it
// ran in, each total is the sum of its parts, and a bad setting fails with the engine's message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execSync } from 'node:child_process';
import path from 'node:path';
import { root } from './browser.mjs';

const script = path.join(root, 'scripts/pretrain-wasm.mjs');
const run = (args, node = []) => spawnSync(process.execPath, [...node, script, ...args], { cwd: root, encoding: 'utf8', timeout: 300000 });
// a small model, but a full run of many epochs, so that each total is seconds made of several phases' parts
// (only two epochs of each phase run)
const small = ['--arch', '784-64-32-10', '--labels-per-class', '100', '--pre-epochs', '10', '--top-epochs', '100', '--fine-epochs', '200',
  '--recipe', 'greedy,none', '--seed', '3'];
const errorsOf = (out) => [...out.matchAll(/^(\w+): estimated wall time of the full run \d+ s \(test error after 2 epochs a phase: (\d+\.\d\d)%\)$/gm)].map((m) => `${m[1]} ${m[2]}`);
const chromiums = () => Number(execSync('pgrep -c -f "chromium.*--headless" || true', { encoding: 'utf8' }).trim());

/** Each recipe's printed total against its job's creation, its phases' estimates and their next phases'
 * setups, all as printed (rounded: to 0.1 s, and the phases' to 1 s). */
function checkSums(out) {
  const blocks = out.split(/^(?=\w+: job created)/m).slice(1);
  assert.equal(blocks.length, 2, out);
  for (const b of blocks) {
    let sum = Number(/job created in ([\d.]+) s/.exec(b)[1]), n = 0;
    for (const m of b.matchAll(/epochs ≈ (\d+) s[^\n]*?(?:the next phase's setup ([\d.]+) s)?$/gm)) {
      sum += Number(m[1]) + Number(m[2] ?? 0);
      n++;
    }
    const total = Number(/estimated wall time of the full run (\d+) s/.exec(b)[1]);
    assert.ok(n >= 1 && Math.abs(total - sum) <= 0.5 + 0.55 * n, `total ${total} s against the parts' ${sum} s:\n${b}`);
  }
}

test('the estimate runs the same jobs in Node and in Chromium', () => {
  const node = run(small);
  assert.equal(node.status, 0, node.stderr);
  assert.match(node.stdout, /^# wasm simd build, 1 thread\(s\), in Node v/m);
  const chrome = run(['--browser', ...small]);
  assert.equal(chrome.status, 0, chrome.stderr);
  assert.match(chrome.stdout, /^# wasm simd build, 1 thread\(s\), in Chromium \d+/m);
  const a = errorsOf(node.stdout), b = errorsOf(chrome.stdout);
  assert.equal(a.length, 2, node.stdout);
  // a recipe that learned nothing would sit near 90% (after these sampled epochs they are at 20-25%)
  for (const line of a) assert.ok(Number(line.split(' ')[1]) < 50, line);
  assert.deepEqual(b, a);
  checkSums(node.stdout);
  checkSums(chrome.stdout);
});

test('a bad setting fails with the engine\'s message in Node and in Chromium, and nothing is left running', () => {
  const before = chromiums();
  for (const where of [[], ['--browser']]) {
    const r = run([...where, '--arch', '784-abc-10', '--recipe', 'none']);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^pretrain-wasm: unknown layer 'abc'; layers are written like/m);
  }
  assert.equal(chromiums(), before);
});

test('--browser refuses to start under --no-experimental-fetch, saying why', () => {
  const r = run(['--browser'], ['--no-experimental-fetch']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /run it without --no-experimental-fetch/);
});
