// web/persist.js without a browser: the kept loss history stays under its cap with its shape, and the
// writes stay bounded (none per chunk, at most one per SAVE_EVERY_MS of training, one at a time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History, Keeper, HISTORY_CAP, SAVE_EVERY_MS } from '../../web/persist.js';

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

/** A stand-in for IndexedDB: transactions complete when the test says so. */
function fakeDb() {
  const db = { puts: [], open: [] };
  db.transaction = () => {
    const t = { objectStore: () => ({ put: (rec) => (db.puts.push(rec), {}), delete: () => ({}) }) };
    db.open.push(t);
    return t;
  };
  db.complete = () => db.open.shift().oncomplete();
  return db;
}

test('writes: none per chunk, one per SAVE_EVERY_MS of training, one at a time, none for an untrained model or while an offer waits', async () => {
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
  k.offer = { step: 9 }; // an unanswered offer is never overwritten
  k.touch();
  k.flush();
  assert.equal(db.puts.length, 2);
  assert.equal(snapshots, 2);
});
