// Your own data, and the built-in sets (MNIST, Fashion-MNIST). Everything is parsed and checked before the current data is let go, so
// a bad file changes nothing.
import { gunzipIfNeeded } from '../aelab.js';
import { post, sentence, configure, dataInfo, loadBuiltin, useData, BUILTIN, isBuiltin } from './core.js';

/** After new data: the page learns its shape, and a model that still fits gets a trainer on it. */
function dataChanged(w) {
  post({ type: 'data', ...dataInfo(w), keptModel: !!w.model });
  if (w.model) configure(w, w.cfg, w.model);
  post({ type: 'state', running: false });
}

export const handlers = {
  /** IDX images (+ labels), gzip or not. The last seventh (at most 10,000) is held out as the test set. */
  async loadData(msg, w) {
    w.running = false;
    const what = msg.labelsName ? `${msg.imagesName} and ${msg.labelsName}` : msg.imagesName;
    let all = null;
    try {
      // msg.images and msg.labels are the Files themselves: read here, streaming, within MAX_IDX_BYTES
      const img = await gunzipIfNeeded(msg.images, { name: msg.labels ? msg.imagesName : 'it' });
      const lab = msg.labels ? await gunzipIfNeeded(msg.labels, { name: msg.labelsName }) : null;
      all = w.ae.dataset(img, lab);
      if (all.n < 2) throw new Error('it holds a single image; at least 2 are needed (one to train on, one to test).');
      const held = all.split(all.n - Math.max(1, Math.min(10000, Math.round(all.n / 7))));
      useData(w, all, held, msg.imagesName);
    } catch (e) {
      all?.destroy();
      throw new Error(`Could not use ${what}: ${sentence(e.message)} The current data and model are unchanged.`);
    }
    dataChanged(w);
  },
  /** msg.set: 'mnist' or 'fashion' (BUILTIN). */
  async useBuiltin(msg, w) {
    w.running = false;
    const set = isBuiltin(msg.set) ? msg.set : 'mnist';
    const [tr, te] = await loadBuiltin(w, set);
    useData(w, tr, te, BUILTIN[set].name);
    dataChanged(w);
  },
};
