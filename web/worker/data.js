// Your own data, and the built-in sets (MNIST, Fashion-MNIST). Everything is parsed and checked before the current data is let go, so
// a bad file changes nothing.
import { gunzipIfNeeded } from '../aelab.js';
import { post, sentence, configure, dataInfo, loadBuiltin, useData, BUILTIN, isBuiltin } from './core.js';

const MAX_PICTURE_BYTES = 64 * 2 ** 20; // one photo file; the engine also refuses more than 24 million pixels

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
  /**
   * PNG or JPEG pictures (msg.files, Files) as grey msg.rows×msg.cols images, decoded by the engine one file
   * at a time; the last seventh (at most 10,000) is the test set. One unreadable file stops the load, named.
   */
  async loadPictures(msg, w) {
    w.running = false;
    const files = msg.files ?? [];
    let all = null, held = null, at = null;
    try {
      if (files.length < 2) throw new Error('at least 2 pictures are needed (one to train on, one to test)');
      all = w.ae.pictures(files.length, msg.rows, msg.cols);
      for (let i = 0; i < files.length; i++) {
        at = files[i];
        if (at.size > MAX_PICTURE_BYTES) throw new Error(`it is ${(at.size / 2 ** 20).toFixed(0)} MB; pictures of at most ${MAX_PICTURE_BYTES / 2 ** 20} MB are read`);
        all.setImage(i, new Uint8Array(await at.arrayBuffer()));
        if (i % 50 === 49) post({ type: 'status', message: `Read ${i + 1} of ${files.length} pictures…` });
      }
      at = null;
      held = all.split(all.n - Math.max(1, Math.min(10000, Math.round(all.n / 7))));
      useData(w, all, held, `your ${files.length} pictures`);
    } catch (e) {
      if (w.trainBase !== all) { all?.destroy(); held?.destroy(); }
      const what = at ? at.webkitRelativePath || at.name : 'those pictures';
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
