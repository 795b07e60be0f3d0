#!/usr/bin/env node
// Headless training with the WebAssembly engine under Node: the same engine, module and data as the page.
//   node scripts/aelab-node.mjs [--arch 784-32-784] [--hidden relu] [--code ACT] [--output sigmoid] [--loss bce]
//        [--opt adam] [--lr 1e-3] [--batch 256] [--epochs 5] [--seed 1] [--noise none] [--noise-level 0.3]
//        [--output-bias mean|zero] [--variant threads|simd|scalar] [--threads N] [--out model.safetensors]
//        [--size RxC] [--pictures FOLDER]
// Prints one line per epoch in the native CLI's format ("epoch E/N  train_loss X  test_loss Y ..."). --size and
// --pictures as in the CLI: MNIST drawn at R×C, or a folder's PNG and JPEG files (name order, last seventh
// for the test set) at R×C (100×100 by default), an unreadable one left out and named.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { loadAelab, gunzipIfNeeded } = await import(path.join(root, 'build/site/aelab.js'));

const defaults = { arch: '784-32-784', hidden: 'relu', code: undefined, output: 'sigmoid', loss: '', opt: 'adam', lr: undefined, batch: 256, epochs: 5,
  seed: 1, noise: 'none', 'noise-level': 0.3, 'output-bias': undefined, variant: undefined, threads: undefined, out: undefined, data: path.join(root, 'data'), size: undefined, pictures: undefined };
const o = { ...defaults };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (k === 'help') { console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 7).join('\n')); process.exit(0); }
  if (!(k in defaults) || i + 1 >= argv.length) { console.error(`aelab-node: unknown or incomplete option ${argv[i]}`); process.exit(2); }
  o[k] = argv[++i];
}

try {
  const ae = await loadAelab({ variant: o.variant, threads: o.threads === undefined ? undefined : Number(o.threads) });
  const read = async (f) => gunzipIfNeeded(fs.readFileSync(path.join(o.data, `${f}.gz`)));
  const [rows, cols] = o.size === undefined ? [] : o.size.includes('x') ? o.size.split('x').map(Number) : [Number(o.size), Number(o.size)];
  let train, test;
  if (o.pictures !== undefined) {
    // the CLI's order: names compared byte by byte (strcmp), which for these names is JS's default sort
    const names = fs.readdirSync(o.pictures).filter((f) => /\.(png|jpe?g)$/i.test(f) && !f.startsWith('.')).sort();
    if (names.length < 2) throw new Error(`--pictures found ${names.length} pictures in '${o.pictures}'; at least 2 are needed`);
    // as the CLI: an unreadable picture is left out and named on stderr; fewer than 2 readable train nothing
    train = ae.pictures(names.length, rows ?? 100, cols ?? 100);
    let k = 0;
    for (const f of names) {
      const file = path.join(o.pictures, f);
      try {
        train.setImage(k, fs.readFileSync(file));
        k++;
      } catch (e) {
        if (e.code === -2) throw e; // AE_ERR_NOMEM: the engine's memory, not this file, so the load stops (as the CLI's)
        console.error(`aelab-node: left out ${file}: ${e.message}`);
      }
    }
    if (k < 2) throw new Error(`--pictures: ${k} of the ${names.length} pictures could be read; at least 2 are needed (one to train on, one to test)`);
    if (k < names.length) {
      console.error(`aelab-node: --pictures: ${names.length - k} of ${names.length} pictures left out, named above`);
      train.limit(k);
    }
    test = train.split(train.n - Math.max(1, Math.min(10000, Math.round(train.n / 7))));
  } else {
    train = ae.dataset(await read('train-images-idx3-ubyte'));
    test = ae.dataset(await read('t10k-images-idx3-ubyte'));
    if (rows) { train.drawAt(rows, cols); test.drawAt(rows, cols); }
  }
  const batch = Number(o.batch);
  const model = ae.model({ sizes: o.arch, hidden: o.hidden, code: o.code, output: o.output, loss: o.loss, maxBatch: batch, seed: Number(o.seed) });
  // as the native CLI: the output bias starts at the data mean where the output allows it, unless --output-bias zero
  const ob = o['output-bias'];
  if (ob !== undefined && ob !== 'mean' && ob !== 'zero') throw new Error('--output-bias is mean or zero');
  if (ob === 'mean' || (ob === undefined && ['sigmoid', 'linear'].includes(model.activations.at(-1)))) model.initOutputBias(train);
  const trainer = ae.trainer(model, train, { batch, optimizer: o.opt, lr: o.lr === undefined ? undefined : Number(o.lr), seed: Number(o.seed),
    noise: o.noise, noiseLevel: Number(o['noise-level']) });
  console.log(`model ${model.spec}  activations ${model.activations.join(',')}  loss ${model.loss}  params ${model.nParams}  engine wasm-${ae.variant}`);
  const epochs = Number(o.epochs);
  const t0 = performance.now();
  for (let e = 1; e <= epochs; e++) {
    const te = performance.now();
    const s = trainer.run(1e9, true);
    const sec = (performance.now() - te) / 1000;
    const { loss } = model.evaluate(test);
    console.log(`epoch ${e}/${epochs}  train_loss ${s.meanLoss.toFixed(5)}  test_loss ${loss.toFixed(5)}  ${sec.toFixed(1)} s  ${Math.round(s.samples / sec)} samples/s`);
  }
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s  wasm memory ${(ae.heapBytes / 2 ** 20).toFixed(0)} MiB`);
  if (o.out) { fs.writeFileSync(o.out, model.save()); console.log(`saved ${o.out}`); }
} catch (e) {
  console.error(`aelab-node: ${e.message}`);
  process.exitCode = 1;
}
