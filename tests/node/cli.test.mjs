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
  for (const cmd of ['train', 'eval', 'recon', 'bench', 'pretrain']) {
    const r = run(cmd, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`usage: aelab ${cmd}`));
  }
  assert.equal(run().status, 2);
});

test('train, save, eval and recon round trip', () => {
  const dir = tmpdir();
  const model = path.join(dir, 'm.safetensors');
  const args = ['--arch', '784-16-784', '--epochs', '2', '--train-limit', '2000', '--batch', '32', '--lr', '3e-3', '--seed', '3', '--quiet'];
  const r = run('train', ...args, '--out', model, '--png', path.join(dir, 'r.png'), '--filters', path.join(dir, 'f.png'));
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('epoch'));
  assert.equal(lines.length, 2);
  const testLoss = Number(/test_loss (\S+)/.exec(lines[1])[1]);
  // the mean image (where the output bias starts) scores 0.264: a run that learns nothing stays there
  assert.ok(testLoss > 0 && testLoss < 0.2, lines[1]);
  const still = run('train', ...args, '--lr', '1e-12');
  assert.ok(Number(/epoch 2\/2.*test_loss (\S+)/.exec(still.stdout)[1]) > 0.25, `a run at lr 1e-12 must not reach the bound: ${still.stdout}`);
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

test('a diverging run stops with the reason, exits non-zero and saves its last good state', () => {
  const dir = tmpdir();
  const model = path.join(dir, 'd.safetensors');
  const r = run('train', '--opt', 'adam', '--lr', '10', '--train-limit', '2000', '--epochs', '1', '--quiet', '--out', model);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /training diverged at step 2 \(epoch 1\): the batch loss \S+ is more than 100 times its reference 0\.6931.*smaller learning rate/);
  assert.match(r.stdout, /saved .*d\.safetensors \(its last state before the divergence\)/);
  const e = run('eval', '--model', model);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(Number(/loss bce\s+(\S+)/.exec(e.stdout)[1]) < 0.27, 'the saved model is the sound one');
  // the factor is a setting: 0 leaves the run alone
  const off = run('train', '--opt', 'adam', '--lr', '10', '--train-limit', '2000', '--epochs', '1', '--quiet', '--diverge-factor', '0');
  assert.equal(off.status, 0, off.stderr);
  fs.rmSync(dir, { recursive: true });
});

test('bad files: NaN weights, labels that are not classes 0..K-1, models too large', () => {
  const dir = tmpdir();
  const model = path.join(dir, 'm.safetensors');
  assert.equal(run('train', '--arch', '784-8-784', '--epochs', '0', '--out', model, '--quiet').status, 0);
  const bytes = fs.readFileSync(model);
  bytes.writeFloatLE(Number.POSITIVE_INFINITY, 8 + Number(bytes.readBigUInt64LE(0)) + 4 * (784 * 8 + 2)); // layers.0.bias[2]
  fs.writeFileSync(model, bytes);
  const e = run('eval', '--model', model);
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /tensor "layers.0.bias" holds \+Inf at \[2\]/);
  // 100 blank 2x2 images labelled 0..9, one of them 200
  const labels = Buffer.alloc(8 + 100);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(100, 4);
  for (let i = 0; i < 100; i++) labels[8 + i] = i % 10;
  labels[8 + 42] = 200;
  fs.writeFileSync(path.join(dir, 'labels'), labels);
  const images = Buffer.alloc(16 + 100 * 4);
  images.writeUInt32BE(0x803, 0);
  images.writeUInt32BE(100, 4);
  images.writeUInt32BE(2, 8);
  images.writeUInt32BE(2, 12);
  fs.writeFileSync(path.join(dir, 'images'), images);
  const l2 = run('train', '--supervised', '--arch', '4-3', '--train-labels', path.join(dir, 'labels'), '--train-images', path.join(dir, 'images'));
  assert.notEqual(l2.status, 0);
  assert.match(l2.stderr, /largest label, 200 \(first at item 42, counting from 0\), would make 201 classes/);
  const big = run('train', '--arch', '784-65536-12288-784');
  assert.notEqual(big.status, 0);
  assert.match(big.stderr, /would need 24 GiB of memory.*at most 8 GiB/);
  fs.rmSync(dir, { recursive: true });
});

test('bad input gets a clear message and a non-zero exit', () => {
  const cases = [
    [['train', '--arch', '784-abc-784'], /unknown layer 'abc'; layers are written like 32 \(dense\), conv16k3/],
    [['train', '--lr', 'fast'], /--lr must be a number/],
    [['train', '--bogus', '1'], /unknown option --bogus/],
    [['train', '--train-images', 'README.md'], /README.md: .*not IDX|wrong magic/],
    [['eval', '--model', '/nonexistent.safetensors'], /cannot open/],
    [['eval', '--model', 'README.md'], /README.md: not a safetensors|header/],
    [['recon', '--model', 'x'], /--model and --out are required/],
    [['frobnicate'], /unknown command/],
    [['eval', '--model', 'x', '--noise', 'loud'], /--noise is none, gaussian, mask or salt_pepper/],
    [['train', '--init-model', '/nonexistent.safetensors'], /cannot open/],
    [['pretrain', '--recipe', 'deep', '--train-limit', '500'], /recipe must be greedy, e2e or none/],
    [['pretrain', '--arch', '784-32-10:sigmoid', '--train-limit', '500'], /ends in a softmax layer/],
    [['pretrain', '--resume'], /--resume needs --out-dir/],
    [['train', '--lr-decay', '1.5'], /--lr-decay must be a number from 1e-06 to 1/],
    [['train', '--train-spec', 'lr_decay=0'], /learning rate's decay per epoch must be a number in \(0, 1\], not '0' \(key lr_decay\)/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('a denoising run goes on from a saved model and is scored on corrupted test digits', () => {
  const dir = tmpdir();
  const m1 = path.join(dir, 'a.safetensors'), m2 = path.join(dir, 'b.safetensors');
  const base = ['--epochs', '1', '--train-limit', '1500', '--batch', '50', '--quiet', '--threads', '2'];
  assert.equal(run('train', '--arch', '784-64-784', ...base, '--out', m1).status, 0);
  const r = run('train', '--init-model', m1, ...base, '--noise', 'gaussian', '--noise-level', '0.4', '--seed', '6', '--out', m2);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /model 784-64-784/);
  const noisy = Number(/noisy_test_loss (\S+)/.exec(r.stdout)[1]);
  const clean = Number(/ test_loss (\S+)/.exec(r.stdout)[1]);
  assert.ok(noisy > clean, `noisy ${noisy} against clean ${clean}`);
  // eval with the run's seed corrupts the test digits the same way
  const e = run('eval', '--model', m2, '--noise', 'gaussian', '--noise-level', '0.4', '--seed', '6');
  assert.equal(e.status, 0, e.stderr);
  assert.equal(Number(/loss bce\s+(\S+)/.exec(e.stdout)[1]).toFixed(5), noisy.toFixed(5));
  assert.match(run('train', '--init-model', m1, '--arch', '784-32-784').stderr, /--init-model takes the model from its file; --arch cannot change it/);
  fs.rmSync(dir, { recursive: true });
});

test('aelab pretrain saves every phase and resumes where it stopped, to the same bits', () => {
  const dir = tmpdir();
  const args = ['--arch', '784-32-16-10', '--recipe', 'greedy,none', '--top-epochs', '2', '--fine-epochs', '2', '--labels-per-class', '10',
    '--train-limit', '1000', '--batch', '50', '--quiet', '--threads', '2', '--out-dir', dir];
  const r = run('pretrain', ...args);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /phase 1\/4: pretrain layer 1 as an autoencoder 784-32:relu-784:sigmoid/);
  assert.match(r.stdout, /recipe +test error after the top layer +after fine-tuning/);
  const last = fs.readFileSync(path.join(dir, 'greedy', 'phase-3.safetensors'));
  // lose the last two phases, as a run stopped after phase 1 would, and resume
  fs.rmSync(path.join(dir, 'greedy', 'phase-3.safetensors'));
  fs.rmSync(path.join(dir, 'greedy', 'phase-2.safetensors'));
  const again = run('pretrain', ...args, '--resume');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /greedy: resuming after phase 1/);
  assert.match(again.stdout, /none: every phase is done/);
  assert.ok(fs.readFileSync(path.join(dir, 'greedy', 'phase-3.safetensors')).equals(last), 'the resumed run ends with the same model');
  const other = run('pretrain', ...args.map((a) => (a === '2' ? '3' : a)), '--resume');
  assert.notEqual(other.status, 0);
  assert.match(other.stderr, /written by a run with other settings/);
  fs.rmSync(dir, { recursive: true });
});

test('aelab pretrain with one recipe ends with its results table too', () => {
  // scripts/pretrain-experiments.sh reads each run's results from that table (RECIPES=greedy runs one)
  const r = run('pretrain', '--arch', '784-32-16-10', '--recipe', 'none', '--top-epochs', '2', '--fine-epochs', '2', '--labels-per-class', '10',
    '--train-limit', '1000', '--batch', '50', '--quiet', '--threads', '2');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /recipe +test error after the top layer +after fine-tuning +wall time\nnone +\d+\.\d\d% +\d+\.\d\d% +\d+\.\d s/);
});

test('aelab pretrain: --lr-decay slows the supervised phases only, --weight-decay reaches pretraining too', () => {
  const args = ['--arch', '784-32-10', '--recipe', 'greedy', '--pre-epochs', '2', '--top-epochs', '2', '--fine-epochs', '2', '--train-limit', '1000',
    '--batch', '50', '--quiet', '--threads', '2'];
  const plain = run('pretrain', ...args), decayed = run('pretrain', ...args, '--lr-decay', '0.5');
  const both = run('pretrain', ...args, '--lr-decay', '0.5', '--weight-decay', '1e-3');
  for (const r of [plain, decayed, both]) assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(plain.stdout, /lr_decay|weight_decay/); // the settings line of a run without them reads as before
  assert.match(both.stdout, /noise_level=0\.25 lr_decay=0\.5 weight_decay=0\.001/);
  // epochs: pretraining 1, 2; top layer 1, 2; fine-tuning 1, 2. Each phase's first epoch runs at the full rate.
  const losses = (out) => [...out.matchAll(/train_loss (\S+)/g)].map((m) => m[1]);
  const a = losses(plain.stdout), d = losses(decayed.stdout), w = losses(both.stdout);
  assert.equal(a.length, 6);
  assert.deepEqual(d.slice(0, 3), a.slice(0, 3), 'pretraining and the top layer\'s first epoch are untouched by the decay');
  assert.notEqual(d[3], a[3], 'the top layer\'s second epoch runs at half the rate');
  assert.notEqual(w[0], d[0], 'weight decay reaches pretraining');
});

test('aelab bench --profile gives every layer its forward and backward time, which add up to the step', () => {
  const r = run('bench', '--profile', '--arch', '1x28x28-conv4k3-pool2-conv4k3-up2-conv1k3', '--batch', '32', '--seconds', '0.3');
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => /^\d+ +\S+ +\S+ +[\d.]+/.test(l) || l.startsWith('rest'));
  assert.deepEqual(rows.map((l) => (l.startsWith('rest') ? 'rest' : l.split(/ +/)[1])), ['conv', 'pool', 'conv', 'up', 'conv', 'rest']);
  // the layers' own times cover most of the step: the rest (data, loss, optimizer) is a small remainder
  const rest = parseFloat(rows.at(-1).trim().split(/ +/).at(-1));
  assert.ok(rest >= 0 && rest < 50, `the rest takes ${rest}% of the step`);
  // the conv layers' GFLOP/s are positive; pooling and upsampling have no products
  for (const l of rows.filter((x) => / conv /.test(x))) assert.ok(parseFloat(l.trim().split(/ +/)[4]) > 0, l);
});

test('aelab bench --round-trip answers one JSON line with a time, as make bench reads it', () => {
  const r = run('bench', '--round-trip');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim());
  assert.deepEqual(Object.keys(j), ['round_trip_ns', 'fastest_ns']);
  assert.ok(j.fastest_ns > 0 && j.fastest_ns <= j.round_trip_ns && Number.isFinite(j.round_trip_ns), r.stdout);
  const bad = run('bench', '--round-trip', '--threads', '2');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--round-trip takes no other option \(--threads\)/);
});

// Both threads on one core (another program holding the other, or a one-core machine): each wait lasts
// until the other thread is scheduled, and the probe must still end, well inside the test's time.
test('aelab bench --round-trip ends with both threads held to one core', { skip: !fs.existsSync('/usr/bin/taskset') && 'no taskset' }, () => {
  // the first CPU this process may run on (a container's cpuset need not include CPU 0)
  const cpu = /^Cpus_allowed_list:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const r = spawnSync('/usr/bin/taskset', ['-c', cpu, path.join(root, 'build/aelab'), 'bench', '--round-trip'], { cwd: root, encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr || String(r.error));
  assert.ok(JSON.parse(r.stdout.trim()).round_trip_ns > 0, r.stdout);
});
