// web/persist.js without a browser: the kept loss history stays under its cap with its shape, and the
// writes stay bounded (none per chunk, at most one per SAVE_EVERY_MS of training, one at a time); an offer
// left unanswered is set aside by new work, not left to block every write; a blocked open is a refusal.
// Then the built site's worker (worker/main.js) itself, run in Node over an in-memory IndexedDB: what Step, Load model,
// Restore and Restore earlier write, across "reloads" (a fresh worker on the same store); and that a command
// naming a test image, made against data that another load replaced while it waited, is dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { History, Keeper, HISTORY_CAP, SAVE_EVERY_MS } from '../../web/persist.js';
import { site } from './helpers.mjs';

test('the history is thinned past its cap and keeps every test loss and its last point', () => {
  const h = new History();
  const spe = 235;
  for (let step = 1; step <= 20 * HISTORY_CAP; step++) {
    h.add(step, 1 / step, 256, 1);
    if (step % spe === 0) h.setTest(2 / step);
  }
  assert.ok(h.steps.length <= HISTORY_CAP && h.steps.length > HISTORY_CAP / 4, `${h.steps.length} points`);
  assert.equal(h.steps.length, h.train.length);
  assert.equal(h.steps.length, h.test.length);
  assert.equal(h.steps.at(-1), 20 * HISTORY_CAP);
  assert.equal(h.test.filter((v) => v !== null).length, Math.floor((20 * HISTORY_CAP) / spe));
  h.steps.forEach((s, i) => {
    if (i) assert.ok(s > h.steps[i - 1]);
    assert.equal(h.train[i], 1 / s);
    assert.ok(h.test[i] === null || h.test[i] === 2 / s);
  });
  assert.equal(h.samples, 20 * HISTORY_CAP * 256);
  const copy = new History();
  copy.reset(h.save());
  assert.deepEqual(copy.save(), h.save());
});

/** A stand-in for an open IndexedDB database: transactions complete when the test says so. `puts` holds
 * the records written to the current run's key, `ops` every change as [op, key, step]. */
function fakeDb() {
  const db = { puts: [], ops: [], open: [] };
  db.transaction = () => {
    const t = {
      objectStore: () => ({
        put: (rec, key) => (db.ops.push(['put', key, rec.step]), key === 'current' && db.puts.push(rec), {}),
        delete: (key) => (db.ops.push(['delete', key]), {}),
      }),
    };
    db.open.push(t);
    return t;
  };
  db.complete = () => db.open.shift().oncomplete();
  return db;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test('writes: none per chunk, one per SAVE_EVERY_MS of training, one at a time, none for an untrained model', async () => {
  const posted = [];
  let step = 0, snapshots = 0;
  const k = new Keeper((m) => posted.push(m), () => (snapshots++, { step }));
  const db = (k.db = fakeDb());
  for (let chunk = 0; chunk < 100; chunk++) { // a run's chunks within the first few seconds
    step += 4;
    k.touch();
    k.tick();
  }
  assert.equal(snapshots, 0, 'a write before SAVE_EVERY_MS of training');
  k.dirtySince -= SAVE_EVERY_MS; // the oldest unsaved step is now SAVE_EVERY_MS old
  k.tick();
  assert.equal(db.puts.length, 1);
  assert.equal(db.puts[0].step, 400);
  step += 4;
  k.touch();
  k.flush(); // Pause while that write is in flight: one more write, after it
  k.flush();
  assert.equal(db.puts.length, 1);
  db.complete();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(posted, [{ type: 'kept', step: 400, at: db.puts[0].at }]);
  assert.equal(db.puts.length, 2);
  assert.equal(db.puts[1].step, 404);
  db.complete();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(posted.length, 2);
  k.flush(); // nothing new
  assert.equal(db.puts.length, 2);
  k.newRun(); // Reset: a fresh model has nothing to keep, and the stored run stays
  k.flush();
  assert.equal(db.puts.length, 2);
  assert.equal(snapshots, 2);
});

test('a change that no chunk follows (a Step, then nothing) is written SAVE_EVERY_MS later, once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const k = new Keeper(() => {}, () => ({ step: 1 }));
  const db = (k.db = fakeDb());
  k.touch(); // a Step: its chunk's tick() finds the change too new to write
  k.tick();
  k.touch(); // a second Step within SAVE_EVERY_MS: still one timer
  k.tick();
  assert.equal(db.puts.length, 0);
  k.dirtySince -= SAVE_EVERY_MS; // the first Step's change is now SAVE_EVERY_MS old
  t.mock.timers.tick(SAVE_EVERY_MS + 1);
  assert.equal(db.puts.length, 1, 'the Steps were not written once nothing followed them');
  db.complete();
  t.mock.timers.tick(10 * SAVE_EVERY_MS);
  assert.equal(db.puts.length, 1, 'a write with nothing new');
});

test('new work while an offer waits sets the offered run aside as the earlier one and is kept from then on', async () => {
  const posted = [];
  const k = new Keeper((m) => posted.push(m), () => ({ step: 3 }));
  const db = (k.db = fakeDb());
  const old = { step: 9, at: 1, config: { epochs: 5 } };
  k.offers = { current: old, previous: { step: 2, at: 0, config: { epochs: 5 } } };
  k.newRun(); // settings changed, nothing trained: still offered, nothing written
  k.flush();
  assert.deepEqual(db.ops, []);
  k.touch(); // Start, Step or Load model
  assert.equal(k.offered('current'), null);
  assert.deepEqual(db.ops, [['put', 'previous', 9], ['delete', 'current']], 'the offered run was not moved aside');
  assert.equal(posted[0].type, 'declined');
  assert.equal(posted[0].earlier.step, 9);
  k.flush(); // Pause: the new run is written, in a transaction after the one that moved the old run
  assert.deepEqual(db.ops.at(-1), ['put', 'current', 3], 'writes stay blocked after the offer was declined');
  assert.equal(db.open.length, 2);
  db.complete();
  db.complete();
  await settle();
  assert.deepEqual(posted.map((m) => m.type), ['declined', 'kept']);
  await k.discard(); // a Discard that arrives after the offer was declined deletes nothing
  assert.equal(db.ops.length, 3);
});

test('Restore earlier makes the earlier run the current one and keeps the other as the earlier one', () => {
  const k = new Keeper(() => {}, () => null);
  const db = (k.db = fakeDb());
  k.offers = { current: { step: 9 }, previous: { step: 2 } };
  assert.equal(k.offered('previous').step, 2);
  k.taken('previous');
  assert.deepEqual(db.ops, [['put', 'current', 2], ['put', 'previous', 9]]);
  k.touch(); // trained on: no decline, nothing moved again
  assert.equal(db.ops.length, 2);
});

test('a blocked open turns keeping off with a note instead of leaving start() waiting', async () => {
  const posted = [];
  const saved = globalThis.indexedDB;
  let closed = false;
  let req;
  globalThis.indexedDB = {
    open() {
      req = {};
      setTimeout(() => req.onblocked?.({}), 0); // another tab holds an older version open, and stays
      return req;
    },
  };
  try {
    const k = new Keeper((m) => posted.push(m), () => ({ step: 1 }));
    const hung = Symbol('hung');
    let timer;
    const got = await Promise.race([k.start(), new Promise((resolve) => (timer = setTimeout(() => resolve(hung), 2000)))]);
    clearTimeout(timer);
    assert.notEqual(got, hung, 'start() never settled on a blocked open');
    assert.equal(posted.length, 1);
    assert.equal(posted[0].type, 'keepOff');
    assert.match(posted[0].reason, /another tab/);
    assert.equal(posted[0].atStart, true, 'refused at the open, not by a later write');
    k.touch();
    k.flush(); // the page trains on without storage
    assert.equal(posted.length, 1);
    req.result = { close: () => (closed = true) }; // the other tab closed after all: the late connection is let go
    req.onsuccess();
    assert.equal(closed, true);
  } finally {
    globalThis.indexedDB = saved;
  }
});

/** IndexedDB as far as persist.js uses it, in memory: one store whose contents outlive a "reload"; each
 * transaction applies its requests and commits on a later task, in the order the transactions were made.
 * `writes` counts read-write transactions as they are made; `log` lists the changes as [op, key, step]. */
function memoryIdb() {
  const data = new Map();
  const idb = { data, log: [], writes: 0 };
  const db = {
    createObjectStore() {},
    close() {},
    transaction(store, mode) {
      if (mode === 'readwrite') idb.writes++;
      const work = [];
      const t = {};
      const req = (fn) => {
        const r = {};
        work.push(() => (r.result = fn()));
        return r;
      };
      t.objectStore = () => ({
        get: (key) => req(() => data.get(key)),
        put: (rec, key) => req(() => (idb.log.push(['put', key, rec.step]), data.set(key, structuredClone(rec)))),
        delete: (key) => req(() => (idb.log.push(['delete', key]), data.delete(key))),
      });
      setTimeout(() => {
        work.forEach((w) => w());
        t.oncomplete();
      }, 0);
      return t;
    },
  };
  idb.open = () => {
    const r = { result: db };
    setTimeout(() => {
      r.onupgradeneeded?.();
      r.onsuccess();
    }, 0);
    return r;
  };
  return idb;
}

const CONFIG = {
  sizes: '784-32-784', hidden: 'relu', code: 'relu', output: 'sigmoid', loss: 'bce', init: 'glorot_uniform', optimizer: 'adam',
  lr: 0.001, momentum: 0.9, weightDecay: 0, batch: 256, epochs: 5, seed: 1, noise: 'none', noiseLevel: 0,
};
let pages = 0;

/** build/site/worker/main.js as a fresh page would start it (a module instance of its own, the engine, MNIST from
 * build/site/data, the stored runs offered); `send` posts a command and resolves with the first message
 * after it that `until` accepts. Commands run in order, so a later command's answer follows an earlier one's. */
async function openWorker() {
  const got = [];
  let waiting = null;
  globalThis.self = {
    location: { href: pathToFileURL(`${site}/`).href },
    postMessage(m) {
      got.push(m);
      if (waiting && waiting.until(m)) {
        const w = waiting;
        waiting = null;
        w.resolve(m);
      }
    },
  };
  const me = globalThis.self;
  await import(`${pathToFileURL(path.join(site, 'worker/main.js')).href}?page=${++pages}`);
  const send = (msg, until) => new Promise((resolve) => {
    waiting = until ? { until, resolve } : null;
    me.onmessage({ data: msg });
    if (!until) resolve();
  });
  const offer = await send({ type: 'init', engine: 'simd' }, (m) => m.type === 'offer' || m.type === 'keepOff');
  await send({ type: 'configure', config: CONFIG }, (m) => m.type === 'state');
  return { got, send, offer };
}

const isType = (t) => (m) => m.type === t;

test('worker.js: Step does not write; Step or Load model with an offer waiting sets it aside; Restore earlier; a restored run counts its position in samples', async () => {
  const idb = memoryIdb();
  globalThis.indexedDB = idb;
  globalThis.fetch = async (url) => {
    const b = fs.readFileSync(new URL(url));
    return { ok: true, status: 200, arrayBuffer: async () => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) };
  };
  const clock = performance.now.bind(performance);
  const now = clock();
  performance.now = () => now; // Step clicks come within SAVE_EVERY_MS of each other, however slow this machine is
  try {
    // a first page: three Steps write nothing; Pause writes the run once
    const a = await openWorker();
    assert.deepEqual([a.offer.run, a.offer.earlier], [null, null]);
    for (let i = 0; i < 3; i++) await a.send({ type: 'step' }, isType('state'));
    const file = await a.send({ type: 'save' }, isType('file'));
    assert.equal(idb.writes, 0, 'a Step wrote the whole model to IndexedDB');
    const kept = await a.send({ type: 'pause' }, isType('kept'));
    assert.equal(kept.step, 3);
    assert.deepEqual(idb.log, [['put', 'current', 3]]);

    // reload: the run is offered; a Step declines it, the offered run moves aside, a late Restore changes nothing
    const b = await openWorker();
    assert.equal(b.offer.run.step, 3);
    assert.equal(b.offer.earlier, null);
    const declined = await b.send({ type: 'step' }, isType('declined'));
    assert.equal(declined.earlier.step, 3);
    await b.send({ type: 'restore' });
    await b.send({ type: 'save' }, isType('file'));
    assert.equal(b.got.filter(isType('restored')).length, 0, 'Restore replaced a run with trained steps');
    assert.equal((await b.send({ type: 'pause' }, isType('kept'))).step, 1);
    assert.deepEqual(idb.log.slice(1), [['put', 'previous', 3], ['delete', 'current'], ['put', 'current', 1]]);

    // reload: both are offered; Load model declines them: the latest moves aside, the older one gives way
    const c = await openWorker();
    assert.deepEqual([c.offer.run.step, c.offer.earlier.step], [1, 3]);
    const bytes = file.bytes.buffer.slice(file.bytes.byteOffset, file.bytes.byteOffset + file.bytes.length);
    assert.equal((await c.send({ type: 'load', bytes, name: 'a.safetensors' }, isType('kept'))).step, 0);
    assert.equal(c.got.find(isType('declined')).earlier.step, 1);
    assert.deepEqual(idb.log.slice(4), [['put', 'previous', 1], ['delete', 'current'], ['put', 'current', 0]]);
    assert.deepEqual([...idb.data.keys()].sort(), ['current', 'previous']);

    // reload: Restore earlier brings back the 1-step run; the loaded model becomes the earlier run
    const d = await openWorker();
    assert.deepEqual([d.offer.run.step, d.offer.earlier.step], [0, 1]);
    assert.equal((await d.send({ type: 'restore', which: 'previous' }, isType('restored'))).step, 1);
    // a restored run's position within its epoch is in samples, as a fresh run's is
    const p = await d.send({ type: 'step' }, isType('progress'));
    assert.deepEqual([p.step, p.epoch, p.pos], [2, 0, 2 * CONFIG.batch]);
    const fresh = a.got.filter(isType('progress')).at(-1);
    assert.deepEqual([fresh.step, fresh.pos], [3, 3 * CONFIG.batch]);
    assert.equal((await d.send({ type: 'pause' }, isType('kept'))).step, 2);
    assert.deepEqual(idb.log.slice(7), [['put', 'current', 1], ['put', 'previous', 0], ['put', 'current', 2]]);
  } finally {
    performance.now = clock;
    delete globalThis.indexedDB;
    delete globalThis.fetch;
    delete globalThis.self;
  }
});

test('worker/main.js: a run kept with the settings beside the spec (the version before) restores as one spec, and Step goes on with it', async () => {
  const idb = memoryIdb();
  globalThis.indexedDB = idb;
  globalThis.fetch = async (url) => {
    const b = fs.readFileSync(new URL(url));
    return { ok: true, status: 200, arrayBuffer: async () => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) };
  };
  try {
    // the version before sent the menus' values beside the spec, and the run was kept with them
    const older = { ...CONFIG, sizes: '784-64-32-64-784', hidden: 'tanh', code: 'relu', output: 'linear', loss: 'mse' };
    const a = await openWorker();
    const built = await a.send({ type: 'configure', config: older }, isType('model'));
    assert.deepEqual(built.activations, ['tanh', 'relu', 'tanh', 'linear']);
    for (let i = 0; i < 3; i++) await a.send({ type: 'step' }, isType('state'));
    assert.equal((await a.send({ type: 'pause' }, isType('kept'))).step, 3);
    assert.deepEqual(idb.data.get('current').config.hidden, 'tanh');

    // reload and Restore: the settings arrive folded into the spec, the way the page now sends them
    const b = await openWorker();
    const restored = await b.send({ type: 'restore' }, isType('restored'));
    const c = restored.config;
    assert.deepEqual([c.sizes, c.hidden, c.code, c.output, c.loss, c.init], ['784-64-32-64-784 hidden=tanh code=relu output=linear', '', '', '', '', '']);
    assert.equal(b.got.filter(isType('model')).at(-1).spec, built.spec);
    // the page sends that config back with Step: the restored run goes on (a rebuilt one would be at step 1)
    const p = await b.send({ type: 'step', config: c }, isType('progress'));
    assert.equal(p.step, 4);
    // and the spec alone builds the same model afresh
    const fresh = await b.send({ type: 'reset', config: c }, isType('model'));
    assert.deepEqual([fresh.spec, fresh.activations], [built.spec, built.activations]);
  } finally {
    delete globalThis.indexedDB;
    delete globalThis.fetch;
    delete globalThis.self;
  }
});

test('worker/main.js: a command naming a test image, queued behind a load of other data, is dropped, not answered for the new data', async () => {
  globalThis.indexedDB = memoryIdb();
  globalThis.fetch = async (url) => {
    const b = fs.readFileSync(new URL(url));
    return { ok: true, status: 200, arrayBuffer: async () => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) };
  };
  try {
    const a = await openWorker();
    // the blending, feature-map and infilling panels' commands as they send them, on MNIST's 10,000 test digits
    const asked = (type) => ({ blend: { type, a: 0, b: 9000 }, features: { type, index: 9000 }, digit: { type, index: 9000, purpose: 'infill' } }[type]);
    assert.equal((await a.send({ ...asked('blend'), nTest: 10000 }, isType('blend'))).b, 9000);
    // three pictures of one's own (2 to train on, 1 to test); the commands queued behind their load were made
    // against MNIST: before, each was answered with 'Pick a test image from 0 to 0'
    const { loadAelab } = await import(pathToFileURL(path.join(site, 'aelab.js')).href);
    const ae = await loadAelab({ variant: 'simd' });
    const files = [0, 1, 2].map((i) => new File([ae.pngGrid(new Float32Array(784).fill(i / 3), 1, 28, 28, 1, 1)], `p${i}.png`, { type: 'image/png' }));
    const since = a.got.length;
    a.send({ type: 'loadPictures', files, rows: 28, cols: 28 });
    for (const type of ['blend', 'features', 'digit']) a.send({ ...asked(type), nTest: 10000 });
    // against the new test set (1 picture) each is answered
    const fresh = await a.send({ type: 'blend', a: 0, b: 0, nTest: 1 }, isType('blend'));
    assert.deepEqual([fresh.a, fresh.b], [0, 0]);
    const after = a.got.slice(since);
    assert.equal(after.find(isType('data'))?.test, 1, 'the pictures loaded');
    assert.deepEqual(after.filter(isType('error')).map((m) => m.message), [], 'a stale command was answered with an error');
    assert.deepEqual(after.filter((m) => ['blend', 'features', 'digit'].includes(m.type)).map((m) => m.type), ['blend'], 'a stale command was answered');
  } finally {
    delete globalThis.indexedDB;
    delete globalThis.fetch;
    delete globalThis.self;
  }
});
