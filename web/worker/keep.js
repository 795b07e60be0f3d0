// Restore and Discard for the run persist.js kept across a reload (the Keeper itself is made with the
// context, in core.js, and offers the run when the engine and data are loaded).
import { post, configure, readable, shapeText, BUILTIN, loadBuiltin, useData, dataInfo } from './core.js';
import { specConfig } from '../spec.js';

export const handlers = {
  /** A run persist.js kept, offered at start (msg.which: 'current', or 'previous' for the earlier one): its
   * weights, settings, counters and curves, ready to go on (paused, or stopped if it was). Adam's moments
   * are not kept: they start afresh, as for a loaded file. Once the offer is answered (a second click, or
   * Start, Step or Load model, which decline it) this does nothing, so it never replaces trained steps. */
  async restore(msg, w) {
    const which = msg.which === 'previous' ? 'previous' : 'current';
    const offered = w.keeper.offered(which);
    if (!offered) return;
    // a run on the other built-in set brings that set back first (one's own files the browser does not keep)
    const set = Object.keys(BUILTIN).find((k) => BUILTIN[k].name === offered.data); // own keys only
    if (set && offered.data !== w.dataName) {
      const [tr, te] = await loadBuiltin(w, set);
      useData(w, tr, te, offered.data);
      post({ type: 'data', ...dataInfo(w) });
    }
    // runs kept by the version before the spec said everything have their activations and loss beside it
    const rec = { ...offered, config: specConfig(offered.config) };
    const loaded = w.ae.loadModel(rec.model, Math.max(rec.config.batch, 1));
    if (!readable(loaded, w.trainBase)) {
      const takes = shapeText(loaded.shapes[0]);
      loaded.destroy();
      throw new Error(`The kept model takes ${/×/.test(takes) ? `${takes} images` : `${takes} pixels per image`} and the ${w.dataName} images are ${w.trainBase.rows}×${w.trainBase.cols}: load ${rec.data} in the Data panel, then Restore.`);
    }
    w.running = false;
    configure(w, rec.config, loaded);
    w.resumedAt = rec.step;
    w.history.reset(rec.history);
    w.finished = !!rec.finished;
    w.keeper.taken(which);
    post({ type: 'restored', config: rec.config, data: rec.data, current: w.dataName, step: rec.step, stepsPerEpoch: Math.ceil(w.train.n / rec.config.batch), finished: w.finished, history: w.history.save(), at: rec.at });
    post({ type: 'state', running: false, paused: !w.finished, finished: w.finished });
  },
  discard(msg, w) {
    return w.keeper.discard();
  },
};
