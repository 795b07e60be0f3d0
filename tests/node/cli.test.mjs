// The native CLI as a user runs it: help, a short training run that saves a model and PNGs, eval and
// recon of that model, and clear errors (non-zero exit, message on stderr) for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root, tmpdir } from './helpers.mjs';

const run = (...args) => spawnSync(path.join(root, 'build/aelab'), args, { cwd: root, encoding: 'utf8' });
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

test('help for every command', () => {
  for (const cmd of ['train', 'eval', 'recon', 'bench']) {
    const r = run(cmd, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`usage: aelab ${cmd}`));
  }
  assert.equal(run().status, 2);
});

test('train, save, eval and recon round trip', () => {
  const dir = tmpdir();
  const model = path.join(dir, 'm.safetensors');
  const r = run('train', '--arch', '784-16-784', '--epochs', '2', '--train-limit', '2000', '--seed', '3', '--out', model,
    '--png', path.join(dir, 'r.png'), '--filters', path.join(dir, 'f.png'), '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('epoch'));
  assert.equal(lines.length, 2);
  const testLoss = Number(/test_loss (\S+)/.exec(lines[1])[1]);
  assert.ok(testLoss > 0 && testLoss < 0.27, lines[1]);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'r.png')).subarray(0, 4), PNG);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'f.png')).subarray(0, 4), PNG);
  const e = run('eval', '--model', model);
  assert.equal(e.status, 0, e.stderr);
  assert.equal(Number(/loss bce\s+(\S+)/.exec(e.stdout)[1]).toFixed(5), testLoss.toFixed(5), 'eval reproduces the test loss');
  const c = run('recon', '--model', model, '--out', path.join(dir, 'n.png'), '--noise', 'gaussian', '--noise-level', '0.4');
  assert.equal(c.status, 0, c.stderr);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'n.png')).subarray(0, 4), PNG);
  fs.rmSync(dir, { recursive: true });
});

test('bad input gets a clear message and a non-zero exit', () => {
  const cases = [
    [['train', '--arch', '784-abc-784'], /whole numbers/],
    [['train', '--lr', 'fast'], /--lr must be a number/],
    [['train', '--bogus', '1'], /unknown option --bogus/],
    [['train', '--train-images', 'README.md'], /README.md: .*not IDX|wrong magic/],
    [['eval', '--model', '/nonexistent.safetensors'], /cannot open/],
    [['eval', '--model', 'README.md'], /README.md: not a safetensors|header/],
    [['recon', '--model', 'x'], /--model and --out are required/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern, `${args.join(' ')}: ${r.stderr}`);
  }
});
