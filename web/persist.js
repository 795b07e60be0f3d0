// Keeps the current run in the browser (IndexedDB) so that a reload or a crashed tab can offer it back: the
// model's .safetensors bytes, the configuration it was built from, the data's name, the step it reached and
// the loss chart's points. Runs in the Worker, which owns the model, so the page never waits on storage.
//
// The cost is bounded: at most two records, the current run (overwritten) and an earlier one (a run that was
// offered after a reload and set aside when new work began without an answer); the current one is written
// at most once every SAVE_EVERY_MS of training and when a run pauses, stops, finishes or a model is loaded,
// never once per chunk or per Step; the chart's points are thinned whenever they pass HISTORY_CAP. A write
// copies the parameter block only when it happens (4 bytes per parameter: 100 kB for 784-32-784, 6 MB for
// 784-1000-784).
//
// Where IndexedDB is missing or refuses (a private window, a third-party iframe with storage blocked), the
// page works as before and is told once that restore after a reload is off.

const DB_NAME = 'aelab';
const STORE = 'runs';
const KEY = 'current';
const EARLIER = 'previous'; // the run set aside by new work while it was offered; offered again after a reload
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

/** One transaction on the store; resolves with the result of fn's request (or of each of its requests, for
 * an array) once the transaction has committed. */
function transact(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const r = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(Array.isArray(r) ? r.map((q) => q.result) : r?.result);
    t.onerror = t.onabort = () => reject(t.error ?? new Error('the transaction was aborted'));
  });
}

/** Open (or create) the database. A tab still holding an older version of it open keeps an upgrade waiting
 * (onblocked) for as long as that tab lives: that is a refusal too, not a wait, and a connection that
 * opens after all is closed again. */
function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
    open.onblocked = () => {
      open.onsuccess = () => open.result.close();
      reject(new Error('another tab holds this page\'s storage open in an older version'));
    };
  });
}

function usable(rec) {
  return rec && rec.format === FORMAT && rec.model instanceof Uint8Array && rec.config && Number.isFinite(rec.step) && rec.history;
}

/**
 * The stored runs and when to write. The Worker calls touch() when the model changes (a trained step, a
 * loaded file), tick() after each chunk (so also after a Step) and flush() at pause, stop, finish and load;
 * touch() also sets a timer that ticks SAVE_EVERY_MS later, so the last Step of a few is kept too;
 * `snapshot` is a function that builds the record (null when there is no model), called only when a write
 * happens. The runs found at start are offered until the page answers: Restore (taken), Discard, or new
 * work, the first touch(), which declines them so that the new run is kept from its first write on.
 * Messages to the page:
 *   { type: 'offer', run, earlier } once at start: the stored runs' summaries (null where there is none)
 *   { type: 'declined', earlier }   new work began with the offer unanswered: it is now the earlier run
 *   { type: 'kept', step, at }      a write of the current model has committed
 *   { type: 'discarded' }           the offered runs are gone
 *   { type: 'keepOff', reason, atStart }  storage is unavailable (atStart: it could not even be opened); said once
 */
export class Keeper {
  constructor(post, snapshot) {
    this.post = post;
    this.snapshot = snapshot;
    this.db = null;
    this.off = false;
    this.offers = null; // { current, previous }: the stored records while they are offered; nothing is written meanwhile
    this.dirtySince = 0; // when the oldest change not yet written happened (performance.now()), 0 if none
    this.run = 0; // which model the page has: a write of an earlier one does not count as keeping this one
    this.writing = false;
    this.again = false; // write again once the current write is done
    this.timer = null; // later()'s
  }

  /** Open the database and offer what it holds. Never throws: without storage the page just works. */
  async start() {
    try {
      if (typeof indexedDB === 'undefined') throw new Error('this browser offers no IndexedDB here');
      this.db = await openDb();
      const [current, previous] = (await transact(this.db, 'readonly', (s) => [s.get(KEY), s.get(EARLIER)])).map((r) => (usable(r) ? r : null));
      if (current || previous) this.offers = { current, previous };
    } catch (e) {
      this.turnOff(e, true);
    }
    if (this.off) return;
    if (this.dirtySince && this.offers) this.decline(); // trained while the database opened: as a Start would
    else this.post({ type: 'offer', run: summary(this.offers?.current), earlier: summary(this.offers?.previous) });
    this.flush(); // what was trained while the database opened
  }

  /** The stored record offered as 'current' or 'previous', while the offer waits. */
  offered(which) {
    return this.offers?.[which] ?? null;
  }

  turnOff(e, atStart = false) {
    this.db = null;
    this.offers = null;
    if (this.off) return;
    this.off = true;
    this.post({ type: 'keepOff', reason: e?.message || String(e), atStart });
  }

  /** A new model or a new run of it (Reset, a change of settings or data): nothing of it to keep yet. */
  newRun() {
    this.run++;
    this.dirtySince = 0;
  }

  touch() {
    if (this.offers) this.decline();
    if (!this.dirtySince) this.dirtySince = performance.now();
    this.later();
  }

  /** tick() once more SAVE_EVERY_MS from now: a change that no chunk follows (a Step, then nothing) is then
   * written as a run's would be, without a write per click. One timer at a time, holding no process open. */
  later() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
    }, SAVE_EVERY_MS + 1);
    this.timer.unref?.();
  }

  /** New work (Start, Step, Load model) with the offer unanswered: the offered run moves to the earlier key,
   * where the next reload offers it again, and the current key is free for the new run. Two records at most:
   * an earlier run already there gives way to it. */
  decline() {
    const { current, previous } = this.offers;
    this.offers = null;
    if (current) this.update((s) => [s.put(current, EARLIER), s.delete(KEY)]);
    this.post({ type: 'declined', earlier: summary(current ?? previous) });
  }

  /** A write that is not the current run's (those go through flush); IndexedDB runs read-write
   * transactions on one store in the order they were made, so a flush made after it lands after it. */
  update(fn) {
    if (this.db) transact(this.db, 'readwrite', fn).catch((e) => this.turnOff(e));
  }

  tick() {
    if (this.dirtySince && performance.now() - this.dirtySince >= SAVE_EVERY_MS) this.flush();
  }

  flush() {
    if (!this.dirtySince || !this.db || this.offers) return;
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

  /** The page restored the offered run `which` ('current' or 'previous'): it is now the current run, with
   * nothing unsaved; the other one offered, if any, is the earlier run. */
  taken(which) {
    const { current, previous } = this.offers;
    this.offers = null;
    this.dirtySince = 0;
    if (which === EARLIER) this.update((s) => [s.put(previous, KEY), current ? s.put(current, EARLIER) : s.delete(EARLIER)]);
  }

  /** The page declined the offer: delete both runs, then keep whatever is trained from now on. A Discard
   * that comes after new work already declined the offer does nothing: the runs are answered for. */
  async discard() {
    if (!this.offers) return;
    this.offers = null;
    if (this.db) {
      try {
        await transact(this.db, 'readwrite', (s) => [s.delete(KEY), s.delete(EARLIER)]);
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
  if (!rec) return null;
  return { sizes: rec.sizes, step: rec.step, stepsPerEpoch: rec.stepsPerEpoch, epochs: rec.config.epochs, finished: !!rec.finished, data: rec.data, at: rec.at };
}
