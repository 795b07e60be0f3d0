// Your own data, and the built-in sets (MNIST, Fashion-MNIST). Everything is parsed and checked before the current data is let go, so
// a load that fails changes nothing (an unreadable picture among readable ones is left out and named instead).
import { gunzipIfNeeded } from '../aelab.js';
import { post, sentence, configure, dataInfo, loadBuiltin, useData, BUILTIN, isBuiltin } from './core.js';

const MAX_PICTURE_BYTES = 64 * 2 ** 20; // one photo file; the engine also refuses more than 24 million pixels
const LEFT_OUT_LISTED = 1000; // files left out that the Data panel lists one by one

/** The files a picture load left out (list of { name, why }), as sentences grouped by reason, the largest
 * group first, a few names each: "a.png, b.png, c.png and 57 more: not a PNG or JPEG picture. d.png: the
 * file is empty." Up to 4 reasons are spelled out (3 when there are more: the files
 * of the others are then named, if at most 3, else counted). */
function unreadable(list) {
  const by = new Map();
  for (const b of list) by.set(b.why, [...(by.get(b.why) ?? []), b.name]);
  const groups = [...by].sort((a, b) => b[1].length - a[1].length);
  const names = (n) => (n.length === 1 ? n[0] : n.length <= 3 ? `${n.slice(0, -1).join(', ')} and ${n.at(-1)}` : `${n.slice(0, 3).join(', ')} and ${n.length - 3} more`);
  const k = groups.length <= 4 ? 4 : 3; // a fourth reason spelled out when it is the last
  const shown = groups.slice(0, k).map(([why, n]) => `${names(n)}: ${why}.`);
  const rest = groups.slice(k).flatMap(([, n]) => n);
  if (rest.length) shown.push(rest.length <= 3 ? `${names(rest)}: other reasons.` : `${rest.length} more for other reasons.`);
  return shown.join(' ');
}

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
   * at a time; the last seventh (at most 10,000) is the test set. A file that cannot be read (not a picture,
   * damaged, too large) is left out and named with its reason (dataInfo's leftOut, in every 'data' message of this data), so that one bad
   * photo in a folder does not cost the others; with fewer than 2 readable the load fails and changes nothing.
   */
  async loadPictures(msg, w) {
    w.running = false;
    const files = msg.files ?? [];
    const leftOut = []; // { name, why } of each file not used, in the files' order
    let all = null, held = null, first = null; // first: the first readable file's name
    try {
      if (files.length < 2) throw new Error('at least 2 pictures are needed (one to train on, one to test)');
      all = w.ae.pictures(files.length, msg.rows, msg.cols);
      let n = 0; // readable so far: they fill items 0..n-1, in the files' order
      for (let i = 0; i < files.length; i++) {
        const f = files[i];
        try {
          if (f.size > MAX_PICTURE_BYTES) throw new Error(`it is ${(f.size / 2 ** 20).toFixed(1)} MB, over the ${MAX_PICTURE_BYTES / 2 ** 20} MB a picture may take`);
          all.setImage(n, new Uint8Array(await f.arrayBuffer()));
          if (n++ === 0) first = f.webkitRelativePath || f.name;
        } catch (e) {
          leftOut.push({ name: f.webkitRelativePath || f.name, why: e.message.trim().replace(/\.$/, '') });
        }
        if (i % 50 === 49) post({ type: 'status', message: `Read ${i + 1} of ${files.length} pictures…` });
      }
      // the Data panel's list: the count and every file (the first LEFT_OUT_LISTED), on the data or the error
      const left = { leftOut: leftOut.length, leftOutList: leftOut.slice(0, LEFT_OUT_LISTED) };
      if (n < 2) {
        const one = n ? `only ${first} could be read, and at least 2 pictures are needed` : files.length === 2 ? 'neither file could be read' : `none of the ${files.length} files could be read`;
        throw Object.assign(new Error(`${one}. ${unreadable(leftOut)}`), { left });
      }
      if (n < files.length) all.limit(n); // the unfilled items at the end go (limit copies nothing)
      held = all.split(all.n - Math.max(1, Math.min(10000, Math.round(all.n / 7))));
      useData(w, all, held, `your ${n} pictures`);
      // dataInfo sends it with this data's every 'data' message, with the grouped sentences for the status line
      w.leftOut = leftOut.length ? { ...left, leftOutText: unreadable(leftOut) } : null;
      w.pictures = true;
    } catch (e) {
      if (w.trainBase !== all) { all?.destroy(); held?.destroy(); }
      // a single file named: the message is about it
      const what = files.length === 1 ? files[0].webkitRelativePath || files[0].name : 'those pictures';
      throw Object.assign(new Error(`Could not use ${what}: ${sentence(e.message)} The current data and model are unchanged.`), { left: e.left });
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
