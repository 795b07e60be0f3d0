// The training Worker's entry (the page starts it as a module Worker): it owns the wasm engine, the data,
// the model and its trainer, and answers the page's commands with progress, losses and images, so nothing
// here ever blocks the page's main thread.
//
// Each module listed in index.js answers some commands (its `handlers`: type -> (msg, w)); it may also keep
// state on the shared context w (`state()`), let go of jobs on the old data (`releaseData(w)`), and react to
// new data (`onData(w)`), to each 'images' message sent to the page (`onImages(w, force)`) and to the main
// run starting (`onTrainStart(w)`). A new panel's commands are one file here, listed in
// index.js.
import * as core from './core.js';
import MODULES from './index.js';

const handlers = {};
for (const m of MODULES) {
  for (const [type, h] of Object.entries(m.handlers ?? {})) {
    if (handlers[type]) throw new Error(`two worker modules handle '${type}'`);
    handlers[type] = h;
  }
}

const w = core.createContext(MODULES);

// Commands run one at a time, in the order they came: an async one (loading the engine, reading a file of
// one's own) finishes before the next starts, so a Start or Reset sent during a long read cannot act on
// data or a model that is being swapped out under it.
let queue = Promise.resolve();
self.onmessage = (ev) => {
  const msg = ev.data;
  const h = handlers[msg.type];
  if (!h) return core.fail(`unknown command '${msg.type}'`);
  // a command naming a test image (blend, features, digit) carries the test set's size the page knew (nTest):
  // if other data came in while it waited, its index means nothing now and it is dropped (core.stale)
  queue = queue.then(() => (core.stale(w, msg) ? undefined : h(msg, w))).catch((e) => {
    w.running = false;
    core.fail(e);
    // a refused command changed nothing: a run that was under way is paused, ready to resume
    core.post({ type: 'state', running: false, paused: !!w.trainer && !w.finished && core.stepNow(w) > 0 });
  });
};
