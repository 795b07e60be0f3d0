// Your own pictures and images drawn at another size (issue 12: the 10,000 → 20 → 10,000 bottleneck): a
// folder of PNG files trains the same bits natively (aelab train --pictures) and in wasm (scripts/aelab-node.mjs
// --pictures); MNIST drawn at 100×100 does too; and an unreadable file is left out and named by both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { loadAelab, mnist, native, root, tmpdir } from './helpers.mjs';

const ae = await loadAelab({ variant: 'simd' });
const node = (args) => execFileSync(process.execPath, ['--no-experimental-fetch', path.join(root, 'scripts/aelab-node.mjs'), ...args], { cwd: root, encoding: 'utf8' });
const losses = (out) => out.split('\n').filter((l) => l.startsWith('epoch ')).map((l) => l.replace(/\s+[0-9.]+ s\s+.*$/, ''));

test('a folder of PNG pictures trains the same bits natively and in wasm', async () => {
  const imgs = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  const dir = tmpdir();
  try {
    const x = imgs.batch(0, 30);
    for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(dir, `d${String(i).padStart(2, '0')}.png`), ae.pngGrid(x.subarray(i * 784, (i + 1) * 784), 1, 28, 28, 1, 2));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a picture, and not read: its name says so');
    const args = ['--pictures', dir, '--size', '40x40', '--arch', '1600-16-1600', '--epochs', '3', '--batch', '8', '--seed', '5'];
    const n = native(['train', ...args, '--threads', '1', '--quiet']);
    assert.match(n, /train 26 images of 40x40/); // 30 pictures, the last seventh (4) held out
    const w = node([...args, '--variant', 'simd', '--threads', '1']);
    assert.equal(losses(n).length, 3);
    assert.deepEqual(losses(w), losses(n));
    const [first, last] = [losses(n)[0], losses(n)[2]].map((l) => Number(l.match(/test_loss ([0-9.]+)/)[1]));
    assert.ok(last < first, `the test loss did not fall: ${first} -> ${last}`);

    // a damaged picture and a GIF among them: left out and named by both, which train the same bits on the other 28
    fs.writeFileSync(path.join(dir, 'd15.png'), fs.readFileSync(path.join(dir, 'd14.png')).subarray(0, 60));
    fs.writeFileSync(path.join(dir, 'd16.png'), Buffer.from('GIF89a\x10\x00\x10\x00\x80\x00\x00', 'latin1'));
    fs.mkdirSync(path.join(dir, 'x.png')); // named as a picture, but a folder: it opens, and reading it fails (the CLI's own reading)
    const r = spawnSync(path.join(root, 'build/aelab'), ['train', ...args, '--threads', '1', '--quiet'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /left out \S*d15\.png: the PNG picture is damaged or cut short \(a part of it runs past the end of the file\)/);
    assert.match(r.stderr, /left out \S*d16\.png: not a PNG or JPEG picture but a GIF/);
    assert.match(r.stderr, /left out: reading '\S*x\.png' failed\n/, 'a file that cannot be read is named once');
    assert.match(r.stderr, /3 of 31 pictures left out/);
    assert.match(r.stdout, /train 24 images of 40x40/); // 28 readable, the last seventh (4) held out
    const wr = spawnSync(process.execPath, ['--no-experimental-fetch', path.join(root, 'scripts/aelab-node.mjs'), ...args, '--variant', 'simd', '--threads', '1'],
      { cwd: root, encoding: 'utf8' });
    assert.equal(wr.status, 0, wr.stderr);
    assert.match(wr.stderr, /left out \S*d15\.png: the PNG picture is damaged or cut short/);
    assert.match(wr.stderr, /left out \S*d16\.png: not a PNG or JPEG picture but a GIF/);
    assert.equal(losses(r.stdout).length, 3);
    assert.deepEqual(losses(wr.stdout), losses(r.stdout));

    // fewer than 2 readable: nothing trained, by either
    const one = tmpdir();
    try {
      fs.copyFileSync(path.join(dir, 'd00.png'), path.join(one, 'a.png'));
      fs.copyFileSync(path.join(dir, 'd15.png'), path.join(one, 'b.png'));
      const oneArgs = ['--pictures', one, '--size', '40x40', '--arch', '1600-16-1600', '--epochs', '1'];
      const r1 = spawnSync(path.join(root, 'build/aelab'), ['train', ...oneArgs, '--quiet'], { cwd: root, encoding: 'utf8' });
      assert.notEqual(r1.status, 0);
      assert.match(r1.stderr, /left out \S*b\.png: the PNG picture is damaged/);
      assert.match(r1.stderr, /1 of the 2 pictures could be read; at least 2 are needed/);
      assert.doesNotMatch(r1.stdout, /epoch/);
      assert.throws(() => node([...oneArgs, '--variant', 'simd']), /1 of the 2 pictures could be read; at least 2 are needed/);
    } finally {
      fs.rmSync(one, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    imgs.destroy();
  }
});

test('bad picture files are refused with a message in wasm, and nothing is kept', () => {
  const d = ae.pictures(2, 10, 10);
  try {
    assert.throws(() => d.setImage(0, new Uint8Array(0)), /the file is empty/);
    assert.throws(() => d.setImage(0, new TextEncoder().encode('hello, this is text named .png')), /not a PNG or JPEG picture/);
    // a PNG header claiming 60000×60000 pixels
    const png = ae.pngGrid(new Float32Array(16), 1, 4, 4, 1, 1);
    const bomb = Uint8Array.from(png);
    new DataView(bomb.buffer).setUint32(16, 60000);
    new DataView(bomb.buffer).setUint32(20, 60000);
    assert.throws(() => d.setImage(1, bomb), /claims 60000×60000 pixels; at most/);
    assert.throws(() => d.setImage(2, png), /outside the dataset's 2 items/);
    d.setImage(1, png); // a good one still goes in
    assert.throws(() => ae.pictures(0, 10, 10), /at least 1/);
    assert.throws(() => ae.pictures(2, 2000, 2000), /at most/);
  } finally {
    d.destroy();
  }
});

test('MNIST drawn at 100×100 trains a 10000-20-10000 model to the same bits natively and in wasm', async () => {
  const args = ['--arch', '10000-20-10000', '--size', '100x100', '--epochs', '1', '--batch', '64', '--seed', '2'];
  const n = native(['train', ...args, '--train-limit', '640', '--threads', '1', '--quiet']);
  assert.match(n, /train 640 images of 100x100/);
  // the Node script has no --train-limit: the same run through the engine directly
  const train = ae.dataset(await mnist('train-images-idx3-ubyte')).limit(640);
  const test = ae.dataset(await mnist('t10k-images-idx3-ubyte'));
  const big = [train.view().drawAt(100, 100), test.view().drawAt(100, 100)];
  const model = ae.model({ sizes: '10000-20-10000', hidden: 'relu', output: 'sigmoid', maxBatch: 64, seed: 2 });
  try {
    assert.equal(big[0].dim, 10000);
    assert.equal(train.dim, 784); // the view is drawn, the data it reads is not
    model.initOutputBias(big[0]);
    const trainer = ae.trainer(model, big[0], { batch: 64, optimizer: 'adam', seed: 2 });
    const s = trainer.run(1e9, true);
    const { loss } = model.evaluate(big[1]);
    trainer.destroy();
    assert.equal(`epoch 1/1  train_loss ${s.meanLoss.toFixed(5)}  test_loss ${loss.toFixed(5)}`, losses(n)[0]);
    assert.throws(() => train.destroy(), /in use by 1 job\(s\) or view\(s\)/);
  } finally {
    model.destroy();
    for (const d of [...big, train, test]) d.destroy();
  }
});
