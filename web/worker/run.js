// The training run: Start, Pause, Resume, Step and Stop. Training goes in chunks of a few minibatches
// (about CHUNK_MS of work), then yields to the event loop so the page's next command is handled between
// chunks.
import { post, alone, configure, differs, sendImages, stepNow } from './core.js';

const CHUNK_MS = 60;

/** The test set's loss, shown beside the training loss and kept in the chart's history. */
export function evaluateTest(w, epoch) {
  const t0 = performance.now();
  const { loss } = w.model.evaluate(w.test);
  w.history.setTest(loss);
  post({ type: 'test', epoch, loss, ms: performance.now() - t0 });
}

/** Train up to maxSteps and report the run's totals. A restored run's trainer starts at step 0 and counts
 * on from resumedAt; an epoch is always spe = ceil(n / batch) steps, so the epoch and the position in it
 * (in samples, as the trainer counts it: (step mod spe) * batch) follow from the total, and a chunk stops
 * where the total ends an epoch. The new trainer's batches are not the ones the interrupted run had left:
 * its first shuffle is the seed's epoch-0 order again, so the rest of the interrupted epoch trains on the
 * first batches of that order, and from then on each counted epoch is the end of one of the trainer's
 * shuffles and the start of the next (about n samples, some twice and some not at all). Without a restore
 * the cap is where the trainer stops anyway. */
function runCounted(w, maxSteps) {
  const spe = Math.ceil(w.train.n / w.cfg.batch);
  const s = w.trainer.run(Math.min(maxSteps, spe - (stepNow(w) % spe)), true);
  if (!w.resumedAt) return s;
  const step = w.resumedAt + s.step;
  return { ...s, step, epoch: Math.floor(step / spe), pos: (step % spe) * w.cfg.batch };
}

/** Train one chunk; returns false when the run is over or failed. */
function chunk(w, maxSteps) {
  const { keeper } = w;
  const t0 = performance.now();
  let s;
  try {
    s = runCounted(w, maxSteps);
  } catch (e) {
    w.running = false;
    // the trainer is back at its last sound step: the page shows that step, not the one that blew up
    post({ type: 'diverged', message: alone(e.message), step: stepNow(w) });
    post({ type: 'state', running: false });
    sendImages(w, true);
    keeper.touch(); // the last good weights
    keeper.flush();
    return false;
  }
  const ms = performance.now() - t0;
  post({ type: 'progress', ...s, ms });
  w.history.add(s.step, s.meanLoss, s.samples, ms);
  keeper.touch();
  if (s.pos === 0 && s.steps > 0) evaluateTest(w, s.epoch);
  sendImages(w, false);
  if (s.epoch >= w.cfg.epochs) {
    w.running = false;
    w.finished = true;
    sendImages(w, true);
    post({ type: 'state', running: false, finished: true });
    keeper.flush();
    return false;
  }
  keeper.tick(); // at most every SAVE_EVERY_MS of training
  // aim for CHUNK_MS per chunk so pauses are prompt and progress is smooth
  if (ms > 0) w.chunkSteps = Math.max(1, Math.min(512, Math.round(w.chunkSteps * Math.min(2, CHUNK_MS / ms))));
  return true;
}

function loop(w) {
  if (!w.running) return;
  if (chunk(w, w.chunkSteps)) setTimeout(() => loop(w), 0);
}

export const handlers = {
  start(msg, w) {
    // Start trains the current model: fresh after a change of settings or Reset, or a loaded one; a run
    // that has finished or was stopped starts over, and so does one whose settings the form has since
    // changed (settings the engine refused stay refused: nothing trains under values the page shows but
    // the model does not have).
    if (!w.model || !w.trainer || w.finished || differs(msg.config, w.cfg)) configure(w, msg.config ?? w.cfg);
    w.running = true;
    for (const m of w.modules) m.onTrainStart?.(w); // other work in this Worker (the pretraining walkthrough) pauses
    post({ type: 'state', running: true });
    loop(w);
  },
  pause(msg, w) {
    w.running = false;
    post({ type: 'state', running: false, paused: true });
    sendImages(w, true);
    w.keeper.flush();
  },
  resume(msg, w) {
    if (!w.trainer || w.finished) return;
    w.running = true;
    for (const m of w.modules) m.onTrainStart?.(w);
    post({ type: 'state', running: true });
    loop(w);
  },
  step(msg, w) {
    // one step of the current run; as Start does, a finished or stopped run, or changed settings, begin anew
    if (!w.model || !w.trainer || w.finished || differs(msg.config, w.cfg)) configure(w, msg.config ?? w.cfg);
    w.running = false;
    chunk(w, 1); // its tick() writes at most every SAVE_EVERY_MS, as for a run: not once per click
    sendImages(w, true);
    post({ type: 'state', running: false, paused: true });
  },
  stop(msg, w) {
    w.running = false;
    w.finished = true;
    post({ type: 'state', running: false, finished: true, stopped: true });
    sendImages(w, true);
    if (stepNow(w) > 0) w.keeper.touch(); // a restore brings it back stopped, as it is now
    w.keeper.flush();
  },
};
