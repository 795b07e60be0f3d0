// Keeps the current run in the browser (IndexedDB) so that a reload or a crashed tab can offer it back: the
// model's .safetensors bytes, the configuration it was built from, the data's name, the step it reached and
// the loss chart's points. Runs in the Worker, which owns the model, so the page never waits on storage.
//
// The cost is bounded: one record, overwritten; written at most once every SAVE_EVERY_MS of training and
// when a run pauses, stops, finishes or a model is loaded, never once per chunk; the chart's points are
// thinned whenever they pass HISTORY_CAP. A write copies the parameter block only when it happens
// (4 bytes per parameter: 100 kB for 784-32-784, 6 MB for 784-1000-784).
//
// Where IndexedDB is missing or refuses (a private window, a third-party iframe with storage blocked), the
// page works as before and is told once that restore after a reload is off.

const DB_NAME = 'aelab';
const STORE = 'runs';
const KEY = 'current';
const FORMAT = 1; // the record's layout; a record of another format is not offered
export const SAVE_EVERY_MS = 5000;
export const HISTORY_CAP = 4000;

/** The loss chart as the page draws it: one point per chunk of training (its last step and its mean train
 * loss), the test loss on the point that ends an epoch (null elsewhere), and the sample and time totals
 * behind samples/s. */
export class History {
  constructor() {
    this.reset();
  }

  reset(from = null) {
    this.steps = from ? [...from.steps] : [];
    this.train = from ? [...from.train] : [];
    this.test = from ? [...from.test] : [];
    this.samples = from?.samples ?? 0;
    this.ms = from?.ms ?? 0;
  }

  add(step, train, samples, ms) {
    this.steps.push(step);
    this.train.push(train);
    this.test.push(null);
    this.samples += samples;
    this.ms += ms;
    if (this.steps.length > HISTORY_CAP) this.thin();
  }

  /** As the page does: on the last point, or as a point of its own at step 0 (a loaded model's loss). */
  setTest(loss) {
    if (this.steps.length) this.test[this.test.length - 1] = loss;
    else {
      this.steps.push(0);
      this.train.push(null);
      this.test.push(loss);
    }
  }

  /** Halve the points: keep every second one, every test point (at most one per epoch, and epochs are
   * at most 1000 < HISTORY_CAP) and the last, so the curve keeps its shape and its end. */
  thin() {
    const last = this.steps.length - 1;
    const keep = this.steps.map((_, i) => i % 2 === 1 || i === last || this.test[i] !== null);
    for (const k of ['steps', 'train', 'test']) this[k] = this[k].filter((_, i) => keep[i]);
  }

  save() {
    return { steps: [...this.steps], train: [...this.train], test: [...this.test], samples: this.samples, ms: this.ms };
  }
}

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** One transaction on the store; resolves with fn's request's result once the transaction has committed. */
function transact(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const r = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(r.result);
    t.onerror = t.onabort = () => reject(t.error ?? new Error('the transaction was aborted'));
  });
}

function usable(rec) {
  return rec && rec.format === FORMAT && rec.model instanceof Uint8Array && rec.config && Number.isFinite(rec.step) && rec.history;
}

/**
 * The stored run and when to write it. The Worker calls touch() when the model changes (training, a loaded
 * file), tick() after each chunk and flush() at pause, stop, finish and load; `snapshot` is a function that
 * builds the record (null when there is no model), called only when a write happens. Messages to the page:
 *   { type: 'offer', run }      once at start: the stored run's summary, or null if there is none (or:)
 *   { type: 'kept', step, at }  a write of the current model has committed
 *   { type: 'discarded' }       the stored run is gone
 *   { type: 'keepOff', reason } storage is unavailable; said once
 */
export class Keeper {
  constructor(post, snapshot) {
    this.post = post;
    this.snapshot = snapshot;
    this.db = null;
    this.off = false;
    this.offer = null; // the stored record until the page restores or discards it; no write replaces it meanwhile
    this.dirtySince = 0; // when the oldest change not yet written happened (performance.now()), 0 if none
    this.run = 0; // which model the page has: a write of an earlier one does not count as keeping this one
    this.writing = false;
    this.again = false; // write again once the current write is done
  }

  /** Open the database and offer what it holds. Never throws: without storage the page just works. */
  async start() {
    try {
      if (typeof indexedDB === 'undefined') throw new Error('this browser offers no IndexedDB here');
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE);
      this.db = await request(open);
      const rec = await transact(this.db, 'readonly', (s) => s.get(KEY));
      this.offer = usable(rec) ? rec : null;
    } catch (e) {
      this.turnOff(e);
    }
    if (!this.off) this.post({ type: 'offer', run: this.offer ? summary(this.offer) : null });
    this.flush(); // what was trained while the database opened
  }

  turnOff(e) {
    this.db = null;
    this.offer = null;
    if (this.off) return;
    this.off = true;
    this.post({ type: 'keepOff', reason: e?.message || String(e) });
  }

  /** A new model or a new run of it (Reset, a change of settings or data): nothing of it to keep yet. */
  newRun() {
    this.run++;
    this.dirtySince = 0;
  }

  touch() {
    if (!this.dirtySince) this.dirtySince = performance.now();
  }

  tick() {
    if (this.dirtySince && performance.now() - this.dirtySince >= SAVE_EVERY_MS) this.flush();
  }

  flush() {
    if (!this.dirtySince || !this.db || this.offer) return;
    if (this.writing) {
      this.again = true;
      return;
    }
    const snap = this.snapshot();
    if (!snap) return;
    this.dirtySince = 0;
    this.writing = true;
    const run = this.run;
    const rec = { format: FORMAT, at: Date.now(), ...snap };
    transact(this.db, 'readwrite', (s) => s.put(rec, KEY))
      .then(() => {
        if (run === this.run) this.post({ type: 'kept', step: rec.step, at: rec.at });
      })
      .catch((e) => this.turnOff(e))
      .finally(() => {
        this.writing = false;
        if (this.again) {
          this.again = false;
          this.flush();
        }
      });
  }

  /** The page took the offer: the stored run is now the current one, with nothing unsaved. */
  taken() {
    this.offer = null;
    this.dirtySince = 0;
  }

  /** The page declined the offer: delete it, then keep whatever has been trained since. */
  async discard() {
    this.offer = null;
    if (this.db) {
      try {
        await transact(this.db, 'readwrite', (s) => s.delete(KEY));
      } catch (e) {
        this.turnOff(e);
      }
    }
    this.post({ type: 'discarded' });
    this.flush();
  }
}

/** What the page's restore bar says about a stored run. */
function summary(rec) {
  return { sizes: rec.sizes, step: rec.step, stepsPerEpoch: rec.stepsPerEpoch, epochs: rec.config.epochs, finished: !!rec.finished, data: rec.data, at: rec.at };
}
